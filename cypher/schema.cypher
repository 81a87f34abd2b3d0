// schema: constraints and indexes provgraph creates on connect (idempotent).
// One statement per line group, separated by semicolons; the backend runs each in turn.
CREATE CONSTRAINT pg_node_id IF NOT EXISTS FOR (n:PGNode) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT pg_node_version IF NOT EXISTS FOR (v:PGNodeVersion) REQUIRE (v.id, v.version) IS UNIQUE;
CREATE CONSTRAINT pg_event_id IF NOT EXISTS FOR (e:PGEvent) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT pg_chain_seq IF NOT EXISTS FOR (c:PGChain) REQUIRE c.seq IS UNIQUE;
CREATE CONSTRAINT pg_meta_id IF NOT EXISTS FOR (m:PGMeta) REQUIRE m.id IS UNIQUE;
CREATE INDEX pg_node_type IF NOT EXISTS FOR (n:PGNode) ON (n.type);
CREATE INDEX pg_node_version_id IF NOT EXISTS FOR (v:PGNodeVersion) ON (v.id, v.superseded_at)
