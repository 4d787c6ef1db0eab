//! Deterministic demo data: the same `--seed` always gives the same jobs.
//!
//! Every time is an offset from one `now` captured at start, so two runs
//! with one seed differ only by that shift. Randomness is a splitmix64
//! stream (no OS entropy): a fixed number of draws per decision keeps the
//! stream, and so the data, stable.
//!
//! The first groups are scripted (every status, every error category, 0
//! and 4 executions, a superseded chain, property/file/files inputs) so even
//! a 20-job data set is rich; the rest are drawn at random with realistic
//! weights. Active jobs are recent; finished ones spread over two weeks,
//! most of them recent.

use crate::db::{self, to_micros, Micros};
use chrono::{DateTime, Datelike, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use scale_jobs_shared::{
    ErrorCategory, IdRef, InterfaceInput, InterfaceOutput, JobError, JobInterface, JobType,
    JobTypeRevision, Node, RecipeType, Timestamp, TriggerRule, Workspace,
};
use serde_json::{json, Value};

/// One step of splitmix64: also a good 64-bit mixing function.
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small seeded PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix(seed ^ 0x5CA1E))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }

    /// An index drawn by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.next_u64() % total.max(1);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

// ---------------------------------------------------------------------------
// The catalog: job types, errors, nodes, workspaces, rules, recipe types.

/// `(name, type, required, media type)` of an interface input or output.
type Io = (&'static str, &'static str, bool, &'static str);

pub struct TypeDef {
    pub id: i64,
    pub name: &'static str,
    pub version: &'static str,
    pub title: Option<&'static str>,
    pub description: Option<&'static str>,
    pub category: &'static str,
    pub author: Option<(&'static str, &'static str)>,
    pub system: bool,
    pub long_running: bool,
    pub archived: bool,
    pub icon: &'static str,
    /// Revision count; the newest is used by most jobs.
    pub revisions: i64,
    pub priority: i64,
    pub timeout: i64,
    pub max_tries: i64,
    pub cpus: f64,
    pub mem: f64,
    pub disk_out: f64,
    pub command: &'static str,
    pub inputs: &'static [Io],
    pub outputs: &'static [Io],
    /// An output only the newest revision has (landsat8-parse 1.3.0's QA
    /// report), to make revisions visibly differ.
    pub newest_rev_only_output: Option<&'static str>,
    /// Relative frequency among random jobs.
    pub weight: u32,
    /// Run time of the job phase, in seconds.
    pub runtime: (i64, i64),
    /// Errors (ids) this type fails with besides the built-in ones.
    pub errors: &'static [i64],
    /// Event type and rule id of the events that create these jobs.
    pub event: (&'static str, Option<i64>),
    /// Recipe type these jobs can belong to.
    pub recipe_type: Option<i64>,
}

pub static TYPES: &[TypeDef] = &[
    TypeDef {
        id: 1,
        name: "scale-clock",
        version: "1.0",
        title: Some("Scale Clock"),
        description: Some(
            "Performs Scale system functions that need to be executed on regular time intervals",
        ),
        category: "system",
        author: None,
        system: true,
        long_running: true,
        archived: false,
        icon: "f017",
        revisions: 1,
        priority: 1,
        timeout: 0,
        max_tries: 0,
        cpus: 1.0,
        mem: 1024.0,
        disk_out: 0.0,
        command: "scale_clock",
        inputs: &[],
        outputs: &[],
        newest_rev_only_output: None,
        weight: 2,
        runtime: (3600, 86400),
        errors: &[],
        event: ("USER", None),
        recipe_type: None,
    },
    TypeDef {
        id: 2,
        name: "scale-ingest",
        version: "1.0",
        title: Some("Scale Ingest"),
        description: Some("Ingests a source file into a workspace"),
        category: "system",
        author: None,
        system: true,
        long_running: false,
        archived: false,
        icon: "f013",
        revisions: 2,
        priority: 10,
        timeout: 1800,
        max_tries: 3,
        cpus: 1.0,
        mem: 320.0,
        disk_out: 0.0,
        command: "scale_ingest",
        inputs: &[
            ("ingest_id", "property", true, ""),
            ("workspace", "property", false, ""),
        ],
        outputs: &[],
        newest_rev_only_output: None,
        weight: 12,
        runtime: (5, 120),
        errors: &[12],
        event: ("STRIKE_TRANSFER", None),
        recipe_type: None,
    },
    TypeDef {
        id: 3,
        name: "scale-strike",
        version: "1.0",
        title: Some("Scale Strike"),
        description: Some("Monitors a directory for incoming source files to ingest"),
        category: "system",
        author: None,
        system: true,
        long_running: true,
        archived: false,
        icon: "f0e7",
        revisions: 1,
        priority: 5,
        timeout: 0,
        max_tries: 0,
        cpus: 1.0,
        mem: 256.0,
        disk_out: 0.0,
        command: "scale_strike",
        inputs: &[("strike_id", "property", true, "")],
        outputs: &[],
        newest_rev_only_output: None,
        weight: 2,
        runtime: (3600, 86400),
        errors: &[],
        event: ("USER", None),
        recipe_type: None,
    },
    TypeDef {
        id: 4,
        name: "scale-scan",
        version: "1.0",
        title: Some("Scale Scan"),
        description: Some("Scans a workspace for existing files to ingest"),
        category: "system",
        author: None,
        system: true,
        long_running: false,
        archived: false,
        icon: "f002",
        revisions: 1,
        priority: 10,
        timeout: 3600,
        max_tries: 1,
        cpus: 1.0,
        mem: 512.0,
        disk_out: 0.0,
        command: "scale_scan",
        inputs: &[
            ("scan_id", "property", true, ""),
            ("dry_run", "property", false, ""),
        ],
        outputs: &[],
        newest_rev_only_output: None,
        weight: 3,
        runtime: (30, 900),
        errors: &[],
        event: ("USER", None),
        recipe_type: None,
    },
    TypeDef {
        id: 5,
        name: "landsat8-parse",
        version: "1.0.0",
        title: Some("Landsat 8 Parser"),
        description: Some("Parses Landsat 8 L1T GeoTIFF scenes into Scale source files."),
        category: "landsat",
        author: Some(("GEOINT Services", "https://github.com/ngageoint/scale")),
        system: false,
        long_running: false,
        archived: true,
        icon: "f0ac",
        revisions: 1,
        priority: 100,
        timeout: 1800,
        max_tries: 3,
        cpus: 1.0,
        mem: 1024.0,
        disk_out: 2048.0,
        command: "parse_landsat.sh",
        inputs: &[
            ("scene", "file", true, "image/tiff"),
            ("mtl_metadata", "file", false, "text/plain"),
            ("cloud_threshold", "property", false, ""),
        ],
        outputs: &[
            ("parsed_scene", "file", true, "image/tiff"),
            ("thumbnails", "files", false, "image/png"),
        ],
        newest_rev_only_output: None,
        weight: 3,
        runtime: (240, 900),
        errors: &[7, 8],
        event: ("PARSE", Some(3)),
        recipe_type: Some(1),
    },
    TypeDef {
        id: 6,
        name: "landsat8-parse",
        version: "1.2.0",
        title: Some("Landsat 8 Parser"),
        description: Some("Parses Landsat 8 L1T GeoTIFF scenes and their MTL metadata into Scale source files."),
        category: "landsat",
        author: Some(("GEOINT Services", "https://github.com/ngageoint/scale")),
        system: false,
        long_running: false,
        archived: false,
        icon: "f0ac",
        revisions: 1,
        priority: 100,
        timeout: 1800,
        max_tries: 3,
        cpus: 2.0,
        mem: 2048.0,
        disk_out: 4096.0,
        command: "parse_landsat.sh",
        inputs: &[
            ("scene", "file", true, "image/tiff"),
            ("mtl_metadata", "file", false, "text/plain"),
            ("band_files", "files", false, "image/tiff"),
            ("cloud_threshold", "property", false, ""),
        ],
        outputs: &[
            ("parsed_scene", "file", true, "image/tiff"),
            ("thumbnails", "files", false, "image/png"),
        ],
        newest_rev_only_output: None,
        weight: 6,
        runtime: (240, 900),
        errors: &[7, 8],
        event: ("PARSE", Some(3)),
        recipe_type: Some(1),
    },
    TypeDef {
        id: 7,
        name: "landsat8-parse",
        version: "1.3.0",
        title: Some("Landsat 8 Parser"),
        description: Some("Parses Landsat 8 L1T GeoTIFF scenes and their MTL metadata into Scale source files. Adds a JSON QA report output in revision 2."),
        category: "landsat",
        author: Some(("GEOINT Services", "https://github.com/ngageoint/scale")),
        system: false,
        long_running: false,
        archived: false,
        icon: "f0ac",
        revisions: 2,
        priority: 100,
        timeout: 1800,
        max_tries: 3,
        cpus: 2.0,
        mem: 2048.0,
        disk_out: 4096.0,
        command: "parse_landsat.sh",
        inputs: &[
            ("scene", "file", true, "image/tiff"),
            ("mtl_metadata", "file", false, "text/plain"),
            ("band_files", "files", false, "image/tiff"),
            ("cloud_threshold", "property", false, ""),
        ],
        outputs: &[
            ("parsed_scene", "file", true, "image/tiff"),
            ("thumbnails", "files", false, "image/png"),
            ("qa_report", "file", false, "application/json"),
        ],
        newest_rev_only_output: Some("qa_report"),
        weight: 20,
        runtime: (240, 900),
        errors: &[7, 8],
        event: ("PARSE", Some(3)),
        recipe_type: Some(1),
    },
    TypeDef {
        id: 8,
        name: "ndvi-calc",
        version: "2.0.1",
        title: Some("NDVI Calculator"),
        description: Some("Computes the Normalized Difference Vegetation Index (NIR - Red) / (NIR + Red)."),
        category: "analysis",
        author: Some(("Remote Sensing Lab", "mailto:rs-lab@example.com")),
        system: false,
        long_running: false,
        archived: false,
        icon: "f06c",
        revisions: 3,
        priority: 150,
        timeout: 3600,
        max_tries: 2,
        cpus: 4.0,
        mem: 4096.0,
        disk_out: 1024.0,
        command: "ndvi",
        inputs: &[
            ("red_band", "file", true, "image/tiff"),
            ("nir_band", "file", true, "image/tiff"),
            ("scale_factor", "property", false, ""),
        ],
        outputs: &[
            ("ndvi", "file", true, "image/tiff"),
            ("statistics", "files", false, "application/json"),
        ],
        newest_rev_only_output: None,
        weight: 20,
        runtime: (120, 1500),
        errors: &[9],
        event: ("PARSE", Some(4)),
        recipe_type: Some(1),
    },
    TypeDef {
        id: 9,
        name: "sentinel2-atmos",
        version: "0.9.4",
        title: Some("Sentinel‑2 Atmosphärische Korrektur <β> ✓"),
        description: Some("Applies atmospheric correction (Sen2Cor) to Sentinel‑2 L1C granules and writes L2A surface reflectance. <script>alert('not for rendering')</script> Résumé: “bottom of atmosphere” reflectance, 10/20/60 m bands; aerosol optical thickness from CAMS when `aot=auto`."),
        category: "sentinel",
        author: Some(("Équipe Copernicus", "https://example.org/sen2cor")),
        system: false,
        long_running: false,
        archived: false,
        icon: "f0c2",
        revisions: 2,
        priority: 200,
        timeout: 7200,
        max_tries: 3,
        cpus: 8.0,
        mem: 16384.0,
        disk_out: 8192.0,
        command: "sen2cor.sh",
        inputs: &[
            ("granules", "files", true, "application/zip"),
            ("aot", "property", false, ""),
        ],
        outputs: &[
            ("surface_reflectance", "files", true, "image/jp2"),
            ("scene_classification", "file", false, "image/jp2"),
        ],
        newest_rev_only_output: None,
        weight: 15,
        runtime: (900, 5400),
        errors: &[10],
        event: ("INGEST", Some(2)),
        recipe_type: Some(2),
    },
    TypeDef {
        id: 10,
        name: "vector-export",
        version: "1.1.0",
        title: Some("<b>Vector</b> Export & Publish"),
        description: Some("Exports vector features to Shapefile, GeoPackage or GeoJSON and publishes previews."),
        category: "export",
        author: Some(("Data Delivery Team", "https://example.com/delivery")),
        system: false,
        long_running: false,
        archived: false,
        icon: "f56e",
        revisions: 1,
        priority: 250,
        timeout: 900,
        max_tries: 3,
        cpus: 1.0,
        mem: 1024.0,
        disk_out: 512.0,
        command: "vector_export",
        inputs: &[
            ("features", "file", true, "application/geo+json"),
            ("format", "property", true, ""),
            ("srs", "property", false, ""),
        ],
        outputs: &[
            ("export", "file", true, "application/zip"),
            ("previews", "files", false, "image/png"),
        ],
        newest_rev_only_output: None,
        weight: 12,
        runtime: (20, 400),
        errors: &[11],
        event: ("USER", None),
        recipe_type: Some(1),
    },
];

/// A job's `max_tries` for `runs` executions of a type allowing
/// `type_max`. A job that ran more often than its type allows was requeued,
/// and a requeue raises the job's tries: Scale 5.0's recorded answers have
/// failed jobs at 4 executions of 4 tries, never more executions than
/// tries. A system type's 0 means no limit (Scale lists its jobs at 1 of 0).
fn job_max_tries(type_max: i64, runs: i64) -> i64 {
    if type_max > 0 {
        type_max.max(runs)
    } else {
        type_max
    }
}

pub fn type_def(id: i64) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.id == id)
}

