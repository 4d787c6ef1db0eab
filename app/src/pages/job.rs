//! `/jobs/:id`: one job, at a glance, and its cancel.
//!
//! The page re-reads the job every few seconds while it is not final (and
//! the tab is visible), then stops. Cancelling asks first, sends exactly one
//! PATCH however often the button is pressed, shows only what the server
//! answered, and re-reads the job after any failure.

use crate::api::{self, ApiError};
use crate::api::{now_ms, tab_hidden};
use crate::components::alert::ErrorAlert;
use crate::components::status::{ErrorCategoryBadge, StatusBadge};
use crate::components::time::{keep_times_current, ExactTime, RelTime, Since};
use crate::context::{use_app, AppCtx};
use crate::logic::cancel::{cancel_answer_message, cancel_failure_message, Said};
use crate::logic::format::{
    exact_time, format_duration_secs, human_bytes, human_mib, timeout_text, tries_text,
};
use crate::logic::links::safe_href;
use crate::logic::timeline::{self, Timeline};
use crate::request::{every_second, RequestSlot};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use scale_jobs_shared::{IoValue, Job, JobDetails, JobExecution, JobIo, ScaleFile};
use serde_json::Value;

/// How often a live job is re-read.
const LIVE_REFRESH_MS: f64 = 5_000.0;

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let raw_id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || match raw_id.get().parse::<i64>() {
        Ok(id) if id >= 0 => view! { <JobView id /> }.into_any(),
        _ => {
            let raw = raw_id.get();
            view! {
                <section class="page">
                    <h1>"Job not found"</h1>
                    <div role="alert" class="alert alert-error">
                        <p class="alert-title">"This is not a job address"</p>
                        <p class="alert-detail">{format!("“{raw}” is not a job id: job ids are whole numbers.")}</p>
                    </div>
                    <p><a href="/jobs">"Go to the jobs list"</a></p>
                </section>
            }
            .into_any()
        }
    }
}

