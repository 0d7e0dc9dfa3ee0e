// Session view: metadata, runs and a measurement chart that grows as the station records.

import { explain, getJson } from "./api.js";
import { showAttachments } from "./attachments.js";
import { byId, fillTable, h, outcomeBadge, pageLink, pageParam, setMessage } from "./dom.js";
import { formatClock, formatDuration, formatNumber, formatTime, shortId, withUnit } from "./format.js";
import { follow } from "./live.js";
import { line, makeChart, reference } from "./charts.js";
import { RunPoints } from "./points.js";
import { initTables, showRunTables, tableEventArrived } from "./tables.js";

const REPLAY_S = 10; // the feed starts this far back: covers what the warehouse had not yet
const MAX_EVENTS = 40;

const sessionId = pageParam("id");
const state = {
  session: null,
  runs: new Map(), // run_id -> run summary
  points: new RunPoints(),
  loadedRuns: new Set(), // runs whose points were read from the API
  selectedRun: pageParam("run") || null,
  selectedName: null,
  chosenName: pageParam("name") || null,
  follow: !pageParam("run"),
  events: [],
  liveCount: 0,
  lastSeq: 0,
};
let chart = null;

// ---- loading ------------------------------------------------------------------------------

async function loadSession() {
  const session = await getJson(`/api/sessions/${encodeURIComponent(sessionId)}`);
  state.session = session;
  for (const run of session.runs) state.runs.set(run.run_id, run);
  if (!state.selectedRun && session.runs.length) state.selectedRun = session.runs[0].run_id;
}

async function loadRunPoints(runId) {
  if (!runId || state.loadedRuns.has(runId)) return;
  state.loadedRuns.add(runId);
  const run = await getJson(`/api/runs/${encodeURIComponent(runId)}`, { measurement_limit: 10000 });
  state.runs.set(runId, { ...state.runs.get(runId), ...run });
  for (const point of run.measurements) state.points.add(runId, point);
}

// ---- live events ----------------------------------------------------------------------------

function runFromEvent(event) {
  return {
    run_id: event.run_id,
    dut_serial: event.dut?.serial || "",
    dut_part_number: event.dut?.part_number || "",
    test_phase: event.test_phase,
    started_at_ns: event.occurred_at,
    status: "running",
    outcome: null,
    duration_ns: null,
    measurement_count: 0,
    failed_measurement_count: 0,
  };
}

function apply({ type, event }) {
  state.liveCount += 1;
  state.lastSeq = Math.max(state.lastSeq, event.seq);
  switch (type) {
    case "session.started":
      break;
    case "session.ended":
      if (state.session) state.session = { ...state.session, status: "ended", ended_at_ns: event.occurred_at, end_reason: event.reason };
      break;
    case "run.started":
      if (!state.runs.has(event.run_id)) {
        state.runs.set(event.run_id, runFromEvent(event));
        state.loadedRuns.add(event.run_id); // started after the page: every point comes live
        if (state.follow || !state.selectedRun) state.selectedRun = event.run_id;
      }
      break;
    case "run.ended": {
      const run = state.runs.get(event.run_id) || runFromEvent(event);
      state.runs.set(event.run_id, {
        ...run,
        status: "ended",
        outcome: event.outcome,
        duration_ns: event.duration_ns,
        measurement_count: event.measurement_count,
        failed_measurement_count: event.failed_measurement_count,
      });
      break;
    }
    case "measurement":
    case "measurement.batch": {
      const added = state.points.addEvent(type, event);
      const run = state.runs.get(event.run_id);
      if (run && run.status === "running" && state.loadedRuns.has(event.run_id)) {
        run.measurement_count += added;
        if (event.outcome === "failed") run.failed_measurement_count += added;
      }
      break;
    }
    case "measurement.table":
      tableEventArrived(event, state.selectedRun);
      break;
    default:
      break;
  }
  state.events.unshift({ type, event });
  state.events.length = Math.min(state.events.length, MAX_EVENTS);
}

// ---- rendering ------------------------------------------------------------------------------

function sortedRuns() {
  return [...state.runs.values()].sort((a, b) => b.started_at_ns - a.started_at_ns);
}

