// Starts the page of the iframe routes (/embed/jobs, /embed/jobs/{id}):
// the portal widgets' bundle, which mounts the one widget the address asks
// for, without the console around it. Loaded by embed/index.html (the
// server answers every /embed/... route with it); Trunk's post_build hook
// fills in this build's hashed file names.
import init from "./__EMBED_JS__";

// config.json (the API base, the refresh interval) is fetched while the
// wasm downloads, as the console's boot.js does.
globalThis.__scaleJobsConfig = fetch(new URL("./config.json", import.meta.url), {
  credentials: "same-origin",
}).catch(() => null);

try {
  await init({ module_or_path: new URL("./__EMBED_WASM__", import.meta.url) });
} catch (e) {
  // The bundle did not download, compile or start: say so in the frame
  // rather than leave it blank (text only, nothing parsed as HTML).
  console.error("scale-jobs: the widget could not start:", e);
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.className = "alert alert-error";
  p.textContent = `This job widget could not be loaded (${e && e.message ? e.message : e}).`;
  document.body.prepend(p);
}
