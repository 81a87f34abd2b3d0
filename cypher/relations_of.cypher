// relations_of: every relation valid at $as_of with either end in $ids.
// Parameters: $ids [string], $as_of.
UNWIND $ids AS id
MATCH (n:PGNode {id: id})-[r]-()
WHERE r.recorded_at <= $as_of AND r.superseded_at > $as_of AND NOT r.retracted
WITH DISTINCT r
RETURN r.key AS key, type(r) AS relation, startNode(r).id AS source, endNode(r).id AS target,
       r.role AS role, r.data AS data, r.recorded_at AS recorded_at
ORDER BY key
