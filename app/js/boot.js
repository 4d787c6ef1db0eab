// Starts the console. Kept out of index.html because the Content Security
// Policy allows no inline script; Trunk's post_build hook fills in this
// build's hashed file names.
import init from "./__APP_JS__";

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

  await init({ module_or_path: new URL("./__APP_WASM__", import.meta.url) });
}
