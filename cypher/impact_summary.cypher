// impact_summary: the models, adapters, indexes, deployments and systems downstream of $id —
// what is affected when a dataset, shard, base model or code commit turns out to be bad
// (a recalled dataset, a base model whose license changed, a commit with a bug).
// Current lineage; the same dependency edges and opaque stops as impact.cypher.
// Parameters: $id.   Example: :param id => 'B'
// Plan the shortest paths from the bound end outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (x:PGNode {id: $id})
MATCH p = ANY SHORTEST (n:PGNode)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy', 'hadMember']
      AND r.follow AND NOT r.retracted AND r.superseded_at = 9223372036854775807
      AND NOT a.opaque
  )+(x)
WHERE n.kind = 'entity'
  AND n.type IN ['Model', 'Adapter', 'Checkpoint', 'Index', 'Deployment', 'System']
RETURN n.type AS type, n.id AS id, length(p) AS hops
ORDER BY type, id