/// Revision ids are numbered across types in `TYPES` order.
pub fn revision_id(t: &TypeDef, rev: i64) -> i64 {
    let before: i64 = TYPES
        .iter()
        .take_while(|x| x.id != t.id)
        .map(|x| x.revisions)
        .sum();
    before + rev
}

/// `(id, name, title, description, category, builtin)`.
static ERRORS: &[(i64, &str, &str, &str, &str, bool)] = &[
    (
        1,
        "node-lost",
        "Node Lost",
        "The node running this job was lost.",
        "SYSTEM",
        true,
    ),
    (
        2,
        "task-launch",
        "Task Launch Error",
        "Scale failed to launch the task on the node.",
        "SYSTEM",
        true,
    ),
    (
        3,
        "docker-pull",
        "Docker Pull Failed",
        "The Docker image could not be pulled.",
        "SYSTEM",
        true,
    ),
    (
        4,
        "scheduler-lost",
        "Scheduler Lost",
        "The scheduler was restarted while the job was running.",
        "SYSTEM",
        true,
    ),
    (
        5,
        "timeout",
        "Timeout",
        "The algorithm exceeded its timeout threshold.",
        "ALGORITHM",
        true,
    ),
    (
        6,
        "algorithm-unknown",
        "Algorithm Failure",
        "The algorithm failed by returning a non-zero exit code.",
        "ALGORITHM",
        true,
    ),
    (
        7,
        "landsat-bad-mtl",
        "Invalid MTL Metadata",
        "The MTL metadata file could not be parsed.",
        "DATA",
        false,
    ),
    (
        8,
        "landsat-corrupt-scene",
        "Corrupt Scene",
        "The GeoTIFF scene is truncated or unreadable.",
        "DATA",
        false,
    ),
    (
        9,
        "ndvi-band-mismatch",
        "Band Size Mismatch",
        "The red and NIR bands have different dimensions.",
        "DATA",
        false,
    ),
    (
        10,
        "sentinel-missing-granule",
        "Missing Granule",
        "A granule listed in the product manifest is missing.",
        "DATA",
        false,
    ),
    (
        11,
        "export-bad-geometry",
        "Invalid Geometry",
        "A feature has a self-intersecting geometry.",
        "DATA",
        false,
    ),
    (
        12,
        "ingest-file-missing",
        "Source File Missing",
        "The file to ingest disappeared before it was copied.",
        "DATA",
        false,
    ),
];

fn error_category(id: i64) -> &'static str {
    ERRORS
        .iter()
        .find(|e| e.0 == id)
        .map(|e| e.4)
        .unwrap_or("SYSTEM")
}

fn error_title(id: i64) -> Option<&'static str> {
    ERRORS.iter().find(|e| e.0 == id).map(|e| e.2)
}

