//! The harness works end to end: the server starts and answers the API,
//! and the built app boots in Chromium.

use scale_jobs_e2e::{browser_test, Server, ServerOptions, WAIT};
use scale_jobs_shared::JobsQuery;

#[test]
fn the_http_client_lists_the_servers_demo_jobs() {
    let server = Server::start(ServerOptions::default().demo_jobs(30).seed(7)).unwrap();
    // Superseded jobs are hidden by default (as in Scale); count them all.
    let all = JobsQuery {
        include_superseded: true,
        ..JobsQuery::default()
    };
    let page = server.jobs(&all).unwrap();
    assert_eq!(
        page.count, 30,
        "the server holds exactly the demo jobs asked for"
    );
    assert!(!page.results.is_empty());
    let first = page.results[0].id;
    let details = server.job(first).unwrap();
    assert_eq!(details.job.id, first);
}

#[test]
fn the_app_loads_at_jobs_and_shows_a_heading() {
    let server = Server::start(ServerOptions::default()).unwrap();
    browser_test("the_app_loads_at_jobs_and_shows_a_heading", async |b| {
        b.goto(&server.url("/jobs")).await?;
        let heading = b.wait_for("h1", WAIT).await?;
        let text = heading.text().await?;
        anyhow::ensure!(!text.trim().is_empty(), "the <h1> is empty");
        Ok(())
    });
}

#[test]
fn the_jobs_page_has_no_serious_accessibility_violations() {
    let server = Server::start(ServerOptions::default()).unwrap();
    browser_test(
        "the_jobs_page_has_no_serious_accessibility_violations",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            b.wait_for("h1", WAIT).await?;
            b.assert_accessible().await
        },
    );
}

/// The built bundle without the console's wasm, in a temporary directory;
/// `boot_prelude` goes at the top of its `boot.js`.
fn bundle_without_console_wasm(boot_prelude: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut wasm = 0;
    for entry in std::fs::read_dir(scale_jobs_e2e::dist_dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("scale-jobs-app-") && name.contains("_bg.wasm") {
            wasm += 1;
            continue;
        }
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    assert!(wasm > 0, "the bundle has no console wasm to leave out");
    let boot = dir.path().join("boot.js");
    let text = std::fs::read_to_string(&boot).unwrap();
    std::fs::write(&boot, format!("{boot_prelude}{text}")).unwrap();
    // The server prefers a precompressed copy only while it decodes to the
    // file: the edited boot.js is sent as it is.
    dir
}

/// A bundle whose wasm cannot be had (a deploy that lost a file, a proxy
/// that blocks `.wasm`) says so in the page, with a way to retry, instead
/// of leaving it blank.
#[test]
fn a_console_whose_wasm_cannot_load_says_so() {
    let dir = bundle_without_console_wasm("");
    let server = Server::start(ServerOptions::default().dist(dir.path())).unwrap();
    browser_test("a_console_whose_wasm_cannot_load_says_so", async |b| {
        b.goto(&server.url("/jobs")).await?;
        let banner = b
            .wait_for_text("#crash-banner[role=alert]", "could not be loaded", WAIT)
            .await?;
        let text = banner.text().await?;
        anyhow::ensure!(text.contains("Reload"), "no way to retry: {text:?}");
        Ok(())
    });
}

/// A browser whose WebAssembly has no SIMD (the bundle is built with it)
/// is told which browsers can run the console: here WebAssembly.validate
/// is made to refuse every module, as such a browser refuses SIMD ones.
#[test]
fn a_browser_without_wasm_simd_is_told_what_the_console_needs() {
    let dir = bundle_without_console_wasm("WebAssembly.validate = () => false;\n");
    let server = Server::start(ServerOptions::default().dist(dir.path())).unwrap();
    browser_test(
        "a_browser_without_wasm_simd_is_told_what_the_console_needs",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            let banner = b
                .wait_for_text(
                    "#crash-banner[role=alert]",
                    "needs WebAssembly with SIMD",
                    WAIT,
                )
                .await?;
            let text = banner.text().await?;
            anyhow::ensure!(
                text.contains("Safari 16.4"),
                "no browser versions: {text:?}"
            );
            Ok(())
        },
    );
}
