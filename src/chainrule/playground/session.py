"""One playground session: a worker thread that trains and answers one client's messages.

The server creates a :class:`Session` per WebSocket connection, hands it the client's messages
with :meth:`Session.submit`, and stops it with :meth:`Session.stop` when the client goes. The
worker thread owns the :class:`~chainrule.playground.trainer.Trainer`, so nothing needs a lock:
it takes commands between short slices of training and sends everything through a
:class:`Sink`. A frame goes out at most every 50 ms (≤ 20 a second), and only once the previous
one has been written, so a slow client gets fewer frames rather than a growing queue.

>>> sink = ListSink()
>>> s = Session(sink, {**defaults(), "n_points": 100})
>>> s.start()
>>> s.submit({"type": "step"}), s.wait_for(lambda: s.epoch >= 1), s.stop()
(True, True, True)
>>> sorted({m["type"] for m in sink.messages()})
['data', 'frame', 'params', 'status']
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from chainrule.playground.features import MAX_UPLOAD_POINTS, CSVError, parse_csv
from chainrule.playground.protocol import (
    DATA_KEYS,
    MODEL_KEYS,
    ProtocolError,
    apply_params,
    defaults,
    unpack,
)
from chainrule.playground.trainer import Trainer

__all__ = ["FRAME_INTERVAL", "TRAINING_GATE", "ListSink", "Session", "Sink"]

FRAME_INTERVAL = 0.05
"""Seconds between frames at least: at most 20 frames a second."""
SLICE = 0.01
"""Seconds of training between two looks at the inbox."""
TRAINING_GATE = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))
"""Sessions take turns to train, a slice at a time. Training is pure Python under the GIL, so
more trainers at once would only slow each other down, and the event loop with them: behind
this gate, waiting sessions sleep, and frames reach the clients without queueing for the GIL."""
_STOPS = {
    "max_epochs": None,
    "plateau": None,
    "diverged": "the loss is no longer finite: lower the learning rate, then reset",
}


class Sink(Protocol):
    """Where a session's messages go; every method may be called from the worker thread."""

    def send(self, message: str | bytes) -> None:
        """Deliver a reply (in order, never dropped)."""

    def send_frame(self, frame: bytes) -> None:
        """Deliver a frame; a newer frame may replace one not yet written."""

    def busy(self) -> bool:
        """Whether the last frame is still on its way (then no new frame is built)."""


class ListSink:
    """A :class:`Sink` that keeps every message, for tests and scripts."""

    def __init__(self) -> None:
        self.items: list[str | bytes] = []

    def send(self, message: str | bytes) -> None:
        self.items.append(message)

    def send_frame(self, frame: bytes) -> None:
        self.items.append(frame)

    def busy(self) -> bool:
        return False

    def messages(self) -> list[dict[str, Any]]:
        """Every message as a dict (binary envelopes as their header plus ``arrays``)."""
        out = []
        for m in list(self.items):
            if isinstance(m, bytes):
                header, arrays = unpack(m)
                out.append({**header, "arrays": arrays})
            else:
                out.append(json.loads(m))
        return out