function renderHeader() {
  byId("session-title").textContent = shortId(sessionId);
  byId("session-title").title = sessionId;
  const status = state.session?.status || "";
  byId("session-status").replaceChildren(status ? h("span", { class: `pill`, "data-state": status === "running" ? "live" : "" }, status) : "");
  const runs = sortedRuns();
  byId("run-count").textContent = runs.length;
  const outcomes = {};
  for (const run of runs) outcomes[run.outcome || "running"] = (outcomes[run.outcome || "running"] || 0) + 1;
  byId("run-outcomes").textContent = Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(" · ");
  const measured = runs.reduce((sum, run) => sum + (run.measurement_count || 0), 0);
  const failed = runs.reduce((sum, run) => sum + (run.failed_measurement_count || 0), 0);
  byId("measurement-count").textContent = measured;
  byId("failed-count").textContent = `${failed} failed`;
  byId("event-count").textContent = Math.max(state.session?.event_count || 0, state.lastSeq);
  byId("live-count").textContent = state.liveCount;
}

function renderMetadata() {
  const s = state.session;
  if (!s) return;
  const rows = [
    ["Session", h("code", {}, s.session_id)],
    ["Station", s.station_id],
    ["Type", s.session_type],
    ["Operator", s.operator_name || s.operator_id],
    ["Host", `${s.hostname} (pid ${s.pid})`],
    ["Client", `${s.client_name} ${s.client_version}`.trim()],
    ["Fixture", s.fixture_id],
    ["Devices", (s.device_ids || []).join(", ")],
    ["Git", s.git_commit ? `${s.git_branch} @ ${s.git_commit.slice(0, 10)}${s.git_dirty ? " (dirty)" : ""}` : ""],
    ["Python", s.python_version],
    ["Started", formatTime(s.started_at_ns)],
    ["Ended", s.ended_at_ns ? `${formatTime(s.ended_at_ns)} ${s.end_reason || ""}` : "running"],
  ];
  byId("metadata").replaceChildren(...rows.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function renderRuns() {
  fillTable(byId("runs"), sortedRuns(), [
    { label: "DUT", cell: (r) => (r.dut_serial ? pageLink("dut.html", { serial: r.dut_serial }, r.dut_serial) : "") },
    { label: "Part", cell: (r) => r.dut_part_number },
    { label: "Phase", cell: (r) => r.test_phase },
    { label: "Started", cell: (r) => formatTime(r.started_at_ns) },
    { label: "Outcome", cell: (r) => outcomeBadge(r.outcome) },
    { label: "Duration", num: true, cell: (r) => formatDuration(r.duration_ns) },
    { label: "Measurements", num: true, cell: (r) => r.measurement_count },
    { label: "Failed", num: true, cell: (r) => r.failed_measurement_count },
  ], {
    empty: "No run yet.",
    rowProps: (r) => ({
      class: `clickable ${r.run_id === state.selectedRun ? "selected" : ""}`,
      "data-run": r.run_id,
      onclick: () => selectRun(r.run_id, false),
    }),
  });
}

function renderSelectors() {
  const runSelect = byId("run-select");
  runSelect.replaceChildren(
    ...sortedRuns().map((r) =>
      h("option", { value: r.run_id, selected: r.run_id === state.selectedRun }, `${r.dut_serial || shortId(r.run_id)} · ${formatClock(r.started_at_ns)}`),
    ),
  );
  const names = state.points.names(state.selectedRun);
  if (names.includes(state.chosenName)) {
    state.selectedName = state.chosenName;
  } else {
    // Until the user picks one, the measurement with the most points makes the chart.
    const count = (name) => state.points.series(state.selectedRun, name).points.length;
    state.selectedName = names.reduce((best, name) => (best === null || count(name) > count(best) ? name : best), null);
  }
  byId("name-select").replaceChildren(...names.map((n) => h("option", { value: n, selected: n === state.selectedName }, n)));
}

function renderChart() {
  const container = byId("chart");
  const series = state.points.series(state.selectedRun, state.selectedName);
  const points = series ? series.inOrder() : [];
  if (!chart) {
    chart = makeChart(container, { series: [line("value"), reference("low"), reference("high")], yLabel: "" });
  }
  chart.setData([
    points.map((p) => p.ts_ns / 1e9),
    points.map((p) => p.value),
    points.map((p) => p.low ?? null),
    points.map((p) => p.high ?? null),
  ]);
  container.dataset.points = String(points.length);
  container.dataset.run = state.selectedRun || "";
  container.dataset.name = state.selectedName || "";
  const last = points[points.length - 1];
  const run = state.runs.get(state.selectedRun);
  byId("chart-caption").textContent = last
    ? `${points.length} ${points.length === 1 ? "point" : "points"} of ${state.selectedName} in run ${run?.dut_serial || shortId(state.selectedRun)} · last ${withUnit(last.value, series.unit)}` +
      (last.low !== null && last.low !== undefined ? ` · low ${formatNumber(last.low)}` : "") +
      (last.high !== null && last.high !== undefined ? ` · high ${formatNumber(last.high)}` : "")
    : state.selectedRun
      ? "No numeric measurement in this run yet."
      : "No run yet.";
}

function describe({ type, event }) {
  switch (type) {
    case "measurement":
      return `${event.name} = ${withUnit(event.value, event.unit)} ${event.outcome !== "unset" ? event.outcome : ""}`;
    case "measurement.batch":
      return `${event.name || event.names[0]}: ${event.timestamps_ns.length} points`;
    case "measurement.table":
      return `${event.name}: ${event.axes.map((a) => a.name).join(", ")}`;
    case "run.started":
      return `DUT ${event.dut?.serial || "?"}`;
    case "run.ended":
      return event.outcome;
    case "log":
      return event.message;
    case "step.started":
    case "step.ended":
      return `${event.name} ${event.outcome || ""}`;
    default:
      return "";
  }
}

function renderEvents() {
  const items = state.events.map((item) =>
    h("li", {}, h("span", { class: "when" }, formatClock(item.event.occurred_at)), h("span", { class: "type" }, item.type), h("span", {}, `#${item.event.seq} ${describe(item)}`)),
  );
  byId("events").replaceChildren(...(items.length ? items : [h("li", { class: "empty" }, "Waiting for events…")]));
}

function render() {
  showRunTables(state.selectedRun).catch((error) => setMessage(byId("message"), explain(error, "The run's tables"), "error"));
  renderHeader();
  renderMetadata();
  renderRuns();
  renderSelectors();
  renderChart();
  renderEvents();
}

async function selectRun(runId, following) {
  state.selectedRun = runId;
  state.follow = following && state.follow;
  byId("follow").checked = state.follow;
  const url = new URL(window.location.href);
  url.searchParams.set("run", runId);
  history.replaceState(null, "", url);
  render();
  try {
    await loadRunPoints(runId);
    await showRunTables(runId);
  } catch (error) {
    setMessage(byId("message"), explain(error, "The run's measurements"), "error");
  }
  render();
  await refreshAttachments(runId, false);
}

async function refreshAttachments(runId, refresh) {
  try {
    await showAttachments(runId, refresh);
  } catch (error) {
    if (error.notFound) return; // the run is not in the warehouse yet
    setMessage(byId("message"), explain(error, "The run's attachments"), "error");
  }
}

// ---- start --------------------------------------------------------------------------------

async function main() {
  if (!sessionId) {
    setMessage(byId("message"), "No session given: open a session from the fleet overview.", "error");
    return;
  }
  let pending = [];
  let loaded = false;
  const since = new Date(Date.now() - REPLAY_S * 1000).toISOString();
  follow(`/api/sessions/${encodeURIComponent(sessionId)}/live`, { since }, {
    statusElement: byId("live-status"),
    onEvents(batch) {
      if (!loaded) {
        pending.push(...batch);
        return;
      }
      batch.forEach(apply);
      render();
      const attached = batch.some((e) => e.type === "attachment.added" && e.run_id === state.selectedRun);
      if (attached) refreshAttachments(state.selectedRun, true);
    },
  });
  byId("run-select").addEventListener("change", (e) => selectRun(e.target.value, false));
  byId("name-select").addEventListener("change", (e) => {
    state.chosenName = e.target.value;
    render();
  });
  byId("follow").addEventListener("change", (e) => {
    state.follow = e.target.checked;
    const newest = sortedRuns()[0];
    if (state.follow && newest) selectRun(newest.run_id, true);
  });
  initTables();
  try {
    await loadSession();
    await loadRunPoints(state.selectedRun);
    await showRunTables(state.selectedRun);
  } catch (error) {
    setMessage(byId("message"), explain(error, `Session ${sessionId}`), "error");
  }
  loaded = true;
  pending.forEach(apply);
  pending = [];
  render();
  await refreshAttachments(state.selectedRun, false);
  document.body.dataset.loaded = "true";
}

main();
