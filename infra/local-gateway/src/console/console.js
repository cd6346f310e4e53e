// The local console: polls the gateway's /_local/api/* endpoints and fills the tables. Every
// value from the stack (paths, log lines, email subjects) goes in as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let traceId = null;

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function fill(tableId, items, render, empty) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  if (!items.length) {
    const row = body.insertRow();
    row.className = "empty";
    const td = cell(row, empty);
    td.colSpan = $(tableId).tHead.rows[0].cells.length;
    return;
  }
  for (const item of items) render(body.insertRow(), item);
}

async function getJson(path) {
  const res = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(10000) });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function time(at) {
  return at ? String(at).replace("T", " ").replace(/\.\d+Z$|Z$/, "").slice(0, 19) : "";
}

function traceButton(row, id) {
  const td = row.insertCell();
  if (!id) return;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "link trace";
  b.textContent = id;
  b.dataset.correlationId = id;
  b.addEventListener("click", () => showTrace(id));
  td.appendChild(b);
}

// How many rows each table shows (the page stays readable; the JSON has them all).
const SHOWN = { requests: 25, mail: 10, sagas: 10 };
let allRequests = false;

async function loadRequests() {
  const requests = await getJson("/_local/api/requests");
  $("requests-more").textContent = allRequests ? "show the latest " + SHOWN.requests : `show all ${requests.length}`;
  $("requests-more").hidden = requests.length <= SHOWN.requests;
  fill("requests", allRequests ? requests : requests.slice(0, SHOWN.requests), (row, r) => {
    cell(row, time(r.at));
    cell(row, r.method);
    cell(row, r.path, "wrap");
    cell(row, r.status, "s" + String(r.status)[0]);
    cell(row, r.latencyMs.toFixed(1));
    cell(row, r.function || "-");
    traceButton(row, r.correlationId);
  }, "no requests yet");
}

async function showTrace(id) {
  traceId = id;
  const trace = await getJson("/_local/api/trace?correlationId=" + encodeURIComponent(id));
  $("trace-panel").hidden = false;
  $("trace-id").textContent = id;
  $("trace-functions").textContent = trace.functions.length ? trace.functions.join(", ") : "(none in the logs)";
  $("trace-events").textContent = trace.events.length
    ? trace.events.map((e) => `${e.name} (${e.what}, ${e.function || "?"})`).join("; ")
    : "(none)";
  const skip = new Set(["timestamp", "source", "function", "level", "message"]);
  fill("trace-lines", trace.lines, (row, l) => {
    cell(row, time(l.timestamp));
    cell(row, l.source);
    cell(row, l.function || "");
    cell(row, l.level, l.level === "ERROR" ? "bad" : "");
    cell(row, l.message);
    const rest = Object.entries(l).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
    cell(row, rest.join("  "), "wrap");
  }, trace.logs ? "no log line names this id (yet)" : "the gateway was started without --logs-dir");
  window.__trace = { id, functions: trace.functions, events: trace.events.length, lines: trace.lines.length };
}

async function loadQueues() {
  const queues = await getJson("/_local/api/queues");
  fill("queues", queues, (row, q) => {
    cell(row, q.queue);
    cell(row, q.function);
    cell(row, q.visible ?? "?");
    cell(row, q.inFlight ?? "?");
    cell(row, q.delayed ?? "?");
    cell(row, q.dlq || "-");
    cell(row, q.dlqVisible ?? "-", q.dlqVisible > 0 ? "bad" : "");
    const td = row.insertCell();
    if (q.dlq) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "redrive";
      b.dataset.queue = q.queue;
      b.textContent = "Redrive";
      b.disabled = !(q.dlqVisible > 0);
      b.addEventListener("click", () => redrive(q.queue));
      td.appendChild(b);
    }
    if (q.error) cell(row, q.error, "bad wrap");
  }, "no queues (no event sources in the template, or the gateway has no --aws-endpoint)");
  window.__queues = queues;
}

