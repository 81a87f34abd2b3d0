// chain_append: append one entry to the tamper-evident hash chain (see provgraph/chain.py).
// Runs last in a batch's transaction; the unique seq serializes writers (see write_read).
// Parameters: $seq, $t (recorded_at), $prev, $body, $hash.
CREATE (c:PGChain {seq: $seq, recorded_at: $t, prev: $prev, body: $body, hash: $hash})
RETURN c.seq AS seq
