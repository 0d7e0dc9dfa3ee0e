// Analytics: yield trend, Pareto of failures, capability (Cpk) table and a control chart.
// Each panel asks its own endpoint and says so plainly when this server lacks it.

import { explain, getJson } from "./api.js";
import { byId, fillTable, h, setMessage } from "./dom.js";
import { formatNumber, formatPercent } from "./format.js";
import { bars, center, flagged, line, makeChart, reference } from "./charts.js";

const FILTERS = ["station_id", "part_number", "test_phase", "since", "until"];
const params = new URLSearchParams(window.location.search);

function filters() {
  const query = {};
  for (const key of FILTERS) {
    const value = params.get(key);
    if (!value) continue;
    // A date input means local midnight of that day.
    query[key] = key === "since" || key === "until" ? new Date(`${value}T00:00`).toISOString() : value;
  }
  return query;
}

function panelMessage(panelId, text, kind = "error") {
  setMessage(byId(panelId).querySelector("[data-role=message]"), text, kind);
}

async function panel(panelId, what, work) {
  try {
    await work();
  } catch (error) {
    panelMessage(panelId, explain(error, what));
  }
}

function chartIn(id, options) {
  const container = byId(id);
  container.replaceChildren();
  return makeChart(container, options);
}

async function yieldTrend() {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const rows = await getJson("/api/analytics/yield", { ...filters(), group_by: "day", tz: timeZone });
  rows.sort((a, b) => String(a.day).localeCompare(String(b.day)));
  const chart = chartIn("yield-chart", { series: [line("yield %")], yLabel: "yield %", yRange: [0, 100], pad: 3 * 86400 });
  chart.setData([rows.map((r) => new Date(`${r.day}T12:00`).getTime() / 1000), rows.map((r) => (r.yield_rate === null ? null : r.yield_rate * 100))]);
  byId("yield-chart").dataset.points = String(rows.length);
  if (!rows.length) panelMessage("yield-panel", "No run in this range.", "info");
  fillTable(byId("yield-table"), rows, [
    { label: "Day", cell: (r) => r.day },
    { label: "Runs", num: true, cell: (r) => r.runs },
    { label: "Passed", num: true, cell: (r) => r.passed },
    { label: "Failed", num: true, cell: (r) => r.failed },
    { label: "Error", num: true, cell: (r) => r.error },
    { label: "Yield", num: true, cell: (r) => formatPercent(r.yield_rate) },
  ], { empty: "No run in this range." });
}

async function pareto() {
  const rows = await getJson("/api/analytics/pareto", { ...filters(), kind: "measurements", by: "runs", limit: 10 });
  const chart = chartIn("pareto-chart", {
    series: [bars("failing runs"), { ...line("cumulative %", 3), scale: "%" }],
    time: false,
    xLabels: rows.map((r) => r.name),
    yLabel: "failing runs",
    integers: true,
    percentScale: true,
  });
  chart.setData([rows.map((_, i) => i), rows.map((r) => r.count), rows.map((r) => r.cumulative_percent)]);
  byId("pareto-chart").dataset.points = String(rows.length);
  if (!rows.length) panelMessage("pareto-panel", "No failing measurement in this range.", "info");
  fillTable(byId("pareto-table"), rows, [
    { label: "Measurement", cell: (r) => r.name },
    { label: "Failing runs", num: true, cell: (r) => r.failed_runs },
    { label: "Failed points", num: true, cell: (r) => r.failures },
    { label: "Share", num: true, cell: (r) => `${formatNumber(r.percent, 3)} %` },
    { label: "Cumulative", num: true, cell: (r) => `${formatNumber(r.cumulative_percent, 3)} %` },
  ], { empty: "No failure." });
  return rows.map((r) => r.name);
}

async function capability(names) {
  if (!names.length) {
    panelMessage("capability-panel", "Name measurements in the form to see their capability.", "info");
    return;
  }
  const tables = await Promise.all(names.map((name) => getJson("/api/analytics/capability", { ...filters(), name, group_by: "station" })));
  const rows = tables.flat();
  const index = (value) => h("span", { class: value !== null && value < 1.33 ? "outcome outcome-failed" : "" }, formatNumber(value, 3));
  fillTable(byId("capability-table"), rows, [
    { label: "Measurement", cell: (r) => r.name },
    { label: "Station", cell: (r) => r.station_id ?? "all" },
    { label: "Limits", cell: (r) => `${formatNumber(r.low) || "–"} … ${formatNumber(r.high) || "–"} ${r.unit}` },
    { label: "n", num: true, cell: (r) => r.n },
    { label: "Mean", num: true, cell: (r) => formatNumber(r.mean) },
    { label: "σ within", num: true, cell: (r) => formatNumber(r.sigma_within) },
    { label: "Cp", num: true, cell: (r) => index(r.cp) },
    { label: "Cpk", num: true, cell: (r) => index(r.cpk) },
    { label: "Pp", num: true, cell: (r) => index(r.pp) },
    { label: "Ppk", num: true, cell: (r) => index(r.ppk) },
    { label: "Out of limits", num: true, cell: (r) => r.below_low + r.above_high },
  ], { empty: "No numeric point of these measurements." });
}

async function controlChart(name) {
  if (!name) {
    panelMessage("control-panel", "Name a measurement in the form to see its control chart.", "info");
    return;
  }
  const kind = params.get("chart") || "imr";
  const result = await getJson("/api/analytics/control-chart", { ...filters(), name, chart: kind, limit: 100 });
  byId("control-title").textContent = `${result.name} (${result.chart})`;
  const points = result.points;
  const constant = (value) => points.map(() => value);
  const chart = chartIn("control-chart", {
    series: [line(result.chart === "imr" ? "value" : "subgroup mean"), center("center"), reference("UCL"), reference("LCL"), flagged("rule broken")],
    yLabel: result.unit,
    time: false,
  });
  chart.setData([
    points.map((p) => p.index),
    points.map((p) => p.value),
    constant(result.center),
    constant(result.ucl),
    constant(result.lcl),
    points.map((p) => (p.rules.length ? p.value : null)),
  ]);
  byId("control-chart").dataset.points = String(points.length);
  const broken = Object.entries(result.violations).filter(([, count]) => count > 0);
  byId("control-caption").textContent =
    `${points.length} points · center ${formatNumber(result.center)} · UCL ${formatNumber(result.ucl)} · LCL ${formatNumber(result.lcl)} ${result.unit} · ` +
    (broken.length ? `rules broken: ${broken.map(([rule, count]) => `rule ${rule} × ${count}`).join(", ")}` : "no rule broken");
}

async function main() {
  const form = byId("filters");
  for (const [key, value] of params) if (form.elements[key]) form.elements[key].value = value;
  const chosen = (params.get("name") || "").split(",").map((n) => n.trim()).filter(Boolean);
  let failing = [];
  await Promise.all([
    panel("yield-panel", "The yield trend", yieldTrend),
    panel("pareto-panel", "The Pareto of failures", async () => {
      failing = await pareto();
    }),
  ]);
  const names = chosen.length ? chosen : failing.slice(0, 5);
  await Promise.all([
    panel("capability-panel", "Process capability", () => capability(names)),
    panel("control-panel", "The control chart", () => controlChart(names[0])),
  ]);
  document.body.dataset.loaded = "true";
}

main();
