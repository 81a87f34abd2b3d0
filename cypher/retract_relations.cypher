// retract_relations: end the current version of each relation (by key) with a tombstone.
// Returns the tombstones' columns (for the hash chain).
// Parameters: $rows [{key, from, to}] (from/to locate the relation), $t, $forever.
UNWIND $rows AS row
MATCH (a:PGNode {id: row.from})-[cur]->(b:PGNode {id: row.to})
WHERE cur.key = row.key AND cur.superseded_at = $forever AND NOT cur.retracted
  AND NOT type(cur) IN ['PG_DEP', 'PG_RESP', 'PG_REL']
SET cur.superseded_at = $t
CREATE (a)-[r:$(type(cur))]->(b)
SET r = properties(cur), r.version = cur.version + 1, r.recorded_at = $t,
    r.superseded_at = $forever, r.retracted = true
RETURN collect([r.key, r.version, type(r), a.id, b.id, r.role, r.follow, r.data, r.digest])
  AS retracted
