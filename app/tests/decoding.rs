//! The list decoder as the browser runs it. In the wasm build its string
//! scanner reads sixteen bytes at a time with wasm SIMD (native builds,
//! and shared/tests with them, scan eight at a time in a `u64`), so its
//! edges are tested here, in headless Chromium: every byte that ends a
//! plain run, at every place in and across a block of sixteen, in a value
//! the row keeps and in one it skips, must decode as serde_json decodes
//! it, or be refused as serde_json refuses it.
#![cfg(target_arch = "wasm32")]

use scale_jobs_shared::row_page::{decode_row_page, fast_row_page};
use scale_jobs_shared::{JobRow, Page};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// These tests are for the SIMD scanner: a build without simd128 (a
// RUSTFLAGS that replaces .cargo/config.toml's) would pass them on the
// word scan and prove nothing about it.
const _: () = assert!(
    cfg!(target_feature = "simd128"),
    "built without wasm SIMD: see .cargo/config.toml"
);

/// A one-row page with `kept` as the job type's name (a value the row
/// keeps) and `skipped` as its description (one it skips), both as JSON
/// string contents.
fn page(kept: &str, skipped: &str) -> String {
    format!(
        r#"{{"count":1,"next":null,"previous":null,"results":[{{"id":7,"job_type":{{"id":1,"name":"{kept}","version":"1.0","description":"{skipped}"}},"status":"RUNNING"}}]}}"#
    )
}

/// What may come in a JSON string, each ending a plain run where it
/// stands: escapes (kept as what they stand for), characters of two to
/// four bytes, DEL and bytes at the ends of the plain range.
const ACCEPTED: [&str; 9] = [
    r#"\""#, r"\\", r"\n", r"\u00e9", r"\/", "é", "😀", "\u{7f}", " !#[]~",
];

/// What serde_json refuses in a string: raw control characters, and an
/// escape it does not know.
const REFUSED: [&str; 4] = ["\u{0}", "\u{1f}", "\t", r"\x"];

#[wasm_bindgen_test]
fn every_string_byte_at_every_place_in_a_block_decodes_as_serde_does() {
    let mut checked = 0;
    for special in ACCEPTED {
        for at in 0..40 {
            let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(40 - at));
            let short = "c".repeat(at % 17);
            for body in [page(&text, &short), page(&short, &text)] {
                let serde: Page<JobRow> = serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("serde refused {body}: {e}"));
                let fast = fast_row_page(&body);
                assert_eq!(fast.as_ref(), Some(&serde), "{body}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, ACCEPTED.len() * 40 * 2);
    // The kept name reads back as written, escapes resolved: a scanner
    // that stopped short or ran past a quote would cut or swallow it.
    let body = page(
        &format!("{}\\\"q\\\"{}", "x".repeat(15), "y".repeat(17)),
        "",
    );
    let name = fast_row_page(&body)
        .and_then(|p| p.results.into_iter().next())
        .and_then(|r| r.job_type)
        .and_then(|t| t.name);
    assert_eq!(
        name.as_deref(),
        Some(format!("{}\"q\"{}", "x".repeat(15), "y".repeat(17)).as_str())
    );
}

#[wasm_bindgen_test]
fn a_refused_byte_anywhere_in_a_block_is_refused_as_serde_refuses_it() {
    for special in REFUSED {
        for at in 0..40 {
            let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(40 - at));
            for body in [page(&text, ""), page("", &text)] {
                assert_eq!(fast_row_page(&body), None, "{body:?}");
                let serde = serde_json::from_str::<Page<JobRow>>(&body).map_err(|e| e.to_string());
                assert!(serde.is_err(), "serde took {body:?}");
                // The page as a whole gets serde's own answer: its error.
                assert_eq!(
                    decode_row_page(&body).map_err(|e| e.to_string()),
                    serde,
                    "{body:?}"
                );
            }
        }
    }
}
