"""``/graphql``: Strawberry's ASGI view with bearer-token authentication.

HTTP: every request needs ``Authorization: Bearer …`` (401 with code UNAUTHENTICATED otherwise), except
the GraphiQL page itself (a browser GET asking for HTML, with no query). WebSocket
(``graphql-transport-ws``): the token comes in the ``connection_init`` payload (``Authorization`` or
``token``) or on the handshake; a bad one closes the socket with 4403.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.auth import Unauthenticated, authenticate
from api.context import Context
from api.services import Services


def unauthenticated(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return Response(json.dumps(body), status_code=401, media_type="application/json",
                    headers={"WWW-Authenticate": 'Bearer realm="svledger"'})


def wants_ide(request: Request) -> bool:
    return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params)


class LedgerGraphQL(GraphQL):
    def __init__(self, schema: Any, *, graphiql: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if graphiql else None,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if not wants_ide(request):
                services: Services = request.app.state.services
                try:
                    scope.setdefault("state", {})["principal"] = authenticate(services.keys, request.headers,
                                                                                services.verified)
                except Unauthenticated as exc:
                    await unauthenticated(exc.message)(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> str:
        """Response bodies and WebSocket messages (text): orjson (UTF-8, no escapes; 5–10× json.dumps on a
        trail), json for what it cannot encode (an integer beyond 64 bits in a JSON payload)."""
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def parse_json(self, data: str | bytes) -> Any:
        """A body (or GET ``variables``) that is JSON but not an object is a client error, not a crash."""
        value = super().parse_json(data)
        if value is not None and not isinstance(value, (dict, list)):
            raise HTTPException(400, "the request body must be a JSON object")
        return value

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        services: Services = request.app.state.services
        principal = request.scope.get("state", {}).get("principal")
        return Context(services=services, request=request, response=response, principal=principal)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        headers: dict[str, Any] = dict(context.request.headers)
        if isinstance(params.get("token"), str):
            headers["authorization"] = f"Bearer {params['token']}"
        elif params.get("Authorization") or params.get("authorization"):
            headers["authorization"] = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = authenticate(context.services.keys, headers, context.services.verified)
        except Unauthenticated:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        return {"role": context.principal.role}
