//! The portal widgets' bundle: `embed.js` (custom elements and
//! `ScaleJobs.mount`) and `frame.js` (the iframe routes) load it. It holds
//! the widgets and what they need, not the console's pages, so a portal
//! downloads less and the console's own bundle carries no widget code.
//!
//! The exports live here rather than in the library: a `#[wasm_bindgen]`
//! export is kept by every binary that links the library, which would put
//! the widgets back into the console's bundle.

use scale_jobs_app::embed;
use wasm_bindgen::prelude::*;

fn main() {
    embed::start();
}

/// A mounted widget, as `embed.js` holds it.
#[wasm_bindgen]
pub struct WidgetHandle(embed::WidgetHandle);

#[wasm_bindgen]
impl WidgetHandle {
    /// New options (changed attributes); an unchanged set does nothing.
    pub fn update(&self, options: JsValue) {
        self.0.update(options);
    }

    /// Removes the widget and stops its timers and requests.
    pub fn unmount(&mut self) {
        self.0.unmount();
    }
}

/// Mounts `widget` ("table", "status" or "counts") into `root`.
#[wasm_bindgen(js_name = mountWidget)]
pub fn mount_widget(
    root: web_sys::ShadowRoot,
    widget: &str,
    options: JsValue,
) -> Result<WidgetHandle, JsValue> {
    embed::mount_widget(root, widget, options).map(WidgetHandle)
}