class Session:
    """A training session driven by client messages; see the module notes.

    Parameters
    ----------
    sink : Sink
        Receives every message for the client.
    params : dict, optional
        Starting parameters (already valid); the defaults otherwise.
    """

    def __init__(self, sink: Sink, params: dict[str, Any] | None = None) -> None:
        self.sink = sink
        self.params = dict(params) if params is not None else defaults()
        self.running = False
        self.trainer: Trainer | None = None
        self._step_target: int | None = None
        self._dirty = True
        self._inbox: queue.Queue[Any] = queue.Queue(maxsize=256)
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="chainrule-playground-session", daemon=True
        )

    @property
    def epoch(self) -> int:
        """Epochs trained since the network was last drawn."""
        return self.trainer.epoch if self.trainer is not None else 0

    # ------------------------------------------------------------------ the server's side
    def start(self) -> None:
        """Start the worker thread, which first sends the parameters, the data and a frame."""
        self._thread.start()

    def submit(self, message: dict[str, Any] | bytes) -> bool:
        """Queue a parsed client message (or CSV bytes); False when the inbox is full."""
        try:
            self._inbox.put_nowait(message)
        except queue.Full:
            return False
        return True

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel the worker and wait for it; True once it has ended."""
        self._cancel.set()
        try:
            self._inbox.put_nowait(None)
        except queue.Full:
            pass
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``condition`` until it holds (for tests and scripts)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ the worker
    def _run(self) -> None:
        try:
            with np.errstate(all="ignore"):
                self.trainer = Trainer(self.params)
                self._send({"type": "params", "params": self.params, "notes": []})
                self.sink.send(self.trainer.data_message())
                self._loop()
        except Exception as exc:  # pragma: no cover - reported, so a bug never fails silently
            self._send({"type": "error", "message": f"the session stopped: {exc!r}"})
            raise
        finally:
            self.trainer = None  # free the data and the network now
            self.running = False

    def _loop(self) -> None:
        next_frame = 0.0
        while not self._cancel.is_set():
            wait = 0.0 if self.running else (0.02 if self._dirty else 0.5)
            try:
                message = self._inbox.get(timeout=wait) if wait else self._inbox.get_nowait()
            except queue.Empty:
                message = None
            if message is not None:
                self._guarded("the request", self._handle, message)
                continue  # take every waiting message before training again
            if self.running:
                self._guarded("training", self._train, SLICE)
            now = time.monotonic()
            if self._dirty and now >= next_frame and not self.sink.busy():
                self._guarded("drawing", self._frame)
                self._dirty = self.running
                next_frame = now + FRAME_INTERVAL
            if self.running:
                time.sleep(0)  # let the event loop and the other sessions run

    def _guarded(self, what: str, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work``; an exception stops training and is reported to the client, and the
        session goes on answering (ping, reset, config...)."""
        try:
            work(*args)
        except Exception as exc:  # whatever a client sent, the session lives on
            was_running, self.running, self._step_target = self.running, False, None
            self._error(f"{what} failed: {type(exc).__name__}: {exc}; reset to go on")
            if was_running:
                self._status("error")

    def _frame(self) -> None:
        self.sink.send_frame(self.trainer.frame(self.running))

    def _train(self, seconds: float) -> None:
        if not TRAINING_GATE.acquire(timeout=0.1):
            return  # our turn comes later; meanwhile look at the inbox again
        try:
            deadline = time.perf_counter() + seconds
            while self.running and not self._cancel.is_set():
                event = self.trainer.step()
                self._dirty = True
                if event == "epoch" and self._step_target and self.epoch >= self._step_target:
                    event = "step"
                if event not in (None, "epoch"):
                    self._halt(event)
                if time.perf_counter() >= deadline or self._inbox.qsize():
                    break
        finally:
            TRAINING_GATE.release()

    def _halt(self, reason: str) -> None:
        self.running, self._step_target = False, None
        if _STOPS.get(reason):
            self._note(_STOPS[reason])
        self._status(reason)

    def _send(self, message: dict[str, Any]) -> None:
        self.sink.send(json.dumps(message, separators=(",", ":")))

    def _status(self, reason: str | None = None) -> None:
        message = {"type": "status", "running": self.running, "reason": reason}
        self._send({**message, "epoch": self.epoch})

    def _note(self, note: str) -> None:
        self._send({"type": "params", "params": self.params, "notes": [note]})

    def _error(self, text: str) -> None:
        self._send({"type": "error", "message": text})

    # ------------------------------------------------------------------ commands
    def _handle(self, message: dict[str, Any] | bytes) -> None:
        if isinstance(message, bytes):
            return self._upload(message)
        kind, t = message["type"], self.trainer
        if kind == "config":
            self._configure(message["params"])
        elif kind == "play":
            if self.params["max_epochs"] and self.epoch >= self.params["max_epochs"]:
                self._note("the epoch limit is reached: raise max_epochs or reset")
                return self._status("max_epochs")
            self.running, self._step_target = True, None
            self._status()
        elif kind == "pause":
            self.running = False
            self._status("paused")
        elif kind == "step":
            self.running, self._step_target = True, self.epoch + 1
            self._status()
        elif kind == "reset":
            self.running, self._dirty = False, True
            t.rebuild(data=False)
            self._status("reset")
        elif kind == "explain":
            try:
                self._send(t.explain(message["split"], message["index"]))
            except IndexError as exc:
                self._error(str(exc))
        elif kind == "export":
            try:
                self.sink.send(t.export())
            except (ImportError, OSError, ValueError) as exc:
                self._error(f"export failed: {exc}")
        elif kind == "add_point":
            self._add_point(message)
        elif kind == "ping":
            self._send({"type": "pong"})

    def _configure(self, update: dict[str, Any], extra_note: str | None = None) -> None:
        try:
            params, notes = apply_params(self.params, update)
        except ProtocolError as exc:
            return self._error(str(exc))
        if params["dataset"] == "custom":
            self._match_custom(params, update, notes)
        changed = {k for k in params if params[k] != self.params[k]}
        self.params = self.trainer.params = params
        if changed & (DATA_KEYS | MODEL_KEYS) or extra_note:
            self.trainer.rebuild(data=bool(changed & DATA_KEYS) or extra_note is not None)
            self._dirty = True
        else:
            self.trainer.apply_live(changed)
        notes += [extra_note] if extra_note else []
        self._send({"type": "params", "params": self.params, "notes": notes})
        if changed & DATA_KEYS or extra_note:
            self.sink.send(self.trainer.data_message())

    def _match_custom(self, params: dict[str, Any], update: dict[str, Any], notes: list) -> None:
        """Keep the 'custom' data set only when there is custom data of the problem's kind."""
        custom = self.trainer.custom
        if custom is None:
            notes.append("dataset: no custom data yet; upload a CSV file or click to add points")
            params["dataset"], params["problem"] = self.params["dataset"], self.params["problem"]
            return
        kind = "classification" if custom["classes"] else "regression"
        if params["problem"] != kind and "problem" in update:
            params["dataset"] = "plane" if params["problem"] == "regression" else "circle"
        else:
            params["problem"] = kind
        if params["problem"] == "regression":
            params["loss"] = "mse"
        elif custom["classes"] > 2 and params["loss"] == "mse":
            params["loss"] = "cross_entropy"

    def _upload(self, data: bytes) -> None:
        try:
            X, y, classes, note = parse_csv(data)
        except CSVError as exc:
            return self._error(f"CSV upload: {exc}")
        self.trainer.custom = {"X": X, "y": y, "classes": classes, "is_test": None}
        problem = "classification" if classes else "regression"
        self._configure({"dataset": "custom", "problem": problem}, f"CSV upload: {note}")

    def _add_point(self, msg: dict[str, Any]) -> None:
        t = self.trainer
        if len(t.X) >= MAX_UPLOAD_POINTS:
            return self._error(f"add_point: {MAX_UPLOAD_POINTS:,} points at most")
        t.add_point(msg["x"], msg["y"], msg["label"])
        if self.params["dataset"] != "custom":
            self.params = t.params = {**self.params, "dataset": "custom"}
            self._send({"type": "params", "params": self.params, "notes": []})
        self._dirty = True
        self.sink.send(t.data_message())
