"""The playground's protocol, in process: validation and clamping, CSV parsing, and whole
WebSocket sessions through Starlette's TestClient (skipped without starlette and httpx)."""

from __future__ import annotations

import faulthandler
import gc
import io
import json
import subprocess
import sys
import threading
import time
import warnings
import weakref
import zipfile
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.playground.features import CSVError, feature_matrix, grid, parse_csv
from chainrule.playground.protocol import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    apply_params,
    defaults,
    parse_message,
    unpack,
)

ORIGIN = {"origin": "http://testserver"}
SMALL = {"n_points": 100, "layers": [4], "learning_rate": 0.3, "seed": 5}


# ------------------------------------------------------------------ validation, no server
def test_out_of_range_parameters_are_clamped_with_a_note_each():
    update = {
        "learning_rate": 50,
        "layers": [3, 40, 0, 2, 2, 2, 2, 2, 2],
        "n_points": 10**9,
        "batch_size": 0,
        "noise": "abc",
        "activation": "bogus",
        "seed": 2.5,
        "momentum": float("nan"),
        "launch_missiles": True,
    }
    p, notes = apply_params(defaults(), update)
    assert p["learning_rate"] == 10.0
    assert p["layers"] == [3, 16, 1, 2, 2, 2]
    assert p["n_points"] == 5000 and p["batch_size"] == 1 and p["seed"] == 2
    assert p["noise"] == 0.0 and p["activation"] == "tanh" and p["momentum"] == 0.9
    assert p["activations"] == ["tanh"] * 6  # one per hidden layer
    text = "\n".join(notes)
    for expected in (
        "learning_rate: 50 is above the maximum 10; using 10",
        "layers: 9 entries is more than 6",
        "layers[1]: 40 is above the maximum 16",
        "layers[2]: 0 is below the minimum 1",
        "noise: expected a number",
        'activation: "bogus" is not one of',
        "seed: 2.5 is not a whole number",
        "momentum: nan is not a finite number",
        'unknown parameter "launch_missiles" ignored',
    ):
        assert expected in text
    assert apply_params(defaults(), {"learning_rate": 1e-9})[0]["learning_rate"] == 1e-5


def test_parameters_stay_consistent():
    p, _ = apply_params(defaults(), {"dataset": "plane"})
    assert (p["problem"], p["loss"]) == ("regression", "mse")
    p, notes = apply_params(p, {"problem": "classification"})
    assert p["dataset"] == "circle"
    p, notes = apply_params(defaults(), {"dataset": "spiral", "classes": 3, "loss": "mse"})
    assert p["loss"] == "cross_entropy" and "softmax" in notes[0]
    p, _ = apply_params(defaults(), {"layers": [2, 2, 2], "activation": "relu"})
    assert p["activations"] == ["relu"] * 3
    p, _ = apply_params(p, {"activations": ["sigmoid", "relu", "tanh"]})
    assert p["activations"] == ["sigmoid", "relu", "tanh"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", "JSON object"),
        ("[1, 2]", "JSON object"),
        ('{"type": "explain", "index": -1}', "non-negative integer"),
        ('{"type": "explain", "index": 0, "split": "all"}', "'train' or 'test'"),
        ('{"type": "add_point", "x": 1, "y": "2", "label": 0}', "add_point: y"),
        ('{"type": "config", "params": 3}', "object 'params'"),
        ('{"type": "__import__"}', "unknown message type"),
        ("[" * 100_000, "limited to"),
    ],
)
def test_malformed_messages_are_refused(text, error):
    with pytest.raises(ProtocolError, match=error):
        parse_message(text)


def test_csv_parsing_good_and_bad():
    X, y, classes, note = parse_csv(b"# my data\nx,y,c\n1;2;1\n3\t4\t-1\n5,6,1\n7,8,-1\n")
    assert classes == 2 and y.tolist() == [1, 0, 1, 0] and np.abs(X).max() == 5.0
    X, y, classes, note = parse_csv(b"0,0,0.5\n1,0,2\n0,1,-1\n1,1,0\n")
    assert classes == 0 and y.max() == 1.0 and "regression" in note
    bad = {
        b"0,0,0\n1,1\n": "line 2: expected 3 numbers",
        b"0,0,0\n1,1,x\n": "line 2",
        b"0,0,0\n1,1,inf\n2,2,0\n3,3,1\n": "finite",
        b"0,0,0\n": "at least 4 points",
        b"\xff\xfe0,0": "UTF-8",
        b"0,0,1\n" * 10_001: "more than 10,000 points",
        b"0" * (1 << 20 | 1): "limit is 1,048,576",
    }
    for data, message in bad.items():
        with pytest.raises(CSVError, match=message):
            parse_csv(data)


