//! Splits the console's wasm in two, so that a list page loads only the
//! code it runs (`cargo xtask dist` does this after Trunk's build).
//!
//! Why: the whole console is about 263 KiB of wasm as sent, and a first
//! visit to `/jobs` runs about a third of its functions. Trunk 0.21 cannot
//! split a wasm, and Leptos' own splitting (`#[lazy]`) needs cargo-leptos;
//! so the split is done on the finished module, guided by what a browser
//! runs:
//!
//! 1. **Profile.** The bundle is served by the development server, and
//!    headless Chromium loads each list page cold while V8 traces the wasm
//!    functions it compiles. V8 compiles wasm lazily, on first call, so the
//!    trace names every function the page ran.
//! 2. **Split.** binaryen's `wasm-split` keeps those functions in the first
//!    part (the "primary" module, which the page loads as before) and moves
//!    the rest to a second one. In the first part each moved function is a
//!    table slot holding a placeholder (an import, `placeholder.N`).
//! 3. **Load.** boot.js answers the placeholders: on a list page it fetches
//!    the second part once every row is painted (other pages fetch it while
//!    the first part loads, and start the app once it is in), and
//!    instantiates it against the first part's memory and table, which
//!    fills the slots. A placeholder called before that loads the second
//!    part on the spot (a synchronous request), then calls the function it
//!    stood for: a function the profile missed costs time, never
//!    correctness.
//!
//! The wasm-bindgen glue is patched in three places (checked, so a new
//! wasm-bindgen that moves them fails the build, not the page): it gives
//! the primary its placeholder imports, hands boot.js the instance's
//! exports before the app starts, and leaves the start to boot.js.
//!
//! Both parts are named by a hash of both, so a browser never pairs a first
//! part with the second part of another build, and the patched glue by a
//! hash of its own; index.html's integrity hashes are recomputed for what
//! changed.
//!
//! Known cost: DevTools' `Runtime.queryObjects` (the console's
//! `queryObjects()`) never answers on a page running the first part, even
//! before the second is fetched; a page running the whole module answers in
//! tens of milliseconds. The benchmark reads the wasm memory another way.

use crate::bench::cdp::Cdp;
use crate::bench::wasm_size::{Import, Reader};
use crate::bench::BenchServer;
use crate::proc::display;
use crate::setup::{self, WasmSplit};
use crate::tasks::target_dir;
use crate::Result;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The pages whose cold loads decide what the first part holds, on a
/// server with how many demo jobs, and how many loads of each. Timing
/// moves a few functions in or out (whether the answer comes before or
/// after the page's first frame), and so does the data (a small database
/// took a path 100,000 jobs did not), so several loads of each are merged.
/// The first is the benchmark's page.
const PROFILE_PAGES: &[(u32, &str, usize)] = &[
    (100_000, "/jobs?page_size=100", 3),
    (100_000, "/jobs", 2),
    (100_000, "/jobs/executions", 2),
    (100_000, "/jobs/updates", 2),
    (200, "/jobs", 2),
    (200, "/jobs?page_size=25", 1),
    (200, "/jobs/executions", 1),
    (200, "/jobs/updates", 1),
];

/// The wasm features the console is built with (wasm SIMD from
/// .cargo/config.toml, the rest rustc's defaults), as binaryen's tools
/// take them: wasm-split must accept every instruction the module uses,
/// and the bench's wasm-opt runs match Trunk's.
pub(crate) const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-simd",
];

/// What boot.js names the second part by; Trunk's hook leaves it as it is,
/// so a bundle built by `trunk` alone is one module and boot.js knows it.
pub const SPLIT_NAME_SLOT: &str = "__SPLIT_WASM__";
/// How many table slots boot.js makes placeholder functions for.
const SPLIT_SLOTS_SLOT: &str = "__SPLIT_SLOTS__";

