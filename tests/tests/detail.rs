//! The job detail page and cancel, in headless Chromium against the real
//! development server.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use scale_jobs_e2e::{browser_test, Browser, Server, ServerOptions, WAIT};
use scale_jobs_shared::{IoValue, JobDetails, JobStatus, JobsQuery};
use serde_json::Value;

/// The heading of `/jobs/{id}` once the job has loaded: "Job 5" alone is
/// also the heading while it loads, so waiting for that would race.
fn loaded_heading(id: i64) -> String {
    format!("Job {id} · ")
}

fn server() -> Server {
    Server::start(ServerOptions::default().demo_jobs(300).seed(21)).unwrap()
}

/// The first job (by id) whose details satisfy `pred`.
fn find_job(
    server: &Server,
    q: JobsQuery,
    pred: impl Fn(&JobDetails) -> bool,
) -> Result<JobDetails> {
    let q = JobsQuery {
        page_size: 1000,
        order: vec![scale_jobs_shared::SortOrder::asc("id")],
        ..q
    };
    for j in server.jobs(&q)?.results {
        let d = server.job(j.id)?;
        if pred(&d) {
            return Ok(d);
        }
    }
    anyhow::bail!("no demo job fits")
}

fn running_job(server: &Server) -> Result<i64> {
    let q = JobsQuery {
        status: vec![JobStatus::Running],
        ..Default::default()
    };
    server
        .jobs(&q)?
        .results
        .first()
        .map(|j| j.id)
        .context("a running job")
}

/// How many PATCHes of job `id` the server has logged.
fn patches(server: &Server, id: i64) -> usize {
    server
        .log()
        .lines()
        .filter(|l| l.contains("PATCH") && l.contains(&format!("/jobs/{id}/")))
        .count()
}

async fn open_dialog(b: &Browser) -> Result<()> {
    b.find(Locator::XPath("//button[normalize-space(.)='Cancel job']"))
        .await?
        .click()
        .await?;
    b.wait_until("the dialog to open", WAIT, async || {
        Ok(b.execute(
            "const d = document.querySelector('dialog'); return !!d && d.open;",
            vec![],
        )
        .await?
            == Value::Bool(true))
    })
    .await
}

async fn dialog_open(b: &Browser) -> Result<bool> {
    Ok(b.execute(
        "const d = document.querySelector('dialog'); return !!d && d.open;",
        vec![],
    )
    .await?
        == Value::Bool(true))
}

async fn status_text(b: &Browser) -> Result<String> {
    b.text(".status-line .badge-text").await
}

#[test]
fn a_job_opens_from_the_list_and_leads_back_to_it() {
    let server = server();
    browser_test(
        "a_job_opens_from_the_list_and_leads_back_to_it",
        async |b| {
            b.goto(&server.url("/jobs?status=FAILED&page_size=25"))
                .await?;
            let link = b
                .wait_for("[role=table][aria-label='Jobs'] .tbody > [role=row] > [role=cell]:first-child a", WAIT)
                .await?;
            let id: i64 = link.text().await?.trim().parse()?;
            link.click().await?;
            b.wait_until("the detail URL", WAIT, async || {
                Ok(b.current_url().await?.path() == format!("/jobs/{id}"))
            })
            .await?;
            let api = server.job(id)?;
            let h1 = b
                .wait_for_text("h1", &loaded_heading(id), WAIT)
                .await?
                .text()
                .await?;
            ensure!(h1.contains(&api.job.job_type_name()), "{h1}");
            ensure!(status_text(b).await? == "Failed");
            b.find(Locator::LinkText("← Back to the list"))
                .await?
                .click()
                .await?;
            b.wait_until("the list with its filters", WAIT, async || {
                let u = b.current_url().await?;
                Ok(u.path() == "/jobs" && u.query().unwrap_or("").contains("status=FAILED"))
            })
            .await
        },
    );
}

