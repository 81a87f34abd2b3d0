// verify_relation_intervals: relation versions whose superseded_at is not the next
// version's recorded_at (or $forever for the last one).
// Parameters: $forever.
MATCH (a:PGNode)-[r]->(b:PGNode)
WHERE r.key IS NOT NULL
OPTIONAL MATCH (a)-[s]->(b)
WHERE s.key = r.key AND s.version = r.version + 1
WITH r, s
WHERE r.superseded_at <> coalesce(s.recorded_at, $forever)
RETURN r.key AS key, r.version AS version
ORDER BY key, version
LIMIT 1000
