//! Pure logic with no DOM access, unit-tested natively: formatting, page
//! windows, sort toggling, list kinds and their URLs.

pub mod cancel;
pub mod format;
pub mod links;
pub mod listing;
pub mod pagination;
pub mod rows;
pub mod sort;
pub mod timeline;
