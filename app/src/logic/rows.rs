//! The list tables' rows as HTML text, built in one pass.
//!
//! Why text and not Leptos views: a page of 1000 jobs as views costs about
//! twelve thousand DOM calls from wasm, each string crossing the JS boundary
//! through a `TextDecoder`, plus a reactive owner per row that the list
//! keeps alive. The rows are static (times are updated by the page's
//! one time walker), so the page builds them as one string, hands it to the
//! browser's HTML parser in one call, and keys the resulting rows itself
//! (see `pages::list`). That measured 4-5x faster than `<For>` rows
//! (`cargo xtask bench render`) and cut the bundle.
//!
//! Why `<div>`s and not `<tr>`s: the lists are ARIA tables (`role` table,
//! rowgroup, row, columnheader, cell) laid out by the CSS table model
//! (`style/main.css`), and a row is `<div role="row">` with a
//! `<div role="cell">` per column, holding only `span`s, `a`s and `div`s;
//! a time is a `<span data-datetime>`, not a `<time>`. Chromium parses
//! `innerHTML` made of such tags on its fast path (no tokenizer or tree
//! builder) and table elements, `<time>` or `<wbr>` on its full parser:
//! 1000 rows of the jobs list in 16-20 ms against 35-45 in fresh tabs, and
//! a cold 1000-row render 59.5 -> 49.3 ms (`--compare`, 16 pairs). The
//! break opportunities in host and file names are empty spans rather than
//! `<wbr>`s for the same reason (see [`text_breaking_after`]);
//! `rows_stay_on_the_parsers_fast_path` holds all three lists to the fast
//! path's tags.
//!
//! Every piece of server text goes through [`text`] or [`attr`]; the only
//! link is `/jobs/{id}` with a numeric id. Tests below feed hostile strings.

use crate::components::status::{error_category_modifier, status_look};
use crate::logic::format::{
    human_bytes, is_tries_maximum, push_duration_secs, push_exact_time, push_num,
    push_relative_time, push_rfc3339,
};
use crate::logic::listing::ListKind;
use chrono::{DateTime, FixedOffset, Utc};
use scale_jobs_shared::{sort_fields as sf, JobRow, JobStatus, Timestamp};
use std::fmt::Write as _;

/// What one column shows and how it sorts.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Col {
    Id,
    JobType,
    Status,
    Priority,
    Created,
    LastModified,
    LastStatusChange,
    Duration,
    Tries,
    Error,
    InputFiles,
    ExeStatus,
    Node,
    ExitCode,
    RunTime,
}

impl Col {
    pub fn label(self) -> &'static str {
        match self {
            Col::Id => "ID",
            Col::JobType => "Job type",
            Col::Status => "Status",
            Col::Priority => "Priority",
            Col::Created => "Created",
            Col::LastModified => "Last modified",
            Col::LastStatusChange => "Status changed",
            Col::Duration => "Duration",
            Col::Tries => "Tries",
            Col::Error => "Error",
            Col::InputFiles => "Input files",
            Col::ExeStatus => "Execution",
            Col::Node => "Node",
            Col::ExitCode => "Exit code",
            Col::RunTime => "Run time",
        }
    }

    /// The header cell's class, which sets the column's width: the list
    /// tables have fixed column widths (see `style/main.css`), so a column
    /// keeps its width from page to page and refresh to refresh.
    pub fn class(self) -> &'static str {
        match self {
            Col::Id => "c-id",
            Col::JobType => "c-type",
            Col::Status | Col::ExeStatus => "c-status",
            Col::Priority => "c-prio",
            Col::Created => "c-created",
            Col::LastModified => "c-modified",
            Col::LastStatusChange => "c-changed",
            Col::Duration | Col::RunTime => "c-dur",
            Col::Tries => "c-tries",
            Col::Error => "c-error",
            Col::InputFiles => "c-files",
            Col::Node => "c-node",
            Col::ExitCode => "c-exit",
        }
    }

    pub fn sort_field(self) -> Option<&'static str> {
        Some(match self {
            Col::Id => sf::ID,
            Col::JobType => sf::JOB_TYPE_NAME,
            Col::Status => sf::STATUS,
            Col::Priority => sf::PRIORITY,
            Col::Created => sf::CREATED,
            Col::LastModified => sf::LAST_MODIFIED,
            Col::LastStatusChange => sf::LAST_STATUS_CHANGE,
            Col::Duration => sf::STARTED,
            Col::Tries => sf::NUM_EXES,
            Col::Error => sf::ERROR_CATEGORY,
            _ => return None,
        })
    }

    pub fn for_kind(kind: ListKind) -> &'static [Col] {
        match kind {
            ListKind::Jobs => &[
                Col::Id,
                Col::JobType,
                Col::Status,
                Col::Priority,
                Col::Created,
                Col::LastModified,
                Col::Duration,
                Col::Tries,
                Col::Error,
            ],
            ListKind::Executions => &[
                Col::Id,
                Col::JobType,
                Col::Status,
                Col::ExeStatus,
                Col::Node,
                Col::ExitCode,
                Col::RunTime,
                Col::LastModified,
                Col::Tries,
                Col::Error,
            ],
            ListKind::Updates => &[
                Col::Id,
                Col::JobType,
                Col::Status,
                Col::LastStatusChange,
                Col::InputFiles,
                Col::Priority,
                Col::Duration,
                Col::Error,
            ],
        }
    }
}

