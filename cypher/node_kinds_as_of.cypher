// node_kinds_as_of: kind, type and opacity of each node at $as_of — what a lineage answer
// shows of its nodes, without the attributes (a walk of thousands of nodes ships less).
// Parameters: $ids [string], $as_of (µs).
UNWIND $ids AS id
MATCH (v:PGNodeVersion {id: id})
WHERE v.recorded_at <= $as_of AND v.superseded_at > $as_of AND NOT v.retracted
RETURN v.id AS id, v.kind AS kind, v.type AS type, v.opaque AS opaque
