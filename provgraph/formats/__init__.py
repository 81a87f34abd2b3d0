"""Every way lineage comes in or goes out, one module a format, one shape a direction.

In — a source becomes native events (then :func:`provgraph.ingest.ingest` writes them):

- :mod:`.native` — ``read_native(path)``: JSON, JSON lists, JSON Lines;
- :mod:`.prov_read` — ``prov_events(document)``: PROV-JSON, records kept verbatim;
  :mod:`.prov_merge` — ``prov_import_events(store, source)``: merged with the store as PROV
  merges documents, in resumable chunks;
- :mod:`.openlineage` — ``to_native(event, ...)``; ``ingest_run_events(store, events)`` merges
  a run's events in any order;
- :mod:`.mlflow` — ``mlflow_events(tracking_uri)``;
- :mod:`.hf_cards` — ``hub_events(store, cards)``: Hugging Face model cards.

Out — the graph becomes a document:

- :mod:`.prov_write` — ``export_prov(store, root, as_of, out)``: PROV-JSON, streamed;
- :mod:`.prov_convert` — ``convert_prov(text, fmt)``: PROV-N, PROV-XML, PROV-O Turtle;
- :mod:`.pictures` — ``to_dot(lineage)``, ``to_mermaid(lineage)``.

A new format is a new module here with one function in or one out.
"""
