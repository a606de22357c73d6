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

// What a live node works on: "2 units: lr-sweep evaluate x2", "idle". Direction names are the
// network's (untrusted): the cell is set as textContent, as every cell.
// A node that says it claims nothing (paused by its volunteer, or its own reason) is not "idle".
function leased(n) {
  if (n.leases_held === undefined) return "";
  if (!n.leases_held) return n.paused ? "paused" : n.not_claiming ? "not claiming: " + n.not_claiming : "idle";
  const groups = n.leases_on || [];
  const named = groups.reduce((sum, g) => sum + g.units, 0);
  const on = groups.map(g => g.direction + " " + String(g.kind).toLowerCase() + (g.units > 1 ? " x" + g.units : ""));
  if (named < n.leases_held && groups.length) on.push("...");
  return n.leases_held + (n.leases_held === 1 ? " unit" : " units") + (on.length ? ": " + on.join(", ") : "");
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
  if (times.length === 0) {
    container.appendChild(el("p", "no " + d.metric_name + " measured yet: the chart starts with the first result", "empty"));
    return;
  }
  const pointAt = new Map(results.map(p => [p.time_ms / 1000, p.metric]));
  let frontier = null, si = 0;
  const stepSeries = times.map(t => {
    while (si < steps.length && steps[si].time_ms / 1000 <= t) frontier = steps[si++].metric;
    return frontier;
  });
  const data = [times, times.map(t => pointAt.has(t) ? pointAt.get(t) : null), stepSeries];
  const opts = {
    width: Math.max(320, Math.min(900, container.clientWidth || 720)), height: 260, title: d.metric_name + " over time",
    series: [{}, { label: "result", stroke: "transparent", points: { show: true, size: 6, fill: "#3b6fd4" } },
             { label: "frontier", stroke: "#0a7a2f", width: 2, paths: uPlot.paths.stepped({ align: 1 }), spanGaps: true }],
  };
  let c = charts.get(d.name);
  if (c && c.root.isConnected) { c.setData(data); return; }
  c = new uPlot(opts, data, container);
  charts.set(d.name, c);
}

