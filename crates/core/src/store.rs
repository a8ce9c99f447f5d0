//! The SQLite store: opening (pragmas in one place), migrations (embedded, append-only, one
//! transaction, `user_version` guard) and the single write path ([`Store::write`]) that runs in
//! an IMMEDIATE transaction and records every change in the audit trail.

use crate::error::{CoreError, ErrorCode, Result, StorageFault};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

/// Embedded migrations, in order. Append only: released files are never edited. Schema version
/// N is the first N of them (tests/fixtures/db/vN.sqlite holds a database of each).
pub const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_assessments.sql"),
    include_str!("../migrations/0003_comment_index.sql"),
    include_str!("../migrations/0004_sync.sql"),
    include_str!("../migrations/0005_import_mapping.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `PRAGMA application_id` of Mizani databases ("MZNI").
pub const APPLICATION_ID: i64 = 0x4D5A_4E49;

/// Environment variable that overrides the database location.
pub const DB_ENV: &str = "MIZANI_DB";

/// The default database file: `<OS data dir>/mizani.sqlite`.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "Mizani", "Mizani").ok_or_else(|| {
        CoreError::new(
            ErrorCode::Io,
            "cannot find a data directory for this user; use --db PATH",
        )
    })?;
    Ok(dirs.data_dir().join("mizani.sqlite"))
}

/// `--db` if given, else `MIZANI_DB`, else the OS data dir.
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(DB_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    default_db_path()
}

/// The user name written in the audit trail: `MIZANI_USER`, else the OS user.
pub fn current_user() -> String {
    for var in ["MIZANI_USER", "USER", "USERNAME", "LOGNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.trim().is_empty() {
                return v.trim().to_string();
            }
        }
    }
    "unknown".to_string()
}

/// The first problems SQLite's `integrity_check` / `quick_check` reported, on one line.
pub fn summarise_check(rows: &[String]) -> String {
    let lines: Vec<&str> = rows
        .iter()
        .flat_map(|r| r.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .collect();
    let mut out = lines.iter().take(3).copied().collect::<Vec<_>>().join("; ");
    if lines.len() > 3 {
        out.push_str(&format!("; … {} more", lines.len() - 3));
    }
    out
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Keeps a file-size limit (`ulimit -f`, `prlimit --fsize`) from killing the process in the
/// middle of a write: with SIGXFSZ handled, a write past the limit fails with EFBIG instead,
/// which SQLite reports as an I/O error and the write path as "nothing was saved", like a full
/// disk. Front ends call it once at start.
pub fn handle_file_size_signal() {
    #[cfg(unix)]
    {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, flag);
    }
}

/// An open Mizani database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    user: String,
    /// The passphrase of an encrypted database (SQLCipher), kept to encrypt its backups alike.
    key: Option<String>,
    /// Transactions committed through this store (with `PRAGMA data_version`, which counts
    /// other connections' commits, it tells whether anything changed since a backup).
    writes: u64,
    /// The newest backup this process took of this database, with the change mark it holds.
    backed_up: RefCell<Option<((i64, u64), PathBuf)>>,
    /// Inside a batch of changes (a sync-folder round): whether its backup was taken.
    backup_batch: Cell<Option<bool>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("user", &self.user)
            .finish()
    }
}

fn configure(conn: &Connection, in_memory: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A file the user cannot write (read-only file or folder) is opened read-only by SQLite:
    // it can still be read, and any write is refused with a message naming the folder.
    if !in_memory && !conn.is_readonly(rusqlite::MAIN_DB)? {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CoreError::new(
                ErrorCode::Io,
                format!("the database could not be switched to WAL mode (got {mode})"),
            ));
        }
        // NORMAL is durable in WAL mode except for the last commits on power loss; FULL keeps
        // every acknowledged write, which is what we promise.
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Initialises SQLite (and SQLCipher) once per process before any connection is opened.
/// SQLCipher registers its `sqlcipher_export` function for new connections only at the end of
/// its first initialisation, outside its lock: a connection another thread opened meanwhile
/// would lack it (and re-keying on it fail). Every connection Mizani opens comes after this.
pub(crate) fn sqlite_ready() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        let _ = Connection::open_in_memory();
    });
}

impl Store {
    fn new(conn: Connection, path: Option<PathBuf>, key: Option<String>) -> Store {
        Store {
            conn,
            path,
            user: current_user(),
            key,
            writes: 0,
            backed_up: RefCell::new(None),
            backup_batch: Cell::new(None),
        }
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// An encrypted database needs [`Store::open_with_key`]. Pages are read only as needed:
    /// damage elsewhere in the file surfaces later as `database_damaged` (see
    /// [`Store::open_checked`]). An existing database is backed up before a migration.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, None, false)
    }

    /// Opens the database at `path` with its passphrase when it is encrypted (SQLCipher).
    pub fn open_with_key(path: &Path, key: Option<&str>) -> Result<Store> {
        Store::open_with(path, key, false)
    }

    /// [`Store::open_with_key`], then SQLite's `quick_check` of every page before anything is
    /// changed: the app opens databases this way, so a damaged file is caught at once (and the
    /// newest good backup offered) rather than at the first page that cannot be read.
    pub fn open_checked(path: &Path, key: Option<&str>) -> Result<Store> {
        Store::open_with(path, key, true)
    }

