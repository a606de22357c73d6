// The coordinator's dashboard: polls GET /v1/dashboard and renders it. Every string from the
// network is untrusted (titles, descriptions); it only ever reaches the page as textContent.
"use strict";
const POLL_MS = 3000;
const charts = new Map();

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(tbody, cells) {
  const tr = el("tr");
  cells.forEach(c => tr.appendChild(el("td", c)));
  tbody.appendChild(tr);
}

function fmt(x) { return typeof x === "number" ? x.toFixed(4) : "–"; }

function hex(b64) {
  try { return Array.from(atob(b64 || ""), c => c.charCodeAt(0).toString(16).padStart(2, "0")).join("").slice(0, 12); }
  catch (e) { return ""; }
}

function chart(container, d) {
  const results = d.results.filter(p => typeof p.metric === "number").sort((a, b) => a.time_ms - b.time_ms);
  const steps = d.frontier_steps.slice().sort((a, b) => a.time_ms - b.time_ms);
  const times = Array.from(new Set(results.map(p => p.time_ms / 1000).concat(steps.map(s => s.time_ms / 1000))))
      .sort((a, b) => a - b);
  const pointAt = new Map(results.map(p => [p.time_ms / 1000, p.metric]));
  let frontier = null, si = 0;
  const stepSeries = times.map(t => {
    while (si < steps.length && steps[si].time_ms / 1000 <= t) frontier = steps[si++].metric;
    return frontier;
  });
  const data = [times, times.map(t => pointAt.has(t) ? pointAt.get(t) : null), stepSeries];
  const opts = {
    width: 720, height: 260, title: d.metric_name + " over time",
    series: [{}, { label: "result", stroke: "transparent", points: { show: true, size: 6, fill: "#3b6fd4" } },
             { label: "frontier", stroke: "#0a7a2f", width: 2, paths: uPlot.paths.stepped({ align: 1 }), spanGaps: true }],
  };
  let c = charts.get(d.name);
  if (c && c.root.isConnected) { c.setData(data); return; }
  c = new uPlot(opts, data, container);
  charts.set(d.name, c);
}

function direction(d) {
  const s = el("section", null, d.closed ? "direction closed" : "direction");
  s.dataset.direction = d.name;
  const h = el("h3", d.name);
  if (d.closed) h.appendChild(el("span", "closed", "closed-badge"));
  s.appendChild(h);
  if (d.closed) {
    // Closed by an operator: it hands out no more work, but its history below stays.
    s.appendChild(el("p", "Closed by an operator" + (d.closed_reason ? ": " + d.closed_reason : "")
        + ". No more work is handed out; its results and research tree stay below.", "closed-note"));
  }
  s.appendChild(el("p", d.description));
  const facts = el("table");
  const tb = el("tbody");
  row(tb, ["state", d.closed ? "closed" : "open"]);
  row(tb, ["seed", d.seed]);
  row(tb, ["frontier", d.frontier_commit.slice(0, 12)]);
  const fm = el("tr"); fm.appendChild(el("td", "frontier " + d.metric_name));
  fm.appendChild(el("td", fmt(d.frontier_metric), "frontier-metric")); tb.appendChild(fm);
  row(tb, ["baseline " + d.metric_name, fmt(d.baseline_metric)]);
  const total = typeof d.results_total === "number" ? d.results_total : d.results.length;
  row(tb, ["results", total > d.results.length ? total + " (the chart shows the newest " + d.results.length + ")" : total]);
  if (typeof d.experiments_total === "number") row(tb, ["experiments", d.experiments_total]);
  facts.appendChild(tb);
  s.appendChild(facts);
  const plot = el("div", null, "chart");
  s.appendChild(plot);
  s.appendChild(el("h4", "Research tree"));
  const tree = el("ul");
  const children = new Map();
  d.tree.forEach(n => { if (!children.has(n.parent)) children.set(n.parent, []); children.get(n.parent).push(n); });
  const add = (parent, ul, depth) => (children.get(parent) || []).forEach(n => {
    const li = el("li", null, n.state === "adopted" ? "adopted" : n.state === "dead end" ? "dead" : "");
    li.appendChild(el("code", n.commit.slice(0, 10)));
    li.appendChild(document.createTextNode(" " + n.description + " — " + n.state
        + (typeof n.metric === "number" ? " (" + fmt(n.metric) + ")" : "")));
    ul.appendChild(li);
    if (depth < 50) { const sub = el("ul"); li.appendChild(sub); add(n.commit, sub, depth + 1); }
  });
  add(d.base_commit, tree, 0);
  // Only the adopted path and the newest experiments come; one whose parent is older than those
  // hangs from the top, so nothing sent is left out of the page.
  const shown = new Set(d.tree.map(n => n.commit));
  Array.from(children.keys()).filter(p => p !== d.base_commit && !shown.has(p)).forEach(p => {
    const li = el("li", null, "older"); li.appendChild(el("code", p.slice(0, 10)));
    li.appendChild(document.createTextNode(" (older, not shown)"));
    const sub = el("ul"); li.appendChild(sub); add(p, sub, 1); tree.appendChild(li);
  });
  s.appendChild(tree);
  return [s, plot];
}

function render(state) {
  const dirs = document.getElementById("directions");
  dirs.replaceChildren();
  charts.clear();
  state.directions.forEach(d => { const [s, plot] = direction(d); dirs.appendChild(s); chart(plot, d); });
  const boards = document.getElementById("leaderboards");
  boards.replaceChildren();
  state.leaderboards.forEach(list => (list.leaderboards || []).forEach(b => {
    boards.appendChild(el("h4", b.direction + " on " + b.hardware_class));
    const t = el("table"); const tb = el("tbody");
    (b.entries || []).forEach(e => row(tb, [(e.commit || "").slice(0, 10), fmt(e.metric), (e.replicas || 0) + " replicas",
        e.description, e.frontier ? "frontier" : ""]));
    t.appendChild(tb); boards.appendChild(t);
  }));
  const vols = document.querySelector("#volunteers tbody"); vols.replaceChildren();
  state.volunteers.forEach(v => row(vols, [v.node, v.hardware_class, v.ok_results, v.results]));
  const nodes = document.querySelector("#nodes tbody"); nodes.replaceChildren();
  (state.nodes.peers || []).forEach(n => row(nodes, [hex(n.node), n.host, n.port]));
  const papers = document.getElementById("papers"); papers.replaceChildren();
  state.papers.forEach(p => {
    const li = el("li"); li.appendChild(el("span", p.title, "paper-title"));
    li.appendChild(document.createTextNode(" — " + p.direction + ", by " + p.author)); papers.appendChild(li);
  });
  document.getElementById("updated").textContent = "updated " + new Date().toISOString();
}

async function poll() {
  try {
    const r = await fetch("/v1/dashboard", { headers: { Accept: "application/json" } });
    if (r.ok) render(await r.json());
    else document.getElementById("updated").textContent = "coordinator answered " + r.status;
  } catch (e) {
    document.getElementById("updated").textContent = "coordinator unreachable: " + e;
  }
  setTimeout(poll, POLL_MS);
}
poll();
