//! Gathers the `style!` blocks of every component into one stylesheet,
//! `target/stylers.css`, which Trunk's post-build hook (Trunk.toml) copies
//! into the bundle beside index.html.
use std::path::PathBuf;

fn main() {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let out = target_dir.join("stylers.css");
    stylers::build(Some(out.to_string_lossy().into_owned()));
}
