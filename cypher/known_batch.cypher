// known_batch: what the ingest pipeline checks a batch against, in one read: which of the
// batch's event ids are stored (with their digests), and the current kind, type and opacity
// of the nodes it names (relation ends, plans, retracted nodes, redefined nodes), and the
// whole current version of the nodes in $batch.whole (what a merge builds on, e.g. an OpenLineage
// run whose other half arrived first).
// Returns events [[id, digest]], kinds [[id, kind, type, opaque]] and current
// [[id, kind, type, opaque, data, version, recorded_at]].
// Parameters: $batch {events [string], nodes [string], whole [string]}, $forever (one
// map: an empty list would otherwise make another plan; see write_read.cypher).
// Example: :param batch => {events: ['e1'], nodes: ['B', 'S1'], whole: []}; :param forever => 9223372036854775807
CALL () {
  UNWIND $batch.events AS id
  MATCH (e:PGEvent {id: id})
  RETURN collect([e.id, e.digest]) AS events
}
CALL () {
  UNWIND $batch.nodes AS id
  MATCH (v:PGNodeVersion {id: id, superseded_at: $forever})
  WHERE NOT v.retracted
  RETURN collect([v.id, v.kind, v.type, v.opaque]) AS kinds
}
CALL () {
  UNWIND $batch.whole AS id
  MATCH (v:PGNodeVersion {id: id, superseded_at: $forever})
  WHERE NOT v.retracted
  RETURN collect([v.id, v.kind, v.type, v.opaque, v.data, v.version, v.recorded_at])
         AS current
}
RETURN events, kinds, current
