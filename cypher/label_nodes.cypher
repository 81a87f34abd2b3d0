// label_nodes: give the nodes $ids the labels that mirror their kind, type and opacity (see
// write_batch.cypher): what a store written before format 3 lacks. Idempotent.
// Parameters: $ids [string].
UNWIND $ids AS id
MATCH (n:PGNode {id: id})
SET n:$('PG:' + n.kind
        + coalesce(':' + replace(replace(n.type, '\\', '\\\\'), '\u0000', '\\0'), ''))
FOREACH (_ IN CASE WHEN coalesce(n.opaque, false) THEN [1] ELSE [] END | SET n:PGOpaque)
RETURN count(n) AS labelled
