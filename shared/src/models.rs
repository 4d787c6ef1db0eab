//! Serde models of everything the five job endpoints return.
//!
//! Every field except `id` is optional: real servers omit fields by version
//! (5.5+ drops `cpus_required` from lists; 5.2+ adds `node`) and send null
//! freely. Unknown fields are ignored. The same object has a small form
//! (`{"id": 5}`) in some places and a full form in others, so one struct with
//! optional fields serves both.
//!
//! Encoding omits absent fields, so a reference encodes back to `{"id": 5}`.

use crate::status::{ErrorCategory, JobStatus};
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_with::skip_serializing_none;

/// A list that may arrive as `null`: decodes to empty.
fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A value that may arrive as `null`: decodes to its default.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list of strings in which a server may put nulls: the nulls are dropped
/// rather than failing the whole document.
fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Option::<Vec<Option<String>>>::deserialize(d)?.map(|v| v.into_iter().flatten().collect()))
}

/// The page envelope of every list endpoint.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    #[serde(
        deserialize_with = "nullable_vec",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub results: Vec<T>,
}

/// A bare reference to another object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdRef {
    pub id: i64,
}

/// A job type: the short form in lists, the long form in details.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobType {
    pub id: i64,
    pub name: Option<String>,
    pub version: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
    pub is_system: Option<bool>,
    pub is_long_running: Option<bool>,
    pub is_active: Option<bool>,
    pub is_operational: Option<bool>,
    pub is_paused: Option<bool>,
    pub icon_code: Option<String>,
    // Detail form only.
    pub uses_docker: Option<bool>,
    pub docker_privileged: Option<bool>,
    pub docker_image: Option<String>,
    pub revision_num: Option<i64>,
    pub priority: Option<i64>,
    pub max_scheduled: Option<i64>,
    pub timeout: Option<i64>,
    pub max_tries: Option<i64>,
    pub cpus_required: Option<f64>,
    pub mem_required: Option<f64>,
    pub shared_mem_required: Option<f64>,
    pub disk_out_const_required: Option<f64>,
    pub disk_out_mult_required: Option<f64>,
    pub created: Option<Timestamp>,
    pub archived: Option<Timestamp>,
    pub paused: Option<Timestamp>,
    pub last_modified: Option<Timestamp>,
    /// Present in the job type details endpoint's form.
    pub interface: Option<JobInterface>,
}

impl JobType {
    /// What a person calls this type: its title, else its name, else its id.
    pub fn display_name(&self) -> String {
        type_display_name(self.id, self.title.as_deref(), self.name.as_deref())
    }
}

fn type_display_name(id: i64, title: Option<&str>, name: Option<&str>) -> String {
    title
        .filter(|t| !t.trim().is_empty())
        .or(name.filter(|n| !n.trim().is_empty()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("Job type {id}"))
}

/// A job type interface (any schema version; Scale upgrades it to the
/// newest). Lists the settings, mounts and env vars as raw JSON, since their
/// shape changed across versions and nothing here interprets them.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobInterface {
    pub version: Option<String>,
    pub command: Option<String>,
    pub command_arguments: Option<String>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub input_data: Vec<InterfaceInput>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub output_data: Vec<InterfaceOutput>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub settings: Vec<Value>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub env_vars: Vec<Value>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub mounts: Vec<Value>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub shared_resources: Vec<Value>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InterfaceInput {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub required: Option<bool>,
    pub partial: Option<bool>,
    #[serde(default, deserialize_with = "lenient_strings")]
    pub media_types: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InterfaceOutput {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub required: Option<bool>,
    pub media_type: Option<String>,
}

/// The job type revision a job was scheduled with.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobTypeRevision {
    pub id: i64,
    pub job_type: Option<IdRef>,
    pub revision_num: Option<i64>,
    pub interface: Option<JobInterface>,
    pub created: Option<Timestamp>,
}

/// A trigger rule; `{id}` in lists, with name and configuration in details.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TriggerRule {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub is_active: Option<bool>,
    pub configuration: Option<Value>,
}

/// The event that caused a job (or recipe) to be created.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TriggerEvent {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub rule: Option<TriggerRule>,
    pub occurred: Option<Timestamp>,
    pub description: Option<Value>,
}

/// An error that failed a job or execution; `{id}` where only referenced.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobError {
    pub id: i64,
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<ErrorCategory>,
    pub is_builtin: Option<bool>,
    pub created: Option<Timestamp>,
    pub last_modified: Option<Timestamp>,
}

