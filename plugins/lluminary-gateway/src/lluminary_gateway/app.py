"""The gateway as an ASGI app: routes, authentication, limits, and one access-log line a request.

One :class:`lluminary.Client` serves every request (its pools stay warm); the kernel does the
provider's wire, retries, caching, cost and tracing, and this app only translates and admits.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import attrs

from lluminary import Client, LluminaryError, ModelInfo
from lluminary.sdk import AlertGate, Alerts, build_chat_request, dumps_str, loads

from . import calls
from .asgi import ClientGone, Receive, Scope, Send, header, read_body, send_json, send_stream
from .config import GatewayConfig
from .errors import GatewayError, bad_request, forbidden, from_lluminary, not_found, unauthorized
from .keys import KeyStore, VirtualKey, hash_key, new_key, open_keys
from .limits import Admission, Limiter, estimate_input_tokens
from .openai_in import chat_call, embed_call, object_body
from .openai_out import ChunkWriter, completion_json, embeddings_json, error_frame, model_json, models_json
from .wire import ChatWire

access_log = logging.getLogger("lluminary_gateway.access")
error_log = logging.getLogger("lluminary_gateway")

#: seconds a key looked up in the store is trusted in this process (revocation elsewhere takes
#: at most this long to reach it)
KEY_CACHE_SECONDS = 1.0
#: the principal of the master key, and of an open gateway (no keys configured)
MASTER = VirtualKey(hash="master", name="master")


@attrs.define
class Context:
    """One request, as the access log records it: never its content, never its key."""

    request_id: str
    method: str
    path: str
    started: float
    status: int = 0
    model: str | None = None
    key: str | None = None
    stream: bool = False
    upstream: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    error: str | None = None
    anthropic: bool = False

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-request-id", self.request_id.encode("latin-1"))]

    def log_line(self) -> str:
        fields = {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 3),
        }
        for name in ("model", "key", "upstream", "input_tokens", "output_tokens", "cost", "error"):
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        if self.stream:
            fields["stream"] = True
        return dumps_str(fields)


Handler = Callable[[Context, Scope, Receive, Send], Awaitable[None]]


class Gateway:
    """The ASGI app. ``startup``/``shutdown`` run from the ASGI lifespan (or a test's fixture)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        from .router import Router

        self.router = Router(config)
        self.client: Client | None = None
        self.keys: KeyStore | None = None
        self.limiter: Limiter | None = None
        self.alerts: Alerts | None = None
        self.ready = False
        self._key_cache: dict[str, tuple[float, VirtualKey | None]] = {}
        self._prices: dict[str, ModelInfo | None] = {}
        self.routes: dict[tuple[str, str], Handler] = {
            ("POST", "/v1/chat/completions"): self.chat_completions,
            ("POST", "/v1/embeddings"): self.embeddings,
            ("GET", "/v1/models"): self.list_models,
            ("POST", "/v1/messages"): self.messages,
            ("GET", "/health/live"): self.live,
            ("GET", "/health/ready"): self.readiness,
            ("GET", "/metrics"): self.metrics,
            ("POST", "/admin/keys"): self.create_key,
            ("GET", "/admin/keys"): self.list_keys,
        }

    # ------------------------------------------------------------------ lifecycle

    async def startup(self) -> None:
        self.client = Client(**self.config.client_options())
        url = self.config.keys
        if url is not None:
            self.keys = open_keys(url)
            shared = not url.startswith(("sqlite://", "memory://"))
            counters = self.client.open_counters(url if shared else f"memory://gateway-{id(self)}")
            self.alerts = Alerts(webhook=self.config.budget_webhook, webhook_timeout=self.config.budget_webhook_timeout)
            self.limiter = Limiter(
                counters,
                self.price_of,
                fail_open=self.config.fail_open,
                alerts=AlertGate(counters, self.alerts),
                thresholds=self.config.budget_alerts,
            )
        self.ready = True

    async def shutdown(self) -> None:
        self.ready = False
        if self.alerts is not None and self.alerts.posting:
            import asyncio

            # Budget webhooks under way get their timeout to land before the process goes.
            await asyncio.to_thread(self.alerts.wait, self.alerts.webhook_timeout)
        if self.client is not None:
            await self.client.aclose()
        if self.keys is not None:
            await self.keys.close()

    def price_of(self, model: str) -> ModelInfo | None:
        if model not in self._prices:
            assert self.client is not None
            try:
                self._prices[model] = self.client.model_info(model)
            except LluminaryError:
                self._prices[model] = None
        return self._prices[model]

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        given = header(scope, b"x-request-id")
        request_id = given if given and len(given) <= 128 and given.isprintable() else os.urandom(16).hex()
        ctx = Context(request_id, method, path, time.perf_counter(), anthropic=path == "/v1/messages")
        started = False

        async def tracked(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                ctx.status = message["status"]
            await send(message)

        try:
            handler = self.routes.get((method, path)) or self._route_with_id(method, path)
            await handler(ctx, scope, receive, tracked)
        except ClientGone:
            ctx.status = ctx.status or 499
            ctx.error = "client_disconnected"
        except Exception as exc:  # noqa: BLE001 - every failure is an answer in the API's shape
            error = from_lluminary(exc)
            if error.status >= 500 and not isinstance(exc, (GatewayError, LluminaryError)):
                error_log.error("request %s failed: %s", request_id, type(exc).__name__, exc_info=exc)
            ctx.error = error.code or error.type
            if not started:
                ctx.status = error.status
                body = error.anthropic_body() if ctx.anthropic else error.openai_body()
                await send_json(send, error.status, body, [*ctx.headers(), *error.headers()])
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(ctx.log_line())

    def _route_with_id(self, method: str, path: str) -> Handler:
        if path.startswith("/admin/keys/") and method in ("GET", "DELETE"):
            return self.read_key if method == "GET" else self.revoke_key
        if path.startswith("/v1/models/") and method == "GET":
            return self.read_model
        if any(route_path == path for _, route_path in self.routes):
            raise GatewayError(405, f"{method} is not allowed on {path}", code="method_not_allowed")
        raise not_found(f"no route {method} {path}", code="unknown_url")

    # ------------------------------------------------------------------ helpers

    async def json_body(self, scope: Scope, receive: Receive) -> Any:
        body = await read_body(scope, receive, self.config.max_body_bytes)
        try:
            return loads(body)
        except ValueError:
            raise bad_request("the request body is not valid JSON", code="invalid_json") from None

    def _presented_key(self, scope: Scope) -> str | None:
        authorization = header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
        return header(scope, b"x-api-key")

    async def authenticate(self, scope: Scope) -> VirtualKey:
        """The caller's key: :data:`MASTER` for the master key (or an open gateway), else its
        virtual key; 401 otherwise. Keys are compared by hash, in constant time."""
        master = self.config.master_key
        if master is None:
            return MASTER
        presented = self._presented_key(scope)
        if not presented:
            raise unauthorized("no API key given: send Authorization: Bearer <key>")
        import hmac

        if hmac.compare_digest(presented.encode(), master.get().encode()):
            return MASTER
        if self.keys is None:
            raise unauthorized()
        key_hash = hash_key(presented)
        now = time.monotonic()
        cached = self._key_cache.get(key_hash)
        if cached is not None and cached[0] > now:
            found = cached[1]
        else:
            try:
                found = await self.keys.get(key_hash)
            except Exception as exc:  # noqa: BLE001 - any store failure: the key cannot be checked
                raise GatewayError(
                    503,
                    f"the key store is unavailable ({type(exc).__name__})",
                    type="server_error",
                    code="keys_unavailable",
                ) from None
            if len(self._key_cache) > 10_000:
                self._key_cache.clear()
            self._key_cache[key_hash] = (now + KEY_CACHE_SECONDS, found)
        if found is None:
            raise unauthorized()
        if found.revoked:
            raise unauthorized("this API key was revoked")
        return found

    async def admin(self, scope: Scope) -> None:
        if self.config.master_key is None or self.keys is None:
            raise not_found("the admin API needs keys: and master_key_env: in the config", code="admin_disabled")
        principal = await self.authenticate(scope)
        if principal is not MASTER:
            raise GatewayError(403, "the admin API takes the master key", type="permission_error", code="not_master")

    def _allowed(self, key: VirtualKey, model: str) -> None:
        if not key.allows(model):
            raise forbidden(f"this key may not use the model {model!r}")

    async def _admit(
        self, ctx: Context, key: VirtualKey, models: list[str], tokens: int, output: int | None
    ) -> Admission | None:
        if key is MASTER or self.limiter is None:
            return None
        return await self.limiter.admit(key, models, tokens, output)

    async def _settle(self, ctx: Context, admission: Admission | None, usage: Any, cost: Any) -> None:
        ctx.input_tokens, ctx.output_tokens = usage.input_tokens, usage.output_tokens
        ctx.cost = None if cost is None else cost.total
        if admission is not None and self.limiter is not None:
            await self.limiter.settle(admission, usage, ctx.cost)

    async def _release(self, admission: Admission | None) -> None:
        if admission is not None and self.limiter is not None:
            await self.limiter.release(admission)

    # ------------------------------------------------------------------ OpenAI API

    async def chat_completions(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        call = chat_call(await self.json_body(scope, receive))
        wire = ChatWire(
            lambda response: completion_json(response, reasoning=call.reasoning),
            lambda model: ChunkWriter(model, include_usage=call.include_usage, reasoning=call.reasoning),
            lambda error: error_frame(error.openai_body()),
        )
        await self.serve_chat(ctx, scope, receive, send, call.model, call.stream, call.kwargs, wire)

    async def serve_chat(
        self,
        ctx: Context,
        scope: Scope,
        receive: Receive,
        send: Send,
        model: str,
        stream: bool,
        kwargs: Mapping[str, Any],
        wire: ChatWire,
    ) -> None:
        """One chat call in any API's format (``wire`` writes it): authenticate, admit against the
        key's limits, call the deployments, settle what it cost; streamed or not."""
        ctx.model, ctx.stream = model, stream
        key = await self.authenticate(scope)
        ctx.key = None if key is MASTER else key.id
        self._allowed(key, model)
        plan = self.router.plan(model)
        # Built for the first deployment: the usual call sends it as it is.
        request = build_chat_request(plan[0].model, None, **kwargs, **plan[0].call_options())
        admission = await self._admit(
            ctx, key, [d.model for d in plan], estimate_input_tokens(request), request.max_tokens
        )
        assert self.client is not None
        if not stream:
            try:
                response, deployment = await calls.generate(self.client, self.router, plan, request, ctx.request_id)
            except BaseException:
                await self._release(admission)
                raise
            ctx.upstream = deployment.model
            await self._settle(ctx, admission, response.usage, response.cost)
            await send_json(send, 200, wire.response_json(response), ctx.headers())
            return
        try:
            opened = await calls.open_stream(self.client, self.router, plan, request, ctx.request_id)
        except BaseException:
            await self._release(admission)
            raise
        ctx.upstream = opened.deployment.model
        writer = wire.stream_writer(opened.deployment.model.partition(":")[2])

        async def frames() -> AsyncIterator[bytes]:
            try:
                yield writer.start()
                async for event in opened.events():
                    yield writer.frames(event)
            except LluminaryError as exc:
                error = from_lluminary(exc)
                ctx.error = error.code or error.type
                yield wire.error_frame(error)
            finally:
                await self._finish_stream(ctx, opened, admission)

        if not await send_stream(send, receive, frames(), ctx.headers()):
            ctx.error = ctx.error or "client_disconnected"

    async def _finish_stream(self, ctx: Context, opened: calls.OpenStream, admission: Admission | None) -> None:
        """Close the upstream stream and count what it cost. A stream that did not finish keeps
        its reservation: its cost is not known, and the estimate bounds it."""
        await opened.aclose()
        final = opened.final
        if final is not None:
            await self._settle(ctx, admission, final.usage, final.cost)

    async def embeddings(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        call = embed_call(await self.json_body(scope, receive))
        ctx.model = call.model
        key = await self.authenticate(scope)
        ctx.key = None if key is MASTER else key.id
        self._allowed(key, call.model)
        plan = self.router.plan(call.model)
        tokens = sum(len(text) for text in call.inputs) // 4 + len(call.inputs)
        admission = await self._admit(ctx, key, [d.model for d in plan], tokens, 0)
        assert self.client is not None
        try:
            response = await calls.embed(self.client, self.router, plan, call.inputs, dict(call.kwargs), ctx.request_id)
        except BaseException:
            await self._release(admission)
            raise
        await self._settle(ctx, admission, response.usage, response.cost)
        await send_json(send, 200, embeddings_json(response, as_base64=call.base64), ctx.headers())

    def _model_names(self, key: VirtualKey) -> list[str]:
        return [name for name in self.router.names() if key.allows(name)]

    async def list_models(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        key = await self.authenticate(scope)
        await send_json(send, 200, models_json(self._model_names(key)), ctx.headers())

    async def read_model(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        key = await self.authenticate(scope)
        name = ctx.path[len("/v1/models/") :]
        if not (key.allows(name) and self.router.known(name)):
            raise not_found(f"the model {name!r} does not exist or is not served by this gateway")
        await send_json(send, 200, model_json(name), ctx.headers())

    # ------------------------------------------------------------------ Anthropic API

    async def messages(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        from .anthropic_wire import serve_messages

        await serve_messages(self, ctx, scope, receive, send)

    # ------------------------------------------------------------------ operations

    async def live(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"status": "ok"}, ctx.headers())

    async def readiness(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        problem = None if self.ready else "starting or stopping"
        if problem is None and self.keys is not None:
            try:
                await self.keys.ping()
            except Exception as exc:  # noqa: BLE001 - the key store's failure is the answer
                problem = f"the key store is unreachable ({type(exc).__name__})"
        if problem is None:
            await send_json(send, 200, {"status": "ready"}, ctx.headers())
        else:
            await send_json(send, 503, {"status": "unavailable", "reason": problem}, ctx.headers())

    async def metrics(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            import prometheus_client
        except ImportError:
            raise not_found(
                "metrics need prometheus_client: pip install 'lluminary-gateway[prometheus]' and add "
                "exporters: [prometheus] to the config",
                code="metrics_disabled",
            ) from None
        data = prometheus_client.generate_latest(prometheus_client.REGISTRY)
        await send_json(send, 200, data, ctx.headers(), prometheus_client.CONTENT_TYPE_LATEST.encode())

    # ------------------------------------------------------------------ admin API

    async def create_key(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        await self.admin(scope)
        body = await self.json_body(scope, receive)
        key, record = new_key(object_body(body))
        assert self.keys is not None
        await self.keys.put(record)
        await send_json(send, 200, {"key": key, **record.public()}, ctx.headers())

    async def list_keys(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        await self.admin(scope)
        assert self.keys is not None
        found = sorted(await self.keys.all(), key=lambda k: k.created)
        data = [{**k.public(), "spend": await self._spend(k)} for k in found]
        await send_json(send, 200, {"object": "list", "data": data}, ctx.headers())

    async def _find_key(self, ctx: Context) -> VirtualKey:
        assert self.keys is not None
        wanted = ctx.path[len("/admin/keys/") :]
        for key in await self.keys.all():
            if key.id == wanted:
                return key
        raise not_found(f"no key with id {wanted!r}", code="key_not_found")

    async def _spend(self, key: VirtualKey) -> dict[str, Any] | None:
        return None if self.limiter is None else await self.limiter.spend(key)

    async def read_key(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        await self.admin(scope)
        key = await self._find_key(ctx)
        await send_json(send, 200, {**key.public(), "spend": await self._spend(key)}, ctx.headers())

    async def revoke_key(self, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
        await self.admin(scope)
        key = await self._find_key(ctx)
        revoked = attrs.evolve(key, revoked=True)
        assert self.keys is not None
        await self.keys.put(revoked)
        self._key_cache.pop(key.hash, None)
        await send_json(send, 200, revoked.public(), ctx.headers())


def create_app(config: GatewayConfig) -> Gateway:
    return Gateway(config)


def app_from_environment() -> Gateway:
    """The app for ``uvicorn --factory`` and for each worker of ``lluminary serve --workers N``:
    the config file named by ``LLUMINARY_GATEWAY_CONFIG``."""
    import os

    from .config import load_config

    path = os.environ.get("LLUMINARY_GATEWAY_CONFIG")
    if not path:
        raise LluminaryError("set LLUMINARY_GATEWAY_CONFIG to the gateway's config file")
    return Gateway(load_config(path))
