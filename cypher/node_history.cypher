// node_history: every version of one node, retractions included, oldest first.
// Parameters: $id.
MATCH (v:PGNodeVersion {id: $id})
// The version predicate lets the planner seek the (id, version) index instead of scanning.
WHERE v.version > 0
RETURN v.id AS id, v.kind AS kind, v.type AS type, v.opaque AS opaque, v.data AS data,
       v.version AS version, v.recorded_at AS recorded_at, v.retracted AS retracted
ORDER BY v.version
