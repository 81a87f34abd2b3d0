"""The HTTP server: OpenLineage-compatible ingest, native ingest and the queries of the CLI.

``POST /api/v1/lineage`` takes OpenLineage RunEvents, and spec 2's JobEvents and
DatasetEvents, so any OpenLineage client (Airflow, Spark, dbt, ``openlineage-python``) can
point its HTTP transport here. Every endpoint but
``/health`` needs ``Authorization: Bearer <token>`` when a token is set. The OpenAPI schema is
at ``/openapi.json``; interactive docs at ``/docs``.
"""

from __future__ import annotations

import ctypes
import hmac
import io
import json
import os
import signal
import sys
import zlib
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from provgraph import __version__
from provgraph.clock import to_us
from provgraph.errors import (
    ConfigurationError,
    ConflictError,
    InvalidEventError,
    NotFoundError,
    ProvgraphError,
    StoreUnavailableError,
)
from provgraph.formats.prov_write import export_document
from provgraph.graph import Graph, connect
from provgraph.queries.lineage import blocks
from provgraph.store.base import Direction

_bearer = HTTPBearer(auto_error=False)

#: Requests larger than this are refused with 413 before they are parsed.
MAX_BODY_BYTES = 10 * 2**20
#: The media type of answers streamed one JSON record a line.
NDJSON = "application/x-ndjson"
#: JSON nested deeper than this is refused with 400 (no event needs it; parsers choke).
MAX_JSON_DEPTH = 64


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings are skipped).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class BodyLimits:
    """ASGI middleware: 413 above MAX_BODY_BYTES, 400 for JSON nested beyond MAX_JSON_DEPTH."""

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Check a request's body, then hand it on (replayed) to the application."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _reply(send, 413, f"request body over {self.max_bytes} bytes")
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await _reply(send, 413, f"request body over {self.max_bytes} bytes")
                return
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding != b"identity":
            # OpenLineage clients may compress what they send (the Python client's
            # `compression: gzip`); the limit holds for the body once decompressed.
            try:
                body = _decompressed(body, encoding, self.max_bytes)
            except _Refused as refused:
                await _reply(send, refused.status, refused.detail)
                return
            scope = {**scope, "headers": [
                (name, value) for name, value in scope.get("headers") or []
                if name not in (b"content-encoding", b"content-length")]
                + [(b"content-length", str(len(body)).encode())]}
        if json_depth(body) > MAX_JSON_DEPTH:
            await _reply(send, 400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                message: dict[str, Any] = await receive()
                return message
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _Refused(Exception):
    """A request body refused with ``status`` and ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _decompressed(body: bytes, encoding: bytes, limit: int) -> bytes:
    """``body`` sent with Content-Encoding ``encoding`` (gzip or deflate), decompressed to
    at most ``limit`` bytes: _Refused with 413 beyond it (a small body may expand without
    bound), 400 if it is not what it says, 415 for another encoding.

    >>> import gzip
    >>> _decompressed(gzip.compress(b'{"a": 1}'), b"gzip", 100)
    b'{"a": 1}'
    """
    if encoding in (b"gzip", b"x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == b"deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise _Refused(415, f"unsupported Content-Encoding {encoding.decode('latin-1')!r}"
                            " (gzip, deflate or none)")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        raise _Refused(400, f"the body is not valid {encoding.decode()}: {e}") from e
    if len(out) > limit:
        raise _Refused(413, f"request body over {limit} bytes once decompressed")
    if not inflater.eof:
        raise _Refused(400, f"the body is not valid {encoding.decode()}: it ends early")
    return out


async def _reply(send: Any, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


EXPLORER = Path(__file__).parent / "explorer"
"""The explorer page, its script and the JavaScript it vendors (served from /explorer/)."""


def create_app(graph: Graph, token: str | None = None,
               read_token: str | None = None) -> FastAPI:
    """The FastAPI application serving ``graph``. ``token`` (if set) is needed for every
    endpoint; ``read_token`` (optional) opens the read endpoints only."""
    app = FastAPI(title="provgraph", version=__version__,
                  description="Model lineage as a W3C PROV graph: OpenLineage and native "
                              "ingest, ancestry, impact, why, where, diff, reproduce, audit.")
    app.add_middleware(BodyLimits)

    def check(credentials: HTTPAuthorizationCredentials | None, write: bool) -> None:
        if token is None and read_token is None:
            return
        given = (credentials.credentials if credentials else "").encode()
        # Constant-time: a comparison must not tell how much of a guess was right.
        if token is not None and hmac.compare_digest(given, token.encode()):
            return
        if read_token is not None and hmac.compare_digest(given, read_token.encode()):
            if write:
                raise HTTPException(status_code=403, detail="this token may only read")
            return
        raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})

    def may_read(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                        Depends(_bearer)]) -> None:
        check(credentials, write=False)

    def may_write(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(_bearer)]) -> None:
        check(credentials, write=True)

    guarded = [Depends(may_read)]
    writers = [Depends(may_write)]

    @app.exception_handler(ProvgraphError)
    def _errors(_: Request, error: ProvgraphError) -> JSONResponse:
        status = (400 if isinstance(error, (InvalidEventError, ConfigurationError))
                  else 404 if isinstance(error, NotFoundError)
                  else 409 if isinstance(error, ConflictError)
                  else 503 if isinstance(error, StoreUnavailableError) else 500)
        # 503 and 409 are worth retrying (ingest is idempotent): say when.
        headers = {"Retry-After": "1"} if status in (409, 503) else None
        return JSONResponse(status_code=status, content={"detail": str(error)},
                            headers=headers)

    @app.get("/", include_in_schema=False)
    def explorer() -> HTMLResponse:
        """The lineage explorer page (its data comes from the read endpoints, with the
        token the page is given)."""
        return HTMLResponse((EXPLORER / "index.html").read_text(encoding="utf-8"),
                            headers={"Cache-Control": "no-cache"})

    app.mount("/explorer", StaticFiles(directory=EXPLORER), name="explorer")

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the server answers (the store is not queried)."""
        return {"status": "ok", "version": __version__}

    @app.post("/api/v1/lineage", status_code=201, dependencies=writers)
    def openlineage(event: Annotated[dict[str, Any] | list[dict[str, Any]],
                                     Body()]) -> dict[str, Any]:
        """Ingest an OpenLineage RunEvent, JobEvent or DatasetEvent (or a list of them)."""
        return graph.ingest_openlineage(event).to_dict()

    @app.post("/api/v1/events", dependencies=writers)
    def native(events: Annotated[dict[str, Any] | list[dict[str, Any]],
                                 Body()]) -> dict[str, Any]:
        """Ingest native provgraph events (one or a list), one transaction."""
        return graph.ingest(events).to_dict()

    def lineage(request: Request, direction: Direction, id: str, depth: int | None,
                as_of: str | None, include_agents: bool) -> Any:
        """The contract's JSON, or JSON Lines written as the store walks when the client
        asks for NDJSON (an unknown id is a 404 either way: it is raised before the first
        line)."""
        if NDJSON in request.headers.get("accept", ""):
            lines = (graph.ancestry_lines if direction == "down" else graph.impact_lines)(
                id, depth=depth, as_of=as_of, include_agents=include_agents)
            return StreamingResponse(blocks(lines), media_type=NDJSON)
        query = graph.ancestry if direction == "down" else graph.impact
        # The JSON text written directly, not a dict per node and edge for FastAPI to
        # serialize (a 75k-node impact: 0.24 s to send instead of 0.35 s; 0.1 s to answer).
        answer = query(id, depth=depth, as_of=as_of, include_agents=include_agents)
        return Response(answer.to_json(), media_type="application/json")

    @app.get("/api/v1/ancestry", dependencies=guarded)
    def ancestry(request: Request, id: str, depth: Annotated[int | None, Query(ge=0)] = None,
                 as_of: str | None = None, include_agents: bool = False) -> Any:
        """Everything ``id`` depends on (``Accept: application/x-ndjson``: one record a
        line, streamed)."""
        return lineage(request, "down", id, depth, as_of, include_agents)

    @app.get("/api/v1/impact", dependencies=guarded)
    def impact(request: Request, id: str, depth: Annotated[int | None, Query(ge=0)] = None,
               as_of: str | None = None, include_agents: bool = False,
               summary: bool = False) -> Any:
        """Everything that depends on ``id``; with ``summary=true`` only the counts by type
        and the affected models, deployments and systems (computed in the database);
        ``Accept: application/x-ndjson``: the full answer one record a line, streamed."""
        if summary:
            return graph.impact(id, depth=depth, as_of=as_of, include_agents=include_agents,
                                summary=True).to_dict()
        return lineage(request, "up", id, depth, as_of, include_agents)

    @app.get("/api/v1/why", dependencies=guarded)
    def why(id: str, limit: Annotated[int, Query(ge=1)] = 1000, as_of: str | None = None,
            explain: bool = False) -> dict[str, Any]:
        """The minimal sets of sources ``id`` rests on."""
        return graph.why(id, limit=limit, as_of=as_of, explain=explain).to_dict()

    @app.get("/api/v1/takedown", dependencies=guarded)
    def takedown(id: Annotated[list[str], Query(min_length=1)], as_of: str | None = None,
                 limit: Annotated[int, Query(ge=1)] = 1000,
                 plan: bool = False) -> dict[str, Any]:
        """What must be retrained if the data ``id`` (repeatable) is removed; ``plan=true``
        adds each must-retrain model's reproduction plan without it."""
        return graph.takedown(id, as_of=as_of, limit=limit, plan=plan).to_dict()

    @app.get("/api/v1/license", dependencies=guarded)
    def license_(id: str, as_of: str | None = None) -> dict[str, Any]:
        """Which licences bind model ``id``, why, and the conflicts."""
        return graph.licenses(id, as_of=as_of).to_dict()

    @app.get("/api/v1/where", dependencies=guarded)
    def where(id: str, attribute: str, as_of: str | None = None) -> dict[str, Any]:
        """Where ``id``'s ``attribute`` came from."""
        return graph.where(id, attribute, as_of=as_of).to_dict()

    @app.get("/api/v1/diff", dependencies=guarded)
    def diff(a: str, b: str, as_of: str | None = None) -> dict[str, Any]:
        """How the lineages of ``a`` and ``b`` differ."""
        return graph.diff(a, b, as_of=as_of).to_dict()

    @app.get("/api/v1/reproduce", dependencies=guarded)
    def reproduce(id: str, as_of: str | None = None) -> dict[str, Any]:
        """The plan to reproduce ``id``."""
        return graph.reproduce(id, as_of=as_of).to_dict()

    @app.get("/api/v1/audit", dependencies=guarded, response_model=None)
    def audit(id: str, format: str = "json", as_of: str | None = None) -> Any:
        """The audit checklist of ``id`` as JSON, Markdown or HTML."""
        report = graph.audit(id, as_of=as_of)
        if format == "html":
            return HTMLResponse(report.to_html())
        if format == "markdown":
            return PlainTextResponse(report.to_markdown(), media_type="text/markdown")
        if format != "json":
            raise HTTPException(400, detail="format must be json, markdown or html")
        return report.to_dict()

    @app.get("/api/v1/search", dependencies=guarded)
    def search(q: str, as_of: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
        """Nodes whose id starts with ``q`` or whose type is ``q`` (or, capitalized, ``Q``)."""
        return graph.search(q, as_of=as_of, limit=limit)

    @app.get("/api/v1/neighbourhood", dependencies=guarded)
    def neighbourhood(id: str, direction: Literal["down", "up", "both"] = "down",
                      depth: Annotated[int, Query(ge=0, le=10)] = 1,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0,
                      as_of: str | None = None) -> dict[str, Any]:
        """``id``'s lineage within ``depth`` hops (``down``: ancestry, ``up``: impact),
        at most ``limit`` neighbours a node; ``more`` counts the rest (the explorer)."""
        return graph.neighbourhood(id, direction=direction, depth=depth, limit=limit,
                                   offset=offset, as_of=as_of)

    @app.get("/api/v1/node", dependencies=guarded)
    def node(id: str, as_of: str | None = None,
             limit: Annotated[int, Query(ge=1)] = 200) -> dict[str, Any]:
        """One node: attributes, version history, and its relations with their roles (the
        first ``limit``; ``relations_total`` counts them all)."""
        return graph.describe(id, as_of=as_of, limit=limit)

    @app.get("/api/v1/timeline", dependencies=guarded)
    def timeline(limit: Annotated[int, Query(ge=2, le=5000)] = 500) -> list[dict[str, Any]]:
        """When the chain's batches were recorded: the times an ``as_of`` can name."""
        return graph.timeline(limit)

    @app.post("/api/v1/export", dependencies=guarded)
    def export_shown(ids: Annotated[list[str], Body(embed=True, max_length=100_000)],
                     as_of: Annotated[str | None, Body(embed=True)] = None) -> Response:
        """PROV-JSON of exactly the nodes ``ids`` and the relations between them (what the
        explorer shows); a read token may ask."""
        buffer = io.StringIO()
        export_document(graph.store, ids, to_us(as_of), buffer)
        return Response(buffer.getvalue(), media_type="application/json")

    @app.get("/api/v1/export", dependencies=guarded)
    def export(root: str | None = None, as_of: str | None = None,
               format: Literal["prov-json", "cyclonedx"] = "prov-json") -> Response:
        """PROV-JSON of ``root``'s ancestry, or of everything; ``format=cyclonedx``: the
        CycloneDX 1.6 ML-BOM of model ``root``."""
        if format == "cyclonedx":
            if root is None:
                raise ConfigurationError("format=cyclonedx describes one model: give root")
            return Response(graph.export_cyclonedx(root, as_of=as_of),
                            media_type="application/vnd.cyclonedx+json")
        return Response(graph.export_prov(root, as_of=as_of), media_type="application/json")

    return app


def reachable_host(host: str) -> str:
    """The address to reach a server bound to ``host`` from this machine (a wildcard bind
    is reached on loopback).

    >>> reachable_host("0.0.0.0"), reachable_host("10.0.0.5")
    ('127.0.0.1', '10.0.0.5')
    """
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def answers(host: str, port: int) -> bool:
    """Whether a provgraph server answers ``/health`` at ``host:port``."""
    import urllib.request

    url = f"http://{reachable_host(host)}:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(json.loads(reply.read()).get("status") == "ok")
    except (OSError, ValueError):
        return False


def serve(graph: Graph, host: str, port: int, token: str | None,
          read_token: str | None = None) -> None:
    """Run the server with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(graph, token, read_token), host=host, port=port,
                log_level="info")


#: What a worker process of ``serve_workers`` reads its store and tokens from (a spawned
#: process gets its parent's environment, not its arguments).
WORKER_URI = "PROVGRAPH_SERVE_URI"
WORKER_TOKEN = "PROVGRAPH_SERVE_TOKEN"
WORKER_READ_TOKEN = "PROVGRAPH_SERVE_READ_TOKEN"


def serve_workers(uri: str, host: str, port: int, token: str | None,
                  read_token: str | None, workers: int) -> None:
    """Run ``workers`` server processes on one port (uvicorn's supervisor: a worker that
    dies is replaced), each with its own connection to the store at ``uri``. Each process
    commits its own requests together (group commit); the store orders the processes'
    transactions, as it does for any two writers. A worker exits when the supervisor does,
    even when the supervisor is killed outright."""
    import uvicorn

    os.environ[WORKER_URI] = uri  # "" for the default store
    for name, value in ((WORKER_TOKEN, token), (WORKER_READ_TOKEN, read_token)):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    uvicorn.run("provgraph.server:worker_app", factory=True, host=host, port=port,
                workers=workers, log_level="info")


def worker_app() -> FastAPI:
    """The application of one worker process of :func:`serve_workers`: connects to the
    store its environment names and closes it when the worker stops."""
    _exit_with_parent()
    graph = connect(os.environ.get(WORKER_URI) or None)
    app = create_app(graph, os.environ.get(WORKER_TOKEN), os.environ.get(WORKER_READ_TOKEN))
    app.router.on_shutdown.append(graph.close)
    return app


def _exit_with_parent() -> None:
    """Have Linux send this process SIGTERM when its parent dies (a supervisor killed with
    SIGKILL runs no handler, and its workers would keep the port); elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)
