// models_trained_on: models that rest on any of the given records, shards or datasets
// ("which models were trained on data subject X's records?"), with the record each reaches
// and how many hops away the model is.
// Current lineage, over the current projection (:PG_DEP, see project_sources.cypher): the
// same dependency edges and opaque stops as provgraph's impact, so a record dropped by a
// member-level preprocessing step (a `used` edge with granularity "members") reaches no model.
// One breadth-first search a record, keeping depths (see impact_summary.cypher): at 1M
// nodes, three shards reaching 18k models in under a second.
// Parameters: $ids [string].   Example: :param ids => ['s1', 's2']
UNWIND $ids AS record_id
MATCH p = (x:PGNode {id: record_id})<-[:PG_DEP*]-(m:PGNode)
WITH x, m, min(length(p)) AS hops
WHERE m <> x AND m.type = 'Model'
RETURN m.id AS model, x.id AS record, hops
ORDER BY model, record
