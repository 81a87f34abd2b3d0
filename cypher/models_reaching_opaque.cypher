// models_reaching_opaque: models whose lineage reaches an opaque node (a vendor model with
// undisclosed training data, say): their lineage is incomplete beyond that node. A model
// that is opaque itself is listed with hops = 0.
// Parameters: none.
// Plan the shortest paths from the start node outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (m:PGNode {kind: 'entity', type: 'Model'})
MATCH p = ANY SHORTEST (m)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy', 'hadMember']
      AND r.follow AND NOT r.retracted AND r.superseded_at = 9223372036854775807
      AND NOT a.opaque
  )*(o:PGNode)
WHERE o.opaque
RETURN m.id AS model, o.id AS opaque_node, length(p) AS hops
ORDER BY model, opaque_node
