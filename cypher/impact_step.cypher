// impact_step: one level of a bounded impact walk (depth N: provgraph runs it N times,
// breadth first, each time from the nodes first reached at the level before): what depends
// directly on the nodes $ids at $as_of. The mirror of ancestry_step.cypher: the same edges,
// walked backwards (an edge leaving a node opaque at $as_of is not followed).
// Parameters: $ids [string], $relations [string], $as_of (µs; 4611686018427387904 = now).
// Example: :param ids => ['B']; :param relations => ['used','wasGeneratedBy',
//   'wasDerivedFrom','wasInformedBy','hadMember']; :param as_of => 4611686018427387904
UNWIND $ids AS id
MATCH (b:PGNode {id: id})<-[r]-(a:PGNode)
WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
  AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
  AND (r.src_opaque_from IS NULL
       OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                  WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
RETURN DISTINCT a.id AS id
