// search_nodes: the explorer's search box. Nodes valid at $as_of whose id starts with
// $prefix, and those whose type is one of $types (found through the PGNode type index,
// then checked on the version valid at $as_of), in id order.
// Parameters: $prefix (string), $types [string], $as_of (µs), $limit.
CALL () {
  MATCH (v:PGNodeVersion)
  WHERE v.id STARTS WITH $prefix
    AND v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
  RETURN v ORDER BY v.id LIMIT $limit
  UNION
  MATCH (n:PGNode)
  WHERE n.type IN $types
  MATCH (v:PGNodeVersion {id: n.id})
  WHERE v.type IN $types
    AND v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
  RETURN v ORDER BY v.id LIMIT $limit
}
RETURN v.id AS id, v.kind AS kind, v.type AS type, v.opaque AS opaque
ORDER BY id
LIMIT $limit
