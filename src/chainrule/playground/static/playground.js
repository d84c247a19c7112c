// chainrule playground: the page's whole script. Vanilla JS, no build step.
// The server trains; this file draws what it sends and turns clicks into protocol messages
// (see chainrule/playground/protocol.py for the message formats).
"use strict";

const $ = (id) => document.getElementById(id);
// An element built through the DOM: the server's CSP (default-src 'self') refuses every style=""
// written as markup, but not styles set through el.style, so nothing here uses innerHTML for them.
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "style") Object.assign(e.style, v);
    else if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e[k] = v;
  }
  e.append(...children.filter((c) => c != null));
  return e;
}
const NEURON = 24; // neuron heatmaps are 24×24, the output 64×64
const CLIENT_KEYS = ["show_test", "discretize"]; // kept in the URL hash, never sent
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const INIT_LABELS = { standard: "standard (Xavier/He)", normal: "naive N(0,1)" };
const DATASET_LABELS = {
  circle: "Circle", xor: "XOR", gaussian: "Gaussian", spiral: "Spiral", moons: "Moons",
  plane: "Plane", reg_gaussian: "Gaussian", custom: "Custom",
};

const state = {
  ws: null, options: null, limits: null, defaults: null, params: null,
  data: null, frame: null, history: [], running: false, lastSteps: -1,
  client: { show_test: false, discretize: false },
  layout: null, hover: null, explain: null, frameTimes: [], warning: null, dismissed: null,
};
window.__playground = state; // for the browser test and the curious: the page's whole state

// ------------------------------------------------------------------ colours
const ORANGE = [245, 147, 34], WHITE = [232, 234, 235], BLUE = [8, 119, 189];
const PALETTE = [ORANGE, BLUE, [46, 160, 67], [148, 103, 189], [214, 39, 40], [140, 86, 75]];
// a colour a fraction k of the way from white to col
const blend = (col, k) => col.map((c, i) => Math.round(WHITE[i] + (c - WHITE[i]) * k));
const lutColor = (v) => { // v in [-1, 1] → orange, white, blue
  const t = Math.max(-1, Math.min(1, v || 0));
  return `rgb(${blend(t < 0 ? ORANGE : BLUE, Math.abs(t)).join(",")})`;
};

// The output map is washed out, as TensorFlow Playground's (alpha 160/255 over white): at full
// strength the points, drawn in the full colours, would show only as their outlines.
const MAP_STRENGTH = 0.6;

function paint(canvas, values, width, classes = null, discretize = false, strength = 1) {
  // values: uint8 (0..255 ↔ −1..1); classes: uint8 class per pixel (softmax output) or null;
  // strength: how far from white the strongest colour goes (1: all the way)
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(width, values.length / width);
  const px = img.data;
  for (let i = 0; i < values.length; i++) {
    let col, k;
    if (classes) {
      col = PALETTE[classes[i] % PALETTE.length];
      k = discretize ? 0.85 : 0.15 + 0.7 * values[i] / 255;
    } else {
      const v = discretize ? (values[i] >= 128 ? 255 : 0) : values[i];
      col = v < 128 ? ORANGE : BLUE;
      k = Math.abs(v / 127.5 - 1);
    }
    k *= strength; // the same sum as blend(), inline: this loop runs for every pixel of every frame
    for (let c = 0; c < 3; c++) px[i * 4 + c] = WHITE[c] + (col[c] - WHITE[c]) * k;
    px[i * 4 + 3] = 255;
  }
  if (canvas.width !== width) { canvas.width = width; canvas.height = values.length / width; }
  ctx.putImageData(img, 0, 0);
}

// ------------------------------------------------------------------ protocol
function decode(buffer) {
  // binary envelope: uint32 header length, JSON header, then the arrays its blobs list names
  const n = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const base = 4 + n, arrays = {};
  for (const b of header.blobs || []) {
    const count = b.shape.reduce((a, x) => a * x, 1);
    const Type = { uint8: Uint8Array, float32: Float32Array, int32: Int32Array }[b.dtype];
    arrays[b.name] = new Type(buffer, base + b.offset, count);
  }
  return [header, arrays];
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}
const config = (params) => send({ type: "config", params });

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onopen = () => setConn("connected", false);
  ws.onclose = (ev) => {
    setConn(`disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""}) · reload to reconnect`, true);
    setRunning(false);
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") onMessage(JSON.parse(ev.data));
    else { const [h, a] = decode(ev.data); onBinary(h, a); }
  };
}

function setConn(text, bad) { const el = $("conn"); el.textContent = text; el.classList.toggle("bad", bad); }

// The trainer's warning (dead units, divergence) from a frame or a status message. A frame's
// warning lasts while frames carry it; a status message's until the network restarts.
// Servers that send no `warning` show none.
function showWarning(m, frame = false) {
  const text = typeof m.warning === "string" ? m.warning.trim() : "";
  if (!text && (frame ? state.warning?.sticky : !("warning" in m))) return;
  state.warning = text ? { text, sticky: !frame } : null;
  const show = Boolean(text) && text !== state.dismissed;
  $("warning-text").textContent = text;
  $("warning").hidden = !show;
}