/// The three places in wasm-bindgen 0.2.130's glue that the split needs:
/// the placeholder imports, the exports before the app starts, and the
/// start itself (which a page other than a list defers until the rest is
/// in).
const GLUE_IMPORTS: &str = "const imports = __wbg_get_imports();";
const GLUE_IMPORTS_PATCHED: &str = "const imports = __wbg_get_imports(); \
     globalThis.__scaleJobsSplit?.addImports(imports);";
const GLUE_EXPORTS: &str = "wasm = instance.exports;";
const GLUE_EXPORTS_PATCHED: &str =
    "wasm = instance.exports; globalThis.__scaleJobsSplit?.attach(wasm);";
const GLUE_START: &str = "wasm.__wbindgen_start();";
const GLUE_START_PATCHED: &str = "if (globalThis.__scaleJobsSplit) \
     globalThis.__scaleJobsSplit.start(() => wasm.__wbindgen_start()); \
     else wasm.__wbindgen_start();";

/// Sizes of the result, for `cargo xtask dist`'s summary.
pub struct Outcome {
    pub kept_functions: usize,
    pub primary: (String, usize),
    pub secondary: (String, usize),
}

/// Splits the console's wasm in `dist` (a fresh Trunk build) in place.
pub fn split_console(dist: &Path) -> Result<Outcome> {
    let tool = setup::wasm_split()?;
    let wasm_path = find(dist, |n| {
        n.starts_with("scale-jobs-app-") && n.ends_with("_bg.wasm")
    })?;
    let glue_path = find(dist, |n| {
        n.starts_with("scale-jobs-app-") && n.ends_with(".js")
    })?;
    let input = std::fs::read(&wasm_path).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
    let work = target_dir().join("split");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // The unsplit module, for the benchmark's size breakdown and profile.
    std::fs::write(work.join("unsplit.wasm"), &input)
        .map_err(|e| format!("cannot keep the unsplit wasm: {e}"))?;

    let module = Module::parse(&input)?;
    let called = profile(dist, &work)?;
    let keep = kept_functions(&called, module.imported_functions);
    if keep.len() < 100 {
        return Err(format!(
            "the profile found only {} functions run: did the list pages load?",
            keep.len()
        ));
    }
    let (primary, secondary) = run_wasm_split(&tool, &input, &keep, &work)?;
    let primary = repair_table_exports(&module, &primary)?;

    // Names and the files that name them.
    let hash = short_hash(&[&primary, &secondary]);
    let primary_name = format!("scale-jobs-app-{hash}_bg.wasm");
    let secondary_name = format!("scale-jobs-app-{hash}_split.wasm");
    let old_name = file_name(&wasm_path);
    let glue =
        std::fs::read_to_string(&glue_path).map_err(|e| format!("{}: {e}", glue_path.display()))?;
    let glue = patch_glue(&glue)?;
    // The patched glue gets a name of its own: the server sends hashed
    // names as immutable, and Trunk's name is that of the unpatched file.
    let old_glue_name = file_name(&glue_path);
    let glue_name = format!("scale-jobs-app-{}.js", short_hash(&[glue.as_bytes()]));
    let boot_path = dist.join("boot.js");
    let boot =
        std::fs::read_to_string(&boot_path).map_err(|e| format!("{}: {e}", boot_path.display()))?;
    let slots = Module::parse(&primary)?.placeholder_slots;
    let boot = fill_boot(
        &boot,
        &[(&old_name, &primary_name), (&old_glue_name, &glue_name)],
        &secondary_name,
        slots,
    )?;
    let html_path = dist.join("index.html");
    let html =
        std::fs::read_to_string(&html_path).map_err(|e| format!("{}: {e}", html_path.display()))?;
    let html = fill_index(
        &html,
        &[
            (&old_name, &primary_name, &primary),
            (&old_glue_name, &glue_name, glue.as_bytes()),
        ],
    )?;

    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    for old in [&wasm_path, &glue_path] {
        std::fs::remove_file(old).map_err(|e| format!("{}: {e}", old.display()))?;
    }
    write(&dist.join(&primary_name), &primary)?;
    write(&dist.join(&secondary_name), &secondary)?;
    write(&dist.join(&glue_name), glue.as_bytes())?;
    write(&boot_path, boot.as_bytes())?;
    write(&html_path, html.as_bytes())?;
    Ok(Outcome {
        kept_functions: keep.len(),
        primary: (primary_name, primary.len()),
        secondary: (secondary_name, secondary.len()),
    })
}

