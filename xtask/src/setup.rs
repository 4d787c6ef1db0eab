//! `cargo xtask setup`: brings the machine to what the build and the tests
//! need, installing only what is missing, one line per tool.
//!
//! Everything comes from package registries (crates.io, npm, Debian): no
//! step downloads a prebuilt binary, which this project's machines cannot.

use crate::proc::{self, command, first_line, root};
use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

/// Trunk 0.22 needs a newer rustc than the project's 1.95.
pub const TRUNK_VERSION: &str = "0.21.14";
/// Debian's binaryen 108 emits a wasm that fails at start; npm's 132 works.
pub const WASM_OPT_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub fn run() -> Result {
    let wasm_bindgen = wasm_bindgen_version_in_lock()?;
    check_trunk_toml(&wasm_bindgen)?;
    wasm_target()?;
    rust_components()?;
    trunk()?;
    wasm_bindgen_cli(&wasm_bindgen)?;
    node_tools()?;
    chromium()?;
    wasm_split().map(|_| ())
}

/// The wasm-bindgen version the app links against. The CLI (and its test
/// runner) must match it exactly, or the generated glue refuses to load.
pub fn wasm_bindgen_version_in_lock() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    version_in_lock(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".to_owned())
}

fn version_in_lock(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned);
        }
    }
    None
}

/// Trunk.toml names the wasm-bindgen version Trunk insists on (offline, it
/// cannot fetch another); catch a drift from Cargo.lock here, with a clear
/// message, rather than deep inside a Trunk build.
fn check_trunk_toml(wasm_bindgen: &str) -> Result {
    let trunk_toml = std::fs::read_to_string(root().join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    let expected = format!("wasm_bindgen = \"{wasm_bindgen}\"");
    if trunk_toml.lines().any(|l| l.trim() == expected) {
        Ok(())
    } else {
        Err(format!(
            "Trunk.toml's [tools] must say `{expected}` to match Cargo.lock's wasm-bindgen"
        ))
    }
}

fn wasm_target() -> Result {
    let sysroot = first_line(Command::new("rustc").args(["--print", "sysroot"]))
        .ok_or("cannot run `rustc --print sysroot`")?;
    let installed = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir();
    if installed {
        println!("ok {WASM_TARGET} target");
        return Ok(());
    }
    println!("installing {WASM_TARGET} target (rustup, ~1 min) ...");
    proc::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// `test` runs `cargo fmt` and `cargo clippy`; a minimal toolchain lacks them.
fn rust_components() -> Result {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, sub)| first_line(proc::cargo().args([sub, "--version"])).is_none())
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        println!("ok rustfmt and clippy");
        return Ok(());
    }
    println!("installing {} (rustup) ...", missing.join(" and "));
    proc::run(
        Command::new("rustup")
            .args(["component", "add"])
            .args(&missing),
    )
}

fn trunk() -> Result {
    let wanted = format!("trunk {TRUNK_VERSION}");
    let probe = || first_line(command("trunk").arg("--version"));
    if probe().as_deref() == Some(wanted.as_str()) {
        println!("ok {wanted}");
        return Ok(());
    }
    if wait_for_running_install("trunk") && probe().as_deref() == Some(wanted.as_str()) {
        println!("ok {wanted}");
        return Ok(());
    }
    println!("installing {wanted} (takes ~18 min) ...");
    proc::run(proc::cargo().args([
        "install",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--locked",
        "--force",
    ]))
}

fn wasm_bindgen_cli(version: &str) -> Result {
    let wanted = format!("wasm-bindgen {version}");
    // The test runner ships in the same crate; check both so a half-finished
    // install is redone.
    let probe = || {
        first_line(command("wasm-bindgen").arg("--version")).as_deref() == Some(wanted.as_str())
            && first_line(command("wasm-bindgen-test-runner").arg("--version")).is_some()
    };
    if probe() || (wait_for_running_install("wasm-bindgen-cli") && probe()) {
        println!("ok {wanted}");
        return Ok(());
    }
    println!("installing wasm-bindgen-cli {version} (takes ~4 min) ...");
    // Not `--locked`: the crate's own lockfile names a version the registry lacks.
    proc::run(proc::cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
        "--force",
    ]))
}

/// If another `cargo install NAME` is running (a second terminal, or the
/// machine's own provisioning), wait for it instead of building the same
/// crate twice on two cores. Returns whether there was one.
fn wait_for_running_install(name: &str) -> bool {
    let mut waited = false;
    loop {
        let running = proc::running_with_args(&["install", name]);
        if running.is_empty() {
            return waited;
        }
        if !waited {
            println!(
                "waiting for a running `cargo install {name}` (pid {running:?}) to finish ..."
            );
        }
        waited = true;
        thread::sleep(Duration::from_secs(5));
    }
}

