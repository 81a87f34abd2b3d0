// chain_at: the head of the hash chain at $as_of (its last entry recorded by then).
// Parameters: $as_of.
MATCH (c:PGChain)
WHERE c.seq > 0 AND c.recorded_at <= $as_of  // the seq index, backwards, from the head
RETURN c.seq AS seq, c.recorded_at AS recorded_at, c.hash AS hash
ORDER BY c.seq DESC
LIMIT 1
