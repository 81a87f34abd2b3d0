"""provgraph benchmarks: ingest, ancestry, impact and why() on generated model-hub lineage,
on the embedded store and on a real Neo4j, side by side with what users would otherwise use.

    python bench/run.py              # 10k, 100k and 1M nodes; a new section atop bench/RESULTS.md
    python bench/run.py --quick      # 10k only, under two minutes, for CI smoke runs

Neo4j: ``PROVGRAPH_BENCH_NEO4J_URI`` if set, else the local Maven launcher on port 17688.
Numbers are wall-clock on this machine; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx
import prov

sys.path.insert(0, str(Path(__file__).parent))
from explorer import first_paint  # noqa: E402
from generate import Shape, generate  # noqa: E402

import provgraph  # noqa: E402
from provgraph import cypher_library  # noqa: E402
from provgraph.clock import FOREVER  # noqa: E402
from provgraph.model import DEPENDENCY_RELATIONS  # noqa: E402

DEPENDENCY = sorted(r.value for r in DEPENDENCY_RELATIONS)
BATCH = 500


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def reference_graph(events: list[dict[str, Any]]) -> nx.DiGraph:
    """The followable dependency edges, in memory: networkx's floor for Python."""
    opaque = {n["id"] for e in events for n in e.get("nodes", []) if n.get("opaque")}
    g = nx.DiGraph()
    for event in events:
        for r in event.get("relations", []):
            if (r["relation"] in DEPENDENCY and r.get("granularity") != "members"
                    and r["from"] not in opaque):
                g.add_edge(r["from"], r["to"])
    return g


def per_hop(driver: Any, root: str) -> int:
    """The naive driver loop: one Cypher query per hop (per BFS level) from Python."""
    seen, frontier = {root}, [root]
    query = ("UNWIND $ids AS id MATCH (a:PGNode {id: id})-[r]->(b:PGNode) "
             "WHERE type(r) IN $rels AND r.follow AND NOT r.retracted "
             "AND r.superseded_at = $forever AND NOT a.opaque RETURN DISTINCT b.id AS id")
    while frontier:
        records, _, _ = driver.execute_query(query, ids=frontier, rels=DEPENDENCY,
                                             forever=FOREVER)
        frontier = [r["id"] for r in records if r["id"] not in seen]
        seen.update(frontier)
    return len(seen) - 1


def plain_cypher(driver: Any, events: list[dict[str, Any]], shape: Shape,
                 count: int) -> dict[str, Any]:
    """What a user would write by hand on the same server: the generated graph as plain nodes
    and one relationship type, imported with UNWIND ... CREATE, answered with one
    var-length query returning ids."""
    driver.execute_query("CREATE CONSTRAINT plain_id IF NOT EXISTS FOR (p:Plain) "
                         "REQUIRE p.id IS UNIQUE")
    nodes = [n["id"] for e in events for n in e.get("nodes", [])]
    edges = [[r["from"], r["to"]] for e in events for r in e.get("relations", [])]
    start = time.perf_counter()
    for i in range(0, len(nodes), 10_000):
        driver.execute_query("UNWIND $ids AS id CREATE (:Plain {id: id})",
                             ids=nodes[i:i + 10_000])
    for i in range(0, len(edges), 10_000):
        driver.execute_query("UNWIND $rows AS row MATCH (a:Plain {id: row[0]}), "
                             "(b:Plain {id: row[1]}) CREATE (a)-[:DEP]->(b)",
                             rows=edges[i:i + 10_000])
    seconds = time.perf_counter() - start
    down = "MATCH (:Plain {id: $id})-[:DEP*]->(b) RETURN collect(DISTINCT b.id) AS ids"
    up = "MATCH (:Plain {id: $id})<-[:DEP*]-(b) RETURN collect(DISTINCT b.id) AS ids"

    def run(query: str, root: str) -> int:
        records, _, _ = driver.execute_query(query, id=root)
        return len(records[0]["ids"])

    for root in [*shape.deep[:count], *shape.leaves[:count]]:  # warm, as provgraph's
        run(down, root)
    return {
        "plain_ingest_rel_s": len(edges) / seconds,
        "plain_deep": percentiles([timed(partial(run, down, r))[0]
                                   for r in shape.deep[:count]]),
        "plain_leaf": percentiles([timed(partial(run, down, r))[0]
                                   for r in shape.leaves[:count]]),
        "plain_impact_ms": timed(lambda: run(up, shape.popular_base))[0] * 1000,
    }


def ingest(graph: provgraph.Graph, events: list[dict[str, Any]]) -> tuple[float, float]:
    """Seconds the whole ingest took, and its first call (on a server that has just started,
    the first write runs every statement of the write path cold)."""
    start = time.perf_counter()
    first = 0.0
    for i in range(0, len(events), BATCH):
        graph.ingest(events[i : i + BATCH])
        if not i:
            first = time.perf_counter() - start
    return time.perf_counter() - start, first