fn find(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&wanted))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!(
            "expected one console file of its kind in {}, found {n}",
            dir.display()
        )),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

/// Loads each profile page cold, in a fresh browser context, and returns
/// the wasm function indices V8 compiled (that is: called) meanwhile.
fn profile(dist: &Path, work: &Path) -> Result<BTreeSet<u32>> {
    crate::tasks::build_server()?;
    let mut cdp = Cdp::launch(Path::new(setup::CHROMIUM), work)?;
    let mut called = BTreeSet::new();
    let mut server: Option<(u32, BenchServer)> = None;
    for &(jobs, path, loads) in PROFILE_PAGES {
        let base = match &server {
            Some((n, s)) if *n == jobs => s.url.clone(),
            _ => {
                drop(server.take()); // the previous one stops first
                let db = work.join(format!("demo-{jobs}.db"));
                let s = BenchServer::start_with(dist, &db, 30, jobs)?;
                let url = s.url.clone();
                server = Some((jobs, s));
                url
            }
        };
        for _ in 0..loads {
            let found = profile_load(&mut cdp, &format!("{base}{path}"))?;
            if found.is_empty() {
                return Err(format!("no wasm function was traced loading {path}"));
            }
            called.extend(found);
        }
    }
    Ok(called)
}

fn profile_load(cdp: &mut Cdp, url: &str) -> Result<BTreeSet<u32>> {
    cdp.take_events();
    cdp.call(
        None,
        "Tracing.start",
        json!({
            "traceConfig": { "includedCategories": ["v8.wasm"] },
            "transferMode": "ReportEvents",
        }),
    )?;
    let page = cdp.new_page(true)?;
    cdp.call(
        Some(&page.session),
        "Network.setCacheDisabled",
        json!({ "cacheDisabled": true }),
    )
    .ok();
    cdp.navigate(&page, url)?;
    // Every row painted (as boot.js waits for it before fetching the rest);
    // then a moment for what follows a first paint.
    let painted = cdp.wait_for(
        &page,
        "performance.getEntriesByName('scale:all-painted').length > 0 || \
         (performance.getEntriesByName('scale:painted').length > 0 && \
          performance.getEntriesByName('scale:held').length === 0)",
        Duration::from_secs(30),
    );
    cdp.pump(Duration::from_millis(500))?;
    cdp.call(None, "Tracing.end", json!({}))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut called = BTreeSet::new();
    let mut complete = false;
    while !complete && Instant::now() < deadline {
        cdp.pump(Duration::from_millis(100))?;
        for event in cdp.take_events() {
            match event.method.as_str() {
                "Tracing.dataCollected" => {
                    called.extend(compiled_functions(&event.params["value"]));
                }
                "Tracing.tracingComplete" => complete = true,
                _ => {}
            }
        }
    }
    cdp.close_page(page)?;
    painted.map_err(|e| format!("profiling {url}: {e}"))?;
    if !complete {
        return Err("Chromium's trace did not complete in 60 s".into());
    }
    Ok(called)
}

/// The `func_index` of every `wasm.CompileLazy` trace event.
fn compiled_functions(events: &serde_json::Value) -> Vec<u32> {
    events
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["name"] == "wasm.CompileLazy")
        .filter_map(|e| e["args"]["func_index"].as_u64())
        .filter_map(|i| u32::try_from(i).ok())
        .collect()
}

