// systems_containing: compound systems (RAG apps, agents) that contain a model derived from
// $id, or $id itself — e.g. every product touched by a base model whose license changed.
// A system hadMember its components; the component must depend on $id (current lineage).
// Parameters: $id.   Example: :param id => 'M1'
MATCH (x:PGNode {id: $id})
MATCH (s:PGNode {kind: 'entity', type: 'System'})-[h:hadMember]->(m:PGNode)
WHERE NOT h.retracted AND h.superseded_at = 9223372036854775807
  AND m.type IN ['Model', 'Adapter', 'Checkpoint']
  AND EXISTS {
    MATCH (m)(
        (a:PGNode)-[r]->(b:PGNode)
        WHERE type(r) IN ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasInformedBy',
                          'hadMember']
          AND r.follow AND NOT r.retracted AND r.superseded_at = 9223372036854775807
          AND NOT a.opaque
      )*(x)
  }
RETURN s.id AS system, m.id AS model
ORDER BY system, model
