// The benchmark baseline (see vanilla.html): fetch a page of jobs, parse
// it with JSON.parse and build the same table the console's Jobs list
// shows (same elements, roles, columns, cells, classes, texts and titles:
// an ARIA table of divs, see app/src/logic/rows.rs) with DOM calls.
// It marks the moments the console marks: scale:request, scale:response
// (body received), scale:decoded (parsed), scale:dom (rows in the DOM),
// scale:rows (the requestAnimationFrame after that) and scale:painted (a
// timer set in that frame: the rows laid out and painted).

const STATUS = {
  PENDING: ["◌", "pending", "Pending"],
  BLOCKED: ["⊘", "blocked", "Blocked"],
  QUEUED: ["☰", "queued", "Queued"],
  RUNNING: ["▶", "running", "Running"],
  FAILED: ["✕", "failed", "Failed"],
  COMPLETED: ["✓", "completed", "Completed"],
  CANCELED: ["■", "canceled", "Canceled"],
};
const CATEGORY = { SYSTEM: "System", DATA: "Data", ALGORITHM: "Algorithm" };

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function unit(n) {
  n = Math.abs(n);
  if (n < 60) return `${n} s`;
  if (n < 3600) return `${Math.floor(n / 60)} min`;
  if (n < 86400) return `${Math.floor(n / 3600)} h`;
  if (n < 86400 * 60) return `${Math.floor(n / 86400)} d`;
  if (n < 86400 * 730) return `${Math.floor(n / (86400 * 30))} mo`;
  return `${Math.floor(n / (86400 * 365))} y`;
}

function relativeTime(ms, now) {
  const secs = Math.trunc((now - ms) / 1000);
  if (Math.abs(secs) < 10) return "just now";
  return secs > 0 ? `${unit(secs)} ago` : `in ${unit(secs)}`;
}

const pad = (n) => String(n).padStart(2, "0");
function exactTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

function formatDuration(secs) {
  const s = Math.max(0, secs);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return sec > 0 ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}

// A cell and a row with their roles, copied rather than built: a copy
// brings its attributes along in one native call, where setting the role
// on each of 10,000 new elements is 10,000 more calls. The baseline is
// meant as fast as hand-written code gets.
const CELL = document.createElement("div");
CELL.setAttribute("role", "cell");
const ROW = document.createElement("div");
ROW.setAttribute("role", "row");

function cell(className, text) {
  const td = CELL.cloneNode(false);
  if (className) td.className = className;
  if (text !== undefined) td.textContent = text;
  return td;
}

function timeCell(iso, now) {
  const td = cell();
  if (!iso) {
    td.appendChild(el("span", "muted", "—"));
    return td;
  }
  const ms = Date.parse(iso);
  const t = el("span", null, relativeTime(ms, now));
  t.setAttribute("data-datetime", iso);
  t.title = exactTime(ms);
  td.appendChild(t);
  return td;
}

function row(job, now) {
  const tr = ROW.cloneNode(false);

  const id = cell("num");
  const a = el("a", null, String(job.id));
  a.href = `/jobs/${job.id}`;
  id.appendChild(a);
  tr.appendChild(id);

  const jt = job.job_type || {};
  const version = jt.version || "";
  const name = (jt.title && jt.title.trim()) || (jt.name && jt.name.trim()) ||
    (job.job_type ? `Job type ${jt.id}` : "Unknown job type");
  const type = cell("jobtype");
  type.title = jt.name ? `${jt.name} ${version}` : "";
  type.appendChild(el("span", "jt-name", name));
  type.appendChild(document.createTextNode(" "));
  type.appendChild(el("span", "muted small", version));
  tr.appendChild(type);

  const [icon, modifier, label] = STATUS[job.status] || ["?", "unknown", job.status || "Unknown"];
  const status = cell();
  const badge = el("span", `badge status-${modifier}`);
  const i = el("span", "badge-icon", icon);
  i.setAttribute("aria-hidden", "true");
  badge.appendChild(i);
  badge.appendChild(el("span", "badge-text", label));
  status.appendChild(badge);
  tr.appendChild(status);

  tr.appendChild(cell("num", job.priority == null ? "" : String(job.priority)));
  tr.appendChild(timeCell(job.created, now));
  tr.appendChild(timeCell(job.last_modified, now));

  const dur = cell("num");
  if (job.started && job.ended) {
    dur.appendChild(el("span", null,
      formatDuration(Math.trunc((Date.parse(job.ended) - Date.parse(job.started)) / 1000))));
  } else if (job.started && job.status === "RUNNING") {
    const s = el("span", null,
      `${formatDuration(Math.trunc((now - Date.parse(job.started)) / 1000))} …`);
    s.title = "Running so far";
    dur.appendChild(s);
  } else {
    dur.appendChild(el("span", "muted", "—"));
  }
  tr.appendChild(dur);

  let tries = "";
  if (job.num_exes != null) tries = job.max_tries != null ? `${job.num_exes} / ${job.max_tries}` : String(job.num_exes);
  tr.appendChild(cell("num", tries));

  const e = job.error;
  if (e && (!job.status || job.status === "FAILED")) {
    const td = cell("error-cell");
    if (e.category) {
      const cat = CATEGORY[e.category];
      td.appendChild(el("span", `errcat errcat-${cat ? cat.toLowerCase() : "unknown"}`, cat || e.category));
    }
    td.appendChild(document.createTextNode(" "));
    td.appendChild(el("span", "err-title", e.title || e.name || ""));
    tr.appendChild(td);
  } else {
    tr.appendChild(cell());
  }
  return tr;
}

/** Fetches `url` and shows its jobs: one render, marked as the app marks. */
async function render(url) {
  performance.mark("scale:request");
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const text = await response.text();
  performance.mark("scale:response");
  const page = JSON.parse(text);
  performance.mark("scale:decoded");
  const now = Date.now();
  const body = document.createDocumentFragment();
  for (const job of page.results) body.appendChild(row(job, now));
  document.querySelector(".jobs > .tbody").replaceChildren(body);
  performance.mark("scale:dom");
  requestAnimationFrame(() => {
    performance.mark("scale:rows");
    // As the app: a timer set in the rows' frame fires once it is painted.
    setTimeout(() => performance.mark("scale:painted"));
  });
}

// The bench renders further pages in this page, once it is warm, with
// `scaleRender(url)`, as the app's pager does in the app's page.
globalThis.scaleRender = render;
await render(new URLSearchParams(location.search).get("url") || "/api/v5/jobs/?page_size=100");