/// A cluster node; `{id}` in most places, with its host in execution lists.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Node {
    pub id: i64,
    pub hostname: Option<String>,
    pub port: Option<i64>,
    pub slave_id: Option<String>,
}

/// One execution (attempt) of a job, with its pre/job/post phases.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobExecution {
    pub id: i64,
    pub status: Option<JobStatus>,
    pub command_arguments: Option<String>,
    pub timeout: Option<i64>,
    pub pre_started: Option<Timestamp>,
    pub pre_completed: Option<Timestamp>,
    pub pre_exit_code: Option<i64>,
    pub job_started: Option<Timestamp>,
    pub job_completed: Option<Timestamp>,
    pub job_exit_code: Option<i64>,
    pub post_started: Option<Timestamp>,
    pub post_completed: Option<Timestamp>,
    pub post_exit_code: Option<i64>,
    pub created: Option<Timestamp>,
    pub queued: Option<Timestamp>,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub last_modified: Option<Timestamp>,
    /// `{id}` inside a job; a short job object in the execution list.
    pub job: Option<Box<Job>>,
    pub node: Option<Node>,
    pub error: Option<JobError>,
}

/// A workspace (storage location) of a file.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Workspace {
    pub id: i64,
    pub name: Option<String>,
    pub title: Option<String>,
}

/// A Scale file (source or product). The product fields (`is_published`,
/// `job`, ...) are present on job outputs only. File objects carry more keys
/// by version (`countries`, `job_type`, ...); unknown ones are ignored.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScaleFile {
    pub id: i64,
    pub workspace: Option<Workspace>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub file_size: Option<i64>,
    #[serde(default, deserialize_with = "lenient_strings")]
    pub data_type: Option<Vec<String>>,
    pub is_deleted: Option<bool>,
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub created: Option<Timestamp>,
    pub deleted: Option<Timestamp>,
    pub data_started: Option<Timestamp>,
    pub data_ended: Option<Timestamp>,
    pub geometry: Option<String>,
    pub center_point: Option<String>,
    pub meta_data: Option<Value>,
    #[serde(default, deserialize_with = "lenient_strings")]
    pub countries: Option<Vec<String>>,
    pub last_modified: Option<Timestamp>,
    // Product files only.
    pub is_operational: Option<bool>,
    pub is_published: Option<bool>,
    pub has_been_published: Option<bool>,
    pub published: Option<Timestamp>,
    pub unpublished: Option<Timestamp>,
    pub job_type: Option<IdRef>,
    pub job: Option<IdRef>,
    pub job_exe: Option<IdRef>,
}

/// The product form of a file: the same object with its product fields set.
pub type ProductFile = ScaleFile;

/// Decodes a JSON value as `T` by way of its text. `serde_json::from_value`
/// would be direct, but it instantiates all of `T`'s decoding a second time
/// (for the `Value` deserializer); the text path reuses the one every page
/// already has, which matters for the WebAssembly bundle's size.
fn reparse<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_str(&value.to_string()).ok()
}

/// The value of one job input or output.
#[derive(Debug, Clone, PartialEq)]
pub enum IoValue {
    /// `null`: the input or output has no value.
    Unset,
    /// A `property` value: a string, number or boolean.
    Property(Value),
    /// A `file` value.
    File(Box<ScaleFile>),
    /// A `files` value.
    Files(Vec<ScaleFile>),
    /// Anything else, kept exactly as sent.
    Other(Value),
}

impl IoValue {
    /// Interprets a raw value by the declared type. File shapes are only
    /// taken as files when every element decodes; otherwise the value is
    /// kept raw so nothing is lost.
    pub fn from_raw(kind: &str, value: Value) -> IoValue {
        match value {
            Value::Null => IoValue::Unset,
            Value::Object(_) if kind != "property" => match reparse::<ScaleFile>(&value) {
                Some(f) => IoValue::File(Box::new(f)),
                None => IoValue::Other(value),
            },
            Value::Array(ref items) if kind != "property" && items.iter().all(Value::is_object) => {
                match reparse::<Vec<ScaleFile>>(&value) {
                    Some(f) => IoValue::Files(f),
                    None => IoValue::Other(value),
                }
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => IoValue::Property(value),
            other => IoValue::Other(other),
        }
    }

    pub fn to_raw(&self) -> Value {
        match self {
            IoValue::Unset => Value::Null,
            IoValue::Property(v) | IoValue::Other(v) => v.clone(),
            IoValue::File(f) => serde_json::to_value(f).unwrap_or(Value::Null),
            IoValue::Files(f) => serde_json::to_value(f).unwrap_or(Value::Null),
        }
    }
}

/// One `{name, type, value}` entry of a job's `inputs` or `outputs`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobIo {
    pub name: String,
    /// `property`, `file`, `files`, or whatever a newer server sends.
    pub kind: String,
    pub value: IoValue,
}

