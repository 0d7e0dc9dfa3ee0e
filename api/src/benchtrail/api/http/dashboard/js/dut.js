// DUT history: every run of one serial across stations, with failures and a measurement trend.

import { ApiError, explain, getAllPages, getJson } from "./api.js";
import { byId, fillTable, h, outcomeBadge, pageLink, pageParam, setMessage } from "./dom.js";
import { formatDuration, formatNumber, formatTime, withUnit } from "./format.js";
import { line, makeChart } from "./charts.js";

const serial = pageParam("serial");
let seriesChart = null;

/** The history from /api/duts/{serial}, or from /api/runs on a server without it. */
async function loadHistory() {
  try {
    return await getJson(`/api/duts/${encodeURIComponent(serial)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.endpointMissing)) throw error;
  }
  const { items, truncated } = await getAllPages("/api/runs", { dut_serial: serial }, 10000);
  if (!items.length) throw new ApiError(404, { error: "not_found", detail: `DUT ${JSON.stringify(serial)} not found` }, "/api/runs");
  const runs = items.reverse().map((run) => ({ ...run, attempt: null, failed_measurements: null }));
  return { dut_serial: serial, run_count: runs.length, truncated, runs };
}

function failures(run) {
  if (run.failed_measurements === null) return run.failed_measurement_count ? `${run.failed_measurement_count} failed` : "";
  return run.failed_measurements.map((m) => {
    const limits = [m.low, m.high].some((v) => v !== null) ? ` [${formatNumber(m.low) || "–"}, ${formatNumber(m.high) || "–"}]` : "";
    return `${m.name} ${m.value === null ? m.value_str : withUnit(m.value, m.unit)}${limits}`;
  }).join("; ");
}

function renderHistory(history) {
  const runs = history.runs;
  const latest = runs[runs.length - 1];
  byId("dut-title").textContent = history.dut_serial;
  byId("dut-runs").textContent = history.run_count;
  byId("dut-span").textContent = runs.length ? `${formatTime(runs[0].started_at_ns)} → ${formatTime(latest.started_at_ns)}` : "";
  byId("dut-latest").replaceChildren(latest ? outcomeBadge(latest.outcome) : "–");
  byId("dut-latest-detail").textContent = latest ? `${latest.station_id} · ${latest.test_phase}` : "";
  const stations = [...new Set(runs.map((r) => r.station_id))];
  byId("dut-stations").textContent = stations.length;
  byId("dut-station-names").textContent = stations.join(", ");
  fillTable(byId("dut-history"), runs, [
    { label: "Started", cell: (r) => formatTime(r.started_at_ns) },
    { label: "Station", cell: (r) => r.station_id },
    { label: "Phase", cell: (r) => r.test_phase },
    { label: "Attempt", num: true, cell: (r) => r.attempt ?? "" },
    { label: "Outcome", cell: (r) => outcomeBadge(r.outcome) },
    { label: "Duration", num: true, cell: (r) => formatDuration(r.duration_ns) },
    { label: "Measurements", num: true, cell: (r) => r.measurement_count },
    { label: "Failures", cell: (r) => failures(r) },
    { label: "Session", cell: (r) => pageLink("session.html", { id: r.session_id, run: r.run_id }, "open") },
  ], { empty: "No run of this DUT.", rowProps: (r) => ({ "data-run": r.run_id }) });
  if (history.truncated) setMessage(byId("message"), `Showing the newest ${runs.length} of ${history.run_count} runs.`);
  const names = new Set(runs.flatMap((r) => (r.failed_measurements || []).map((m) => m.name)));
  byId("series-names").replaceChildren(...[...names].map((n) => h("option", { value: n })));
  if (names.size && !byId("series-name").value) byId("series-name").value = [...names][0];
}

async function showSeries() {
  const name = byId("series-name").value.trim();
  if (!name) return;
  const message = byId("series-message");
  try {
    const series = await getJson("/api/measurements/series", { name, dut_serial: serial, buckets: 500 });
    setMessage(message, series.items.length ? "" : `No numeric point of ${name} for this DUT.`);
    if (!seriesChart) {
      seriesChart = makeChart(byId("series-chart"), { series: [line("average"), line("min", 3, { width: 1 }), line("max", 3, { width: 1 })] });
    }
    const items = series.items;
    seriesChart.setData([items.map((b) => b.start_ns / 1e9), items.map((b) => b.avg), items.map((b) => b.min), items.map((b) => b.max)]);
    byId("series-chart").dataset.points = String(items.length);
  } catch (error) {
    setMessage(message, explain(error, "The measurement trend"), "error");
  }
}

async function main() {
  byId("serial").value = serial;
  byId("series-show").addEventListener("click", showSeries);
  if (!serial) {
    setMessage(byId("message"), "Enter a DUT serial number.");
    return;
  }
  try {
    renderHistory(await loadHistory());
    if (byId("series-name").value) await showSeries();
  } catch (error) {
    const text = error instanceof ApiError && error.notFound ? `No run of DUT ${serial} is recorded.` : explain(error, "The DUT's history");
    setMessage(byId("message"), text, "error");
  }
  document.body.dataset.loaded = "true";
}

main();
