// chain_head: the last entry of the hash chain (none on an empty store).
MATCH (c:PGChain)
WHERE c.seq > 0  // reads the seq index backwards: one entry, however long the chain
RETURN c.seq AS seq, c.hash AS hash
ORDER BY c.seq DESC
LIMIT 1
