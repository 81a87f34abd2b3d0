// ancestry_now: what $root depends on now, from the current projection (see
// project_sources.cypher), in one query: every node reached, with its kind, type
// and opacity, and the edges leaving it ([relation, target, role, key]). Follows the dependency
// edges (:PG_DEP); opaque nodes have no projected edges out, so lineage beyond them is unknown,
// not empty. The reach is a pruning var-length expand, as plain Cypher would write it;
// provgraph computes hop counts from the edges returned. (Rows of lists, $chunk nodes a
// record: a record per node costs more than the walk, one record for all holds a 700k-node
// answer whole in the server's memory.) known: whether $root has a current version.
// An edge's key is null unless the relation has an explicit id: the usual key is computed
// by the caller as relation:source->target, with #role when the role is set.
// Parameters: $root, $forever, $chunk (nodes a record).   Example: :param root => 'S1-int8'
MATCH (root:PGNode {id: $root})
MATCH (root)-[:PG_DEP*0..]->(n:PGNode)
WITH collect(DISTINCT n) AS reached
WITH reached, EXISTS { MATCH (v:PGNodeVersion {id: $root})
                       WHERE v.superseded_at = $forever AND NOT v.retracted } AS known
UNWIND range(0, size(reached) - 1, $chunk) AS i
RETURN known,
       [n IN reached[i..i + $chunk] | [n.id, n.kind, n.type, coalesce(n.opaque, false),
               [(n)-[r:PG_DEP]->(b) | [r.rel, b.id, r.role, r.key]]]] AS rows
