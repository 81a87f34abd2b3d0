// models_trained_on: models that rest on any of the given records, shards or datasets
// ("which models were trained on data subject X's records?"), with the record each reaches.
// Current lineage, over the current projection (:PG_DEP, see project_sources.cypher): the
// same dependency edges and opaque stops as provgraph's impact, so a record dropped by a
// member-level preprocessing step (a `used` edge with granularity "members") reaches no model.
// Parameters: $ids [string].   Example: :param ids => ['s1', 's2']
// Plan the shortest paths from the bound end outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
UNWIND $ids AS record_id
MATCH (x:PGNode {id: record_id})
MATCH p = ANY SHORTEST (m:PGNode)-[:PG_DEP]->+(x)
WHERE m.type = 'Model'
RETURN m.id AS model, x.id AS record, length(p) AS hops
ORDER BY model, record