function toast(text, error = false) {
  const div = document.createElement("div");
  div.textContent = text;
  if (error) div.className = "error";
  $("messages").appendChild(div);
  setTimeout(() => div.remove(), error ? 8000 : 5000);
}

function onMessage(m) {
  if (m.type === "hello") {
    state.options = m.options; state.limits = m.limits; state.defaults = m.params;
    buildControls();
    const fromHash = readHash();
    if (Object.keys(fromHash).length) config(fromHash);
  } else if (m.type === "params") {
    const old = state.params;
    state.params = m.params;
    for (const note of m.notes || []) toast(note);
    syncControls();
    if (old && state.layout && networkChanged(old, m.params)) state.layout.sig = null;
    // same points, new network: backprop for the same point again (new data clears it instead)
    if (old && changed(old, m.params, MODEL_PARAMS) && !changed(old, m.params, DATA_PARAMS)) refreshExplain();
    writeHash();
    renderLegend();
  } else if (m.type === "status") {
    if (state.running && !m.running) refreshExplain(); // paused: show backprop through the trained weights
    setRunning(m.running);
    showWarning(m);
    const why = { max_epochs: "Stopped: the epoch limit is reached.", plateau: "Stopped: the loss stopped improving.",
      diverged: "Stopped: the loss diverged." }[m.reason];
    if (why) toast(why);
  } else if (m.type === "explain") {
    state.explain = m; renderExplain(); drawPoints();
  } else if (m.type === "error") {
    toast(m.message, true);
  }
}

function onBinary(h, a) {
  if (h.type === "data") {
    state.data = { ...h, ...a };
    state.explain = null; renderExplain();
    if (state.params) fillClickModes();
    drawPoints();
    renderLegend();
  } else if (h.type === "frame") {
    if (h.steps < state.lastSteps || (h.steps === 0 && state.lastSteps !== 0)) {
      state.history = [];
      state.warning = null; // a new network: an old warning no longer applies
    }
    if (h.steps !== state.lastSteps) state.history.push([h.epoch, h.train_loss, h.test_loss]);
    state.lastSteps = h.steps;
    state.frame = { ...h, ...a };
    if (!state.layout || state.layout.sig !== networkSignature()) buildNetwork();
    state.frameTimes.push(performance.now());
    if (state.frameTimes.length > 20) state.frameTimes.shift();
    renderFrame();
    showWarning(h, true);
  } else if (h.type === "export") {
    const url = URL.createObjectURL(new Blob([a.zip], { type: "application/zip" }));
    const link = document.createElement("a");
    link.href = url; link.download = h.filename; document.body.appendChild(link); link.click();
    link.remove(); setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast(`Exported ${h.filename}: config.json, model.safetensors, reproduce.py, data.csv`);
  }
}

// ------------------------------------------------------------------ URL hash: the whole state
function readHash() {
  const out = {}, q = new URLSearchParams(location.hash.slice(1));
  for (const [key, raw] of q) {
    if (CLIENT_KEYS.includes(key)) { state.client[key] = raw === "1" || raw === "true"; continue; }
    const def = state.defaults[key];
    if (def === undefined) { out[key] = raw; continue; } // the server names unknown keys
    if (Array.isArray(def)) {
      const items = raw === "" ? [] : raw.split(",");
      out[key] = key === "layers" ? items.map(Number) : items;
    } else out[key] = typeof def === "number" ? Number(raw) : raw;
  }
  $("show_test").checked = state.client.show_test;
  $("discretize").checked = state.client.discretize;
  return out;
}

function writeHash() {
  const pairs = Object.entries(state.params).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]);
  for (const k of CLIENT_KEYS) pairs.push([k, state.client[k] ? "1" : "0"]);
  const text = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
  history.replaceState(null, "", "#" + text);
}

window.addEventListener("hashchange", () => { if (state.defaults) config(readHash()); });
// a new window width: lay the network out again on the next frame (or now, if paused)
window.addEventListener("resize", () => {
  if (!state.layout || state.layout.width === $("network").clientWidth) return;
  state.layout.sig = null;
  if (state.frame) { buildNetwork(); renderNetwork(); }
});

// ------------------------------------------------------------------ controls
function fillSelect(id, values, label = (v) => String(v)) {
  const el = $(id);
  el.innerHTML = "";
  for (const v of values) el.add(new Option(label(v), String(v)));
}

function selectValue(id, value) {
  const el = $(id), s = String(value);
  if (![...el.options].some((o) => o.value === s)) el.add(new Option(s, s));
  el.value = s;
}

