// scan_node_versions: every node version's columns, for provgraph verify (streamed).
MATCH (v:PGNodeVersion)
RETURN v.recorded_at AS recorded_at, v.id AS id, v.version AS version, v.kind AS kind,
       v.type AS type, v.opaque AS opaque, v.data AS data, v.digest AS digest,
       v.retracted AS retracted
