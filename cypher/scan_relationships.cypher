// scan_relationships: every relationship in the database, for provgraph verify (streamed).
// provgraph writes relationships only as relation versions (and the current projection,
// which verify_projection.cypher checks against them), so any other one was added outside it.
MATCH (a)-[r]->(b)
WHERE NOT type(r) IN ['PG_DEP', 'PG_RESP', 'PG_REL']
RETURN r.recorded_at AS recorded_at, r.key AS key, r.version AS version,
       type(r) AS relation, a.id AS src, b.id AS dst, r.role AS role, r.follow AS follow,
       r.data AS data, r.digest AS digest, r.retracted AS retracted