    fn open_with(path: &Path, key: Option<&str>, check: bool) -> Result<Store> {
        sqlite_ready();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                CoreError::new(
                    ErrorCode::Io,
                    format!(
                        "cannot create the folder {} for the database: {e}",
                        dir.display()
                    ),
                )
            })?;
        }
        let conn = Connection::open(path).map_err(|e| {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if dir_writable(dir) {
                CoreError::new(
                    ErrorCode::Io,
                    format!("cannot open {}: {e}", path.display()),
                )
            } else {
                storage_error(Some(path), CoreError::from(e), true)
            }
        })?;
        // A passphrase given for a plain database is not needed (and would not open it).
        let plain = std::fs::metadata(path).is_ok_and(|m| m.len() > 0) && !looks_encrypted(path);
        let key = key.filter(|k| !k.is_empty() && !plain);
        if let Some(k) = key {
            conn.pragma_update(None, "key", k)?;
        }
        // The first read decrypts the first page: a wrong or missing passphrase shows here.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            let name = path.display();
            let not_db = matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::NotADatabase)
            );
            return Err(match (not_db, key.is_some(), looks_encrypted(path)) {
                (true, true, _) => CoreError::new(
                    ErrorCode::PassphraseWrong,
                    format!("this passphrase does not open {name}; check it (capitals, spaces) and try again"),
                ),
                (true, false, true) => CoreError::new(
                    ErrorCode::PassphraseRequired,
                    format!("{name} is encrypted, or it is not a Mizani database: if it is encrypted, enter its passphrase to open it"),
                ),
                (true, false, false) => CoreError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("{name} is not a Mizani database, or it is damaged"),
                ),
                // Read-only folder, disk full, I/O error: named plainly (see storage_error).
                _ => storage_error(Some(path), CoreError::from(e), true),
            });
        }
        let mut store = Store::new(conn, Some(path.to_path_buf()), key.map(str::to_string));
        let ready = (|| {
            store.check_identity()?;
            configure(&store.conn, false)?;
            if check {
                store.quick_check()?;
            }
            let version = store.schema_version()?;
            if version > 0 && version < SCHEMA_VERSION {
                // The old schema, before anything changes (docs/RELIABILITY.md, Upgrades).
                crate::backup::before_migration(&store, version)?;
            }
            store.migrate()
        })();
        ready.map_err(|e| storage_error(Some(path), e, true))?;
        Ok(store)
    }

    /// `PRAGMA quick_check`: every page is read and its structure checked (not the indexes'
    /// content); `database_damaged` naming the first problems otherwise.
    pub fn quick_check(&self) -> Result<()> {
        let rows: Vec<String> = {
            let mut stmt = self.conn.prepare("PRAGMA quick_check(10)")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if rows.len() == 1 && rows[0] == "ok" {
            return Ok(());
        }
        Err(CoreError::new(
            ErrorCode::DatabaseDamaged,
            format!(
                "{} is damaged (SQLite's check: {})",
                self.path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                summarise_check(&rows)
            ),
        ))
    }

    /// Closes the connection (the last one to close removes the WAL file); on failure the store
    /// is handed back.
    #[allow(clippy::result_large_err)]
    pub fn close(self) -> std::result::Result<(), (Store, CoreError)> {
        let Store {
            conn,
            path,
            user,
            key,
            writes,
            backed_up,
            backup_batch,
        } = self;
        conn.close().map_err(|(conn, e)| {
            (
                Store {
                    conn,
                    path,
                    user,
                    key,
                    writes,
                    backed_up,
                    backup_batch,
                },
                CoreError::from(e),
            )
        })
    }

    /// What changed since when: (`PRAGMA data_version`, commits through this store).
    pub(crate) fn change_mark(&self) -> Result<(i64, u64)> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((v, self.writes))
    }

    /// Records that `path` is a backup of the current state.
    pub(crate) fn set_backed_up(&self, path: PathBuf) {
        if let Ok(m) = self.change_mark() {
            *self.backed_up.borrow_mut() = Some((m, path));
        }
    }

    /// Records that `path` holds the state the store had at `mark`.
    pub(crate) fn set_backed_up_at(&self, mark: (i64, u64), path: PathBuf) {
        *self.backed_up.borrow_mut() = Some((mark, path));
    }

    /// Whether this process took a backup of this database.
    pub(crate) fn has_backed_up(&self) -> bool {
        self.backed_up.borrow().is_some()
    }

    pub(crate) fn backed_up_path(&self) -> Option<PathBuf> {
        self.backed_up.borrow().as_ref().map(|x| x.1.clone())
    }

    /// True when the newest backup this process took still exists and nothing changed since.
    pub(crate) fn backed_up_unchanged(&self) -> Result<bool> {
        let now = self.change_mark()?;
        Ok(matches!(&*self.backed_up.borrow(), Some((m, p)) if *m == now && p.exists()))
    }

    /// Runs `f` as one batch of changes: only the first change that asks for a safety backup
    /// ([`crate::backup::before_change`]) gets one (a sync-folder round of several packages).
    pub fn backup_batch<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> T {
        let outer = self.backup_batch.replace(Some(false));
        let out = f(self);
        self.backup_batch.set(outer);
        out
    }

    pub(crate) fn in_backup_batch_done(&self) -> bool {
        self.backup_batch.get() == Some(true)
    }

    pub(crate) fn mark_backup_batch_done(&self) {
        if self.backup_batch.get().is_some() {
            self.backup_batch.set(Some(true));
        }
    }

    /// A fresh in-memory database (tests, previews).
    pub fn open_in_memory() -> Result<Store> {
        sqlite_ready();
        let conn = Connection::open_in_memory()?;
        configure(&conn, true)?;
        let mut store = Store::new(conn, None, None);
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn set_user(&mut self, user: impl Into<String>) {
        self.user = user.into();
    }

    /// Whether the database is encrypted (opened with a passphrase).
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// The passphrase the database was opened with (for connections of its own, such as a
    /// scheduled backup's, and for reading its encrypted backups).
    pub(crate) fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Encrypts the database with `passphrase`, changes its passphrase, or (with `None`)
    /// removes the encryption: the whole database is exported by SQLCipher into a new file with
    /// the new key, which is checked and then swapped in atomically (rename); the old file is
    /// gone. Backups made before keep the key they were made with.
    pub fn rekey(&mut self, passphrase: Option<&str>) -> Result<()> {
        let Some(path) = self.path.clone() else {
            return Err(CoreError::invalid(
                "an in-memory database cannot be encrypted",
            ));
        };
        let new_key = passphrase.filter(|p| !p.is_empty());
        if let Some(p) = new_key {
            validate_passphrase(p)?;
        }
        if new_key.is_none() && self.key.is_none() {
            return Err(CoreError::invalid("the database is not encrypted"));
        }
        let tmp = path.with_extension("rekey.partial");
        let _ = std::fs::remove_file(&tmp);
        let export = || -> Result<()> {
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            self.conn.execute(
                "ATTACH DATABASE ?1 AS rekeyed KEY ?2",
                rusqlite::params![tmp.display().to_string(), new_key.unwrap_or("")],
            )?;
            let r = (|| -> Result<()> {
                self.conn
                    .query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))?;
                let version = self.schema_version()?;
                self.conn
                    .pragma_update(Some("rekeyed"), "user_version", version)?;
                self.conn
                    .pragma_update(Some("rekeyed"), "application_id", APPLICATION_ID)?;
                Ok(())
            })();
            self.conn.execute("DETACH DATABASE rekeyed", [])?;
            r?;
            // The new file opens with the new key and is sound before it replaces the old one.
            let check = Connection::open(&tmp)?;
            if let Some(k) = new_key {
                check.pragma_update(None, "key", k)?;
            }
            let ok: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(CoreError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("the re-encrypted copy failed its integrity check: {ok}"),
                ));
            }
            Ok(())
        };
        if let Err(e) = export() {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // Swap: close this connection, rename over the database, reopen with the new key.
        let old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        drop(old);
        let swapped = (|| {
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            std::fs::rename(&tmp, &path).map_err(|e| {
                CoreError::new(
                    ErrorCode::Io,
                    format!(
                        "cannot replace {}: {e}; the database was not changed",
                        path.display()
                    ),
                )
            })?;
            Store::open_with_key(&path, new_key)
        })();
        let reopened = match swapped {
            Ok(s) => s,
            Err(e) => {
                // Never go on with the placeholder connection: back to the database as it is.
                let _ = std::fs::remove_file(&tmp);
                let back = Store::open_with_key(&path, self.key.as_deref())?;
                self.conn = back.conn;
                return Err(e);
            }
        };
        self.conn = reopened.conn;
        self.key = reopened.key;
        // Earlier backups hold the old key: the next one is due whatever changed.
        *self.backed_up.borrow_mut() = None;
        Ok(())
    }

    /// Read access. Writes must go through [`Store::write`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Refuses files that are not Mizani databases before anything is written to them.
    fn check_identity(&self) -> Result<()> {
        let app_id: i64 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        let name = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if app_id != 0 && app_id != APPLICATION_ID {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!("{name} is an SQLite database of another program, not a Mizani database"),
            ));
        }
        if app_id == 0 && (version != 0 || tables != 0) {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!("{name} is an SQLite database of another program, not a Mizani database"),
            ));
        }
        if version > SCHEMA_VERSION {
            return Err(CoreError::new(
                ErrorCode::DatabaseTooNew,
                format!(
                    "{name} was written by a newer Mizani (schema version {version}; this Mizani knows up to {SCHEMA_VERSION}). Install the newer Mizani to open it; nothing was changed."
                ),
            ));
        }
        Ok(())
    }

    /// Applies pending migrations in one IMMEDIATE transaction.
    fn migrate(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(CoreError::new(
                ErrorCode::DatabaseTooNew,
                format!("the database was written by a newer Mizani (schema version {version}; this Mizani knows up to {SCHEMA_VERSION}). Install the newer Mizani to open it; nothing was changed."),
            ));
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(|e| {
                CoreError::new(
                    ErrorCode::Database,
                    format!("migration {} failed: {e}", i + 1),
                )
            })?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        self.writes += 1;
        Ok(())
    }

    /// The one write path: runs `f` in an IMMEDIATE transaction; every change made through the
    /// [`WriteTx`] is recorded in the audit trail under one batch named `action`. Commits only if
    /// `f` succeeds; otherwise nothing is written.
    pub fn write<T>(
        &mut self,
        action: &str,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        self.write_inner(action, f)
            .map_err(|e| storage_error(path.as_deref(), e, false))
    }

    fn write_inner<T>(
        &mut self,
        action: &str,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        let user = self.user.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let capture = crate::sync::capture::load(&tx)?;
        let mut w = WriteTx {
            tx,
            user,
            action: action.to_string(),
            batch: None,
            at: now_unix(),
            capture,
        };
        let out = f(&mut w)?;
        if let Some(c) = &w.capture {
            c.save(&w.tx)?;
        }
        w.tx.commit()?;
        self.writes += 1;
        Ok(out)
    }

    /// Online backup (SQLite's backup API; consistent even while others write).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        backup_connection(&self.conn, dest, self.key.as_deref()).map_err(|e| match e.storage {
            Some(fault) => {
                let why = match fault {
                    StorageFault::ReadOnly => "its folder is read-only",
                    StorageFault::Full | StorageFault::Io => {
                        "the disk is full or refused the write"
                    }
                };
                let mut c = CoreError::new(
                    ErrorCode::Io,
                    format!(
                        "cannot write the backup {}: {why}; no backup file was left (the database is unchanged)",
                        dest.display()
                    ),
                );
                c.details = e.details;
                c
            }
            None => e,
        })
    }
}

