// upgrade_drop_constraints: the constraints of the nodes upgrade_drop_keys.cypher deletes.
DROP CONSTRAINT pg_relation_key IF EXISTS;
DROP CONSTRAINT pg_clock_id IF EXISTS