#[test]
fn every_section_renders_for_a_rich_job() {
    let server = server();
    let rich = find_job(
        &server,
        JobsQuery {
            include_superseded: true,
            ..Default::default()
        },
        |d| {
            d.job_exes.len() >= 2
                && d.job.error.is_some()
                && d.inputs.iter().any(|i| matches!(i.value, IoValue::File(_)))
                && d.inputs
                    .iter()
                    .any(|i| matches!(i.value, IoValue::Files(_)))
                && d.inputs
                    .iter()
                    .any(|i| matches!(i.value, IoValue::Property(_)))
        },
    )
    .unwrap();
    let with_outputs = find_job(
        &server,
        JobsQuery {
            status: vec![JobStatus::Completed],
            ..Default::default()
        },
        |d| !d.recipes.is_empty() && d.outputs.iter().any(|o| !matches!(o.value, IoValue::Unset)),
    )
    .unwrap();
    let superseding = find_job(
        &server,
        JobsQuery {
            include_superseded: true,
            ..Default::default()
        },
        |d| d.job.superseded_job.is_some(),
    )
    .unwrap();
    browser_test("every_section_renders_for_a_rich_job", async |b| {
        let id = rich.job.id;
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        let page = b.text("main").await?;
        for h in [
            "Overview",
            "Timeline",
            "Inputs",
            "Outputs",
            "Executions",
            "Recipes",
            "Supersession",
            "Data and results",
        ] {
            ensure!(page.contains(h), "section {h} missing");
        }
        let err = rich.job.error.as_ref().unwrap();
        let err_panel = b.text(".error-panel").await?;
        ensure!(
            err_panel.contains(err.title.as_deref().unwrap_or("")),
            "{err_panel}"
        );
        // Files: names, sizes, and real links for http(s) URLs.
        for io in &rich.inputs {
            match &io.value {
                IoValue::File(f) => {
                    let name = f.file_name.clone().unwrap_or_default();
                    ensure!(page.contains(&name), "input file {name}");
                    if let Some(url) = f.url.as_deref().filter(|u| u.starts_with("https://")) {
                        let a = b
                            .find(Locator::XPath(&format!("//a[normalize-space(.)='{name}']")))
                            .await?;
                        ensure!(a.attr("href").await?.as_deref() == Some(url));
                    }
                }
                IoValue::Files(fs) => {
                    for f in fs {
                        ensure!(page.contains(f.file_name.as_deref().unwrap_or("")));
                    }
                }
                IoValue::Property(v) => {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    ensure!(page.contains(&text), "property {text}");
                }
                IoValue::Unset => {}
                IoValue::Other(_) => {}
            }
        }
        // One row per execution, newest first.
        let exe_ids = b
            .execute("return Array.from(document.querySelectorAll('section[aria-labelledby=exes-h] tbody tr td:first-child')).map(td => td.textContent.trim());", vec![])
            .await?;
        let exe_ids: Vec<String> = serde_json::from_value(exe_ids)?;
        let mut expected: Vec<_> = rich.job_exes.iter().collect();
        expected.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        let expected: Vec<String> = expected.iter().map(|e| e.id.to_string()).collect();
        ensure!(exe_ids == expected, "{exe_ids:?} vs {expected:?}");
        // The timeline has an accessible description and one lane per run.
        let svg = b.find(Locator::Css("svg.timeline")).await?;
        ensure!(svg.attr("role").await?.as_deref() == Some("img"));
        ensure!(
            b.text("ul.sr-only").await.is_ok()
                || !b.find_all(Locator::Css("ul.sr-only li")).await?.is_empty()
        );
        // Data as collapsible pretty JSON.
        b.find(Locator::XPath("//summary[normalize-space(.)='Data']"))
            .await?
            .click()
            .await?;
        let json = b.text("details.json-block pre").await?;
        ensure!(
            json.contains('{') && json.contains('\n'),
            "pretty JSON: {json}"
        );
        b.assert_accessible().await?;

        // Outputs with products, and recipes.
        let id = with_outputs.job.id;
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        let outputs = b.text("section[aria-labelledby=outputs-h]").await?;
        ensure!(
            outputs.contains("published") || outputs.contains("not published"),
            "{outputs}"
        );
        let recipe = with_outputs.recipes[0]
            .recipe_type
            .as_ref()
            .and_then(|t| t.title.clone())
            .unwrap_or_default();
        ensure!(b
            .text("section[aria-labelledby=recipes-h]")
            .await?
            .contains(&recipe));

        // The superseded chain links both ways.
        let id = superseding.job.id;
        let prev = superseding.job.superseded_job.as_ref().unwrap().id;
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        let a = b
            .find(Locator::Css(&format!(
                "section[aria-labelledby=chain-h] a[href='/jobs/{prev}']"
            )))
            .await?;
        a.click().await?;
        b.wait_for_text("h1", &loaded_heading(prev), WAIT).await?;
        Ok(())
    });
}

