// retract_nodes: end the current version of each node (a tombstone version records when),
// and of every relation touching it, so no edge dangles.
// Parameters: $ids [string], $t, $forever.
UNWIND $ids AS id
MATCH (n:PGNode {id: id})
MATCH (cur:PGNodeVersion {id: id, superseded_at: $forever})
WHERE NOT cur.retracted
SET cur.superseded_at = $t
SET n.opaque_to = CASE
      WHEN size(n.opaque_to) > 0 AND n.opaque_to[-1] = $forever
      THEN n.opaque_to[..-1] + [$t] ELSE n.opaque_to END
// Relationships keep a copy of their source's opaque intervals (see write_nodes).
WITH n, cur
CALL (n, cur) {
  WITH n, cur WHERE cur.opaque
  MATCH (n)-[r]->()
  SET r.src_opaque_from = n.opaque_from, r.src_opaque_to = n.opaque_to
}
CREATE (v:PGNodeVersion {
  id: cur.id, version: cur.version + 1, kind: cur.kind, type: cur.type, opaque: cur.opaque,
  data: cur.data, digest: cur.digest, recorded_at: $t, superseded_at: $forever,
  retracted: true})
WITH n, v
CALL (n) {
  MATCH (n)-[r]-()
  WHERE r.superseded_at = $forever AND NOT r.retracted
  RETURN collect(DISTINCT r) AS touching
}
RETURN collect({node: n.id, version: v.version, kind: v.kind, type: v.type, opaque: v.opaque,
  data: v.data, digest: v.digest, relations: [r IN touching |
  {key: r.key, from: startNode(r).id, to: endNode(r).id}]}) AS retracted
