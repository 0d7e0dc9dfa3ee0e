// Charts on the vendored uPlot (window.uPlot, loaded by the page from /dashboard/vendor/uplot).

import { formatClock, formatTime } from "./format.js";

const COLORS = ["#2563eb", "#15803d", "#9333ea", "#ea580c", "#0891b2", "#be185d"];
const LIMIT = "#b91c1c";
const CENTER = "#15803d";

// Steps of a time axis in seconds, down to microseconds: a scope capture spans a few µs,
// below uPlot's smallest time step (1 ms), which left the axis without a label.
const TIME_STEPS = [
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
  604800, 2592000, 7776000, 31536000,
];

/**
 * Labels of time ticks (seconds after `origin`, itself in seconds since the epoch) `step`
 * seconds apart, in local time:
 * "05-01" (days), "14:16" (minutes), "14:16:40", "14:16:40.250"; below a millisecond the
 * first tick's time, then "+5 µs" from it.
 */
export function timeTickLabels(ticks, step, origin = 0) {
  return ticks.map((tick, i) => {
    const t = origin + tick;
    const ns = t * 1e9;
    if (step < 1e-3 && i > 0) return `+${Math.round((tick - ticks[0]) * 1e6)} µs`;
    if (step >= 86400) return formatTime(ns).slice(5, 10);
    if (step >= 60) return formatClock(ns).slice(0, 5);
    if (step >= 1) return formatClock(ns);
    const ms = String(Math.floor(Math.round(t * 1e6) / 1000) % 1000).padStart(3, "0");
    return `${formatClock(ns)}.${ms}`;
  });
}

/** A series drawn as points joined by a line. */
export function line(label, index = 0, extra = {}) {
  const stroke = COLORS[index % COLORS.length];
  return { label, stroke, width: 1.5, points: { show: true, size: 5, fill: stroke }, ...extra };
}

/** A dashed horizontal reference (a limit or a control line). */
export function reference(label, stroke = LIMIT) {
  return { label, stroke, width: 1, dash: [6, 4], points: { show: false } };
}

/** The center line of a control chart. */
export function center(label) {
  return reference(label, CENTER);
}

/** Points only, in red (e.g. control chart points that break a rule). */
export function flagged(label) {
  return { label, stroke: LIMIT, width: 0, points: { show: true, size: 9, fill: LIMIT } };
}

/** Bars (e.g. a Pareto's counts). */
export function bars(label, index = 0) {
  const fill = COLORS[index % COLORS.length];
  return { label, stroke: fill, fill: `${fill}99`, paths: window.uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } };
}

/**
 * A chart in `container`: x in seconds since the epoch when `time`, else an index whose
 * ticks read `xLabels[i]`. `scales` may add a right-hand scale (series with `scale: "%"`).
 * `yRange` fixes the y scale ([min, max]); `integers` puts y ticks on whole numbers; `pad` is
 * the time shown around a lone point. An index x axis (not time) ticks on whole numbers.
 * Time ticks are labelled in local time, down to µs (see timeTickLabels); the labels drawn
 * are also in the container's data-x-ticks, "|"-separated.
 * Returns {setData(data), chart}; `data` is [xs, ...ys] as uPlot wants it.
 */
export function makeChart(
  container,
  {
    series,
    time = true,
    xLabels = null,
    yLabel = "",
    yRange = null,
    integers = false,
    percentScale = false,
    pad = 60,
    height = 300,
  },
) {
  const whole = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
  // The x tick labels drawn last, also kept in data-x-ticks (what the axis reads, for tests).
  const shown = (labels) => {
    container.dataset.xTicks = labels.join(" | ");
    return labels;
  };
  // A time x is drawn as seconds after `origin` (a UTC midnight): small numbers keep µs steps
  // exact, where seconds since the epoch (~1.8e9) have a resolution of only ~0.2 µs.
  let origin = 0;
  const timeAxis = { space: 90, incrs: TIME_STEPS, values: (_, ticks, _axis, _space, step) => shown(timeTickLabels(ticks, step, origin)) };
  const axes = [
    xLabels ? { values: (_, ticks) => shown(ticks.map((t) => xLabels[t] ?? "")) } : time ? timeAxis : { incrs: whole },
    integers ? { label: yLabel, incrs: whole } : { label: yLabel },
  ];
  // uPlot spans a lone point over ~1000 days: show `pad` seconds either side of it instead.
  const range = (u, min, max) => {
    const xs = u.data[0];
    return xs.length === 1 || min === max ? [xs[0] - pad, xs[0] + pad] : [min, max];
  };
  // Time is a plain number scale (seconds after `origin`) with the steps and labels above:
  // uPlot's own time scale stops at milliseconds and never ends its tick loop below that.
  const scales = { x: time ? { time: false, range } : { time: false } };
  if (yRange) scales.y = { auto: false, range: yRange };
  if (xLabels) scales.x.distr = 2;
  if (percentScale) {
    scales["%"] = { auto: false, range: [0, 100] };
    axes.push({ side: 1, scale: "%", label: "%", grid: { show: false } });
  }
  const width = () => Math.max(320, container.clientWidth || 600);
  const options = { width: width(), height, scales, axes, series: [{}, ...series], legend: { live: false } };
  const empty = [[], ...series.map(() => [])];
  const chart = new window.uPlot(options, empty, container);
  new ResizeObserver(() => chart.setSize({ width: width(), height })).observe(container);
  return {
    chart,
    setData(data) {
      if (time && !xLabels && data[0].length) {
        origin = Math.floor(data[0].reduce((a, b) => Math.min(a, b)) / 86400) * 86400;
        chart.setData([data[0].map((x) => x - origin), ...data.slice(1)]);
      } else {
        chart.setData(data);
      }
    },
  };
}
