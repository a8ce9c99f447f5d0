//! Errors that cross every boundary (CLI, IPC): a stable machine `code` and a human `message`.
//! Front ends branch on `code`, never on the text.

use serde::Serialize;
use ts_rs::TS;

/// Stable error codes. Adding one is fine; renaming one breaks the UI and scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A value given by the user is malformed or out of range (the message names the field).
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The operation conflicts with existing data (duplicate code, non-empty database, …).
    Conflict,
    /// The database was written by a newer Mizani and cannot be opened by this one.
    DatabaseTooNew,
    /// The database file is not a Mizani database or is damaged.
    DatabaseDamaged,
    /// The database has no institution yet (`mizani init` or `mizani demo` first).
    NotInitialised,
    /// An import file was rejected as a whole; the message lists every bad line.
    ImportRejected,
    /// A formula does not parse or refers to unknown data elements.
    InvalidFormula,
    /// Reading or writing a file failed.
    Io,
    /// SQLite reported an unexpected error.
    Database,
    /// This site may not change that data (a branch site changes only its own branches'
    /// measurements; the rest is managed at head office).
    NotOwned,
    /// A synchronisation or enrolment file was refused as a whole; the database is unchanged.
    PackageRefused,
    /// The database is encrypted: its passphrase is needed to open it.
    PassphraseRequired,
    /// The passphrase given does not open the database.
    PassphraseWrong,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::DatabaseTooNew => "database_too_new",
            ErrorCode::DatabaseDamaged => "database_damaged",
            ErrorCode::NotInitialised => "not_initialised",
            ErrorCode::ImportRejected => "import_rejected",
            ErrorCode::InvalidFormula => "invalid_formula",
            ErrorCode::Io => "io",
            ErrorCode::Database => "database",
            ErrorCode::NotOwned => "not_owned",
            ErrorCode::PackageRefused => "package_refused",
            ErrorCode::PassphraseRequired => "passphrase_required",
            ErrorCode::PassphraseWrong => "passphrase_wrong",
        }
    }
}

/// A problem with one field of a form (the UI shows it next to that field).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FieldError {
    /// The field: a form field name or, in the data-entry grid, a data element code.
    pub field: String,
    pub message: String,
    /// For formulas: the 1-based character position of the problem.
    pub position: Option<u32>,
}

/// The one error type of mizani-core; crosses the IPC boundary as `{code, message, …}`.
#[derive(Debug, Clone, thiserror::Error, Serialize, TS)]
#[error("{message}")]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
    /// Line-level details (e.g. every rejected row of an import).
    pub details: Vec<String>,
    /// Field-level problems of a form.
    pub fields: Vec<FieldError>,
    /// What kept SQLite from reading or writing the database file (disk full, read-only,
    /// I/O error), so that the store can name the file and the folder in the message.
    #[serde(skip)]
    #[ts(skip)]
    pub(crate) storage: Option<StorageFault>,
}

/// Why the database file could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StorageFault {
    /// SQLITE_FULL: no space left (or a file size limit).
    Full,
    /// SQLITE_IOERR: the write or sync failed (a file size limit gives EFBIG here).
    Io,
    /// SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM: the file or its folder cannot be written.
    ReadOnly,
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CoreError {
            code,
            message: message.into(),
            details: Vec::new(),
            fields: Vec::new(),
            storage: None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }
    /// An invalid-input error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        CoreError::invalid(message.clone()).with_fields(vec![FieldError {
            field: field.to_string(),
            message,
            position: None,
        }])
    }
    /// Attaches this error to a form field (keeps a position already known).
    pub fn on_field(mut self, field: &str) -> Self {
        if self.fields.is_empty() {
            self.fields.push(FieldError {
                field: field.to_string(),
                message: self.message.clone(),
                position: None,
            });
        } else {
            for f in &mut self.fields {
                f.field = field.to_string();
            }
        }
        self
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as E;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            let storage = |fault: StorageFault, message: String| {
                let mut c = CoreError::new(ErrorCode::Io, message);
                c.storage = Some(fault);
                c.details = vec![format!("SQLite: {e}")];
                c
            };
            match f.code {
                E::NotADatabase | E::DatabaseCorrupt => {
                    return CoreError::new(
                        ErrorCode::DatabaseDamaged,
                        format!("the database file is damaged or is not a Mizani database ({e})"),
                    )
                }
                E::DatabaseBusy | E::DatabaseLocked => return CoreError::new(
                    ErrorCode::Database,
                    "the database is busy (another Mizani window or command is writing); try again",
                ),
                E::ReadOnly | E::CannotOpen | E::PermissionDenied => {
                    return storage(
                        StorageFault::ReadOnly,
                        format!("the database cannot be written ({e}); nothing was changed"),
                    )
                }
                E::DiskFull => {
                    return storage(
                        StorageFault::Full,
                        "the disk is full: nothing was saved; free some space and try again"
                            .into(),
                    )
                }
                E::SystemIoFailure => {
                    return storage(
                        StorageFault::Io,
                        format!("the disk refused to write the database ({e}; the disk may be full); nothing was saved; free some space or check the disk and try again"),
                    )
                }
                _ => {}
            }
        }
        CoreError::new(ErrorCode::Database, format!("database error: {e}"))
    }
}

/// A plain reason for a failed file write: "the disk is full" rather than "os error 28".
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull => format!("the disk is full ({e})"),
        K::FileTooLarge => format!("the disk is full or the file is too large ({e})"),
        K::ReadOnlyFilesystem => format!("the disk is read-only ({e})"),
        K::PermissionDenied => {
            format!("permission denied: the folder or file is read-only for you ({e})")
        }
        _ => e.to_string(),
    }
}

impl From<std::io::Error> for CoreError {
    fn from(e: std::io::Error) -> Self {
        CoreError::new(ErrorCode::Io, io_reason(&e))
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