fn node_tools() -> Result {
    if first_line(Command::new("npm").arg("--version")).is_none() {
        println!("installing nodejs and npm (apt) ...");
        apt_install(&["nodejs", "npm"])?;
    }
    if node_modules_stale() {
        println!("installing npm packages (npm ci: binaryen, axe-core) ...");
        proc::run(command("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    let wasm_opt = first_line(command(proc::node_bin_dir().join("wasm-opt")).arg("--version"))
        .unwrap_or_default();
    // "wasm-opt version 132 (version_132)"
    if wasm_opt.split(' ').nth(2) != Some(WASM_OPT_VERSION) {
        return Err(format!(
            "node_modules/.bin/wasm-opt should be version {WASM_OPT_VERSION}, says {wasm_opt:?}"
        ));
    }
    println!("ok wasm-opt {WASM_OPT_VERSION} (npm binaryen)");
    let axe = installed_npm_version("axe-core").ok_or("npm ci did not install axe-core")?;
    println!("ok axe-core {axe}");
    Ok(())
}

fn installed_npm_version(package: &str) -> Option<String> {
    let manifest = root()
        .join("node_modules")
        .join(package)
        .join("package.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest).ok()?).ok()?;
    json["version"].as_str().map(str::to_owned)
}

/// npm records what it installed in `node_modules/.package-lock.json`; the
/// tree is stale when that is missing or any package's version differs
/// from `package-lock.json`.
fn node_modules_stale() -> bool {
    let read = |path: &Path| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    };
    let (Some(wanted), Some(installed)) = (
        read(&root().join("package-lock.json")),
        read(&root().join("node_modules/.package-lock.json")),
    ) else {
        return true;
    };
    let Some(packages) = wanted["packages"].as_object() else {
        return true;
    };
    packages
        .iter()
        .filter(|(path, _)| !path.is_empty())
        .any(|(path, meta)| installed["packages"][path]["version"] != meta["version"])
}

fn chromium() -> Result {
    if !(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()) {
        println!("installing chromium and chromium-driver (apt, ~2 min) ...");
        apt_install(&["chromium", "chromium-driver"])?;
    }
    // Chromium's wrapper script prints shell noise on stderr; only stdout counts.
    for (name, bin) in [("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)] {
        let version = first_line(Command::new(bin).arg("--version"))
            .ok_or(format!("{bin} is installed but `{bin} --version` fails"))?;
        // "Chromium 156.0.8078.108 built on Debian ..." / "ChromeDriver 156.0.8078.108 (...)"
        let number = version.split(' ').nth(1).unwrap_or("?");
        println!("ok {name} {number}");
    }
    Ok(())
}

/// Debian's binaryen package, unpacked under `target/tools` rather than
/// installed: only its `wasm-split` is used (`xtask/src/split.rs`), and its
/// `wasm-opt` 108 must not shadow npm's 132 on PATH. npm's binaryen has no
/// wasm-split.
const BINARYEN_DEB: &str = "binaryen=108-1";

/// `wasm-split` and the directory holding its `libbinaryen.so`.
pub struct WasmSplit {
    pub bin: PathBuf,
    pub lib_dir: PathBuf,
}

impl WasmSplit {
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("LD_LIBRARY_PATH", &self.lib_dir);
        cmd
    }
}

pub fn wasm_split() -> Result<WasmSplit> {
    let dir = crate::tasks::target_dir().join("tools/binaryen-108");
    let find = || -> Option<WasmSplit> {
        let bin = dir.join("usr/bin/wasm-split");
        let lib_dir = std::fs::read_dir(dir.join("usr/lib"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("libbinaryen.so").exists())?;
        bin.exists().then_some(WasmSplit { bin, lib_dir })
    };
    if find().is_none() {
        println!("fetching Debian's binaryen 108 for its wasm-split (apt-get download) ...");
        let download = dir.join("download");
        let _ = std::fs::remove_dir_all(&download);
        std::fs::create_dir_all(&download)
            .map_err(|e| format!("cannot create {}: {e}", download.display()))?;
        let fetch = || {
            let mut cmd = Command::new("apt-get");
            cmd.args(["download", BINARYEN_DEB]).current_dir(&download);
            proc::run(&mut cmd)
        };
        if fetch().is_err() {
            // A fresh machine may have no package lists yet.
            apt_update()?;
            fetch()?;
        }
        let deb = std::fs::read_dir(&download)
            .map_err(|e| format!("cannot list {}: {e}", download.display()))?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .ok_or("apt-get download binaryen left no .deb")?;
        proc::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir))?;
    }
    let tool = find().ok_or(format!(
        "no usr/bin/wasm-split with its libbinaryen.so under {}",
        dir.display()
    ))?;
    let version = first_line(tool.command().arg("--version"))
        .ok_or(format!("`{} --version` fails", tool.bin.display()))?;
    // "wasm-split version 108"
    if !version.ends_with(" 108") {
        return Err(format!("expected wasm-split 108, found `{version}`"));
    }
    println!(
        "ok wasm-split 108 (Debian's binaryen, unpacked in {})",
        dir.display()
    );
    Ok(tool)
}

fn apt_update() -> Result {
    apt(&["update"])
}

fn apt(args: &[&str]) -> Result {
    let as_root = first_line(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut cmd = if as_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    proc::run(&mut cmd)
}

fn apt_install(packages: &[&str]) -> Result {
    apt_update()?;
    let mut args = vec!["install", "-y"];
    args.extend_from_slice(packages);
    apt(&args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_package_version_from_a_lockfile() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-futures"
version = "0.4.53"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(
            version_in_lock(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(version_in_lock(lock, "leptos"), None);
    }

    #[test]
    fn the_workspace_lock_pins_the_wasm_bindgen_that_trunk_toml_names() {
        let version = wasm_bindgen_version_in_lock().unwrap();
        check_trunk_toml(&version).unwrap();
    }
}
