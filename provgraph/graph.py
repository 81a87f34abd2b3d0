"""The Python API: :func:`connect` returns a :class:`Graph`, whose methods are the queries.

>>> import provgraph
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest({"id": "e1", "nodes": [{"id": "ds:a", "kind": "entity", "type": "Dataset"}]})
>>> g.ancestry("ds:a").to_dict()["nodes"]
[]
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from provgraph.clock import NOW, now_us, to_us
from provgraph.errors import InvalidEventError, NotFoundError
from provgraph.events import Event, fold, parse_events
from provgraph.model import RELATION_KINDS, Kind
from provgraph.queries.audit import Audit, audit
from provgraph.queries.diff import Diff, diff
from provgraph.queries.lineage import Lineage, walk
from provgraph.queries.reproduce import Plan, reproduce
from provgraph.queries.where import Where, where
from provgraph.queries.why import Why, why
from provgraph.store import open_store
from provgraph.store.base import Store, StoredNode, StoredRelation, WriteStats

AsOf = datetime | str | None


@dataclass
class IngestResult:
    """What an ingest call did."""

    events: int
    skipped_events: int
    node_versions: int
    relation_versions: int
    retractions: int

    @classmethod
    def of(cls, stats: WriteStats, skipped: int) -> IngestResult:
        """Combine store statistics with the events skipped before writing."""
        return cls(
            events=stats.events, skipped_events=stats.skipped_events + skipped,
            node_versions=stats.node_versions, relation_versions=stats.relation_versions,
            retractions=stats.retractions,
        )

    def to_dict(self) -> dict[str, int]:
        """JSON form."""
        return dict(self.__dict__)


def connect(uri: str | None = None, **options: Any) -> Graph:
    """Open a lineage graph.

    ``uri`` is ``None`` (``$PROVGRAPH_URI``, else the embedded default file), a path or
    ``sqlite:///path``, or a Neo4j URI (``bolt://``, ``neo4j://``, ``neo4j+s://`` ...) with
    ``user`` / ``password`` options or ``NEO4J_USER`` / ``NEO4J_PASSWORD``.

    Raises ConfigurationError (unknown scheme) or StoreUnavailableError (cannot open).
    """
    return Graph(open_store(uri, **options))


class Graph:
    """A lineage graph in one store; every query answers the same on every backend."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def uri(self) -> str:
        """The store's URI (never with a password)."""
        return self.store.uri

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------

    def ingest(
        self,
        events: Event | Mapping[str, Any] | Iterable[Event | Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
        check_kinds: bool = True,
    ) -> IngestResult:
        """Validate and write native events; one transaction a batch.

        The whole input is validated first: if any event is malformed, refers to a node that
        neither the input nor the store defines, or links nodes of the wrong kinds, an
        :class:`InvalidEventError` names the event and the field and nothing is written.
        Events already ingested are skipped, so re-ingest is a no-op. ``batch_size`` splits a
        large input into several transactions (a crash keeps whole batches only);
        ``progress`` is called with the number of events each batch wrote.

        >>> g = connect("sqlite:///:memory:")
        >>> g.ingest([{"id": "e1", "nodes": [{"id": "x", "kind": "entity"}]}]).node_versions
        1
        """
        items: list[Any] = [events] if isinstance(events, (Event, Mapping)) else list(events)
        parsed = parse_events(items)
        known = self.store.known_events([e.id for e in parsed])
        fresh: list[Event] = []
        for event in parsed:
            if event.id not in known:
                fresh.append(event)
            elif known[event.id] != event.digest():
                raise InvalidEventError(
                    f"event {event.id!r}: field id: already ingested with different content;"
                    " a correction needs a new event id"
                )
        self._check_references(fresh, check_kinds)
        skipped = len(parsed) - len(fresh)
        total = WriteStats()
        size = batch_size or max(len(fresh), 1)
        for start in range(0, len(fresh), size):
            chunk = fresh[start : start + size]
            stats = self.store.write(fold(chunk), now_us())
            for name in total.__dict__:
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            if progress:
                progress(len(chunk))
        return IngestResult.of(total, skipped)

    def _check_references(self, events: list[Event], check_kinds: bool = True) -> None:
        """Reject relations to unknown nodes or between nodes of the wrong kinds."""
        kinds: dict[str, Kind] = {}
        for event in events:
            for node in event.nodes:
                kinds[node.id] = node.kind
        wanted = set(kinds)
        for event in events:
            for relation in event.relations:
                wanted.update(x for x in (relation.from_, relation.to, relation.plan) if x)
            wanted.update(event.retract.nodes)
        stored = self.store.nodes(wanted, NOW)
        for event in events:
            for i, node in enumerate(event.nodes):
                old = stored.get(node.id)
                if check_kinds and old is not None and old.kind != node.kind.value:
                    raise InvalidEventError(
                        f"event {event.id!r}: field nodes.{i}.kind: node {node.id!r} is an"
                        f" {old.kind}; a new version cannot make it an {node.kind.value}"
                    )
            for i, relation in enumerate(event.relations):
                expected = RELATION_KINDS[relation.relation]
                for end, node_id, want in (
                    ("from", relation.from_, expected[0]),
                    ("to", relation.to, expected[1]),
                ):
                    have = kinds.get(node_id) or (
                        Kind(stored[node_id].kind) if node_id in stored else None)
                    if have is None:
                        raise InvalidEventError(
                            f"event {event.id!r}: field relations.{i}.{end}: unknown node"
                            f" {node_id!r} (define it in this batch or an earlier one)"
                        )
                    if check_kinds and want is not None and have is not want:
                        raise InvalidEventError(
                            f"event {event.id!r}: field relations.{i}.{end}:"
                            f" {relation.relation.value} needs an {want.value} here, but"
                            f" {node_id!r} is an {have.value}"
                        )
                if relation.plan and relation.plan not in kinds and relation.plan not in stored:
                    raise InvalidEventError(
                        f"event {event.id!r}: field relations.{i}.plan: unknown node"
                        f" {relation.plan!r}"
                    )
            for i, node_id in enumerate(event.retract.nodes):
                if node_id not in kinds and node_id not in stored:
                    raise InvalidEventError(
                        f"event {event.id!r}: field retract.nodes.{i}: unknown node {node_id!r}"
                    )

    # -- reading ------------------------------------------------------------------------

    def node(self, id: str, as_of: AsOf = None) -> StoredNode:
        """The version of node ``id`` valid at ``as_of``; raises NotFoundError if none."""
        found = self.store.nodes([id], to_us(as_of))
        if id not in found:
            raise NotFoundError(f"no node {id!r} in {self.uri}")
        return found[id]

    def relations(self, id: str, as_of: AsOf = None) -> list[StoredRelation]:
        """Every relation valid at ``as_of`` that starts or ends at ``id``."""
        return self.store.relations([id], to_us(as_of))

    def history(self, id: str) -> list[StoredNode]:
        """Every recorded version of node ``id``, oldest first (retractions included)."""
        return self.store.history(id)

    def ancestry(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
    ) -> Lineage:
        """Everything ``id`` depends on, with shortest hop counts and the edges between.

        Stops at opaque nodes and lists them in ``.opaque`` (lineage beyond them is unknown).
        Raises NotFoundError if ``id`` is not known at ``as_of``.

        >>> g = connect("sqlite:///:memory:")
        >>> g.ancestry("model:x")
        Traceback (most recent call last):
        provgraph.errors.NotFoundError: no node 'model:x' in sqlite:///:memory:
        """
        return walk(self.store, id, "down", depth=depth, relations=relations,
                    include_agents=include_agents, as_of=to_us(as_of))

    def impact(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
    ) -> Lineage:
        """Everything that depends on ``id``: what is affected if ``id`` is bad.

        ``.summary()`` lists the affected models, indexes, deployments and systems.
        Raises NotFoundError if ``id`` is not known at ``as_of``.
        """
        return walk(self.store, id, "up", depth=depth, relations=relations,
                    include_agents=include_agents, as_of=to_us(as_of))

    def why(self, id: str, limit: int = 1000, as_of: AsOf = None, explain: bool = False) -> Why:
        """Why-provenance: the minimal sets of sources (data shards, base models, code ...)
        ``id`` is derived from. ``limit`` caps the witnesses (``truncated`` says it bound);
        ``explain=True`` adds, per witness, a path from ``id`` to each of its sources.

        >>> import provgraph
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> g.why("S1-int8").witnesses
        [['B', 'repo@abc', 's1', 's3']]
        """
        return why(self.store, id, limit=limit, as_of=to_us(as_of), explain=explain)

    def depends_on(self, id: str, sources: Iterable[str], as_of: AsOf = None,
                   limit: int = 1000) -> dict[str, str]:
        """Does ``id`` rest on each of ``sources`` (records, shards, models)? For each:
        ``every`` (in every witness: it cannot be made without it), ``some`` or ``none``."""
        return self.why(id, limit=limit, as_of=as_of).membership(sources)

    def dependents(self, sources: Iterable[str], as_of: AsOf = None,
                   types: tuple[str, ...] = ("Model", "Adapter")) -> dict[str, dict[str, str]]:
        """The reverse question: which models rest on any of ``sources``, and how
        (``every`` / ``some``), by why-provenance. Candidates come from impact walks."""
        wanted = list(sources)
        candidates: set[str] = set()
        for source in wanted:
            candidates |= {n.id for n in self.impact(source, as_of=as_of).of_type(*types)
                           if n.kind == "entity"}
        result = {}
        for model in sorted(candidates):
            found = {s: m for s, m in self.depends_on(model, wanted, as_of=as_of).items()
                     if m != "none"}
            if found:
                result[model] = found
        return result

    def where(self, id: str, attribute: str, as_of: AsOf = None) -> Where:
        """Where-provenance: follow ``attribute`` of ``id`` back along recorded copies to
        the node where it was set, with conflicts where a copy differs from its source.

        >>> import provgraph
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> [step["node"] for step in g.where("S1-int8", "tokenizer").chain]
        ['S1-int8', 'S1', 'M1', 'B']
        """
        return where(self.store, id, attribute, as_of=to_us(as_of))

    def diff(self, a: str, b: str, as_of: AsOf = None) -> Diff:
        """Two lineages side by side: data, base model, code, hyperparameters, environment,
        post-training steps and agents that differ."""
        return diff(self.store, a, b, as_of=to_us(as_of))

    def reproduce(self, id: str, as_of: AsOf = None) -> Plan:
        """The reproduction plan of ``id``: its activities in order with exact inputs,
        parameters, code and environment, and what is missing that blocks a re-run."""
        return reproduce(self.store, id, as_of=to_us(as_of))

    def audit(self, id: str, as_of: AsOf = None) -> Audit:
        """The completeness checklist of ``id``'s lineage (``.to_dict()``, ``.to_markdown()``,
        ``.to_html()``)."""
        return audit(self.store, id, as_of=to_us(as_of), now=now_us())

    # -- PROV-JSON ------------------------------------------------------------------------

    def import_prov(self, source: Any) -> IngestResult:
        """Import a PROV-JSON document (a JSON string, a path, a dict or a ``prov``
        ProvDocument), bundles and all; ids keep their qualified names as written.

        Raises InvalidEventError (nothing written) if the document is malformed.
        """
        from provgraph.provjson import load_document, prov_events

        return self.ingest(prov_events(load_document(source)), check_kinds=False)

    def export_prov(self, root: str | None = None, as_of: AsOf = None,
                    out: IO[str] | None = None) -> str:
        """PROV-JSON of ``root``'s ancestry (agents included), or of the whole graph.

        With ``out`` the document is streamed to it (memory stays flat in the graph's size)
        and ``""`` is returned; otherwise the document is returned as a string.

        >>> import provgraph, json
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> sorted(json.loads(g.export_prov("M1"))["entity"])[:3]
        ['pgid:B', 'pgid:M1', 'pgid:c1']
        """
        from provgraph.provjson import export_document

        moment = to_us(as_of)
        ids = None
        if root is not None:
            lineage = self.ancestry(root, as_of=as_of, include_agents=True)
            ids = lineage.ids | {root}
        if out is not None:
            export_document(self.store, ids, moment, out)
            return ""
        buffer = io.StringIO()
        export_document(self.store, ids, moment, buffer)
        return buffer.getvalue()

    # -- OpenLineage ----------------------------------------------------------------------

    def ingest_openlineage(self, events: Any) -> IngestResult:
        """Ingest OpenLineage RunEvents (one dict or a list): each run becomes one activity
        whose START / COMPLETE / FAIL / ABORT events merge in any arrival order.

        Raises InvalidEventError (nothing of the bad event written) if one is malformed.
        """
        from provgraph.openlineage import event_id, parse_run_event, run_id, to_native

        items = [events] if isinstance(events, Mapping) else list(events)
        parsed = [parse_run_event(item) for item in items]
        total = IngestResult(0, 0, 0, 0, 0)
        for event in parsed:
            # A replay is a no-op, whatever has been merged into its run since.
            if self.store.known_events([event_id(event)]):
                total.skipped_events += 1
                continue
            activity = run_id(event)
            ids = {activity, *self._openlineage_refs(event)}
            known = set(self.store.nodes(ids, NOW))
            current = self.store.nodes([activity], NOW).get(activity)
            result = self.ingest(to_native(event, current, known))
            for name in total.__dict__:
                setattr(total, name, getattr(total, name) + getattr(result, name))
        return total

    @staticmethod
    def _openlineage_refs(event: Any) -> set[str]:
        parent = event.run.facets.get("parent")
        refs = set()
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict):
            refs.add(f"openlineage:run/{parent['run'].get('runId')}")
        for dataset in event.inputs + event.outputs:
            lineage = dataset.facets.get("columnLineage")
            fields = lineage.get("fields") if isinstance(lineage, dict) else None
            for spec in (fields or {}).values():
                for source in (spec or {}).get("inputFields", []) or []:
                    if isinstance(source, dict):
                        refs.add(f"openlineage:dataset/{source.get('namespace')}/"
                                 f"{source.get('name')}")
        return refs

    def import_mlflow(self, tracking_uri: str,
                      experiment_ids: Iterable[str] | None = None) -> IngestResult:
        """Import runs, dataset inputs, logged models and registered model versions from an
        MLflow tracking store (needs the ``mlflow`` extra). Re-importing changes nothing."""
        from provgraph.mlflow_import import mlflow_events

        return self.ingest(mlflow_events(tracking_uri, experiment_ids))

    def import_hf_card(self, card: str, repo_id: str, files: Iterable[str] = ()
                       ) -> IngestResult:
        """Import a Hugging Face model card (its README text) of repository ``repo_id``:
        base models, the relation to them (given or inferred as the Hub does, from the card
        and the repository's ``files`` if known), datasets and license. Needs the ``hf``
        extra. Raises InvalidEventError (nothing written) on a malformed card."""
        from provgraph.hf_cards import card_events, front_matter

        meta = front_matter(card)
        mentioned = [f"hf:{b}" for b in _as_list(meta.get("base_model"))]
        mentioned += [f"hf:datasets/{d}" for d in _as_list(meta.get("datasets"))]
        known = set(self.store.nodes(mentioned, NOW))
        return self.ingest(card_events(card, repo_id, files, known))


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [v for v in values if isinstance(v, str)]
