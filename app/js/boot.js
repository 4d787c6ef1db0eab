// Starts the console. Kept out of index.html because the Content Security
// Policy allows no inline script; Trunk's post_build hook fills in this
// build's hashed file names.
import init from "./__APP_JS__";

await init({ module_or_path: new URL("./__APP_WASM__", import.meta.url) });