#[derive(Serialize, Deserialize)]
struct RawIo {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    value: Value,
}

impl<'de> Deserialize<'de> for JobIo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawIo::deserialize(d)?;
        let kind = raw.kind.unwrap_or_default();
        Ok(JobIo {
            name: raw.name.unwrap_or_default(),
            value: IoValue::from_raw(&kind, raw.value),
            kind,
        })
    }
}

impl Serialize for JobIo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawIo {
            name: Some(self.name.clone()),
            kind: Some(self.kind.clone()),
            value: self.value.to_raw(),
        }
        .serialize(s)
    }
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecipeType {
    pub id: i64,
    pub name: Option<String>,
    pub version: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecipeTypeRevision {
    pub id: i64,
    pub recipe_type: Option<IdRef>,
    pub revision_num: Option<i64>,
}

/// A recipe (a graph of jobs) that a job belongs to.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Recipe {
    pub id: i64,
    pub recipe_type: Option<RecipeType>,
    pub recipe_type_rev: Option<RecipeTypeRevision>,
    pub event: Option<TriggerEvent>,
    pub is_superseded: Option<bool>,
    pub root_superseded_recipe: Option<IdRef>,
    pub superseded_recipe: Option<IdRef>,
    pub superseded_by_recipe: Option<IdRef>,
    pub created: Option<Timestamp>,
    pub completed: Option<Timestamp>,
    pub superseded: Option<Timestamp>,
    pub last_modified: Option<Timestamp>,
}

