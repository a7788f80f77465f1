// Tally's web console: live counter values over Server-Sent Events, the cluster's members and the
// node's write rate. Plain browser JavaScript, no dependencies, served from the node's jar.
//
// int64 values arrive as JSON numbers up to 2^53-1 and as strings beyond (protobuf's JSON
// mapping), so every count goes through BigInt and is shown exactly, never as a rounded float.
"use strict";

const TOKEN_KEY = "tally.token";
const STATUS_EVERY_MS = 2000;
const RATE_POINTS = 60; // two minutes of 2 s samples
const MAX_BACKOFF_MS = 10000;

const $ = (id) => document.getElementById(id);

const state = {
  keys: keysFromUrl(),
  values: new Map(), // key -> {value: BigInt, updatedAt: string|null}
  source: null, // the EventSource
  backoffMs: 500,
  reconnectTimer: null,
  lastSample: null, // {node, applied: BigInt, at: ms}
  rates: [], // writes per second, oldest first
};

// ---- helpers ----------------------------------------------------------------------------------

function keysFromUrl() {
  const raw = new URLSearchParams(location.search).get("keys") || "";
  return [...new Set(raw.split(",").map((k) => k.trim()).filter((k) => k !== ""))];
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function authHeaders() {
  const t = token();
  return t ? { Authorization: "Bearer " + t } : {};
}

/** An int64/uint64 from protobuf JSON (number, numeric string, or absent = 0) as a BigInt. */
function exact(v) {
  if (v === undefined || v === null || v === "") return 0n;
  if (typeof v === "number" && !Number.isSafeInteger(v)) {
    throw new Error("a count arrived as an inexact number: " + v);
  }
  return BigInt(v);
}

function setStatus(el, text, isError) {
  el.textContent = text;
  el.classList.toggle("error", !!isError);
}

/** A failed response as plain words: what happened and what to do. */
async function describeFailure(response, what) {
  let detail = "";
  try {
    const body = await response.json();
    detail = body.message ? " (" + body.message + ")" : "";
  } catch (e) {
    // not JSON: the status line says enough
  }
  switch (response.status) {
    case 401:
      return "The node needs an access token to " + what + ": enter one under \u201cAccess token\u201d" + detail + ".";
    case 403:
      return "The access token is not allowed to " + what + detail + ".";
    case 400:
      return "The node refused the request to " + what + detail + ".";
    case 429:
      return "The node is limiting this client; retrying" + detail + ".";
    default:
      return "The node answered " + response.status + " when asked to " + what + detail + ".";
  }
}

function unreachable() {
  return "Cannot reach the node at " + location.host + ": is it running? Retrying.";
}

// ---- counters (Server-Sent Events) ------------------------------------------------------------

function updateUrl() {
  // By hand rather than URLSearchParams, which would write likes:post-1 as likes%3Apost-1.
  const query = state.keys.length
      ? "?keys=" + state.keys.map((k) => encodeURIComponent(k).replace(/%3A/gi, ":")).join(",") : "";
  history.replaceState(null, "", location.pathname + query);
}

function renderCounters() {
  const body = $("counters").tBodies[0];
  body.replaceChildren();
  for (const key of state.keys) {
    const row = body.insertRow();
    row.dataset.key = key;
    const keyCell = row.insertCell();
    keyCell.className = "key";
    keyCell.textContent = key;
    const valueCell = row.insertCell();
    valueCell.className = "value";
    const timeCell = row.insertCell();
    timeCell.className = "updated";
    const known = state.values.get(key);
    valueCell.textContent = known ? known.value.toString() : "\u2026";
    if (known && known.updatedAt) {
      timeCell.textContent = new Date(known.updatedAt).toLocaleString();
      timeCell.title = known.updatedAt;
    } else {
      timeCell.textContent = known ? "never written" : "";
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Stop watching " + key);
    remove.addEventListener("click", () => setKeys(state.keys.filter((k) => k !== key)));
    row.insertCell().append(remove);
  }
  $("no-keys").hidden = state.keys.length > 0;
}

function setKeys(keys) {
  state.keys = keys;
  for (const k of [...state.values.keys()]) {
    if (!keys.includes(k)) state.values.delete(k);
  }
  updateUrl();
  renderCounters();
  connect();
}

function watchUrl() {
  let url = "/v1/counters:watch?keys=" + state.keys.map(encodeURIComponent).join(",");
  // EventSource cannot send headers, so the node takes the token as a query parameter here.
  if (token()) url += "&access_token=" + encodeURIComponent(token());
  return url;
}

function connect() {
  clearTimeout(state.reconnectTimer);
  if (state.source) state.source.close();
  state.source = null;
  const status = $("stream-status");
  if (!state.keys.length) {
    setStatus(status, "");
    return;
  }
  setStatus(status, "Connecting\u2026");
  const source = new EventSource(watchUrl());
  state.source = source;
  source.onopen = () => {
    state.backoffMs = 500;
    setStatus(status, "Live: values update as they change.");
  };
  source.addEventListener("value", (event) => {
    const v = JSON.parse(event.data);
    state.values.set(v.key, { value: exact(v.value), updatedAt: v.updated_at || null });
    renderCounters();
  });
  // EventSource retries by itself only after a network error and gives up on an HTTP error; this
  // page retries both, and asks the node over fetch what was wrong so it can say it in words.
  source.onerror = () => {
    if (state.source !== source) return;
    source.close();
    state.source = null;
    diagnoseStream().then((message) => setStatus(status, message, true));
    const delay = state.backoffMs;
    state.backoffMs = Math.min(MAX_BACKOFF_MS, state.backoffMs * 2);
    state.reconnectTimer = setTimeout(connect, delay); // the node sends the current values first
  };
}

async function diagnoseStream() {
  try {
    const response = await fetch("/v1/counters/" + encodeURIComponent(state.keys[0]), { headers: authHeaders() });
    if (!response.ok) return describeFailure(response, "read counters");
    return "The live stream was interrupted; reconnecting.";
  } catch (e) {
    return unreachable();
  }
}

// ---- cluster status and write rate ------------------------------------------------------------

const STATE_NAMES = { STATE_ALIVE: "alive", STATE_SUSPECT: "suspect", STATE_DEAD: "dead" };

function lag(ms) {
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  return Math.floor(ms / 60000) + " min " + Math.floor((ms % 60000) / 1000) + " s";
}

function renderMembers(status) {
  const body = $("members").tBodies[0];
  body.replaceChildren();
  for (const m of status.members || []) {
    const row = body.insertRow();
    row.dataset.member = m.name;
    const stateName = STATE_NAMES[m.state] || "unknown";
    const cells = [
      m.name + (m.self ? " (answering)" : ""),
      m.dc || "",
      stateName,
      m.replica_id || "\u2013",
      m.client_address || "\u2013",
      lag(Number(exact(m.replication_lag_ms))),
      exact(m.pending_keys).toString(),
      m.needs_repair ? "yes" : "no",
    ];
    cells.forEach((text, i) => {
      const cell = row.insertCell();
      cell.textContent = text;
      if (i === 2) cell.className = "state state-" + stateName;
    });
  }
  const pending = exact(status.failover_pending);
  $("failover").textContent = pending > 0n
      ? status.node + " applied " + pending + " retried write(s) without an answer from every prior node and is"
        + " resolving them in the background."
      : "No retried writes waiting for failover resolution.";
  $("node-line").textContent = "Cluster " + status.cluster_id + ", as seen by node " + status.node
      + " (" + location.host + ").";
}

function recordRate(status) {
  const now = performance.now();
  const applied = exact(status.writes_applied);
  const last = state.lastSample;
  state.lastSample = { node: status.node, applied, at: now };
  if (!last || last.node !== status.node || applied < last.applied) {
    return; // first sample, another node answered, or the node restarted: start over
  }
  const perSecond = Number(applied - last.applied) / ((now - last.at) / 1000);
  state.rates.push(perSecond);
  if (state.rates.length > RATE_POINTS) state.rates.shift();
  drawRate(status.node);
}

function drawRate(node) {
  const peak = Math.max(...state.rates);
  const max = Math.max(1, peak); // the chart's top: at least 1 write/s, so an idle node draws a flat line
  const step = 300 / (RATE_POINTS - 1);
  const offset = RATE_POINTS - state.rates.length;
  const points = state.rates.map((r, i) => ((offset + i) * step).toFixed(1) + "," + (98 - (r / max) * 94).toFixed(1));
  $("rate-chart").querySelector("polyline").setAttribute("points", points.join(" "));
  const current = state.rates[state.rates.length - 1];
  $("rate-text").textContent = "Node " + node + " applies " + current.toFixed(1) + " writes/s now"
      + " (peak " + peak.toFixed(1) + " writes/s over the last " + state.rates.length * 2 + " s).";
}

async function refreshStatus() {
  const status = $("cluster-status");
  try {
    const response = await fetch("/v1/cluster:status", { headers: authHeaders() });
    if (!response.ok) {
      setStatus(status, await describeFailure(response, "show cluster status"), true);
    } else {
      const body = await response.json();
      renderMembers(body);
      recordRate(body);
      setStatus(status, "Updated " + new Date().toLocaleTimeString() + "; refreshes every 2 s.");
    }
  } catch (e) {
    setStatus(status, unreachable(), true);
  } finally {
    setTimeout(refreshStatus, STATUS_EVERY_MS);
  }
}

// ---- forms ------------------------------------------------------------------------------------

function showTokenState() {
  $("token").placeholder = token() ? "a token is set for this tab" : "none";
}

function start() {
  $("add-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("add-key").value.trim();
    if (key && !state.keys.includes(key)) setKeys([...state.keys, key]);
    $("add-key").value = "";
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const t = $("token").value.trim();
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    showTokenState();
    connect();
  });
  $("clear-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    connect();
  });
  showTokenState();
  updateUrl();
  renderCounters();
  connect();
  refreshStatus();
}

start();
