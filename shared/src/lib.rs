//! Typed models and query builders for Scale's job services API.
//!
//! One crate is shared by the browser app (building requests, decoding
//! answers), the development server (parsing queries, encoding answers) and
//! the tests, so the three cannot drift apart. It has no I/O and no web
//! dependencies: it builds and tests natively.

pub mod models;
pub mod paths;
pub mod query;
pub mod row_page;
pub mod status;
pub mod time;

pub use models::*;
pub use paths::*;
pub use query::*;
pub use row_page::decode_row_page;
pub use status::*;
pub use time::*;
