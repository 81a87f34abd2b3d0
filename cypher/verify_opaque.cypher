// verify_opaque: nodes whose opaque intervals (which walks prune on) do not follow from their
// versions, and relationships whose copy of their source's intervals differs from it.
// A node was opaque over [recorded_at, superseded_at) of each opaque, not retracted version.
MATCH (n:PGNode)
CALL (n) {
  OPTIONAL MATCH (v:PGNodeVersion {id: n.id})
  WHERE v.version > 0 AND v.opaque AND NOT v.retracted  // seeks the (id, version) index
  WITH v ORDER BY v.version
  RETURN collect(v.recorded_at) AS opened, collect(v.superseded_at) AS closed
}
CALL (n) {
  OPTIONAL MATCH (n)-[r]->()
  WHERE r.src_opaque_from <> n.opaque_from OR r.src_opaque_to <> n.opaque_to
  RETURN collect(r.key) AS stale
}
WITH n, opened, closed, stale
WHERE n.opaque_from <> opened OR n.opaque_to <> closed OR size(stale) > 0
RETURN n.id AS id, n.opaque_from <> opened OR n.opaque_to <> closed AS node, stale
ORDER BY id
LIMIT 1000