/// Re-writes the closed database file at `path` (a backup) with `new` as its passphrase (None:
/// plain), reading it with `old`: SQLCipher exports it into a new file beside it, which is
/// checked and then renamed over it (an interruption leaves the old file).
pub fn rekey_file(path: &Path, old: Option<&str>, new: Option<&str>) -> Result<()> {
    sqlite_ready();
    let tmp = path.with_extension("rekey.partial");
    let _ = std::fs::remove_file(&tmp);
    let run = || -> Result<()> {
        let conn = Connection::open(path)?;
        if let Some(k) = old.filter(|_| looks_encrypted(path)) {
            conn.pragma_update(None, "key", k)?;
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS rekeyed KEY ?2",
            params![tmp.display().to_string(), new.unwrap_or("")],
        )?;
        conn.query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))?;
        conn.pragma_update(Some("rekeyed"), "user_version", version)?;
        conn.pragma_update(Some("rekeyed"), "application_id", app)?;
        conn.execute("DETACH DATABASE rekeyed", [])?;
        drop(conn);
        let check = Connection::open(&tmp)?;
        if let Some(k) = new {
            check.pragma_update(None, "key", k)?;
        }
        let ok: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!(
                    "the re-encrypted copy of {} failed its integrity check: {ok}",
                    path.display()
                ),
            ));
        }
        check.pragma_update(None, "journal_mode", "DELETE")?;
        drop(check);
        std::fs::File::open(&tmp).and_then(|f| f.sync_all())?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    };
    let r = run();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// Whether the file at `path` looks like an encrypted database: it exists, is not empty, and
