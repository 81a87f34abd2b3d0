// node_keys: a page of (:PGNode) ids after $after, in id order (every node ever written,
// retracted or not), for batch jobs over all nodes such as building the projection.
// Parameters: $after (string), $limit (integer).
MATCH (n:PGNode)
WHERE n.id > $after
RETURN n.id AS id
ORDER BY id
LIMIT $limit
