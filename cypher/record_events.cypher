// record_events: remember ingested event ids (re-ingesting one is a no-op); returns the
// ids it created.
// Parameters: $rows [{id, digest}], $t (recorded_at).
UNWIND $rows AS row
MERGE (e:PGEvent {id: row.id})
  ON CREATE SET e.digest = row.digest, e.recorded_at = $t
RETURN collect(CASE WHEN e.recorded_at = $t THEN e.id END) AS created
