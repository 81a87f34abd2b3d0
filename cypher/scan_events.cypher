// scan_events: every ingested event id, for provgraph verify (streamed).
MATCH (e:PGEvent)
RETURN e.recorded_at AS recorded_at, e.id AS id, e.digest AS digest