function buildControls() {
  const o = state.options;
  fillSelect("learning_rate", LEARNING_RATES);
  fillSelect("activation", o.activation.choices, (v) => v === "identity" ? "linear" : v);
  fillSelect("regularization", o.regularization.choices, (v) => v === "none" ? "None" : v.toUpperCase());
  fillSelect("reg_rate", REG_RATES);
  fillSelect("problem", o.problem.choices, (v) => v[0].toUpperCase() + v.slice(1));
  fillSelect("loss", o.loss.choices, (v) => v === "mse" ? "squared error" : "cross-entropy");
  fillSelect("optimizer", o.optimizer.choices, (v) => ({ sgd: "SGD", momentum: "Momentum", adam: "Adam" })[v]);
  fillSelect("classes", [2, 3, 4, 5, 6]);
  // the weight init (a server without the parameter gets no control)
  $("init-label").hidden = !o.init;
  if (o.init) fillSelect("init", o.init.choices, (v) => INIT_LABELS[v] || v);
  for (const id of ["learning_rate", "reg_rate"]) $(id).onchange = () => config({ [id]: Number($(id).value) });
  for (const id of ["activation", "regularization", "problem", "loss", "optimizer", "init"])
    $(id).onchange = () => config({ [id]: $(id).value });
  $("classes").onchange = () => config({ classes: Number($("classes").value) });
  const percent = { train_ratio: 100, noise: 100 };
  for (const id of ["train_ratio", "noise", "batch_size", "n_points"]) {
    const el = $(id), div = percent[id] || 1;
    el.oninput = () => { $(id + "-val").textContent = el.value + (div > 1 ? "%" : ""); };
    el.onchange = () => config({ [id]: Number(el.value) / div });
  }
  for (const id of ["max_epochs", "patience", "min_delta"])
    $(id).onchange = () => config({ [id]: Number($(id).value) });
  $("regenerate").onclick = () => config({ seed: Math.floor(Math.random() * 1e6) });
  $("play").onclick = () => send({ type: state.running ? "pause" : "play" });
  $("step").onclick = () => send({ type: "step" });
  $("reset").onclick = () => { send({ type: "reset" }); refreshExplain(); };
  $("export").onclick = () => send({ type: "export" });
  $("share").onclick = () => {
    navigator.clipboard?.writeText(location.href).then(() => toast("Link copied."), () => toast(location.href));
  };
  $("add-layer").onclick = () => {
    const p = state.params;
    if (p.layers.length >= o.layers.max_layers) return toast(`At most ${o.layers.max_layers} hidden layers.`);
    config({ layers: [...p.layers, 2], activations: [...p.activations, p.activation] });
  };
  $("remove-layer").onclick = () => {
    const p = state.params;
    if (p.layers.length) config({ layers: p.layers.slice(0, -1), activations: p.activations.slice(0, -1) });
  };
  for (const id of CLIENT_KEYS) $(id).onchange = () => {
    state.client[id] = $(id).checked; writeHash(); renderOutput(); drawPoints();
  };
  $("upload").onchange = uploadCSV;
  $("warning-close").onclick = () => { state.dismissed = state.warning?.text; $("warning").hidden = true; };
  $("points").onclick = onMapClick;
  $("explain-refresh").onclick = refreshExplain;
  document.addEventListener("keydown", (ev) => {
    if (ev.code === "Space" && !["INPUT", "SELECT"].includes(ev.target.tagName)) {
      ev.preventDefault(); $("play").click();
    }
  });
}

function syncControls() {
  const p = state.params;
  for (const id of ["learning_rate", "reg_rate", "activation", "regularization", "problem", "loss", "optimizer", "classes", "init"])
    if (p[id] !== undefined) selectValue(id, p[id]);
  const sliders = { train_ratio: 100, noise: 100, batch_size: 1, n_points: 1 };
  for (const [id, mul] of Object.entries(sliders)) {
    $(id).value = Math.round(p[id] * mul);
    $(id + "-val").textContent = Math.round(p[id] * mul) + (mul > 1 ? "%" : "");
  }
  for (const id of ["max_epochs", "patience", "min_delta"]) $(id).value = p[id];
  $("seed").textContent = p.seed;
  $("init-hint").hidden = p.init !== "normal";
  $("classes-row").style.display = ["gaussian", "spiral"].includes(p.dataset) ? "" : "none";
  $("loss").disabled = p.problem === "regression";
  const sets = [...state.options.datasets[p.problem], "custom"];
  const box = $("datasets");
  box.innerHTML = "";
  for (const name of sets) {
    const b = document.createElement("button");
    b.textContent = DATASET_LABELS[name];
    b.className = name === p.dataset ? "active" : "";
    b.dataset.name = name;
    b.onclick = () => config({ dataset: name });
    box.appendChild(b);
  }
  const n = p.layers.length;
  $("layers-count").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
  fillClickModes();
}

function fillClickModes() {
  const el = $("click-mode"), keep = el.value, p = state.params;
  const modes = [["explain", "explain a point"]];
  if (p.problem === "regression") modes.push(["add:1", "add value +1"], ["add:0", "add value 0"], ["add:-1", "add value −1"]);
  else {
    const c = state.data?.classes || p.classes || 2;
    for (let k = 0; k < c; k++) modes.push([`add:${k}`, `add class ${k}`]);
  }
  el.innerHTML = "";
  for (const [v, t] of modes) el.add(new Option(t, v));
  if ([...el.options].some((o) => o.value === keep)) el.value = keep;
}

function setRunning(running) {
  state.running = running;
  $("play-icon").setAttribute("d", running ? "M6 5h4v14H6zM14 5h4v14h-4z" : "M8 5v14l11-7z");
  $("play").title = running ? "Pause (space)" : "Run (space)";
}

