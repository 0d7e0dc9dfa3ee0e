// The live feed in a page: an EventSource on /api/.../live, events handed over in batches.

import { apiUrl } from "./api.js";

/** Every event type the hub records (an SSE event is named by its type). */
export const EVENT_TYPES = [
  "session.started",
  "session.ended",
  "run.started",
  "run.ended",
  "step.started",
  "step.ended",
  "measurement",
  "measurement.batch",
  "instrument.call",
  "lock.acquired",
  "lock.released",
  "file.attached",
  "device.attached",
  "device.detached",
  "log",
  "measurement.table",
];

const STATUS_TEXT = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unavailable: "live feed unavailable",
};

/**
 * Follow a live feed. `onEvents` gets arrays of {type, id, event} in arrival order (batched
 * every 50 ms, so a burst redraws once); `statusElement` shows the connection state.
 * The browser reconnects by itself and resumes with Last-Event-ID: nothing is lost.
 */
export function follow(path, params, { types = EVENT_TYPES, onEvents, statusElement }) {
  const source = new EventSource(apiUrl(path, { ...params, event_type: types }));
  let queue = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length) onEvents(batch);
  };
  const receive = (message) => {
    queue.push({ type: message.type, id: message.lastEventId, event: JSON.parse(message.data) });
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 50);
    }
  };
  for (const type of types) source.addEventListener(type, receive);
  const show = (state) => {
    if (!statusElement) return;
    statusElement.dataset.state = state;
    statusElement.textContent = STATUS_TEXT[state];
  };
  show("connecting");
  source.addEventListener("open", () => show("live"));
  source.addEventListener("error", () =>
    show(source.readyState === EventSource.CLOSED ? "unavailable" : "reconnecting"),
  );
  return source;
}

/** A promise resolved when `source` is open (the feed's consumer exists on the hub). */
export function opened(source) {
  if (source.readyState === EventSource.OPEN) return Promise.resolve();
  return new Promise((resolve) => source.addEventListener("open", () => resolve(), { once: true }));
}
