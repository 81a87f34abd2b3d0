// impact_within: every node that depends on $root within $max_depth hops, with its shortest
// hop count (ANY SHORTEST). The mirror of ancestry_within.cypher: the same edges, walked
// backwards.
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now),
//             $max_depth (integer or null).
// Plan the shortest paths from the start node outwards (one search), never as one
// search per (start, end) pair over every node, which the planner may pick on small graphs.
CYPHER statefulShortestPlanningMode=all_if_possible
MATCH (root:PGNode {id: $root})
MATCH p = ANY SHORTEST (n)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
      AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
      AND (size(r.src_opaque_from) = 0
           OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                      WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
  )+(root)
WITH n, length(p) AS depth
WHERE $max_depth IS NULL OR depth <= $max_depth
RETURN n.id AS id, depth
ORDER BY depth, id