/// Appends `s` as HTML text: `&`, `<` and `>` escaped.
pub fn text(out: &mut String, s: &str) {
    escape(out, s, false);
}

/// Appends `s` for a double-quoted attribute value: quotes escaped too.
pub fn attr(out: &mut String, s: &str) {
    escape(out, s, true);
}

fn escape(out: &mut String, s: &str, quotes: bool) {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' if quotes => "&quot;",
            '\'' if quotes => "&#39;",
            c if c.is_ascii() => continue,
            // A reference to one of these reads as another character: the
            // HTML parser maps `&#128;` to `€` (Windows-1252). Written raw,
            // they stay the server's (and rare enough not to matter for
            // the ASCII fast path below).
            '\u{80}'..='\u{9f}' => continue,
            c => {
                out.push_str(&s[last..i]);
                push_char_ref(out, c);
                last = i + c.len_utf8();
                continue;
            }
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// `c` as a numeric character reference. The rows' HTML is ASCII (but for
/// the C1 controls, see `escape`): wasm-bindgen hands it to the browser
/// through a `TextDecoder`, which decodes ASCII on its fast path into a
/// one-byte string, where one non-ASCII character anywhere made the whole
/// text two bytes a character (a 1000-row page: 0.7 MB of text, decoded in
/// 2.5-3 ms against 0.7).
fn push_char_ref(out: &mut String, c: char) {
    out.push_str("&#");
    push_num(out, i64::from(u32::from(c)), 1);
    out.push(';');
}

/// `s` as text with a break opportunity after each `sep`: in a narrow
/// column a long name then wraps between its parts before it wraps at
/// whatever letter the width runs out. A host name at its dots
/// (`scale-agent-06.` / `prod.example.` / `com`, not `...example.c` /
/// `om`); a file name at its underscores (`LC08_L1TP_186034_` /
/// `20261129_01_RT.TIF`, not `..._01_RT.T` / `IF`), which, unlike
/// hyphens, browsers do not break after on their own.
///
/// The opportunity is `<span class="wbr"></span>`, whose `::after` is a
/// zero-width space (`style/main.css`): it breaks a line as `<wbr>` does,
/// and, being generated content, is neither in the text a reader copies
/// nor in `textContent`; a `<wbr>` would send the whole page to the full
/// HTML parser (see the module's notes).
fn text_breaking_after(out: &mut String, s: &str, sep: char) {
    for part in s.split_inclusive(sep) {
        text(out, part);
        if part.ends_with(sep) {
            out.push_str(WBR);
        }
    }
}

/// A line-break opportunity, see [`text_breaking_after`].
const WBR: &str = "<span class=\"wbr\"></span>";

/// The opening of a cell, `rest` (its attributes, `>` and what follows)
/// added, as one literal: every cell of every row begins here, so the
/// rows' markup names the cell element in one place.
macro_rules! cell {
    ($rest:literal) => {
        concat!("<div role=\"cell\"", $rest)
    };
}

/// What a row needs besides its job: the clock and the chosen time zone.
pub struct RowCtx<'a> {
    pub now: DateTime<Utc>,
    /// The offset to show an instant in (`None`: UTC).
    pub offset: &'a dyn Fn(DateTime<Utc>) -> Option<FixedOffset>,
}

