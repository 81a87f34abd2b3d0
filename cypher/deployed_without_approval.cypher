// deployed_without_approval: deployments whose lineage holds no Approval activity —
// something reached production that nobody signed off.
// Current lineage, along the current projection of the dependency edges (:PG_DEP, see
// project_sources.cypher; an approval usually informs the deployment run, or is used as its
// evidence). Kind and type are read from the labels (`PG:kind:type`, see write_batch.cypher).
// Parameters: none.
MATCH (d:PGNode {type: 'Deployment'})
WHERE 'PG:entity:Deployment' IN labels(d)
  AND NOT EXISTS {
    MATCH (d)-[:PG_DEP*]->(a:PGNode)
    WHERE 'PG:activity:Approval' IN labels(a)
  }
RETURN d.id AS deployment
ORDER BY deployment
