// upgrade_drop_keys: delete up to $limit of the (:PGRelation {key}) and (:PGClock) nodes that
// stores written before format 2 kept. Relation versions are now found by key between their
// two ends, and writers serialize on the hash chain's unique seq instead of a clock node.
// Run until it deletes nothing. Parameters: $limit.
MATCH (k)
WHERE k:PGRelation OR k:PGClock
WITH k
LIMIT $limit
DETACH DELETE k
RETURN count(*) AS deleted
