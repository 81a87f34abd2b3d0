// node_ids: the id of every node valid at $as_of, in order (a full export walks these).
// Parameters: $as_of.
MATCH (v:PGNodeVersion)
WHERE v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
RETURN v.id AS id
ORDER BY id
