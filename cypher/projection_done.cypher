// projection_done: record that the current projection of every node is built, at $version.
MERGE (m:PGMeta {id: 'projection'})
SET m.version = $version
