"""The playground against hostile or broken clients (issue 11): numbers beyond any range,
exceptions inside a session, clients that never read, forged Host headers, a full server.
After each, the session (or server) still answers."""

from __future__ import annotations

import asyncio
import faulthandler
import json
import warnings
from typing import Any

import numpy as np
import pytest

from chainrule.playground.features import RADIUS, parse_csv
from chainrule.playground.protocol import ProtocolError, apply_params, defaults, parse_message
from chainrule.playground.session import ListSink, Session
from chainrule.playground.trainer import Trainer

ORIGIN = {"origin": "http://testserver"}
SMALL = {**defaults(), "n_points": 60, "layers": [3]}


# ----------------------------------------------------------------------------- numbers
def test_integers_beyond_the_float_range_are_clamped_with_a_note() -> None:
    update = {
        "n_points": 10**400,
        "seed": -(10**400),
        "learning_rate": 10**400,
        "layers": [10**400],
    }
    p, notes = apply_params(defaults(), update)
    assert (p["n_points"], p["seed"], p["learning_rate"], p["layers"]) == (5000, 0, 10.0, [16])
    assert "n_points: inf is above the maximum 5000; using 5000" in notes
    assert "seed: -inf is below the minimum 0; using 0" in notes


def test_huge_integers_in_messages_are_protocol_errors() -> None:
    big = "1" + "0" * 400
    with pytest.raises(ProtocolError, match="x must be a finite number, got an integer of 401"):
        parse_message(f'{{"type": "add_point", "x": {big}, "y": 0, "label": 1}}')
    with pytest.raises(ProtocolError, match="a message must be a JSON object"):
        parse_message('{"type": "ping", "n": 1' + "0" * 5000 + "}")  # past Python's digit limit


def test_upload_of_extreme_values_is_centred_and_scaled_finitely() -> None:
    rows = [(1e308, -1e308, 0), (-1.7e308, 1.7e308, 1), (1.7e308, 1e308, 0), (-1e308, 0, 1)]
    X, y, classes, note = parse_csv("\n".join(",".join(map(str, r)) for r in rows).encode())
    assert np.isfinite(X).all() and np.abs(X).max() == pytest.approx(RADIUS)
    assert "inf" not in note and "nan" not in note and classes == 2
    X, _, _, _ = parse_csv(b"0,0,0\n5e-324,0,1\n0,5e-324,0\n5e-324,5e-324,1\n")
    assert np.isfinite(X).all()
    _, y, classes, _ = parse_csv(b"0,0,1e-320\n1,0,0\n0,1,-1e-320\n1,1,0.5e-320\n")
    assert classes == 0 and np.isfinite(y).all()


# ----------------------------------------------------------------------------- sessions
def _types(sink: ListSink) -> list[str]:
    return [m["type"] for m in sink.messages()]


def _answers_after(s: Session, sink: ListSink) -> None:
    """The session still answers ping and reset."""
    n = len(sink.items)
    assert s.submit({"type": "ping"}) and s.submit({"type": "reset"})
    assert s.wait_for(lambda: "pong" in _types(sink)[n:] and "status" in _types(sink)[n:])
    assert {"type": "pong"} in sink.messages()[n:]


def test_an_exception_while_training_is_reported_and_the_session_lives(monkeypatch) -> None:
    def broken(self: Trainer) -> Any:
        raise RuntimeError("injected fault")

    sink = ListSink()
    s = Session(sink, SMALL)
    s.start()
    try:
        assert s.wait_for(lambda: "data" in _types(sink))
        monkeypatch.setattr(Trainer, "step", broken)
        s.submit({"type": "play"})
        assert s.wait_for(lambda: "error" in _types(sink))
        error = next(m for m in sink.messages() if m["type"] == "error")
        assert error["message"].startswith("training failed: RuntimeError: injected fault")
        assert s.wait_for(lambda: not s.running)
        monkeypatch.undo()
        _answers_after(s, sink)
        s.submit({"type": "step"})  # and trains again once the fault is gone
        assert s.wait_for(lambda: s.epoch >= 1)
    finally:
        assert s.stop()


def test_divergence_with_a_huge_learning_rate_leaves_the_session_alive() -> None:
    params, _ = apply_params(
        SMALL, {"learning_rate": 10, "activation": "relu", "layers": [8] * 6, "n_points": 100}
    )
    sink = ListSink()
    s = Session(sink, params)
    s.start()
    try:
        s.submit({"type": "play"})
        assert s.wait_for(lambda: not s.running and s.epoch > 0, timeout=30)
        _answers_after(s, sink)
    finally:
        assert s.stop()


def test_an_out_of_range_explain_index_is_an_error_not_a_crash() -> None:
    sink = ListSink()
    s = Session(sink, SMALL)
    s.start()
    try:
        s.submit({"type": "explain", "split": "train", "index": 10**400})
        assert s.wait_for(lambda: "error" in _types(sink))
        _answers_after(s, sink)
    finally:
        assert s.stop()


