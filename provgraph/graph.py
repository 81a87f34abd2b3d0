"""The Python API: :func:`connect` returns a :class:`Graph`, whose methods are the queries.

>>> import provgraph
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest({"id": "e1", "nodes": [{"id": "ds:a", "kind": "entity", "type": "Dataset"}]})
>>> g.ancestry("ds:a").to_dict()["nodes"]
[]
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from provgraph.clock import NOW, now_us, to_us
from provgraph.errors import ConflictError, InvalidEventError, NotFoundError
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

if TYPE_CHECKING:
    from provgraph.hf_cards import HubCard
    from provgraph.redact import Redaction
    from provgraph.verify import VerifyReport

AsOf = datetime | str | None
_RETRIES = 50


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
        expect: Mapping[str, int] | None = None,
    ) -> IngestResult:
        """Validate and write native events; one transaction a batch.

        The whole input is validated first: if any event is malformed, refers to a node that
        neither the input nor the store defines, or links nodes of the wrong kinds, an
        :class:`InvalidEventError` names the event and the field and nothing is written.
        Events already ingested are skipped, so re-ingest is a no-op. ``batch_size`` splits a
        large input into several transactions (a crash keeps whole batches only);
        ``progress`` is called with the number of events each batch wrote. Concurrent
        writers are safe: an event another writer commits first is skipped, never written
        twice. ``expect`` (node id -> current version, 0 for none) makes the write
        conditional: ConflictError, nothing written, if one of them moved meanwhile.

        >>> g = connect("sqlite:///:memory:")
        >>> g.ingest([{"id": "e1", "nodes": [{"id": "x", "kind": "entity"}]}]).node_versions
        1
        """
        parsed = parse_events(_event_list(events))
        fresh = self._fresh(parsed)
        self._check_references(fresh, check_kinds)
        skipped = len(parsed) - len(fresh)
        total = WriteStats()
        size = batch_size or max(len(fresh), 1)
        for start in range(0, len(fresh), size):
            chunk = fresh[start : start + size]
            for attempt in range(_RETRIES):
                changes = fold(chunk)
                if expect:
                    changes.expect = dict(expect)
                try:
                    stats = self.store.write(changes, now_us())
                    break
                except ConflictError:
                    # Another writer committed some of these events first: drop them (their
                    # content is checked again) and write the rest; a moved expectation is
                    # the caller's to retry.
                    if expect or attempt == _RETRIES - 1:
                        raise
                    before = len(chunk)
                    chunk = self._fresh(chunk)
                    skipped += before - len(chunk)
                    if not chunk:
                        stats = WriteStats()
                        break
            for name in total.__dict__:
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            if progress:
                progress(len(chunk))
        return IngestResult.of(total, skipped)

    def _fresh(self, events: list[Event]) -> list[Event]:
        """The events not ingested yet; InvalidEventError if an id was used for other content."""
        known = self.store.known_events([e.id for e in events])
        fresh: list[Event] = []
        for event in events:
            if event.id not in known:
                fresh.append(event)
            elif known[event.id] != event.digest():
                raise InvalidEventError(
                    f"event {event.id!r}: field id: already ingested with different content;"
                    " a correction needs a new event id"
                )
        return fresh

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

    def import_prov(self, source: Any,
                    progress: Callable[[int], None] | None = None) -> IngestResult:
        """Import a PROV-JSON document (a JSON string, a path, a dict or a ``prov``
        ProvDocument), bundles and all; ids keep their qualified names as written.

        Merges as PROV does: a node the document only names inside relations is referenced,
        not described (no new version); a node declared again is unified with the stored one
        (union of attributes) as a new version. A large document is written in chunks of
        bounded size, one transaction each; importing it again completes an interrupted import.
        Raises InvalidEventError (nothing written) if the document is malformed.
        """
        from provgraph.prov_merge import import_events
        from provgraph.provjson import load_document

        events, done = import_events(
            load_document(source), self.store.known_events,
            lambda ids: self.store.nodes(ids, NOW),
            lambda ids: self.store.relations(ids, NOW, outgoing=True))
        result = self.ingest(events, check_kinds=False, batch_size=1, progress=progress)
        result.skipped_events += done
        return result

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
        from provgraph.provjson import chain_stamp, export_document

        moment = to_us(as_of)
        # The chain head at the export: what an auditor can later check the file against.
        head = self.store.chain_at(moment)
        at = head.recorded_at if head is not None and moment >= NOW else moment
        stamp = chain_stamp(head, at, root)
        if out is not None:
            export_document(self.store, self._export_ids(root, at), at, out, stamp)
            return ""
        return self._export_at(root, at, stamp)

    # -- tamper evidence and erasure --------------------------------------------------------

    def verify(self, head: str | None = None) -> VerifyReport:
        """Check the store against its hash chain: every row, entry and derived value; with
        ``head`` (``SEQ:HASH``) also that the chain still contains that entry.
        See :mod:`provgraph.verify`."""
        from provgraph.verify import verify

        return verify(self.store, head)

    def verify_export(self, document: Any) -> list[str]:
        """Differences between an exported PROV-JSON document and what this store, verified
        by its chain, exports at the chain head the document declares (empty: unedited).
        The store's own chain is checked too; its problems come first."""
        from provgraph.provjson import CHAIN_PREFIX, load_document, parse_chain_stamp

        given = load_document(document)
        stamp = given.get("prefix", {}).get(CHAIN_PREFIX)
        if not isinstance(stamp, str):
            raise InvalidEventError("this PROV-JSON document carries no provgraph chain stamp "
                                    f"(prefix {CHAIN_PREFIX!r}); it was not exported by "
                                    "provgraph, or the stamp was removed")
        seq, digest, at, root = parse_chain_stamp(stamp)
        problems = self.verify(f"{seq}:{digest}").problems
        expected = json.loads(self._export_at(root, at, stamp))
        for section in sorted(set(given) | set(expected)):
            mine, theirs = expected.get(section, {}), given.get(section, {})
            if not isinstance(mine, dict) or not isinstance(theirs, dict):
                problems.append(f"export: section {section!r} differs")
                continue
            for record in sorted(set(mine) | set(theirs)):
                if record not in theirs:
                    problems.append(f"export: {section} {record!r} was removed from the file")
                elif record not in mine:
                    problems.append(f"export: {section} {record!r} was added to the file")
                elif mine[record] != theirs[record]:
                    problems.append(f"export: {section} {record!r} was edited in the file")
        return problems

    def _export_ids(self, root: str | None, at: int) -> set[str] | None:
        """What an export of ``root`` holds: its ancestry with agents (None: everything)."""
        if root is None:
            return None
        lineage = walk(self.store, root, "down", depth=None, relations=None,
                       include_agents=True, as_of=at)
        return lineage.ids | {root}

    def _export_at(self, root: str | None, at: int, stamp: str) -> str:
        from provgraph.provjson import export_document

        buffer = io.StringIO()
        export_document(self.store, self._export_ids(root, at), at, buffer, stamp)
        return buffer.getvalue()

    def redact(self, ids: Iterable[str], attributes: Iterable[str], salt: bytes | None = None,
               reason: str | None = None) -> Redaction:
        """Erase personal data: replace ``attributes`` of nodes ``ids``, in every recorded
        version, by salted hashes; recorded as its own event and chain entry, so the graph
        keeps its shape and ``verify`` still passes. See :mod:`provgraph.redact`."""
        from provgraph.redact import redact

        return redact(self.store, ids, attributes, salt, reason)

    # -- OpenLineage ----------------------------------------------------------------------

    def ingest_openlineage(self, events: Any) -> IngestResult:
        """Ingest OpenLineage RunEvents (one dict or a list): each run becomes one activity
        whose START / COMPLETE / FAIL / ABORT events merge in any arrival order.

        Raises InvalidEventError (nothing of the bad event written) if one is malformed.
        """
        from provgraph.openlineage import event_id, parse_run_event, run_id, to_native

        items = _event_list(events)
        parsed = [parse_run_event(item) for item in items]
        total = IngestResult(0, 0, 0, 0, 0)
        for event in parsed:
            # A replay is a no-op, whatever has been merged into its run since.
            if self.store.known_events([event_id(event)]):
                total.skipped_events += 1
                continue
            activity = run_id(event)
            ids = {activity, *self._openlineage_refs(event)}
            for attempt in range(_RETRIES):
                # Merge into the run as it is now; if another event of the run lands first,
                # merge again (read-merge-write with a version check: nothing is lost).
                known = set(self.store.nodes(ids, NOW))
                current = self.store.nodes([activity], NOW).get(activity)
                try:
                    result = self.ingest(to_native(event, current, known),
                                         expect={activity: current.version if current else 0})
                    break
                except ConflictError:
                    if attempt == _RETRIES - 1:
                        raise
                    time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
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
        from provgraph.hf_cards import HubCard

        return self.import_hf_cards([HubCard(card, repo_id, None, tuple(files))])

    def import_hf_cards(self, cards: Iterable[HubCard]) -> IngestResult:
        """Import several model cards (see :func:`provgraph.hf_cards.read_card`) in one
        call: every card is validated first, and a bad one writes nothing of any."""
        from provgraph.hf_cards import card_events, front_matter

        cards = list(cards)
        mentioned = []
        for card in cards:
            meta = front_matter(card.text)
            mentioned += [f"hf:{b}" for b in _as_list(meta.get("base_model"))]
            mentioned += [f"hf:datasets/{d}" for d in _as_list(meta.get("datasets"))]
        known = set(self.store.nodes(mentioned, NOW))
        events = []
        for card in cards:
            events += card_events(card.text, card.repo_id, card.files, known, card.revision)
            # A later card's mention of an earlier card's model must not overwrite it.
            known.add(f"hf:{card.repo_id}")
        return self.ingest(events)


def _event_list(events: Any) -> list[Any]:
    """One event or an iterable of them as a list; InvalidEventError for anything else."""
    if isinstance(events, (Event, Mapping)):
        return [events]
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise InvalidEventError("expected an event (a JSON object) or a list of events, got "
                                f"{type(events).__name__}")
    return list(events)


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [v for v in values if isinstance(v, str)]
