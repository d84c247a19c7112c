"""The playground's web server: one page, its static files, and a WebSocket per training session.

Routes: ``/`` (the page), ``/static/...`` (its script and style sheet) and ``/ws`` (the
protocol of :mod:`chainrule.playground.protocol`). Each WebSocket gets its own
:class:`~chainrule.playground.session.Session`, stopped and dropped when the client goes.

Security: a WebSocket whose ``Origin`` does not match its ``Host`` is refused (code 1008, which
reaches the client as HTTP 403), as is any request whose ``Host`` is not in ``trusted_hosts``
(against DNS rebinding) or is not a plain host[:port] (it goes into the CSP header); a
connection past ``max_sessions`` is accepted and closed with code 1013 and a message; a client
that stops reading is closed (code 4008) once :class:`Outbox` holds too much for it; a text
message over 64 KiB or an upload over 1 MiB closes the socket (code 1009); nothing a client
sends is evaluated or unpickled.

Starlette is imported inside :func:`create_app`, so this module imports without it.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import chainrule
from chainrule.playground.features import MAX_UPLOAD_BYTES, MAX_UPLOAD_POINTS
from chainrule.playground.protocol import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    defaults,
    options,
    parse_message,
)
from chainrule.playground.session import FRAME_INTERVAL, Session

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

__all__ = [
    "CLOSE_BEHIND",
    "CLOSE_BUSY",
    "LOCAL_HOSTS",
    "MAX_PENDING_BYTES",
    "MAX_PENDING_MESSAGES",
    "STATIC",
    "Outbox",
    "create_app",
    "host_allowed",
    "host_valid",
    "origin_allowed",
]

STATIC = Path(__file__).with_name("static")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_FRAME = object()

MAX_PENDING_MESSAGES = 512
"""Replies waiting for a client at most; past this the client is closed as too far behind."""
MAX_PENDING_BYTES = 16 << 20
"""Bytes of replies waiting for a client at most (a frame is not counted: one waits at most)."""
CLOSE_BEHIND = 4008
"""Close code for a client that stopped reading its messages."""
CLOSE_BUSY = 1013
"""Close code ("try again later") when every session is taken. Such a connection is accepted
first, so the client sees this code and a message, not the HTTP 403 of an origin or host
refusal."""
_HOST = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


class Outbox:
    """A session's messages on their way to the socket: replies in order, frames coalesced.

    The worker thread calls :meth:`send` and :meth:`send_frame`; the event loop's pump awaits
    :meth:`get` and calls :meth:`done` once a message is written. While a frame waits or is
    being written, :meth:`busy` is True and the worker builds no new one, so a slow client
    gets fewer frames instead of a growing queue. Replies are bounded too: past
    :data:`MAX_PENDING_MESSAGES` or :data:`MAX_PENDING_BYTES` unwritten, the outbox drops
    what waits and all that follows and sets :attr:`behind` (the server then closes the
    client); :meth:`close` frees what waits once the client has gone.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._lock = threading.Lock()
        self._frame: bytes | None = None
        self._in_flight = False
        self._count = 0
        self._bytes = 0
        self.behind = False
        self.closed = False

    def send(self, message: str | bytes) -> None:
        with self._lock:
            if self.behind or self.closed:
                return
            self._count += 1
            self._bytes += len(message)
            if self._count > MAX_PENDING_MESSAGES or self._bytes > MAX_PENDING_BYTES:
                self.behind, self._frame = True, None  # the client does not read: stop here
                self._call(self._drain)
                return
        self._put(message)

    def send_frame(self, frame: bytes) -> None:
        with self._lock:
            if self.behind or self.closed:
                return
            queued = self._frame is not None
            self._frame, self._in_flight = frame, True
        if not queued:
            self._put(_FRAME)

    def busy(self) -> bool:
        return self._in_flight

    def pending(self) -> tuple[int, int]:
        """Replies queued but not yet taken by the pump, and their size."""
        with self._lock:
            return self._count, self._bytes

    async def get(self) -> str | bytes:
        while True:
            item = await self._queue.get()
            with self._lock:
                if self.behind or self.closed:
                    continue
                if item is _FRAME:
                    item, self._frame = self._frame, None
                else:
                    self._count -= 1
                    self._bytes -= len(item)
            if item is not None:
                return item

    def done(self) -> None:
        with self._lock:
            self._in_flight = self._frame is not None

    def close(self) -> None:
        """Drop everything still queued (the client has gone); later messages are ignored.
        Call it on the event loop's thread."""
        with self._lock:
            self.closed, self._frame = True, None
        self._drain()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        with self._lock:
            self._count = self._bytes = 0

    def _put(self, item: Any) -> None:
        self._call(self._queue.put_nowait, item)

    def _call(self, fn: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the connection is gone
            pass


def host_allowed(host: str | None, trusted: Sequence[str] | None) -> bool:
    """Whether a ``Host`` header names one of ``trusted`` (any host when ``trusted`` is None).

    >>> host_allowed("localhost:8000", LOCAL_HOSTS), host_allowed("[::1]:80", LOCAL_HOSTS)
    (True, True)
    >>> host_allowed("evil.example:8000", LOCAL_HOSTS)
    False
    """
    if trusted is None:
        return True
    try:
        name = urlsplit(f"//{host or ''}").hostname
    except ValueError:
        return False
    return name is not None and name in trusted


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """Whether a WebSocket's ``Origin`` is the page's own site (scheme http(s), same host:port).

    A missing Origin (not a browser) is allowed; browsers always send one.

    >>> origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000")
    True
    >>> origin_allowed("https://evil.example", "127.0.0.1:8000"), origin_allowed("null", "x")
    (False, False)
    """
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


def host_valid(host: str | None) -> bool:
    """Whether a ``Host`` header is a plain host name or address with an optional port, and
    so safe to copy into a header (the CSP).

    >>> host_valid("127.0.0.1:8000"), host_valid("[::1]:80"), host_valid("a.example")
    (True, True, True)
    >>> host_valid("x; script-src *"), host_valid("x\\r\\nSet-Cookie: a=b"), host_valid("")
    (False, False, False)
    """
    return bool(host) and _HOST.fullmatch(host) is not None


def _security_headers(host: str) -> dict[str, str]:
    csp = (
        "default-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' ws://{host} wss://{host}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def create_app(trusted_hosts: Sequence[str] | None = None, max_sessions: int = 32) -> Starlette:
    """The Starlette application of the playground.

    Parameters
    ----------
    trusted_hosts : sequence of str, optional
        Host names the ``Host`` header may carry (:data:`LOCAL_HOSTS` when serving on
        loopback); None accepts any.
    max_sessions : int
        Concurrent training sessions; more connections are refused with code 1013.
    """
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    page = (STATIC / "index.html").read_text(encoding="utf-8")
    sessions: set[Session] = set()

    async def index(request: Request) -> Response:
        host = request.headers.get("host", "")
        if not host_valid(host):  # it is copied into the CSP header below
            return PlainTextResponse("malformed Host header", status_code=400)
        if not host_allowed(host, trusted_hosts):
            return PlainTextResponse("unknown Host", status_code=400)
        return HTMLResponse(page, headers=_security_headers(host))

    async def socket(ws: WebSocket) -> None:
        host = ws.headers.get("host")
        if not host_allowed(host, trusted_hosts) or not origin_allowed(
            ws.headers.get("origin"), host
        ):
            await ws.close(code=1008, reason="origin or host not allowed")
            return
        if len(sessions) >= max_sessions:  # accepted, so that the client can see why
            await ws.accept()
            await _close(ws, CLOSE_BUSY, f"all {max_sessions} sessions are in use; try again later")
            return
        await ws.accept()
        await ws.send_text(json.dumps(_hello()))
        outbox = Outbox(asyncio.get_running_loop())
        session = Session(outbox)
        sessions.add(session)
        session.start()
        pump = asyncio.create_task(_pump(ws, outbox))
        try:
            code, reason = await _receive(ws, session, outbox)
        finally:
            pump.cancel()
            sessions.discard(session)
            outbox.close()
            await asyncio.to_thread(session.stop)
        if code:
            try:  # a client that does not read may never take the close frame either
                await asyncio.wait_for(_close(ws, code, reason), timeout=2.0)
            except asyncio.TimeoutError:
                pass

    app = Starlette(
        routes=[
            Route("/", index),
            WebSocketRoute("/ws", socket),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
    app.state.sessions = sessions
    return app


def _hello() -> dict[str, Any]:
    return {
        "type": "hello",
        "version": chainrule.__version__,
        "params": defaults(),
        "options": options(),
        "limits": {
            "message_bytes": MAX_MESSAGE_BYTES,
            "upload_bytes": MAX_UPLOAD_BYTES,
            "upload_points": MAX_UPLOAD_POINTS,
            "frame_interval": FRAME_INTERVAL,
        },
    }


async def _receive(ws: WebSocket, session: Session, outbox: Outbox) -> tuple[int, str]:
    """Read client messages until the client goes (0, '') or breaks a limit (code, reason)."""
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return 0, ""
        data, text = msg.get("bytes"), msg.get("text")
        if data is not None:
            if len(data) > MAX_UPLOAD_BYTES:
                return 1009, f"uploads are limited to {MAX_UPLOAD_BYTES} bytes"
            command: Any = data
        elif text is not None:
            if len(text) > MAX_MESSAGE_BYTES or len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
                return 1009, f"messages are limited to {MAX_MESSAGE_BYTES} bytes"
            try:
                command = parse_message(text)
            except ProtocolError as exc:
                outbox.send(json.dumps({"type": "error", "message": str(exc)}))
                continue
        else:
            continue
        if not session.submit(command):
            outbox.send(json.dumps({"type": "error", "message": "too many messages; slow down"}))
        if outbox.behind:
            return CLOSE_BEHIND, "the client fell too far behind reading its messages"


async def _pump(ws: WebSocket, outbox: Outbox) -> None:
    """Write the session's messages to the socket, one at a time."""
    try:
        while True:
            item = await outbox.get()
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_text(item)
            outbox.done()
    except asyncio.CancelledError:
        raise
    except Exception:  # the socket closed under us: the receive loop sees the disconnect
        return


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    try:
        await ws.send_text(json.dumps({"type": "error", "message": reason}))
        await ws.close(code=code, reason=reason)
    except Exception:  # already closed
        pass