/// The row of one job, for the columns of `kind`.
pub fn row_html(out: &mut String, job: &JobRow, cols: &[Col], cx: &RowCtx<'_>) {
    out.push_str("<div role=\"row\">");
    for &col in cols {
        cell(out, job, col, cx);
    }
    out.push_str("</div>");
}

fn muted_dash(out: &mut String, class: &str) {
    out.push_str(cell!(""));
    out.push_str(class);
    out.push_str("><span class=\"muted\">&#8212;</span></div>");
}

/// The `RelTime` component's markup, but a `<span>` whose time is in
/// `data-datetime` (a `<time>` would take the page off the parser's fast
/// path, see above); the page's time walker keeps either current.
fn time_cell(out: &mut String, at: Option<Timestamp>, cx: &RowCtx<'_>) {
    let Some(Timestamp(t)) = at else {
        return muted_dash(out, "");
    };
    // The three formatters write digits, ASCII words and `-+:.TZ` only:
    // nothing there to escape.
    out.push_str(cell!("><span data-datetime=\""));
    let at = out.len();
    push_rfc3339(out, t);
    out.push_str("\" title=\"");
    let offset = (cx.offset)(t);
    // In UTC the title's date and time are the attribute's, `T` made a
    // space: copied rather than worked out from the instant again.
    match out.as_bytes().get(at..at + 19) {
        Some(same) if offset.is_none() && same[10] == b'T' => {
            let mut b = [0u8; 19];
            b.copy_from_slice(same);
            b[10] = b' ';
            out.push_str(std::str::from_utf8(&b).unwrap_or_default());
            out.push_str(" UTC");
        }
        _ => push_exact_time(out, t, offset),
    }
    out.push_str("\">");
    push_relative_time(out, t, cx.now);
    out.push_str("</span></div>");
}

/// Total run time, or the running time so far (same markup as `Since`).
fn duration_cell(
    out: &mut String,
    started: Option<Timestamp>,
    ended: Option<Timestamp>,
    status: Option<&JobStatus>,
    cx: &RowCtx<'_>,
) {
    match (started, ended) {
        (Some(s), Some(e)) => {
            out.push_str(cell!(" class=\"num\">"));
            push_duration_secs(out, (e.0 - s.0).num_seconds());
            out.push_str("</div>");
        }
        (Some(s), None) if matches!(status, Some(JobStatus::Running)) => {
            out.push_str(cell!(
                " class=\"num\" title=\"Running so far\"><span data-since=\""
            ));
            push_rfc3339(out, s.0);
            out.push_str("\" data-prefix=\"\" data-suffix=\" &#8230;\">");
            push_duration_secs(out, (cx.now - s.0).num_seconds());
            out.push_str(" &#8230;</span></div>");
        }
        _ => muted_dash(out, " class=\"num\""),
    }
}

/// Same markup as the `StatusBadge` component.
pub fn status_badge(out: &mut String, status: Option<&JobStatus>) {
    // Built only when needed: a row with a status allocates nothing here.
    let unknown;
    let status = match status {
        Some(s) => s,
        None => {
            unknown = JobStatus::Unknown("Unknown".into());
            &unknown
        }
    };
    let (icon, modifier) = status_look(status);
    out.push_str("<span class=\"badge status-");
    out.push_str(modifier);
    out.push_str("\"><span class=\"badge-icon\" aria-hidden=\"true\">");
    text(out, icon);
    out.push_str("</span><span class=\"badge-text\">");
    text(out, status.label());
    out.push_str("</span></span>");
}

fn num_cell(out: &mut String, class: &str, value: Option<i64>) {
    out.push_str(cell!(" class=\""));
    out.push_str(class);
    out.push_str("\">");
    if let Some(v) = value {
        push_num(out, v, 1);
    }
    out.push_str("</div>");
}

