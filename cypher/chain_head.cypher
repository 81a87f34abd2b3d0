// chain_head: the last entry of the hash chain (none on an empty store).
MATCH (c:PGChain)
RETURN c.seq AS seq, c.hash AS hash
ORDER BY c.seq DESC
LIMIT 1
