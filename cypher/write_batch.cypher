// write_batch: write what write_read.cypher showed to be new, in the same transaction: the
// events, a version of each changed node and relation (ending the version it replaces), the
// current projection of the new relations, and (when nothing else follows in the batch) its
// hash-chain entry. Versions and the projected relationship type are computed by provgraph
// from write_read's answer.
// A node is one (:PGNode) carrying its current kind/type/opaque for readable queries, the
// same again as labels (one `PG:kind:type`, or `PG:kind` without a type, and :PGOpaque while
// opaque: a label is read with the node, a property is not; in the type, \ is written \\ and
// a NUL, which no label may hold, \0), and the intervals
// [opaque_from[i], opaque_to[i]) during which it was opaque (for as_of walks; each
// relationship keeps a copy of its source's, as src_opaque_from / src_opaque_to). A node that
// never was opaque has neither list, nor do its relationships: an empty list is not stored
// (measured at 100k nodes: two empty lists a relationship cost 12-16 % of ingest); every node
// version is a (:PGNodeVersion) valid from recorded_at until superseded_at. A relation version
// is a relationship of its PROV type between two (:PGNode)s, valid from recorded_at until
// superseded_at; follow = false marks granularity "members" edges, kept, never traversed.
// The projection holds one thin relationship per current, followable relation whose source
// is not opaque: :PG_DEP, :PG_RESP or :PG_REL with the PROV name (rel) and role, and the key
// only when it is not rel:from->to#role (row.odd_key; readers compute the usual key).
// Parameters: $batch {events [{id, digest}],
//   nodes [{id, kind, type, opaque, data, digest, version}],
//   relations [{key, relation, from, to, role, follow, data, digest, version, projected,
//   odd_key}], chain {seq, prev, body, hash} or null}, $t (recorded_at), $forever. (One
//   map: an empty list or a null chain would otherwise make another plan; see write_read.)
CALL () {
  UNWIND $batch.events AS row
  CREATE (:PGEvent {id: row.id, digest: row.digest, recorded_at: $t})
}
CALL () {
  UNWIND $batch.nodes AS row
  MERGE (n:PGNode {id: row.id})
    ON CREATE SET n.kind = row.kind
  WITH n, row
  OPTIONAL MATCH (cur:PGNodeVersion {id: row.id, version: row.version - 1})
  SET cur.superseded_at = $t
  SET n.opaque_to = CASE
        WHEN size(n.opaque_to) > 0 AND n.opaque_to[-1] = $forever
        THEN n.opaque_to[..-1] + [$t] ELSE n.opaque_to END
  SET n.opaque_from = CASE WHEN row.opaque THEN coalesce(n.opaque_from, []) + [$t]
                           ELSE n.opaque_from END,
      n.opaque_to = CASE WHEN row.opaque THEN coalesce(n.opaque_to, []) + [$forever]
                         ELSE n.opaque_to END,
      n.type = row.type, n.opaque = row.opaque
  // The labels mirror kind, type and opacity (see the header).
  WITH n, row, cur, 'PG:' + n.kind
       + coalesce(':' + replace(replace(row.type, '\\', '\\\\'), '\u0000', '\\0'), '') AS label
  FOREACH (old IN [x IN labels(n) WHERE x STARTS WITH 'PG:' AND x <> label] | REMOVE n:$(old))
  SET n:$(label)
  FOREACH (_ IN CASE WHEN row.opaque THEN [1] ELSE [] END | SET n:PGOpaque)
  FOREACH (_ IN CASE WHEN row.opaque THEN [] ELSE [1] END | REMOVE n:PGOpaque)
  WITH n, row, cur
  // Relationships carry their source's opaque intervals, so walks test relationships only
  // (which Neo4j runs as a pruning breadth-first search); refresh them when they may change.
  CALL (n, row, cur) {
    WITH n, row, cur
    WHERE row.opaque OR coalesce(cur.opaque, false)
    MATCH (n)-[r]->()
    WHERE NOT type(r) IN ['PG_DEP', 'PG_RESP', 'PG_REL']
    SET r.src_opaque_from = n.opaque_from, r.src_opaque_to = n.opaque_to
  }
  CREATE (:PGNodeVersion {
    id: row.id, version: row.version, kind: row.kind, type: row.type, opaque: row.opaque,
    data: row.data, digest: row.digest, recorded_at: $t, superseded_at: $forever,
    retracted: false})
}
CALL () {
  UNWIND $batch.relations AS row
  MATCH (a:PGNode {id: row.from}), (b:PGNode {id: row.to})
  // A correction ends the current version and its projection (a rare path).
  CALL (a, b, row) {
    WITH a, b, row
    WHERE row.version > 1
    MATCH (a)-[cur]->(b)
    WHERE (cur.key = row.key AND cur.version = row.version - 1)
       OR (type(cur) STARTS WITH 'PG_'
           AND coalesce(cur.key, cur.rel + ':' + a.id + '->' + b.id + CASE WHEN coalesce(cur.role, '') = '' THEN '' ELSE '#' + cur.role END) = row.key)
    FOREACH (_ IN CASE WHEN type(cur) STARTS WITH 'PG_' THEN [1] ELSE [] END | DELETE cur)
    FOREACH (_ IN CASE WHEN type(cur) STARTS WITH 'PG_' THEN [] ELSE [1] END |
      SET cur.superseded_at = $t)
  }
  CREATE (a)-[r:$(row.relation)]->(b)
  SET r.key = row.key, r.version = row.version, r.role = row.role, r.follow = row.follow,
      r.data = row.data, r.digest = row.digest, r.recorded_at = $t,
      r.superseded_at = $forever, r.retracted = false,
      r.src_opaque_from = a.opaque_from, r.src_opaque_to = a.opaque_to
  WITH a, b, row
  WHERE row.follow AND NOT coalesce(a.opaque, false)
  CREATE (a)-[p:$(row.projected)]->(b)
  SET p.rel = row.relation, p.role = row.role, p.key = row.odd_key
}
CALL () {
  WITH $batch.chain AS c
  WHERE c IS NOT NULL
  CREATE (:PGChain {seq: c.seq, recorded_at: $t, prev: c.prev, body: c.body, hash: c.hash})
}
RETURN $t AS t
