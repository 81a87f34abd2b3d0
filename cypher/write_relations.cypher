// write_relations: append a new version for each relation whose content changed.
// A relation version is a relationship of its PROV type (used, wasGeneratedBy, ...) between
// two (:PGNode)s, valid from recorded_at until superseded_at; follow = false marks
// granularity "members" edges, kept and shown but never traversed.
// Parameters: $rows [{key, relation, from, to, role, follow, data, digest}], $t, $forever.
UNWIND $rows AS row
MATCH (a:PGNode {id: row.from}), (b:PGNode {id: row.to})
SET a.written_at = $t
WITH a, b, row
OPTIONAL MATCH (a)-[cur]->(b)
  WHERE cur.key = row.key AND cur.superseded_at = $forever
WITH a, b, row, cur
WHERE cur IS NULL OR cur.digest <> row.digest OR cur.retracted
SET cur.superseded_at = $t
CREATE (a)-[r:$(row.relation)]->(b)
SET r.key = row.key, r.version = coalesce(cur.version, 0) + 1, r.role = row.role,
    r.follow = row.follow, r.data = row.data, r.digest = row.digest,
    r.recorded_at = $t, r.superseded_at = $forever, r.retracted = false
RETURN count(r) AS written
