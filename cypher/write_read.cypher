// write_read: what a batch's write needs to know, read first in its transaction. Writers
// queue on the lock of one (:PGMeta {id: 'writers'}) node, held until the batch commits, so
// what follows reads everything earlier batches committed; the batch then appends the chain
// entry after this head. The chain's unique seq is the guarantee: a writer that appended
// meanwhile anyway makes this batch's append fail, and the batch runs again.
// Returns the head (seq, hash, recorded_at), which of $batch.events are stored, and the current
// version of each node in $batch.nodes ([id, version, digest, opaque, retracted]) and of each
// relation in $batch.relations ([key, version, digest, retracted]), and the current kind, type and
// opacity of each node in $batch.refs ([id, kind, type, opaque]: what the batch's checks need).
// Every lookup is an index seek by hint: a plan cached while the store was nearly empty once
// scanned a whole index for each batch instead (seen as one read of a 100k-relation event's
// parts taking minutes, in some runs of the test suite and not in others).
// Parameters: $batch {events [string], nodes [string], relations [{key, from, to}],
//   refs [string]}, $forever. (The lists travel in one map: Neo4j caches a plan per set of
//   parameter types, and an empty list has a type of its own, so four list parameters would
//   be planned up to 16 times, 0.6-0.8 s each on a warm server.)
MERGE (writers:PGMeta {id: 'writers'})
SET writers.busy = true
REMOVE writers.busy
WITH writers
CALL () {
  OPTIONAL MATCH (c:PGChain)
  WHERE c.seq > 0  // reads the seq index backwards: one entry, however long the chain
  RETURN c.seq AS seq, c.hash AS hash, c.recorded_at AS last
  ORDER BY c.seq DESC
  LIMIT 1
}
CALL () {
  UNWIND $batch.events AS id
  MATCH (e:PGEvent {id: id})
  USING INDEX SEEK e:PGEvent(id)
  RETURN collect(e.id) AS known
}
CALL () {
  UNWIND $batch.nodes AS id
  MATCH (v:PGNodeVersion {id: id, superseded_at: $forever})
  USING INDEX SEEK v:PGNodeVersion(id, superseded_at)
  RETURN collect([v.id, v.version, v.digest, v.opaque, v.retracted]) AS nodes
}
CALL () {
  UNWIND $batch.relations AS row
  // Both ends by index, then the relationships between them, walked from the end with fewer
  // of them (Expand(Into)), whatever the statistics the plan was made with: the index hint
  // makes that the only plan. Without it, a plan made while the store had no relationships
  // scanned every relationship record for each row, deleted ones included (measured: 255 s
  // for the first 20,000 relations written to a store emptied after holding 300k), and an
  // older form expanded a hub from its end.
  MATCH (a:PGNode {id: row.from})
  USING INDEX SEEK a:PGNode(id)
  CALL (a, row) {
    MATCH (a)-[r]->(b:PGNode {id: row.to})
    USING INDEX SEEK b:PGNode(id)
    WHERE r.key = row.key AND r.superseded_at = $forever
    RETURN [r.key, r.version, r.digest, r.retracted] AS found
  }
  RETURN collect(found) AS relations
}
CALL () {
  UNWIND $batch.refs AS id
  MATCH (v:PGNodeVersion {id: id, superseded_at: $forever})
  USING INDEX SEEK v:PGNodeVersion(id, superseded_at)
  WHERE NOT v.retracted
  RETURN collect([v.id, v.kind, v.type, v.opaque]) AS kinds
}
RETURN seq, hash, last, known, nodes, relations, kinds
