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

/// A bundle whose wasm cannot be had (a deploy that lost a file, a proxy
/// that blocks `.wasm`) says so in the page, with a way to retry, instead
/// of leaving it blank.
#[test]
fn a_console_whose_wasm_cannot_load_says_so() {
    // The built bundle without its wasm: every other file is the build's.
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
