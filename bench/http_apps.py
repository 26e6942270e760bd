"""The two ASGI apps of ``graphql_history``, each served by uvicorn in its own process.

    python -m bench.http_apps ours|bare DATABASE_URL PORT

ours: ``api.app.create_app`` (the real API: auth, policy, redaction, access log, background projector).
bare: a Starlette JSON endpoint ``GET /history/{stream_id}`` returning the same ``audit_timeline``
      rows of the same database, through one psycopg connection pool, nothing else.
The JWT secret comes from ``SVLEDGER_JWT_SECRET`` (set by the measure)."""

from __future__ import annotations

import json
import sys
from typing import Any


def bare_app(url: str) -> Any:
    from psycopg_pool import ConnectionPool
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route

    pool = ConnectionPool(url, min_size=2, max_size=8, open=True)

    def rows(stream_id: str) -> list[dict[str, Any]]:
        with pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM audit_timeline WHERE stream_id = %s ORDER BY version", (stream_id,),
                        prepare=True)
            names = [d.name for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    async def history(request: Any) -> Response:
        found = await run_in_threadpool(rows, request.path_params["stream_id"])
        for r in found:
            r["meta"], r["data"] = json.loads(r["meta"]), json.loads(r["data"])
        return Response(json.dumps(found, ensure_ascii=False), media_type="application/json")

    return Starlette(routes=[Route("/history/{stream_id}", history)])


def ours_app(url: str) -> Any:
    from api.app import create_app
    from api.config import ApiSettings
    from infra.settings import Settings

    return create_app(ApiSettings.from_env(ledger=Settings(database_url=url)))


def main() -> None:
    import uvicorn

    kind, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = ours_app(url) if kind == "ours" else bare_app(url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
