"""Prometheus metrics of one app (its own registry: no process-global state): request latency,
events appended, projection lag. ``LatencyMiddleware`` times every HTTP request by route."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KNOWN_PATHS = ("/graphql", "/healthz", "/readyz", "/metrics")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_latency = Histogram("svledger_http_request_duration_seconds", "HTTP request latency",
                                         ("path", "method", "status"), buckets=BUCKETS, registry=self.registry)
        self.events_appended = Counter("svledger_events_appended_total", "Events appended through the API",
                                       ("stream_type",), registry=self.registry)
        self.projection_lag = Gauge("svledger_projection_lag_events", "Events the read models are behind the log",
                                    ("read_model",), registry=self.registry)
        self.projection_lag_seconds = Gauge("svledger_projection_lag_seconds",
                                            "Seconds the oldest unprojected event has waited", ("read_model",),
                                            registry=self.registry)
        self.access_events = Counter("svledger_access_events_total", "RecordViewed events appended by the API",
                                     registry=self.registry)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class LatencyMiddleware:
    """Observe the duration of each HTTP request (label ``path`` is one of the known routes or ``other``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
            self.metrics.request_latency.labels(path, scope["method"], str(status[0])).observe(
                time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    return request.app.state.services.metrics.render()
