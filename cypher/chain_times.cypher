// chain_times: when the chain's entries were recorded, one in every $step (the first and
// the last always) — the explorer's as-of slider.
// Parameters: $step (≥ 1), $last (the head's seq).
MATCH (c:PGChain)
WHERE c.seq > 0 AND ((c.seq - 1) % $step = 0 OR c.seq = $last)
RETURN c.seq AS seq, c.recorded_at AS recorded_at
ORDER BY seq