const NODE_COUNT: i64 = 6;
const WS_RAW_LANDSAT: i64 = 1;
const WS_RAW_SENTINEL: i64 = 2;
const WS_PRODUCTS: i64 = 3;
const WS_EXPORTS: i64 = 4;
const WS_INCOMING: i64 = 5;
/// An old mirror whose files carry URLs that are not http(s): the app must
/// show them as text, never as links (see [`Hostile`]).
const WS_LEGACY_MIRROR: i64 = 6;

/// A `javascript:` URL, as a hostile or broken file record may carry.
pub const SCRIPT_URL: &str = "javascript:alert(document.domain)";
/// A `data:` URL that would run a script if opened.
pub const DATA_URL: &str = "data:text/html,<script>alert(1)</script>";
/// A file name that is markup.
pub const MARKUP_FILE_NAME: &str = "<img src=x onerror=alert(1)>.tif";

static WORKSPACES: &[(i64, &str, &str)] = &[
    (WS_RAW_LANDSAT, "raw-landsat", "Raw Landsat"),
    (WS_RAW_SENTINEL, "raw-sentinel", "Raw Sentinel-2"),
    (WS_PRODUCTS, "products", "Products"),
    (WS_EXPORTS, "exports", "Exports"),
    (WS_INCOMING, "incoming", "Incoming"),
    (WS_LEGACY_MIRROR, "legacy-mirror", "Legacy Mirror"),
];

static COUNTRIES: &[&str] = &[
    "DEU", "FRA", "NLD", "BEL", "POL", "CZE", "AUT", "CHE", "ITA", "ESP", "DNK",
];

/// Writes the catalog tables.
fn write_catalog(tx: &Transaction<'_>, now: Micros) -> rusqlite::Result<()> {
    let t = |m: Micros| Some(db::ts(m));
    for def in TYPES {
        let created = now - (400 + def.id * 13) * DAY;
        let modified = now - (20 + def.id) * DAY;
        let jt = JobType {
            id: def.id,
            name: Some(def.name.into()),
            version: Some(def.version.into()),
            title: def.title.map(Into::into),
            description: def.description.map(Into::into),
            category: Some(def.category.into()),
            author_name: def.author.map(|a| a.0.into()),
            author_url: def.author.map(|a| a.1.into()),
            is_system: Some(def.system),
            is_long_running: Some(def.long_running),
            is_active: Some(!def.archived),
            is_operational: Some(true),
            is_paused: Some(false),
            icon_code: Some(def.icon.into()),
            uses_docker: Some(!def.system),
            docker_privileged: Some(false),
            docker_image: (!def.system).then(|| format!("geoint/{}:{}", def.name, def.version)),
            revision_num: Some(def.revisions),
            priority: Some(def.priority),
            max_scheduled: None,
            timeout: Some(def.timeout),
            max_tries: Some(def.max_tries),
            cpus_required: Some(def.cpus),
            mem_required: Some(def.mem),
            shared_mem_required: Some(0.0),
            disk_out_const_required: Some(def.disk_out),
            disk_out_mult_required: Some(0.0),
            created: t(created),
            archived: def.archived.then(|| db::ts(now - 30 * DAY)),
            paused: None,
            last_modified: t(modified),
            interface: None,
        };
        tx.execute(
            "INSERT INTO job_types (id, json) VALUES (?, ?)",
            params![def.id, json(&jt)],
        )?;
        for rev in 1..=def.revisions {
            let newest = rev == def.revisions;
            let interface = JobInterface {
                version: Some("1.4".into()),
                command: Some(def.command.into()),
                command_arguments: Some(
                    def.inputs
                        .iter()
                        .map(|i| format!("${{-{} :{}}}", &i.0[..1], i.0))
                        .chain(std::iter::once("${job_output_dir}".to_string()))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                input_data: def
                    .inputs
                    .iter()
                    .map(|i| InterfaceInput {
                        name: i.0.into(),
                        kind: Some(i.1.into()),
                        required: Some(i.2),
                        partial: (i.1 != "property").then_some(i.1 == "files"),
                        media_types: (i.1 != "property").then(|| vec![i.3.to_string()]),
                    })
                    .collect(),
                output_data: def
                    .outputs
                    .iter()
                    .filter(|o| newest || def.newest_rev_only_output != Some(o.0))
                    .map(|o| InterfaceOutput {
                        name: o.0.into(),
                        kind: Some(o.1.into()),
                        required: Some(o.2),
                        media_type: Some(o.3.into()),
                    })
                    .collect(),
                ..JobInterface::default()
            };
            let r = JobTypeRevision {
                id: revision_id(def, rev),
                job_type: Some(IdRef { id: def.id }),
                revision_num: Some(rev),
                interface: Some(interface),
                created: t(modified - (def.revisions - rev) * 10 * DAY),
            };
            tx.execute(
                "INSERT INTO job_type_revisions (id, json) VALUES (?, ?)",
                params![r.id, json(&r)],
            )?;
        }
    }
    for &(id, name, title, description, category, builtin) in ERRORS {
        let created = if builtin {
            now - 900 * DAY
        } else {
            now - 120 * DAY
        };
        let e = JobError {
            id,
            name: Some(name.into()),
            title: Some(title.into()),
            description: Some(description.into()),
            category: Some(ErrorCategory::parse(category)),
            is_builtin: Some(builtin),
            created: t(created),
            last_modified: t(created),
        };
        tx.execute(
            "INSERT INTO errors (id, json) VALUES (?, ?)",
            params![id, json(&e)],
        )?;
    }
    for id in 1..=NODE_COUNT {
        let n = Node {
            id,
            hostname: Some(format!("scale-agent-{id:02}.prod.example.com")),
            port: Some(5051),
            slave_id: Some(format!(
                "{:08x}-{:04x}-4b53-9d1e-5e0a6b1f0c2d-S{}",
                splitmix(id as u64) as u32,
                id * 4099 % 65536,
                id - 1
            )),
        };
        tx.execute(
            "INSERT INTO nodes (id, json) VALUES (?, ?)",
            params![id, json(&n)],
        )?;
    }
    for &(id, name, title) in WORKSPACES {
        let w = Workspace {
            id,
            name: Some(name.into()),
            title: Some(title.into()),
        };
        tx.execute(
            "INSERT INTO workspaces (id, json) VALUES (?, ?)",
            params![id, json(&w)],
        )?;
    }
    let rules = [
        TriggerRule {
            id: 1,
            kind: Some("INGEST".into()),
            name: Some("landsat-ingest-rule".into()),
            is_active: Some(true),
            configuration: Some(json!({
                "version": "1.0",
                "condition": {"media_type": "image/tiff", "data_types": ["landsat"]},
                "data": {"input_data_name": "scene", "workspace_name": "raw-landsat"}
            })),
        },
        TriggerRule {
            id: 2,
            kind: Some("INGEST".into()),
            name: Some("sentinel-ingest-rule".into()),
            is_active: Some(true),
            configuration: Some(json!({
                "version": "1.0",
                "condition": {"media_type": "application/zip", "data_types": ["sentinel2", "l1c"]},
                "data": {"input_data_name": "granules", "workspace_name": "raw-sentinel"}
            })),
        },
        TriggerRule {
            id: 3,
            kind: Some("PARSE".into()),
            name: Some("landsat-parse-trigger".into()),
            is_active: Some(true),
            configuration: Some(json!({
                "version": "1.0",
                "condition": {"media_type": "image/tiff", "data_types": ["landsat", "l1t"]},
                "data": {"input_data_name": "scene", "workspace_name": "products"}
            })),
        },
        TriggerRule {
            id: 4,
            kind: Some("PARSE".into()),
            name: Some("ndvi-recipe-trigger".into()),
            is_active: Some(false),
            configuration: Some(json!({
                "version": "1.0",
                "condition": {"media_type": "image/tiff", "data_types": ["parsed"]},
                "data": {"input_data_name": "red_band", "workspace_name": "products"}
            })),
        },
    ];
    for r in &rules {
        tx.execute(
            "INSERT INTO trigger_rules (id, json) VALUES (?, ?)",
            params![r.id, json(r)],
        )?;
    }
    let recipe_types = [
        RecipeType {
            id: 1,
            name: Some("landsat-ndvi-chain".into()),
            version: Some("1.0.0".into()),
            title: Some("Landsat NDVI Chain".into()),
            description: Some("Parse a Landsat 8 scene, compute NDVI and export vectors".into()),
        },
        RecipeType {
            id: 2,
            name: Some("sentinel-l2a".into()),
            version: Some("2.1.0".into()),
            title: Some("Sentinel-2 L2A Production".into()),
            description: Some("Atmospheric correction of Sentinel-2 granules".into()),
        },
    ];
    for r in &recipe_types {
        tx.execute(
            "INSERT INTO recipe_types (id, json) VALUES (?, ?)",
            params![r.id, json(r)],
        )?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

// ---------------------------------------------------------------------------
// Jobs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum St {
    Pending,
    Blocked,
    Queued,
    Running,
    Failed,
    Completed,
    Canceled,
}

impl St {
    pub fn as_str(self) -> &'static str {
        match self {
            St::Pending => "PENDING",
            St::Blocked => "BLOCKED",
            St::Queued => "QUEUED",
            St::Running => "RUNNING",
            St::Failed => "FAILED",
            St::Completed => "COMPLETED",
            St::Canceled => "CANCELED",
        }
    }
    const ALL: [St; 7] = [
        St::Pending,
        St::Blocked,
        St::Queued,
        St::Running,
        St::Failed,
        St::Completed,
        St::Canceled,
    ];
}

/// Next free ids; read back from the database when resuming.
#[derive(Debug, Clone, Default)]
struct NextIds {
    job: i64,
    exe: i64,
    file: i64,
    event: i64,
    recipe: i64,
}

/// What a scripted or drawn job should look like.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub type_id: i64,
    pub status: St,
    /// For FAILED (and failed earlier executions): the error id.
    pub error: Option<i64>,
    /// How many executions before the final/current one failed.
    pub failed_before: i64,
    /// How long before `now` the job's last change happened.
    pub age: Micros,
}

