//! Counting test results across suites, for `test`'s closing
//! `N passed, M failed` line.
//!
//! libtest and wasm-bindgen-test-runner both close each test binary with
//! `test result: ok. 12 passed; 0 failed; 0 ignored; ...`; a step's counts
//! are the sum of those lines. A step that fails without a failing test
//! (a compile error, fmt, clippy, a crashed runner) counts as one failure,
//! so the totals never read "0 failed" for a red run.

use std::fmt;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Sums every `test result:` line in `output`; `None` when there is none.
pub fn test_results(output: &str) -> Option<Counts> {
    let mut total = None::<Counts>;
    for line in output.lines() {
        let Some(at) = line.find("test result:") else {
            continue;
        };
        let line = &line[at..];
        let counts = Counts {
            passed: number_before(line, "passed"),
            failed: number_before(line, "failed"),
        };
        *total.get_or_insert_with(Counts::default) += counts;
    }
    total
}

/// The integer right before `word` in a `;`-separated result line.
fn number_before(line: &str, word: &str) -> u64 {
    line.split(';')
        .filter_map(|part| {
            let mut words = part.split_whitespace().rev();
            (words.next() == Some(word))
                .then(|| words.next()?.parse::<u64>().ok())
                .flatten()
        })
        .sum()
}

/// A step's contribution to the totals from its exit status and output.
pub fn step_counts(is_test_suite: bool, succeeded: bool, output: &str) -> Counts {
    let mut counts = if is_test_suite {
        test_results(output).unwrap_or_default()
    } else {
        Counts::default()
    };
    if !succeeded && counts.failed == 0 {
        counts.failed = 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO_TEST: &str = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/fixtures.rs
running 2 tests
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s
   Doc-tests scale_jobs_shared
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn sums_every_result_line() {
        assert_eq!(
            test_results(CARGO_TEST),
            Some(Counts {
                passed: 4,
                failed: 1
            })
        );
    }

    #[test]
    fn reads_the_wasm_bindgen_test_runner_summary() {
        let out = "Running headless tests in Chrome on `http://127.0.0.1:41235/`\n\
                   test result: ok. 7 passed; 0 failed; 0 ignored; 0 filtered out; finished in 1.02s\n";
        assert_eq!(
            test_results(out),
            Some(Counts {
                passed: 7,
                failed: 0
            })
        );
    }

    #[test]
    fn no_result_line_is_none() {
        assert_eq!(test_results("error[E0425]: cannot find value"), None);
    }

    #[test]
    fn a_failed_step_without_failing_tests_counts_once() {
        let compile_error = step_counts(true, false, "error: could not compile");
        assert_eq!(
            compile_error,
            Counts {
                passed: 0,
                failed: 1
            }
        );
        let clippy = step_counts(false, false, "test result: ok. 9 passed; 0 failed;");
        assert_eq!(
            clippy,
            Counts {
                passed: 0,
                failed: 1
            }
        );
        let red_suite = step_counts(true, false, CARGO_TEST);
        assert_eq!(
            red_suite,
            Counts {
                passed: 4,
                failed: 1
            }
        );
        let green_build = step_counts(false, true, "");
        assert_eq!(green_build, Counts::default());
    }

    #[test]
    fn prints_the_closing_line_format() {
        let c = Counts {
            passed: 12,
            failed: 0,
        };
        assert_eq!(c.to_string(), "12 passed, 0 failed");
    }
}
