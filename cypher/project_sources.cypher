// project_sources: rebuild the current projection of the relations leaving the given nodes.
// The projection holds one thin relationship per current, followable relation (not
// retracted, not granularity "members") whose source is not opaque now:
// :PG_DEP for dependency relations, :PG_RESP for responsibility relations, :PG_REL for the
// others, each with the PROV relation name (rel) and role, and its key only where it is not
// rel:from->to#role (an explicit relation id; readers compute the usual key). Walks "now" follow it
// instead of the version history. Run in the same transaction as the history it mirrors.
// Parameters: $ids [string], $forever, $dependency [string], $responsibility [string].
UNWIND $ids AS id
MATCH (a:PGNode {id: id})
CALL (a) {
  OPTIONAL MATCH (a)-[p:PG_DEP|PG_RESP|PG_REL]->()
  DELETE p
}
CALL (a) {
  MATCH (a)-[r]->(b:PGNode)
  WHERE NOT coalesce(a.opaque, false) AND r.superseded_at = $forever AND NOT r.retracted
    AND r.follow
  CREATE (a)-[p:$(CASE WHEN type(r) IN $dependency THEN 'PG_DEP'
                       WHEN type(r) IN $responsibility THEN 'PG_RESP'
                       ELSE 'PG_REL' END)]->(b)
  SET p.rel = type(r), p.role = r.role,
      p.key = CASE WHEN r.key = type(r) + ':' + a.id + '->' + b.id
                          + CASE WHEN coalesce(r.role, '') = '' THEN '' ELSE '#' + r.role END
                   THEN null ELSE r.key END
}
RETURN count(a) AS projected
