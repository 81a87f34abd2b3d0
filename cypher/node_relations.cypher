// node_relations: the first $limit relations valid at $as_of with an end at $id, by key, and
// how many there are: only the page's properties are read and sent (a hub has thousands).
// Parameters: $id, $as_of, $limit.   Example: :param id => 'B'
MATCH (n:PGNode {id: $id})-[r]-()
WHERE r.recorded_at <= $as_of AND r.superseded_at > $as_of AND NOT r.retracted
WITH DISTINCT r
ORDER BY r.key
WITH collect(r) AS found
RETURN size(found) AS total,
       [r IN found[..$limit] | [r.key, type(r), startNode(r).id, endNode(r).id, r.role, r.data,
                                r.recorded_at]] AS rows
