// node_ids: one page of the ids of nodes valid at $as_of, in order, after $after (a full
// export walks the graph page by page, so its memory stays flat).
// Parameters: $as_of, $after (string; '' for the first page), $limit.
MATCH (v:PGNodeVersion)
WHERE v.id > $after
  AND v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
RETURN v.id AS id
ORDER BY id
LIMIT $limit