/// What a scripted group's first file input gets instead of a normal
/// record: the hostile text the real data set holds. Applied without extra
/// random draws, so every other job stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hostile {
    /// In `legacy-mirror`, URL [`SCRIPT_URL`], named [`MARKUP_FILE_NAME`].
    ScriptUrl,
    /// In `legacy-mirror`, URL [`DATA_URL`].
    DataUrl,
}

/// The generator: a PRNG, a fixed `now`, and id counters.
pub struct Generator {
    rng: Rng,
    now: Micros,
    ids: NextIds,
    group: u64,
    hostile: Option<Hostile>,
}

/// An execution about to be written.
#[derive(Debug, Default, Clone)]
struct Exe {
    id: i64,
    status: &'static str,
    pre_started: Option<Micros>,
    pre_completed: Option<Micros>,
    pre_exit_code: Option<i64>,
    job_started: Option<Micros>,
    job_completed: Option<Micros>,
    job_exit_code: Option<i64>,
    post_started: Option<Micros>,
    post_completed: Option<Micros>,
    post_exit_code: Option<i64>,
    queued: Micros,
    started: Option<Micros>,
    ended: Option<Micros>,
    last_modified: Micros,
    node: i64,
    error: Option<i64>,
}

/// Where a group member stands in a superseded chain.
#[derive(Debug, Clone, Copy, Default)]
struct ChainLink {
    root: Option<i64>,
    prev: Option<i64>,
    next: Option<i64>,
    superseded_at: Option<Micros>,
}

impl Generator {
    pub fn new(seed: u64, now: DateTime<Utc>) -> Generator {
        Generator {
            rng: Rng::new(seed),
            now: to_micros(now),
            ids: NextIds {
                job: 1,
                exe: 1,
                file: 1,
                event: 1,
                recipe: 1,
            },
            group: 0,
            hostile: None,
        }
    }

    /// Continues after what `conn` already holds (for `--simulate`).
    pub fn resume(conn: &Connection, seed: u64, now: DateTime<Utc>) -> rusqlite::Result<Generator> {
        let mut g = Generator::new(seed ^ 0x51u64, now);
        let next = |table: &str| -> rusqlite::Result<i64> {
            let max: Option<i64> = conn
                .query_row(&format!("SELECT MAX(id) FROM {table}"), [], |r| r.get(0))
                .optional()?
                .flatten();
            Ok(max.unwrap_or(0) + 1)
        };
        g.ids = NextIds {
            job: next("jobs")?,
            exe: next("job_exes")?,
            file: next("files")?,
            event: next("trigger_events")?,
            recipe: next("recipes")?,
        };
        // Past the scripted groups.
        g.group = 1_000;
        Ok(g)
    }

    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = to_micros(now);
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// The scripted groups that make a small data set rich, then random.
    fn next_specs(&mut self) -> Vec<JobSpec> {
        let g = self.group;
        self.group += 1;
        self.hostile = match g {
            2 => Some(Hostile::ScriptUrl),
            8 => Some(Hostile::DataUrl),
            _ => None,
        };
        let spec = |type_id, status, error, failed_before, age| JobSpec {
            type_id,
            status,
            error,
            failed_before,
            age,
        };
        match g {
            // A superseded chain of three: two failed attempts, then a run.
            // (Groups 2 and 8 also get a hostile input file: see Hostile.)
            0 => vec![
                spec(7, St::Failed, Some(8), 0, 30 * HOUR),
                spec(7, St::Failed, Some(6), 1, 20 * HOUR),
                spec(7, St::Completed, None, 0, 2 * HOUR),
            ],
            1 => vec![spec(7, St::Completed, None, 0, 3 * HOUR)],
            2 => vec![spec(8, St::Failed, Some(1), 3, 5 * HOUR)],
            3 => vec![spec(9, St::Failed, Some(10), 0, 9 * HOUR)],
            4 => vec![spec(10, St::Failed, Some(6), 1, 26 * HOUR)],
            5 => vec![spec(8, St::Running, None, 2, 10 * MIN)],
            6 => vec![spec(9, St::Queued, None, 1, 4 * MIN)],
            7 => vec![spec(6, St::Pending, None, 0, 40 * MIN)],
            8 => vec![spec(10, St::Blocked, None, 0, 90 * MIN)],
            9 => vec![spec(8, St::Canceled, None, 1, 6 * HOUR)],
            10 => vec![spec(2, St::Completed, None, 0, 50 * MIN)],
            11 => vec![spec(1, St::Running, None, 0, 20 * MIN)],
            12 => vec![spec(7, St::Failed, Some(2), 0, 7 * DAY)],
            _ => {
                let len = if self.rng.chance(0.03) {
                    self.rng.range(2, 3) as usize
                } else {
                    1
                };
                let ti = self
                    .rng
                    .weighted(&TYPES.iter().map(|t| t.weight).collect::<Vec<_>>());
                let def = &TYPES[ti];
                let mut out = Vec::with_capacity(len);
                for i in 0..len {
                    let head = i + 1 == len;
                    let mut s = self.draw_spec(def);
                    if !head {
                        // Superseded attempts ended before their successor.
                        s.status = if self.rng.chance(0.7) {
                            St::Failed
                        } else {
                            St::Completed
                        };
                        if s.status == St::Failed && s.error.is_none() {
                            s.error = Some(self.draw_error(def));
                        }
                    }
                    out.push(s);
                }
                // Older chain members changed earlier.
                let mut age = out.last().map(|s| s.age).unwrap_or(HOUR);
                for s in out.iter_mut().rev().skip(1) {
                    age += self.rng.range(2 * HOUR, 30 * HOUR);
                    s.age = age;
                }
                // Keep the whole chain within the two weeks.
                let excess = out.first().map(|s| s.age).unwrap_or(0) - 14 * DAY;
                if excess > 0 {
                    for s in &mut out {
                        s.age = (s.age - excess).max(MIN);
                    }
                }
                out
            }
        }
    }

    fn draw_error(&mut self, def: &TypeDef) -> i64 {
        let roll = self.rng.unit();
        if roll < 0.3 {
            *self.rng.pick(&[1, 2, 3, 4])
        } else if roll < 0.6 || def.errors.is_empty() {
            *self.rng.pick(&[5, 6])
        } else {
            *self.rng.pick(def.errors)
        }
    }

