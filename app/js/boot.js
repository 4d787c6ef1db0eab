// Starts the console. Kept out of index.html because the Content Security
// Policy allows no inline script; Trunk's post_build hook fills in this
// build's hashed file names.
if (location.pathname.startsWith("/embed/")) {
  // An iframe route answered with this page: a static host that sends every
  // unknown path to index.html (the development server sends embed/index.html).
  // Start the widgets' bundle instead of the console, which has no such route.
  await import(new URL("./frame.js", import.meta.url).href);
} else {
  // `cargo xtask dist` splits the console's wasm in two (xtask/src/split.rs):
  // the functions a list page runs, and the rest. A build by Trunk alone is
  // one module and leaves this name as it is.
  const rest = "__SPLIT_WASM__";
  const restSlots = Number("__SPLIT_SLOTS__");
  // A list page has all it needs in the first part: it fetches the rest
  // once its rows are painted. Any other page needs the rest at once: it is
  // fetched beside the first part, and the app starts when both are in.
  // `/` is the jobs list (the app's router redirects it to `/jobs`, query
  // dropped): go there before the app starts, so that it starts as a list
  // page and not through the redirect, which the first part does not hold.
  if (location.pathname === "/") history.replaceState(history.state, "", "/jobs");
  const listPage = /^\/jobs(\/executions|\/updates)?\/?$/.test(location.pathname);
  const split = rest.startsWith("__")
    ? null
    : splitLoader(new URL(`./${rest}`, import.meta.url), restSlots, !listPage);
  // The patched wasm-bindgen glue reads it: it adds the placeholder imports,
  // hands over the exports, and leaves the start to it.
  globalThis.__scaleJobsSplit = split;
  let later = () => {};
  if (split && listPage) {
    later = () => split.prefetch();
    // Every row painted: `scale:all-painted` when the app held rows back
    // for a frame, else its first `scale:painted`.
    new PerformanceObserver((marks, observer) => {
      const all = marks.getEntriesByName("scale:all-painted").length > 0;
      const painted = marks.getEntriesByName("scale:painted").length > 0;
      if (all || (painted && !performance.getEntriesByName("scale:held").length)) {
        observer.disconnect();
        later();
      }
    }).observe({ type: "mark" });
  } else if (split) {
    split.prefetch();
  }

  // config.json (beside this file, like index.html) is fetched while the
  // wasm downloads and compiles, not after: the app needs it before its
  // first API request. The app awaits this promise and fetches itself if it
  // failed.
  globalThis.__scaleJobsConfig = fetch(new URL("./config.json", import.meta.url), {
    credentials: "same-origin",
  }).catch(() => null);

  try {
    // Imported here rather than at the top, so that a glue file that cannot
    // be had is caught below too (index.html preloads it either way).
    const { default: init } = await import("./__APP_JS__");
    await init({ module_or_path: new URL("./__APP_WASM__", import.meta.url) });
    // Whatever a list page shows (an error, no rows), the rest comes 2 s
    // after the app started, if its rows have not brought it sooner.
    setTimeout(later, 2000);
  } catch (e) {
    cannotStart(e);
  }
}

