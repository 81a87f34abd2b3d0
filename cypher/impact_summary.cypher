// impact_summary: the models, adapters, indexes, deployments and systems downstream of $id —
// what is affected when a dataset, shard, base model or code commit turns out to be bad
// (a recalled dataset, a base model whose license changed, a commit with a bug).
// Current lineage, over the current projection: :PG_DEP holds exactly the current, followable
// dependency relations whose source is not opaque (see project_sources.cypher), so it follows
// the same edges and stops at the same opaque nodes as provgraph's impact. Kind and type are
// tested by label (`PG:kind:type`, see write_batch.cypher), read with the node.
// Parameters: $id.   Example: :param id => 'B'
// Plan the shortest paths from the bound end outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (x:PGNode {id: $id})
MATCH p = ANY SHORTEST (n:PGNode)-[:PG_DEP]->+(x)
WHERE n:`PG:entity:Model` OR n:`PG:entity:Adapter` OR n:`PG:entity:Checkpoint`
   OR n:`PG:entity:Index` OR n:`PG:entity:Deployment` OR n:`PG:entity:System`
RETURN n.type AS type, n.id AS id, length(p) AS hops
ORDER BY type, id