# ------------------------------------------------------------------ sessions over a WebSocket
@pytest.fixture
def app():
    pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
    pytest.importorskip("httpx", reason="httpx is needed by Starlette's TestClient")
    from chainrule.playground.server import create_app

    return create_app()


@pytest.fixture
def client(app):
    # TestClient's receive() blocks for ever: should a test wait for a message that never
    # comes, dump the stacks and exit rather than hang the whole run
    faulthandler.dump_traceback_later(120, exit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette 1.x prefers httpx2 and says so on import
        from starlette.testclient import TestClient
    with TestClient(app) as c:
        yield c
    faulthandler.cancel_dump_traceback_later()


def recv(ws) -> dict:
    """The next server message as a dict (binary envelopes: header plus ``arrays``)."""
    m = ws.receive()
    if m["type"] == "websocket.close":
        return {"type": "closed", "code": m.get("code")}
    if m.get("bytes") is not None:
        header, arrays = unpack(m["bytes"])
        return {**header, "arrays": arrays}
    return json.loads(m["text"])


def until(ws, predicate, limit: int = 2000) -> dict:
    """Read messages until one satisfies ``predicate``."""
    for _ in range(limit):
        m = recv(ws)
        if predicate(m):
            return m
        assert m["type"] not in ("closed",), m
    raise AssertionError("the expected message never came")


def configure(ws, **params) -> dict:
    ws.send_text(json.dumps({"type": "config", "params": params}))
    return until(
        ws,
        lambda m: (
            m["type"] == "params" and m["params"]["seed"] == params.get("seed", m["params"]["seed"])
        ),
    )


def test_a_training_session_streams_frames(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        hello = recv(ws)
        assert hello["type"] == "hello" and "circle" in hello["options"]["dataset"]["choices"]
        assert hello["limits"]["message_bytes"] == MAX_MESSAGE_BYTES
        configure(ws, **SMALL)
        data = until(ws, lambda m: m["type"] == "data" and len(m["arrays"]["train_x"]) == 50)
        assert data["arrays"]["test_x"].shape == (50, 2) and data["classes"] == 2
        first = until(ws, lambda m: m["type"] == "frame" and m["steps"] == 0)
        ws.send_text(json.dumps({"type": "play"}))
        assert until(ws, lambda m: m["type"] == "status")["running"] is True
        frames = [until(ws, lambda m: m["type"] == "frame" and m["steps"] > 0)]
        while frames[-1]["test_loss"] > 0.5 * first["test_loss"]:
            frames.append(until(ws, lambda m: m["type"] == "frame"))
            assert len(frames) < 400, "the test loss did not fall"
        frames += [until(ws, lambda m: m["type"] == "frame") for _ in range(5)]
        ws.send_text(json.dumps({"type": "pause"}))
        assert until(ws, lambda m: m["type"] == "status")["reason"] == "paused"
    last = frames[-1]
    assert last["epoch"] > 0 and last["test_acc"] > 0.8
    assert np.array(last["confusion"]).sum() == 50
    gaps = np.diff([f["t"] for f in frames])
    assert gaps.min() >= 0.045, "more than 20 frames a second"
    a = last["arrays"]
    assert a["output"].shape == (64, 64) and a["output"].dtype == np.uint8
    assert a["neurons"].shape == (4 + 1, 24, 24) and a["neurons"].dtype == np.uint8
    assert a["neurons"][0].std() > 0  # a neuron's basis function varies over the plane
    assert last["layer_shapes"] == [[4, 2], [1, 4]] and a["weights"].size == 12
    assert len(last["grad_norms"]) == 2 and all(g > 0 for g in last["grad_norms"])


def test_clamped_parameters_come_back_with_notes_and_are_used(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        ws.send_text(
            json.dumps(
                {
                    "type": "config",
                    "params": {"n_points": 3, "learning_rate": 1e3, "layers": [99] * 8, "seed": 9},
                }
            )
        )
        reply = until(ws, lambda m: m["type"] == "params" and m["params"]["seed"] == 9)
        p = reply["params"]
        assert (p["n_points"], p["learning_rate"], p["layers"]) == (20, 10.0, [16] * 6)
        assert any("n_points: 3 is below the minimum 20" in n for n in reply["notes"])
        data = until(ws, lambda m: m["type"] == "data")
        assert len(data["arrays"]["train_x"]) + len(data["arrays"]["test_x"]) == 20
        frame = until(ws, lambda m: m["type"] == "frame" and len(m["layer_shapes"]) == 7)
        assert frame["arrays"]["neurons"].shape[0] == 6 * 16 + 1
        ws.send_text('{"type": "explain", "index": "zero"}')
        assert "non-negative integer" in until(ws, lambda m: m["type"] == "error")["message"]


def test_a_foreign_origin_or_host_is_refused(client, app):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}):
            pass
    assert info.value.code == 1008
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"origin": "null"}):
            pass
    from chainrule.playground.server import LOCAL_HOSTS, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    local = TestClient(create_app(trusted_hosts=LOCAL_HOSTS))  # Host: testserver is not local
    assert local.get("/").status_code == 400
    with pytest.raises(WebSocketDisconnect):
        with local.websocket_connect("/ws", headers=ORIGIN):
            pass
    page = client.get("/")
    assert page.status_code == 200 and "playground.js" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert client.get("/static/playground.js").status_code == 200