    fn draw_spec(&mut self, def: &TypeDef) -> JobSpec {
        let status = if def.long_running {
            *self.rng.pick(&[
                St::Running,
                St::Running,
                St::Running,
                St::Completed,
                St::Canceled,
                St::Failed,
            ])
        } else {
            St::ALL[self.rng.weighted(&[8, 7, 9, 9, 12, 47, 8])]
        };
        let active = matches!(status, St::Pending | St::Blocked | St::Queued | St::Running);
        // Most activity is recent: ages are skewed towards zero.
        let u = self.rng.unit();
        let age = if active {
            SEC + (6.0 * HOUR as f64 * u * u) as i64
        } else {
            MIN + (14.0 * DAY as f64 * u.powf(2.2)) as i64
        };
        let error = (status == St::Failed).then(|| self.draw_error(def));
        let failed_before = match status {
            St::Pending | St::Blocked => 0,
            St::Failed => self.rng.range(0, def.max_tries.max(1)).min(3),
            _ => {
                if self.rng.chance(0.15) {
                    self.rng.range(1, 2)
                } else {
                    0
                }
            }
        };
        JobSpec {
            type_id: def.id,
            status,
            error,
            failed_before,
            age,
        }
    }

    /// Generates the next group (one job, or a superseded chain) into `tx`;
    /// returns how many jobs it wrote.
    pub fn write_group(&mut self, tx: &Transaction<'_>, limit: usize) -> rusqlite::Result<usize> {
        let mut specs = self.next_specs();
        specs.truncate(limit.max(1));
        let first = self.ids.job;
        let n = specs.len();
        let recipe_type = type_def(specs[0].type_id).and_then(|t| t.recipe_type);
        let in_recipe = recipe_type.is_some() && (self.group <= 2 || self.rng.chance(0.35));
        let mut prev_recipe: Option<(i64, i64)> = None; // (id, root)
                                                        // Each member is superseded shortly before its successor's last
                                                        // change.
        let superseded_times: Vec<Option<Micros>> = (0..n)
            .map(|i| (i + 1 < n).then(|| self.now - specs[i + 1].age - 20 * MIN))
            .collect();
        for (i, spec) in specs.iter().enumerate() {
            let id = first + i as i64;
            let link = ChainLink {
                root: (i > 0).then_some(first),
                prev: (i > 0).then(|| id - 1),
                next: (i + 1 < n).then(|| id + 1),
                superseded_at: superseded_times[i],
            };
            let recipe = if in_recipe {
                let rid = self.write_recipe(
                    tx,
                    recipe_type.unwrap_or(1),
                    spec,
                    prev_recipe,
                    link.superseded_at,
                )?;
                prev_recipe = Some((rid, prev_recipe.map(|p| p.1).unwrap_or(rid)));
                Some(rid)
            } else {
                None
            };
            self.write_job(tx, spec, link, recipe)?;
        }
        Ok(n)
    }

    fn write_recipe(
        &mut self,
        tx: &Transaction<'_>,
        recipe_type: i64,
        spec: &JobSpec,
        prev: Option<(i64, i64)>,
        superseded_at: Option<Micros>,
    ) -> rusqlite::Result<i64> {
        let id = self.ids.recipe;
        self.ids.recipe += 1;
        let created = self.now - spec.age - 2 * HOUR;
        let event = self.write_event(
            tx,
            "PARSE",
            Some(3),
            created - 1000 * 1000,
            json!({"version": "1.0"}),
        )?;
        let completed =
            matches!(spec.status, St::Completed).then_some(self.now - spec.age + 500_000);
        if let Some((p, _)) = prev {
            tx.prepare_cached("UPDATE recipes SET superseded_by_recipe_id = ? WHERE id = ?")?
                .execute(params![id, p])?;
        }
        tx.prepare_cached(
            "INSERT INTO recipes (id, recipe_type_id, recipe_type_rev_id, revision_num, event_id, \
             is_superseded, root_superseded_recipe_id, superseded_recipe_id, superseded_by_recipe_id, \
             created, completed, superseded, last_modified) VALUES (?,?,?,?,?,?,?,?,NULL,?,?,?,?)",
        )?
        .execute(params![
            id,
            recipe_type,
            recipe_type,
            1,
            event,
            superseded_at.is_some(),
            prev.map(|p| p.1),
            prev.map(|p| p.0),
            created,
            completed,
            superseded_at,
            superseded_at.unwrap_or(self.now - spec.age + 600_000),
        ])?;
        Ok(id)
    }

    fn write_event(
        &mut self,
        tx: &Transaction<'_>,
        kind: &str,
        rule: Option<i64>,
        occurred: Micros,
        description: Value,
    ) -> rusqlite::Result<i64> {
        let id = self.ids.event;
        self.ids.event += 1;
        tx.prepare_cached(
            "INSERT INTO trigger_events (id, type, rule_id, occurred, description) VALUES (?,?,?,?,?)",
        )?
        .execute(params![id, kind, rule, occurred, description.to_string()])?;
        Ok(id)
    }

