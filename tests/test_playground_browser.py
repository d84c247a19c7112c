"""The playground in a real browser: Playwright for Python driving Debian's Chromium.

The page runs under the server's real Content-Security-Policy, and any console error or page
error (a refused inline style among them) fails a test. The first test trains, checks that the
gradient-norm bars have a width, the confusion matrix colours and the output map pale enough for
the points to show, switches the activation, adds a layer, asks for backprop on one point (the
steps run from L to x and wrap inside the panel; the computation graph above them parses and
names every tensor) and checks that a new architecture refreshes it.
It saves a screenshot: into the test's temporary folder, or over docs/playground.png (the
README's picture) when CHAINRULE_UPDATE_DOCS=1 is set. The second test, in a 900 px window,
checks the reflow, the loss after Regression then Classification, the multiclass legend, the
init choice and the trainer's warning banner.

Outside CI the tests skip, saying why, when Starlette, uvicorn, Playwright or Chromium is
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


# Page checks, as arrow functions: the page's CSP forbids eval, which Playwright would need to
# run a bare expression, so every check runs as a function under the real CSP.
GRAD_BARS_DRAWN = """() => {
  const fills = [...document.querySelectorAll('#grad-bars .fill')];
  return fills.length > 0 && fills.every(f => f.getBoundingClientRect().width > 0);
}"""

# the background colour of each diagonal cell of the confusion matrix
CONFUSION_DIAGONAL = """() => [...document.querySelectorAll('#confusion tr')].slice(1)
  .map((row, i) => getComputedStyle(row.querySelectorAll('td')[i]).backgroundColor)"""

# the smallest distance (RGB) of an output-map pixel from the points' orange and blue
MAP_TO_POINTS = """() => {
  const c = document.getElementById('heat');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let best = 1e9;
  for (let i = 0; i < d.length; i += 4)
    for (const [r, g, b] of [[245, 147, 34], [8, 119, 189]])
      best = Math.min(best, Math.hypot(d[i] - r, d[i + 1] - g, d[i + 2] - b));
  return best;
}"""

# pairs of a layer head (its + − buttons, count and activation select) and a neuron that overlap
HEADS_OVER_NEURONS = """() => {
  const rects = (sel) => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const nodes = rects('.node');
  return rects('.layer-head').filter(h => nodes.some(n => hit(h, n))).length;
}"""

# every backprop step lies inside the panel (they wrap instead of running off to the right)
STEPS_INSIDE = """() => {
  const body = document.getElementById('explain-body').getBoundingClientRect();
  return [...document.querySelectorAll('#explain-body .step')]
    .every(s => s.getBoundingClientRect().right <= body.right + 0.5);
}"""

# the clicked point's computation graph: its ops, its tensors' names, and whether it parses as SVG
GRAPH = """() => {
  const svg = document.querySelector('#explain-graph svg');
  const text = new XMLSerializer().serializeToString(svg);
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  return {
    ops: svg.querySelectorAll('.op').length,
    tensors: Object.fromEntries([...svg.querySelectorAll('.tensor')].map(
      g => [g.querySelector('text').textContent.trim(), g.textContent])),
    parses: doc.querySelector('parsererror') === null && doc.documentElement.localName === 'svg',
  };
}"""

STEP_TITLES = (
    """() => [...document.querySelectorAll('#explain-body .step .eq')].map(e => e.textContent)"""
)


def _open(browser, url: str, errors: list[str], width: int = 1200):
    """A page of the playground that records every console error and page error in ``errors``."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.wait_for_function("() => document.getElementById('test-loss').textContent !== '–'")
    return page


def _param(page, name: str):
    return page.evaluate(f"() => window.__playground.params[{name!r}]")


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        yield b
        b.close()


