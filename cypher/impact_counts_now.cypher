// impact_counts_now: how much depends on $root now, by kind and type, from the current
// projection (see project_sources.cypher), without building the edges: one row per kind and
// type with how many nodes, and the ids of those whose type is in $listed.
// Follows the same edges as impact_now.cypher (the dependency edges).
// Parameters: $root, $listed [string].
// Example: :param root => 'B'; :param listed => ['Model', 'Deployment', 'System']
MATCH (root:PGNode {id: $root})
MATCH (root)<-[:PG_DEP*]-(n:PGNode)
WITH DISTINCT n
WHERE n.id <> $root
RETURN n.kind AS kind, n.type AS type, count(n) AS count,
       collect(CASE WHEN n.kind = 'entity' AND n.type IN $listed THEN n.id END) AS ids
