// impact_step_now: one level of a bounded impact walk now (depth N: provgraph runs it N
// times, breadth first, each time from the nodes first reached at the level before), from
// the current projection (see project_sources.cypher): for each node in $ids, the edges
// entering it ([relation, source, role, key, and the source's kind, type and opacity]).
// The mirror of ancestry_step_now.cypher: the same edges, walked backwards.
// Follows the dependency edges (:PG_DEP), and the responsibility edges (:PG_RESP) too when
// $agents (include_agents). Opaque nodes have no projected edges out: what depends on
// something only through an opaque node is not reached, as in impact_step.cypher. The
// explorer's views are such walks; a hub's level reads thin projected edges, never its
// history.
// An edge's key is null unless the relation has an explicit id: the usual key is computed
// by the caller as relation:source->target, with #role when the role is set.
// Parameters: $ids [string], $agents (boolean).
// Example: :param ids => ['B']; :param agents => false
UNWIND $ids AS id
MATCH (n:PGNode {id: id})
RETURN n.id AS id,
       [(n)<-[r:PG_DEP|PG_RESP]-(b) WHERE $agents OR type(r) = 'PG_DEP' |
        [r.rel, b.id, r.role, r.key, b.kind, b.type, coalesce(b.opaque, false)]] AS edges
