// ancestry_within: every node $root depends on, with its shortest hop count, up to
// $max_depth hops (ANY SHORTEST: a breadth-first search per answer).
// Follows relations whose type is in $relations (by default the PROV dependency edges:
// used, wasGeneratedBy, wasDerivedFrom, wasInformedBy, hadMember), valid at $as_of,
// skipping granularity "members" edges (follow = false), and never leaving a node that is
// opaque at $as_of: lineage beyond an opaque node is unknown, not empty.
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now),
//             $max_depth (integer or null).
// Example: :param root => 'S1-int8'; :param relations => ['used','wasGeneratedBy',
//   'wasDerivedFrom','wasInformedBy','hadMember']; :param as_of => 4611686018427387904;
//   :param max_depth => null
// Plan the shortest paths from the start node outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (root:PGNode {id: $root})
MATCH p = ANY SHORTEST (root)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
      AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
      AND (size(r.src_opaque_from) = 0
           OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                      WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
  )+(n)
WITH n, length(p) AS depth
WHERE $max_depth IS NULL OR depth <= $max_depth
RETURN n.id AS id, depth
ORDER BY depth, id
