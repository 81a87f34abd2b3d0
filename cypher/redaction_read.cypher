// redaction_read: every version of the nodes a redaction names.
// Parameters: $ids [string].
UNWIND $ids AS id
MATCH (v:PGNodeVersion {id: id})
WHERE v.version > 0  // seeks the (id, version) index
RETURN v.id AS id, v.version AS version, v.kind AS kind, v.type AS type, v.opaque AS opaque,
       v.data AS data, v.digest AS digest, v.retracted AS retracted,
       v.recorded_at AS recorded_at
ORDER BY id, version