def test_an_oversized_message_closes_the_socket(client, app):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        ws.send_text(json.dumps({"type": "config", "params": {"pad": "x" * MAX_MESSAGE_BYTES}}))
        error = until(ws, lambda m: m["type"] == "error")
        assert "limited to 65536 bytes" in error["message"]
        assert until(ws, lambda m: m["type"] == "closed")["code"] == 1009
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        ws.send_bytes(b"0,0,0\n" * 200_000)  # 1.2 MB
        assert until(ws, lambda m: m["type"] == "closed")["code"] == 1009
    deadline = time.monotonic() + 5
    while app.state.sessions and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not app.state.sessions


def test_csv_upload_good_and_bad(client):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (300, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(a * b > 0)}" for a, b in pts)
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        ws.send_bytes(b"x1,x2,label\n0,0,0\n1,1\n")
        error = until(ws, lambda m: m["type"] == "error")
        assert error["message"] == "CSV upload: line 3: expected 3 numbers (x1, x2, label), got 2"
        ws.send_bytes(("x1,x2,label\n" + rows).encode())
        reply = until(ws, lambda m: m["type"] == "params" and m["params"]["dataset"] == "custom")
        assert "300 points, 2 classes" in reply["notes"][0]
        data = until(ws, lambda m: m["type"] == "data")
        assert data["dataset"] == "custom"
        assert len(data["arrays"]["train_y"]) + len(data["arrays"]["test_y"]) == 300
        ws.send_text(json.dumps({"type": "add_point", "x": 1.0, "y": 99, "label": 7}))
        more = until(ws, lambda m: m["type"] == "data")
        assert len(more["arrays"]["train_y"]) == len(data["arrays"]["train_y"]) + 1
        assert more["arrays"]["train_x"][-1].tolist() == [1.0, 6.0]  # clamped to the view
        assert more["arrays"]["train_y"][-1] == 1.0  # clamped to the last class


def _step_epochs(ws, n: int) -> dict:
    frame = None
    for _ in range(n):
        ws.send_text('{"type": "step"}')
        until(ws, lambda m: m["type"] == "status" and m["reason"] == "step")
    for _ in range(100):
        frame = until(ws, lambda m: m["type"] == "frame")
        if frame["epoch"] == n and not frame["running"]:
            return frame
    raise AssertionError("no frame after the steps")


