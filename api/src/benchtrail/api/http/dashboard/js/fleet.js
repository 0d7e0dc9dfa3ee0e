// Fleet overview: stations, running sessions, yield today and lock holders, kept live by
// the fleet's lifecycle events (/api/live), without waiting for the warehouse.

import { ApiError, explain, getAllPages, getJson } from "./api.js";
import { byId, fillTable, h, outcomeBadge, pageLink, setMessage } from "./dom.js";
import { formatClock, formatPercent, formatTime, localMidnight, shortId } from "./format.js";
import { follow } from "./live.js";

const LIFECYCLE = [
  "session.started",
  "session.ended",
  "run.started",
  "run.ended",
  "lock.acquired",
  "lock.released",
];
const VERDICTS = ["passed", "failed", "error"];
const MAX_RUNS = 20000;
const MAX_ACTIVITY = 50;
const REPLAY_S = 10; // the feed starts this far back: covers what the warehouse had not yet
const DEMO_POLL_MS = 3000; // how often the demo stations' own state is read from /api/health

const midnight = localMidnight();
const openedNs = Date.now() * 1e6;
const state = {
  stations: new Map(), // station_id -> station summary, with `running`: Set of session ids
  running: new Map(), // session_id -> session summary (running only)
  ended: new Set(), // sessions seen ending: a late session.started is old news
  runs: new Map(), // run_id -> {station_id, outcome} for runs started today
  runsTruncated: false,
  locks: [],
  locksProblem: "",
  activity: [],
  demo: new Map(), // station_id -> the hub's demo station status (state, last_error, ...)
};

// ---- loading from the API ------------------------------------------------------------

async function loadStations() {
  for (const station of await getJson("/api/stations")) {
    state.stations.set(station.station_id, { ...station, running: new Set(station.running_session_ids) });
  }
}

async function loadRunningSessions() {
  const page = await getJson("/api/sessions", { limit: 500 });
  for (const session of page.items) {
    if (session.status === "running") state.running.set(session.session_id, session);
  }
  const missing = [...state.stations.values()]
    .flatMap((station) => [...station.running])
    .filter((id) => !state.running.has(id))
    .slice(0, 100);
  const details = await Promise.all(missing.map((id) => getJson(`/api/sessions/${id}`, { run_limit: 0 })));
  for (const session of details) {
    if (session.status === "running") state.running.set(session.session_id, session);
  }
}

async function loadRunsToday() {
  const { items, truncated } = await getAllPages("/api/runs", { since: midnight.toISOString() }, MAX_RUNS);
  for (const run of items) {
    if (!state.runs.has(run.run_id)) state.runs.set(run.run_id, { station_id: run.station_id, outcome: run.outcome });
  }
  state.runsTruncated = truncated;
}

async function loadLocks() {
  try {
    state.locks = await getJson("/api/locks");
    state.locksProblem = "";
  } catch (error) {
    state.locks = [];
    state.locksProblem = error instanceof ApiError && error.status === 503 ? error.body.detail : explain(error, "Locks");
  }
}

// The hub's demo stations report their own state (recording, backing off, stopped) in the
// health document; stations of a real fleet are judged by their sessions alone.
async function loadDemo() {
  const health = await getJson("/api/health");
  state.demo = new Map((health.demo || []).map((status) => [status.station_id, status]));
  return health.demo != null;
}

async function followDemo() {
  if (!(await loadDemo().catch(() => false))) return;
  setInterval(async () => {
    await loadDemo().catch(() => null);
    render();
  }, DEMO_POLL_MS);
}

let locksTimer = null;
function reloadLocksSoon() {
  clearTimeout(locksTimer);
  locksTimer = setTimeout(async () => {
    await loadLocks();
    render();
  }, 100);
}

// ---- live events ------------------------------------------------------------------------

function stationOf(id) {
  if (!state.stations.has(id)) {
    state.stations.set(id, {
      station_id: id,
      station_location: "",
      hostname: "",
      session_count: 0,
      last_seen_ns: null,
      running: new Set(),
    });
  }
  return state.stations.get(id);
}

function sessionFromEvent(event) {
  return {
    session_id: event.session_id,
    station_id: event.station_id,
    session_type: event.session_type,
    operator_id: event.operator?.id || "",
    operator_name: event.operator?.name || "",
    hostname: event.station?.hostname || "",
    started_at_ns: event.occurred_at,
    run_count: 0,
  };
}

