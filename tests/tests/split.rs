//! The console's wasm comes in two parts (`cargo xtask dist`, see
//! xtask/src/split.rs): what a list page runs, and the rest. A list page
//! must paint its rows from the first part alone and fetch the rest only
//! afterwards; every other page, and every click, must work whether the
//! rest is in yet or not; and a rest that cannot be had must be said.

use fantoccini::Locator;
use scale_jobs_e2e::{browser_test, Browser, Server, ServerOptions, WAIT};
use serde_json::Value;

const JOBS_ROWS: &str = "[role=table][aria-label='Jobs'] .tbody > [role=row]";

/// The two parts' file names in the built bundle.
fn parts() -> (String, String) {
    let mut first = None;
    let mut rest = None;
    for entry in std::fs::read_dir(scale_jobs_e2e::dist_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("scale-jobs-app-") && name.ends_with("_bg.wasm") {
            first = Some(name.clone());
        }
        if name.starts_with("scale-jobs-app-") && name.ends_with("_split.wasm") {
            rest = Some(name);
        }
    }
    (
        first.expect("the bundle has no console wasm"),
        rest.expect("the bundle is not split: build it with `cargo xtask dist`"),
    )
}

/// A copy of the built bundle: without the rest when `drop_rest`, and with
/// `boot_prelude` at the top of boot.js.
fn bundle_copy(drop_rest: bool, boot_prelude: &str) -> tempfile::TempDir {
    let (_, rest) = parts();
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(scale_jobs_e2e::dist_dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if drop_rest && name.starts_with(&rest) {
            continue;
        }
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    let boot = dir.path().join("boot.js");
    let text = std::fs::read_to_string(&boot).unwrap();
    std::fs::write(&boot, format!("{boot_prelude}{text}")).unwrap();
    // The server sends a precompressed copy only while it decodes to the
    // file, so the edited boot.js goes out as it is.
    dir
}

/// When the rest was requested, and when every row of the first page was
/// painted (`scale:all-painted` when the app held rows back for a frame,
/// else `scale:painted`; performance timeline, ms; -1 when absent), and
/// whether boot.js loaded the rest on the spot.
async fn timeline(b: &Browser) -> anyhow::Result<(f64, f64, bool)> {
    let v = b
        .execute(
            "const rest = performance.getEntriesByType('resource').find(e => e.name.endsWith('_split.wasm'));
             const painted = performance.getEntriesByName('scale:all-painted')[0]
                 || performance.getEntriesByName('scale:painted')[0];
             return [rest ? rest.startTime : -1, painted ? painted.startTime : -1,
                     performance.getEntriesByName('scale:rest-sync').length > 0];",
            vec![],
        )
        .await?;
    let n = |i: usize| v[i].as_f64().unwrap_or(-1.0);
    Ok((n(0), n(1), v[2] == Value::Bool(true)))
}

async fn rest_loaded(b: &Browser) -> anyhow::Result<()> {
    b.wait_until("the rest of the console to load", WAIT, async || {
        Ok(b.execute(
            "return performance.getEntriesByName('scale:rest-loaded').length > 0;",
            vec![],
        )
        .await?
            == Value::Bool(true))
    })
    .await
}

async fn open_first_job(b: &Browser) -> anyhow::Result<()> {
    b.find(Locator::Css(&format!("{JOBS_ROWS} a[href^='/jobs/']")))
        .await?
        .click()
        .await?;
    let h1 = b.wait_for_text("h1", "Job ", WAIT).await?;
    anyhow::ensure!(
        h1.text().await?.starts_with("Job "),
        "the job page did not open"
    );
    Ok(())
}

#[test]
fn a_list_page_paints_its_rows_before_it_asks_for_the_rest() {
    let server = Server::start(ServerOptions::default()).unwrap();
    browser_test(
        "a_list_page_paints_its_rows_before_it_asks_for_the_rest",
        async |b| {
            b.goto(&server.url("/jobs?page_size=100")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            rest_loaded(b).await?;
            let (requested, painted, sync) = timeline(b).await?;
            anyhow::ensure!(painted > 0.0, "no scale:painted mark");
            anyhow::ensure!(
                requested >= painted,
                "the rest was requested at {requested} ms, before the rows were painted at {painted} ms"
            );
            anyhow::ensure!(!sync, "a function of the rest was needed before it came");
            // A page the first part does not hold, once the rest is in.
            open_first_job(b).await
        },
    );
}

#[test]
fn a_job_page_opened_directly_starts_with_both_parts() {
    let server = Server::start(ServerOptions::default().demo_jobs(20)).unwrap();
    browser_test(
        "a_job_page_opened_directly_starts_with_both_parts",
        async |b| {
            b.goto(&server.url("/jobs/3")).await?;
            b.wait_for_text("h1", "Job 3", WAIT).await?;
            b.wait_for_text("section[aria-labelledby=overview-h]", "Priority", WAIT)
                .await?;
            let (requested, _, sync) = timeline(b).await?;
            anyhow::ensure!(requested >= 0.0, "the rest was never requested");
            anyhow::ensure!(
                !sync,
                "boot.js started the app before the rest was in, and loaded it again on the spot"
            );
            Ok(())
        },
    );
}

/// A click that needs the rest before boot.js has fetched it: boot.js
/// loads it on the spot and the click does what it should. Here boot.js
/// never fetches it of its own accord (its mark observer and 2 s timer are
/// disarmed), so the rest is certainly not in when the click comes.
#[test]
fn a_click_that_needs_the_rest_before_it_came_loads_it_on_the_spot() {
    let prelude = "globalThis.PerformanceObserver = class { observe() {} disconnect() {} };\n\
                   { const set = globalThis.setTimeout;\n  \
                     globalThis.setTimeout = (f, ms, ...a) => ms === 2000 ? 0 : set(f, ms, ...a); }\n";
    let dir = bundle_copy(false, prelude);
    let server = Server::start(ServerOptions::default().dist(dir.path())).unwrap();
    browser_test(
        "a_click_that_needs_the_rest_before_it_came_loads_it_on_the_spot",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            let (requested, _, _) = timeline(b).await?;
            anyhow::ensure!(
                requested < 0.0,
                "the rest was fetched although boot.js was told not to"
            );
            open_first_job(b).await?;
            let (_, _, sync) = timeline(b).await?;
            anyhow::ensure!(
                sync,
                "the job page opened without the rest being loaded on the spot"
            );
            Ok(())
        },
    );
}

/// The rest of the console is missing (a deploy that lost a file): the
/// list still shows its rows, and a click that needs the rest (a sort:
/// the list pages' first loads never sort) says so, with a way to retry.
/// The same missing rest on a job page opened directly: it starts only
/// with both parts, so it says it could not start.
#[test]
fn a_job_page_without_the_rest_says_it_cannot_start() {
    let dir = bundle_copy(true, "");
    let server = Server::start(ServerOptions::default().demo_jobs(20).dist(dir.path())).unwrap();
    browser_test(
        "a_job_page_without_the_rest_says_it_cannot_start",
        async |b| {
            b.goto(&server.url("/jobs/3")).await?;
            b.wait_for_text(
                "#crash-banner[role=alert]",
                "The console could not be loaded",
                WAIT,
            )
            .await?;
            Ok(())
        },
    );
}

#[test]
fn a_rest_that_cannot_be_had_is_said_on_the_page_that_needed_it() {
    let dir = bundle_copy(true, "");
    let server = Server::start(ServerOptions::default().dist(dir.path())).unwrap();
    browser_test(
        "a_rest_that_cannot_be_had_is_said_on_the_page_that_needed_it",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            b.find(Locator::Css("[role=columnheader] button"))
                .await?
                .click()
                .await?;
            let banner = b
                .wait_for_text(
                    "#crash-banner[role=alert]",
                    "Part of the console could not be loaded",
                    WAIT,
                )
                .await?;
            let text = banner.text().await?;
            anyhow::ensure!(text.contains("Reload"), "no way to retry: {text:?}");
            Ok(())
        },
    );
}
