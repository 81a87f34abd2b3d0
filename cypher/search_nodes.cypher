// search_nodes: the explorer's search box. Nodes valid at $as_of whose id starts with
// $prefix, and those whose type is $type (compared in lower case), in id order.
// Parameters: $prefix (string), $type (string, lower case), $as_of (µs), $limit.
CALL () {
  MATCH (v:PGNodeVersion)
  WHERE v.id STARTS WITH $prefix
    AND v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
  RETURN v ORDER BY v.id LIMIT $limit
  UNION
  MATCH (v:PGNodeVersion)
  WHERE toLower(v.type) = $type
    AND v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
  RETURN v ORDER BY v.id LIMIT $limit
}
RETURN v.id AS id, v.kind AS kind, v.type AS type, v.opaque AS opaque
ORDER BY id
LIMIT $limit