#[test]
fn a_system_jobs_zero_maximum_and_timeout_are_said_as_given() {
    // Scale 5.0 sends max_tries 0 and timeout 0 for some system jobs (its
    // clock, strike and scan; its reference says at least one try): "1 of
    // 0" and "0 s" read as broken. The demo's clock job is one.
    let server = server();
    let job = find_job(&server, JobsQuery::default(), |d| {
        d.job.max_tries == Some(0) && d.job.timeout == Some(0) && d.job.num_exes.is_some()
    })
    .unwrap();
    browser_test(
        "a_system_jobs_zero_maximum_and_timeout_are_said_as_given",
        async |b| {
            let id = job.job.id;
            let n = job.job.num_exes.context("num_exes")?;
            b.goto(&server.url(&format!("/jobs/{id}"))).await?;
            b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
            let fact = async |name: &str| -> Result<String> {
                let v = b
                    .execute(
                        "const dt = [...document.querySelectorAll('dl.facts dt')].find(d => d.textContent.trim() === arguments[0]);
                         return dt ? dt.nextElementSibling.textContent.trim() : null;",
                        vec![Value::from(name)],
                    )
                    .await?;
                v.as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("no {name} fact"))
            };
            let tries = fact("Tries").await?;
            ensure!(
                tries == format!("{n} (maximum given as 0)"),
                "Tries: {tries}"
            );
            let timeout = fact("Timeout").await?;
            ensure!(timeout == "none (given as 0)", "Timeout: {timeout}");

            // The list's Tries cell: the count, and the maximum in its title.
            b.goto(&server.url(&format!("/jobs?job_id={id}"))).await?;
            let cell = b
                .wait_for(
                    ".jobs > .tbody > [role=row] > [role=cell].num[title^='Maximum tries']",
                    WAIT,
                )
                .await?;
            ensure!(cell.text().await?.trim() == n.to_string());
            ensure!(
                cell.attr("title").await?.as_deref() == Some("Maximum tries given as 0"),
                "title: {:?}",
                cell.attr("title").await?
            );
            Ok(())
        },
    );
}