    /// A new file, written; returns `(id, size)`.
    #[allow(clippy::too_many_arguments)]
    fn write_file(
        &mut self,
        tx: &Transaction<'_>,
        workspace: i64,
        name: &str,
        media_type: &str,
        size: i64,
        data_type: &[&str],
        created: Micros,
        scene: bool,
        product: Option<(i64, i64, i64, &TypeDef)>,
    ) -> rusqlite::Result<(i64, i64)> {
        let id = self.ids.file;
        self.ids.file += 1;
        let when = db::ts(created).0;
        let url = match product {
            None if workspace == WS_LEGACY_MIRROR => match self.hostile.take() {
                Some(Hostile::DataUrl) => DATA_URL.to_string(),
                _ => SCRIPT_URL.to_string(),
            },
            Some((_, job, _, def)) => format!(
                "https://products.example.com/scale/{}/{}/{job}/{name}",
                def.name, def.version
            ),
            None => {
                let ws = WORKSPACES
                    .iter()
                    .find(|w| w.0 == workspace)
                    .map(|w| w.1)
                    .unwrap_or("files");
                format!(
                    "https://data.example.com/{ws}/{}/{:02}/{name}",
                    when.year(),
                    when.month()
                )
            }
        };
        let (geometry, center, countries, meta, data_started, data_ended) = if scene {
            let lon = self.rng.range(-5, 20) as f64 + 0.5 * self.rng.range(0, 1) as f64;
            let lat = self.rng.range(40, 55) as f64;
            let c1 = *self.rng.pick(COUNTRIES);
            let c2 = *self.rng.pick(COUNTRIES);
            let countries = if c1 == c2 {
                json!([c1])
            } else {
                json!([c1, c2])
            };
            let acquired = created - self.rng.range(1, 6) * DAY;
            (
                Some(format!(
                    "POLYGON (({lon} {lat}, {lon} {}, {} {}, {} {lat}, {lon} {lat}))",
                    lat + 2.5,
                    lon + 3.5,
                    lat + 2.5,
                    lon + 3.5
                )),
                Some(format!("POINT ({} {})", lon + 1.75, lat + 1.25)),
                countries,
                Some(json!({
                    "cloud_cover": self.rng.range(0, 9000) as f64 / 100.0,
                    "path": self.rng.range(180, 200),
                    "row": self.rng.range(20, 35),
                    "sensor": "OLI_TIRS"
                })),
                Some(acquired),
                Some(acquired + 24 * SEC),
            )
        } else {
            (None, None, json!([]), None, None, None)
        };
        tx.prepare_cached(
            "INSERT INTO files (id, workspace_id, file_name, media_type, file_size, data_type, url, \
             created, data_started, data_ended, geometry, center_point, meta_data, countries, \
             product, job_type_id, job_id, job_exe_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )?
        .execute(params![
            id,
            workspace,
            name,
            media_type,
            size,
            serde_json::to_string(data_type).unwrap_or_else(|_| "[]".into()),
            url,
            created,
            data_started,
            data_ended,
            geometry,
            center,
            meta.map(|m| m.to_string()),
            countries.to_string(),
            product.is_some(),
            product.map(|p| p.0),
            product.map(|p| p.1),
            product.map(|p| p.2),
        ])?;
        Ok((id, size))
    }

    /// Input values for a job: the data document and the total input size.
    fn write_inputs(
        &mut self,
        tx: &Transaction<'_>,
        def: &TypeDef,
        job_id: i64,
        created: Micros,
        rich: bool,
    ) -> rusqlite::Result<(Value, f64)> {
        let mut items: Vec<(String, Value)> = Vec::new();
        let mut total: i64 = 0;
        let stamp = db::ts(created - DAY).0;
        let scene_base = format!(
            "LC08_L1TP_{:03}{:03}_{}{:02}{:02}_01_RT",
            self.rng.range(180, 200),
            self.rng.range(20, 35),
            stamp.year(),
            stamp.month(),
            stamp.day()
        );
        let file_created = created - self.rng.range(5, 3600) * SEC;
        for &(name, kind, required, media) in def.inputs {
            // Optional inputs are sometimes left unset (`value: null`).
            if !required && !rich && self.rng.chance(0.25) {
                continue;
            }
            let value = match kind {
                "property" => match name {
                    "cloud_threshold" => json!(format!("0.{}", self.rng.range(10, 60))),
                    "scale_factor" => json!(*self.rng.pick(&["1.0", "0.0001", "10000"])),
                    "aot" => json!(*self.rng.pick(&["auto", "0.2", "0.35"])),
                    "format" => json!(*self.rng.pick(&["shp", "gpkg", "geojson"])),
                    "srs" => json!(*self.rng.pick(&["EPSG:4326", "EPSG:3857", "EPSG:32632"])),
                    "dry_run" => json!(*self.rng.pick(&["true", "false"])),
                    "workspace" => json!("incoming"),
                    _ => json!(self.rng.range(1, 5000).to_string()),
                },
                "file" => {
                    let (ws, file_name, size, dt, scene): (i64, String, i64, &[&str], bool) =
                        match name {
                            "scene" => (
                                WS_RAW_LANDSAT,
                                format!("{scene_base}.TIF"),
                                self.rng.range(150, 200) * 1_048_576,
                                &["landsat", "l1t"],
                                true,
                            ),
                            "mtl_metadata" => (
                                WS_RAW_LANDSAT,
                                format!("{scene_base}_MTL.txt"),
                                self.rng.range(8000, 9500),
                                &["landsat", "mtl"],
                                false,
                            ),
                            "red_band" | "nir_band" => (
                                WS_PRODUCTS,
                                format!(
                                    "{scene_base}_{}.TIF",
                                    if name == "red_band" { "B4" } else { "B5" }
                                ),
                                self.rng.range(55, 65) * 1_048_576,
                                &["landsat", "parsed"],
                                true,
                            ),
                            "features" => (
                                WS_PRODUCTS,
                                format!("features_{job_id}.geojson"),
                                self.rng.range(20_000, 9_000_000),
                                &["vector"],
                                true,
                            ),
                            _ => (
                                WS_INCOMING,
                                format!("{name}_{job_id}.dat"),
                                self.rng.range(1000, 100_000),
                                &[],
                                false,
                            ),
                        };
                    let (ws, file_name) = match self.hostile {
                        Some(Hostile::ScriptUrl) => {
                            (WS_LEGACY_MIRROR, MARKUP_FILE_NAME.to_string())
                        }
                        Some(Hostile::DataUrl) => (WS_LEGACY_MIRROR, file_name),
                        None => (ws, file_name),
                    };
                    let (fid, size) = self.write_file(
                        tx,
                        ws,
                        &file_name,
                        media,
                        size,
                        dt,
                        file_created,
                        scene,
                        None,
                    )?;
                    total += size;
                    items.push((name.into(), json!({"name": name, "file_id": fid})));
                    continue;
                }
                _ => {
                    let count = if rich { 4 } else { self.rng.range(1, 4) };
                    let mut ids = Vec::new();
                    for k in 0..count {
                        let (ws, file_name, size, dt): (i64, String, i64, &[&str]) = match name {
                            "granules" => (
                                WS_RAW_SENTINEL,
                                format!(
                                    "S2B_MSIL1C_{}{:02}{:02}T10{:02}19_N0509_R008_T32U{}_{}.zip",
                                    stamp.year(),
                                    stamp.month(),
                                    stamp.day(),
                                    k,
                                    ["MU", "NU", "PU", "QU"][k as usize % 4],
                                    job_id
                                ),
                                self.rng.range(600, 900) * 1_048_576,
                                &["sentinel2", "l1c"],
                            ),
                            _ => (
                                WS_RAW_LANDSAT,
                                format!("{scene_base}_B{}.TIF", k + 2),
                                self.rng.range(55, 65) * 1_048_576,
                                &["landsat", "l1t"],
                            ),
                        };
                        let (fid, size) = self.write_file(
                            tx,
                            ws,
                            &file_name,
                            media,
                            size,
                            dt,
                            file_created,
                            false,
                            None,
                        )?;
                        total += size;
                        ids.push(fid);
                    }
                    json!({"name": name, "file_ids": ids})
                }
            };
            if kind == "property" {
                items.push((name.into(), json!({"name": name, "value": value})));
            } else {
                items.push((name.into(), value));
            }
        }
        // Scale returns input_data sorted by name.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let outputs: Vec<Value> = def
            .outputs
            .iter()
            .map(|o| json!({"name": o.0, "workspace_id": if def.category == "export" { WS_EXPORTS } else { WS_PRODUCTS }}))
            .collect();
        Ok((
            json!({
                "version": "1.0",
                "input_data": items.into_iter().map(|i| i.1).collect::<Vec<_>>(),
                "output_data": outputs,
            }),
            (total as f64 / 1_048_576.0 * 100.0).round() / 100.0,
        ))
    }

    /// Product files for a completed execution; returns the results document.
    fn write_outputs(
        &mut self,
        tx: &Transaction<'_>,
        def: &TypeDef,
        rev_newest: bool,
        job_id: i64,
        exe_id: i64,
        created: Micros,
    ) -> rusqlite::Result<Value> {
        let mut out = Vec::new();
        let ws = if def.category == "export" {
            WS_EXPORTS
        } else {
            WS_PRODUCTS
        };
        for &(name, kind, _, media) in def.outputs {
            if !rev_newest && def.newest_rev_only_output == Some(name) {
                continue;
            }
            let ext = match media {
                "image/tiff" => "tif",
                "image/png" => "png",
                "image/jp2" => "jp2",
                "application/zip" => "zip",
                _ => "json",
            };
            let count = if kind == "file" {
                1
            } else {
                self.rng.range(1, 3)
            };
            let mut ids = Vec::new();
            for k in 0..count {
                let file_name = if kind == "file" {
                    format!("{name}_{job_id}.{ext}")
                } else {
                    format!("{name}_{job_id}_{}.{ext}", k + 1)
                };
                let size = self.rng.range(10_000, 300_000_000);
                let scene = media == "image/tiff";
                let (fid, _) = self.write_file(
                    tx,
                    ws,
                    &file_name,
                    media,
                    size,
                    &[],
                    created,
                    scene,
                    Some((def.id, job_id, exe_id, def)),
                )?;
                ids.push(fid);
            }
            out.push(if kind == "file" {
                json!({"name": name, "file_id": ids[0]})
            } else {
                json!({"name": name, "file_ids": ids})
            });
        }
        out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(json!({"version": "1.0", "output_data": out}))
    }

    /// One execution's timeline from `queued`: `outcome` says how it ends
    /// (`None`: still running, in a phase drawn at random).
    fn plan_exe(&mut self, def: &TypeDef, queued: Micros, outcome: Outcome) -> Exe {
        let id = self.ids.exe;
        self.ids.exe += 1;
        let node = self.rng.range(1, NODE_COUNT);
        let started = queued + self.rng.range(5, 40) * SEC + self.rng.range(0, 999) * 1000;
        let pre_started = started + 2_100_000;
        let pre_completed = pre_started + self.rng.range(30, 45) * SEC;
        let job_started = pre_completed + 3_300_000;
        let runtime = self.rng.range(def.runtime.0, def.runtime.1) * SEC;
        let job_completed = job_started + runtime;
        let post_started = job_completed + 2_200_000;
        let post_completed = post_started + self.rng.range(10, 30) * SEC;
        let ended = post_completed + 800_000;
        let mut e = Exe {
            id,
            queued,
            started: Some(started),
            pre_started: Some(pre_started),
            node,
            ..Exe::default()
        };
        match outcome {
            Outcome::Running => {
                e.status = "RUNNING";
                // Somewhere in pre, job or post.
                match self.rng.range(0, 5) {
                    0 => e.last_modified = pre_started,
                    5 => {
                        e.pre_completed = Some(pre_completed);
                        e.pre_exit_code = Some(0);
                        e.job_started = Some(job_started);
                        e.job_completed = Some(job_completed);
                        e.job_exit_code = Some(0);
                        e.post_started = Some(post_started);
                        e.last_modified = post_started;
                    }
                    _ => {
                        e.pre_completed = Some(pre_completed);
                        e.pre_exit_code = Some(0);
                        e.job_started = Some(job_started);
                        e.last_modified = job_started;
                    }
                }
            }
            Outcome::Completed => {
                e.status = "COMPLETED";
                e.pre_completed = Some(pre_completed);
                e.pre_exit_code = Some(0);
                e.job_started = Some(job_started);
                e.job_completed = Some(job_completed);
                e.job_exit_code = Some(0);
                e.post_started = Some(post_started);
                e.post_completed = Some(post_completed);
                e.post_exit_code = Some(0);
                e.ended = Some(ended);
                e.last_modified = ended;
            }
            Outcome::Canceled => {
                e.status = "CANCELED";
                e.pre_completed = Some(pre_completed);
                e.pre_exit_code = Some(0);
                e.job_started = Some(job_started);
                let end = job_started + runtime / 2;
                e.ended = Some(end);
                e.last_modified = end;
            }
            Outcome::Failed(error) => {
                e.status = "FAILED";
                e.error = Some(error);
                match error_category(error) {
                    // Lost in the pre-task: nothing after it ran.
                    "SYSTEM" => {
                        let end = pre_started + self.rng.range(60, 900) * SEC;
                        e.ended = Some(end);
                        e.last_modified = end;
                    }
                    cat => {
                        e.pre_completed = Some(pre_completed);
                        e.pre_exit_code = Some(0);
                        e.job_started = Some(job_started);
                        if error == 5 {
                            // Timed out: the job phase never completed.
                            let end = job_started + def.timeout.max(60) * SEC;
                            e.ended = Some(end);
                            e.last_modified = end;
                        } else {
                            let done = job_started + runtime / 3;
                            e.job_completed = Some(done);
                            e.job_exit_code = Some(if cat == "DATA" {
                                *self.rng.pick(&[3, 4, 65])
                            } else {
                                *self.rng.pick(&[1, 2, 137, 255])
                            });
                            e.ended = Some(done + 1_100_000);
                            e.last_modified = done + 1_100_000;
                        }
                    }
                }
            }
        }
        if e.last_modified == 0 {
            e.last_modified = pre_started;
        }
        e
    }

    fn write_exe(
        &mut self,
        tx: &Transaction<'_>,
        job_id: i64,
        def: &TypeDef,
        args: &str,
        e: &Exe,
    ) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO job_exes (id, job_id, status, command_arguments, timeout, pre_started, \
             pre_completed, pre_exit_code, job_started, job_completed, job_exit_code, post_started, \
             post_completed, post_exit_code, created, queued, started, ended, last_modified, node_id, \
             error_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )?
        .execute(params![
            e.id,
            job_id,
            e.status,
            args,
            def.timeout,
            e.pre_started,
            e.pre_completed,
            e.pre_exit_code,
            e.job_started,
            e.job_completed,
            e.job_exit_code,
            e.post_started,
            e.post_completed,
            e.post_exit_code,
            e.queued,
            e.queued,
            e.started,
            e.ended,
            e.last_modified,
            e.node,
            e.error,
        ])?;
        Ok(())
    }

