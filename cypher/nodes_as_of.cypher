// nodes_as_of: the version of each node valid at $as_of.
// Parameters: $ids [string], $as_of (µs).
UNWIND $ids AS id
MATCH (v:PGNodeVersion {id: id})
WHERE v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
RETURN v.id AS id, v.kind AS kind, v.type AS type, v.opaque AS opaque, v.data AS data,
       v.version AS version, v.recorded_at AS recorded_at
