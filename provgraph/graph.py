"""The Python API: :func:`connect` returns a :class:`Graph`, a facade whose methods delegate
to the ingest pipeline (:mod:`provgraph.ingest`), the queries (:mod:`provgraph.queries`), the
formats (:mod:`provgraph.formats`), verification and redaction.

>>> import provgraph
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest({"id": "e1", "nodes": [{"id": "ds:a", "kind": "entity", "type": "Dataset"}]})
>>> g.ancestry("ds:a").to_dict()["nodes"]
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal, overload

from provgraph.clock import now_us, to_us
from provgraph.errors import NotFoundError
from provgraph.events import Event
from provgraph.formats.cyclonedx import export_cyclonedx
from provgraph.formats.dvc import read_dvc
from provgraph.formats.hf_cards import HubCard, hub_events
from provgraph.formats.mlflow import mlflow_events
from provgraph.formats.openlineage import ingest_run_events
from provgraph.formats.prov_merge import prov_import_events
from provgraph.formats.prov_write import export_prov
from provgraph.ingest import IngestResult, ingest
from provgraph.queries import explore
from provgraph.queries.audit import Audit, audit
from provgraph.queries.dependents import dependents
from provgraph.queries.describe import describe
from provgraph.queries.diff import Diff, diff
from provgraph.queries.licenses import Licenses, licenses
from provgraph.queries.lineage import (
    ImpactSummary,
    Lineage,
    impact_summary,
    lineage_lines,
    walk,
)
from provgraph.queries.reproduce import Plan, reproduce
from provgraph.queries.takedown import Takedown, takedown
from provgraph.queries.where import Where, where
from provgraph.queries.why import Why, why
from provgraph.redact import Redaction, redact
from provgraph.store import open_store
from provgraph.store.base import Store, StoredNode, StoredRelation
from provgraph.verify import VerifyReport, verify, verify_export

__all__ = ["Graph", "IngestResult", "connect"]

AsOf = datetime | str | None


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
        large input into several transactions (a crash keeps whole batches only), and so
        does a store that bounds a transaction's rows (Neo4j: 20,000), at event boundaries;
        ``progress`` is called with the number of events each batch wrote. Concurrent
        writers are safe: an event another writer commits first is skipped, never written
        twice. ``expect`` (node id -> current version, 0 for none) makes the write
        conditional: ConflictError, nothing written, if one of them moved meanwhile (its
        ``moved`` maps each such node to its version now and the one expected).

        >>> g = connect("sqlite:///:memory:")
        >>> g.ingest([{"id": "e1", "nodes": [{"id": "x", "kind": "entity"}]}]).node_versions
        1
        """
        return ingest(self.store, events, batch_size=batch_size, progress=progress,
                      check_kinds=check_kinds, expect=expect)

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

    @overload
    def impact(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
        summary: Literal[False] = False,
    ) -> Lineage: ...

    @overload
    def impact(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None, *,
        summary: Literal[True],
    ) -> ImpactSummary: ...

    def impact(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
        summary: bool = False,
    ) -> Lineage | ImpactSummary:
        """Everything that depends on ``id``: what is affected if ``id`` is bad.

        ``.summary()`` lists the affected models, indexes, deployments and systems. With
        ``summary=True`` the answer is only that, with counts by type, computed in the
        database without building the edges (fast on a hub with hundreds of thousands of
        dependents). Raises NotFoundError if ``id`` is not known at ``as_of``.

        >>> import provgraph
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> g.impact("s1", summary=True).affected["Model"]
        ['M1', 'S1', 'S1-int8']
        """
        if summary:
            return impact_summary(self.store, id, depth=depth, relations=relations,
                                  include_agents=include_agents, as_of=to_us(as_of))
        return walk(self.store, id, "up", depth=depth, relations=relations,
                    include_agents=include_agents, as_of=to_us(as_of))

    def ancestry_lines(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
    ) -> Iterator[str]:
        """:meth:`ancestry` as JSON Lines, one record a line, written as the store walks
        (docs/queries.md): for answers too large to hold. NotFoundError is raised here,
        before the first line.

        >>> import provgraph
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> next(g.ancestry_lines("S1-int8"))
        '{"root":"S1-int8"}'
        """
        return lineage_lines(self.store, id, "down", depth=depth, relations=relations,
                             include_agents=include_agents, as_of=to_us(as_of))

    def impact_lines(
        self, id: str, depth: int | None = None, as_of: AsOf = None,
        include_agents: bool = False, relations: Iterable[str] | None = None,
    ) -> Iterator[str]:
        """:meth:`impact` as JSON Lines, written as the store walks; the last line holds
        the opaque nodes and the summary. NotFoundError is raised here, before the first
        line."""
        return lineage_lines(self.store, id, "up", depth=depth, relations=relations,
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

    def takedown(self, ids: Iterable[str], as_of: AsOf = None, limit: int = 1000,
                 plan: bool = False) -> Takedown:
        """What must be retrained if the data ``ids`` (datasets, shards, members) is removed:
        every node downstream in ``must_retrain`` (every witness of its why-provenance
        contains a removed item; the proof is the witnesses and a path to each),
        ``unaffected`` (a witness avoids them: the alternative is named) or ``unknown`` (the
        dependence passes through an opaque node, or a collection used as a whole lost a
        member; the reason is given). ``plan=True`` adds each must-retrain entity's
        reproduction plan with the removed items excluded. See
        :mod:`provgraph.queries.takedown`.

        >>> import provgraph
        >>> g = provgraph.connect("sqlite:///:memory:")
        >>> _ = g.ingest(provgraph.demo.reference_events())
        >>> [m["id"] for m in g.takedown(["s3"]).must_retrain if m["type"] == "Model"]
        ['M1', 'S1', 'S1-int8']
        """
        return takedown(self.store, ids, as_of=to_us(as_of), limit=limit, plan=plan)

    def licenses(self, id: str, as_of: AsOf = None,
                 table: dict[str, dict[str, Any]] | None = None) -> Licenses:
        """Which licences bind model ``id`` and why (each with the path it arrived along:
        bases' weight licences through fine-tunes, adapters, quantizations and merges, a
        teacher's terms through a distillation, datasets' licences through training), and
        the conflicts with what ``id`` declares. ``table`` replaces the model licence table
        (default: the built-in one and ``$PROVGRAPH_LICENSES``). See
        :mod:`provgraph.queries.licenses`."""
        return licenses(self.store, id, as_of=to_us(as_of), known=table)

    def depends_on(self, id: str, sources: Iterable[str], as_of: AsOf = None,
                   limit: int = 1000) -> dict[str, str]:
        """Does ``id`` rest on each of ``sources`` (records, shards, models)? For each:
        ``every`` (in every witness: it cannot be made without it), ``some`` or ``none``."""
        return self.why(id, limit=limit, as_of=as_of).membership(sources)

    def dependents(self, sources: Iterable[str], as_of: AsOf = None,
                   types: tuple[str, ...] = ("Model", "Adapter")) -> dict[str, dict[str, str]]:
        """The reverse question: which models rest on any of ``sources``, and how
        (``every`` / ``some``), by why-provenance. Candidates come from impact walks."""
        return dependents(self.store, sources, to_us(as_of), types)

    def describe(self, id: str, as_of: AsOf = None, limit: int | None = None) -> dict[str, Any]:
        """One node as ``provgraph show`` prints it: its version at ``as_of``, its relations
        then and its version history. With ``limit``, the first ``limit`` relations by key
        and ``relations_total`` (a hub's page). Raises NotFoundError if ``id`` is not known
        then."""
        return describe(self.store, id, to_us(as_of), limit)

    def search(self, text: str, as_of: AsOf = None, limit: int = 20) -> list[dict[str, Any]]:
        """Nodes whose id starts with ``text`` or whose type is ``text`` (or ``Text``), in id
        order: ``{"id", "kind", "type", "opaque"}`` each (the explorer's search box)."""
        return explore.search(self.store, text, to_us(as_of), limit)

    def neighbourhood(self, id: str, direction: Literal["down", "up", "both"] = "down",
                      depth: int = 1, limit: int = 50, offset: int = 0,
                      as_of: AsOf = None) -> dict[str, Any]:
        """The explorer's view of ``id``: its lineage within ``depth`` hops, each node
        showing at most ``limit`` neighbours (``more`` counts the rest); see
        :func:`provgraph.queries.explore.neighbourhood`."""
        return explore.neighbourhood(self.store, id, direction=direction, depth=depth,
                                     limit=limit, offset=offset, as_of=to_us(as_of))

    def timeline(self, limit: int = 500) -> list[dict[str, Any]]:
        """When the chain's batches were recorded (about ``limit`` of them, first and last
        included): the times an ``as_of`` view can show."""
        return explore.timeline(self.store, limit)

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

    def import_prov(self, source: Any, progress: Callable[[int], None] | None = None,
                    chunks: Callable[[int], None] | None = None) -> IngestResult:
        """Import a PROV-JSON document (a JSON string, a path, a dict or a ``prov``
        ProvDocument), bundles and all; ids keep their qualified names as written.

        Merges as PROV does: a node the document only names inside relations is referenced,
        not described (no new version); a node declared again is unified with the stored one
        (union of attributes) as a new version. A large document is written in chunks of
        bounded size, one transaction each; importing it again completes an interrupted import.
        Raises InvalidEventError (nothing written) if the document is malformed.

        ``chunks`` is told, once the document is read and before anything is written, how
        many chunks are left to write; ``progress`` then counts them as they are written
        (what a progress bar needs).
        """
        events, done = prov_import_events(self.store, source)
        if chunks is not None:
            chunks(len(events))
        result = ingest(self.store, events, check_kinds=False, batch_size=1, progress=progress)
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
        return export_prov(self.store, root, to_us(as_of), out)

    def export_cyclonedx(self, id: str, as_of: AsOf = None) -> str:
        """A CycloneDX 1.6 ML-BOM of model ``id`` (JSON text): the model with its model card,
        its base models as pedigree ancestors, datasets as data components referenced from
        the model card, recorded runs in formulation, hashes and licences, stamped with the
        chain head so ``verify_export`` can check it. Needs ``provgraph[cyclonedx]``; see
        :mod:`provgraph.formats.cyclonedx`."""
        return export_cyclonedx(self.store, id, to_us(as_of))

    # -- tamper evidence and erasure --------------------------------------------------------

    def verify(self, head: str | None = None) -> VerifyReport:
        """Check the store against its hash chain: every row, entry and derived value; with
        ``head`` (``SEQ:HASH``) also that the chain still contains that entry.
        See :mod:`provgraph.verify`."""
        return verify(self.store, head)

    def verify_export(self, document: Any) -> list[str]:
        """Differences between an exported PROV-JSON document (or CycloneDX ML-BOM) and what
        this store, verified by its chain, exports at the chain head the document declares
        (empty: unedited).
        The store's own chain is checked too; its problems come first."""
        return verify_export(self.store, document)

    def redact(self, ids: Iterable[str], attributes: Iterable[str], salt: bytes | None = None,
               reason: str | None = None) -> Redaction:
        """Erase personal data: replace ``attributes`` of nodes ``ids``, in every recorded
        version, by salted hashes; recorded as its own event and chain entry, so the graph
        keeps its shape and ``verify`` still passes. See :mod:`provgraph.redact`."""
        return redact(self.store, ids, attributes, salt, reason)

    # -- other lineage in ------------------------------------------------------------------

    def ingest_openlineage(self, events: Any, *,
                           progress: Callable[[int], None] | None = None) -> IngestResult:
        """Ingest OpenLineage events (one dict or a list): each run of the RunEvents becomes
        one activity whose START / COMPLETE / FAIL / ABORT events merge in any arrival order;
        a JobEvent records its job's declared lineage (outputs wasDerivedFrom inputs, no run),
        a DatasetEvent a dataset with its facets; ``symlinks`` facets make the other names
        of a dataset alternateOf it. Each event is its own transaction; ``progress`` is
        called with 1 as each is written (or found already imported).

        Raises InvalidEventError (nothing of the bad event written) if one is malformed.
        """
        return ingest_run_events(self.store, events, progress)

    def import_mlflow(self, tracking_uri: str,
                      experiment_ids: Iterable[str] | None = None) -> IngestResult:
        """Import runs, dataset inputs, logged models and registered model versions from an
        MLflow tracking store (needs the ``mlflow`` extra). Re-importing changes nothing."""
        return self.ingest(mlflow_events(tracking_uri, experiment_ids))

    def import_hf_card(self, card: str, repo_id: str, files: Iterable[str] = ()
                       ) -> IngestResult:
        """Import a Hugging Face model card (its README text) of repository ``repo_id``:
        base models, the relation to them (given or inferred as the Hub does, from the card
        and the repository's ``files`` if known), datasets and license. Needs the ``hf``
        extra. Raises InvalidEventError (nothing written) on a malformed card."""
        return self.import_hf_cards([HubCard(card, repo_id, None, tuple(files))])

    def import_dvc(self, path: str | Path) -> IngestResult:
        """Import a DVC pipeline: ``path`` is a ``dvc.lock`` or a DVC project directory (its
        ``dvc.lock`` and ``.dvc`` files); see :mod:`provgraph.formats.dvc`. Everything is
        read and validated first: InvalidEventError, nothing written, for a malformed file
        or a lock of an unknown schema. Importing again after ``dvc repro`` adds the new
        versions of the data; an unchanged pipeline writes nothing."""
        return self.ingest(read_dvc(Path(path)).events)

    def import_hf_cards(self, cards: Iterable[HubCard]) -> IngestResult:
        """Import several model cards (see :func:`provgraph.formats.hf_cards.read_card`) in one
        call: every card is validated first, and a bad one writes nothing of any."""
        return self.ingest(hub_events(self.store, cards))
