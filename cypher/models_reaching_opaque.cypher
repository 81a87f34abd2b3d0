// models_reaching_opaque: models whose lineage reaches an opaque node (a vendor model with
// undisclosed training data, say): their lineage is incomplete beyond that node, hops away.
// A model that is opaque itself is listed with hops = 0.
// Current lineage, over the current projection (:PG_DEP, see project_sources.cypher, which
// has no edges out of an opaque node), searched backwards from each opaque node (:PGOpaque,
// usually few) with one breadth-first search that keeps depths (see impact_summary.cypher).
// Parameters: none.
MATCH (o:PGOpaque)
MATCH p = (o)<-[:PG_DEP*0..]-(m:PGNode)
WITH o, m, min(length(p)) AS hops
WHERE 'PG:entity:Model' IN labels(m)
RETURN m.id AS model, o.id AS opaque_node, hops
ORDER BY model, opaque_node
