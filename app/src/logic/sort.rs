//! Column sorting: a click cycles one column ascending -> descending -> off
//! (replacing any other order); shift-click adds the column as a further
//! order, or cycles it in place.

use scale_jobs_shared::SortOrder;

/// The new order list after a click on `field`'s header.
pub fn toggle_sort(current: &[SortOrder], field: &str, additive: bool) -> Vec<SortOrder> {
    let pos = current.iter().position(|o| o.field == field);
    if additive {
        let mut out = current.to_vec();
        match pos {
            None => out.push(SortOrder::asc(field)),
            Some(i) if !out[i].descending => out[i].descending = true,
            Some(i) => {
                out.remove(i);
            }
        }
        out
    } else {
        match pos.map(|i| current[i].descending) {
            // Only the primary, sole order cycles; a column that was a
            // secondary order becomes the only one, ascending.
            Some(false) if current.len() == 1 => vec![SortOrder::desc(field)],
            Some(true) if current.len() == 1 => Vec::new(),
            _ => vec![SortOrder::asc(field)],
        }
    }
}

/// Where `field` stands in the order: its 1-based rank and direction.
pub fn sort_state(current: &[SortOrder], field: &str) -> Option<(usize, bool)> {
    current
        .iter()
        .position(|o| o.field == field)
        .map(|i| (i + 1, current[i].descending))
}

/// The `aria-sort` value of a header. Only the primary sort column gets a
/// direction: ARIA allows one sorted column per table.
pub fn aria_sort(current: &[SortOrder], field: &str) -> &'static str {
    match sort_state(current, field) {
        Some((1, false)) => "ascending",
        Some((1, true)) => "descending",
        Some(_) => "other",
        None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Vec<SortOrder> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(|x| SortOrder::parse(x).unwrap())
            .collect()
    }

    fn s(v: &[SortOrder]) -> String {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn click_cycles_asc_desc_off() {
        let a = toggle_sort(&[], "priority", false);
        assert_eq!(s(&a), "priority");
        let b = toggle_sort(&a, "priority", false);
        assert_eq!(s(&b), "-priority");
        let c = toggle_sort(&b, "priority", false);
        assert_eq!(s(&c), "");
    }

    #[test]
    fn click_on_another_column_replaces() {
        assert_eq!(
            s(&toggle_sort(&o("-priority,id"), "status", false)),
            "status"
        );
        // A secondary column clicked alone becomes the only order.
        assert_eq!(s(&toggle_sort(&o("priority,-id"), "id", false)), "id");
    }

    #[test]
    fn shift_click_adds_and_cycles_in_place() {
        let a = toggle_sort(&o("-priority"), "status", true);
        assert_eq!(s(&a), "-priority,status");
        let b = toggle_sort(&a, "status", true);
        assert_eq!(s(&b), "-priority,-status");
        let c = toggle_sort(&b, "status", true);
        assert_eq!(s(&c), "-priority");
        assert_eq!(
            s(&toggle_sort(&o("-priority,status"), "priority", true)),
            "status"
        );
    }

    #[test]
    fn aria() {
        let v = o("-priority,status");
        assert_eq!(aria_sort(&v, "priority"), "descending");
        assert_eq!(aria_sort(&v, "status"), "other");
        assert_eq!(aria_sort(&v, "id"), "none");
        assert_eq!(sort_state(&v, "status"), Some((2, false)));
    }
}