def test_export_loads_back_and_predicts_as_the_server(client, tmp_path):
    pytest.importorskip("safetensors", reason="export writes safetensors")
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        configure(
            ws,
            **{
                **SMALL,
                "features": ["x1", "x2", "x1sq", "sinx2"],
                "regularization": "l2",
                "reg_rate": 0.01,
                "optimizer": "adam",
                "learning_rate": 0.03,
            },
        )
        frame = _step_epochs(ws, 3)
        ws.send_text('{"type": "explain", "split": "test", "index": 4}')
        report = until(ws, lambda m: m["type"] == "explain")
        ws.send_text('{"type": "export"}')
        exported = until(ws, lambda m: m["type"] == "export")
    assert report["check"]["agree"]
    assert [s["name"] for s in report["steps"]] == ["z1", "h1", "z2", "L"]
    assert np.array(report["steps"][0]["jacobian"]).shape == (4, 4)  # 4 inputs × 4 outputs
    archive = zipfile.ZipFile(io.BytesIO(exported["arrays"]["zip"].tobytes()))
    names = set(archive.namelist())
    assert {"config.json", "model.safetensors", "reproduce.py", "data.csv"} <= names
    archive.extractall(tmp_path)
    model = cr.load(tmp_path)
    meta = model.checkpoint_metadata
    assert meta["steps"] == frame["steps"] and meta["features"] == ["x1", "x2", "x1sq", "sinx2"]
    # the server's output for one test point (from the explanation) ...
    F = feature_matrix(np.array([report["point"]], dtype=np.float32), meta["features"])
    with cr.no_grad():
        z = model(cr.tensor(F)).numpy()
    assert np.allclose(z[0], report["output"], atol=1e-5)
    # ... and its output heatmap
    with cr.no_grad():
        G = model(cr.tensor(feature_matrix(grid(64), meta["features"]))).numpy()[:, 0]
    heat = np.rint((2 / (1 + np.exp(-G.astype(np.float64))) - 1 + 1) * 127.5).reshape(64, 64)
    assert np.abs(heat - frame["arrays"]["output"]).max() <= 1
    # reproduce.py retrains the same network from the seed, step for step
    run = subprocess.run(
        [sys.executable, "reproduce.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    again = cr.load(tmp_path / "reproduced")
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert np.array_equal(a, b), name


def test_explain_multiclass_and_regression(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        configure(ws, dataset="spiral", classes=3, n_points=90, layers=[5, 3], seed=2)
        frame = _step_epochs(ws, 2)
        assert frame["arrays"]["output_class"].max() <= 2
        assert np.array(frame["confusion"]).shape == (3, 3)
        assert frame["layer_shapes"][-1] == [3, 3]  # three logits, softmax cross-entropy
        ws.send_text('{"type": "explain", "split": "train", "index": 0}')
        report = until(ws, lambda m: m["type"] == "explain")
        assert report["check"]["agree"] and report["steps"][-1]["equation"].startswith("L = −log")
        configure(ws, dataset="plane", n_points=60, layers=[2], seed=3)
        frame = _step_epochs(ws, 1)
        assert frame["test_acc"] is None and frame["confusion"] is None
        ws.send_text('{"type": "explain", "split": "test", "index": 99}')
        assert "no test point 99" in until(ws, lambda m: m["type"] == "error")["message"]


def test_live_changes_and_stopping_criteria(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        configure(ws, **{**SMALL, "max_epochs": 200})
        ws.send_text('{"type": "play"}')
        until(ws, lambda m: m["type"] == "frame" and m["epoch"] >= 3)
        change = {"learning_rate": 0.01, "optimizer": "momentum"}
        ws.send_text(json.dumps({"type": "config", "params": change}))
        seen, epochs = [], []
        while not (seen and seen[-1]["type"] == "status" and not seen[-1]["running"]):
            seen.append(recv(ws))
            epochs += [seen[-1]["epoch"]] if seen[-1]["type"] == "frame" else []
        kinds = [m["type"] for m in seen]
        assert "data" not in kinds and epochs == sorted(epochs)  # trained on, not restarted
        params = next(m for m in seen if m["type"] == "params")["params"]
        assert (params["optimizer"], params["learning_rate"]) == ("momentum", 0.01)
        assert (seen[-1]["reason"], seen[-1]["epoch"]) == ("max_epochs", 200)
        configure(ws, max_epochs=0, patience=2, min_delta=0.5, seed=6)
        ws.send_text('{"type": "play"}')
        stop = until(ws, lambda m: m["type"] == "status" and not m["running"])
        assert stop["reason"] == "plateau" and stop["epoch"] >= 3


def test_a_closed_connection_stops_and_frees_its_session(client, app):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        recv(ws)
        ws.send_text('{"type": "play"}')
        until(ws, lambda m: m["type"] == "frame" and m["steps"] > 0)
        (session,) = app.state.sessions
        ref = weakref.ref(session)
        del session
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (
        app.state.sessions
        or any(t.name == "chainrule-playground-session" for t in threading.enumerate())
    ):
        time.sleep(0.02)
    assert not app.state.sessions
    assert not [t for t in threading.enumerate() if t.name == "chainrule-playground-session"]
    # the server's endpoint coroutine may still be unwinding on the test client's event-loop
    # thread: give it a moment on a loaded machine, but the session must end up unreferenced
    deadline = time.monotonic() + 10
    gc.collect()
    while ref() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
        gc.collect()
    assert ref() is None, "the session is still referenced"


def test_main_refuses_nothing_silently(capsys):
    from chainrule.playground import is_local, main

    assert main(["--port", "notaport"]) == 2
    assert "'notaport' is not a port number" in capsys.readouterr().err
    assert main(["--port", "0"]) == 2
    assert "'0' is not a port number" in capsys.readouterr().err
    assert is_local("::1") and not is_local("192.168.1.2")


def test_static_files_are_package_data():
    static = Path(cr.__file__).parent / "playground" / "static"
    for name in ("index.html", "playground.js", "playground.css"):
        assert (static / name).is_file()
    text = (static / "playground.js").read_text()
    assert "eval(" not in text and "new Function" not in text
