// clock_tick: the recorded_at of a new batch, strictly after every earlier batch.
// Writing the single clock node also serializes concurrent batches.
// Parameters: $t (µs since the epoch, the writer's clock).
MERGE (c:PGClock {id: 'clock'})
SET c.last = CASE WHEN c.last IS NULL OR c.last < $t THEN $t ELSE c.last + 1 END
RETURN c.last AS t