/// Defines [`Job`] and, from the same field list, the flat form a detail
/// body is decoded through. `#[serde(flatten)]` would do the same, but it
/// buffers every value and instantiates all of `Job`'s decoding a second
/// time for the buffer, which costs the WebAssembly bundle tens of KiB.
macro_rules! job_with_fields {
    ($($(#[$m:meta])* $f:ident : $t:ty,)*) => {
        /// A job as listed by `/jobs/`, `/jobs/updates/` and `/jobs/executions/`.
        ///
        /// The latter two add one field each (`input_files`, `latest_job_exe`);
        /// they are optional here rather than three near-identical structs, which
        /// also keeps decoding of 1000-row pages free of `flatten` buffering.
        #[skip_serializing_none]
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        pub struct Job {
            pub id: i64,
            $($(#[$m])* pub $f: $t,)*
        }

        /// A detail body, flat, as it arrives.
        #[derive(Deserialize)]
        struct FlatDetails {
            id: i64,
            $($f: $t,)*
            data: Option<Value>,
            results: Option<Value>,
            #[serde(default, deserialize_with = "nullable_vec")]
            recipes: Vec<Recipe>,
            #[serde(default, deserialize_with = "nullable_vec")]
            job_exes: Vec<JobExecution>,
            #[serde(default, deserialize_with = "nullable_vec")]
            inputs: Vec<JobIo>,
            #[serde(default, deserialize_with = "nullable_vec")]
            outputs: Vec<JobIo>,
        }

        impl From<FlatDetails> for JobDetails {
            fn from(d: FlatDetails) -> JobDetails {
                JobDetails {
                    job: Job { id: d.id, $($f: d.$f,)* },
                    data: d.data,
                    results: d.results,
                    recipes: d.recipes,
                    job_exes: d.job_exes,
                    inputs: d.inputs,
                    outputs: d.outputs,
                }
            }
        }
    };
}

job_with_fields! {
        job_type: Option<JobType>,
        job_type_rev: Option<JobTypeRevision>,
        event: Option<TriggerEvent>,
        error: Option<JobError>,
        status: Option<JobStatus>,
        priority: Option<i64>,
        num_exes: Option<i64>,
        timeout: Option<i64>,
        max_tries: Option<i64>,
        cpus_required: Option<f64>,
        mem_required: Option<f64>,
        disk_in_required: Option<f64>,
        disk_out_required: Option<f64>,
        is_superseded: Option<bool>,
        /// `{id}` in lists; a short job object in details.
        root_superseded_job: Option<Box<Job>>,
        superseded_job: Option<Box<Job>>,
        superseded_by_job: Option<Box<Job>>,
        delete_superseded: Option<bool>,
        created: Option<Timestamp>,
        queued: Option<Timestamp>,
        started: Option<Timestamp>,
        ended: Option<Timestamp>,
        last_status_change: Option<Timestamp>,
        superseded: Option<Timestamp>,
        last_modified: Option<Timestamp>,
        /// Scale 5.2+ lists the node a job ran on.
        node: Option<Node>,
        /// `/jobs/executions/` only.
        latest_job_exe: Option<Box<JobExecution>>,
        /// `/jobs/updates/` only.
        input_files: Option<Vec<ScaleFile>>,
}

/// A job as listed by `/jobs/updates/` (with `input_files`).
pub type JobUpdate = Job;
/// A job as listed by `/jobs/executions/` (with `latest_job_exe`).
pub type JobWithExecution = Job;

impl Job {
    pub fn job_type_name(&self) -> String {
        or_unknown_type(self.job_type.as_ref().map(JobType::display_name))
    }
}

/// What a job without a job type is called.
fn or_unknown_type(name: Option<String>) -> String {
    name.unwrap_or_else(|| "Unknown job type".to_string())
}

/// A job of a list as a table row or a widget shows it: the fields of
/// [`Job`] that they read, and no others.
///
/// Every listed job carries its whole job type, trigger event, revision and
/// resource figures. A page of 1000 decodes in about a third less time
/// without them (3.5 against 5.2 ms natively; 17-21 against 24-33 ms in a
/// cold WebAssembly page). Fields mean what they mean on [`Job`], and the
/// fixture tests check that both read them alike from every real list. A
/// bad value in a field left out no longer fails the whole page, which a
/// list that never shows that field has no reason to do.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub job_type: Option<JobTypeBrief>,
    pub status: Option<JobStatus>,
    pub priority: Option<i64>,
    pub num_exes: Option<i64>,
    pub max_tries: Option<i64>,
    pub error: Option<JobError>,
    pub created: Option<Timestamp>,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub last_status_change: Option<Timestamp>,
    pub last_modified: Option<Timestamp>,
    pub node: Option<Node>,
    /// `/jobs/executions/` only.
    pub latest_job_exe: Option<Box<JobExecution>>,
    /// `/jobs/updates/` only.
    pub input_files: Option<Vec<ScaleFile>>,
}

/// The part of a [`JobType`] a list row shows.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct JobTypeBrief {
    pub id: i64,
    pub name: Option<String>,
    pub version: Option<String>,
    pub title: Option<String>,
    pub category: Option<String>,
}

impl JobTypeBrief {
    /// As [`JobType::display_name`].
    pub fn display_name(&self) -> String {
        type_display_name(self.id, self.title.as_deref(), self.name.as_deref())
    }
}

impl JobRow {
    /// As [`Job::job_type_name`].
    pub fn job_type_name(&self) -> String {
        or_unknown_type(self.job_type.as_ref().map(JobTypeBrief::display_name))
    }
}

/// `GET /jobs/{id}/`: the job with its data, results, recipes, executions
/// (newest first), inputs and outputs.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct JobDetails {
    #[serde(flatten)]
    pub job: Job,
    pub data: Option<Value>,
    pub results: Option<Value>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub recipes: Vec<Recipe>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub job_exes: Vec<JobExecution>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub inputs: Vec<JobIo>,
    #[serde(default, deserialize_with = "nullable_vec")]
    pub outputs: Vec<JobIo>,
}

impl<'de> Deserialize<'de> for JobDetails {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        FlatDetails::deserialize(d).map(JobDetails::from)
    }
}

/// An error body: `{"detail": "..."}`. `detail` is usually a string, but
/// Django REST Framework can send a list or object; it is kept as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub detail: Value,
}

impl ErrorBody {
    pub fn new(detail: impl Into<String>) -> Self {
        ErrorBody {
            detail: Value::String(detail.into()),
        }
    }

    /// The detail as one line of text.
    pub fn message(&self) -> String {
        match &self.detail {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// The body of the cancel request: `{"status": "CANCELED"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUpdateRequest {
    pub status: JobStatus,
}

impl JobUpdateRequest {
    pub fn cancel() -> Self {
        JobUpdateRequest {
            status: JobStatus::Canceled,
        }
    }
}
