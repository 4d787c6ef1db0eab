//! Presentational pieces: they take signals and callbacks and render.

pub mod alert;
pub mod filters;
pub mod pager;
pub mod status;
pub mod time;