def test_page_trains_switches_and_draws(url, browser, tmp_path):
    update_docs = os.environ.get("CHAINRULE_UPDATE_DOCS") == "1"
    screenshot = DOCS_SCREENSHOT if update_docs else tmp_path / "playground.png"
    errors: list[str] = []
    # the page runs under the server's real Content-Security-Policy: no bypass_csp
    page = _open(
        browser, url + "#dataset=circle&n_points=300&learning_rate=0.1&seed=3&show_test=1", errors
    )
    first = float(page.text_content("#test-loss"))

    page.click("#play")
    page.wait_for_function(
        f"() => parseFloat(document.getElementById('test-loss').textContent) < {first / 2}",
        timeout=20_000,
    )
    assert page.text_content("#epoch") != "000,000"
    # the vanishing-gradient view and the confusion matrix draw (inline styles are refused)
    page.wait_for_function(GRAD_BARS_DRAWN)
    diagonal = page.evaluate(CONFUSION_DIAGONAL)
    assert len(diagonal) == 2 and all(
        c not in ("rgba(0, 0, 0, 0)", "transparent") for c in diagonal
    )
    # the output map is washed out, so the points' colours stand out on it
    assert page.evaluate(MAP_TO_POINTS) > 60

    page.select_option("#activation", "relu")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.layer-activation')].every(s => s.value === 'relu')"
    )
    heads = page.locator(".layer-head").count()
    page.click("#add-layer")
    page.wait_for_function(f"() => document.querySelectorAll('.layer-head').length === {heads + 1}")
    assert page.locator(".layer-head").last.locator("select").input_value() == "relu"
    assert page.evaluate(HEADS_OVER_NEURONS) == 0

    page.wait_for_function(f"({NEURON_SPREAD})() > 40", timeout=10_000)
    page.wait_for_timeout(1500)  # let the deeper network train a little for the picture
    page.click("#play")  # pause

    x, y = page.evaluate(FIRST_POINT)
    page.mouse.click(x, y)
    page.wait_for_selector("#explain-body .step", timeout=10_000)
    assert "agree" in page.text_content("#explain-body")
    # backward order, L to x, the loss in the notes' form with the stable form as a note
    titles = page.evaluate(STEP_TITLES)
    assert titles[0].startswith("L = −[y log ŷ + (1−y) log(1−ŷ)]"), titles
    assert [t.split(" =")[0] for t in titles[1:-1]] == ["z4", "h3", "z3", "h2", "z2", "h1", "z1"]
    assert "max(z,0) − z·y + log(1 + e^−|z|)" in page.text_content("#explain-body .note")
    assert page.evaluate(STEPS_INSIDE)
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot))
    # the computation graph: one op per step, every tensor and parameter by name
    graph = page.evaluate(GRAPH)
    assert graph["parses"] and graph["ops"] == len(titles) - 1
    for name in ["x", "z1", "h1", "z4", "L", "W1", "b1", "W4", "b4"]:
        assert name in graph["tensors"], graph["tensors"]
    loss = page.evaluate("() => fmt(window.__playground.explain.loss)")  # the page's number format
    assert f"value {loss}" in graph["tensors"]["L"] and "∂L/∂L 1.000" in graph["tensors"]["L"]
    page.locator("#explain-graph .op").first.click()  # an op shows its step, local Jacobian and all
    assert "flash" in page.get_attribute("#step-0", "class")

    # a new architecture: the panel shows backprop through it, not through the old one
    page.click("#remove-layer")
    page.wait_for_function(f"() => ({STEP_TITLES})()[1].split(' =')[0] === 'z3'", timeout=10_000)
    page.close()
    _optimise(screenshot)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not errors, errors


def test_page_details(url, browser):
    errors: list[str] = []
    page = _open(browser, url + "#n_points=200&seed=5", errors, width=900)
    # below 1000 px the columns reflow: nothing runs off to the right
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 900

    # Regression, then Classification: the loss is cross-entropy again
    page.select_option("#problem", "regression")
    page.wait_for_function("() => window.__playground.params.loss === 'mse'")
    page.select_option("#problem", "classification")
    page.wait_for_function("() => window.__playground.params.problem === 'classification'")
    assert _param(page, "loss") == "cross_entropy"
    assert page.input_value("#loss") == "cross_entropy"

    # three classes: the legend names the classes, not −1 … 1
    page.click("#datasets button[data-name=gaussian]")
    page.wait_for_function("() => window.__playground.params.dataset === 'gaussian'")
    page.select_option("#classes", "3")
    page.wait_for_function(
        "() => document.getElementById('legend').textContent.includes('class 2')"
    )
    assert "−1" not in page.text_content("#legend")
    # backprop through softmax: the loss as the notes write it, and its graph
    page.locator("#points").scroll_into_view_if_needed()
    x, y = page.evaluate(FIRST_POINT)
    page.mouse.click(x, y)
    page.wait_for_selector("#explain-graph .op", timeout=10_000)
    assert page.evaluate(STEP_TITLES)[0].startswith("L = −log ŷ_y,  ŷ = softmax(z)")
    assert page.evaluate(GRAPH)["parses"]

    # the init choice reaches the server
    assert page.input_value("#init") == "standard" and page.is_hidden("#init-hint")
    page.select_option("#init", "normal")
    page.wait_for_function("() => window.__playground.params.init === 'normal'")
    assert "N(0,1)" in page.text_content("#init option[value=normal]")
    assert "√fan-in" in page.text_content("#init-hint") and page.is_visible("#init-hint")

    # a warning from the trainer shows above the page until closed; messages without one keep it
    assert page.is_hidden("#warning")
    text = "Every gradient is exactly 0: layer 1 (ReLU) is dead."
    page.evaluate(f"() => onMessage({{type: 'status', running: false, warning: {text!r}}})")
    page.evaluate("() => onMessage({type: 'status', running: false})")
    assert page.is_visible("#warning") and page.text_content("#warning-text") == text
    page.click("#warning-close")
    assert page.is_hidden("#warning")
    page.evaluate("() => showWarning({warning: 'The loss diverged.'}, true)")
    assert page.text_content("#warning-text") == "The loss diverged."
    assert page.is_visible("#warning")
    page.close()
    assert not errors, errors
