// known_events: which of these event ids were already ingested, with their digests.
// Parameters: $ids [string].
UNWIND $ids AS id
MATCH (e:PGEvent {id: id})
RETURN e.id AS id, e.digest AS digest
