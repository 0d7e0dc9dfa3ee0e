// Measurement points of runs, gathered from the API and from the live feed without duplicates.

/** Points of one measurement name in one run, kept in time order on demand. */
class Series {
  constructor(unit) {
    this.unit = unit;
    this.points = [];
    this.keys = new Set();
    this.sorted = true;
  }

  add(point) {
    const key = String(point.ts_ns);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    const last = this.points[this.points.length - 1];
    if (last && point.ts_ns < last.ts_ns) this.sorted = false;
    this.points.push(point);
    if (point.unit) this.unit = point.unit;
    return true;
  }

  inOrder() {
    if (!this.sorted) {
      this.points.sort((a, b) => a.ts_ns - b.ts_ns);
      this.sorted = true;
    }
    return this.points;
  }
}

/** Every run's points by measurement name: run_id -> name -> Series. */
export class RunPoints {
  constructor() {
    this.runs = new Map();
  }

  /** Add a point {name, ts_ns, value, unit, low, high, outcome}; false if it was known. */
  add(runId, point) {
    if (typeof point.value !== "number" || !Number.isFinite(point.value)) return false;
    if (!this.runs.has(runId)) this.runs.set(runId, new Map());
    const names = this.runs.get(runId);
    if (!names.has(point.name)) names.set(point.name, new Series(point.unit));
    return names.get(point.name).add(point);
  }

  /** Points of a `measurement` or `measurement.batch` event; returns how many were new. */
  addEvent(type, event) {
    if (type === "measurement") {
      const value = typeof event.value === "boolean" ? Number(event.value) : event.value;
      return Number(this.add(event.run_id, { ...event, value, ts_ns: event.occurred_at }));
    }
    let added = 0;
    event.timestamps_ns.forEach((ts, index) => {
      const name = event.names.length ? event.names[index] : event.name;
      const point = { name, ts_ns: ts, value: event.values[index], unit: event.unit, low: event.low, high: event.high };
      added += Number(this.add(event.run_id, point));
    });
    return added;
  }

  names(runId) {
    return [...(this.runs.get(runId)?.keys() || [])];
  }

  series(runId, name) {
    return this.runs.get(runId)?.get(name) || null;
  }
}