def measure(graph: provgraph.Graph, events: list[dict[str, Any]], shape: Shape,
            reference: nx.DiGraph, driver: Any | None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    seconds, first = ingest(graph, events)
    row["ingest_s"] = seconds
    row["ingest_rel_s"] = shape.relations / seconds
    row["ingest_first_s"] = first
    in_first = sum(len(event.get("relations", ())) for event in events[:BATCH])
    row["ingest_after_first_rel_s"] = (shape.relations - in_first) / max(seconds - first, 1e-9)
    row["ingest_nodes_s"] = shape.nodes / seconds

    # Fewer roots on the big graphs keeps a full run within the hour.
    count = 50 if shape.nodes <= 200_000 else 20

    def sample(roots: Iterable[str], fn: Callable[[str], Any]) -> list[float]:
        return [timed(partial(fn, root))[0] for root in list(roots)[:count]]

    if hasattr(graph.store, "adjacency"):  # the embedded store's index: build and size
        store: Any = graph.store
        store._index = None
        row["index_build_s"], index = timed(store.adjacency)
        row["index_mib"] = index.memory() / 2**20
        path = store.index_path
        row["index_save_s"] = timed(lambda: index.save(path))[0]
        row["index_load_s"] = timed(lambda: type(index).load(path))[0]
    # The first pass over the roots warms the page cache and, on Neo4j, the JIT compiler
    # (a server that just ingested has not run a walk yet); the second is timed. Both are
    # reported: a team's long-running server answers like the second.
    row["anc_leaf_first"] = percentiles(sample(shape.leaves, graph.ancestry))
    row["anc_deep_first"] = percentiles(sample(shape.deep, graph.ancestry))
    row["anc_leaf"] = percentiles(sample(shape.leaves, graph.ancestry))
    row["anc_deep"] = percentiles(sample(shape.deep, graph.ancestry))
    row["anc_deep_size"] = statistics.median(len(graph.ancestry(r).nodes) for r in shape.deep)
    row["nx_deep"] = percentiles(sample(shape.deep, lambda r: nx.descendants(reference, r)))
    row["nx_leaf"] = percentiles(sample(shape.leaves, lambda r: nx.descendants(reference, r)))
    impact_s, impact = timed(lambda: graph.impact(shape.popular_base))
    row["impact_popular_ms"] = impact_s * 1000
    row["impact_popular_size"] = len(impact.nodes)
    def stream(lines: Callable[[], Iterable[str]]) -> None:
        with open(os.devnull, "w") as sink:
            for line in lines():
                sink.write(line + "\n")

    row["impact_stream_ms"] = timed(lambda: stream(
        lambda: graph.impact_lines(shape.popular_base)))[0] * 1000
    # Peak memory Python allocates while streaming, and while writing the same lines from
    # the answer built whole (tracemalloc: measured apart, it slows what it traces).
    def whole() -> Iterable[str]:
        return graph.impact(shape.popular_base).json_lines()

    for key, lines in (("impact_stream_peak_mib",
                        lambda: graph.impact_lines(shape.popular_base)),
                       ("impact_whole_peak_mib", whole)):
        tracemalloc.start()
        stream(lines)
        row[key] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    row["impact_summary_ms"] = timed(
        lambda: graph.impact(shape.popular_base, summary=True))[0] * 1000
    row["nx_impact_popular_ms"] = timed(
        lambda: nx.ancestors(reference, shape.popular_base))[0] * 1000
    paint = first_paint(graph, shape.popular_base, "up")
    if paint is not None:
        row["explorer"] = paint
    row["impact_shard"] = percentiles(sample(shape.shards[:20], graph.impact))
    why_s, why = timed(lambda: graph.why(shape.leaves[0]))
    row["why_ms"] = why_s * 1000
    row["why_sources"] = len(why.witnesses[0]) if why.witnesses else 0
    if hasattr(graph.store, "adjacency"):
        row["verify_s"] = timed(graph.verify)[0]
    # PROV-JSON export of the largest ancestry we sampled, against the prov library
    # reading (building) and serializing the very same document.
    root = max(shape.deep, key=lambda r: len(graph.ancestry(r).nodes))
    export_s, text = timed(lambda: graph.export_prov(root))
    tracemalloc.start()  # a second export, streamed, for memory only (tracing slows it)
    with open(os.devnull, "w") as sink:
        graph.export_prov(root, out=sink)
    row["export_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    records = sum(len(v) for k, v in json.loads(text).items() if k != "prefix")
    row["export_records"] = records
    row["export_rec_s"] = records / export_s
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prov_s, _ = timed(lambda: prov.read(  # type: ignore[union-attr]
            io.StringIO(text), format="json").serialize(format="json"))
    row["prov_ratio"] = prov_s / export_s
    # Takedown of the last shard: everything downstream, classified with its proof.
    takedown_s, removal = timed(lambda: graph.takedown([shape.shards[-1]]))
    row["takedown_s"] = takedown_s
    row["takedown_size"] = len(removal.must_retrain) + len(removal.unknown) + len(
        removal.unaffected)
    if driver is not None:
        # The Cypher written for users, run as they would (cypher/impact_summary.cypher).
        row["cypher_summary_s"] = timed(lambda: driver.execute_query(
            cypher_library.load("impact_summary"), id=shape.popular_base))[0]
        # Last: the plain graph doubles the database, which would change what the page
        # cache holds for every provgraph query measured after it.
        row["per_hop_deep"] = percentiles(sample(shape.deep, lambda r: per_hop(driver, r)))
        row.update(plain_cypher(driver, events, shape, count))
    return row


def neo4j_uri(port: int) -> tuple[str, Callable[[], None]]:
    explicit = os.environ.get("PROVGRAPH_BENCH_NEO4J_URI")
    if explicit:
        return explicit, lambda: None
    from provgraph.neo4j_local import LocalNeo4j

    server = LocalNeo4j(port=port, heap="4g", page_cache_mb=2048)
    server.start()
    def stop() -> None:
        server.stop()

    return server.uri, stop


def wipe(graph: provgraph.Graph) -> None:
    store: Any = graph.store
    with store._driver.session(database=store.database) as session:
        # Relationships first, in small transactions: detaching a node with hundreds of
        # thousands of relationships in one transaction exceeds Neo4j's memory pool.
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"
                    ).consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


def machine() -> str:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.platform()}, "
            f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version},"
            f" Neo4j 5.26.30 Community in-process (heap 4 GiB, page cache 2 GiB), "
            f"{java.splitlines()[0] if java else 'java ?'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k nodes only")
    parser.add_argument("--sizes", default=None, help="comma-separated node counts")
    parser.add_argument("--no-neo4j", action="store_true", help="measure the embedded store only")
    parser.add_argument("--no-sqlite", action="store_true", help="measure Neo4j only")
    parser.add_argument("--neo4j-max", type=int, default=None,
                        help="run Neo4j only on sizes up to this many nodes")
    parser.add_argument("--output", default=str(Path(__file__).parent / "RESULTS.md"))
    args = parser.parse_args()
    sizes = ([10_000] if args.quick else
             [int(s) for s in args.sizes.split(",")] if args.sizes else
             [10_000, 100_000, 1_000_000])
    results: list[tuple[int, Shape, str, dict[str, Any]]] = []
    stop: Callable[[], None] = lambda: None  # noqa: E731
    uri = None
    if not args.no_neo4j:
        uri, stop = neo4j_uri(17688)
    try:
        for size in sizes:
            print(f"generating {size:,} nodes ...", flush=True)
            events, shape = generate(size)
            reference = reference_graph(events)
            if not args.no_sqlite:
                with tempfile.TemporaryDirectory() as folder:
                    embedded = provgraph.connect(f"sqlite:///{folder}/bench.sqlite")
                    print("  embedded ...", flush=True)
                    results.append((size, shape, "SQLite", measure(embedded, events, shape,
                                                                   reference, None)))
                    embedded.close()
            if uri and (args.neo4j_max is None or size <= args.neo4j_max):
                graph = provgraph.connect(uri)
                wipe(graph)
                print("  neo4j ...", flush=True)
                driver: Any = graph.store._driver  # type: ignore[attr-defined]
                results.append((size, shape, "Neo4j", measure(graph, events, shape,
                                                              reference, driver)))
                wipe(graph)
                graph.close()
            print(render([r for r in results if r[0] == size]), flush=True)
    finally:
        stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    command = " ".join(sys.argv[1:])
    report = (f"## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — "
              f"`python bench/run.py {command}`\n\n"
              f"Machine: {machine()}\n\n{render(results)}\n\n"
              f"Peak resident memory of the benchmark process: {peak:,.0f} MiB "
              "(it also holds the generated events and the networkx graph).\n")
    if not args.quick:
        output = Path(args.output)
        output.write_text(with_section(output.read_text() if output.exists() else "", report))
        print(f"wrote {args.output}")
    else:
        print(report)


