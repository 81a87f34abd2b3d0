// ancestry_now: what $root depends on now, from the current projection (see
// project_sources.cypher), in one query: each node reached with its shortest hop count, its
// kind, type and opacity, and the edges leaving it ([relation, target, key, role]).
// Follows :PG_DEP edges when $dependency, :PG_RESP when $responsibility, and any projected
// edge whose relation is in $relations; edges leave only nodes below $max_depth hops.
// Opaque nodes have no projected edges out: lineage beyond them is unknown, not empty.
// Parameters: $root, $dependency (bool), $responsibility (bool), $relations [string],
//             $max_depth (integer or null).
// Example: :param root => 'S1-int8'; :param dependency => true;
//   :param responsibility => false; :param relations => []; :param max_depth => null
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (root:PGNode {id: $root})
CALL (root) {
  MATCH p = ANY SHORTEST (root)(()-[r:PG_DEP|PG_RESP|PG_REL]->()
      WHERE (type(r) = 'PG_DEP' AND $dependency) OR (type(r) = 'PG_RESP' AND $responsibility)
         OR r.rel IN $relations)+(n)
  RETURN n, length(p) AS depth
  UNION ALL
  RETURN root AS n, 0 AS depth
}
WITH n, min(depth) AS depth
WHERE $max_depth IS NULL OR depth <= $max_depth
CALL (n, depth) {
  OPTIONAL MATCH (n)-[r:PG_DEP|PG_RESP|PG_REL]->(b)
  WHERE ($max_depth IS NULL OR depth < $max_depth)
    AND ((type(r) = 'PG_DEP' AND $dependency) OR (type(r) = 'PG_RESP' AND $responsibility)
         OR r.rel IN $relations)
  RETURN collect([r.rel, b.id, r.key, r.role]) AS edges
}
RETURN [n.id, depth, n.kind, n.type, coalesce(n.opaque, false), edges] AS row