async function redrive(queue) {
  $("redrive-result").textContent = `moving ${queue}'s dead letters back…`;
  const res = await fetch("/_local/api/queues/redrive", {
    method: "POST",
    headers: { "content-type": "application/json", "x-streamia-console": "1" },
    body: JSON.stringify({ queue }),
  });
  const answer = await res.json();
  $("redrive-result").textContent = res.ok
    ? `${answer.moved} message(s) moved back to ${answer.queue}`
    : `redrive failed: ${answer.error}`;
  window.__redrive = { status: res.status, ...answer };
  await loadQueues();
}

async function loadSagas() {
  const answer = await getJson("/_local/api/sagas");
  fill("sagas", answer.sagas.slice(0, SHOWN.sagas), (row, s) => {
    cell(row, s.owner);
    cell(row, s.userId || s.movieId || "");
    cell(row, s.state, s.state === "cancelled" ? "bad" : "");
    cell(row, Object.entries(s.steps).map(([k, v]) => `${k}: ${v}`).join(", "));
    cell(row, s.waitingFor.join(", "));
    cell(row, time(s.startedAt));
    cell(row, time(s.endedAt));
    traceButton(row, s.correlationId);
  }, answer.available ? "no sagas yet" : "the gateway was started without --console-mongodb-uri");
}

async function loadCircuits() {
  const circuits = await getJson("/_local/api/circuits");
  fill("circuits", circuits, (row, c) => {
    cell(row, c.name);
    cell(row, c.state, c.state);
    cell(row, c.state === "closed" ? `${c.failures} recent fault(s)`
      : c.state === "open" ? `a trial in ${Math.ceil(c.retryAfterMs / 1000)} s` : "the next call is the trial");
  }, "no Redis (the gateway was started without --console-redis-url)");
  window.__circuits = circuits;
}

async function loadMail() {
  const mail = await getJson("/_local/mail");
  fill("mail", mail.slice(-SHOWN.mail).reverse(), (row, m) => {
    cell(row, time(m.sentAt));
    cell(row, Array.isArray(m.to) ? m.to.join(", ") : m.to);
    cell(row, m.subject, "wrap");
    cell(row, m.language);
  }, "no email sent yet");
  window.__mail = mail.length;
}

// One row per function (or service), one column per metric: a count's sum, a duration's
// average (ms).
async function loadMetrics() {
  const answer = await getJson("/_local/metrics");
  const names = [];
  const rows = new Map();
  for (const m of answer.metrics) {
    if (!names.includes(m.name)) names.push(m.name);
    if (!rows.has(m.dimensions)) rows.set(m.dimensions, {});
    rows.get(m.dimensions)[m.name] = m;
  }
  const head = $("metrics").tHead.rows[0];
  head.replaceChildren();
  for (const title of ["function / service", ...names.map((n) => n + (answer.metrics.find((m) => m.name === n).unit === "Milliseconds" ? " (avg ms)" : ""))]) {
    const th = document.createElement("th");
    th.textContent = title;
    head.appendChild(th);
  }
  fill("metrics", [...rows.entries()].filter(([d]) => !d.startsWith("LogGroup=")), (row, [dims, byName]) => {
    cell(row, dims.replace(/^(Function|Service)=/, ""));
    for (const n of names) {
      const m = byName[n];
      cell(row, !m ? "" : m.unit === "Milliseconds" ? m.average.toFixed(1) : m.sum);
    }
  }, "no metrics in the last 15 minutes");
  window.__metrics = answer.metrics.length;
}

async function refresh() {
  const loads = [loadRequests(), loadQueues(), loadSagas(), loadCircuits(), loadMail(), loadMetrics()];
  const results = await Promise.allSettled(loads);
  const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
  $("updated").textContent = (failed.length ? "errors: " + failed.join("; ") + " · " : "") + "updated " + new Date().toLocaleTimeString();
  window.__loaded = (window.__loaded || 0) + 1;
}

$("refresh").addEventListener("click", refresh);
// The next refresh is planned when one ends: a slow one never piles up behind another.
async function every3s() {
  if ($("auto").checked) await refresh();
  setTimeout(every3s, 3000);
}
refresh();
$("requests-more").addEventListener("click", () => { allRequests = !allRequests; loadRequests(); });
$("trace-close").addEventListener("click", () => { $("trace-panel").hidden = true; traceId = null; });
setTimeout(every3s, 3000);
