//! The initial-load floor: how much of the load budget the console's stack
//! takes before the console adds anything.
//!
//! `xtask/bench/floor` is the smallest console-shaped app on the same stack
//! (Leptos, its router, and with `fetch` one page of jobs through gloo-net,
//! serde and chrono). It is built as Trunk builds the console: the same
//! release profile and `--cfg erase_components`, wasm-bindgen `--target
//! web`, `wasm-opt -Oz` (with the feature flags of the bench's
//! names-keeping build of the console), brotli 11 as `cargo xtask dist`
//! precompresses.

use super::wasm_opt_args;
use crate::proc::{self, command, root};
use crate::tasks::{brotli_best, target_dir};
use crate::Result;
use std::path::Path;

/// One build of the floor app and its bytes.
pub struct Floor {
    /// `""` (router and a button) or `"fetch"`.
    pub features: &'static str,
    pub wasm_raw: usize,
    pub wasm_br: usize,
    pub js_raw: usize,
    pub js_br: usize,
}

impl Floor {
    pub fn sent(&self) -> usize {
        self.wasm_br + self.js_br
    }
}

pub fn measure(features: &'static str) -> Result<Floor> {
    let manifest = root().join("xtask/bench/floor/Cargo.toml");
    let target = target_dir().join("bench-floor");
    let mut build = proc::cargo();
    // From the root, so .cargo/config.toml's wasm32 flags apply as to the app.
    // --locked: its own Cargo.lock says what is measured; a drift fails
    // loudly instead of re-resolving (offline) into other versions.
    build.args([
        "build",
        "--offline",
        "--locked",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    build.arg("--manifest-path").arg(&manifest);
    build.arg("--target-dir").arg(&target);
    if !features.is_empty() {
        build.args(["--features", features]);
    }
    proc::run(&mut build)?;
    let built = target.join("wasm32-unknown-unknown/release/scale_jobs_floor.wasm");
    let out = target.join(if features.is_empty() {
        "out"
    } else {
        "out-fetch"
    });
    let _ = std::fs::remove_dir_all(&out);
    let mut bindgen = command("wasm-bindgen");
    bindgen.args(["--target", "web", "--no-typescript", "--out-dir"]);
    bindgen.arg(&out).arg(&built);
    proc::run(&mut bindgen)?;
    let glue = out.join("scale_jobs_floor.js");
    let optimized = out.join("optimized.wasm");
    let mut opt = command(proc::node_bin_dir().join("wasm-opt"));
    // The flags of the bench's names-keeping build of the console (`-Oz`
    // and the features the wasm uses), without `-g`: on the console's wasm
    // they give Trunk's output to the byte count (971,442 B on e2d55fb).
    opt.args(wasm_opt_args(false));
    opt.arg(out.join("scale_jobs_floor_bg.wasm"))
        .arg("-o")
        .arg(&optimized);
    proc::run(&mut opt)?;
    let (wasm_raw, wasm_br) = sizes(&optimized)?;
    let (js_raw, js_br) = sizes(&glue)?;
    Ok(Floor {
        features,
        wasm_raw,
        wasm_br,
        js_raw,
        js_br,
    })
}

/// A file's size, raw and as brotli 11.
fn sizes(path: &Path) -> Result<(usize, usize)> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok((raw.len(), brotli_best(&raw)?.len()))
}