function gain(d) {
  // How far the frontier moved from the base, in the direction the metric improves.
  if (typeof d.frontier_metric !== "number" || typeof d.baseline_metric !== "number" || d.baseline_metric === 0) return null;
  const better = d.lower_is_better ? d.baseline_metric - d.frontier_metric : d.frontier_metric - d.baseline_metric;
  return 100 * better / Math.abs(d.baseline_metric);
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
  if (d.description) s.appendChild(el("p", d.description, "muted"));
  const orders = d.operator_requeues || [];
  if (orders.length) {
    // an operator's order put trials back in the queue past the network's own cap: say who, when, why
    const total = typeof d.operator_requeues_total === "number" ? d.operator_requeues_total : orders.length;
    s.appendChild(el("h4", "Queued again by an operator (" + total + (total > orders.length ? ", newest " + orders.length + " shown" : "") + ")"));
    const ol = el("ul", null, "operator-requeues");
    orders.forEach(o => ol.appendChild(el("li", new Date(o.requeued_ms).toISOString() + " by " + o.requeued_by
        + ": trials of " + String(o.commit).slice(0, 10) + " at seed(s) " + (o.random_seeds || []).join(", ")
        + (o.reason ? " (" + o.reason + ")" : ""))));
    s.appendChild(ol);
  }
  const overview = el("div", null, "overview");
  const facts = el("table");
  const tb = el("tbody");
  row(tb, ["state", d.closed ? "closed" : "open"]);
  row(tb, ["seed", d.seed]);
  row(tb, ["frontier", d.frontier_commit.slice(0, 12)]);
  const fm = el("tr"); fm.appendChild(el("td", "frontier " + d.metric_name));
  fm.appendChild(el("td", fmt(d.frontier_metric), "frontier-metric")); tb.appendChild(fm);
  row(tb, ["baseline " + d.metric_name, fmt(d.baseline_metric)]);
  const g = gain(d);
  if (g !== null) {
    const gr = el("tr"); gr.appendChild(el("td", "gain over the base"));
    gr.appendChild(el("td", (g > 0 ? "+" : "") + g.toFixed(2) + "% (" + (d.lower_is_better ? "lower" : "higher") + " is better)",
        g > 0 ? "gain" : g < 0 ? "loss" : "")); tb.appendChild(gr);
  }
  row(tb, ["adopted steps", Math.max(0, d.frontier_steps.length - 1)]);
  const total = typeof d.results_total === "number" ? d.results_total : d.results.length;
  row(tb, ["results", total > d.results.length ? total + " (the chart shows the newest " + d.results.length + ")" : total]);
  if (typeof d.experiments_total === "number") row(tb, ["experiments", d.experiments_total]);
  facts.appendChild(tb);
  overview.appendChild(facts);
  const plot = el("div", null, "chart");
  overview.appendChild(plot);
  s.appendChild(overview);
  s.appendChild(el("h4", "Research tree"));
  const tree = el("ul", null, "tree");
  const children = new Map();
  d.tree.forEach(n => { if (!children.has(n.parent)) children.set(n.parent, []); children.get(n.parent).push(n); });
  const node = (cls, commit, text) => {
    const li = el("li", null, cls);
    li.appendChild(el("code", commit.slice(0, 10)));
    li.appendChild(el("span", " " + text, "node-text"));
    return li;
  };
  const add = (parent, ul, depth) => (children.get(parent) || []).forEach(n => {
    const cls = n.state === "adopted" ? "adopted" : n.state === "dead end" ? "dead" : n.state === "pending" ? "pending" : "";
    const li = node(cls, n.commit, n.description + " — " + n.state
        + (typeof n.metric === "number" ? " (" + fmt(n.metric) + ")" : ""));
    if (n.waiting_for_independent_runner) {
      // queued, and the only fitting nodes seen share the proposer's network, which its trials are kept off
      li.dataset.waiting = "independent-runner";
      li.appendChild(el("span", " waiting for an independent runner", "waiting-independent"));
    }
    ul.appendChild(li);
    if (depth < 50 && children.has(n.commit)) { const sub = el("ul"); li.appendChild(sub); add(n.commit, sub, depth + 1); }
  });
  add(d.base_commit, tree, 0);
  // Only the adopted path and the newest experiments come; one whose parent is older than those
  // hangs from the top, so nothing sent is left out of the page.
  const shown = new Set(d.tree.map(n => n.commit));
  Array.from(children.keys()).filter(p => p !== d.base_commit && !shown.has(p)).forEach(p => {
    const li = node("older", p, "(older, not shown)");
    const sub = el("ul"); li.appendChild(sub); add(p, sub, 1); tree.appendChild(li);
  });
  if (!tree.firstChild) tree.appendChild(el("li", "no experiments yet", "empty"));
  s.appendChild(tree);
  return [s, plot];
}

function stat(value, label) {
  const d = el("div", null, "stat");
  d.appendChild(el("div", value, "value"));
  d.appendChild(el("div", label, "label"));
  return d;
}

function summary(state) {
  // every open direction, counted by the coordinator; an older one sent only those shown
  const open = typeof state.directions_open === "number" ? state.directions_open
      : state.directions.filter(d => !d.closed).length;
  const sum = key => state.directions.reduce((n, d) => n + (typeof d[key] === "number" ? d[key] : 0), 0);
  const adopted = state.directions.reduce((n, d) => n + Math.max(0, d.frontier_steps.length - 1), 0);
  document.getElementById("summary").replaceChildren(
      stat(open + " / " + (typeof state.directions_total === "number" ? state.directions_total : state.directions.length),
          "open directions" + (state.directions_total > state.directions.length
              ? " (the page shows " + state.directions.length + ")" : "")),
      stat(sum("experiments_total"), "experiments"),
      stat(sum("results_total"), "results"),
      stat(adopted, "adopted steps"),
      stat(state.volunteers.length, "volunteers"),
      stat((state.nodes.peers || []).length, "live nodes"),
      stat(state.papers.length, "recent papers"));
}

function header(table, names) {
  const tr = el("tr");
  names.forEach(n => tr.appendChild(el("th", n)));
  const thead = el("thead"); thead.appendChild(tr); table.appendChild(thead);
}

