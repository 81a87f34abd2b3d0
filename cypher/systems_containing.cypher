// systems_containing: compound systems (RAG apps, agents) that contain a model derived from
// $id, or $id itself — e.g. every product touched by a base model whose license changed.
// What depends on $id now is reached once, along the current projection (:PG_DEP, see
// project_sources.cypher); a system is a node of type System (label `PG:entity:System`) with
// a current hadMember relation (read from the history, since a system's own opacity does not
// hide what it contains) to one of the models, adapters or checkpoints reached.
// Parameters: $id.   Example: :param id => 'M1'
MATCH (x:PGNode {id: $id})<-[:PG_DEP*0..]-(m:PGNode)
WITH DISTINCT m
WHERE m.type IN ['Model', 'Adapter', 'Checkpoint']
MATCH (s:PGNode)-[h:hadMember]->(m)
WHERE 'PG:entity:System' IN labels(s)
  AND NOT h.retracted AND h.superseded_at = 9223372036854775807
RETURN s.id AS system, m.id AS model
ORDER BY system, model
