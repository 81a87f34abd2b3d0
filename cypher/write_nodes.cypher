// write_nodes: append a new version for each node whose content changed.
// A node is one (:PGNode) carrying its current kind/type/opaque for readable queries, and
// the intervals [opaque_from[i], opaque_to[i]) during which it was opaque (for as_of walks;
// each relationship keeps a copy of its source's, as src_opaque_from / src_opaque_to);
// every version is a (:PGNodeVersion) valid from recorded_at until superseded_at.
// Parameters: $rows [{id, kind, type, opaque, data, digest}], $t (recorded_at),
//             $forever (superseded_at of a current version).
UNWIND $rows AS row
MERGE (n:PGNode {id: row.id})
  ON CREATE SET n.kind = row.kind, n.opaque_from = [], n.opaque_to = []
// Writing n first takes its lock, so concurrent writers of one node queue up here.
SET n.written_at = $t
WITH n, row
OPTIONAL MATCH (cur:PGNodeVersion {id: row.id, superseded_at: $forever})
WITH n, row, cur
WHERE cur IS NULL OR cur.digest <> row.digest OR cur.retracted
SET cur.superseded_at = $t
SET n.opaque_to = CASE
      WHEN size(n.opaque_to) > 0 AND n.opaque_to[-1] = $forever
      THEN n.opaque_to[..-1] + [$t] ELSE n.opaque_to END
SET n.opaque_from = CASE WHEN row.opaque THEN n.opaque_from + [$t] ELSE n.opaque_from END,
    n.opaque_to = CASE WHEN row.opaque THEN n.opaque_to + [$forever] ELSE n.opaque_to END,
    n.type = row.type, n.opaque = row.opaque
WITH n, row, cur
// Relationships carry their source's opaque intervals, so walks test relationships only
// (which Neo4j runs as a pruning breadth-first search); refresh them when they may change.
CALL (n, row, cur) {
  WITH n, row, cur
  WHERE row.opaque OR coalesce(cur.opaque, false)
  MATCH (n)-[r]->()
  SET r.src_opaque_from = n.opaque_from, r.src_opaque_to = n.opaque_to
}
CREATE (v:PGNodeVersion {
  id: row.id, version: coalesce(cur.version, 0) + 1, kind: row.kind, type: row.type,
  opaque: row.opaque, data: row.data, digest: row.digest,
  recorded_at: $t, superseded_at: $forever, retracted: false})
RETURN collect([v.id, v.version, coalesce(cur.opaque, false) <> row.opaque]) AS written