#[component]
fn JobView(id: i64) -> impl IntoView {
    let app = use_app();
    let data: RwSignal<Option<JobDetails>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let slot = RequestSlot::new();
    let loading = slot.loading;
    let loaded_at: RwSignal<Option<f64>> = RwSignal::new(None);
    // Lives as long as the page, so a cancel's outcome survives re-reads.
    let cancel = CancelState {
        outcome: RwSignal::new(None),
        busy: RwSignal::new(false),
        dialog_open: RwSignal::new(false),
    };
    provide_context(cancel);

    let load = move || {
        let (ticket, signal) = slot.start();
        let base = app.api_base();
        leptos::task::spawn_local(async move {
            let r = api::get_job(&base, id, signal.as_ref()).await;
            if !slot.finish(ticket) {
                return;
            }
            loaded_at.set(Some(now_ms()));
            match r {
                Ok(d) => {
                    error.set(None);
                    data.set(Some(d));
                }
                Err(ApiError::Aborted) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    };
    load();

    let is_live = move || {
        data.with(|d| {
            d.as_ref()
                .is_some_and(|d| d.job.status.as_ref().is_none_or(|s| !s.is_final()))
        })
    };
    every_second(move || {
        // No re-read while the operator decides or a cancel is in flight:
        // its answer must not be overwritten by an older read.
        let deciding = cancel.busy.get_untracked() || cancel.dialog_open.get_untracked();
        if !is_live() || loading.get_untracked() || tab_hidden() || deciding {
            return;
        }
        if loaded_at
            .get_untracked()
            .is_some_and(|at| now_ms() - at >= LIVE_REFRESH_MS)
        {
            load();
        }
    });

    let details = Memo::new(move |_| data.get());
    let page_root: NodeRef<leptos::html::Section> = NodeRef::new();
    keep_times_current(move || page_root.get().map(|s| s.into()));
    let back = move || app.last_list.get().unwrap_or_else(|| "/jobs".to_string());
    let not_found = move || error.with(|e| matches!(e, Some(ApiError::Http { status: 404, .. })));
    let heading = move || {
        data.with(|d| match d {
            Some(d) => {
                let t = d.job.job_type.clone().unwrap_or_default();
                let version = t
                    .version
                    .clone()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!("Job {id} · {}{version}", d.job.job_type_name())
            }
            None if not_found() => format!("Job {id} not found"),
            None => format!("Job {id}"),
        })
    };

    view! {
        <section class="page job-page" node_ref=page_root>
            <p class="back"><a href=back>"← Back to the list"</a></p>
            <div class="page-head">
                <h1>{heading}</h1>
            </div>
            <ErrorAlert error=error on_retry=Callback::new(move |_| load())>
                <Show when=not_found>
                    <a class="btn" href="/jobs">"Go to the jobs list"</a>
                </Show>
            </ErrorAlert>
            {move || (loading.get() && data.with(Option::is_none)).then(|| view! {
                <p class="muted" role="status">"Loading job…"</p>
            })}
            // Re-rendered only when the job really changed (a re-read of an
            // unchanged job keeps open sections open).
            {move || details.get().map(|d| view! { <JobBody details=d on_reload=Callback::new(move |_| load()) data /> })}
        </section>
    }
}

#[component]
fn JobBody(
    details: JobDetails,
    on_reload: Callback<()>,
    data: RwSignal<Option<JobDetails>>,
) -> impl IntoView {
    let app = use_app();
    let d = details;
    let j = d.job.clone();
    let status = j.status.clone();
    let since = j.last_status_change.or(j.last_modified);
    let timeline = timeline::build(&d, app.now.get_untracked());
    let cancelable = status.as_ref().is_some_and(|s| s.is_cancelable());

    view! {
        <div class="status-line">
            <StatusBadge status=status.clone() />
            {since.map(|t| view! { <span class="muted"><Since since=t.0 prefix="for " /></span> })}
            {cancelable.then(|| view! { <CancelControl job=j.clone() data on_reload /> })}
        </div>
        <CancelOutcome />
        {j.error.clone().filter(|_| true).map(|e| view! {
            <section class="panel error-panel" aria-labelledby="error-h">
                <h2 id="error-h">"Error"</h2>
                <p>
                    {e.category.clone().map(|c| view! { <ErrorCategoryBadge category=c /> })}
                    " "
                    <strong>{e.title.clone().or(e.name.clone()).unwrap_or_else(|| format!("Error {}", e.id))}</strong>
                </p>
                {e.description.clone().map(|t| view! { <p class="prewrap">{t}</p> })}
            </section>
        })}
        <Overview job=j.clone() />
        {timeline.map(|t| view! { <TimelineView timeline=t /> })}
        <IoSection title="Inputs" id="inputs-h" ios=merged_inputs(&d) outputs=false />
        <IoSection title="Outputs" id="outputs-h" ios=merged_outputs(&d) outputs=true />
        <Executions exes=d.job_exes.clone() job_error=j.error.clone() />
        <Recipes details=d.clone() />
        <Supersession job=j.clone() />
        <section class="panel" aria-labelledby="raw-h">
            <h2 id="raw-h">"Data and results"</h2>
            <JsonBlock label="Data" value=d.data.clone() />
            <JsonBlock label="Results" value=d.results.clone() />
        </section>
    }
}

/// Inputs in the interface's order, each declared input shown even when
/// unset; values the interface does not declare are shown too.
fn merged_inputs(d: &JobDetails) -> Vec<JobIo> {
    let declared: Vec<(String, String)> = d
        .job
        .job_type_rev
        .as_ref()
        .and_then(|r| r.interface.as_ref())
        .map(|i| {
            i.input_data
                .iter()
                .map(|x| (x.name.clone(), x.kind.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    merge(declared, &d.inputs)
}

fn merged_outputs(d: &JobDetails) -> Vec<JobIo> {
    let declared: Vec<(String, String)> = d
        .job
        .job_type_rev
        .as_ref()
        .and_then(|r| r.interface.as_ref())
        .map(|i| {
            i.output_data
                .iter()
                .map(|x| (x.name.clone(), x.kind.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    merge(declared, &d.outputs)
}

fn merge(declared: Vec<(String, String)>, actual: &[JobIo]) -> Vec<JobIo> {
    let mut out: Vec<JobIo> = declared
        .into_iter()
        .map(|(name, kind)| {
            actual
                .iter()
                .find(|a| a.name == name)
                .cloned()
                .unwrap_or(JobIo {
                    name,
                    kind,
                    value: IoValue::Unset,
                })
        })
        .collect();
    for a in actual {
        if !out.iter().any(|o| o.name == a.name) {
            out.push(a.clone());
        }
    }
    out
}

#[component]
fn Overview(job: Job) -> impl IntoView {
    let j = job;
    let t = j.job_type.clone().unwrap_or_default();
    let run = match (j.started, j.ended) {
        (Some(s), Some(e)) => Some(format_duration_secs((e.0 - s.0).num_seconds())),
        _ => None,
    };
    let wait = match (j.queued, j.started) {
        (Some(q), Some(s)) => Some(format_duration_secs((s.0 - q.0).num_seconds())),
        _ => None,
    };
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    let tries = tries_text(j.num_exes, j.max_tries);
    let type_state = {
        let mut s = Vec::new();
        if t.is_system == Some(true) {
            s.push("system");
        }
        if t.is_paused == Some(true) || t.paused.is_some() {
            s.push("paused");
        }
        if t.archived.is_some() || t.is_active == Some(false) {
            s.push("archived");
        }
        match t.is_operational {
            Some(true) => s.push("operational"),
            Some(false) => s.push("not operational"),
            None => {}
        }
        if s.is_empty() {
            "—".to_string()
        } else {
            s.join(", ")
        }
    };
    let event = j.event.clone();
    view! {
        <section class="panel" aria-labelledby="overview-h">
            <h2 id="overview-h">"Overview"</h2>
            <div class="grid-2">
                <dl class="facts">
                    <dt>"Priority"</dt><dd>{opt(j.priority.map(|p| p.to_string()))}</dd>
                    <dt>"Tries"</dt><dd>{tries}</dd>
                    <dt>"Timeout"</dt><dd>{timeout_text(j.timeout)}</dd>
                    <dt>"Run duration"</dt><dd>{opt(run)}</dd>
                    <dt>"Queue wait"</dt><dd>{opt(wait)}</dd>
                    <dt>"CPUs"</dt><dd>{opt(j.cpus_required.map(|c| format!("{c}")))}</dd>
                    <dt>"Memory"</dt><dd>{opt(j.mem_required.map(human_mib))}</dd>
                    <dt>"Disk in"</dt><dd>{opt(j.disk_in_required.map(human_mib))}</dd>
                    <dt>"Disk out"</dt><dd>{opt(j.disk_out_required.map(human_mib))}</dd>
                </dl>
                <dl class="facts">
                    <dt>"Created"</dt><dd><RelTime at=j.created /></dd>
                    <dt>"Queued"</dt><dd><RelTime at=j.queued /></dd>
                    <dt>"Started"</dt><dd><RelTime at=j.started /></dd>
                    <dt>"Ended"</dt><dd><RelTime at=j.ended /></dd>
                    <dt>"Last status change"</dt><dd><RelTime at=j.last_status_change /></dd>
                    <dt>"Last modified"</dt><dd><RelTime at=j.last_modified /></dd>
                </dl>
                <dl class="facts">
                    <dt>"Job type"</dt>
                    <dd>
                        {if j.job_type.is_some() { t.display_name() } else { "—".to_string() }}
                        {t.name.clone().map(|n| view! { " " <span class="muted">{format!("({n} {})", t.version.clone().unwrap_or_default())}</span> })}
                    </dd>
                    <dt>"Category"</dt><dd>{opt(t.category.clone())}</dd>
                    <dt>"Type state"</dt><dd>{type_state}</dd>
                    <dt>"Revision"</dt><dd>{opt(j.job_type_rev.as_ref().and_then(|r| r.revision_num).map(|r| r.to_string()))}</dd>
                    <dt>"Description"</dt><dd class="prewrap">{opt(t.description.clone())}</dd>
                    <dt>"Trigger"</dt>
                    <dd>
                        {match event {
                            None => view! { <span>"—"</span> }.into_any(),
                            Some(e) => {
                                let rule = e.rule.as_ref().and_then(|r| r.name.clone().or_else(|| Some(format!("rule {}", r.id))));
                                view! {
                                    <span>{e.kind.clone().unwrap_or_else(|| "event".into())}</span>
                                    " · " <RelTime at=e.occurred />
                                    {rule.map(|r| view! { <span>" · rule "{r}</span> })}
                                }.into_any()
                            }
                        }}
                    </dd>
                </dl>
            </div>
        </section>
    }
}

#[component]
fn TimelineView(timeline: Timeline) -> impl IntoView {
    let app = use_app();
    let tz = app.tz.get_untracked();
    let fmt = move |t| exact_time(t, AppCtx::offset_for(tz, t));
    const LABEL_W: f64 = 130.0;
    const W: f64 = 900.0;
    const LANE_H: f64 = 26.0;
    let height = LANE_H * timeline.lanes.len() as f64 + 24.0;
    let plot = W - LABEL_W - 10.0;
    let summary = format!(
        "From {} to {}: {}",
        fmt(timeline.start),
        fmt(timeline.end),
        format_duration_secs((timeline.end - timeline.start).num_seconds())
    );
    let lanes = timeline.lanes.clone();
    let text_list = timeline
        .lanes
        .iter()
        .map(|l| {
            let items = l
                .segments
                .iter()
                .map(|s| {
                    let end = if s.open {
                        "still going".to_string()
                    } else {
                        fmt(s.end)
                    };
                    format!(
                        "{}: {} to {} ({})",
                        s.label,
                        fmt(s.start),
                        end,
                        format_duration_secs((s.end - s.start).num_seconds())
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            view! { <li>{format!("{}: {items}", l.label)}</li> }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Timeline"</h2>
            <p class="muted small">{summary.clone()}</p>
            <svg class="timeline" viewBox=format!("0 0 {W} {height}") role="img" aria-labelledby="timeline-title timeline-desc" preserveAspectRatio="xMinYMin meet">
                <title id="timeline-title">"Timeline of the job and its executions"</title>
                <desc id="timeline-desc">{summary}</desc>
                {lanes.into_iter().enumerate().map(|(i, lane)| {
                    let y = i as f64 * LANE_H + 4.0;
                    view! {
                        <g>
                            <text x="0" y=y + 15.0 class="tl-label">{lane.label.clone()}</text>
                            <line x1=LABEL_W y1=y + LANE_H / 2.0 x2=LABEL_W + plot y2=y + LANE_H / 2.0 class="tl-axis" />
                            {lane.segments.into_iter().map(|s| {
                                let x = LABEL_W + s.x * plot;
                                let w = (s.w * plot).max(2.0);
                                let end = if s.open { "still going".to_string() } else { fmt(s.end) };
                                let tip = format!("{}: {} → {} ({})", s.label, fmt(s.start), end, format_duration_secs((s.end - s.start).num_seconds()));
                                view! {
                                    <rect x=x y=y + 3.0 width=w height=LANE_H - 8.0 rx="3" class=format!("tl-seg tl-{}{}", s.kind, if s.open { " tl-open" } else { "" })>
                                        <title>{tip}</title>
                                    </rect>
                                }
                            }).collect_view()}
                        </g>
                    }
                }).collect_view()}
                <text x=LABEL_W y=height - 4.0 class="tl-tick">{fmt(timeline.start)}</text>
                <text x=W - 10.0 y=height - 4.0 class="tl-tick" text-anchor="end">{fmt(timeline.end)}</text>
            </svg>
            <ul class="sr-only">{text_list}</ul>
            <p class="legend small muted" aria-hidden="true">
                <span class="sw tl-created"></span>" waiting "
                <span class="sw tl-queued"></span>" queued "
                <span class="sw tl-running"></span>" running "
                <span class="sw tl-pre"></span>" pre "
                <span class="sw tl-job"></span>" job "
                <span class="sw tl-post"></span>" post"
            </p>
        </section>
    }
}

#[component]
fn IoSection(
    title: &'static str,
    id: &'static str,
    ios: Vec<JobIo>,
    outputs: bool,
) -> impl IntoView {
    let empty = ios.is_empty();
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {if empty {
                view! { <p class="muted">{format!("This job type declares no {}.", title.to_ascii_lowercase())}</p> }.into_any()
            } else {
                view! {
                    <table class="jobs io" aria-labelledby=id>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Type"</th><th scope="col">"Value"</th></tr></thead>
                        <tbody>
                            {ios.into_iter().map(|io| view! {
                                <tr>
                                    <td><code>{io.name.clone()}</code></td>
                                    <td>{io.kind.clone()}</td>
                                    <td><IoValueView value=io.value.clone() outputs /></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn IoValueView(value: IoValue, outputs: bool) -> impl IntoView {
    match value {
        IoValue::Unset => view! { <span class="muted">"not set"</span> }.into_any(),
        IoValue::Property(v) => {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            view! { <span class="prewrap">{text}</span> }.into_any()
        }
        IoValue::File(f) => view! { <FileView file=*f outputs /> }.into_any(),
        IoValue::Files(fs) if fs.is_empty() => view! { <span class="muted">"no files"</span> }.into_any(),
        IoValue::Files(fs) => view! {
            <ul class="files-list">{fs.into_iter().map(|f| view! { <li><FileView file=f outputs /></li> }).collect_view()}</ul>
        }
        .into_any(),
        IoValue::Other(v) => view! { <pre class="json" tabindex="0">{serde_json::to_string_pretty(&v).unwrap_or_default()}</pre> }.into_any(),
    }
}

#[component]
fn FileView(file: ScaleFile, outputs: bool) -> impl IntoView {
    let name = file
        .file_name
        .clone()
        .unwrap_or_else(|| format!("File {}", file.id));
    let link = file.url.as_deref().and_then(safe_href).map(str::to_string);
    let mut facts: Vec<String> = Vec::new();
    if let Some(m) = &file.media_type {
        facts.push(m.clone());
    }
    if let Some(s) = file.file_size {
        facts.push(human_bytes(s));
    }
    if let Some(w) = file
        .workspace
        .as_ref()
        .and_then(|w| w.name.clone().or(w.title.clone()))
    {
        facts.push(format!("workspace {w}"));
    }
    if outputs {
        match (file.is_published, file.has_been_published) {
            (Some(true), _) => facts.push("published".into()),
            (Some(false), Some(true)) => facts.push("unpublished".into()),
            (Some(false), _) => facts.push("not published".into()),
            _ => {}
        }
    }
    if file.is_deleted == Some(true) {
        facts.push("deleted".into());
    }
    let range = match (file.data_started, file.data_ended) {
        (None, None) => None,
        (s, e) => Some((s, e)),
    };
    view! {
        <span class="file-view">
            {match link {
                Some(href) => view! { <a href=href rel="noopener noreferrer" target="_blank" class="fname">{name}</a> }.into_any(),
                None => view! { <span class="fname">{name}</span> }.into_any(),
            }}
            " "
            <span class="muted small">{facts.join(" · ")}</span>
            {range.map(|(s, e)| view! {
                <span class="muted small">" · data " <ExactTime at=s /> " – " <ExactTime at=e /></span>
            })}
        </span>
    }
}

#[component]
fn Executions(
    exes: Vec<JobExecution>,
    job_error: Option<scale_jobs_shared::JobError>,
) -> impl IntoView {
    let mut exes = exes;
    // Executions carry only `{id}` of their error; the job's own error is
    // the full object, so name it when it is the same one.
    let error_name = move |er: scale_jobs_shared::JobError| {
        let full = job_error.clone().filter(|je| je.id == er.id).unwrap_or(er);
        full.title
            .or(full.name)
            .unwrap_or_else(|| format!("Error {}", full.id))
    };
    // Newest first, whatever order the server sent.
    exes.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    let code = |c: Option<i64>| match c {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(0) => view! { <span>"0"</span> }.into_any(),
        Some(c) => view! { <span class="exit-bad">{c}</span> }.into_any(),
    };
    let phase = |s: Option<scale_jobs_shared::Timestamp>,
                 e: Option<scale_jobs_shared::Timestamp>| match (s, e) {
        (Some(s), Some(e)) => format_duration_secs((e.0 - s.0).num_seconds()),
        (Some(_), None) => "running".to_string(),
        _ => "—".to_string(),
    };
    view! {
        <section class="panel" aria-labelledby="exes-h">
            <h2 id="exes-h">"Executions"</h2>
            {if exes.is_empty() {
                view! { <p class="muted">"This job has not run yet."</p> }.into_any()
            } else {
                view! {
                    <table class="jobs" aria-labelledby="exes-h">
                        <thead><tr>
                            <th scope="col">"Execution"</th><th scope="col">"Status"</th><th scope="col">"Node"</th>
                            <th scope="col">"Started"</th><th scope="col">"Pre"</th><th scope="col">"Job"</th><th scope="col">"Post"</th>
                            <th scope="col">"Exit codes (pre / job / post)"</th><th scope="col">"Error"</th>
                        </tr></thead>
                        <tbody>
                            {exes.into_iter().map(|e| view! {
                                <tr>
                                    <td class="num">{e.id}</td>
                                    <td><StatusBadge status=e.status.clone() /></td>
                                    <td>{e.node.clone().map(|n| n.hostname.unwrap_or_else(|| format!("node {}", n.id))).unwrap_or_default()}</td>
                                    <td><RelTime at=e.started /></td>
                                    <td>{phase(e.pre_started, e.pre_completed)}</td>
                                    <td>{phase(e.job_started, e.job_completed)}</td>
                                    <td>{phase(e.post_started, e.post_completed)}</td>
                                    <td>{code(e.pre_exit_code)}" / "{code(e.job_exit_code)}" / "{code(e.post_exit_code)}</td>
                                    <td>{e.error.clone().map(error_name.clone()).unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Recipes(details: JobDetails) -> impl IntoView {
    let recipes = details.recipes;
    view! {
        <section class="panel" aria-labelledby="recipes-h">
            <h2 id="recipes-h">"Recipes"</h2>
            {if recipes.is_empty() {
                view! { <p class="muted">"This job is not part of a recipe."</p> }.into_any()
            } else {
                view! {
                    <table class="jobs" aria-labelledby="recipes-h">
                        <thead><tr><th scope="col">"Recipe"</th><th scope="col">"Type"</th><th scope="col">"Version"</th><th scope="col">"Created"</th><th scope="col">"Completed"</th><th scope="col">"Superseded"</th></tr></thead>
                        <tbody>
                            {recipes.into_iter().map(|r| {
                                let t = r.recipe_type.clone().unwrap_or_default();
                                view! {
                                    <tr>
                                        <td class="num">{r.id}</td>
                                        <td>{t.title.clone().or(t.name.clone()).unwrap_or_else(|| format!("Recipe type {}", t.id))}</td>
                                        <td>{t.version.clone().unwrap_or_default()}</td>
                                        <td><RelTime at=r.created /></td>
                                        <td>{if r.completed.is_some() { view! { <RelTime at=r.completed /> }.into_any() } else { view! { <span class="muted">"not completed"</span> }.into_any() }}</td>
                                        <td>{if r.is_superseded == Some(true) { "yes" } else { "no" }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Supersession(job: Job) -> impl IntoView {
    let link = |label: &'static str, j: Option<Box<Job>>| {
        j.map(|j| {
            let href = format!("/jobs/{}", j.id);
            let status = j.status.clone();
            view! {
                <li>
                    {label}" "<a href=href>{format!("job {}", j.id)}</a>
                    {status.map(|s| view! { " " <StatusBadge status=s /> })}
                </li>
            }
        })
    };
    let superseded = job.is_superseded == Some(true);
    let items = [
        link("Supersedes", job.superseded_job.clone()),
        link("Superseded by", job.superseded_by_job.clone()),
        link("First in the chain:", job.root_superseded_job.clone()),
    ];
    let any = items.iter().any(Option::is_some);
    view! {
        <section class="panel" aria-labelledby="chain-h">
            <h2 id="chain-h">"Supersession"</h2>
            {superseded.then(|| view! { <p><strong>"This job has been superseded"</strong>" "<RelTime at=job.superseded /></p> })}
            {if any {
                view! { <ul>{items.into_iter().flatten().collect_view()}</ul> }.into_any()
            } else {
                view! { <p class="muted">"This job neither supersedes nor is superseded by another."</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn JsonBlock(label: &'static str, value: Option<Value>) -> impl IntoView {
    match value {
        None | Some(Value::Null) => {
            view! { <p class="muted">{format!("{label}: none")}</p> }.into_any()
        }
        Some(v) => {
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            view! {
                <details class="json-block">
                    <summary>{label}</summary>
                    <pre class="json" tabindex="0">{text}</pre>
                </details>
            }
            .into_any()
        }
    }
}

/// What the last cancel attempt came to, shown under the status.
#[derive(Clone, PartialEq)]
enum Outcome {
    Done(Said),
    Failed(Said),
}

#[derive(Clone, Copy)]
struct CancelState {
    outcome: RwSignal<Option<Outcome>>,
    /// A PATCH is in flight.
    busy: RwSignal<bool>,
    dialog_open: RwSignal<bool>,
}

#[component]
fn CancelOutcome() -> impl IntoView {
    let state = use_context::<CancelState>();
    move || {
        state.and_then(|s| s.outcome.get()).map(|o| {
            // The server's piece is isolated, as the dialog isolates its
            // job type and status.
            let said = |m: Said| {
                let server = (!m.server.is_empty()).then(|| view! { <bdi>{m.server}</bdi> });
                (m.before, server, m.after)
            };
            match o {
                Outcome::Done(m) => {
                    view! { <div class="alert alert-success" role="status">{said(m)}</div> }
                        .into_any()
                }
                Outcome::Failed(m) => {
                    view! { <div class="alert alert-error" role="alert">{said(m)}</div> }.into_any()
                }
            }
        })
    }
}

#[component]
fn CancelControl(
    job: Job,
    data: RwSignal<Option<JobDetails>>,
    on_reload: Callback<()>,
) -> impl IntoView {
    let app = use_app();
    let state = expect_context::<CancelState>();
    let dialog: NodeRef<leptos::html::Dialog> = NodeRef::new();
    let opener: NodeRef<leptos::html::Button> = NodeRef::new();
    let busy = state.busy;
    let id = job.id;
    let type_name = {
        let t = job.job_type.clone().unwrap_or_default();
        format!("{} {}", job.job_type_name(), t.version.unwrap_or_default())
            .trim()
            .to_string()
    };
    let status_label = crate::logic::cancel::status_in_sentence(job.status.as_ref());

    let open = move |_| {
        if let Some(d) = dialog.get() {
            if d.show_modal().is_ok() {
                state.dialog_open.set(true);
            }
        }
    };
    let close = move || {
        if let Some(d) = dialog.get() {
            d.close();
        }
        if let Some(b) = opener.get() {
            let _ = b.focus();
        }
    };
    let confirm = move |_| {
        // One PATCH, however often this fires: the guard is checked and set
        // before anything awaits.
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        state.outcome.set(None);
        let base = app.api_base();
        leptos::task::spawn_local(async move {
            let r = api::cancel_job(&base, id).await;
            match r {
                Ok(d) => {
                    let (ok, msg) = cancel_answer_message(id, d.job.status.as_ref());
                    data.set(Some(d));
                    state.outcome.set(Some(if ok {
                        Outcome::Done(msg)
                    } else {
                        Outcome::Failed(msg)
                    }));
                    if !ok {
                        on_reload.run(());
                    }
                }
                Err(e) => {
                    state
                        .outcome
                        .set(Some(Outcome::Failed(cancel_failure_message(&e))));
                    on_reload.run(());
                }
            }
            busy.set(false);
            if let Some(d) = dialog.get_untracked() {
                d.close();
            }
        });
    };

    view! {
        <button type="button" class="btn btn-danger" node_ref=opener on:click=open>"Cancel job"</button>
        <dialog node_ref=dialog class="dialog" aria-labelledby="cancel-title" aria-describedby="cancel-desc"
            on:close=move |_| {
                state.dialog_open.set(false);
                if let Some(b) = opener.get_untracked() {
                    let _ = b.focus();
                }
            }>
            <h2 id="cancel-title">{format!("Cancel job {id}?")}</h2>
            // Server text is isolated (<bdi>): a bidi control in a job type
            // name must not reorder the sentence around it.
            <p id="cancel-desc">
                {format!("Job {id} (")}<bdi>{type_name}</bdi>") is "<bdi>{status_label}</bdi>". Cancelling stops it: "
                "a running execution is killed, and the job will not be retried. This cannot be undone."
            </p>
            <div class="dialog-actions">
                <button type="button" class="btn" autofocus on:click=move |_| close() disabled=move || busy.get()>"Keep the job"</button>
                <button type="button" class="btn btn-danger" on:click=confirm disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { "Cancelling…" } else { "Confirm cancel" }}
                </button>
            </div>
        </dialog>
    }
}
