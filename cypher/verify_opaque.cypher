// verify_opaque: nodes whose opaque intervals (which walks prune on) do not follow from their
// versions, and relationships whose copy of their source's intervals differs from it.
// A node was opaque over [recorded_at, superseded_at) of each opaque, not retracted version.
MATCH (n:PGNode)
CALL (n) {
  OPTIONAL MATCH (v:PGNodeVersion {id: n.id})
  // = true / = false: a flag written by hand as something else is no predicate error
  WHERE v.version > 0 AND v.opaque = true AND v.retracted = false  // the (id, version) index
  WITH v ORDER BY v.version
  RETURN collect(v.recorded_at) AS opened, collect(v.superseded_at) AS closed
}
// A missing list is an empty one (provgraph stores none for a node never opaque).
WITH n, opened, closed, coalesce(n.opaque_from, []) AS starts,
     coalesce(n.opaque_to, []) AS ends
CALL (n, starts, ends) {
  OPTIONAL MATCH (n)-[r]->()
  WHERE NOT type(r) IN ['PG_DEP', 'PG_RESP', 'PG_REL']  // the projection keeps no copy
    AND (coalesce(r.src_opaque_from, []) <> starts OR coalesce(r.src_opaque_to, []) <> ends)
  RETURN collect(r.key) AS stale
}
WITH n, starts, ends, opened, closed, stale
WHERE starts <> opened OR ends <> closed OR size(stale) > 0
RETURN n.id AS id, starts <> opened OR ends <> closed AS node, stale
ORDER BY id
LIMIT 1000
