// impact: every node that depends on $root (what is affected if $root is bad), with its
// shortest hop count. The mirror of ancestry.cypher: the same edges, walked backwards, so
// x is in impact(y) exactly when y is in ancestry(x).
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now),
//             $max_depth (integer or null).
MATCH (root:PGNode {id: $root})
MATCH p = ANY SHORTEST (n)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
      AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
      AND NOT any(i IN range(0, size(a.opaque_from) - 1)
                  WHERE a.opaque_from[i] <= $as_of AND a.opaque_to[i] > $as_of)
  )+(root)
WITH n, length(p) AS depth
WHERE $max_depth IS NULL OR depth <= $max_depth
RETURN n.id AS id, depth
ORDER BY depth, id
