//! Page arithmetic: computed from `count`, never by following `next`.

/// Number of pages for `count` results (at least 1: an empty result still
/// has a page 1, which Scale answers with `count: 0`).
pub fn page_count(count: u64, page_size: u32) -> u32 {
    let size = u64::from(page_size.max(1));
    count.div_ceil(size).clamp(1, u64::from(u32::MAX)) as u32
}

/// One entry of a page list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageItem {
    Page(u32),
    Gap,
}

/// The pages to offer around `current`: the first, the last, and
/// `siblings` on each side, with gaps; a gap never hides just one page.
pub fn page_window(current: u32, pages: u32, siblings: u32) -> Vec<PageItem> {
    let pages = pages.max(1);
    let current = current.clamp(1, pages);
    let lo = current.saturating_sub(siblings).max(1);
    let hi = current.saturating_add(siblings).min(pages);
    let mut out = Vec::new();
    if lo > 1 {
        out.push(PageItem::Page(1));
        if lo == 3 {
            out.push(PageItem::Page(2));
        } else if lo > 3 {
            out.push(PageItem::Gap);
        }
    }
    out.extend((lo..=hi).map(PageItem::Page));
    if hi < pages {
        if hi + 2 == pages {
            out.push(PageItem::Page(pages - 1));
        } else if hi + 2 < pages {
            out.push(PageItem::Gap);
        }
        out.push(PageItem::Page(pages));
    }
    out
}

/// "Showing 101–200 of 3,062" numbers: the 1-based first and last row.
pub fn row_range(page: u32, page_size: u32, rows_on_page: usize) -> (u64, u64) {
    if rows_on_page == 0 {
        return (0, 0);
    }
    let first = u64::from(page.max(1) - 1) * u64::from(page_size) + 1;
    (first, first + rows_on_page as u64 - 1)
}

/// `3062` -> `3,062`.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::PageItem::*;
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(page_count(0, 100), 1);
        assert_eq!(page_count(100, 100), 1);
        assert_eq!(page_count(101, 100), 2);
        assert_eq!(page_count(3062, 25), 123);
        assert_eq!(page_count(5, 0), 5);
    }

    #[test]
    fn windows() {
        assert_eq!(page_window(1, 1, 1), vec![Page(1)]);
        assert_eq!(page_window(1, 3, 1), vec![Page(1), Page(2), Page(3)]);
        assert_eq!(page_window(1, 10, 1), vec![Page(1), Page(2), Gap, Page(10)]);
        assert_eq!(
            page_window(5, 10, 1),
            vec![Page(1), Gap, Page(4), Page(5), Page(6), Gap, Page(10)]
        );
        // A gap would hide only page 2 / page 9: show the page instead.
        assert_eq!(
            page_window(4, 10, 1),
            vec![Page(1), Page(2), Page(3), Page(4), Page(5), Gap, Page(10)]
        );
        assert_eq!(
            page_window(7, 10, 1),
            vec![Page(1), Gap, Page(6), Page(7), Page(8), Page(9), Page(10)]
        );
        assert_eq!(
            page_window(99, 10, 1),
            vec![Page(1), Gap, Page(9), Page(10)]
        );
    }

    #[test]
    fn ranges_and_grouping() {
        assert_eq!(row_range(2, 100, 100), (101, 200));
        assert_eq!(row_range(3, 25, 12), (51, 62));
        assert_eq!(row_range(1, 25, 0), (0, 0));
        assert_eq!(group_thousands(3062), "3,062");
        assert_eq!(group_thousands(100000), "100,000");
        assert_eq!(group_thousands(7), "7");
    }
}
