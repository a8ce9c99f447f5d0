//! mizani-core: the domain of social performance management, its SQLite store, the indicator
//! engine and the API that the CLI and the desktop shell both call. No Tauri here.

pub mod api;
pub mod backup;
pub mod boardpack;
pub mod catalogue;
pub mod dashboard;
pub mod demo;
pub mod engine;
pub mod entry;
pub mod error;
pub mod export;
pub mod expr;
pub mod import;
pub mod model;
pub mod period;
pub mod repo;
pub mod session;
pub mod sheet;
pub mod spm;
pub mod store;
pub mod sync;

pub use error::{CoreError, ErrorCode, Result};
pub use store::Store;