    fn write_job(
        &mut self,
        tx: &Transaction<'_>,
        spec: &JobSpec,
        link: ChainLink,
        recipe: Option<i64>,
    ) -> rusqlite::Result<i64> {
        let def = type_def(spec.type_id).unwrap_or(&TYPES[0]);
        let id = self.ids.job;
        self.ids.job += 1;
        let rev = if def.revisions > 1 && self.rng.chance(0.15) {
            self.rng.range(1, def.revisions - 1)
        } else {
            def.revisions
        };
        let rev_id = revision_id(def, rev);
        let rich = self.group <= 14;

        // Work out the timeline forwards from a provisional start, then
        // shift it so the last change lands `age` before now.
        let mut exes: Vec<Exe> = Vec::new();
        let t0: Micros = 0;
        let created = t0;
        let queue_wait = self.rng.range(20, 120) * SEC;
        let mut queued = created + queue_wait;
        let failed_error =
            |s: &JobSpec, g: &mut Generator| s.error.unwrap_or_else(|| g.draw_error(def));
        for _ in 0..spec.failed_before {
            let err = failed_error(spec, self);
            let e = self.plan_exe(def, queued, Outcome::Failed(err));
            queued = e.ended.unwrap_or(e.last_modified) + self.rng.range(2, 20) * SEC;
            exes.push(e);
        }
        let final_outcome = match spec.status {
            St::Running => Some(Outcome::Running),
            St::Completed => Some(Outcome::Completed),
            St::Failed => Some(Outcome::Failed(failed_error(spec, self))),
            St::Canceled if spec.failed_before > 0 || self.rng.chance(0.5) => {
                Some(Outcome::Canceled)
            }
            _ => None,
        };
        if let Some(o) = final_outcome {
            let e = self.plan_exe(def, queued, o);
            exes.push(e);
        }
        let latest = exes.last().cloned();
        let (job_queued, job_started, job_ended, last_change) = match spec.status {
            St::Pending | St::Blocked => (None, None, None, created),
            St::Queued => (Some(queued), None, None, queued),
            St::Running => {
                let l = latest.clone().unwrap_or_default();
                (
                    Some(l.queued),
                    l.started,
                    None,
                    l.started.unwrap_or(l.queued),
                )
            }
            St::Canceled if latest.is_none() => {
                let end = queued + self.rng.range(60, 3600) * SEC;
                (Some(queued), None, Some(end), end)
            }
            _ => {
                let l = latest.clone().unwrap_or_default();
                let end = l.ended.unwrap_or(l.last_modified);
                (Some(l.queued), l.started, Some(end), end)
            }
        };
        let last_modified_rel = last_change + 15_000;
        // Anchor on the latest time of all (a running execution's phases
        // come after the job's last status change), so nothing lands in the
        // future.
        let anchor = exes
            .iter()
            .map(|e| e.last_modified)
            .chain(std::iter::once(last_modified_rel))
            .max()
            .unwrap_or(last_modified_rel);
        let shift = self.now - spec.age - anchor;
        let sh = |m: Micros| m + shift;
        let created = sh(created);

        let event_desc = match def.event.0 {
            "PARSE" | "INGEST" => {
                json!({"version": "1.0", "file_name": format!("source_{id}.dat"), "parse_id": id})
            }
            "STRIKE_TRANSFER" => {
                json!({"version": "1.0", "strike_id": 1, "file_name": format!("batch_{id}.tar")})
            }
            _ => json!({"user": "analyst", "version": "1.0"}),
        };
        let event = self.write_event(
            tx,
            def.event.0,
            def.event.1,
            created - 2_500_000,
            event_desc,
        )?;
        let (data, disk_in) = self.write_inputs(tx, def, id, created, rich)?;
        let mut results = json!({});
        let args = format!(
            "{} /scale/output_data",
            def.inputs
                .iter()
                .map(|i| format!("/scale/input_data/{}", i.0))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for e in &mut exes {
            e.queued = sh(e.queued);
            for t in [
                &mut e.started,
                &mut e.pre_started,
                &mut e.pre_completed,
                &mut e.job_started,
                &mut e.job_completed,
                &mut e.post_started,
                &mut e.post_completed,
                &mut e.ended,
            ] {
                *t = t.map(sh);
            }
            e.last_modified = sh(e.last_modified);
        }
        for e in &exes {
            self.write_exe(tx, id, def, args.trim(), e)?;
            if e.status == "COMPLETED" {
                results = self.write_outputs(
                    tx,
                    def,
                    rev == def.revisions,
                    id,
                    e.id,
                    e.post_completed.unwrap_or(e.last_modified),
                )?;
            }
        }
        let error = match spec.status {
            St::Failed => latest.as_ref().and_then(|l| l.error),
            _ => None,
        };
        let priority = if self.rng.chance(0.2) {
            *self.rng.pick(&[50, 100, 200, 300])
        } else {
            def.priority
        };
        let last_modified = sh(last_modified_rel);
        let superseded = link.superseded_at.map(|s| s.max(last_modified + SEC));
        tx.prepare_cached(
            "INSERT INTO jobs (id, job_type_id, job_type_rev_id, jt_name, jt_version, jt_title, \
             jt_category, event_id, error_id, error_category, error_title, status, priority, \
             num_exes, timeout, max_tries, cpus_required, mem_required, disk_in_required, \
             disk_out_required, is_superseded, root_superseded_job_id, superseded_job_id, \
             superseded_by_job_id, delete_superseded, created, queued, started, ended, \
             last_status_change, superseded, last_modified, data, results) \
             VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )?
        .execute(params![
            id,
            def.id,
            rev_id,
            def.name,
            def.version,
            def.title,
            def.category,
            event,
            error,
            error.map(error_category),
            error.and_then(error_title),
            spec.status.as_str(),
            priority,
            exes.len() as i64,
            def.timeout,
            job_max_tries(def.max_tries, exes.len() as i64),
            def.cpus,
            def.mem,
            disk_in,
            def.disk_out,
            superseded.is_some(),
            link.root,
            link.prev,
            link.next,
            true,
            created,
            job_queued.map(sh),
            job_started.map(sh),
            job_ended.map(sh),
            sh(last_change),
            superseded,
            superseded.unwrap_or(last_modified),
            data.to_string(),
            results.to_string(),
        ])?;
        if let Some(r) = recipe {
            tx.prepare_cached("INSERT INTO recipe_jobs (job_id, recipe_id) VALUES (?, ?)")?
                .execute(params![id, r])?;
        }
        Ok(id)
    }

    // -- Used by the simulator ------------------------------------------------

    /// Adds one new PENDING job created now.
    pub fn add_pending_job(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<i64> {
        let ti = self.rng.weighted(
            &TYPES
                .iter()
                .map(|t| if t.long_running { 0 } else { t.weight })
                .collect::<Vec<_>>(),
        );
        let spec = JobSpec {
            type_id: TYPES[ti].id,
            status: St::Pending,
            error: None,
            failed_before: 0,
            age: 0,
        };
        let recipe_type = TYPES[ti].recipe_type;
        let recipe = match recipe_type {
            Some(rt) if self.rng.chance(0.3) => Some(self.write_recipe(tx, rt, &spec, None, None)?),
            _ => None,
        };
        // `age` 0 would put last_modified 15 ms in the future; shift back.
        let spec = JobSpec {
            age: 15_000,
            ..spec
        };
        self.write_job(tx, &spec, ChainLink::default(), recipe)
    }

    /// Starts a new execution of a QUEUED job now.
    pub fn start_exe(
        &mut self,
        tx: &Transaction<'_>,
        job_id: i64,
        type_id: i64,
        queued: Micros,
    ) -> rusqlite::Result<()> {
        let Some(def) = type_def(type_id) else {
            return Ok(());
        };
        let now = self.now;
        let mut e = self.plan_exe(def, queued, Outcome::Running);
        // Started now, in its pre-task.
        e.started = Some(now);
        e.pre_started = Some(now + 1000);
        e.pre_completed = None;
        e.pre_exit_code = None;
        e.job_started = None;
        e.post_started = None;
        e.job_completed = None;
        e.job_exit_code = None;
        e.last_modified = now;
        let args = def
            .inputs
            .iter()
            .map(|i| format!("/scale/input_data/{}", i.0))
            .chain(std::iter::once("/scale/output_data".to_string()))
            .collect::<Vec<_>>()
            .join(" ");
        self.write_exe(tx, job_id, def, &args, &e)?;
        tx.prepare_cached(
            // A run beyond the job's tries means it was requeued: raise
            // them as `job_max_tries` does (not for unlimited system jobs).
            "UPDATE jobs SET status = 'RUNNING', started = ?1, num_exes = num_exes + 1, \
             max_tries = CASE WHEN max_tries > 0 AND num_exes + 1 > max_tries \
             THEN num_exes + 1 ELSE max_tries END, \
             last_status_change = ?1, last_modified = ?1 WHERE id = ?2",
        )?
        .execute(params![now, job_id])?;
        Ok(())
    }

    /// Finishes a RUNNING job's latest execution now: COMPLETED with
    /// outputs, or FAILED with a drawn error.
    pub fn finish_exe(
        &mut self,
        tx: &Transaction<'_>,
        job_id: i64,
        type_id: i64,
        rev_id: i64,
        success: bool,
    ) -> rusqlite::Result<()> {
        let Some(def) = type_def(type_id) else {
            return Ok(());
        };
        let now = self.now;
        let exe_id: Option<i64> = tx
            .prepare_cached("SELECT MAX(id) FROM job_exes WHERE job_id = ?")?
            .query_row([job_id], |r| r.get(0))?;
        if success {
            if let Some(exe) = exe_id {
                tx.prepare_cached(
                    "UPDATE job_exes SET status = 'COMPLETED', pre_completed = COALESCE(pre_completed, ?1 - 4000000), \
                     pre_exit_code = 0, job_started = COALESCE(job_started, ?1 - 3000000), job_completed = ?1 - 2000000, \
                     job_exit_code = 0, post_started = ?1 - 1500000, post_completed = ?1 - 500000, post_exit_code = 0, \
                     ended = ?1, last_modified = ?1 WHERE id = ?2",
                )?
                .execute(params![now, exe])?;
            }
            let newest = revision_id(def, def.revisions) == rev_id;
            let results = self.write_outputs(tx, def, newest, job_id, exe_id.unwrap_or(0), now)?;
            tx.prepare_cached(
                "UPDATE jobs SET status = 'COMPLETED', ended = ?1, last_status_change = ?1, \
                 last_modified = ?1, results = ?2 WHERE id = ?3",
            )?
            .execute(params![now, results.to_string(), job_id])?;
        } else {
            let error = self.draw_error(def);
            if let Some(exe) = exe_id {
                tx.prepare_cached(
                    "UPDATE job_exes SET status = 'FAILED', pre_completed = COALESCE(pre_completed, ?1 - 2000000), \
                     pre_exit_code = 0, job_started = COALESCE(job_started, ?1 - 1000000), job_completed = ?1, \
                     job_exit_code = ?2, ended = ?1, last_modified = ?1, error_id = ?3 WHERE id = ?4",
                )?
                .execute(params![now, *self.rng.pick(&[1i64, 2, 3, 255]), error, exe])?;
            }
            tx.prepare_cached(
                "UPDATE jobs SET status = 'FAILED', ended = ?1, last_status_change = ?1, \
                 last_modified = ?1, error_id = ?2, error_category = ?3, error_title = ?4 WHERE id = ?5",
            )?
            .execute(params![now, error, error_category(error), error_title(error), job_id])?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Running,
    Completed,
    Canceled,
    Failed(i64),
}

/// Fills an empty database with `jobs` jobs drawn from `seed`, in one
/// transaction. Returns the number written.
pub fn generate(
    conn: &mut Connection,
    jobs: u32,
    seed: u64,
    now: DateTime<Utc>,
) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    write_catalog(&tx, to_micros(now))?;
    let mut g = Generator::new(seed, now);
    let mut written: usize = 0;
    let target = jobs as usize;
    while written < target {
        written += g.write_group(&tx, target - written)?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('seed', ?), ('generated_at', ?), \
         ('schema_version', ?)",
        params![
            seed.to_string(),
            Timestamp(now).to_scale_string(),
            db::SCHEMA_VERSION
        ],
    )?;
    tx.commit()?;
    Ok(written as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_bounded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.range(3, 9);
            assert_eq!(x, b.range(3, 9));
            assert!((3..=9).contains(&x));
            let u = a.unit();
            b.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn revision_ids_are_unique() {
        let mut ids: Vec<i64> = TYPES
            .iter()
            .flat_map(|t| (1..=t.revisions).map(move |r| revision_id(t, r)))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
