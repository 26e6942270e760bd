"""Health endpoints (no token needed, no schema exposed): liveness, readiness (database reachable and
projection lag within bounds) and Prometheus metrics."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger("svledger.api.health")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    services = request.app.state.services
    try:
        await services.source.dicts("SELECT 1 AS ok")
        lags = await run_in_threadpool(services.lag)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the cause stays in the log
        log.warning("not ready: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    behind = max((lag.events_behind for lag in lags), default=0)
    seconds = max((lag.seconds_behind for lag in lags), default=0.0)
    ready = behind <= services.settings.ready_max_lag
    body = {"status": "ready" if ready else "lagging", "database": "ok",
            "projection_lag": {"events": behind, "seconds": round(seconds, 3),
                               "read_models": {lag.name: lag.events_behind for lag in lags}}}
    return JSONResponse(body, status_code=200 if ready else 503)
