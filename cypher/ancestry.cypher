// ancestry: every node $root depends on. Follows relations whose type is in $relations (by
// default the PROV dependency edges: used, wasGeneratedBy, wasDerivedFrom, wasInformedBy,
// hadMember), valid at $as_of, skipping granularity "members" edges (follow = false), and
// never leaving a node that was opaque at $as_of (each relationship carries its source's
// opaque intervals): lineage beyond an opaque node is unknown, not empty.
// Answers with the subgraph: every edge leaving a node reached (the reach itself is a
// pruning breadth-first search); provgraph computes hop counts from these edges, and
// ancestry_within.cypher answers with hop counts up to a depth.
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now).
// Example: :param root => 'S1-int8'; :param relations => ['used','wasGeneratedBy',
//   'wasDerivedFrom','wasInformedBy','hadMember']; :param as_of => 4611686018427387904
MATCH (root:PGNode {id: $root})
MATCH (root)-[rels*0..]->(a:PGNode)
WHERE all(r IN rels WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
    AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
    AND (r.src_opaque_from IS NULL
         OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                    WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of)))
WITH DISTINCT a
MATCH (a)-[r]->(b:PGNode)
WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
  AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
  AND (r.src_opaque_from IS NULL
       OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                  WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
RETURN r.key AS key, type(r) AS relation, a.id AS source, b.id AS target, r.role AS role,
       r.data AS data, r.recorded_at AS recorded_at
