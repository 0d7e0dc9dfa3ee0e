// Attachments of the selected run: a link to each one's bytes, images previewed inline.

import { getJson } from "./api.js";
import { byId, h } from "./dom.js";

const PREVIEWED = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"]);
const loaded = new Map(); // run_id -> its attachments, as the API listed them

/** The URL of an attachment's bytes. */
export function attachmentUrl(runId, name) {
  return `/api/runs/${encodeURIComponent(runId)}/attachments/${encodeURIComponent(name)}`;
}

function formatBytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

function item(runId, attachment) {
  const url = attachmentUrl(runId, attachment.name);
  const image = PREVIEWED.has(attachment.mimetype);
  return h(
    "li",
    { class: "attachment", "data-name": attachment.name },
    h("a", { href: url, download: image ? undefined : attachment.name }, attachment.name),
    " ",
    h("span", { class: "detail" }, `${formatBytes(attachment.size)} · ${attachment.mimetype}`),
    image ? h("img", { src: url, alt: attachment.name, loading: "lazy", class: "preview" }) : null,
  );
}

/** Show the attachments of `runId` (read again from the API when `refresh`). */
export async function showAttachments(runId, refresh = false) {
  const list = byId("attachments");
  if (!runId) {
    list.replaceChildren(h("li", { class: "empty" }, "No run selected."));
    return;
  }
  let attachments = loaded.get(runId);
  if (!attachments || refresh) {
    attachments = await getJson(`/api/runs/${encodeURIComponent(runId)}/attachments`);
    loaded.set(runId, attachments);
  }
  list.dataset.run = runId;
  list.replaceChildren(
    ...(attachments.length
      ? attachments.map((a) => item(runId, a))
      : [h("li", { class: "empty" }, "No attachment in this run.")]),
  );
}
