// deployed_without_approval: deployments whose lineage holds no Approval activity —
// something reached production that nobody signed off.
// Current lineage, along the dependency edges (an approval usually informs the deployment
// run, or is used as its evidence).
// Parameters: none.
MATCH (d:PGNode {kind: 'entity', type: 'Deployment'})
WHERE NOT EXISTS {
  MATCH (d)(
      (a:PGNode)-[r]->(b:PGNode)
      WHERE type(r) IN ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy',
                        'hadMember']
        AND r.follow AND NOT r.retracted AND r.superseded_at = 9223372036854775807
        AND NOT a.opaque
    )+(approval:PGNode {kind: 'activity', type: 'Approval'})
}
RETURN d.id AS deployment
ORDER BY deployment