/// does not start with SQLite's plain header.
pub fn looks_encrypted(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)) {
        // An encrypted file starts with a random salt: 16 equal bytes (zeros, a scribble) are
        // a damaged header, not a salt.
        Ok(()) => &head != b"SQLite format 3\0" && head.iter().any(|&b| b != head[0]),
        Err(_) => false,
    }
}

/// A passphrase must be long enough to resist guessing on a stolen laptop.
pub fn validate_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < 8 {
        return Err(CoreError::field(
            "passphrase",
            "the passphrase is too short: use at least 8 characters (a few words are easy to remember and hard to guess)",
        ));
    }
    Ok(())
}

/// Whether a file can be created in `dir` (probed with a file that is removed at once).
fn dir_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".mizani-write-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Whether the file at `path` can be opened for writing (nothing is written).
fn file_writable(path: &Path) -> bool {
    match std::fs::OpenOptions::new().append(true).open(path) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Rewrites an error SQLite gave while reading or writing the database file (disk full,
/// read-only file or folder, I/O error) into a plain message that names the file, says which
/// of the file or its folder is read-only, and that nothing was saved. `opening`: the error
/// came while opening the database (before any change was asked for).
fn storage_error(path: Option<&Path>, mut e: CoreError, opening: bool) -> CoreError {
    let (Some(fault), Some(path)) = (e.storage, path) else {
        return e;
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let doing = if opening {
        format!("cannot open the database {}", path.display())
    } else {
        format!("cannot save to the database {}", path.display())
    };
    e.message = match fault {
        StorageFault::ReadOnly => {
            let what = if !dir_writable(dir) {
                format!("the database folder {} is read-only", dir.display())
            } else if path.exists() && !file_writable(path) {
                format!("the database file {} is read-only", path.display())
            } else {
                format!("the database {} cannot be written", path.display())
            };
            let cannot = if opening {
                "Mizani cannot open the database there (SQLite writes its journal beside it)"
            } else {
                "Mizani cannot save there"
            };
            format!(
                "{what}: {cannot}; nothing was changed. Ask for write access, or copy the database to a folder you can write to and open it there."
            )
        }
        StorageFault::Full => format!(
            "{doing}: the disk is full; nothing was saved (everything saved before is intact). Free some space and try again."
        ),
        StorageFault::Io => format!(
            "{doing}: the disk refused a write (it may be full, or the file too large for it); nothing was saved (everything saved before is intact). Free some space or check the disk and try again."
        ),
    };
    e
}

/// Online backup of `src` to `dest` (which must not exist): SQLite's backup API copies every
/// page in one step, so the copy is one consistent snapshot even while other connections write
/// (in WAL mode they are not held up), encrypted with `key` when given; then `integrity_check` of the copy, a single
/// self-contained file (`journal_mode=DELETE`), `fsync`, and only then its name.
pub fn backup_connection(src: &Connection, dest: &Path, key: Option<&str>) -> Result<()> {
    sqlite_ready();
    if dest.exists() {
        return Err(CoreError::conflict(format!(
            "{} already exists; choose another file name",
            dest.display()
        )));
    }
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let run = || -> Result<()> {
        let mut out = Connection::open(&tmp).map_err(|e| {
            CoreError::new(
                ErrorCode::Io,
                format!("cannot write {}: {e}", tmp.display()),
            )
        })?;
        // A backup of an encrypted database is encrypted alike (same passphrase).
        if let Some(k) = key {
            out.pragma_update(None, "key", k)?;
        }
        {
            use rusqlite::backup::StepResult;
            let b = rusqlite::backup::Backup::new(src, &mut out)?;
            let mut waits = 0;
            loop {
                match b.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    _ if waits < 200 => {
                        waits += 1;
                        std::thread::sleep(std::time::Duration::from_millis(25));
                    }
                    _ => {
                        return Err(CoreError::new(
                            ErrorCode::Database,
                            "the database stayed busy during the backup; try again",
                        ))
                    }
                }
            }
        }
        let ok: String = out.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(CoreError::new(
                ErrorCode::DatabaseDamaged,
                format!("the backup failed its integrity check: {ok}"),
            ));
        }
        out.pragma_update(None, "journal_mode", "DELETE")?;
        out.close().map_err(|(_, e)| CoreError::from(e))?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all())?;
        std::fs::rename(&tmp, dest)?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    };
    let r = run();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// A table that the write path knows how to change.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// Columns of the primary or natural key.
    pub key: &'static [&'static str],
    /// Row metadata written with a change but neither compared nor audited
    /// (e.g. who entered a measurement and when: the audit batch records that already).
    pub unaudited: &'static [&'static str],
}

pub const ORGANISATION: Table = Table {
    name: "organisation",
    key: &["id"],
    unaudited: &[],
};
pub const REGION: Table = Table {
    name: "region",
    key: &["id"],
    unaudited: &[],
};
pub const BRANCH: Table = Table {
    name: "branch",
    key: &["id"],
    unaudited: &[],
};
pub const DATA_ELEMENT: Table = Table {
    name: "data_element",
    key: &["id"],
    unaudited: &[],
};
pub const INDICATOR: Table = Table {
    name: "indicator",
    key: &["id"],
    unaudited: &[],
};
pub const INDICATOR_FORMULA: Table = Table {
    name: "indicator_formula",
    key: &["indicator_id", "version"],
    unaudited: &[],
};
pub const OBJECTIVE: Table = Table {
    name: "objective",
    key: &["id"],
    unaudited: &[],
};
pub const OBJECTIVE_ACTIVITY: Table = Table {
    name: "objective_activity",
    key: &["id"],
    unaudited: &[],
};
pub const OBJECTIVE_INDICATOR: Table = Table {
    name: "objective_indicator",
    key: &["id"],
    unaudited: &[],
};
pub const TARGET: Table = Table {
    name: "target",
    key: &["id"],
    unaudited: &[],
};
pub const MEASUREMENT: Table = Table {
    name: "measurement",
    key: &["element_id", "month", "branch_id"],
    unaudited: &["entered_by", "entered_at"],
};
pub const ASSESSMENT: Table = Table {
    name: "assessment",
    key: &["id"],
    unaudited: &[],
};
pub const ASSESSMENT_ANSWER: Table = Table {
    name: "assessment_answer",
    key: &["assessment_id", "practice"],
    unaudited: &[],
};
pub const ACTION: Table = Table {
    name: "action",
    key: &["id"],
    unaudited: &[],
};
pub const ALIGNMENT: Table = Table {
    name: "alignment",
    key: &["objective_id", "process"],
    unaudited: &[],
};
pub const DECISION: Table = Table {
    name: "decision",
    key: &["id"],
    unaudited: &[],
};
pub const DECISION_INDICATOR: Table = Table {
    name: "decision_indicator",
    key: &["decision_id", "indicator_id"],
    unaudited: &[],
};

