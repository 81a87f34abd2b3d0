// retract_relations: end the current version of each relation (by key) with a tombstone.
// Parameters: $rows [{key, from, to}] (from/to locate the relation), $t, $forever.
UNWIND $rows AS row
MATCH (a:PGNode {id: row.from})-[cur]->(b:PGNode {id: row.to})
WHERE cur.key = row.key AND cur.superseded_at = $forever AND NOT cur.retracted
SET cur.superseded_at = $t
WITH a, b, cur
CREATE (a)-[r:$(type(cur))]->(b)
SET r = properties(cur), r.version = cur.version + 1, r.recorded_at = $t,
    r.superseded_at = $forever, r.retracted = true
RETURN count(r) AS retracted
