// ancestry: every node $root depends on (plain reachability, which Neo4j runs as a pruning
// search; provgraph computes hop counts from the edges ancestry_edges.cypher returns, and
// ancestry_within.cypher answers with hop counts up to a depth).
// Follows relations whose type is in $relations (by default the PROV dependency edges:
// used, wasGeneratedBy, wasDerivedFrom, wasInformedBy, hadMember), valid at $as_of,
// skipping granularity "members" edges (follow = false), and never leaving a node that is
// opaque at $as_of: lineage beyond an opaque node is unknown, not empty.
// Parameters: $root, $relations [string], $as_of (µs; 4611686018427387904 = now).
// Example: :param root => 'S1-int8'; :param relations => ['used','wasGeneratedBy',
//   'wasDerivedFrom','wasInformedBy','hadMember']; :param as_of => 4611686018427387904
MATCH (root:PGNode {id: $root})
MATCH (root)(
    (a:PGNode)-[r]->(b:PGNode)
    WHERE type(r) IN $relations AND r.follow AND NOT r.retracted
      AND r.recorded_at <= $as_of AND r.superseded_at > $as_of
      AND (size(a.opaque_from) = 0
           OR NOT any(i IN range(0, size(a.opaque_from) - 1)
                      WHERE a.opaque_from[i] <= $as_of AND a.opaque_to[i] > $as_of))
  )+(n:PGNode)
RETURN DISTINCT n.id AS id
ORDER BY id
