// current_versions: the current version number of each node (0 if absent or retracted), read
// inside a write transaction to check a batch's optimistic-concurrency expectations.
// Parameters: $ids [string], $forever.
UNWIND $ids AS id
OPTIONAL MATCH (v:PGNodeVersion {id: id, superseded_at: $forever})
RETURN id, CASE WHEN v IS NULL OR v.retracted THEN 0 ELSE v.version END AS version
