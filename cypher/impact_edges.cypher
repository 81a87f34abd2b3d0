// impact_edges: the dependency edges entering the given nodes (the subgraph of an impact
// answer), with the same filters as impact.cypher.
// Parameters: $ids [string], $relations [string], $as_of.
UNWIND $ids AS id
MATCH (a:PGNode)-[r]->(b:PGNode {id: id})
WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
  AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
  AND (r.src_opaque_from IS NULL
       OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                  WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
RETURN r.key AS key, type(r) AS relation, a.id AS source, b.id AS target, r.role AS role,
       r.data AS data, r.recorded_at AS recorded_at
