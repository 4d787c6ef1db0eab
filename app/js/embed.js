// Scale job widgets for any web page: one <script type="module"> tag.
//
//   <script type="module" src="https://console.example/embed.js"></script>
//   <scale-jobs-table api-base="https://console.example/api/v5"
//       query="status=RUNNING&order=-last_modified&page_size=10"
//       link-base="https://console.example/jobs/"></scale-jobs-table>
//
// Loads the widgets' WebAssembly once (from beside this file) however many
// widgets the page holds, and defines <scale-jobs-table>, <scale-job-status>
// and <scale-job-counts>, plus `ScaleJobs.mount(element, options)`. The
// widgets are a bundle of their own (app/src/bin/scale-jobs-embed.rs),
// without the console's pages.
// The build (Trunk post_build hook) fills in the hashed file names below.
// Nothing here throws into the host page: failures show inside the widget.

const BUNDLE_JS = "__EMBED_JS__";
const BUNDLE_WASM = "__EMBED_WASM__";
const here = new URL(".", import.meta.url);

// Tells the bundle it is in a portal's page: it mounts only what
// mountWidget is asked for (and never the iframe page's widget).
globalThis.__scaleJobsEmbed = true;

let loading = null;
function load() {
  if (!loading) {
    loading = import(new URL(BUNDLE_JS, here).href).then(async (m) => {
      await m.default({ module_or_path: new URL(BUNDLE_WASM, here) });
      return m;
    });
  }
  return loading;
}

function showError(root, message) {
  root.textContent = "";
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.style.cssText = "margin:0;padding:.4rem .6rem;border-radius:4px;background:#fde7e7;color:#9b1c1c;font:13px system-ui,sans-serif";
  p.textContent = message;
  root.appendChild(p);
}

// The API base defaults to the embedding page's own origin.
function defaultApiBase() {
  return new URL("/api/v5", location.href).href;
}

function mountInto(root, widget, options) {
  let handle = null;
  let gone = false;
  let pending = options;
  const ready = load()
    .then((m) => {
      if (gone) return;
      handle = m.mountWidget(root, widget, pending);
    })
    .catch((e) => {
      console.warn("scale-jobs: widget could not start:", e);
      // The reason too: a browser without wasm SIMD (which the bundle is
      // built with) fails here, and says so in its own words.
      showError(
        root,
        "This job widget could not be loaded from " + here.href + " (" + (e && e.message ? e.message : e) + ").",
      );
    });
  return {
    ready,
    update(opts) {
      pending = opts;
      try {
        if (handle) handle.update(opts);
      } catch (e) {
        console.warn("scale-jobs:", e);
      }
    },
    unmount() {
      gone = true;
      try {
        if (handle) handle.unmount();
      } catch (e) {
        console.warn("scale-jobs:", e);
      }
      handle = null;
      root.textContent = "";
    },
  };
}

const ATTRS = ["api-base", "query", "refresh-seconds", "link-base", "job-id", "transparent"];

class ScaleWidget extends HTMLElement {
  static get observedAttributes() {
    return ATTRS;
  }
  options() {
    return {
      apiBase: this.getAttribute("api-base") || defaultApiBase(),
      query: this.getAttribute("query") || "",
      refreshSeconds: this.getAttribute("refresh-seconds") || "30",
      linkBase: this.getAttribute("link-base") || "",
      jobId: this.getAttribute("job-id"),
      transparent: this.hasAttribute("transparent"),
    };
  }
  connectedCallback() {
    if (this._mount) return;
    const root = this.shadowRoot || this.attachShadow({ mode: "open" });
    this._mount = mountInto(root, this.constructor.widget, this.options());
  }
  disconnectedCallback() {
    // Removing the element stops its timers and requests.
    if (this._mount) this._mount.unmount();
    this._mount = null;
  }
  attributeChangedCallback() {
    if (this._mount) this._mount.update(this.options());
  }
}

function define(name, widget) {
  if (!customElements.get(name)) {
    customElements.define(name, class extends ScaleWidget {
      static widget = widget;
    });
  }
}
define("scale-jobs-table", "table");
define("scale-job-status", "status");
define("scale-job-counts", "counts");

// Imperative use: ScaleJobs.mount(el, { widget: "table", apiBase, query, ... })
// returns { update(options), unmount() }.
globalThis.ScaleJobs = {
  mount(element, opts) {
    const o = Object.assign({ apiBase: defaultApiBase(), refreshSeconds: 30 }, opts || {});
    const root = element.shadowRoot || element.attachShadow({ mode: "open" });
    const m = mountInto(root, o.widget || "table", o);
    return {
      update(next) {
        Object.assign(o, next || {});
        m.update(o);
      },
      unmount: m.unmount,
      ready: m.ready,
    };
  },
};