// The second part of a split console. wasm-split left, in the first
// part's function table, a placeholder (the import `placeholder.N`) for
// every function it moved; instantiating the second part against the first
// part's memory and table writes the real functions into those slots. The
// second part has no state of its own (no memory, table, globals or start),
// so a second instance, should a race make one, writes the same functions.
//
// Compiling and instantiating are asynchronous wherever they can be: Chrome
// and Edge before 114 refuse to compile or instantiate a module over 4 KB
// synchronously on the main thread. Only a moved function called before
// the rest is in loads it synchronously, which needs Chrome or Edge 114.
function splitLoader(url, slots, startWithRest) {
  let primary = null; // the first part's exports (the glue attaches them)
  let compiling = null; // Promise<WebAssembly.Module>
  let module = null;
  let loading = null; // Promise of the instantiation
  let loaded = false;
  const done = () => {
    loaded = true;
    performance.mark("scale:rest-loaded");
  };
  const compiled = () =>
    (compiling ??= compileRest(url)
      .then((m) => (module = m))
      .catch((e) => {
        compiling = null; // a later call tries again
        throw e;
      }));
  const load = () =>
    (loading ??= compiled()
      .then(async (m) => {
        if (!loaded) {
          await WebAssembly.instantiate(m, { primary });
          done();
        }
      })
      .catch((e) => {
        loading = null;
        throw e;
      }));
  // A placeholder was called before the second part was in: load it now,
  // synchronously (the call must return its function's result). Sync XHR
  // cannot ask for an ArrayBuffer, so the bytes come as x-user-defined text.
  const loadNow = () => {
    if (!primary) throw new Error("a part of the console was called before it started");
    if (!module) {
      performance.mark("scale:rest-sync");
      const xhr = new XMLHttpRequest();
      xhr.open("GET", url, false);
      xhr.overrideMimeType("text/plain; charset=x-user-defined");
      xhr.send();
      if (xhr.status !== 200) throw new Error(`${url.pathname}: HTTP ${xhr.status}`);
      const text = xhr.responseText;
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      module = new WebAssembly.Module(bytes);
    }
    new WebAssembly.Instance(module, { primary });
    done();
  };
  // One function per table slot below `slots`, the number the build
  // counted (slots without a placeholder leave theirs unused).
  const placeholders = {};
  for (let slot = 0; slot < slots; slot++) {
    placeholders[slot] = (...args) => {
      if (!loaded) {
        try {
          loadNow();
        } catch (e) {
          cannotLoadRest(e);
          throw e;
        }
      }
      return primary.table.get(slot)(...args);
    };
  }
  return {
    addImports(imports) {
      imports.placeholder = placeholders;
    },
    attach(exports) {
      primary = exports;
    },
    // The glue's start of the app: at once on a list page, else once the
    // rest is in (a failure to get it is shown as a failed start).
    start(run) {
      if (!startWithRest || loaded) return run();
      load().then(run).catch(cannotStart);
    },
    // Fetches and compiles the rest; instantiates it once the first part
    // is in (a list page calls this when its rows are painted).
    prefetch() {
      if (loaded) return;
      const attached = primary ? load() : compiled();
      attached.catch((e) => console.warn("scale-jobs: the rest of the console could not be fetched yet:", e));
    },
  };
}

// The second part, compiled as it streams in; from its bytes when the host
// does not send it as `application/wasm` (as wasm-bindgen's glue does).
async function compileRest(url) {
  try {
    return await WebAssembly.compileStreaming(fetch(url, { credentials: "same-origin" }));
  } catch (e) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

// Part of the console could not be had when it was needed: the page may be
// half built, so say so and offer a reload (as for a start that failed).
function cannotLoadRest(e) {
  console.error("scale-jobs: part of the console could not be loaded:", e);
  showBanner(`Part of the console could not be loaded (${e && e.message ? e.message : e}). Reload to try again.`);
}

// The wasm did not download, compile or start: say so instead of leaving
// a blank page. A panic while starting has already shown the app's own
// banner (the same element), which says more.
function cannotStart(e) {
  console.error("scale-jobs: the console could not start:", e);
  showBanner(
    hasWasmSimd()
      ? `The console could not be loaded (${e && e.message ? e.message : e}). Reload to try again.`
      : "This browser cannot run the console: it needs WebAssembly with SIMD " +
          "(Chrome or Edge 91, Firefox 89, Safari 16.4 or newer).",
  );
}

function showBanner(text) {
  if (document.getElementById("crash-banner")) return;
  const banner = document.createElement("div");
  banner.id = "crash-banner";
  banner.setAttribute("role", "alert");
  banner.className = "alert alert-error crash-banner";
  const p = document.createElement("p");
  // Text only: nothing of the error is parsed as HTML.
  p.textContent = text;
  banner.appendChild(p);
  const reload = document.createElement("button");
  reload.className = "btn";
  reload.textContent = "Reload";
  reload.addEventListener("click", () => location.reload());
  banner.appendChild(reload);
  document.body.prepend(banner);
}

// Whether this browser validates a module whose one function returns a
// v128 constant: the console's wasm is built with SIMD (.cargo/config.toml).
function hasWasmSimd() {
  try {
    return WebAssembly.validate(new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, // "\0asm", version 1
      1, 5, 1, 0x60, 0, 1, 0x7b, // types: () -> v128
      3, 2, 1, 0, // one function of that type
      10, 22, 1, 20, 0, 0xfd, 0x0c, // its body: no locals, v128.const
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, // 16 zero bytes, end
    ]));
  } catch {
    return false;
  }
}
