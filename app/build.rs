//! Gathers the `style!` blocks of every component into one stylesheet,
//! `target/stylers.css`, which Trunk's post-build hook (Trunk.toml) copies
//! into the bundle beside index.html.
use std::path::PathBuf;
use std::process::Command;

/// Set when this script runs itself as the child that does the work.
const CHILD: &str = "SCALE_JOBS_STYLERS_CHILD";

fn main() {
    if std::env::var_os(CHILD).is_some() {
        collect_styles();
        return;
    }
    // `stylers::build` prints two banner lines as `cargo:warning`, which
    // cargo would show on every build of the app. Run it as a child and
    // pass on only what is not a banner (a real problem it reports).
    let exe = std::env::current_exe().expect("a build script knows its own path");
    let out = Command::new(exe)
        .env(CHILD, "1")
        .output()
        .expect("the build script can run itself");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if !line.contains("Stylers debug output") {
            println!("{line}");
        }
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "collecting stylers CSS failed");
}

fn collect_styles() {
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