function render(state) {
  summary(state);
  const dirs = document.getElementById("directions");
  dirs.replaceChildren();
  charts.clear();
  if (state.directions.length === 0) {
    dirs.appendChild(el("p", "No directions yet: publish a seed (`rhizome seed publish`) and open one (`rhizome direction open`).", "empty"));
  }
  state.directions.forEach(d => { const [s, plot] = direction(d); dirs.appendChild(s); chart(plot, d); });
  const boards = document.getElementById("leaderboards");
  boards.replaceChildren();
  state.leaderboards.forEach(list => (list.leaderboards || []).forEach(b => {
    boards.appendChild(el("h4", b.direction + " on " + b.hardware_class));
    const t = el("table"); header(t, ["#", "commit", "metric", "replicas", "description", ""]);
    const tb = el("tbody");
    (b.entries || []).forEach((e, i) => {
      const tr = el("tr");
      tr.appendChild(el("td", i + 1, "num"));
      tr.appendChild(el("td", (e.commit || "").slice(0, 10)));
      tr.appendChild(el("td", fmt(e.metric), "num"));
      tr.appendChild(el("td", e.replicas || 0, "num"));
      tr.appendChild(el("td", e.description));
      tr.appendChild(el("td", e.frontier ? "frontier" : "", e.frontier ? "frontier-tag" : ""));
      tb.appendChild(tr);
    });
    t.appendChild(tb); boards.appendChild(t);
  }));
  if (!boards.firstChild) boards.appendChild(el("p", "no results yet", "empty"));
  const vols = document.querySelector("#volunteers tbody"); vols.replaceChildren();
  state.volunteers.forEach(v => row(vols, [v.node, v.hardware_class, v.ok_results, v.results]));
  const credit = document.querySelector("#credit tbody"); credit.replaceChildren();
  (state.credit || []).forEach(v => {
    const tr = el("tr");
    tr.appendChild(el("td", v.node));
    tr.appendChild(el("td", Math.round(v.credit_seconds), "num"));
    tr.appendChild(el("td", v.valid, "num"));
    tr.appendChild(el("td", v.invalid, "num"));
    tr.appendChild(el("td", v.errors, "num"));
    tr.appendChild(el("td", v.trusted ? "trusted (spot-checked)" : "replicated"));
    credit.appendChild(tr);
  });
  const nodes = document.querySelector("#nodes tbody"); nodes.replaceChildren();
  (state.nodes.peers || []).forEach(n => row(nodes, [hex(n.node), n.host, n.port, leased(n)]));
  const bans = document.querySelector("#bans tbody"); bans.replaceChildren();
  (state.bans || []).forEach(b => row(bans, [b.key, b.reason]));
  if ((state.bans_total || 0) > (state.bans || []).length) {
    row(bans, ["", (state.bans_total - state.bans.length) + " more not shown"]);
  }
  if (!(state.bans || []).length) row(bans, ["none", ""]);
  const papers = document.getElementById("papers"); papers.replaceChildren();
  state.papers.forEach(p => {
    const li = el("li"); li.appendChild(el("span", p.title, "paper-title"));
    const when = typeof p.created_ms === "number" ? ", " + new Date(p.created_ms).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";
    li.appendChild(document.createTextNode(" — " + p.direction + ", by " + p.author + when)); papers.appendChild(li);
  });
  if (!papers.firstChild) papers.appendChild(el("li", "no papers yet", "empty"));
}

let lastText = null, lastAt = null;

function stale(why) {
  // What is on the page stays; the header says it is no longer current.
  const u = document.getElementById("updated");
  u.textContent = why + (lastAt === null ? "" : " (showing the answer of " + lastAt + ")");
  u.className = "stale";
}

async function poll() {
  try {
    const r = await fetch("/v1/dashboard", { headers: { Accept: "application/json" } });
    if (r.ok) {
      // Rebuilt only when something changed, so a reader's place, selection and chart cursor stay.
      const text = await r.text();
      if (text !== lastText) { render(JSON.parse(text)); lastText = text; }
      const u = document.getElementById("updated");
      lastAt = new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC";
      u.textContent = "updated " + lastAt;
      u.className = "";
    } else {
      stale("coordinator answered " + r.status);
    }
  } catch (e) {
    stale("coordinator unreachable: " + e);
  }
  setTimeout(poll, POLL_MS);
}
poll();
