"""provgraph: model lineage as a W3C PROV graph, on an embedded SQLite file or on Neo4j.

>>> import provgraph
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest(provgraph.demo.reference_events())
>>> sorted(g.impact("s2").ids)
['raw@1']
"""

from provgraph import demo
from provgraph.builder import EventBuilder
from provgraph.errors import (
    ConfigurationError,
    ConflictError,
    InvalidEventError,
    NotFoundError,
    ProvgraphError,
    StoreUnavailableError,
)
from provgraph.graph import Graph, IngestResult, connect
from provgraph.queries.lineage import Lineage
from provgraph.record import current_run, record, recorded

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "EventBuilder",
    "Graph",
    "IngestResult",
    "InvalidEventError",
    "Lineage",
    "NotFoundError",
    "ProvgraphError",
    "StoreUnavailableError",
    "__version__",
    "connect",
    "current_run",
    "demo",
    "record",
    "recorded",
]
