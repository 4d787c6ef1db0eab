//! The parsers and decoders never panic, whatever they are given: random
//! text, and random mutations of real Scale bodies (which reach far deeper
//! into the decoders than random text does). `cargo xtask test` runs a
//! bounded number of cases; `cargo xtask fuzz` sets `PROPTEST_CASES` high.

use proptest::prelude::*;
use scale_jobs_shared::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A few real bodies (a list, an executions list, a rich detail) as text.
fn seeds() -> &'static Vec<String> {
    static S: OnceLock<Vec<String>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scale-5.0");
        [
            "002_jobs_page1_default_order.json",
            "169_executions_page1_order_-last_modified.json",
            "085_job_detail_1_L_RICH.json",
            "158_updates_default.json",
        ]
        .iter()
        .map(|f| {
            let rec: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
            rec["body"].to_string()
        })
        .collect()
    })
}

/// Applies byte-level edits: the kind of damage a broken proxy or a
/// truncated response does.
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut b = text.as_bytes().to_vec();
    for &(pos, op, byte) in edits {
        if b.is_empty() {
            break;
        }
        let i = pos % b.len();
        match op % 4 {
            0 => b[i] = byte,
            1 => {
                b.remove(i);
            }
            2 => b.insert(i, byte),
            _ => b.truncate(i),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn decode_all(s: &str) {
    let _ = serde_json::from_str::<Page<Job>>(s);
    let rows = serde_json::from_str::<Page<JobRow>>(s);
    // The list pages' fast path never panics either, and never reads text
    // differently from serde: what it accepts, serde reads the same.
    if let Some(fast) = row_page::fast_row_page(s) {
        assert_eq!(Some(&fast), rows.as_ref().ok(), "fast path on {s:?}");
    }
    assert_eq!(decode_row_page(s).ok(), rows.ok(), "{s:?}");
    let _ = serde_json::from_str::<Page<JobExecution>>(s);
    let _ = serde_json::from_str::<JobDetails>(s);
    let _ = serde_json::from_str::<ErrorBody>(s);
    let _ = serde_json::from_str::<JobUpdateRequest>(s);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(500)))]

    #[test]
    fn decoders_never_panic_on_text(s in "\\PC{0,200}") {
        decode_all(&s);
    }

    #[test]
    fn decoders_never_panic_on_damaged_real_bodies(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
    ) {
        let damaged = mutate(&seeds()[which], &edits);
        decode_all(&damaged);
    }

    #[test]
    fn values_of_any_shape_decode_or_fail_cleanly(v in arb_json(3)) {
        let text = v.to_string();
        decode_all(&text);
        // A job with any value in any known field: decode or error, no panic.
        for field in ["status", "job_type", "error", "created", "latest_job_exe", "input_files", "superseded_job", "inputs", "job_exes", "count", "results"] {
            let obj = serde_json::json!({"id": 1, field: v.clone(), "count": 1, "results": [{"id": 2, field: v.clone()}]});
            decode_all(&obj.to_string());
        }
    }

    #[test]
    fn query_and_time_parsers_never_panic(s in "[a-z_=&%+:.,PTDHMSZ0-9-]{0,60}") {
        let _ = JobsQuery::parse_lenient(&s);
        let _ = UpdatesQuery::parse_lenient(&s);
        let _ = TimeBound::parse(&s);
        let _ = IsoDuration::parse(&s);
        let _ = Timestamp::parse(&s);
    }
}

fn arb_json(depth: u32) -> BoxedStrategy<serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        "\\PC{0,20}".prop_map(Value::String),
        Just(Value::String("2026-11-29T06:53:57.595974Z".into())),
        Just(Value::String("RUNNING".into())),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        leaf,
        proptest::collection::vec(arb_json(depth - 1), 0..4).prop_map(Value::Array),
        proptest::collection::btree_map(
            "(id|name|status|file_name|url|value|type|\\PC{0,6})",
            arb_json(depth - 1),
            0..5
        )
        .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
    .boxed()
}