/// wasm-split names a module's functions by their index among the
/// functions it defines; V8's indices count the imported ones first.
fn kept_functions(called: &BTreeSet<u32>, imported: u32) -> Vec<u32> {
    called
        .iter()
        .filter_map(|&i| i.checked_sub(imported))
        .collect()
}

fn run_wasm_split(
    tool: &WasmSplit,
    input: &[u8],
    keep: &[u32],
    work: &Path,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let input_path = work.join("input.wasm");
    let keep_path = work.join("keep.txt");
    let primary_path = work.join("primary.wasm");
    let secondary_path = work.join("secondary.wasm");
    let keep_list: String = keep.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(&input_path, input).map_err(|e| format!("{}: {e}", input_path.display()))?;
    std::fs::write(&keep_path, keep_list).map_err(|e| format!("{}: {e}", keep_path.display()))?;
    let mut cmd = tool.command();
    cmd.args(WASM_FEATURES)
        .arg(&input_path)
        .arg(format!("--keep-funcs=@{}", keep_path.display()))
        .arg("-o1")
        .arg(&primary_path)
        .arg("-o2")
        .arg(&secondary_path);
    println!("$ {}", display(&cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "wasm-split failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    Ok((read(&primary_path)?, read(&secondary_path)?))
}

/// The parts of a wasm module's structure the split checks.
#[derive(Debug)]
struct Module {
    imported_functions: u32,
    /// The element type of each table (0x70 funcref, 0x6f externref), in
    /// index order, imported ones first.
    tables: Vec<u8>,
    /// Table exports: name, table index, and where that index's byte is.
    table_exports: Vec<(String, u32, usize)>,
    /// One more than the highest table slot wasm-split put a placeholder
    /// in (its imports are `placeholder.<slot>`); 0 before the split.
    placeholder_slots: u32,
}

impl Module {
    fn parse(bytes: &[u8]) -> Result<Module> {
        if bytes.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
            return Err("not a wasm module (version 1)".into());
        }
        let mut m = Module {
            imported_functions: 0,
            tables: Vec::new(),
            table_exports: Vec::new(),
            placeholder_slots: 0,
        };
        let mut r = Reader { bytes, at: 8 };
        while r.at < bytes.len() {
            let id = r.byte()?;
            let size = r.leb()?;
            let end = r.at + size;
            if end > bytes.len() {
                return Err("a section runs past the end of the module".into());
            }
            match id {
                2 => {
                    for _ in 0..r.leb()? {
                        let import = r.import()?;
                        if let Some(element) = import.table_element {
                            m.tables.push(element);
                        }
                        if import.kind != Import::FUNCTION {
                            continue;
                        }
                        m.imported_functions += 1;
                        if import.module == "placeholder" {
                            let field = import.field;
                            let slot: u32 = field
                                .parse()
                                .map_err(|_| format!("a placeholder import named {field:?}"))?;
                            m.placeholder_slots = m.placeholder_slots.max(slot + 1);
                        }
                    }
                }
                4 => {
                    for _ in 0..r.leb()? {
                        m.tables.push(r.byte()?);
                        r.limits()?;
                    }
                }
                7 => {
                    for _ in 0..r.leb()? {
                        let name = r.name()?;
                        let kind = r.byte()?;
                        let at = r.at;
                        let index = u32::try_from(r.leb()?)
                            .map_err(|_| "an export index overflows".to_owned())?;
                        if kind == 1 {
                            m.table_exports.push((name, index, at));
                        }
                    }
                }
                _ => r.at = end,
            }
            if r.at != end {
                return Err(format!(
                    "section {id} is {size} bytes, its entries {}",
                    r.at + size - end
                ));
            }
        }
        Ok(m)
    }
}

/// Debian's binaryen 108 writes a module's table exports against the wrong
/// table when there are two (wasm-bindgen's externref table comes second):
/// `__wbindgen_externrefs` names the function table, and the glue's first
/// `table.set` throws "Argument 1 is invalid for table". This is the bug
/// that makes its wasm-opt unusable here. The split keeps the input's
/// tables in order (checked), so every table export the input had is put
/// back on the index it had there.
fn repair_table_exports(input: &Module, primary: &[u8]) -> Result<Vec<u8>> {
    let out = Module::parse(primary)?;
    if out.tables.get(..input.tables.len()) != Some(input.tables.as_slice()) {
        return Err(format!(
            "wasm-split changed the tables (element types {:x?} -> {:x?})",
            input.tables, out.tables
        ));
    }
    let mut bytes = primary.to_vec();
    for (name, index, at) in &out.table_exports {
        let Some((_, wanted, _)) = input.table_exports.iter().find(|(n, ..)| n == name) else {
            continue;
        };
        if wanted == index {
            continue;
        }
        // One-byte LEB128 on both sides, so the patch keeps every length.
        if *index > 0x7f || *wanted > 0x7f || bytes[*at] & 0x80 != 0 {
            return Err(format!(
                "table export {name}: index {index} -> {wanted} is not one byte"
            ));
        }
        bytes[*at] = *wanted as u8;
    }
    let fixed = Module::parse(&bytes)?;
    for (name, index, _) in &fixed.table_exports {
        if let Some((_, wanted, _)) = input.table_exports.iter().find(|(n, ..)| n == name) {
            if index != wanted {
                return Err(format!("table export {name} still points at table {index}"));
            }
        }
    }
    Ok(bytes)
}

fn patch_glue(glue: &str) -> Result<String> {
    // Both the async init and initSync build the imports; finalize runs once.
    for (what, count) in [(GLUE_IMPORTS, 2), (GLUE_EXPORTS, 1), (GLUE_START, 1)] {
        let found = glue.matches(what).count();
        if found != count {
            return Err(format!(
                "the wasm-bindgen glue has `{what}` {found} times, not {count}: \
                 a different wasm-bindgen? (xtask/src/split.rs patches it)"
            ));
        }
    }
    Ok(glue
        .replace(GLUE_IMPORTS, GLUE_IMPORTS_PATCHED)
        .replace(GLUE_EXPORTS, GLUE_EXPORTS_PATCHED)
        .replace(GLUE_START, GLUE_START_PATCHED))
}

/// boot.js with the second part's name and slot count filled in, and the
/// files renamed (`(old, new)`) named anew.
fn fill_boot(boot: &str, renames: &[(&str, &str)], secondary: &str, slots: u32) -> Result<String> {
    let quoted_name = format!("\"{SPLIT_NAME_SLOT}\"");
    let quoted_slots = format!("\"{SPLIT_SLOTS_SLOT}\"");
    let mut out = boot.to_owned();
    for what in [quoted_name.as_str(), quoted_slots.as_str()]
        .into_iter()
        .chain(renames.iter().map(|(old, _)| *old))
    {
        if boot.matches(what).count() != 1 {
            return Err(format!("boot.js must name {what} once"));
        }
    }
    for (old, new) in renames {
        out = out.replace(old, new);
    }
    Ok(out
        .replace(&quoted_name, &format!("\"{secondary}\""))
        .replace(&quoted_slots, &format!("\"{slots}\"")))
}

/// index.html preloads the wasm and the glue with integrity hashes (Trunk
/// writes them): each `(old name, new name, new bytes)` gets its `<link>`'s
/// name and hash replaced.
fn fill_index(html: &str, files: &[(&str, &str, &[u8])]) -> Result<String> {
    let mut html = html.to_owned();
    for (name, new_name, bytes) in files {
        if html.matches(name).count() != 1 {
            return Err(format!("index.html must name {name} once"));
        }
        let at = html.find(name).unwrap_or_default();
        // The integrity attribute of the same <link>.
        let start = html[..at].rfind('<').ok_or("index.html: no tag")?;
        let end = at + html[at..].find('>').ok_or("index.html: unclosed tag")?;
        let tag = &html[start..end];
        let integrity = tag
            .split_whitespace()
            .find_map(|a| a.strip_prefix("integrity="))
            .ok_or(format!("index.html: the <link> of {name} has no integrity"))?
            .trim_matches('"')
            .to_owned();
        let new_tag = tag
            .replace(&integrity, &sri_sha384(bytes))
            .replace(name, new_name);
        html.replace_range(start..end, &new_tag);
    }
    Ok(html)
}

fn sri_sha384(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes))
    )
}

