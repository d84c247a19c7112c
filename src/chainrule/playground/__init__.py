"""The chainrule playground: train a small network in the browser and watch backpropagation work.

``chainrule playground [--port 8000] [--host 127.0.0.1] [--no-browser]`` serves one page and a
WebSocket that streams training (see :mod:`chainrule.playground.protocol`). It needs the
optional extra: ``pip install "chainrule[playground]"`` (Starlette, uvicorn, websockets).

>>> main(["--help"])  # doctest: +ELLIPSIS
usage: chainrule playground [-h] [--port PORT] [--host HOST] [--no-browser]
...
0
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
import webbrowser

__all__ = ["is_local", "main"]

_INSTALL = 'the playground needs its extra: pip install "chainrule[playground]"'


def is_local(host: str) -> bool:
    """Whether ``host`` is a loopback address, reachable from this machine only.

    >>> is_local("127.0.0.1"), is_local("localhost"), is_local("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return port


def main(argv: list[str] | None = None) -> int:
    """Run the playground server until Ctrl-C; the exit status (2 when the extra is missing)."""
    parser = argparse.ArgumentParser(
        prog="chainrule playground",
        description="Train a small network in your browser and watch backpropagation.",
    )
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a bad argument
        return int(exc.code or 0)
    try:
        import uvicorn

        from chainrule.playground.features import MAX_UPLOAD_BYTES
        from chainrule.playground.server import LOCAL_HOSTS, create_app

        app = create_app(trusted_hosts=LOCAL_HOSTS if is_local(args.host) else None)
    except ImportError as exc:
        print(f"error: {_INSTALL} ({exc})", file=sys.stderr)
        return 2
    if not is_local(args.host):
        print(
            f"warning: --host {args.host} makes the playground reachable from other machines. "
            "It has no login: anyone who can reach this port can run training on your CPU. "
            "Use the default 127.0.0.1 unless you mean it.",
            file=sys.stderr,
        )
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{args.port}/"
    print(f"chainrule playground: {url}  (Ctrl-C to stop)", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            ws_max_size=MAX_UPLOAD_BYTES + 1024,  # the protocol refuses a bigger frame (1009)
            log_level="warning",
        )
    except SystemExit as exc:  # uvicorn exits this way when it cannot bind
        return int(exc.code or 1)
    return 0
