// impact: every node that depends on $root (what is affected if $root is bad). The mirror
// of ancestry.cypher: the same edges, walked backwards, so x is in impact(y) exactly when
// y is in ancestry(x). Answers with the subgraph: every edge entering a node reached
// (a pruning breadth-first search); impact_within.cypher adds hop counts up to a depth.
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now).
MATCH (root:PGNode {id: $root})
MATCH (a:PGNode)-[rels*0..]->(root)
WHERE all(r IN rels WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
    AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
    AND (r.src_opaque_from IS NULL
         OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                    WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of)))
WITH DISTINCT a
MATCH (b:PGNode)-[r]->(a)
WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
  AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
  AND (r.src_opaque_from IS NULL
       OR NOT any(i IN range(0, size(r.src_opaque_from) - 1)
                  WHERE r.src_opaque_from[i] <= $as_of AND r.src_opaque_to[i] > $as_of))
RETURN r.key AS key, type(r) AS relation, b.id AS source, a.id AS target, r.role AS role,
       r.data AS data, r.recorded_at AS recorded_at