fn short_hash(parts: &[&[u8]]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one imported function, a funcref and an externref
    /// table, and exports naming them.
    fn module(exports: &[(&str, u8)]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let mut section = |id: u8, body: Vec<u8>| {
            m.push(id);
            m.push(body.len() as u8);
            m.extend(body);
        };
        section(1, vec![1, 0x60, 0, 0]); // type 0: () -> ()
        section(2, [vec![1, 1, b'm', 1, b'f', 0, 0]].concat()); // import m.f: func type 0
        section(4, vec![2, 0x70, 0, 1, 0x6f, 0, 4]); // tables: funcref min 1, externref min 4
        let mut body = vec![exports.len() as u8];
        for (name, table) in exports {
            body.push(name.len() as u8);
            body.extend(name.as_bytes());
            body.extend([1, *table]);
        }
        section(7, body);
        m
    }

    #[test]
    fn reads_imports_tables_and_table_exports() {
        let m = Module::parse(&module(&[("table", 0), ("__wbindgen_externrefs", 1)])).unwrap();
        assert_eq!(m.imported_functions, 1);
        assert_eq!(m.tables, vec![0x70, 0x6f]);
        let exports: Vec<(&str, u32)> = m
            .table_exports
            .iter()
            .map(|(n, i, _)| (n.as_str(), *i))
            .collect();
        assert_eq!(exports, [("table", 0), ("__wbindgen_externrefs", 1)]);
        assert!(Module::parse(b"\0asm\x02\0\0\0").is_err());
    }

    #[test]
    fn counts_the_placeholder_slots() {
        let mut m = module(&[]);
        assert_eq!(Module::parse(&m).unwrap().placeholder_slots, 0);
        // Replace the import m.f with placeholder.41.
        let at = m
            .windows(5)
            .position(|w| w == [1, b'm', 1, b'f', 0])
            .unwrap();
        let import = [&[11][..], b"placeholder", &[2], b"41", &[0]].concat();
        m.splice(at..at + 5, import.iter().copied());
        let len_at = m.windows(2).position(|w| w == [2, 7]).unwrap() + 1;
        m[len_at] += import.len() as u8 - 5;
        let parsed = Module::parse(&m).unwrap();
        assert_eq!(
            (parsed.imported_functions, parsed.placeholder_slots),
            (1, 42)
        );
    }

    #[test]
    fn puts_back_a_table_export_that_wasm_split_moved() {
        let input = Module::parse(&module(&[("__wbindgen_externrefs", 1)])).unwrap();
        // What binaryen 108 writes: the export on table 0, plus its own.
        let broken = module(&[("__wbindgen_externrefs", 0), ("table", 0)]);
        let fixed = Module::parse(&repair_table_exports(&input, &broken).unwrap()).unwrap();
        let exports: Vec<(&str, u32)> = fixed
            .table_exports
            .iter()
            .map(|(n, i, _)| (n.as_str(), *i))
            .collect();
        assert_eq!(exports, [("__wbindgen_externrefs", 1), ("table", 0)]);
    }

    #[test]
    fn refuses_a_split_that_reorders_the_tables() {
        let input = Module::parse(&module(&[])).unwrap();
        let mut swapped = module(&[]);
        let at = swapped.windows(2).position(|w| w == [0x70, 0]).unwrap();
        swapped[at] = 0x6f;
        assert!(repair_table_exports(&input, &swapped).is_err());
    }

    #[test]
    fn keeps_defined_functions_by_their_own_index() {
        let called: BTreeSet<u32> = [3, 215, 216, 4000].into();
        assert_eq!(kept_functions(&called, 215), vec![0, 1, 3785]);
    }

    #[test]
    fn reads_lazy_compilations_from_trace_events() {
        let events = json!([
            { "name": "wasm.CompileLazy", "args": { "func_index": 4147 } },
            { "name": "v8.wasm.compileLazy", "args": { "func_index": 1 } },
            { "name": "wasm.CompileLazy", "args": {} },
            { "name": "wasm.CompileLazy", "args": { "func_index": 538 } },
        ]);
        assert_eq!(compiled_functions(&events), vec![4147, 538]);
    }

    #[test]
    fn patches_the_glue_only_where_it_is_as_expected() {
        let glue = format!(
            "function initSync() {{ {GLUE_IMPORTS} }}\n\
             function finalize(instance) {{ {GLUE_EXPORTS} {GLUE_START} }}\n\
             async function init() {{ {GLUE_IMPORTS} }}"
        );
        let patched = patch_glue(&glue).unwrap();
        assert_eq!(
            patched
                .matches("__scaleJobsSplit?.addImports(imports)")
                .count(),
            2
        );
        // The exports reach boot.js before the app starts, and boot.js
        // decides when it starts.
        let attach = patched.find("__scaleJobsSplit?.attach(wasm)").unwrap();
        let start = patched.find("__scaleJobsSplit.start(").unwrap();
        assert!(attach < start && start < patched.find("__wbindgen_start").unwrap());
        assert!(patch_glue(&glue.replace(GLUE_EXPORTS, "")).is_err());
        assert!(patch_glue(&glue.replace(GLUE_START, "")).is_err());
        assert!(patch_glue(&format!("{glue}{GLUE_IMPORTS}")).is_err());
    }

    #[test]
    fn names_both_parts_in_boot_js_and_index_html() {
        let boot = format!(
            "const SPLIT = \"{SPLIT_NAME_SLOT}\", SLOTS = \"{SPLIT_SLOTS_SLOT}\";\n\
             init(new URL(\"./app-1_bg.wasm\"));"
        );
        let renames = [("app-1_bg.wasm", "app-2_bg.wasm"), ("app-1.js", "app-3.js")];
        let boot = format!("{boot}\nimport(\"./app-1.js\");");
        let filled = fill_boot(&boot, &renames, "app-2_split.wasm", 2075).unwrap();
        assert!(filled.contains("\"app-2_split.wasm\"") && filled.contains("./app-2_bg.wasm"));
        assert!(filled.contains("SLOTS = \"2075\"") && filled.contains("./app-3.js"));
        assert!(!filled.contains("app-1") && !filled.contains("__SPLIT"));
        assert!(fill_boot("no slot", &renames, "b", 1).is_err());

        let html = format!(
            "<link href=/app-1.js integrity={} rel=modulepreload>\
             <link as=fetch href=/app-1_bg.wasm integrity={} rel=preload>",
            sri_sha384(b"old js"),
            sri_sha384(b"old wasm")
        );
        let files: [(&str, &str, &[u8]); 2] = [
            ("app-1_bg.wasm", "app-2_bg.wasm", b"wasm"),
            ("app-1.js", "app-3.js", b"js"),
        ];
        let filled = fill_index(&html, &files).unwrap();
        assert_eq!(
            filled,
            format!(
                "<link href=/app-3.js integrity={} rel=modulepreload>\
                 <link as=fetch href=/app-2_bg.wasm integrity={} rel=preload>",
                sri_sha384(b"js"),
                sri_sha384(b"wasm")
            )
        );
        // A name that is not there, or there twice, is an error.
        assert!(fill_index("<link href=/x.js>", &files).is_err());
    }

    #[test]
    fn sri_is_base64_of_sha384() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri_sha384(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