fn cell(out: &mut String, j: &JobRow, col: Col, cx: &RowCtx<'_>) {
    match col {
        Col::Id => {
            out.push_str(cell!(" class=\"num\"><a href=\"/jobs/"));
            push_num(out, j.id, 1);
            out.push_str("\">");
            push_num(out, j.id, 1);
            out.push_str("</a></div>");
        }
        Col::JobType => {
            let t = j.job_type.as_ref();
            let version = t.and_then(|t| t.version.as_deref()).unwrap_or_default();
            out.push_str(cell!(" class=\"jobtype\" title=\""));
            if let Some(n) = t.and_then(|t| t.name.as_deref()) {
                attr(out, n);
                out.push(' ');
                attr(out, version);
            }
            out.push_str("\"><span class=\"jt-name\">");
            text(out, &j.job_type_name());
            out.push_str("</span> <span class=\"muted small\">");
            text(out, version);
            out.push_str("</span></div>");
        }
        Col::Status => {
            out.push_str(cell!(">"));
            status_badge(out, j.status.as_ref());
            out.push_str("</div>");
        }
        Col::Priority => num_cell(out, "num", j.priority),
        Col::Created => time_cell(out, j.created, cx),
        Col::LastModified => time_cell(out, j.last_modified, cx),
        Col::LastStatusChange => time_cell(out, j.last_status_change, cx),
        Col::Duration => duration_cell(out, j.started, j.ended, j.status.as_ref(), cx),
        Col::Tries => {
            // A maximum under one (see `is_tries_maximum`) is left out of
            // the cell and said in its title: "1 / 0" reads as broken.
            match (j.num_exes, j.max_tries) {
                (Some(n), Some(m)) if is_tries_maximum(m) => {
                    out.push_str(cell!(" class=\"num\">"));
                    push_num(out, n, 1);
                    out.push_str(" / ");
                    push_num(out, m, 1);
                }
                (Some(n), Some(m)) => {
                    out.push_str(cell!(" class=\"num\" title=\"Maximum tries given as "));
                    push_num(out, m, 1);
                    out.push_str("\">");
                    push_num(out, n, 1);
                }
                (Some(n), None) => {
                    out.push_str(cell!(" class=\"num\">"));
                    push_num(out, n, 1);
                }
                (None, _) => out.push_str(cell!(" class=\"num\">")),
            }
            out.push_str("</div>");
        }
        Col::Error => match &j.error {
            Some(e) if j.status.as_ref().is_none_or(|s| *s == JobStatus::Failed) => {
                out.push_str(cell!(" class=\"error-cell\">"));
                if let Some(c) = &e.category {
                    let _ = write!(
                        out,
                        "<span class=\"errcat errcat-{}\">",
                        error_category_modifier(c)
                    );
                    text(out, c.label());
                    out.push_str("</span>");
                }
                out.push_str(" <span class=\"err-title\">");
                text(
                    out,
                    e.title.as_deref().or(e.name.as_deref()).unwrap_or_default(),
                );
                out.push_str("</span></div>");
            }
            _ => out.push_str(cell!("></div>")),
        },
        Col::InputFiles => {
            let files = j.input_files.as_deref().unwrap_or_default();
            out.push_str(cell!(" class=\"files\">"));
            for f in files.iter().take(3) {
                out.push_str("<div class=\"file\"><span class=\"fname\">");
                match &f.file_name {
                    Some(n) => text_breaking_after(out, n, '_'),
                    None => {
                        let _ = write!(out, "file {}", f.id);
                    }
                }
                out.push_str("</span> <span class=\"muted small\">");
                if let Some(size) = f.file_size {
                    // A size is one token: "614 MiB" must not wrap as
                    // "614" / "MiB".
                    text(out, &human_bytes(size).replace(' ', "\u{a0}"));
                }
                out.push_str("</span></div>");
            }
            match files.len() {
                0 => out.push_str("<span class=\"muted\">none</span>"),
                n if n > 3 => {
                    let _ = write!(out, "<div class=\"muted small\">+{} more</div>", n - 3);
                }
                _ => {}
            }
            out.push_str("</div>");
        }
        Col::ExeStatus => match j.latest_job_exe.as_deref() {
            Some(e) => {
                out.push_str(cell!(">"));
                status_badge(out, e.status.as_ref());
                let _ = write!(out, "<span class=\"muted small\"> #{}</span></div>", e.id);
            }
            None => out.push_str(cell!(" class=\"muted\">none</div>")),
        },
        Col::Node => {
            let node = j
                .latest_job_exe
                .as_ref()
                .and_then(|e| e.node.as_ref())
                .or(j.node.as_ref());
            out.push_str(cell!(">"));
            if let Some(n) = node {
                match &n.hostname {
                    Some(h) => text_breaking_after(out, h, '.'),
                    None => {
                        let _ = write!(out, "node {}", n.id);
                    }
                }
            }
            out.push_str("</div>");
        }
        Col::ExitCode => {
            let e = j.latest_job_exe.as_ref();
            let code = e.and_then(|e| e.job_exit_code.or(e.post_exit_code).or(e.pre_exit_code));
            let class = if code.is_some_and(|c| c != 0) {
                "num exit-bad"
            } else {
                "num"
            };
            num_cell(out, class, code);
        }
        Col::RunTime => {
            let e = j.latest_job_exe.as_ref();
            duration_cell(
                out,
                e.and_then(|e| e.started),
                e.and_then(|e| e.ended),
                e.and_then(|e| e.status.as_ref()),
                cx,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::format::exact_time;
    use scale_jobs_shared::{ErrorCategory, JobError, JobExecution, JobTypeBrief, Node, ScaleFile};

    const EVIL: &str = "<img src=x onerror=alert(1)>\"'&amp;";

    fn ts(s: &str) -> Option<Timestamp> {
        Some(Timestamp(s.parse().unwrap()))
    }

    fn cx() -> RowCtx<'static> {
        RowCtx {
            now: "2024-01-01T01:00:00Z".parse().unwrap(),
            offset: &|_| None,
        }
    }

    fn render(job: &JobRow, kind: ListKind) -> String {
        let mut out = String::new();
        row_html(&mut out, job, Col::for_kind(kind), &cx());
        out
    }

    fn hostile_job() -> JobRow {
        JobRow {
            id: 7,
            job_type: Some(JobTypeBrief {
                id: 3,
                name: Some(EVIL.into()),
                title: Some(EVIL.into()),
                version: Some(EVIL.into()),
                category: Some(EVIL.into()),
            }),
            status: Some(JobStatus::Unknown(EVIL.into())),
            error: Some(JobError {
                title: Some(EVIL.into()),
                category: Some(ErrorCategory::Unknown(EVIL.into())),
                ..Default::default()
            }),
            node: Some(Node {
                id: 1,
                hostname: Some(EVIL.into()),
                ..Default::default()
            }),
            latest_job_exe: Some(Box::new(JobExecution {
                id: 9,
                status: Some(JobStatus::Unknown(EVIL.into())),
                ..Default::default()
            })),
            input_files: Some(vec![ScaleFile {
                id: 4,
                file_name: Some(EVIL.into()),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn escaping_covers_text_and_attribute_contexts() {
        let mut t = String::new();
        text(&mut t, "a<b>&\"'");
        assert_eq!(t, "a&lt;b&gt;&amp;\"'");
        let mut a = String::new();
        attr(&mut a, "a<b>&\"'");
        assert_eq!(a, "a&lt;b&gt;&amp;&quot;&#39;");
        let mut u = String::new();
        text(&mut u, "ünï → ✓ 😀<");
        assert_eq!(u, "&#252;n&#239; &#8594; &#10003; &#128512;&lt;");
        // The parser reads `&#128;`..`&#159;` as Windows-1252 characters
        // (`&#146;` as `’`): C1 controls stay as they are.
        let mut c1 = String::new();
        attr(&mut c1, "a\u{80}b\u{92}\u{9f}\u{a0}");
        assert_eq!(c1, "a\u{80}b\u{92}\u{9f}&#160;");
    }

    /// The references a row's HTML uses, read back as the browser does.
    fn unescape(html: &str) -> String {
        let mut out = String::new();
        let mut rest = html;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = at + rest[at..].find(';').expect("a reference ends with ;");
            let name = &rest[at + 1..end];
            out.push(match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                _ => {
                    let n = name.strip_prefix('#').expect("numeric reference");
                    char::from_u32(n.parse().expect("decimal")).expect("a character")
                }
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn rows_are_ascii_and_read_back_as_the_servers_text() {
        let odd = "Sentinel\u{2011}2 Atmosphärische <β> ✓ 😀 \"’";
        let mut job = hostile_job();
        if let Some(t) = job.job_type.as_mut() {
            t.title = Some(odd.into());
            t.name = Some(odd.into());
        }
        if let Some(e) = job.error.as_mut() {
            e.title = Some(odd.into());
        }
        job.started = ts("2024-01-01T00:30:00Z");
        let mut statuses: Vec<Option<JobStatus>> =
            JobStatus::ALL.iter().cloned().map(Some).collect();
        statuses.push(None);
        statuses.push(Some(JobStatus::Unknown(odd.into())));
        for status in statuses {
            for kind in ListKind::ALL {
                let job = JobRow {
                    status: status.clone(),
                    ..job.clone()
                };
                let html = render(&job, kind);
                assert!(html.is_ascii(), "{kind:?} {status:?}: {html}");
                let shown = unescape(&html);
                assert!(
                    shown.contains(&format!(">{odd}</span>")),
                    "{kind:?}: {shown}"
                );
                if let Some(s) = &status {
                    let (icon, _) = status_look(s);
                    assert!(
                        shown.contains(&format!(">{icon}</span>")),
                        "{kind:?}: {shown}"
                    );
                }
            }
        }
        let running = render(
            &JobRow {
                status: Some(JobStatus::Running),
                ..job
            },
            ListKind::Jobs,
        );
        assert!(
            unescape(&running).contains("data-suffix=\" …\">30 min …</span>"),
            "{running}"
        );
        let empty = render(&JobRow::default(), ListKind::Jobs);
        assert!(
            unescape(&empty).contains("<span class=\"muted\">—</span>"),
            "{empty}"
        );
    }

    /// Each tag of `html`: its name, and what is between its `<` and `>`.
    fn tags(html: &str) -> impl Iterator<Item = (String, &str)> {
        html.split('<').skip(1).map(|tag| {
            let inside = tag.split('>').next().unwrap_or_default();
            let name = inside
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            (name, inside)
        })
    }

    #[test]
    fn hostile_server_text_never_becomes_markup() {
        let no_status = JobRow {
            status: None,
            ..hostile_job()
        };
        for job in [hostile_job(), no_status] {
            for kind in ListKind::ALL {
                let html = render(&job, kind);
                assert!(!html.contains("<img"), "{kind:?}: {html}");
                // Every `<` left opens one of the tags this module writes,
                // and no attribute value can be closed early.
                for (name, inside) in tags(&html) {
                    assert!(
                        ["a", "span", "div"].contains(&name.as_str()),
                        "{kind:?}: unexpected tag {name:?} in {html}"
                    );
                    assert!(!inside.contains('\''), "{kind:?}: {inside}");
                    assert_eq!(inside.matches('"').count() % 2, 0, "{kind:?}: {inside}");
                }
                assert!(
                    html.contains("&lt;img src=x onerror=alert(1)&gt;"),
                    "{html}"
                );
            }
        }
        // The error cell shows when there is no status to say otherwise.
        let html = render(
            &JobRow {
                status: None,
                ..hostile_job()
            },
            ListKind::Jobs,
        );
        assert!(
            html.contains("<span class=\"errcat errcat-unknown\">&lt;img"),
            "{html}"
        );
    }

    /// Chromium's `innerHTML` fast path (html_document_parser_fastpath.cc)
    /// takes `a`, `b`, `br`, `button`, `div`, `footer`, `i`, `input`,
    /// `label`, `li`, `ol`, `option`, `p`, `select`, `span`, `strong` and
    /// `ul`, and gives up (for the full parser, at about twice the time) on
    /// any other tag, a repeated attribute or one named `on…`. A `<time>`,
    /// `<td>` or `<wbr>` back in a row would halve the parser's speed
    /// unseen.
    #[test]
    fn rows_stay_on_the_parsers_fast_path() {
        let running = JobRow {
            id: 3,
            status: Some(JobStatus::Running),
            created: ts("2024-01-01T00:00:00Z"),
            last_modified: ts("2024-01-01T00:10:00Z"),
            started: ts("2024-01-01T00:30:00Z"),
            num_exes: Some(1),
            max_tries: Some(0),
            ..Default::default()
        };
        let done = JobRow {
            status: Some(JobStatus::Completed),
            ended: ts("2024-01-01T00:40:00Z"),
            max_tries: Some(3),
            ..running.clone()
        };
        let failed = JobRow {
            status: Some(JobStatus::Failed),
            ..hostile_job()
        };
        let named = JobRow {
            node: Some(Node {
                id: 1,
                hostname: Some("scale-agent-06.prod.example.com".into()),
                ..Default::default()
            }),
            input_files: Some(vec![ScaleFile {
                id: 4,
                file_name: Some("LC08_L1TP_186034.TIF".into()),
                file_size: Some(1 << 20),
                ..Default::default()
            }]),
            ..done.clone()
        };
        let jobs = [running, done, failed, named, JobRow::default()];
        for (kind, job) in ListKind::ALL
            .into_iter()
            .flat_map(|k| jobs.iter().map(move |j| (k, j)))
        {
            let html = render(job, kind);
            for (name, inside) in tags(&html).filter(|(_, i)| !i.starts_with('/')) {
                assert!(
                    ["div", "span", "a"].contains(&name.as_str()),
                    "{kind:?}: <{name}> in {html}"
                );
                // Attribute names: what precedes each `="` (values are
                // escaped, so a `="` inside one cannot occur).
                let names: Vec<&str> = inside
                    .split("=\"")
                    .map(|p| p.rsplit(['"', ' ']).next().unwrap_or_default())
                    .filter(|n| !n.is_empty() && *n != name)
                    .collect();
                for (i, n) in names.iter().enumerate() {
                    assert!(!n.starts_with("on"), "{n} in <{inside}>");
                    assert!(!names[..i].contains(n), "{n} twice in <{inside}>");
                }
            }
        }
    }

    #[test]
    fn long_names_get_a_break_opportunity_after_each_separator() {
        let broken = |s: &str, sep| {
            let mut out = String::new();
            text_breaking_after(&mut out, s, sep);
            out.replace(WBR, "{W}")
        };
        assert_eq!(
            broken("scale-agent-06.prod.example.com", '.'),
            "scale-agent-06.{W}prod.{W}example.{W}com"
        );
        assert_eq!(broken("<b>.x&y.", '.'), "&lt;b&gt;.{W}x&amp;y.{W}");
        assert_eq!(broken("localhost", '.'), "localhost");
        assert_eq!(
            broken("LC08_L1TP_186034_20261129_01_RT.TIF", '_'),
            "LC08_{W}L1TP_{W}186034_{W}20261129_{W}01_{W}RT.TIF"
        );
        assert_eq!(broken("__<é>", '_'), "_{W}_{W}&lt;&#233;&gt;");
        assert_eq!(broken("", '_'), "");
    }

    #[test]
    fn an_input_file_wraps_at_its_underscores_and_keeps_its_size_whole() {
        let file = |name: &str, size| ScaleFile {
            id: 4,
            file_name: Some(name.into()),
            file_size: Some(size),
            ..Default::default()
        };
        let job = JobRow {
            id: 7,
            input_files: Some(vec![
                file("S2B_MSIL1C_T32UMU.zip", 643_825_664),
                file("a_b", 512),
            ]),
            ..Default::default()
        };
        let html = render(&job, ListKind::Updates).replace(WBR, "{W}");
        assert!(
            html.contains(
                "<span class=\"fname\">S2B_{W}MSIL1C_{W}T32UMU.zip</span> \
                 <span class=\"muted small\">614&#160;MiB</span>"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<span class=\"fname\">a_{W}b</span> <span class=\"muted small\">512&#160;B</span>"
            ),
            "{html}"
        );
    }

    #[test]
    fn a_jobs_row_has_its_cells_in_order() {
        let job = JobRow {
            id: 42,
            job_type: Some(JobTypeBrief {
                id: 1,
                name: Some("ingest".into()),
                title: Some("Ingest".into()),
                version: Some("1.0".into()),
                ..Default::default()
            }),
            status: Some(JobStatus::Running),
            priority: Some(3),
            created: ts("2024-01-01T00:00:00Z"),
            last_modified: ts("2024-01-01T00:59:00Z"),
            started: ts("2024-01-01T00:30:00Z"),
            num_exes: Some(1),
            max_tries: Some(3),
            ..Default::default()
        };
        let html = render(&job, ListKind::Jobs);
        assert_eq!(
            html.matches("<div role=\"cell\"").count(),
            Col::for_kind(ListKind::Jobs).len()
        );
        assert!(html.starts_with(
            "<div role=\"row\"><div role=\"cell\" class=\"num\"><a href=\"/jobs/42\">42</a></div>"
        ));
        assert!(html.contains("title=\"ingest 1.0\"><span class=\"jt-name\">Ingest</span> <span class=\"muted small\">1.0</span>"), "{html}");
        assert!(html.contains("status-running"), "{html}");
        assert!(html.contains(">1 h ago</span>"), "{html}");
        assert!(html.contains("title=\"2024-01-01 00:00:00 UTC\""), "{html}");
        assert!(html.contains(">1 min ago</span>"), "{html}");
        assert!(
            html.contains("data-since=\"2024-01-01T00:30:00Z\""),
            "{html}"
        );
        assert!(html.contains(">30 min &#8230;</span>"), "{html}");
        assert!(
            html.contains("<div role=\"cell\" class=\"num\">1 / 3</div>"),
            "{html}"
        );
        // No error on a running job, and no invented one.
        assert!(html.ends_with("<div role=\"cell\"></div></div>"), "{html}");
    }

    #[test]
    fn a_maximum_of_zero_tries_is_said_in_the_title() {
        // Scale 5.0 sends max_tries 0 for some system jobs.
        let job = JobRow {
            id: 5,
            num_exes: Some(1),
            max_tries: Some(0),
            ..Default::default()
        };
        let html = render(&job, ListKind::Jobs);
        assert!(
            html.contains(
                "<div role=\"cell\" class=\"num\" title=\"Maximum tries given as 0\">1</div>"
            ),
            "{html}"
        );
        assert!(!html.contains("1 / 0"), "{html}");
    }

    #[test]
    fn time_titles_are_the_exact_time_in_either_zone() {
        let cet = |_| FixedOffset::east_opt(3600);
        let utc = |_| None;
        let zones: [&dyn Fn(DateTime<Utc>) -> Option<FixedOffset>; 2] = [&utc, &cet];
        for at in [
            "2024-01-01T00:00:00.5Z",
            "2016-12-31T23:59:60Z",
            "+12344-02-29T01:02:03Z",
            "-0004-02-29T01:02:03Z",
        ] {
            let t: DateTime<Utc> = at.parse().unwrap();
            for offset in zones {
                let mut out = String::new();
                time_cell(&mut out, Some(Timestamp(t)), &RowCtx { now: t, offset });
                let want = format!("title=\"{}\"", exact_time(t, offset(t)));
                assert!(out.contains(&want), "{at}: {out} lacks {want}");
            }
        }
    }

    #[test]
    fn missing_values_show_as_dashes_not_inventions() {
        let html = render(
            &JobRow {
                id: 1,
                ..Default::default()
            },
            ListKind::Executions,
        );
        assert!(html.contains("Unknown job type"), "{html}");
        assert!(
            html.contains("<div role=\"cell\" class=\"muted\">none</div>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"muted\">&#8212;</span>"),
            "{html}"
        );
        assert!(!html.contains("<a href=\"http"), "{html}");
    }
}
