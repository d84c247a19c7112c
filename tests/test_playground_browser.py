"""The playground in a real browser: Playwright for Python driving Debian's Chromium.

It opens the page, starts training and sees the test loss fall, switches the activation, adds
a layer, checks that a neuron's heatmap is drawn (its pixels vary), asks for backprop on one
point, and saves a screenshot: into the test's temporary folder, or over docs/playground.png
(the README's picture) when CHAINRULE_UPDATE_DOCS=1 is set.

Outside CI the test skips, saying why, when Starlette, uvicorn, Playwright or Chromium is
missing; in CI (``CI`` set) a missing Chromium is a failure, since .ci/run installs it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from chainrule.playground.server import LOCAL_HOSTS, create_app  # noqa: E402

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "playground.png"

# the spread of red values in the first hidden neuron's heatmap canvas
NEURON_SPREAD = """() => {
  const c = document.querySelector('.node.hidden canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let lo = 255, hi = 0;
  for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
  return hi - lo;
}"""

# the page coordinates of the first training point on the map
FIRST_POINT = """() => {
  const c = document.getElementById('points'), r = c.getBoundingClientRect();
  const d = 6, xs = window.__playground.data.train_x;
  return [r.left + (xs[0] + d) / (2 * d) * r.width, r.top + (d - xs[1]) / (2 * d) * r.height];
}"""


def _chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"no Chromium at {CHROMIUM}: CI must run `apt-get install -y chromium`")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHAINRULE_CHROMIUM)")


@pytest.fixture(scope="module")
def url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(trusted_hosts=LOCAL_HOSTS), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    end = time.monotonic() + 10
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)
    sock.close()


def _optimise(path: Path) -> None:
    """Shrink the screenshot to a 256-colour PNG when Pillow is there."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def test_page_trains_switches_and_draws(url, tmp_path):
    exe = _chromium()
    update_docs = os.environ.get("CHAINRULE_UPDATE_DOCS") == "1"
    screenshot = DOCS_SCREENSHOT if update_docs else tmp_path / "playground.png"
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            # the page's CSP forbids eval; Playwright's string predicates need it
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url + "#dataset=circle&n_points=300&learning_rate=0.1&seed=3&show_test=1")
            page.wait_for_function("document.getElementById('test-loss').textContent !== '–'")
            first = float(page.text_content("#test-loss"))

            page.click("#play")
            page.wait_for_function(
                f"parseFloat(document.getElementById('test-loss').textContent) < {first / 2}",
                timeout=20_000,
            )
            assert page.text_content("#epoch") != "000,000"

            page.select_option("#activation", "relu")
            page.wait_for_function(
                "[...document.querySelectorAll('.layer-activation')].every(s => s.value === 'relu')"
            )
            heads = page.locator(".layer-head").count()
            page.click("#add-layer")
            page.wait_for_function(
                f"document.querySelectorAll('.layer-head').length === {heads + 1}"
            )
            assert page.locator(".layer-head").last.locator("select").input_value() == "relu"

            page.wait_for_function(f"({NEURON_SPREAD})() > 40", timeout=10_000)
            page.wait_for_timeout(1500)  # let the deeper network train a little for the picture

            x, y = page.evaluate(FIRST_POINT)
            page.mouse.click(x, y)
            page.wait_for_selector("#explain-body .step", timeout=10_000)
            assert "agree" in page.text_content("#explain-body")

            screenshot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    _optimise(screenshot)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not errors, errors
