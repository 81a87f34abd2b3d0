// verify_node_intervals: node versions whose superseded_at is not the next version's
// recorded_at (or, for the last one, $forever): their validity was edited outside provgraph.
// Parameters: $forever.
MATCH (v:PGNodeVersion)
OPTIONAL MATCH (w:PGNodeVersion {id: v.id, version: v.version + 1})
WITH v, w
WHERE v.superseded_at <> coalesce(w.recorded_at, $forever)
RETURN v.id AS key, v.version AS version
ORDER BY key, version
LIMIT 1000