TITLE = "# provgraph benchmarks\n\n"


def with_section(results: str, section: str) -> str:
    """The results file with ``section`` first, above every earlier section (kept).

    >>> with_section("# provgraph benchmarks\\n\\n## old\\n", "## new\\n")
    '# provgraph benchmarks\\n\\n## new\\n\\n## old\\n'
    >>> with_section("", "## new\\n")
    '# provgraph benchmarks\\n\\n## new\\n'
    """
    earlier = results.removeprefix(TITLE).strip("\n")
    return TITLE + section + ("\n" + earlier + "\n" if earlier else "")


def render(results: list[tuple[int, Shape, str, dict[str, Any]]]) -> str:
    columns = [
        "nodes", "relations", "store", "ingest rel/s (after the first call; first call s)",
        "ancestry leaf p50/p95 ms (first pass p50)",
        "networkx leaf p50 ms (÷)",
        "ancestry deep p50/p95 ms (median nodes; first pass p50)", "networkx deep p50 ms",
        "÷ networkx",
        "per-hop driver deep p50 ms", "per-hop ÷ provgraph",
        "impact popular base ms (nodes)",
        "impact streamed as NDJSON ms (peak MiB; built whole first, peak MiB)",
        "impact summary ms", "networkx ms",
        "impact shard p50/p95 ms", "why() ms",
        "PROV-JSON export rec/s (records, peak MiB)", "prov library ÷ provgraph",
        "plain Cypher: import rel/s, ancestry leaf / deep p50 ms, impact popular ms",
        "provgraph ÷ plain: ancestry leaf / deep, impact; plain import ÷ provgraph",
        "adjacency index: build s, MiB, save / load s", "verify s",
        "explorer first paint, popular base one hop up ms (API ms, rows)",
        "takedown of a shard s (nodes downstream)", "cypher/impact_summary popular base s",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, shape, store, r in results:
        leaf, deep, nxd = r["anc_leaf"], r["anc_deep"], r["nx_deep"]
        hop = r.get("per_hop_deep")
        cells = [
            f"{shape.nodes:,}", f"{shape.relations:,}", store,
            f"{r['ingest_rel_s']:,.0f} ({r['ingest_after_first_rel_s']:,.0f};"
            f" {r['ingest_first_s']:.1f})",
            f"{ms(leaf[0])} / {ms(leaf[1])} ({ms(r['anc_leaf_first'][0])})",
            f"{ms(r['nx_leaf'][0])} ({leaf[0] / max(r['nx_leaf'][0], 1e-6):.1f})",
            f"{ms(deep[0])} / {ms(deep[1])} ({r['anc_deep_size']:,.0f};"
            f" {ms(r['anc_deep_first'][0])})",
            ms(nxd[0]), f"{deep[0] / max(nxd[0], 1e-6):.1f}",
            ms(hop[0]) if hop else "—", f"{hop[0] / deep[0]:.1f}" if hop else "—",
            f"{ms(r['impact_popular_ms'])} ({r['impact_popular_size']:,})",
            f"{ms(r['impact_stream_ms'])} ({r['impact_stream_peak_mib']:.0f};"
            f" {r['impact_whole_peak_mib']:.0f})" if "impact_stream_peak_mib" in r else "—",
            ms(r["impact_summary_ms"]) if "impact_summary_ms" in r else "—",
            ms(r["nx_impact_popular_ms"]),
            f"{ms(r['impact_shard'][0])} / {ms(r['impact_shard'][1])}", ms(r["why_ms"]),
            f"{r['export_rec_s']:,.0f} ({r['export_records']:,}, {r['export_peak_mib']:.0f})",
            f"{r['prov_ratio']:.1f}",
        ]
        if "plain_deep" in r:
            cells += [
                f"{r['plain_ingest_rel_s']:,.0f}, {ms(r['plain_leaf'][0])} /"
                f" {ms(r['plain_deep'][0])}, {ms(r['plain_impact_ms'])}",
                f"{leaf[0] / r['plain_leaf'][0]:.1f} / {deep[0] / r['plain_deep'][0]:.1f},"
                f" {r['impact_popular_ms'] / r['plain_impact_ms']:.1f};"
                f" {r['plain_ingest_rel_s'] / r['ingest_rel_s']:.1f}",
            ]
        else:
            cells += ["—", "—"]
        if "index_build_s" in r:
            cells += [f"{r['index_build_s']:.2f}, {r['index_mib']:.0f},"
                      f" {r['index_save_s']:.2f} / {r['index_load_s']:.2f}",
                      f"{r['verify_s']:.1f}"]
        else:
            cells += ["—", "—"]
        paint = r.get("explorer")
        cells.append(f"{ms(paint['paint_ms'])} ({ms(paint['api_ms'])}, {paint['rows']:.0f})"
                     if paint else "—")
        cells.append(f"{r['takedown_s']:.1f} ({r['takedown_size']:,})"
                     if "takedown_s" in r else "—")
        cells.append(f"{r['cypher_summary_s']:.1f}" if "cypher_summary_s" in r else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
