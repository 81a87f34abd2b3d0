// chain_at: the last chain entry recorded at or before $as_of.
// Parameters: $as_of.
MATCH (c:PGChain)
WHERE c.recorded_at <= $as_of
RETURN c.seq AS seq, c.recorded_at AS recorded_at, c.prev AS prev, c.body AS body,
       c.hash AS hash
ORDER BY c.seq DESC
LIMIT 1
