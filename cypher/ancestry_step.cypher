// ancestry_step: one level of a bounded ancestry walk (depth N: provgraph runs it N times,
// breadth first, each time from the nodes first reached at the level before): what the
// nodes $ids directly depend on at $as_of.
// Follows relations whose type is in $relations (by default the PROV dependency edges:
// used, wasGeneratedBy, wasDerivedFrom, wasInformedBy, hadMember), valid at $as_of,
// skipping granularity "members" edges (follow = false), and never leaving a node that is
// opaque at $as_of: lineage beyond an opaque node is unknown, not empty.
// Parameters: $ids [string], $relations [string], $as_of (µs; 4611686018427387904 = now).
// Example: :param ids => ['S1-int8']; :param relations => ['used','wasGeneratedBy',
//   'wasDerivedFrom','wasInformedBy','hadMember']; :param as_of => 4611686018427387904
UNWIND $ids AS id
MATCH (a:PGNode {id: id})-[r]->(b:PGNode)
WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
  AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
  AND (r.src_opaque_from IS NULL
       OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                  WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
RETURN DISTINCT b.id AS id