#[test]
fn only_http_urls_become_links() {
    let server = server();
    let hostile = find_job(
        &server,
        JobsQuery {
            include_superseded: true,
            ..Default::default()
        },
        |d| {
            d.inputs.iter().chain(&d.outputs).any(|io| match &io.value {
                IoValue::File(f) => f.url.as_deref().is_some_and(|u| !u.starts_with("http")),
                IoValue::Files(fs) => fs
                    .iter()
                    .any(|f| f.url.as_deref().is_some_and(|u| !u.starts_with("http"))),
                _ => false,
            })
        },
    )
    .unwrap();
    browser_test("only_http_urls_become_links", async |b| {
        let id = hostile.job.id;
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        b.wait_for("section[aria-labelledby=inputs-h] table", WAIT)
            .await?;
        let unsafe_links = b
            .execute("return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')).filter(h => !/^(https?:\\/\\/|\\/)/i.test(h) || h.startsWith('//'));", vec![])
            .await?;
        ensure!(
            unsafe_links.as_array().is_some_and(Vec::is_empty),
            "unsafe hrefs: {unsafe_links}"
        );
        // The file is still named, as text.
        let name = hostile
            .inputs
            .iter()
            .chain(&hostile.outputs)
            .find_map(|io| match &io.value {
                IoValue::File(f) if f.url.as_deref().is_some_and(|u| !u.starts_with("http")) => {
                    f.file_name.clone()
                }
                IoValue::Files(fs) => fs
                    .iter()
                    .find(|f| f.url.as_deref().is_some_and(|u| !u.starts_with("http")))
                    .and_then(|f| f.file_name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        ensure!(b.text("main").await?.contains(&name), "file {name} shown");
        Ok(())
    });
}

#[test]
fn cancel_a_running_job_through_the_dialog() {
    let server = server();
    let id = running_job(&server).unwrap();
    browser_test("cancel_a_running_job_through_the_dialog", async |b| {
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        ensure!(status_text(b).await? == "Running");
        open_dialog(b).await?;
        let dialog = b.text("dialog").await?;
        let name = server.job(id)?.job.job_type_name();
        ensure!(
            dialog.contains(&format!("job {id}")) || dialog.contains(&format!("Job {id}")),
            "{dialog}"
        );
        ensure!(dialog.contains(&name), "dialog names the type: {dialog}");
        ensure!(
            dialog.contains(") is running."),
            "dialog says the status: {dialog}"
        );
        // Focus moved into the dialog.
        let focus_inside = b
            .execute(
                "return document.querySelector('dialog').contains(document.activeElement);",
                vec![],
            )
            .await?;
        ensure!(focus_inside == Value::Bool(true), "focus is in the dialog");
        b.assert_accessible().await?;
        b.find(Locator::XPath("//dialog//button[contains(., 'Confirm')]"))
            .await?
            .click()
            .await?;
        b.wait_until("the status to be Canceled", WAIT, async || {
            Ok(status_text(b).await? == "Canceled")
        })
        .await?;
        ensure!(b.text(".alert-success").await?.contains("canceled"));
        ensure!(!dialog_open(b).await?);
        let api = server.job(id)?;
        ensure!(
            api.job.status == Some(JobStatus::Canceled),
            "the server says canceled"
        );
        ensure!(
            api.job_exes
                .iter()
                .all(|e| e.status != Some(JobStatus::Running)),
            "no execution left running"
        );
        ensure!(patches(&server, id) == 1);
        // The list reflects it.
        b.goto(&server.url("/jobs?status=CANCELED&order=-last_modified"))
            .await?;
        b.wait_for_text(
            "[role=table][aria-label='Jobs'] .tbody > [role=row]:first-child > [role=cell]:first-child",
            &id.to_string(),
            WAIT,
        )
        .await?;
        Ok(())
    });
}

#[test]
fn escape_closes_the_dialog_without_a_request() {
    let server = server();
    let id = running_job(&server).unwrap();
    browser_test("escape_closes_the_dialog_without_a_request", async |b| {
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        open_dialog(b).await?;
        b.active_element().await?.send_keys("\u{E00C}").await?; // Escape
        b.wait_until("the dialog to close", WAIT, async || {
            Ok(!dialog_open(b).await?)
        })
        .await?;
        // Focus returns to the button that opened it.
        let back = b
            .execute(
                "return document.activeElement && document.activeElement.textContent.trim();",
                vec![],
            )
            .await?;
        ensure!(back == "Cancel job", "focus returned: {back}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        ensure!(patches(&server, id) == 0, "no PATCH was sent");
        ensure!(server.job(id)?.job.status == Some(JobStatus::Running));
        Ok(())
    });
}

#[test]
fn a_double_click_sends_one_patch() {
    let server = server();
    let id = running_job(&server).unwrap();
    browser_test("a_double_click_sends_one_patch", async |b| {
        b.goto(&server.url(&format!("/jobs/{id}"))).await?;
        b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
        open_dialog(b).await?;
        // Two clicks and two Enters in the same task: no render can disable
        // the button in between, so only the handler's own guard holds.
        b.execute(
            "const btn = Array.from(document.querySelectorAll('dialog button')).find(x => x.textContent.includes('Confirm'));
             btn.click(); btn.click();
             btn.dispatchEvent(new MouseEvent('click', {bubbles: true}));",
            vec![],
        )
        .await?;
        b.wait_until("the status to be Canceled", WAIT, async || {
            Ok(status_text(b).await? == "Canceled")
        })
        .await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        ensure!(
            patches(&server, id) == 1,
            "exactly one PATCH, got {}",
            patches(&server, id)
        );
        Ok(())
    });
}

#[test]
fn cancelling_a_job_that_finished_meanwhile_shows_the_refusal_and_the_true_status() {
    let server = server();
    let id = running_job(&server).unwrap();
    browser_test(
        "cancelling_a_job_that_finished_meanwhile_shows_the_refusal_and_the_true_status",
        async |b| {
            b.goto(&server.url(&format!("/jobs/{id}"))).await?;
            b.wait_for_text("h1", &loaded_heading(id), WAIT).await?;
            open_dialog(b).await?;
            // Someone else cancels it first.
            ensure!(server.cancel(id)?.status == 200);
            b.find(Locator::XPath("//dialog//button[contains(., 'Confirm')]"))
                .await?
                .click()
                .await?;
            b.wait_until("the refusal", WAIT, async || {
                Ok(b.text(".status-line ~ .alert-error")
                    .await?
                    .contains("could not be canceled"))
            })
            .await?;
            let alert = b.text(".status-line ~ .alert-error").await?;
            // The server's own words (our server: a 409 with a detail).
            let detail: Value = server.cancel(id)?.json()?;
            let detail = detail["detail"].as_str().unwrap_or_default().to_string();
            ensure!(alert.contains(&detail), "{alert} should contain {detail}");
            b.wait_until("the re-read status", WAIT, async || {
                Ok(status_text(b).await? == "Canceled")
            })
            .await?;
            ensure!(
                b.find(Locator::Css(".alert-success")).await.is_err(),
                "no success shown"
            );
            Ok(())
        },
    );
}

#[test]
fn a_missing_job_and_a_bad_id_say_so() {
    let server = server();
    browser_test("a_missing_job_and_a_bad_id_say_so", async |b| {
        b.goto(&server.url("/jobs/987654321")).await?;
        let alert = b
            .wait_for("[role=alert] .alert", WAIT)
            .await?
            .text()
            .await?;
        ensure!(
            alert.contains("404") && alert.contains("Not found"),
            "{alert}"
        );
        ensure!(b.text("h1").await?.contains("not found"));
        ensure!(b
            .find(Locator::XPath("//button[normalize-space(.)='Retry']"))
            .await
            .is_ok());
        b.assert_accessible().await?;
        b.goto(&server.url("/jobs/abc")).await?;
        let alert = b.wait_for("[role=alert]", WAIT).await?.text().await?;
        ensure!(alert.contains("not a job id"), "{alert}");
        Ok(())
    });
}
