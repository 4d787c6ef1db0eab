//! Gathers the `style!` blocks of every component into one stylesheet,
//! `target/stylers.css`, which Trunk's post-build hook (Trunk.toml) copies
//! into the bundle beside index.html.
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../target"));
    let out = target_dir.join("stylers.css");
    stylers::build(Some(out.to_string_lossy().into_owned()));
    // stylers also creates `./target` (here app/target) whether or not it
    // writes there; remove it again if it is empty.
    let _ = std::fs::remove_dir(manifest_dir.join("target"));
}
