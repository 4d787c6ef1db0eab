// Starts the console. Kept out of index.html because the Content Security
// Policy allows no inline script; Trunk's post_build hook fills in this
// build's hashed file names.
if (location.pathname.startsWith("/embed/")) {
  // An iframe route answered with this page: a static host that sends every
  // unknown path to index.html (the development server sends embed/index.html).
  // Start the widgets' bundle instead of the console, which has no such route.
  await import(new URL("./frame.js", import.meta.url).href);
} else {
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
  } catch (e) {
    cannotStart(e);
  }
}

// The wasm did not download, compile or start: say so instead of leaving
// a blank page. A panic while starting has already shown the app's own
// banner (the same element), which says more.
function cannotStart(e) {
  console.error("scale-jobs: the console could not start:", e);
  if (document.getElementById("crash-banner")) return;
  const banner = document.createElement("div");
  banner.id = "crash-banner";
  banner.setAttribute("role", "alert");
  banner.className = "alert alert-error crash-banner";
  const p = document.createElement("p");
  // Text only: nothing of the error is parsed as HTML.
  p.textContent = hasWasmSimd()
    ? `The console could not be loaded (${e && e.message ? e.message : e}). Reload to try again.`
    : "This browser cannot run the console: it needs WebAssembly with SIMD " +
      "(Chrome or Edge 91, Firefox 89, Safari 16.4 or newer).";
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
