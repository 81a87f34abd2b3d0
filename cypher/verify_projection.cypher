// verify_projection: nodes whose projected relationships (see project_sources.cypher) differ
// from what their current relation versions say: an edge missing from the projection, or
// one the projection holds that the history does not (added or left behind outside
// provgraph). Parameters: $forever, $dependency [string], $responsibility [string].
MATCH (a:PGNode)
CALL (a) {
  OPTIONAL MATCH (a)-[r]->(b:PGNode)
  // = true / = false: a flag written by hand as something else is no predicate error
  WHERE coalesce(a.opaque, false) <> true AND r.superseded_at = $forever
    AND r.retracted = false AND r.follow = true
  RETURN collect(CASE WHEN type(r) IN $dependency THEN 'PG_DEP'
                      WHEN type(r) IN $responsibility THEN 'PG_RESP' ELSE 'PG_REL' END
                 + ' ' + type(r) + ' ' + r.key + ' ' + b.id) AS want
}
CALL (a) {
  OPTIONAL MATCH (a)-[p:PG_DEP|PG_RESP|PG_REL]->(b:PGNode)
  RETURN collect(type(p) + ' ' + p.rel + ' '
                 + coalesce(p.key, p.rel + ':' + a.id + '->' + b.id + CASE WHEN coalesce(p.role, '') = '' THEN '' ELSE '#' + p.role END)
                 + ' ' + b.id) AS have
}
WITH a, [x IN want WHERE NOT x IN have] AS missing, [x IN have WHERE NOT x IN want] AS extra
WHERE size(missing) > 0 OR size(extra) > 0
RETURN a.id AS id, missing, extra
ORDER BY id
LIMIT 1000
