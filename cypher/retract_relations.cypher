// retract_relations: end the current version of each relation (by key) with a tombstone.
// Returns the tombstones' columns (for the hash chain).
// Parameters: $rows [{key, from, to}] (from/to locate the relation), $t, $forever.
// Both ends by index, then the relationships between them from the end with fewer (an
// Expand(Into), as in write_read.cypher): without the hint the planner seeks one end and
// expands all of its relationships, every row (a dataset's 100k members retracted one by
// one from the dataset's side).
UNWIND $rows AS row
MATCH (a:PGNode {id: row.from})
CALL (a, row) {
  MATCH (a)-[cur]->(b:PGNode {id: row.to})
  USING INDEX b:PGNode(id)
  WHERE cur.key = row.key AND cur.superseded_at = $forever AND NOT cur.retracted
    AND NOT type(cur) IN ['PG_DEP', 'PG_RESP', 'PG_REL']
  RETURN cur, b
}
WITH a, b, cur
SET cur.superseded_at = $t
CREATE (a)-[r:$(type(cur))]->(b)
SET r = properties(cur), r.version = cur.version + 1, r.recorded_at = $t,
    r.superseded_at = $forever, r.retracted = true
RETURN collect([r.key, r.version, type(r), a.id, b.id, r.role, r.follow, r.data, r.digest])
  AS retracted
