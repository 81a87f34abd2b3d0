// verify_labels: nodes whose labels do not mirror their kind, type and opacity (see
// write_batch.cypher): a `PG:` label added, removed or changed, or :PGOpaque, outside
// provgraph. Counting queries read these labels.
MATCH (n:PGNode)
WITH n, 'PG:' + n.kind
        + coalesce(':' + replace(replace(n.type, '\\', '\\\\'), '\u0000', '\\0'), '') AS want,
     [label IN labels(n) WHERE label STARTS WITH 'PG:'] AS have
WHERE have <> [want] OR coalesce(n.opaque, false) <> (n:PGOpaque)
RETURN n.id AS id, want, have, coalesce(n.opaque, false) AS opaque
ORDER BY id
LIMIT 1000