function apply({ type, event }) {
  const station = stationOf(event.station_id);
  station.last_seen_ns = Math.max(station.last_seen_ns || 0, event.occurred_at);
  switch (type) {
    case "session.started":
      if (state.ended.has(event.session_id) || station.running.has(event.session_id)) break;
      station.running.add(event.session_id);
      station.last_end_reason = "";
      if (event.occurred_at >= openedNs) station.session_count += 1; // older ones were counted
      if (event.station?.location) station.station_location = event.station.location;
      if (event.station?.hostname) station.hostname = event.station.hostname;
      state.running.set(event.session_id, sessionFromEvent(event));
      break;
    case "session.ended":
      state.ended.add(event.session_id);
      station.running.delete(event.session_id);
      state.running.delete(event.session_id);
      station.last_end_reason = event.reason || "";
      break;
    case "run.started":
      if (event.occurred_at >= midnight.getTime() * 1e6 && !state.runs.has(event.run_id)) {
        state.runs.set(event.run_id, { station_id: event.station_id, outcome: null });
        const session = state.running.get(event.session_id);
        if (session) session.run_count += 1;
      }
      break;
    case "run.ended":
      if (event.occurred_at - event.duration_ns >= midnight.getTime() * 1e6) {
        state.runs.set(event.run_id, { station_id: event.station_id, outcome: event.outcome });
      }
      break;
    default: // lock.acquired, lock.released: the hub's lock table says who holds what now
      reloadLocksSoon();
  }
  state.activity.unshift({ type, event });
  state.activity.length = Math.min(state.activity.length, MAX_ACTIVITY);
}

// ---- rendering ------------------------------------------------------------------------------

function sessionLink(id) {
  return pageLink("session.html", { id }, shortId(id), id);
}

function yieldOf(counts) {
  const judged = VERDICTS.reduce((sum, verdict) => sum + counts[verdict], 0);
  return judged ? counts.passed / judged : null;
}

function countRuns() {
  const total = { station_id: "all stations", runs: 0, passed: 0, failed: 0, error: 0, aborted: 0, running: 0 };
  const byStation = new Map();
  for (const run of state.runs.values()) {
    if (!byStation.has(run.station_id)) {
      byStation.set(run.station_id, { station_id: run.station_id, runs: 0, passed: 0, failed: 0, error: 0, aborted: 0, running: 0 });
    }
    for (const counts of [total, byStation.get(run.station_id)]) {
      counts.runs += 1;
      counts[run.outcome || "running"] += 1;
    }
  }
  return { total, rows: [...byStation.values()].sort((a, b) => a.station_id.localeCompare(b.station_id)) };
}

function renderCards(total) {
  byId("station-count").textContent = state.stations.size;
  byId("running-count").textContent = state.running.size;
  byId("yield-today").textContent = formatPercent(yieldOf(total));
  const more = state.runsTruncated ? ` (first ${MAX_RUNS} runs)` : "";
  byId("yield-detail").textContent =
    `${total.passed} of ${total.passed + total.failed + total.error} judged runs passed · ${total.runs} runs today${more}`;
  byId("lock-count").textContent = state.locksProblem ? "–" : state.locks.length;
}

function stationState(s) {
  const demo = state.demo.get(s.station_id);
  if (demo) {
    const retry = demo.state === "backing off" ? ` (retry in ${demo.retry_in} s)` : "";
    return { state: demo.state + retry, error: demo.stopped_reason && demo.state === "stopped" ? demo.stopped_reason : demo.last_error };
  }
  if (s.running.size) return { state: "recording", error: "" };
  return { state: "stopped", error: s.last_end_reason || "" };
}

function renderStations() {
  const stations = [...state.stations.values()].sort((a, b) => a.station_id.localeCompare(b.station_id));
  fillTable(byId("stations"), stations, [
    { label: "Station", cell: (s) => h("strong", {}, s.station_id) },
    { label: "Location", cell: (s) => s.station_location },
    { label: "Host", cell: (s) => s.hostname },
    { label: "Running", num: true, cell: (s) => s.running.size },
    { label: "Running sessions", cell: (s) => [...s.running].flatMap((id) => [sessionLink(id), " "]) },
    { label: "Sessions", num: true, cell: (s) => s.session_count },
    { label: "Last seen", cell: (s) => formatTime(s.last_seen_ns) },
    { label: "State", cell: (s) => h("span", { class: "station-state" }, stationState(s).state) },
    { label: "Last error", cell: (s) => h("span", { class: "station-error" }, stationState(s).error) },
  ], { empty: "No station has recorded a session yet.", rowProps: (s) => ({ "data-station": s.station_id }) });
}

