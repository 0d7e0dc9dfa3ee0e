// Charts on the vendored uPlot (window.uPlot, loaded by the page from /dashboard/vendor/uplot).

const COLORS = ["#2563eb", "#15803d", "#9333ea", "#ea580c", "#0891b2", "#be185d"];
const LIMIT = "#b91c1c";
const CENTER = "#15803d";

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
  const axes = [
    xLabels ? { values: (_, ticks) => ticks.map((t) => xLabels[t] ?? "") } : time ? {} : { incrs: whole },
    integers ? { label: yLabel, incrs: whole } : { label: yLabel },
  ];
  // uPlot spans a lone point over ~1000 days: show `pad` seconds either side of it instead.
  const range = (u, min, max) => {
    const xs = u.data[0];
    return xs.length === 1 || min === max ? [xs[0] - pad, xs[0] + pad] : [min, max];
  };
  const scales = { x: time ? { time: true, range } : { time: false } };
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
      chart.setData(data);
    },
  };
}
