// impact_counts_now: how much depends on $root now, by kind and type, from the current
// projection (see project_sources.cypher), without building the edges: one row per set of
// labels with how many nodes, and the ids of the nodes if one of the labels is in $listed.
// Kind and type come from the node's labels (`PG:kind:type` or `PG:kind`, see
// write_batch.cypher), read with the node, and ids are read a group at a time: at 1M nodes,
// counting 712k nodes by their kind and type properties took 3.2-3.8 s, by their labels
// 2.2-2.6 s, and by labels with the ids read by group 2.0-2.3 s (plain Cypher collecting the
// same nodes' ids: 2.5-3.1 s).
// Follows the same edges as impact_now.cypher (the dependency edges).
// Parameters: $root, $listed [string] (labels, such as 'PG:entity:Model').
// Example: :param root => 'B'; :param listed => ['PG:entity:Model', 'PG:entity:System']
MATCH (root:PGNode {id: $root})
MATCH (root)<-[:PG_DEP*]-(n:PGNode)
WITH DISTINCT root, n
WHERE n <> root
WITH labels(n) AS labels, collect(n) AS nodes
RETURN labels, size(nodes) AS count,
       CASE WHEN any(label IN labels WHERE label IN $listed) THEN [x IN nodes | x.id]
            ELSE [] END AS ids
