//! List answers written straight from the models, in Scale's shape.
//!
//! The models leave out absent fields; Scale's list rows carry every field
//! of their kind, null when empty (`tests/lists.rs` holds our rows' keys to
//! the recorded Scale answers'). Building a `serde_json::Value` of the page
//! and filling in the nulls, as the detail answer still does, took about a
//! third of the server's time on a page of 100 jobs (a perf profile under
//! two clients: `to_value` 16 %, the filling 9 %, writing the tree out 6 %).
//! These wrappers write the same keys and values in one pass.

use crate::db::ListKind;
use scale_jobs_shared::{Job, JobExecution, JobType, Page, ScaleFile, TriggerEvent};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Writes each named field of `$from` under its own name: an absent one
/// as null.
macro_rules! fields {
    ($out:ident, $from:ident; $($f:ident),* $(,)?) => {
        $($out.serialize_field(stringify!($f), &$from.$f)?;)*
    };
}

/// A list answer: the page envelope (both links always present) and its
/// rows as `kind` writes them.
pub struct ListPage<'a> {
    pub page: &'a Page<Job>,
    pub kind: ListKind,
}

impl Serialize for ListPage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.page;
        let mut out = s.serialize_struct("Page", 4)?;
        fields!(out, p; count, next, previous);
        let rows: Vec<Row<'_>> = p.results.iter().map(|j| Row(j, self.kind)).collect();
        out.serialize_field("results", &rows)?;
        out.end()
    }
}

/// A listed job: every job field but `node`, the lists' extra field, and
/// its job type, event, execution and files in their list forms.
struct Row<'a>(&'a Job, ListKind);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Row(j, kind) = *self;
        let mut out = s.serialize_struct("Job", 30)?;
        out.serialize_field("id", &j.id)?;
        out.serialize_field("job_type", &j.job_type.as_ref().map(ShortJobType))?;
        out.serialize_field("job_type_rev", &j.job_type_rev)?;
        out.serialize_field("event", &j.event.as_ref().map(ListEvent))?;
        fields!(out, j;
            error, status, priority, num_exes, timeout, max_tries, cpus_required,
            mem_required, disk_in_required, disk_out_required, is_superseded,
            root_superseded_job, superseded_job, superseded_by_job, delete_superseded,
            created, queued, started, ended, last_status_change, superseded, last_modified,
        );
        // Scale 5.2+ lists a node; ours are 5.0's rows, which have none, but
        // one given is not dropped.
        if let Some(node) = &j.node {
            out.serialize_field("node", node)?;
        }
        match kind {
            ListKind::Jobs => {}
            ListKind::Executions => {
                let exe = j.latest_job_exe.as_deref().map(Execution);
                out.serialize_field("latest_job_exe", &exe)?;
            }
            ListKind::Updates => {
                let files: Vec<File<'_>> = j.input_files.iter().flatten().map(File).collect();
                out.serialize_field("input_files", &files)?;
            }
        }
        out.end()
    }
}

/// A job type as lists give it: without its revision's figures.
struct ShortJobType<'a>(&'a JobType);

impl Serialize for ShortJobType<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut out = s.serialize_struct("JobType", 14)?;
        fields!(out, t;
            id, name, version, title, description, category, author_name, author_url,
            is_system, is_long_running, is_active, is_operational, is_paused, icon_code,
        );
        out.end()
    }
}

/// A trigger event as lists give it: without its description.
struct ListEvent<'a>(&'a TriggerEvent);

impl Serialize for ListEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut out = s.serialize_struct("TriggerEvent", 4)?;
        out.serialize_field("id", &e.id)?;
        out.serialize_field("type", &e.kind)?;
        fields!(out, e; rule, occurred);
        out.end()
    }
}

/// An execution with all of its fields.
struct Execution<'a>(&'a JobExecution);

impl Serialize for Execution<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut out = s.serialize_struct("JobExecution", 21)?;
        fields!(out, e;
            id, status, command_arguments, timeout, pre_started, pre_completed,
            pre_exit_code, job_started, job_completed, job_exit_code, post_started,
            post_completed, post_exit_code, created, queued, started, ended,
            last_modified, job, node, error,
        );
        out.end()
    }
}

/// A file with all of its fields; a product's fields too when it is one
/// (it names the job that made it), else only those it has.
struct File<'a>(&'a ScaleFile);

impl Serialize for File<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut out = s.serialize_struct("ScaleFile", 26)?;
        fields!(out, f;
            id, workspace, file_name, media_type, file_size, data_type, is_deleted, uuid,
            url, created, deleted, data_started, data_ended, geometry, center_point,
            meta_data, countries, last_modified,
        );
        let product = f.job.is_some();
        macro_rules! product_fields {
            ($($p:ident),*) => {$(
                if product || f.$p.is_some() {
                    out.serialize_field(stringify!($p), &f.$p)?;
                }
            )*};
        }
        product_fields!(
            is_operational,
            is_published,
            has_been_published,
            published,
            unpublished,
            job_type,
            job,
            job_exe
        );
        out.end()
    }
}