/// Every table whose rows are the institution's data, parents before children: what
/// synchronisation carries, an enrolment file holds and canonical dumps compare.
pub const DATA_TABLES: &[&Table] = &[
    &ORGANISATION,
    &REGION,
    &BRANCH,
    &DATA_ELEMENT,
    &INDICATOR,
    &INDICATOR_FORMULA,
    &OBJECTIVE,
    &OBJECTIVE_ACTIVITY,
    &OBJECTIVE_INDICATOR,
    &TARGET,
    &MEASUREMENT,
    &ASSESSMENT,
    &ASSESSMENT_ANSWER,
    &ACTION,
    &ALIGNMENT,
    &DECISION,
    &DECISION_INDICATOR,
];

/// The table called `name`, if it holds institution data.
pub fn data_table(name: &str) -> Option<&'static Table> {
    DATA_TABLES.iter().copied().find(|t| t.name == name)
}

/// What a [`WriteTx::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// A write transaction. All changes go through `insert`, `set` and `delete`, which keep the
/// audit trail.
pub struct WriteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    user: String,
    action: String,
    batch: Option<i64>,
    at: i64,
    /// Set when this database synchronises with other sites: every change is also recorded in
    /// the change log (crates/core/src/sync), and a branch site may change only what it owns.
    capture: Option<crate::sync::capture::Capture>,
}

fn audit_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(format_real(*r)),
        Value::Text(t) => Some(t.clone()),
        Value::Blob(b) => Some(format!("<{} bytes>", b.len())),
    }
}

/// Shortest text that reads back to the same f64.
pub fn format_real(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// [`format_real`] into a buffer (no allocation per value).
fn write_real(out: &mut String, r: f64) {
    use std::fmt::Write as _;
    let _ = if r.fract() == 0.0 && r.abs() < 1e15 {
        write!(out, "{}", r as i64)
    } else {
        write!(out, "{r}")
    };
}

/// How many audit rows [`WriteTx::set_measurements`] inserts with one statement (measured:
/// 1.3 s for a million instead of 2.4 s one by one; new measurements, by contrast, went no
/// faster many to a statement).
pub const BULK_ROWS: usize = 200;

/// One value for [`WriteTx::set_measurements`]: the branch and the data element as (id, code),
/// the month, the figure and the comment to store with it (when given).
#[derive(Debug, Clone, Copy)]
pub struct MeasurementValue<'a> {
    pub branch: (i64, &'a str),
    pub element: (i64, &'a str),
    pub month: crate::period::Month,
    pub value: f64,
    pub comment: Option<&'a str>,
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Real(y)) | (Value::Real(y), Value::Integer(x)) => {
            (*x as f64) == *y
        }
        _ => a == b,
    }
}

