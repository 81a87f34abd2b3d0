"""The HTTP server: OpenLineage-compatible ingest, native ingest and the queries of the CLI.

``POST /api/v1/lineage`` takes OpenLineage RunEvents, so any OpenLineage client (Airflow,
Spark, dbt, ``openlineage-python``) can point its HTTP transport here. Every endpoint but
``/health`` needs ``Authorization: Bearer <token>`` when a token is set. The OpenAPI schema is
at ``/openapi.json``; interactive docs at ``/docs``.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from provgraph import __version__
from provgraph.errors import (
    ConfigurationError,
    InvalidEventError,
    NotFoundError,
    ProvgraphError,
    StoreUnavailableError,
)
from provgraph.graph import Graph

_bearer = HTTPBearer(auto_error=False)


def create_app(graph: Graph, token: str | None = None) -> FastAPI:
    """The FastAPI application serving ``graph``; ``token`` (if set) guards every endpoint."""
    app = FastAPI(title="provgraph", version=__version__,
                  description="Model lineage as a W3C PROV graph: OpenLineage and native "
                              "ingest, ancestry, impact, why, where, diff, reproduce, audit.")

    def authorize(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(_bearer)]) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else ""
        # Constant-time: the comparison must not tell how much of a guess was right.
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorize)]

    @app.exception_handler(ProvgraphError)
    def _errors(_: Request, error: ProvgraphError) -> JSONResponse:
        status = (400 if isinstance(error, (InvalidEventError, ConfigurationError))
                  else 404 if isinstance(error, NotFoundError)
                  else 503 if isinstance(error, StoreUnavailableError) else 500)
        return JSONResponse(status_code=status, content={"detail": str(error)})

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the server answers (the store is not queried)."""
        return {"status": "ok", "version": __version__}

    @app.post("/api/v1/lineage", status_code=201, dependencies=guarded)
    def openlineage(event: Annotated[dict[str, Any] | list[dict[str, Any]],
                                     Body()]) -> dict[str, Any]:
        """Ingest an OpenLineage RunEvent (or a list of them)."""
        return graph.ingest_openlineage(event).to_dict()

    @app.post("/api/v1/events", dependencies=guarded)
    def native(events: Annotated[dict[str, Any] | list[dict[str, Any]],
                                 Body()]) -> dict[str, Any]:
        """Ingest native provgraph events (one or a list), one transaction."""
        return graph.ingest(events).to_dict()

    @app.get("/api/v1/ancestry", dependencies=guarded)
    def ancestry(id: str, depth: Annotated[int | None, Query(ge=0)] = None,
                 as_of: str | None = None, include_agents: bool = False) -> dict[str, Any]:
        """Everything ``id`` depends on."""
        return graph.ancestry(id, depth=depth, as_of=as_of,
                              include_agents=include_agents).to_dict()

    @app.get("/api/v1/impact", dependencies=guarded)
    def impact(id: str, depth: Annotated[int | None, Query(ge=0)] = None,
               as_of: str | None = None) -> dict[str, Any]:
        """Everything that depends on ``id``."""
        return graph.impact(id, depth=depth, as_of=as_of).to_dict()

    @app.get("/api/v1/why", dependencies=guarded)
    def why(id: str, limit: Annotated[int, Query(ge=1)] = 1000, as_of: str | None = None,
            explain: bool = False) -> dict[str, Any]:
        """The minimal sets of sources ``id`` rests on."""
        return graph.why(id, limit=limit, as_of=as_of, explain=explain).to_dict()

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

    @app.get("/api/v1/export", dependencies=guarded)
    def export(root: str | None = None, as_of: str | None = None) -> Response:
        """PROV-JSON of ``root``'s ancestry, or of everything."""
        return Response(graph.export_prov(root, as_of=as_of), media_type="application/json")

    return app


def serve(graph: Graph, host: str, port: int, token: str | None) -> None:
    """Run the server with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(graph, token), host=host, port=port, log_level="info")
