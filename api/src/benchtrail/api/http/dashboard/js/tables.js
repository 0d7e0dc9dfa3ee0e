// Dimensioned measurements of the selected run (run.measure_table, OpenHTF dimensions):
// a chooser and a chart. x is the first axis; every other axis is a line labelled "name [unit]".

import { getJson } from "./api.js";
import { line, makeChart } from "./charts.js";
import { byId, h } from "./dom.js";
import { formatNumber } from "./format.js";

const MAX_LINES = 6;

const state = { runId: null, tables: [], chosen: null, loading: 0 };
let chart = null;
let chartAxes = "";

function label(axis) {
  return axis.unit ? `${axis.name} [${axis.unit}]` : axis.name;
}

/** The run's dimensioned measurements: hides the panel when there are none. */
export async function showRunTables(runId, { reload = false } = {}) {
  if (!runId || (runId === state.runId && !reload)) return;
  state.runId = runId;
  const ticket = ++state.loading;
  const listing = await getJson(`/api/runs/${encodeURIComponent(runId)}/tables`);
  if (ticket !== state.loading) return; // another run was chosen meanwhile
  state.tables = listing.items;
  const panel = byId("tables-panel");
  panel.hidden = state.tables.length === 0;
  const select = byId("table-select");
  select.replaceChildren(
    ...state.tables.map((t, i) => h("option", { value: String(i) }, `${t.name} · ${t.point_count} points`)),
  );
  if (state.tables.length) await drawTable(state.tables[state.tables.length - 1]);
}

/**
 * A live `measurement.table` event: once the last part of a table of the shown run has
 * arrived, read the list again (retrying while the warehouse has not written every part).
 */
export function tableEventArrived(event, selectedRunId) {
  const points = event.axes.length ? event.axes[0].values.length : 0;
  if (event.run_id !== selectedRunId || event.first_point + points < event.point_count) return;
  const runId = event.run_id;
  const attempt = async (left) => {
    if (left < 20 && runId !== state.runId) return; // another run was chosen meanwhile
    await showRunTables(runId, { reload: true });
    const found = state.tables.find((t) => t.table_id === event.table_id);
    if ((!found || found.points_received < found.point_count) && left > 0) {
      setTimeout(() => attempt(left - 1), 500);
    }
  };
  setTimeout(() => attempt(20), 200);
}

async function drawTable(summary) {
  state.chosen = summary;
  byId("table-select").value = String(state.tables.indexOf(summary));
  const path = `/api/runs/${encodeURIComponent(summary.run_id)}/tables/${encodeURIComponent(summary.name)}`;
  const table = await getJson(path, { table_id: summary.table_id });
  if (state.chosen !== summary) return;
  const [x, ...ys] = table.columns;
  const shown = ys.slice(0, MAX_LINES);
  const container = byId("table-chart");
  const axes = [x, ...shown].map(label).join("|");
  if (!chart || axes !== chartAxes) {
    container.replaceChildren();
    chart = makeChart(container, { series: shown.map((y, i) => line(label(y), i)), time: false, yLabel: "" });
    chartAxes = axes;
  }
  chart.setData([x.values, ...shown.map((y) => y.values)]);
  container.dataset.points = String(x.values.length);
  container.dataset.columns = [x, ...ys].map(label).join(" | ");
  container.dataset.name = summary.name;
  const first = x.values[0];
  const last = x.values[x.values.length - 1];
  byId("table-caption").textContent =
    `${summary.name}: ${x.values.length} points, x = ${label(x)} from ${formatNumber(first)} to ${formatNumber(last)}` +
    (ys.length > MAX_LINES ? ` · first ${MAX_LINES} of ${ys.length} columns drawn` : "") +
    (summary.points_received < summary.point_count ? ` · ${summary.points_received} of ${summary.point_count} points arrived` : "");
}

/** Wire the chooser (once, at page start). */
export function initTables() {
  byId("table-select").addEventListener("change", (e) => {
    const summary = state.tables[Number(e.target.value)];
    if (summary) drawTable(summary);
  });
}
