// write_relations: append a new version for each relation whose content changed.
// A relation version is a relationship of its PROV type (used, wasGeneratedBy, ...) between
// two (:PGNode)s, valid from recorded_at until superseded_at; follow = false marks
// granularity "members" edges, kept and shown but never traversed. One (:PGRelation {key})
// per relation holds its current version and digest: an index seek tells whether anything
// changed (and MERGE locks the key, so concurrent writers of one relation queue up).
// Parameters: $rows [{key, relation, from, to, role, follow, data, digest}], $t, $forever.
UNWIND $rows AS row
MATCH (a:PGNode {id: row.from}), (b:PGNode {id: row.to})
MERGE (k:PGRelation {key: row.key})
  ON CREATE SET k.version = 0, k.retracted = false
WITH a, b, row, k
WHERE k.version = 0 OR k.digest <> row.digest OR k.retracted
// A correction ends the current version (an expand only on this rare path).
CALL (a, b, row, k) {
  WITH a, b, row, k WHERE k.version > 0
  MATCH (a)-[cur]->(b)
  WHERE cur.key = row.key AND cur.version = k.version
  SET cur.superseded_at = $t
}
CREATE (a)-[r:$(row.relation)]->(b)
SET r.key = row.key, r.version = k.version + 1, r.role = row.role,
    r.follow = row.follow, r.data = row.data, r.digest = row.digest,
    r.recorded_at = $t, r.superseded_at = $forever, r.retracted = false,
    r.src_opaque_from = a.opaque_from, r.src_opaque_to = a.opaque_to
SET k.version = k.version + 1, k.digest = row.digest, k.retracted = false
RETURN collect([r.key, r.version]) AS written
