//! Pure logic with no DOM access, unit-tested natively: formatting, page
//! windows, sort toggling, list kinds and their URLs.

pub mod format;
pub mod listing;
pub mod pagination;
pub mod sort;
