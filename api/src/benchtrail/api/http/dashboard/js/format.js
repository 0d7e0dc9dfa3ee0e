// Turning API values into what a person reads.

const pad = (value, width = 2) => String(value).padStart(width, "0");

/** Local time of nanoseconds since the epoch: "2024-05-01 14:16:40". */
export function formatTime(ns) {
  if (ns === null || ns === undefined) return "";
  const moment = new Date(Number(ns) / 1e6);
  return (
    `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ` +
    `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`
  );
}

/** Local clock time only: "14:16:40". */
export function formatClock(ns) {
  return formatTime(ns).slice(11);
}

/** A duration in nanoseconds: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ns) {
  if (ns === null || ns === undefined) return "";
  const seconds = Number(ns) / 1e9;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${pad(Math.floor(seconds % 60))} s`;
  return `${Math.floor(seconds / 3600)} h ${pad(Math.floor((seconds % 3600) / 60))} min`;
}

/** A number with at most `digits` significant decimals, no trailing zeros. */
export function formatNumber(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

/** A fraction (0..1) as a percentage: "66.7 %". */
export function formatPercent(fraction) {
  if (fraction === null || fraction === undefined) return "–";
  return `${(fraction * 100).toFixed(1)} %`;
}

/** The end of a long id, enough to tell ids apart (UUIDv7 starts with the time). */
export function shortId(id) {
  return id && id.length > 12 ? `…${id.slice(-8)}` : id || "";
}

/** A value with its unit: "5.01 V". */
export function withUnit(value, unit) {
  const text = formatNumber(value);
  return unit ? `${text} ${unit}` : text;
}

/** This day's local midnight. */
export function localMidnight(now = new Date()) {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}
