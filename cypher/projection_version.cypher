// projection_version: which version of the current projection this database holds (none
// before provgraph kept one: the store is then upgraded on connect).
MATCH (m:PGMeta {id: 'projection'})
RETURN m.version AS version
