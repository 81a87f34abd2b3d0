// systems_containing: compound systems (RAG apps, agents) that contain a model derived from
// $id, or $id itself — e.g. every product touched by a base model whose license changed.
// A system hadMember its components (its current hadMember relations, read from the history,
// since a system's own opacity does not hide what it contains); the component must depend on
// $id now, along the current projection (:PG_DEP, see project_sources.cypher).
// Parameters: $id.   Example: :param id => 'M1'
MATCH (x:PGNode {id: $id})
MATCH (s:`PG:entity:System`)-[h:hadMember]->(m:PGNode)
WHERE NOT h.retracted AND h.superseded_at = 9223372036854775807
  AND m.type IN ['Model', 'Adapter', 'Checkpoint']
  AND EXISTS { MATCH (m)-[:PG_DEP]->*(x) }
RETURN s.id AS system, m.id AS model
ORDER BY system, model
