// chain_forms: for each batch time in $times, the start of its chain entry's body, which
// says the form of row hash the entry lists (null when no entry has that time).
// Parameters: $times [int].
UNWIND $times AS t
CALL {
  WITH t
  MATCH (c:PGChain)
  WHERE c.seq > 0 AND c.recorded_at <= t  // the seq index, backwards, as chain_at
  RETURN c
  ORDER BY c.seq DESC
  LIMIT 1
}
RETURN t AS recorded_at, CASE WHEN c.recorded_at = t THEN left(c.body, 12) END AS start
