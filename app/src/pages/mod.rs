//! One module per route; pages own their data loading.

pub mod job;
pub mod list;
pub mod not_found;