# ----------------------------------------------------------------------------- the outbox
def test_outbox_is_bounded_and_freed() -> None:
    from chainrule.playground.server import MAX_PENDING_BYTES, MAX_PENDING_MESSAGES, Outbox

    async def scenario() -> None:
        box = Outbox(asyncio.get_running_loop())
        box.send("first")
        box.send_frame(b"old frame")
        box.send_frame(b"new frame")  # replaces the one not yet written
        assert [await box.get(), await box.get()] == ["first", b"new frame"]
        box.done()
        for _ in range(MAX_PENDING_MESSAGES - 1):
            box.send("x" * 10)
        box.send_frame(b"frame")
        await asyncio.sleep(0)
        assert box.pending() == (MAX_PENDING_MESSAGES - 1, 10 * (MAX_PENDING_MESSAGES - 1))
        assert not box.behind
        box.send("one more")
        box.send("and another")  # past the bound: the client is behind, everything is dropped
        await asyncio.sleep(0)
        assert box.behind and box.pending() == (0, 0) and box._queue.qsize() == 0

        big = Outbox(asyncio.get_running_loop())
        big.send(b"\0" * (MAX_PENDING_BYTES // 2))
        assert not big.behind
        big.send(b"\0" * (MAX_PENDING_BYTES // 2 + 1))
        assert big.behind

        gone = Outbox(asyncio.get_running_loop())
        for _ in range(10):
            gone.send("reply")
        await asyncio.sleep(0)
        gone.close()  # the client left: free what waits, ignore what comes
        gone.send("late")
        gone.send_frame(b"late")
        await asyncio.sleep(0)
        assert gone._queue.qsize() == 0 and gone.pending() == (0, 0)

    asyncio.run(scenario())


class _NeverReads:
    """A WebSocket whose client sends ``n`` pings and never reads a reply."""

    def __init__(self, n: int) -> None:
        self.n = n

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)
        if self.n == 0:
            return {"type": "websocket.disconnect"}
        self.n -= 1
        return {"type": "websocket.receive", "text": '{"type": "ping"}'}


def test_a_client_that_never_reads_is_closed() -> None:
    pytest.importorskip("starlette")
    from chainrule.playground.server import CLOSE_BEHIND, MAX_PENDING_MESSAGES, Outbox, _receive

    async def scenario() -> tuple[int, str, Outbox, int]:
        outbox = Outbox(asyncio.get_running_loop())
        session = Session(outbox, SMALL)
        session.start()
        ws = _NeverReads(20 * MAX_PENDING_MESSAGES)
        try:
            code, reason = await _receive(ws, session, outbox)  # type: ignore[arg-type]
        finally:
            outbox.close()
            session.stop()
        return code, reason, outbox, ws.n

    code, reason, outbox, left = asyncio.run(scenario())
    assert code == CLOSE_BEHIND and "too far behind" in reason
    assert left > 0  # closed before the client stopped sending
    assert outbox.pending() == (0, 0)


# ----------------------------------------------------------------------------- the server
@pytest.fixture
def client_for() -> Any:
    pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
    pytest.importorskip("httpx", reason="httpx is needed by Starlette's TestClient")
    faulthandler.dump_traceback_later(120, exit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from chainrule.playground.server import create_app

    clients = []

    def make(**kwargs: Any) -> Any:
        c = TestClient(create_app(**kwargs))
        clients.append(c.__enter__())
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
    faulthandler.cancel_dump_traceback_later()


def _recv(ws: Any) -> dict[str, Any]:
    m = ws.receive()
    if m["type"] == "websocket.close":
        return {"type": "closed", "code": m.get("code")}
    return json.loads(m["text"]) if m.get("text") is not None else {"type": "binary"}


def _until(ws: Any, kind: str) -> dict[str, Any]:
    for _ in range(2000):
        m = _recv(ws)
        if m["type"] == kind:
            return m
        assert m["type"] != "closed", m
    raise AssertionError(f"no {kind} message")


def test_a_forged_host_never_reaches_the_csp(client_for: Any) -> None:
    client = client_for()
    for host in ("x; script-src 'unsafe-inline' *", "evil.example:80 'unsafe-eval'"):
        page = client.get("/", headers={"host": host})
        assert page.status_code == 400 and "content-security-policy" not in page.headers
    page = client.get("/", headers={"host": "127.0.0.1:8000"})
    assert page.status_code == 200
    assert (
        "connect-src 'self' ws://127.0.0.1:8000 wss://127.0.0.1:8000;"
        in (page.headers["content-security-policy"])
    )


def test_a_full_server_says_so_distinctly_from_an_origin_refusal(client_for: Any) -> None:
    from starlette.websockets import WebSocketDisconnect

    from chainrule.playground.server import CLOSE_BUSY

    client = client_for(max_sessions=1)
    with client.websocket_connect("/ws", headers=ORIGIN) as first:
        _until(first, "hello")
        with client.websocket_connect("/ws", headers=ORIGIN) as second:  # accepted, then closed
            error = _recv(second)
            assert error["type"] == "error" and "sessions are in use" in error["message"]
            assert _recv(second) == {"type": "closed", "code": CLOSE_BUSY}
        with pytest.raises(WebSocketDisconnect) as refused:  # never accepted: HTTP 403
            with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}):
                pass
        assert refused.value.code == 1008
        first.send_text('{"type": "ping"}')
        assert _until(first, "pong") == {"type": "pong"}


def test_a_session_survives_hostile_messages_over_the_socket(client_for: Any) -> None:
    client = client_for()
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        _until(ws, "hello")
        big = "1" + "0" * 400
        ws.send_text(f'{{"type": "config", "params": {{"n_points": {big}, "noise": -{big}}}}}')
        params = _until(ws, "params")
        while not params["notes"]:
            params = _until(ws, "params")
        assert params["params"]["n_points"] == 5000 and params["params"]["noise"] == 0.0
        ws.send_text(f'{{"type": "add_point", "x": {big}, "y": 0, "label": 1}}')
        assert "finite number" in _until(ws, "error")["message"]
        ws.send_text('{"type": "ping"}')
        assert _until(ws, "pong") == {"type": "pong"}
