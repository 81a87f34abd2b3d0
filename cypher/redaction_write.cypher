// redaction_write: replace the data (and digest) of node versions in place.
// Parameters: $rows [{id, version, data, digest}].
UNWIND $rows AS row
MATCH (v:PGNodeVersion {id: row.id, version: row.version})
SET v.data = row.data, v.digest = row.digest
RETURN count(v) AS rewritten
