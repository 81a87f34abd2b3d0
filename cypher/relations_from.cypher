// relations_from: every relation valid at $as_of that leaves one of $ids (an export reads
// the graph this way, chunk by chunk).
// Parameters: $ids [string], $as_of.
UNWIND $ids AS id
MATCH (n:PGNode {id: id})-[r]->(m:PGNode)
WHERE r.recorded_at <= $as_of AND r.superseded_at > $as_of AND NOT r.retracted
RETURN r.key AS key, type(r) AS relation, n.id AS source, m.id AS target,
       r.role AS role, r.data AS data, r.recorded_at AS recorded_at
ORDER BY key