async function uploadCSV(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  if (file.size > state.limits.upload_bytes) return toast(`${file.name} is over ${state.limits.upload_bytes / 1048576} MiB.`, true);
  state.ws.send(await file.arrayBuffer());
}

// ------------------------------------------------------------------ the network diagram
const MODEL_PARAMS = ["features", "layers", "activations", "loss", "init"];
const DATA_PARAMS = ["problem", "dataset", "classes", "n_points", "noise", "train_ratio", "seed"];
const changed = (a, b, keys) => keys.some((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
const networkChanged = (a, b) => changed(a, b, ["features", "layers", "activations", "problem", "dataset", "classes", "loss"]);

function networkSignature() {
  const p = state.params;
  return JSON.stringify([state.frame.layer_shapes, p.features, p.activations]);
}

function buildNetwork() {
  // the architecture comes from the frame (the weights' shapes), the labels from the parameters
  const p = state.params, net = $("network"), svg = $("links");
  for (const el of [...net.children]) if (el !== svg) el.remove();
  svg.innerHTML = "";
  const allFeatures = state.options.features.choices;
  const shapes = state.frame.layer_shapes;
  const outputs = shapes[shapes.length - 1][0];
  const columns = [allFeatures.length, ...shapes.slice(0, -1).map((s) => s[0]), outputs];
  const width = net.clientWidth || 600;
  const node = 34, gap = 10;
  const colW = Math.min(130, (width - 56 - node - 4) / (columns.length - 1));
  // the hidden layers' heads (+ −, count, activation) first: the neurons start below the tallest
  let top = 44;
  columns.forEach((count, c) => {
    if (c > 0 && c < columns.length - 1) top = Math.max(top, addLayerHead(net, 56 + c * colW + node / 2, c - 1, count, Math.min(90, colW - 4)).offsetHeight + 6);
  });
  const maxRows = Math.max(...columns);
  net.style.height = `${top + maxRows * (node + gap) + 10}px`;
  svg.setAttribute("width", width); svg.setAttribute("height", top + maxRows * (node + gap));
  const layout = { nodes: [], links: [], outputs, sig: networkSignature(), width };
  columns.forEach((count, c) => {
    const x = 56 + c * colW;
    const col = [];
    for (let j = 0; j < count; j++) {
      const y = top + j * (node + gap);
      const div = document.createElement("div");
      div.className = "node";
      div.style.left = `${x}px`; div.style.top = `${y}px`;
      const canvas = document.createElement("canvas");
      canvas.width = NEURON; canvas.height = NEURON;
      div.appendChild(canvas);
      const info = { x, y, canvas, div, col: c, index: j };
      if (c === 0) {
        const f = allFeatures[j], on = p.features.includes(f.name);
        info.feature = f.name;
        div.classList.toggle("off", !on);
        div.classList.add("feature");
        div.title = `${f.label}: click to ${on ? "remove" : "add"} this input`;
        const label = document.createElement("span");
        label.className = "flabel"; label.textContent = f.label;
        div.appendChild(label);
        div.onclick = () => {
          const cur = state.params.features, names = allFeatures.map((g) => g.name);
          const next = cur.includes(f.name) ? cur.filter((n) => n !== f.name) : names.filter((n) => n === f.name || cur.includes(n));
          if (!next.length) return toast("Keep at least one input feature.");
          config({ features: next });
        };
        paintFeature(canvas, f.name);
      } else {
        div.classList.add(c === columns.length - 1 ? "output-node" : "hidden");
        div.onmouseenter = () => enlarge(info);
        div.onmouseleave = () => enlarge(null);
      }
      net.appendChild(div);
      col.push(info);
    }
    layout.nodes.push(col);
  });
  // links: layer k joins the active inputs (or layer k-1) to layer k
  const active = layout.nodes[0].filter((n) => p.features.includes(n.feature));
  const sources = [active, ...layout.nodes.slice(1, -1)];
  sources.forEach((from, k) => {
    const to = layout.nodes[k + 1];
    to.forEach((dst, j) => from.forEach((src, i) => {
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      const x1 = src.x + node, y1 = src.y + node / 2, x2 = dst.x, y2 = dst.y + node / 2, mx = (x1 + x2) / 2;
      path.setAttribute("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
      path.setAttribute("stroke", "#bbb"); path.setAttribute("stroke-width", "1");
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      path.appendChild(title);
      svg.appendChild(path);
      layout.links.push({ path, title, layer: k, out: j, in: i });
    }));
  });
  state.layout = layout;
}

function addLayerHead(net, centre, k, count, width) {
  const p = state.params, o = state.options;  // p: the parameters this diagram was built from
  const head = document.createElement("div");
  head.className = "layer-head";
  head.style.left = `${centre - width / 2}px`; head.style.top = "0px"; head.style.width = `${width}px`;
  const plus = document.createElement("button"), minus = document.createElement("button");
  plus.textContent = "+"; minus.textContent = "−";
  plus.title = "Add a neuron"; minus.title = "Remove a neuron";
  plus.className = "add-neuron"; minus.className = "remove-neuron";
  const resize = (d) => {
    const layers = [...p.layers];
    layers[k] = Math.max(1, Math.min(o.layers.max_neurons, layers[k] + d));
    config({ layers });
  };
  plus.onclick = () => resize(1); minus.onclick = () => resize(-1);
  const select = document.createElement("select");
  select.className = "layer-activation";
  for (const a of o.activations.choices) select.add(new Option(a === "identity" ? "linear" : a, a));
  select.value = p.activations[k];
  select.title = `Activation of hidden layer ${k + 1}`;
  select.onchange = () => { const acts = [...p.activations]; acts[k] = select.value; config({ activations: acts }); };
  const label = document.createElement("div");
  label.textContent = `${count} neuron${count === 1 ? "" : "s"}`;
  head.append(plus, minus, label, select);
  net.appendChild(head);
  return head;
}

function paintFeature(canvas, name) {
  const d = state.options.domain, fns = {
    x1: (a) => a, x2: (a, b) => b, x1sq: (a) => a * a, x2sq: (a, b) => b * b,
    x1x2: (a, b) => a * b, sinx1: (a) => Math.sin(a), sinx2: (a, b) => Math.sin(b),
  };
  const vals = new Float32Array(NEURON * NEURON);
  let max = 1e-9;
  for (let r = 0; r < NEURON; r++) for (let c = 0; c < NEURON; c++) {
    const x1 = ((c + 0.5) / NEURON * 2 - 1) * d, x2 = -((r + 0.5) / NEURON * 2 - 1) * d;
    const v = fns[name](x1, x2);
    vals[r * NEURON + c] = v; max = Math.max(max, Math.abs(v));
  }
  paint(canvas, Uint8Array.from(vals, (v) => Math.round((v / max + 1) * 127.5)), NEURON);
}

function enlarge(info) {
  // hovering a neuron shows its basis function φ on the big map, under the data points
  state.hover = info;
  for (const n of document.querySelectorAll(".node.hovered")) n.classList.remove("hovered");
  if (info) info.div.classList.add("hovered");
  renderOutput();
}

function renderNetwork() {
  const f = state.frame, L = state.layout;
  if (!f || !L) return;
  // heatmaps of hidden and output neurons, in the order the server sends them
  const nodes = L.nodes.slice(1).flat(), size = NEURON * NEURON;
  const count = Math.min(nodes.length, f.neurons.length / size);
  const scales = f.neuron_scales || [];
  for (let i = 0; i < count; i++) {
    const n = nodes[i];
    n.heat = f.neurons.subarray(i * size, (i + 1) * size);
    paint(n.canvas, n.heat, NEURON, null, state.client.discretize && n.col === L.nodes.length - 1);
    const name = n.col === L.nodes.length - 1 ? `output ${n.index}` : `h${n.col},${n.index + 1}`;
    n.label = `${name}: φ over the input plane` + (i < scales.length && scales[i] != null ? ` (|max| ${scales[i].toPrecision(3)})` : "");
    n.div.title = n.label;
  }
  // links: width and colour show each weight's size and sign
  const shapes = f.layer_shapes, offsets = [0];
  for (const [o, i] of shapes) offsets.push(offsets[offsets.length - 1] + o * i);
  for (const link of L.links) {
    const shape = shapes[link.layer];
    if (!shape || link.out >= shape[0] || link.in >= shape[1]) continue;
    const w = f.weights[offsets[link.layer] + link.out * shape[1] + link.in];
    link.path.setAttribute("stroke", lutColor(Math.max(-1, Math.min(1, w))));
    link.path.setAttribute("stroke-width", Math.min(8, 0.5 + 2.5 * Math.abs(w)).toFixed(2));
    link.title.textContent = `w = ${w.toPrecision(3)}`;
  }
}

// ------------------------------------------------------------------ output, losses, metrics
function renderFrame() {
  const f = state.frame;
  $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
  setRunning(f.running);
  $("test-loss").textContent = f.test_loss == null ? "–" : f.test_loss.toFixed(3);
  $("train-loss").textContent = f.train_loss == null ? "–" : f.train_loss.toFixed(3);
  const t = state.frameTimes, fps = t.length > 1 ? (1000 * (t.length - 1)) / (t[t.length - 1] - t[0]) : 0;
  setConn(`connected · ${fps.toFixed(0)} frames/s`, false);
  renderNetwork();
  renderOutput();
  renderCurve();
  renderGradients();
  renderMetrics();
}

function renderOutput() {
  const f = state.frame;
  const label = $("map-label");
  if (state.hover && state.hover.heat) {
    paint($("heat"), state.hover.heat, NEURON, null, state.client.discretize, MAP_STRENGTH);
    label.textContent = state.hover.label; label.style.display = "block";
    return;
  }
  label.style.display = "none";
  if (f) paint($("heat"), f.output, 64, f.output_class || null, state.client.discretize, MAP_STRENGTH);
}

function renderCurve() {
  const c = $("curve"), ctx = c.getContext("2d"), h = state.history;
  ctx.clearRect(0, 0, c.width, c.height);
  if (h.length < 2) return;
  let max = 0;
  for (const [, a, b] of h) max = Math.max(max, a || 0, b || 0);
  const x0 = h[0][0], x1 = Math.max(h[h.length - 1][0], x0 + 1);
  const line = (col, k) => {
    ctx.strokeStyle = col; ctx.lineWidth = 1.5; ctx.beginPath();
    h.forEach((row, i) => {
      const x = ((row[0] - x0) / (x1 - x0)) * (c.width - 2) + 1;
      const y = c.height - 2 - ((row[k] || 0) / (max || 1)) * (c.height - 4);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  };
  line("#999", 1); // training
  line("#000", 2); // test
}

function renderGradients() {
  const f = state.frame, p = state.params;
  const rows = f.grad_norms.map((g, k) => {
    const last = k === f.grad_norms.length - 1;
    const act = last ? "output" : (p.activations[k] === "identity" ? "linear" : p.activations[k]);
    const frac = g > 0 ? Math.max(0, Math.min(1, (Math.log10(g) + 8) / 9)) : 0;
    return el("div", { class: "bar" },
      el("span", {}, `W${k + 1} `, el("span", { class: "muted", text: act })),
      el("span", { class: "track" }, el("span", { class: "fill", style: { width: `${(frac * 100).toFixed(1)}%` } })),
      el("span", { class: "val", text: g == null ? "–" : g.toExponential(1) }));
  });
  $("grad-bars").replaceChildren(...rows);
}

function renderMetrics() {
  const f = state.frame, acc = $("accuracy"), table = $("confusion");
  if (f.test_acc == null && f.train_acc == null) { acc.replaceChildren(); table.replaceChildren(); return; }
  const pct = (v) => v == null ? "–" : (100 * v).toFixed(1) + "%";
  acc.replaceChildren("Accuracy: test ", el("b", { id: "test-acc", text: pct(f.test_acc) }),
    " · training ", el("b", { text: pct(f.train_acc) }));
  const cm = f.confusion;
  if (!cm) { table.replaceChildren(); return; }
  const total = cm.flat().reduce((a, b) => a + b, 0) || 1;
  const head = el("tr", {}, el("th", { text: "true ↓ predicted →" }), ...cm.map((_, j) => el("th", { text: j })));
  const rows = cm.map((row, i) => el("tr", {}, el("th", { text: i }), ...row.map((v, j) => {
    const a = Math.min(1, (3 * v) / total);
    const bg = i === j ? `rgba(8,119,189,${a})` : `rgba(245,147,34,${a})`;
    return el("td", { text: v, style: { background: bg } });
  })));
  table.replaceChildren(el("caption", { class: "muted small", text: "test confusion matrix" }), head, ...rows);
}

function renderLegend() {
  // what the output map's colours mean, for the kind of output the trainer has
  if (!state.params || !state.data) return;
  const kind = lossKind(), box = $("legend");
  if (kind === "ce") {
    const swatch = (k) => el("span", { class: "swatch" },
      el("i", { style: { background: `rgb(${blend(PALETTE[k % PALETTE.length], 0.85 * MAP_STRENGTH).join(",")})` } }),
      `class ${k}`);
    box.replaceChildren(...Array.from({ length: state.data.classes }, (_, k) => swatch(k)),
      el("span", { class: "muted", text: "paler: less sure" }));
    return;
  }
  const ends = {
    bce: ["class 0", "class 1"], // the map shows p(class 1) from 0 to 1
    mse: state.data.classes ? ["−1: class 0", "1: class 1"] : ["−1", "1"],
  }[kind];
  const values = new Uint8Array(200 * 8);
  for (let i = 0; i < values.length; i++) values[i] = Math.round(((i % 200) / 199) * 255);
  const bar = el("canvas", { id: "legend-bar", width: 200, height: 8 });
  paint(bar, values, 200, null, false, MAP_STRENGTH);
  box.replaceChildren(el("span", { text: ends[0] }), bar, el("span", { text: ends[1] }));
}

// ------------------------------------------------------------------ data points and clicks
const toPx = (v, size) => ((v + state.options.domain) / (2 * state.options.domain)) * size;
const toData = (px, size) => (px / size) * 2 * state.options.domain - state.options.domain;

function pointColor(label) {
  if (!state.data.classes) return lutColor(label);
  const c = PALETTE[label % PALETTE.length];
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function drawPoints() {
  const c = $("points"), ctx = c.getContext("2d"), d = state.data;
  ctx.clearRect(0, 0, c.width, c.height);
  if (!d) return;
  const sets = [["train", d.train_x, d.train_y]];
  if (state.client.show_test) sets.push(["test", d.test_x, d.test_y]);
  for (const [split, xs, ys] of sets) {
    for (let i = 0; i < ys.length; i++) {
      const x = toPx(xs[2 * i], c.width), y = c.height - toPx(xs[2 * i + 1], c.height);
      ctx.beginPath(); ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColor(ys[i]); ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = split === "test" ? "#000" : "#fff"; ctx.stroke();
    }
  }
  const e = state.explain;
  if (e) {
    const x = toPx(e.point[0], c.width), y = c.height - toPx(e.point[1], c.height);
    ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5; ctx.strokeStyle = "#d00"; ctx.stroke();
  }
}

function onMapClick(ev) {
  const c = $("points"), r = c.getBoundingClientRect();
  const px = ((ev.clientX - r.left) / r.width) * c.width, py = ((ev.clientY - r.top) / r.height) * c.height;
  const mode = $("click-mode").value;
  if (mode.startsWith("add:")) {
    send({ type: "add_point", x: toData(px, c.width), y: -toData(py, c.height), label: Number(mode.slice(4)) });
    return;
  }
  const d = state.data;
  if (!d) return;
  let best = null, bestDist = 10 * 10;
  const sets = [["train", d.train_x]];
  if (state.client.show_test) sets.push(["test", d.test_x]);
  for (const [split, xs] of sets) {
    for (let i = 0; i < xs.length / 2; i++) {
      const dx = toPx(xs[2 * i], c.width) - px, dy = c.height - toPx(xs[2 * i + 1], c.height) - py;
      if (dx * dx + dy * dy < bestDist) { bestDist = dx * dx + dy * dy; best = { split, index: i }; }
    }
  }
  if (best) send({ type: "explain", ...best });
  else toast("No data point there: click on a point to see backprop for it.");
}

// ------------------------------------------------------------------ explain: backprop for one point
const fmt = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : v.toFixed(3));

function matrix(rows) {
  // a matrix row by row; a vector as one row, to line up with the Jacobian's columns
  const m = Array.isArray(rows[0]) ? rows : [rows];
  let max = 1e-12;
  for (const row of m) for (const v of row) max = Math.max(max, Math.abs(v));
  return el("table", { class: "m" }, ...m.map((row) => el("tr", {}, ...row.map((v) =>
    el("td", { text: fmt(v), style: { background: lutColor(v / max) } })))));
}

// The loss as the notes write it, and how the engine computes it, by the kind lossKind() names.
const LOSS_FORMS = {
  bce: ["L = −[y log ŷ + (1−y) log(1−ŷ)],  ŷ = σ(z)",
    "computed in the stable form max(z,0) − z·y + log(1 + e^−|z|), which never takes log 0"],
  ce: ["L = −log ŷ_y,  ŷ = softmax(z)", "computed as log Σⱼ e^zⱼ − z_y, shifted by max z so no exponential overflows"],
};

function lossKind() {
  // the trainer's choice: one logit (bce) for two classes, softmax (ce) for more, else squared error
  const p = state.params, c = state.data?.classes;
  if (!c || p.loss === "mse") return "mse";
  return c === 2 ? "bce" : "ce";
}

function refreshExplain() {
  if (state.explain) send({ type: "explain", split: state.explain.split, index: state.explain.index });
}

const nodeName = (name) => (name === "yhat" ? "ŷ" : name);

function renderExplain() {
  const e = state.explain, body = $("explain-body");
  $("explain-refresh").hidden = !e;
  $("explain-graph-wrap").hidden = !e;
  if (!e) { body.replaceChildren(); $("explain-hint").textContent = "Click a data point on the map."; return; }
  $("explain-hint").textContent =
    `${e.split} point ${e.index} at (${e.point.map(fmt).join(", ")}), target ${fmt(e.target)}: loss ${fmt(e.loss)}. ` +
    "Backward, from L to x: each step multiplies the local Jacobian (rows indexed by the step's input) by ∂L/∂u.";
  const cards = e.steps.map((s, k) => {
    // u is this step's output, v its input: x for the first step, else the previous step's output
    const u = nodeName(s.name), v = k === 0 ? "x" : nodeName(e.steps[k - 1].name);
    const form = k === e.steps.length - 1 ? LOSS_FORMS[lossKind()] : null; // the last step is the loss
    const eq = el("div", { class: "eq", text: form ? form[0] : s.equation },
      k === 0 ? el("span", { class: "muted", text: ` x = (${e.features.join(", ")})` }) : null);
    const parts = [eq];
    if (form) parts.push(el("div", { class: "note", text: form[1] }));
    parts.push(el("div", { class: "what", text: `value ${u}` }), matrix(s.value),
      el("div", { class: "what", text: `local Jacobian ∂${u}/∂${v}` }), matrix(s.jacobian),
      el("div", { class: "what", text: `∂L/∂${u}` }), matrix(s.grad_out),
      el("div", { class: "what", text: `∂L/∂${v} = ∂${u}/∂${v} · ∂L/∂${u}` }), matrix(s.grad_in));
    if (s.grad_W) {
      const w = s.name.slice(1);
      const rule = s.grad_W_rule || `∂L/∂W${w} = (∂L/∂${u}) ${v}ᵀ`; // the explainer's own label
      parts.push(el("div", { class: "what", text: rule }), matrix(s.grad_W));
    }
    return el("div", { class: "step", id: `step-${k}`, title: `step ${k + 1} of the forward pass` }, ...parts);
  });
  cards.reverse(); // backprop runs from the loss back to the input
  const ok = e.check.agree ? "agree" : "DISAGREE";
  cards.push(el("div", { class: "step" }, el("div", { class: "eq", text: "Check" }),
    el("div", { class: "check-line", text: `The chain rule, step by step, and the engine's backward() ${ok}: ` +
      `largest difference ${e.check.max_abs_error.toExponential(1)}.` })));
  body.replaceChildren(...cards);
  renderGraph(e);
}

// ------------------------------------------------------------------ the computation graph of the clicked point
// One box per tensor (name, shape, value, ∂L/∂·) and one oval per op, data flowing down from x to
// L; W and b feed each affine op from the sides. Built from SVG elements and attributes, which the
// CSP allows (presentation attributes are not inline styles).
const SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs = {}, text = null) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

const shapeText = (v) => (!Array.isArray(v) ? "scalar" : Array.isArray(v[0]) ? `${v.length}×${v[0].length}` : `${v.length}`);
function summary(v, most = 3) {
  // up to `most` numbers as they are, more as their norm
  const a = Array.isArray(v) ? v.flat(Infinity) : [v];
  return a.length <= most ? a.map(fmt).join(", ") : `‖·‖ ${fmt(Math.hypot(...a))}`;
}

function opLabel(s, last) {
  if (last) return "loss";
  if (s.grad_W) return "W·v + b";
  return (s.equation.match(/=\s*([\w.]+)\(/) || [])[1] || "f";
}

function renderGraph(e) {
  const box = $("explain-graph");
  const W = 520, TW = 170, TH = 48, OH = 26, GAP = 14, LW = 116, mid = W / 2;
  const rows = [{ name: "x", value: e.steps[0].input, grad: e.steps[0].grad_in }];
  e.steps.forEach((s, k) => {
    rows.push({ op: opLabel(s, k === e.steps.length - 1), step: k, s });
    rows.push({ name: nodeName(s.name), value: s.value, grad: s.grad_out });
  });
  let y = 4;
  for (const r of rows) { r.y = y; y += (r.op ? OH : TH) + GAP; }
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${y}`, width: W, class: "graph", role: "img",
    "aria-label": "computation graph of the clicked point" });
  const defs = svgEl("defs");
  const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto" });
  marker.append(svgEl("path", { d: "M0,0 L8,4 L0,8 z", fill: "#777" }));
  defs.append(marker);
  svg.append(defs);
  const edge = (x1, y1, x2, y2) => svg.append(svgEl("line", { x1, y1, x2, y2, stroke: "#777", "marker-end": "url(#arrow)" }));
  const tensor = (x, y0, w, name, shape, value, grad, leaf = false) => {
    const g = svgEl("g", { class: leaf ? "tensor leaf" : "tensor" });
    g.append(svgEl("rect", { x, y: y0, width: w, height: TH, rx: 3, fill: leaf ? "#f3f3f3" : "#fff", stroke: "#999" }),
      svgEl("text", { x: x + 6, y: y0 + 14, "font-weight": 600 }, `${name}  `),
      svgEl("text", { x: x + w - 6, y: y0 + 14, "text-anchor": "end", fill: "#777" }, shape),
      svgEl("text", { x: x + 6, y: y0 + 28 }, value == null ? "" : `value ${summary(value)}`),
      svgEl("text", { x: x + 6, y: y0 + 42, fill: "#0877bd" }, `∂L/∂${name} ${summary(grad, leaf ? 1 : 3)}`));
    g.append(svgEl("title", {}, `${name} (${shape})`));
    svg.append(g);
  };
  rows.forEach((r, i) => {
    if (i) edge(mid, rows[i - 1].y + (rows[i - 1].op ? OH : TH), mid, r.y);
    if (!r.op) return tensor(mid - TW / 2, r.y, TW, r.name, shapeText(r.value), r.value, r.grad);
    const g = svgEl("g", { class: "op", tabindex: 0 });
    const J = r.s.jacobian, jr = J.length, jc = Array.isArray(J[0]) ? J[0].length : 1;
    g.append(svgEl("ellipse", { cx: mid, cy: r.y + OH / 2, rx: 52, ry: OH / 2, fill: "#e8f1f8", stroke: "#0877bd" }),
      svgEl("text", { x: mid, y: r.y + OH / 2 + 4, "text-anchor": "middle" }, r.op),
      svgEl("title", {}, `${r.s.equation}: local Jacobian ${jr}×${jc}; click to see it`));
    g.addEventListener("click", () => showStep(r.step));
    svg.append(g);
    if (r.s.grad_W) { // the parameters of an affine op, from the sides
      const k = r.s.name.slice(1), yl = r.y + OH / 2 - TH / 2;
      tensor(0, yl, LW, `W${k}`, shapeText(r.s.grad_W), null, r.s.grad_W, true);
      tensor(W - LW, yl, LW, `b${k}`, shapeText(r.s.grad_b), null, r.s.grad_b, true);
      edge(LW, r.y + OH / 2, mid - 52, r.y + OH / 2);
      edge(W - LW, r.y + OH / 2, mid + 52, r.y + OH / 2);
    }
  });
  box.replaceChildren(svg);
}

function showStep(k) {
  // an op's step card, with its local Jacobian, brought into view and outlined for a moment
  const card = $(`step-${k}`);
  if (!card) return;
  card.scrollIntoView({ block: "nearest" });
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1500);
}

connect();