impl WriteTx<'_> {
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn now(&self) -> i64 {
        self.at
    }

    /// Read access inside the transaction.
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Stops recording changes in the sync change log for the rest of this transaction: used
    /// only by the sync module while it applies changes received from other sites (it records
    /// those itself, with their origin) and while it loads an enrolment snapshot.
    pub(crate) fn without_capture(&mut self) -> Option<crate::sync::capture::Capture> {
        self.capture.take()
    }

    /// Puts back a capture taken by [`WriteTx::without_capture`] (saved at commit).
    pub(crate) fn restore_capture(&mut self, c: Option<crate::sync::capture::Capture>) {
        self.capture = c;
    }

    fn batch_id(&mut self) -> Result<i64> {
        if let Some(b) = self.batch {
            return Ok(b);
        }
        self.tx
            .prepare_cached("INSERT INTO audit_batch (at, user_name, action) VALUES (?1, ?2, ?3)")?
            .execute(params![self.at, self.user, self.action])?;
        let id = self.tx.last_insert_rowid();
        self.batch = Some(id);
        Ok(id)
    }

    fn audit(
        &mut self,
        entity: &str,
        key: &str,
        field: &str,
        old: Option<String>,
        new: Option<String>,
    ) -> Result<()> {
        let batch = self.batch_id()?;
        self.tx
            .prepare_cached(
                "INSERT INTO audit (batch_id, entity, entity_key, field, old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![batch, entity, key, field, old, new])?;
        Ok(())
    }

    /// Inserts a row with a new rowid; returns it. `label` names the row in the audit trail
    /// (defaults to the rowid).
    pub fn insert(
        &mut self,
        table: &Table,
        fields: &[(&str, Value)],
        label: Option<&str>,
    ) -> Result<i64> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, None)?;
        }
        let cols: Vec<&str> = fields.iter().map(|f| f.0).collect();
        let marks: Vec<String> = (1..=fields.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            cols.join(", "),
            marks.join(", ")
        );
        self.tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(fields.iter().map(|f| &f.1)))?;
        let id = self.tx.last_insert_rowid();
        if let Some(c) = &mut self.capture {
            c.row_created(&self.tx, table, &[Value::Integer(id)], fields)?;
        }
        let key = label.map(str::to_string).unwrap_or_else(|| id.to_string());
        for (col, v) in fields {
            if let Some(text) = audit_text(v) {
                self.audit(table.name, &key, col, None, Some(text))?;
            }
        }
        Ok(id)
    }

    /// Inserts or updates the row with key `key` (values for `table.key`), setting `fields`.
    /// Only fields whose value changes are written to the audit trail.
    pub fn set(
        &mut self,
        table: &Table,
        key: &[Value],
        label: &str,
        fields: &[(&str, Value)],
    ) -> Result<Outcome> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, Some(key))?;
        }
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let cols: Vec<&str> = fields.iter().map(|f| f.0).collect();
        let select = format!(
            "SELECT {} FROM {} WHERE {}",
            if cols.is_empty() {
                "1".to_string()
            } else {
                cols.join(", ")
            },
            table.name,
            where_clause.join(" AND ")
        );
        let n = fields.len();
        let old: Option<Vec<Value>> = self
            .tx
            .prepare_cached(&select)?
            .query_row(rusqlite::params_from_iter(key.iter()), |r| {
                (0..n).map(|i| r.get::<_, Value>(i)).collect()
            })
            .optional()?;
        match old {
            None => {
                let all_cols: Vec<&str> = table
                    .key
                    .iter()
                    .copied()
                    .chain(cols.iter().copied())
                    .collect();
                let marks: Vec<String> = (1..=all_cols.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    table.name,
                    all_cols.join(", "),
                    marks.join(", ")
                );
                let vals: Vec<&Value> = key.iter().chain(fields.iter().map(|f| &f.1)).collect();
                self.tx
                    .prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(vals))?;
                if let Some(c) = &mut self.capture {
                    c.row_created(&self.tx, table, key, fields)?;
                }
                for (col, v) in fields {
                    if table.unaudited.contains(col) {
                        continue;
                    }
                    if let Some(text) = audit_text(v) {
                        self.audit(table.name, label, col, None, Some(text))?;
                    }
                }
                Ok(Outcome::Inserted)
            }
            Some(old) => {
                let meta = |i: usize| table.unaudited.contains(&fields[i].0);
                let changed: Vec<usize> = (0..n)
                    .filter(|&i| !meta(i) && !same(&old[i], &fields[i].1))
                    .collect();
                if changed.is_empty() {
                    return Ok(Outcome::Unchanged);
                }
                let written: Vec<usize> = (0..n)
                    .filter(|&i| changed.contains(&i) || meta(i))
                    .collect();
                let sets: Vec<String> = written
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| format!("{} = ?{}", fields[i].0, key.len() + j + 1))
                    .collect();
                let sql = format!(
                    "UPDATE {} SET {} WHERE {}",
                    table.name,
                    sets.join(", "),
                    where_clause.join(" AND ")
                );
                let vals: Vec<&Value> = key
                    .iter()
                    .chain(written.iter().map(|&i| &fields[i].1))
                    .collect();
                self.tx
                    .prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(vals))?;
                if let Some(c) = &mut self.capture {
                    let set: Vec<(&str, &Value)> = written
                        .iter()
                        .map(|&i| (fields[i].0, &fields[i].1))
                        .collect();
                    c.fields_set(&self.tx, table, key, &set)?;
                }
                for &i in &changed {
                    self.audit(
                        table.name,
                        label,
                        fields[i].0,
                        audit_text(&old[i]),
                        audit_text(&fields[i].1),
                    )?;
                }
                Ok(Outcome::Updated)
            }
        }
    }

    /// Writes many measurements: for each value, in order, exactly what
    /// [`WriteTx::set`] on [`MEASUREMENT`] with the fields `value`, `comment` (when given),
    /// `entered_by` and `entered_at` would do (`crate::import::set_measurement`): the same rows,
    /// the same audit rows (one per changed field, old and new value, label
    /// `branch/month/element`, under this transaction's batch), the same sync change records and
    /// the same ownership check, in the same transaction. Faster: one prepared
    /// `INSERT … ON CONFLICT DO NOTHING` bound from plain values finds new rows without a
    /// `SELECT` first (only a row that exists is read, compared and updated), and the audit rows
    /// are written after the measurements, [`BULK_ROWS`] to a statement, in the order of their
    /// `(entity, entity_key)` index. Returns the outcome of each value.
    pub fn set_measurements<'a>(
        &mut self,
        values: &[MeasurementValue<'a>],
    ) -> Result<Vec<Outcome>> {
        use std::collections::HashMap;
        use std::fmt::Write as _;
        let user = self.user.clone();
        let now = self.at;
        let mut outcomes = Vec::with_capacity(values.len());
        // (row, field, old text) of every audit row to write: field 0 value, 1 comment.
        let mut audits: Vec<(u32, u8, Option<String>)> = Vec::with_capacity(values.len());
        {
            let tx = &self.tx;
            let mut insert = tx.prepare_cached(
                "INSERT INTO measurement (element_id, month, branch_id, value, comment, entered_by, entered_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )?;
            insert.raw_bind_parameter(6, &user)?;
            insert.raw_bind_parameter(7, now)?;
            let mut old_row = tx.prepare_cached(
                "SELECT value, comment FROM measurement WHERE element_id = ?1 AND month = ?2 AND branch_id = ?3",
            )?;
            for (i, v) in values.iter().enumerate() {
                let row = u32::try_from(i)
                    .map_err(|_| CoreError::invalid("too many values for one write"))?;
                let key = [
                    Value::Integer(v.element.0),
                    Value::Integer(i64::from(v.month.0)),
                    Value::Integer(v.branch.0),
                ];
                if let Some(c) = &self.capture {
                    c.check_owner(tx, &MEASUREMENT, Some(&key))?;
                }
                insert.raw_bind_parameter(1, v.element.0)?;
                insert.raw_bind_parameter(2, v.month.0)?;
                insert.raw_bind_parameter(3, v.branch.0)?;
                insert.raw_bind_parameter(4, v.value)?;
                insert.raw_bind_parameter(5, v.comment)?;
                if insert.raw_execute()? == 1 {
                    if let Some(c) = &mut self.capture {
                        let mut fields = vec![("value", Value::Real(v.value))];
                        if let Some(c) = v.comment {
                            fields.push(("comment", Value::Text(c.to_string())));
                        }
                        fields.push(("entered_by", Value::Text(user.clone())));
                        fields.push(("entered_at", Value::Integer(now)));
                        c.row_created(tx, &MEASUREMENT, &key, &fields)?;
                    }
                    audits.push((row, 0, None));
                    if v.comment.is_some() {
                        audits.push((row, 1, None));
                    }
                    outcomes.push(Outcome::Inserted);
                    continue;
                }
                // The row exists: compare, as `set` does.
                let (old_value, old_comment): (f64, Option<String>) = old_row
                    .query_row(params![v.element.0, v.month.0, v.branch.0], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                let value_changed = old_value != v.value;
                let comment_changed = v.comment.is_some_and(|c| old_comment.as_deref() != Some(c));
                if !value_changed && !comment_changed {
                    outcomes.push(Outcome::Unchanged);
                    continue;
                }
                // The changed fields and the unaudited ones, as `set` writes them.
                let mut written: Vec<(&str, Value)> = Vec::with_capacity(4);
                if value_changed {
                    written.push(("value", Value::Real(v.value)));
                }
                if let (true, Some(c)) = (comment_changed, v.comment) {
                    written.push(("comment", Value::Text(c.to_string())));
                }
                written.push(("entered_by", Value::Text(user.clone())));
                written.push(("entered_at", Value::Integer(now)));
                let sets: Vec<String> = written
                    .iter()
                    .enumerate()
                    .map(|(j, (col, _))| format!("{col} = ?{}", j + 4))
                    .collect();
                let sql = format!(
                    "UPDATE measurement SET {} WHERE element_id = ?1 AND month = ?2 AND branch_id = ?3",
                    sets.join(", ")
                );
                tx.prepare_cached(&sql)?
                    .execute(rusqlite::params_from_iter(
                        key.iter().chain(written.iter().map(|w| &w.1)),
                    ))?;
                if let Some(c) = &mut self.capture {
                    let set: Vec<(&str, &Value)> = written.iter().map(|(c, v)| (*c, v)).collect();
                    c.fields_set(tx, &MEASUREMENT, &key, &set)?;
                }
                if value_changed {
                    audits.push((row, 0, Some(format_real(old_value))));
                }
                if comment_changed {
                    audits.push((row, 1, old_comment));
                }
                outcomes.push(Outcome::Updated);
            }
        }
        if audits.is_empty() {
            return Ok(outcomes);
        }
        // The audit index is (entity, entity_key): rows written in the order of their label
        // (branch code, month, element code) go into it side by side instead of all over it.
        let sorted = |mut codes: Vec<&'a str>| {
            codes.sort_unstable();
            codes.dedup();
            codes
        };
        let branch_codes = sorted(values.iter().map(|v| v.branch.1).collect());
        let element_codes = sorted(values.iter().map(|v| v.element.1).collect());
        let mut branch_rank: HashMap<i64, u64> = HashMap::new();
        let mut element_rank: HashMap<i64, u64> = HashMap::new();
        for v in values {
            branch_rank
                .entry(v.branch.0)
                .or_insert_with(|| branch_codes.binary_search(&v.branch.1).unwrap_or(0) as u64);
            element_rank
                .entry(v.element.0)
                .or_insert_with(|| element_codes.binary_search(&v.element.1).unwrap_or(0) as u64);
        }
        let sort_key = |row: u32| {
            let v = &values[row as usize];
            let b = branch_rank.get(&v.branch.0).copied().unwrap_or(0);
            let e = element_rank.get(&v.element.0).copied().unwrap_or(0);
            // Months are below 2^20 (year 87 381); ranks below 2^21 each.
            (b << 42) | ((u64::from(v.month.0 as u32) & 0xF_FFFF) << 21) | e
        };
        let mut order: Vec<(u64, usize)> = audits
            .iter()
            .enumerate()
            .map(|(i, a)| (sort_key(a.0), i))
            .collect();
        order.sort_unstable();
        let batch = self.batch_id()?;
        let insert_sql = |n: usize| {
            let rows: Vec<String> = (0..n)
                .map(|i| {
                    let p = 3 + i * 4;
                    format!("(?1, ?2, ?{}, ?{}, ?{}, ?{})", p, p + 1, p + 2, p + 3)
                })
                .collect();
            format!(
                "INSERT INTO audit (batch_id, entity, entity_key, field, old_value, new_value) VALUES {}",
                rows.join(", ")
            )
        };
        let full = insert_sql(BULK_ROWS);
        let (mut labels, mut texts) = (String::new(), String::new());
        // `branch/month/` of the last label: in this order most labels share it.
        let (mut prefix, mut prefix_of) = (String::new(), None);
        for chunk in order.chunks(BULK_ROWS) {
            let tail;
            let sql = if chunk.len() == BULK_ROWS {
                full.as_str()
            } else {
                tail = insert_sql(chunk.len());
                tail.as_str()
            };
            // Every label and new value of the chunk in two buffers, bound as slices of them.
            labels.clear();
            texts.clear();
            let mut spans: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(chunk.len());
            for &(_, a) in chunk {
                let (row, field, _) = &audits[a];
                let v = &values[*row as usize];
                let (l0, t0) = (labels.len(), texts.len());
                if prefix_of != Some((v.branch.0, v.month)) {
                    prefix.clear();
                    let _ = write!(prefix, "{}/{}/", v.branch.1, v.month);
                    prefix_of = Some((v.branch.0, v.month));
                }
                labels.push_str(&prefix);
                labels.push_str(v.element.1);
                if *field == 0 {
                    write_real(&mut texts, v.value);
                } else {
                    texts.push_str(v.comment.unwrap_or_default());
                }
                spans.push((l0, labels.len(), t0, texts.len()));
            }
            let mut stmt = self.tx.prepare_cached(sql)?;
            stmt.raw_bind_parameter(1, batch)?;
            stmt.raw_bind_parameter(2, MEASUREMENT.name)?;
            for (i, (&(_, a), &(l0, l1, t0, t1))) in chunk.iter().zip(&spans).enumerate() {
                let (_, field, old) = &audits[a];
                let p = 3 + i * 4;
                stmt.raw_bind_parameter(p, labels.get(l0..l1).unwrap_or_default())?;
                stmt.raw_bind_parameter(p + 1, if *field == 0 { "value" } else { "comment" })?;
                stmt.raw_bind_parameter(p + 2, old.as_deref())?;
                stmt.raw_bind_parameter(p + 3, texts.get(t0..t1).unwrap_or_default())?;
            }
            stmt.raw_execute()?;
        }
        Ok(outcomes)
    }

    /// Updates fields of an existing row; `NotFound` if the row does not exist.
    pub fn update(
        &mut self,
        table: &Table,
        key: &[Value],
        label: &str,
        fields: &[(&str, Value)],
    ) -> Result<Outcome> {
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let exists: bool = self.tx.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE {})",
                table.name,
                where_clause.join(" AND ")
            ),
            rusqlite::params_from_iter(key.iter()),
            |r| r.get(0),
        )?;
        if !exists {
            return Err(CoreError::not_found(format!(
                "{} {label} does not exist",
                table.name
            )));
        }
        self.set(table, key, label, fields)
    }

    /// Deletes rows matching `key`; the whole old row goes to the audit trail as JSON.
    pub fn delete(&mut self, table: &Table, key: &[Value], label: &str) -> Result<bool> {
        if let Some(c) = &self.capture {
            c.check_owner(&self.tx, table, Some(key))?;
        }
        let where_clause: Vec<String> = table
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let select = format!(
            "SELECT * FROM {} WHERE {}",
            table.name,
            where_clause.join(" AND ")
        );
        let old: Option<String> = {
            let mut stmt = self.tx.prepare_cached(&select)?;
            let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
            stmt.query_row(rusqlite::params_from_iter(key.iter()), |r| {
                let mut m = serde_json::Map::new();
                for (i, name) in names.iter().enumerate() {
                    let v: Value = r.get(i)?;
                    m.insert(
                        name.clone(),
                        audit_text(&v)
                            .map(serde_json::Value::String)
                            .unwrap_or(serde_json::Value::Null),
                    );
                }
                Ok(serde_json::Value::Object(m).to_string())
            })
            .optional()?
        };
        let Some(old) = old else { return Ok(false) };
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            table.name,
            where_clause.join(" AND ")
        );
        self.tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(key.iter()))?;
        if let Some(c) = &mut self.capture {
            c.row_deleted(&self.tx, table, key)?;
        }
        self.audit(table.name, label, "*", Some(old), None)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_set_version_and_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let store = Store::open(&path).expect("creates a new database");
        assert_eq!(
            store.schema_version().expect("version"),
            SCHEMA_VERSION,
            "fully migrated"
        );
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal", "file databases run in WAL mode");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("fk");
        assert_eq!(fk, 1, "foreign keys are enforced");
        drop(store);
        Store::open(&path).expect("reopening a current database is a no-op");
    }

    #[test]
    fn refuses_a_newer_database_without_touching_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.sqlite");
        drop(Store::open(&path).expect("create"));
        {
            let c = Connection::open(&path).expect("raw open");
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("bump");
        }
        let e = Store::open(&path).expect_err("a newer schema must be refused");
        assert_eq!(
            e.code,
            ErrorCode::DatabaseTooNew,
            "dedicated code so the UI can explain"
        );
        assert!(
            e.message.contains("newer Mizani"),
            "message says what to do: {e}"
        );
        let c = Connection::open(&path).expect("raw open");
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("v");
        assert_eq!(
            v,
            SCHEMA_VERSION + 1,
            "the refused database was not modified"
        );
    }

    #[test]
    fn refuses_foreign_sqlite_files_and_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .expect("open")
            .execute_batch("CREATE TABLE t(x)")
            .expect("create");
        let e = Store::open(&other).expect_err("another program's database");
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{e}");
        let scribbled = dir.path().join("scribbled.sqlite");
        std::fs::write(&scribbled, vec![7u8; 8192]).expect("write");
        let e = Store::open(&scribbled).expect_err("not a database at all");
        // 16 equal bytes cannot be an encrypted database's random salt: damaged.
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{e}");
        let e = Store::open_with_key(&scribbled, Some("any passphrase")).expect_err("refused");
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{e}");
        let garbage = dir.path().join("garbage.sqlite");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let bytes: Vec<u8> = (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        std::fs::write(&garbage, bytes).expect("write");
        let e = Store::open(&garbage).expect_err("not a database at all");
        // Without a passphrase, random bytes cannot be told from an encrypted database: the
        // message says both, and a passphrase then fails as wrong.
        assert_eq!(e.code, ErrorCode::PassphraseRequired, "{e}");
        assert!(e.message.contains("not a Mizani database"), "{e}");
        let e = Store::open_with_key(&garbage, Some("any passphrase")).expect_err("still refused");
        assert_eq!(e.code, ErrorCode::PassphraseWrong, "{e}");
    }

    #[test]
    fn writes_are_audited_and_atomic() {
        let mut s = Store::open_in_memory().expect("open");
        s.set_user("amina");
        s.write("test", |w| {
            w.set(
                &REGION,
                &[Value::Integer(1)],
                "North",
                &[("name", Value::Text("North".into()))],
            )?;
            Ok(())
        })
        .expect("write");
        let r: Result<()> = s.write("test", |w| {
            w.set(
                &REGION,
                &[Value::Integer(1)],
                "North",
                &[("name", Value::Text("Nord".into()))],
            )?;
            Err(CoreError::invalid("boom"))
        });
        assert!(r.is_err(), "the closure failed");
        let name: String = s
            .conn()
            .query_row("SELECT name FROM region", [], |r| r.get(0))
            .expect("row");
        assert_eq!(name, "North", "a failed write leaves nothing behind");
        let (user, field, new): (String, String, String) = s
            .conn()
            .query_row(
                "SELECT b.user_name, a.field, a.new_value FROM audit a JOIN audit_batch b ON b.id = a.batch_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("exactly one audit row survives");
        assert_eq!(
            (user.as_str(), field.as_str(), new.as_str()),
            ("amina", "name", "North")
        );
        let out = s
            .write("test", |w| {
                w.set(
                    &REGION,
                    &[Value::Integer(1)],
                    "North",
                    &[("name", Value::Text("North".into()))],
                )
            })
            .expect("write");
        assert_eq!(
            out,
            Outcome::Unchanged,
            "same value: no update, no audit row"
        );
    }
}
