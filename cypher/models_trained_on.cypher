// models_trained_on: models that rest on any of the given records, shards or datasets
// ("which models were trained on data subject X's records?"), with the record each reaches.
// Current lineage; the same dependency edges and opaque stops as impact.cypher, so a record
// dropped by a member-level preprocessing step reaches no model.
// Parameters: $ids [string].   Example: :param ids => ['s1', 's2']
// Plan the shortest paths from the bound end outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
UNWIND $ids AS record_id
MATCH (x:PGNode {id: record_id})
MATCH p = ANY SHORTEST (m:PGNode)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy', 'hadMember']
      AND r.follow AND NOT r.retracted AND r.superseded_at = 9223372036854775807
      AND NOT a.opaque
  )+(x)
WHERE m.type = 'Model'
RETURN m.id AS model, x.id AS record, length(p) AS hops
ORDER BY model, record
