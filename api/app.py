"""The ASGI application: ``create_app(settings)`` wires routes and middleware; the lifespan builds the
services once per process, runs the projector and the access-log flusher in the background, and closes
everything at shutdown. Importing this module connects to nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api.config import ApiSettings
from api.health import healthz, readyz
from api.limits import BodyLimit
from api.metrics import LatencyMiddleware, Metrics, metrics_endpoint
from api.schema import build_schema
from api.services import Services
from api.view import LedgerGraphQL

log = logging.getLogger("svledger.api")


def create_app(settings: ApiSettings | None = None) -> Starlette:
    settings = settings or ApiSettings.from_env()
    metrics = Metrics()
    schema = build_schema(settings)
    graphql = LedgerGraphQL(schema, graphiql=settings.graphiql)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await run_in_threadpool(Services.build, settings, metrics)
        app.state.services = services
        try:
            await services.open()
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(services.follow_log)
                tasks.start_soon(services.flush_access_log)
                yield
                tasks.cancel_scope.cancel()
        finally:
            await services.source.close()
            await run_in_threadpool(services.close)

    middleware = [Middleware(LatencyMiddleware, metrics=metrics), Middleware(BodyLimit, max_bytes=settings.max_body_bytes)]
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"]))
    routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics_endpoint),
              Route("/graphql", graphql, methods=["GET", "POST"]), WebSocketRoute("/graphql", graphql)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings, app.state.schema = settings, schema
    return app
