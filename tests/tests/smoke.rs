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
