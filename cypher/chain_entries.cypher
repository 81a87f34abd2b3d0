// chain_entries: one page of the hash chain, in order.
// Parameters: $after (seq), $limit.
MATCH (c:PGChain)
WHERE c.seq > $after
RETURN c.seq AS seq, c.recorded_at AS recorded_at, c.prev AS prev, c.body AS body,
       c.hash AS hash
ORDER BY c.seq
LIMIT $limit