function renderSessions() {
  const sessions = [...state.running.values()].sort((a, b) => b.started_at_ns - a.started_at_ns);
  fillTable(byId("sessions"), sessions, [
    { label: "Session", cell: (s) => sessionLink(s.session_id) },
    { label: "Station", cell: (s) => s.station_id },
    { label: "Type", cell: (s) => s.session_type },
    { label: "Operator", cell: (s) => s.operator_name || s.operator_id },
    { label: "Host", cell: (s) => s.hostname },
    { label: "Started", cell: (s) => formatTime(s.started_at_ns) },
    { label: "Runs", num: true, cell: (s) => s.run_count },
  ], { empty: "No session is running.", rowProps: (s) => ({ "data-session": s.session_id }) });
}

function renderYield(total, rows) {
  const all = rows.length > 1 ? [...rows, total] : rows;
  fillTable(byId("yield"), all, [
    { label: "Station", cell: (r) => r.station_id },
    { label: "Runs", num: true, cell: (r) => r.runs },
    { label: "Passed", num: true, cell: (r) => r.passed },
    { label: "Failed", num: true, cell: (r) => r.failed },
    { label: "Error", num: true, cell: (r) => r.error },
    { label: "Aborted", num: true, cell: (r) => r.aborted },
    { label: "Running", num: true, cell: (r) => r.running },
    { label: "Yield", num: true, cell: (r) => formatPercent(yieldOf(r)) },
  ], { empty: "No run started today." });
}

function renderLocks() {
  setMessage(byId("locks-message"), state.locksProblem, "error");
  fillTable(byId("locks"), state.locks, [
    { label: "Resource", cell: (l) => h("span", { title: `lock key ${l.key}` }, l.resource || l.key) },
    { label: "Station", cell: (l) => l.station_id },
    { label: "Session", cell: (l) => sessionLink(l.session_id) },
    { label: "Host", cell: (l) => `${l.host} (pid ${l.pid})` },
    { label: "Since", cell: (l) => formatTime(l.since_ns) },
    { label: "Token", num: true, cell: (l) => l.fencing_token },
  ], { empty: state.locksProblem ? "–" : "No lock is held.", rowProps: (l) => ({ "data-lock": l.key }) });
}

function describeEvent({ type, event }) {
  switch (type) {
    case "run.started":
      return `DUT ${event.dut?.serial || "?"} started`;
    case "run.ended":
      return [`DUT run `, outcomeBadge(event.outcome)];
    case "lock.acquired":
    case "lock.released":
      return h("code", {}, event.key);
    default:
      return event.session_type || event.reason || "";
  }
}

function renderActivity() {
  const items = state.activity.map((item) =>
    h(
      "li",
      {},
      h("span", { class: "when" }, formatClock(item.event.occurred_at)),
      h("span", { class: "type" }, item.type),
      h("span", {}, item.event.station_id),
      h("span", {}, describeEvent(item)),
      sessionLink(item.event.session_id),
    ),
  );
  byId("activity").replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "Waiting for events…")]));
}

function render() {
  const { total, rows } = countRuns();
  renderCards(total);
  renderStations();
  renderSessions();
  renderYield(total, rows);
  renderLocks();
  renderActivity();
}

// ---- start ------------------------------------------------------------------------------

async function main() {
  // Follow from a little before now, apply after loading: what the warehouse had not yet is
  // in the feed, and applying an event it already had changes nothing (maps are keyed by id).
  let pending = [];
  let loaded = false;
  const since = new Date(Date.now() - REPLAY_S * 1000).toISOString();
  follow("/api/live", { since }, {
    types: LIFECYCLE,
    statusElement: byId("live-status"),
    onEvents(batch) {
      if (!loaded) {
        pending.push(...batch);
        return;
      }
      batch.forEach(apply);
      render();
    },
  });
  const results = await Promise.allSettled([
    loadStations().then(loadRunningSessions),
    loadRunsToday(),
    loadLocks(),
    followDemo(),
  ]);
  const problems = results.filter((r) => r.status === "rejected").map((r) => explain(r.reason, "The fleet"));
  setMessage(byId("message"), problems.join(" "), "error");
  loaded = true;
  pending.forEach(apply);
  pending = [];
  render();
  document.body.dataset.loaded = "true";
}

main();
