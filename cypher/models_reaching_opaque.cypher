// models_reaching_opaque: models whose lineage reaches an opaque node (a vendor model with
// undisclosed training data, say): their lineage is incomplete beyond that node. A model
// that is opaque itself is listed with hops = 0.
// Current lineage, over the current projection (:PG_DEP, see project_sources.cypher, which
// has no edges out of an opaque node); kind, type and opacity are tested by label
// (`PG:kind:type` and :PGOpaque, see write_batch.cypher).
// Parameters: none.
// Plan the shortest paths from the start node outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (m:`PG:entity:Model`)
MATCH p = ANY SHORTEST (m)-[:PG_DEP]->*(o:PGOpaque)
RETURN m.id AS model, o.id AS opaque_node, length(p) AS hops
ORDER BY model, opaque_node
