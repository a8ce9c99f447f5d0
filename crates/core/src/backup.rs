//! Backups and restore: every copy is taken with SQLite's online backup API (never a plain file
//! copy), checked with `PRAGMA integrity_check` and written atomically (a temporary name, then a
//! rename). See docs/RELIABILITY.md.
//!
//! - **When**: on request ([`BackupKind::Manual`]); every 15 minutes while the app runs when
//!   something changed since the last backup ([`scheduled`], `MIZANI_BACKUP_INTERVAL_MS`); before
//!   every migration of an existing database (`Store::open`); before a bulk import and before
//!   applying a verified sync package ([`before_change`]); before a restore.
//! - **Where**: `<database folder>/backups/` or a folder the user chose for this database
//!   (kept in `settings.json`, keyed by the database's path: a USB stick or a synced folder has a
//!   different path on every computer). When that folder cannot be reached the backup goes to
//!   the default folder and the status says so.
//! - **Names**: `<database file stem>-<UTC yyyymmdd-hhmmss>-<kind>.sqlite`, so several databases
//!   (the demo and the institution's own) can share a folder and a listing needs no index file.
//! - **Retention** ([`to_keep`], a pure function): every backup of the last 24 hours up to 10,
//!   the newest of each of the last 31 days and of the last 12 months that have one,
//!   before-migration backups for a year, manual backups always, and always the newest and the
//!   newest readable one. Pruning runs after each automatic backup.
//! - **Restore** ([`restore`], [`restore_path`]): the backup is checked, the current state is
//!   backed up first (or, when damaged, copied aside), the backup is copied with the backup API
//!   to a temporary file beside the database, checked, and renamed over the database once the
//!   connection is closed.

use crate::error::{CoreError, ErrorCode, Result};
use crate::store::{Store, APPLICATION_ID, SCHEMA_VERSION};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Environment variable: the interval of the app's automatic backups in milliseconds.
pub const INTERVAL_ENV: &str = "MIZANI_BACKUP_INTERVAL_MS";
/// Default interval of automatic backups: 15 minutes.
pub const DEFAULT_INTERVAL_MS: u64 = 15 * 60 * 1000;

/// Retention: backups of the last 24 hours kept (newest first).
pub const KEEP_RECENT: usize = 10;
/// Retention: days (that have backups) whose newest backup is kept.
pub const KEEP_DAILY: usize = 31;
/// Retention: months (that have backups) whose newest backup is kept.
pub const KEEP_MONTHLY: usize = 12;
/// Retention: before-migration backups are kept this long (seconds).
pub const KEEP_MIGRATION_SECS: i64 = 365 * 86_400;

const DAY: i64 = 86_400;
const STAMP: &str = "%Y%m%d-%H%M%S";

/// Why a backup was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// Asked for by the user ("Back up now", `mizani backup create`).
    Manual,
    /// Taken by the app every 15 minutes when something changed.
    Automatic,
    /// Of the old schema, before Mizani upgraded the database.
    BeforeMigration,
    /// Before a bulk import of a CSV file.
    BeforeImport,
    /// Before a synchronisation package was applied.
    BeforeSync,
    /// Of the state a restore replaced.
    BeforeRestore,
}

impl BackupKind {
    fn token(self) -> &'static str {
        match self {
            BackupKind::Manual => "manual",
            BackupKind::Automatic => "auto",
            BackupKind::BeforeMigration => "before-migration",
            BackupKind::BeforeImport => "before-import",
            BackupKind::BeforeSync => "before-sync",
            BackupKind::BeforeRestore => "before-restore",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Manual => "manual",
            BackupKind::Automatic => "automatic",
            BackupKind::BeforeMigration => "before migration",
            BackupKind::BeforeImport => "before import",
            BackupKind::BeforeSync => "before sync",
            BackupKind::BeforeRestore => "before restore",
        }
    }
}

/// One backup file.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupInfo {
    pub path: String,
    pub bytes: u64,
    /// When the file was last written (unix seconds).
    pub modified: i64,
    /// When the backup was taken (unix seconds; from its name, else the file's time).
    pub created: i64,
    pub kind: BackupKind,
    /// Schema version of the copy (a before-migration backup has the old one).
    pub schema_version: Option<i64>,
    /// The file opens as a Mizani database of this institution.
    pub readable: bool,
    /// Why it is not readable.
    pub problem: Option<String>,
    /// Changes (saved actions) made in the current database after this backup; None when the
    /// current database cannot tell.
    pub changes_since: Option<i64>,
    /// Values (audited fields) changed after this backup, when known.
    pub values_since: Option<i64>,
}

/// Where backups go and which exist (Settings → Backups, `mizani backup list`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupStatus {
    /// Where the next backup goes.
    pub folder: String,
    /// `<database folder>/backups`.
    pub default_folder: String,
    /// The folder chosen for this database, if any.
    pub configured_folder: Option<String>,
    /// Set when the chosen folder cannot be reached (backups go to the default folder).
    pub unreachable: Option<String>,
    /// Minutes between automatic backups while the app runs (when something changed).
    pub interval_minutes: f64,
    /// Newest first.
    pub backups: Vec<BackupInfo>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestoreReport {
    pub database: String,
    /// The backup that is now the database.
    pub restored: BackupInfo,
    /// The backup of the state that was replaced (None when the database was damaged or missing).
    pub safety_backup: Option<String>,
    /// Where the damaged file was copied, when the database was damaged.
    pub damaged_copy: Option<String>,
    /// Changes made after the backup, now undone (when known).
    pub changes_undone: Option<i64>,
    pub warnings: Vec<String>,
}

/// What a restore would do (`mizani backup restore FILE` without `--yes`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestorePlan {
    pub database: String,
    pub backup: BackupInfo,
    /// The current database opens and passes SQLite's quick check.
    pub database_ok: bool,
    pub steps: Vec<String>,
}

/// A database that cannot be opened because it is damaged, with the newest good backup.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DamagedDatabase {
    pub db_path: String,
    pub problem: String,
    /// The newest backup that passes SQLite's integrity check, if any.
    pub backup: Option<BackupInfo>,
    /// Changes recorded in the damaged file after that backup, when it can still tell.
    pub changes_lost: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Folders.

fn io(msg: String) -> CoreError {
    CoreError::new(ErrorCode::Io, msg)
}

/// `<database folder>/backups`.
pub fn default_folder(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("backups")
}

/// The key of a database in `settings.json`: its canonical path (of its folder, when the file
/// does not exist yet).
fn settings_key(db: &Path) -> String {
    let p = std::fs::canonicalize(db).unwrap_or_else(|_| {
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        match (std::fs::canonicalize(dir), db.file_name()) {
            (Ok(d), Some(n)) => d.join(n),
            _ => db.to_path_buf(),
        }
    });
    p.display().to_string()
}

/// The backup folder chosen for this database (settings.json), if any.
pub fn configured_folder(db: &Path) -> Option<PathBuf> {
    crate::session::AppSettings::load()
        .backup_dirs
        .get(&settings_key(db))
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
}

/// Chooses (or, with None, resets to the default) the backup folder of this database. The
/// folder must exist.
pub fn set_folder(db: &Path, folder: Option<&Path>) -> Result<Option<String>> {
    let value = match folder.filter(|f| !f.as_os_str().is_empty()) {
        Some(f) => {
            if !f.is_dir() {
                return Err(CoreError::field(
                    "folder",
                    format!(
                        "{} is not a folder (create it first, or pick another)",
                        f.display()
                    ),
                ));
            }
            let f = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
            Some(f.display().to_string())
        }
        None => None,
    };
    let key = settings_key(db);
    crate::session::AppSettings::update(|s| match &value {
        Some(v) => {
            s.backup_dirs.insert(key.clone(), v.clone());
        }
        None => {
            s.backup_dirs.remove(&key);
        }
    })?;
    Ok(value)
}

/// Where the next backup goes: the chosen folder when it can be reached, else the default
/// folder with the reason.
fn target_folder(db: &Path) -> (PathBuf, Option<String>) {
    let default = default_folder(db);
    match configured_folder(db) {
        Some(c) if c.is_dir() => (c, None),
        Some(c) => (
            default.clone(),
            Some(format!(
                "the backup folder {} cannot be reached (is the USB stick or share connected?); backups go to {} meanwhile",
                c.display(),
                default.display()
            )),
        ),
        None => (default, None),
    }
}

/// Every folder that may hold this database's backups: the chosen one (when reachable) and the
/// default one.
fn folders(db: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(c) = configured_folder(db).filter(|c| c.is_dir()) {
        v.push(c);
    }
    let d = default_folder(db);
    let same = |a: &Path, b: &Path| {
        a == b
            || matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    };
    if !v.iter().any(|c| same(c, &d)) {
        v.push(d);
    }
    v
}

/// The interval of automatic backups (`MIZANI_BACKUP_INTERVAL_MS`, at least 200 ms).
pub fn interval_ms() -> u64 {
    std::env::var(INTERVAL_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_INTERVAL_MS)
        .max(200)
}

// ---------------------------------------------------------------------------------------------
// Names.

fn stem(db: &Path) -> String {
    db.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "mizani".to_string())
}

fn stamp(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .format(STAMP)
        .to_string()
}

/// `(created, kind)` from `<stem>-<stamp>[-<kind>][-<n>].sqlite`; None for other files.
fn parse_name(stem: &str, file: &str) -> Option<(i64, BackupKind)> {
    parse_name_seq(stem, file).map(|(at, k, _)| (at, k))
}

/// [`parse_name`] with the counter `n` of backups taken in the same second (1 for none).
fn parse_name_seq(stem: &str, file: &str) -> Option<(i64, BackupKind, u32)> {
    let rest = file.strip_prefix(stem)?.strip_prefix('-')?;
    let rest = rest.strip_suffix(".sqlite")?;
    if rest.len() < 15 || !rest.is_char_boundary(15) {
        return None;
    }
    let (st, tail) = rest.split_at(15);
    let at = chrono::NaiveDateTime::parse_from_str(st, STAMP)
        .ok()?
        .and_utc()
        .timestamp();
    // A counter added when two backups share a second.
    let mut tail = tail;
    let mut seq = 1;
    if let Some((head, n)) = tail.rsplit_once('-') {
        if let Ok(n) = n.parse::<u32>() {
            tail = head;
            seq = n;
        }
    }
    let kind = match tail {
        "" | "-manual" => BackupKind::Manual, // "" : names written before kinds existed
        "-auto" => BackupKind::Automatic,
        "-before-import" => BackupKind::BeforeImport,
        "-before-sync" => BackupKind::BeforeSync,
        "-before-restore" => BackupKind::BeforeRestore,
        t => {
            let t = t.strip_prefix("-v")?;
            let (from, to) = t.split_once("-before-v")?;
            from.parse::<u32>().ok()?;
            to.parse::<u32>().ok()?;
            BackupKind::BeforeMigration
        }
    };
    Some((at, kind, seq))
}

fn new_name(db: &Path, dir: &Path, at: i64, token: &str) -> PathBuf {
    let base = format!("{}-{}-{token}", stem(db), stamp(at));
    let mut p = dir.join(format!("{base}.sqlite"));
    let mut n = 2;
    while p.exists() || p.with_extension("partial").exists() {
        p = dir.join(format!("{base}-{n}.sqlite"));
        n += 1;
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Reading backups.

/// The end of the audit trail: (last batch id, its time, last audit row id). Two states of one
/// database with the same mark hold the same audited history.
type AuditMark = (i64, i64, i64);

fn audit_mark(conn: &Connection) -> rusqlite::Result<Option<AuditMark>> {
    let batch: Option<(i64, i64)> = conn
        .query_row(
            "SELECT id, at FROM audit_batch ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let row: Option<i64> = conn.query_row("SELECT max(id) FROM audit", [], |r| r.get(0))?;
    Ok(batch.map(|(id, at)| (id, at, row.unwrap_or(0))))
}

struct Inspected {
    schema_version: i64,
    uid: Option<String>,
    mark: Option<AuditMark>,
}

/// A read-only connection to a database or backup; `key` (the open database's passphrase) is
/// used when the file is encrypted (a plain file is opened as it is).
fn open_read_only(path: &Path, key: Option<&str>) -> rusqlite::Result<Connection> {
    crate::store::sqlite_ready();
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    if let Some(k) = key.filter(|_| crate::store::looks_encrypted(path)) {
        c.pragma_update(None, "key", k)?;
    }
    Ok(c)
}

/// Whether the file starts like an SQLite database.
fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"SQLite format 3\0"
}

/// Reads a backup's identity without checking every page.
fn inspect(path: &Path, key: Option<&str>) -> std::result::Result<Inspected, String> {
    let encrypted = !has_sqlite_header(path);
    if encrypted && key.is_none() {
        return Err("it is encrypted, or it is not an SQLite database".into());
    }
    let c = open_read_only(path, key).map_err(|e| format!("it cannot be opened ({e})"))?;
    let app: i64 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| {
            if encrypted {
                "the database's passphrase does not open it (it was encrypted with another one), or it is not a Mizani database".to_string()
            } else {
                format!("it is damaged ({e})")
            }
        })?;
    if app != APPLICATION_ID {
        return Err("it is not a Mizani database".into());
    }
    let schema_version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("it is damaged ({e})"))?;
    let uid: Option<String> = c
        .query_row("SELECT uid FROM organisation WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| format!("it is damaged ({e})"))?;
    let mark = audit_mark(&c).map_err(|e| format!("it is damaged ({e})"))?;
    Ok(Inspected {
        schema_version,
        uid,
        mark,
    })
}

/// SQLite's check of every page (`full`: `integrity_check`, else `quick_check`).
fn check_pages(conn: &Connection, full: bool) -> std::result::Result<(), String> {
    let sql = if full {
        "PRAGMA integrity_check(20)"
    } else {
        "PRAGMA quick_check(20)"
    };
    let rows: Vec<String> = conn
        .prepare(sql)
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| e.to_string())?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(crate::store::summarise_check(&rows))
    }
}

/// SQLite's `integrity_check` of a backup file, read-only (what choosing the newest good backup
/// and a restore run); the first problems otherwise.
pub fn verify(path: &Path, key: Option<&str>) -> std::result::Result<(), String> {
    inspect(path, key)?;
    let c = open_read_only(path, key).map_err(|e| e.to_string())?;
    check_pages(&c, true)
}

/// Changes (batches, values) in `conn` after a backup whose audit trail ended at `mark`.
fn changes_since(
    conn: &Connection,
    mark: Option<AuditMark>,
    created: i64,
) -> rusqlite::Result<(i64, Option<i64>)> {
    let same_history = match mark {
        None => true,
        Some((id, at, _)) => {
            conn.query_row("SELECT at FROM audit_batch WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
                == Some(at)
        }
    };
    if same_history {
        // The audit trail is append-only with rowid ids (max + 1, never deleted): the counts
        // after the backup are differences of the last ids, whatever the database's size.
        let (b, a) = mark.map(|m| (m.0, m.2)).unwrap_or((0, 0));
        let (last_b, last_a) = audit_mark(conn)?.map(|m| (m.0, m.2)).unwrap_or((0, 0));
        Ok(((last_b - b).max(0), Some((last_a - a).max(0))))
    } else {
        // The histories parted (a restore happened since): count by time.
        let batches = conn.query_row(
            "SELECT count(*) FROM audit_batch WHERE at > ?1",
            [created],
            |r| r.get(0),
        )?;
        Ok((batches, None))
    }
}

fn file_times(path: &Path) -> (u64, i64) {
    match std::fs::metadata(path) {
        Ok(m) => (
            m.len(),
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        ),
        Err(_) => (0, 0),
    }
}

/// Describes one backup file; `current` (the open database) gives the institution to match and
/// the changes made since.
fn describe(
    path: &Path,
    created: Option<i64>,
    kind: BackupKind,
    current: Option<&Connection>,
    key: Option<&str>,
) -> (BackupInfo, Option<Inspected>) {
    let (bytes, modified) = file_times(path);
    let mut info = BackupInfo {
        path: path.display().to_string(),
        bytes,
        modified,
        created: created.unwrap_or(modified),
        kind,
        schema_version: None,
        readable: false,
        problem: None,
        changes_since: None,
        values_since: None,
    };
    match inspect(path, key) {
        Ok(i) => {
            info.schema_version = Some(i.schema_version);
            info.readable = true;
            if let Some(c) = current {
                let cur_uid: Option<String> = c
                    .query_row("SELECT uid FROM organisation WHERE id = 1", [], |r| {
                        r.get(0)
                    })
                    .optional()
                    .ok()
                    .flatten();
                if cur_uid.is_some() && i.uid.is_some() && cur_uid != i.uid {
                    info.readable = false;
                    info.problem = Some("it is a backup of another institution".into());
                } else if let Ok((b, v)) = changes_since(c, i.mark, info.created) {
                    info.changes_since = Some(b);
                    info.values_since = v;
                }
            }
            if i.schema_version > SCHEMA_VERSION {
                info.readable = false;
                info.problem = Some(format!(
                    "it was written by a newer Mizani (schema version {})",
                    i.schema_version
                ));
            }
            (info, Some(i))
        }
        Err(p) => {
            info.problem = Some(p);
            (info, None)
        }
    }
}

/// This database's backups in every folder that may hold them, newest first.
fn scan(
    db: &Path,
    current: Option<&Connection>,
    key: Option<&str>,
) -> Vec<(BackupInfo, Option<Inspected>)> {
    let st = stem(db);
    let mut out = Vec::new();
    for dir in folders(db) {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some((at, kind, seq)) = parse_name_seq(&st, &name) {
                let p = e.path();
                if p.is_file() {
                    // Backups of one second: in the order they were written.
                    let written = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    out.push(((seq, written), describe(&p, Some(at), kind, current, key)));
                }
            }
        }
    }
    // Newest first.
    out.sort_by(|a, b| {
        (b.1 .0.created, b.0, &b.1 .0.path).cmp(&(a.1 .0.created, a.0, &a.1 .0.path))
    });
    out.into_iter().map(|x| x.1).collect()
}

/// The backups of the database at `db`, newest first (`current`: its open connection, for the
/// changes made since each).
pub fn list(db: &Path, current: Option<&Connection>, key: Option<&str>) -> Vec<BackupInfo> {
    scan(db, current, key).into_iter().map(|x| x.0).collect()
}

/// Where backups of the open database go and which exist.
pub fn status(store: &Store) -> Result<BackupStatus> {
    Ok(status_of(db_path(store)?, Some(store.conn()), store.key()))
}

/// Where backups of the database at `db` go and which exist (`current`: its open connection,
/// for the changes made since each backup).
pub fn status_of(db: &Path, current: Option<&Connection>, key: Option<&str>) -> BackupStatus {
    let (folder, unreachable) = target_folder(db);
    BackupStatus {
        folder: folder.display().to_string(),
        default_folder: default_folder(db).display().to_string(),
        configured_folder: configured_folder(db).map(|p| p.display().to_string()),
        unreachable,
        interval_minutes: interval_ms() as f64 / 60_000.0,
        backups: list(db, current, key),
    }
}

fn db_path(store: &Store) -> Result<&Path> {
    store.path().ok_or_else(|| {
        CoreError::new(
            ErrorCode::InvalidInput,
            "an in-memory database has no backups; give an output file",
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Writing backups.

/// Backs the open database up into its backup folder (falling back to the default folder when
/// the chosen one cannot be written); prunes old backups after automatic ones.
pub fn create(store: &Store, kind: BackupKind) -> Result<BackupInfo> {
    let token = kind.token().to_string();
    create_named(store, kind, &token)
}

fn create_named(store: &Store, kind: BackupKind, token: &str) -> Result<BackupInfo> {
    let db = db_path(store)?.to_path_buf();
    let (path, at) = write_into_folder(&db, token, |dest| store.backup_to(dest))?;
    store.set_backed_up(path.clone());
    if kind != BackupKind::Manual {
        // Pruning never fails a backup that was written.
        let _ = prune(&db, store.key());
    }
    let (info, _) = describe(&path, Some(at), kind, None, store.key());
    Ok(info)
}

/// Space kept free on the backup folder's disk beyond the backup itself
/// (`MIZANI_BACKUP_RESERVE_MB`, default 64 MiB): a backup never fills the disk the database
/// needs to go on saving.
fn reserve_bytes() -> u64 {
    std::env::var("MIZANI_BACKUP_RESERVE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(64)
        .saturating_mul(1024 * 1024)
}

/// Refuses a backup of `db` into `dir` when the disk would be left with less than the reserve:
/// the copy is about as large as the database and its write-ahead log.
fn enough_space(db: &Path, dir: &Path) -> Result<()> {
    let Ok(st) = rustix::fs::statvfs(dir) else {
        return Ok(()); // unknown: the write itself says when the disk is full
    };
    let free = st.f_bavail.saturating_mul(st.f_frsize);
    let size = file_times(db).0 + file_times(&sidecar(db, "-wal")).0;
    let need = size.saturating_add(reserve_bytes());
    if free < need {
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1_048_576.0);
        return Err(io(format!(
            "not enough free space in {} for a backup: {} free, {} needed (a copy of {} and {} kept free); free some space or choose another backup folder",
            dir.display(),
            mib(free),
            mib(need),
            mib(size),
            mib(reserve_bytes())
        )));
    }
    Ok(())
}

/// Writes a new backup of `db` with `write` into its backup folder (the default folder when the
/// chosen one cannot be written); returns its path and time.
fn write_into_folder(
    db: &Path,
    token: &str,
    write: impl Fn(&Path) -> Result<()>,
) -> Result<(PathBuf, i64)> {
    let now = crate::store::now_unix();
    let (dir, _) = target_folder(db);
    let into = |dir: &Path| -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io(format!("cannot create {}: {e}", dir.display())))?;
        enough_space(db, dir)?;
        let p = new_name(db, dir, now, token);
        write(&p)?;
        Ok(p)
    };
    let default = default_folder(db);
    let path = match into(&dir) {
        Ok(p) => p,
        Err(e) if e.code == ErrorCode::Io && dir != default => into(&default)?,
        Err(e) => return Err(e),
    };
    Ok((path, now))
}

/// The backup Mizani takes before upgrading a database from schema `from` (called by
/// `Store::open` before any migration is applied).
pub(crate) fn before_migration(store: &Store, from: i64) -> Result<BackupInfo> {
    create_named(
        store,
        BackupKind::BeforeMigration,
        &format!("v{from}-before-v{SCHEMA_VERSION}"),
    )
    .map_err(|e| {
        CoreError::new(
            e.code,
            format!(
                "Mizani backs a database up before upgrading it, and that backup failed: {}. Nothing was changed; free some space or check the backup folder, then open it again.",
                e.message
            ),
        )
    })
}

/// A new backup of `kind` unless the newest backup this process took still holds the current
/// state (then None). In-memory databases are not backed up.
fn fresh(store: &Store, kind: BackupKind) -> Result<Option<BackupInfo>> {
    if store.path().is_none() || store.backed_up_unchanged()? {
        return Ok(None);
    }
    create(store, kind).map(Some)
}

/// A backup before a bulk change (an import, a sync package), unless the newest backup this
/// process took already holds the current state. A failure stops the change: nothing is
/// imported without its safety copy. Inside [`Store::backup_batch`] only the first change of
/// the batch is preceded by a backup.
pub fn before_change(store: &Store, kind: BackupKind) -> Result<Option<BackupInfo>> {
    if store.in_backup_batch_done() {
        return Ok(None);
    }
    let what = match kind {
        BackupKind::BeforeSync => "a synchronisation package is applied",
        _ => "an import",
    };
    let b = fresh(store, kind).map_err(|e| {
        CoreError::new(
            e.code,
            format!(
                "Mizani backs the database up before {what}, and that backup failed ({}); nothing was imported",
                e.message
            ),
        )
    })?;
    store.mark_backup_batch_done();
    Ok(b)
}

/// The app's automatic backup: taken when something changed since the last backup (this
/// session's writes and other programs' commits, via `PRAGMA data_version`; on the first round
/// of a session, by comparing the end of the audit trail with the newest backup's).
pub fn scheduled(store: &Store) -> Result<Option<BackupInfo>> {
    match scheduled_pending(store)? {
        Some(_) => create(store, BackupKind::Automatic).map(Some),
        None => Ok(None),
    }
}

/// A scheduled backup decided while the database is held ([`scheduled_pending`]) and written
/// on a connection of its own ([`write_pending`]), so that the app's session is free while the
/// copy and its integrity check run (seconds for a database of hundreds of megabytes).
#[derive(Debug, Clone)]
pub struct Pending {
    db: PathBuf,
    key: Option<String>,
    mark: (i64, u64),
}

/// Whether a scheduled backup is due (something changed since the last one).
pub fn scheduled_pending(store: &Store) -> Result<Option<Pending>> {
    let Some(db) = store.path() else {
        return Ok(None);
    };
    if store.backed_up_unchanged()? {
        return Ok(None);
    }
    if !store.has_backed_up() {
        let mark = audit_mark(store.conn())?;
        let newest = scan(db, None, store.key())
            .into_iter()
            .find(|(i, _)| i.readable);
        if let Some((info, Some(ins))) = newest {
            if ins.mark == mark && ins.schema_version == SCHEMA_VERSION {
                store.set_backed_up(PathBuf::from(info.path));
                return Ok(None);
            }
        }
    }
    Ok(Some(Pending {
        db: db.to_path_buf(),
        key: store.key().map(str::to_string),
        mark: store.change_mark()?,
    }))
}

/// Writes a due scheduled backup from a read-only connection of its own (one consistent
/// snapshot; writers are not held up), then prunes.
pub fn write_pending(p: &Pending) -> Result<BackupInfo> {
    let key = p.key.as_deref();
    let src = open_read_only(&p.db, key)?;
    let (path, at) = write_into_folder(&p.db, BackupKind::Automatic.token(), |dest| {
        crate::store::backup_connection(&src, dest, key)
    })?;
    drop(src);
    let _ = prune(&p.db, key);
    let (info, _) = describe(&path, Some(at), BackupKind::Automatic, None, key);
    Ok(info)
}

/// Records that the backup `info` holds the state the database had when `p` was decided (so
/// the next round skips when nothing changed since); ignored for another database.
pub fn record_pending(store: &Store, p: &Pending, info: &BackupInfo) {
    if store.path() == Some(p.db.as_path()) {
        store.set_backed_up_at(p.mark, PathBuf::from(&info.path));
    }
}

// ---------------------------------------------------------------------------------------------
// Retention.

/// A backup as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Unix seconds.
    pub at: i64,
    pub kind: BackupKind,
    /// It opens as a Mizani database (a damaged one never takes a slot from a good one).
    pub good: bool,
}

/// Which backups to keep at time `now` (same order as `c`):
/// - every backup of the last 24 hours, up to the newest [`KEEP_RECENT`];
/// - the newest good backup of each of the [`KEEP_DAILY`] most recent days that have one;
/// - the newest good backup of each of the [`KEEP_MONTHLY`] most recent months that have one;
/// - before-migration backups younger than a year; manual backups always;
/// - always the newest backup and the newest good one, so the only good backup is never
///   deleted.
///
/// Days and months are UTC calendar days and months.
pub fn to_keep(c: &[Candidate], now: i64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..c.len()).collect();
    // Newest first; of two in the same second, the one listed first (as `scan` lists them).
    order.sort_by(|&a, &b| c[b].at.cmp(&c[a].at).then(a.cmp(&b)));
    let mut keep = vec![false; c.len()];
    if let Some(&newest) = order.first() {
        keep[newest] = true;
    }
    if let Some(&g) = order.iter().find(|&&i| c[i].good) {
        keep[g] = true;
    }
    for &i in order
        .iter()
        .filter(|&&i| now - c[i].at < DAY)
        .take(KEEP_RECENT)
    {
        keep[i] = true;
    }
    let bucket = |at: i64, monthly: bool| -> i64 {
        let d = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
        use chrono::Datelike;
        if monthly {
            d.year() as i64 * 12 + d.month0() as i64
        } else {
            at.div_euclid(DAY)
        }
    };
    for (monthly, n) in [(false, KEEP_DAILY), (true, KEEP_MONTHLY)] {
        let mut seen: Vec<i64> = Vec::new();
        for &i in order.iter().filter(|&&i| c[i].good) {
            let b = bucket(c[i].at, monthly);
            if seen.contains(&b) {
                continue;
            }
            if seen.len() == n {
                break;
            }
            seen.push(b);
            keep[i] = true;
        }
    }
    for (i, x) in c.iter().enumerate() {
        if x.kind == BackupKind::Manual
            || (x.kind == BackupKind::BeforeMigration && now - x.at < KEEP_MIGRATION_SECS)
        {
            keep[i] = true;
        }
    }
    keep
}

/// Deletes the backups of `db` that retention does not keep; returns the deleted files. Also
/// removes temporary files of backups interrupted more than a day ago.
pub fn prune(db: &Path, key: Option<&str>) -> Result<Vec<String>> {
    let now = crate::store::now_unix();
    let all = scan(db, None, key);
    let cands: Vec<Candidate> = all
        .iter()
        .map(|(i, _)| Candidate {
            at: i.created,
            kind: i.kind,
            good: i.readable,
        })
        .collect();
    let keep = to_keep(&cands, now);
    let mut deleted = Vec::new();
    for ((info, _), k) in all.iter().zip(keep) {
        if !k && std::fs::remove_file(&info.path).is_ok() {
            deleted.push(info.path.clone());
        }
    }
    let st = format!("{}-", stem(db));
    for dir in folders(db) {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with(&st) && name.ends_with(".partial") {
                let (_, m) = file_times(&e.path());
                if now - m > DAY {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    Ok(deleted)
}

// ---------------------------------------------------------------------------------------------
// Damaged databases.

/// The newest backup of `db` that passes SQLite's integrity check (and, when the damaged file
/// still names its institution, belongs to it).
pub fn newest_good(db: &Path, key: Option<&str>) -> Option<BackupInfo> {
    let uid: Option<String> = open_read_only(db, key).ok().and_then(|c| {
        c.query_row("SELECT uid FROM organisation WHERE id = 1", [], |r| {
            r.get(0)
        })
        .ok()
    });
    for (info, ins) in scan(db, None, key) {
        let Some(ins) = ins else { continue };
        if !info.readable || (uid.is_some() && ins.uid.is_some() && uid != ins.uid) {
            continue;
        }
        let ok = open_read_only(Path::new(&info.path), key)
            .map_err(|e| e.to_string())
            .and_then(|c| check_pages(&c, true));
        if ok.is_ok() {
            return Some(info);
        }
    }
    None
}

/// Describes a damaged database and the backup that can replace it.
pub fn damaged(db: &Path, e: &CoreError, key: Option<&str>) -> DamagedDatabase {
    let backup = newest_good(db, key);
    let changes_lost = backup.as_ref().and_then(|b| {
        let mark = inspect(Path::new(&b.path), key).ok()?.mark;
        let c = open_read_only(db, key).ok()?;
        changes_since(&c, mark, b.created).ok().map(|x| x.0)
    });
    DamagedDatabase {
        db_path: db.display().to_string(),
        problem: e.message.clone(),
        backup,
        changes_lost,
    }
}

/// Adds to a `database_damaged` error about `db` which backup can replace it and how.
pub fn with_restore_hint(db: &Path, e: CoreError, key: Option<&str>) -> CoreError {
    if e.code != ErrorCode::DatabaseDamaged || !db.exists() {
        return e;
    }
    let mut details = e.details.clone();
    match newest_good(db, key) {
        Some(b) => {
            details.push(format!(
                "the newest good backup is {} (taken {} UTC, {})",
                b.path,
                stamp_readable(b.created),
                b.kind.as_str()
            ));
            details.push(format!(
                "restore it with: mizani --db {} backup restore {} --yes",
                shell_quote(&db.display().to_string()),
                shell_quote(&b.path)
            ));
        }
        None => details.push(format!(
            "no good backup of {} was found in {}",
            db.display(),
            folders(db)
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
    CoreError { details, ..e }
}

fn stamp_readable(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

// ---------------------------------------------------------------------------------------------
// Restore.

/// Checks that `file` can replace the database at `db`: it exists, is a Mizani database that
/// this Mizani can open, passes SQLite's integrity check and belongs to the same institution
/// (when `current_uid` is known).
fn validate(
    db: &Path,
    file: &Path,
    current: Option<&Connection>,
    key: Option<&str>,
) -> Result<BackupInfo> {
    if !file.is_file() {
        return Err(CoreError::not_found(format!(
            "there is no backup file {}",
            file.display()
        )));
    }
    let same_file = matches!(
        (std::fs::canonicalize(db), std::fs::canonicalize(file)),
        (Ok(a), Ok(b)) if a == b
    );
    if same_file {
        return Err(CoreError::invalid(format!(
            "{} is the database itself, not a backup of it",
            file.display()
        )));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let (created, kind) = match parse_name(&stem(db), &name) {
        Some((at, k)) => (Some(at), k),
        None => (None, BackupKind::Manual),
    };
    let (info, _) = describe(file, created, kind, current, key);
    let refuse = |why: String| {
        CoreError::invalid(format!(
            "{} cannot be restored: {why}; the database was not changed",
            file.display()
        ))
        .on_field("file")
    };
    if let Some(p) = &info.problem {
        return Err(refuse(p.clone()));
    }
    let c = open_read_only(file, key).map_err(|e| refuse(format!("it cannot be opened ({e})")))?;
    check_pages(&c, true).map_err(|p| refuse(format!("it is damaged (integrity check: {p})")))?;
    Ok(info)
}

/// What restoring `file` over the database at `db` would do (nothing is changed).
pub fn restore_plan(db: &Path, file: &Path, key: Option<&str>) -> Result<RestorePlan> {
    let current = open_current(db, key);
    let conn = current.as_ref().ok().map(|s| s.conn());
    let backup = validate(db, file, conn, key)?;
    let database_ok = current.is_ok();
    let mut steps = Vec::new();
    if !db.exists() {
        steps.push(format!(
            "create {} from the backup (there is no database file)",
            db.display()
        ));
    } else if database_ok {
        steps.push(format!(
            "back up the current database first (a before-restore backup in {})",
            target_folder(db).0.display()
        ));
    } else if let Err(e) = &current {
        steps.push(format!(
            "copy the damaged database aside ({}) into {}",
            e.message,
            target_folder(db).0.display()
        ));
    }
    steps.push(format!(
        "replace {} with the backup of {} UTC ({}){}",
        db.display(),
        stamp_readable(backup.created),
        backup.kind.as_str(),
        match backup.changes_since {
            Some(n) => format!(": {n} change(s) made since would be undone"),
            None => String::new(),
        }
    ));
    Ok(RestorePlan {
        database: db.display().to_string(),
        backup,
        database_ok,
        steps,
    })
}

/// Opens the current database for a restore, checking its pages.
fn open_current(db: &Path, key: Option<&str>) -> Result<Store> {
    if !db.exists() {
        return Err(CoreError::not_found(format!(
            "there is no file {}",
            db.display()
        )));
    }
    Store::open_checked(db, key)
}

fn tmp_beside(db: &Path, what: &str) -> PathBuf {
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    dir.join(format!(".{name}.{what}-{}.tmp", std::process::id()))
}

/// Copies `file` (a checked backup) to a temporary file beside the database with the backup
/// API, checks the copy and makes it a single file; returns its path.
fn prepare_copy(db: &Path, file: &Path, key: Option<&str>) -> Result<PathBuf> {
    let tmp = tmp_beside(db, "restore");
    let _ = std::fs::remove_file(&tmp);
    let run = || -> Result<()> {
        let src = open_read_only(file, key)?;
        let mut dst = Connection::open(&tmp)
            .map_err(|e| io(format!("cannot write {}: {e}", tmp.display())))?;
        // An encrypted backup stays encrypted once restored (same passphrase).
        if let Some(k) = key.filter(|_| crate::store::looks_encrypted(file)) {
            dst.pragma_update(None, "key", k)?;
        }
        {
            let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
            b.run_to_completion(1024, std::time::Duration::from_millis(0), None)?;
        }
        drop(src);
        check_pages(&dst, true).map_err(|p| {
            CoreError::new(
                ErrorCode::Io,
                format!("the copy of the backup failed its integrity check ({p}); the database was not changed"),
            )
        })?;
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        dst.close().map_err(|(_, e)| CoreError::from(e))?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all())?;
        Ok(())
    };
    match run() {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

fn sync_dir(p: &Path) {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(f) = std::fs::File::open(dir) {
            let _ = f.sync_all();
        }
    }
}

/// Renames the prepared copy over the database (no connection to it is open here).
fn swap(db: &Path, tmp: &Path) -> Result<()> {
    let _ = std::fs::remove_file(sidecar(db, "-shm"));
    std::fs::rename(tmp, db).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        io(format!(
            "cannot replace {}: {e}; the database was not changed",
            db.display()
        ))
    })?;
    sync_dir(db);
    Ok(())
}

fn warnings_for(store: &Store) -> Vec<String> {
    let peers: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM site WHERE is_self = 0 AND public_key IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    if peers > 0 {
        vec!["this database synchronises with other sites: the rows it changed after the backup are sent again as restored, and the other sites' changes made since come again with the next packages".into()]
    } else {
        Vec::new()
    }
}

/// Restores `file` over the open database: checks the backup, backs the current state up
/// first, copies the backup beside the database, closes the connection, renames the copy over
/// the database and reopens it. On failure the error comes with the store when it is still
/// open (nothing was changed).
#[allow(clippy::result_large_err)]
pub fn restore(
    store: Store,
    file: &Path,
) -> std::result::Result<(Store, RestoreReport), (Option<Store>, CoreError)> {
    let Some(db) = store.path().map(Path::to_path_buf) else {
        return Err((
            Some(store),
            CoreError::invalid("an in-memory database cannot be restored"),
        ));
    };
    let key = store.key().map(str::to_string);
    let key = key.as_deref();
    let restored = match validate(&db, file, Some(store.conn()), key) {
        Ok(i) => i,
        Err(e) => return Err((Some(store), e)),
    };
    let mut warnings = warnings_for(&store);
    // A synchronising site: its own changes the backup lacks, to re-base the change log.
    let lost = open_read_only(file, key)
        .map_err(CoreError::from)
        .and_then(|b| crate::sync::rebase::lost_changes(store.conn(), &b));
    let lost = match lost {
        Ok(l) => l,
        Err(e) => return Err((Some(store), e)),
    };
    // The state being replaced: a backup of its own (or the newest one, when it holds it).
    let safety = match fresh(&store, BackupKind::BeforeRestore) {
        Ok(Some(b)) => Some(b.path),
        Ok(None) => store.backed_up_path().map(|p| p.display().to_string()),
        Err(e) => {
            let e = CoreError::new(
                e.code,
                format!(
                    "Mizani backs the current state up before a restore, and that backup failed ({}); nothing was restored",
                    e.message
                ),
            );
            return Err((Some(store), e));
        }
    };
    let tmp = match prepare_copy(&db, file, key) {
        Ok(t) => t,
        Err(e) => return Err((Some(store), e)),
    };
    if let Err((store, e)) = store.close() {
        let _ = std::fs::remove_file(&tmp);
        return Err((Some(store), e));
    }
    // The last connection to close removes the WAL file; one that remains belongs to another
    // program that has the database open (another Mizani window or command).
    if sidecar(&db, "-wal").exists() {
        let _ = std::fs::remove_file(&tmp);
        let e = CoreError::conflict(format!(
            "another program has {} open (another Mizani window or command); close it and restore again. The database was not changed.",
            db.display()
        ));
        return Err((Store::open_with_key(&db, key).ok(), e));
    }
    if let Err(e) = swap(&db, &tmp) {
        return Err((Store::open_with_key(&db, key).ok(), e));
    }
    match Store::open_with_key(&db, key) {
        Ok(mut s) => {
            s.set_backed_up(PathBuf::from(&restored.path));
            rebase_after(&mut s, lost.as_ref(), &mut warnings);
            keep_encrypted(&mut s, key, &mut warnings);
            Ok((
                s,
                RestoreReport {
                    database: db.display().to_string(),
                    changes_undone: restored.changes_since,
                    restored,
                    safety_backup: safety,
                    damaged_copy: None,
                    warnings,
                },
            ))
        }
        Err(e) => Err((None, e)),
    }
}

/// Restores `file` over the database at `db`, which may be damaged or missing (the CLI, and
/// the app's damaged-database screen). A healthy database is backed up first; a damaged one
/// (with its WAL file) is copied aside into the backup folder.
pub fn restore_path(db: &Path, file: &Path, key: Option<&str>) -> Result<RestoreReport> {
    match open_current(db, key) {
        Ok(store) => {
            return restore(store, file).map(|(_, r)| r).map_err(|(_, e)| e);
        }
        Err(e) if e.code == ErrorCode::DatabaseDamaged || e.code == ErrorCode::NotFound => {}
        Err(e) => return Err(e),
    }
    let restored = validate(db, file, None, key)?;
    let mut damaged_copy = None;
    let changes_undone = if db.exists() {
        let (dir, _) = target_folder(db);
        std::fs::create_dir_all(&dir)
            .map_err(|e| io(format!("cannot create {}: {e}", dir.display())))?;
        let base = format!("{}-{}", stem(db), stamp(crate::store::now_unix()));
        let mut copy = dir.join(format!("{base}.damaged"));
        let mut n = 2;
        while copy.exists() {
            copy = dir.join(format!("{base}-{n}.damaged"));
            n += 1;
        }
        std::fs::copy(db, &copy).map_err(|e| {
            io(format!(
                "cannot copy the damaged database aside to {}: {e}; nothing was changed",
                copy.display()
            ))
        })?;
        let wal = sidecar(db, "-wal");
        if wal.exists() {
            std::fs::copy(&wal, sidecar(&copy, "-wal")).map_err(|e| {
                io(format!(
                    "cannot copy the damaged database's WAL aside: {e}; nothing was changed"
                ))
            })?;
        }
        damaged_copy = Some(copy.display().to_string());
        let mark = inspect(file, key).ok().and_then(|i| i.mark);
        open_read_only(db, key)
            .ok()
            .and_then(|c| changes_since(&c, mark, restored.created).ok())
            .map(|x| x.0)
    } else {
        None
    };
    // A synchronising site: its own changes the backup lacks, read from the damaged file when
    // it still can be (to re-base the change log; see crate::sync::rebase).
    let lost = match (open_read_only(db, key), open_read_only(file, key)) {
        (Ok(cur), Ok(b)) => crate::sync::rebase::lost_changes(&cur, &b).ok().flatten(),
        _ => None,
    };
    let tmp = prepare_copy(db, file, key)?;
    let _ = std::fs::remove_file(sidecar(db, "-wal"));
    swap(db, &tmp)?;
    let mut s = Store::open_with_key(db, key)?;
    s.set_backed_up(PathBuf::from(&restored.path));
    let mut warnings = Vec::new();
    rebase_after(&mut s, lost.as_ref(), &mut warnings);
    Ok(RestoreReport {
        database: db.display().to_string(),
        restored,
        safety_backup: None,
        damaged_copy,
        changes_undone,
        warnings,
    })
}

/// A plain backup restored over an encrypted database (taken before it was encrypted) is
/// encrypted again with the database's passphrase: a restore never removes the encryption.
fn keep_encrypted(store: &mut Store, key: Option<&str>, warnings: &mut Vec<String>) {
    let Some(k) = key.filter(|_| !store.is_encrypted()) else {
        return;
    };
    match store.rekey(Some(k)) {
        Ok(()) => warnings.push(
            "the backup was not encrypted (taken before the encryption): the restored database was encrypted again with the current passphrase".into(),
        ),
        Err(e) => warnings.push(format!(
            "the backup was not encrypted and encrypting the restored database failed ({}); encrypt it again in Settings → Encryption",
            e.message
        )),
    }
}

/// Re-bases a restored synchronising site's change log (see [`crate::sync::rebase`]); what it
/// did, or why it could not, becomes a warning of the restore.
fn rebase_after(
    store: &mut Store,
    lost: Option<&crate::sync::rebase::LostChanges>,
    warnings: &mut Vec<String>,
) {
    let Some(lost) = lost else { return };
    match crate::sync::rebase::rebase(store, lost) {
        Ok(0) => {}
        Ok(n) => warnings.push(format!(
            "{n} row(s) changed here after the backup are sent again as restored, so that the other sites undo those changes too"
        )),
        Err(e) => warnings.push(format!(
            "the synchronisation log could not be re-based after the restore ({}); run `mizani check` and synchronise with head office before entering data",
            e.message
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_files_are_ignored() {
        let db = Path::new("/x/demo.sqlite");
        let at = 1_780_000_000;
        for (kind, token) in [
            (BackupKind::Manual, "manual"),
            (BackupKind::Automatic, "auto"),
            (BackupKind::BeforeImport, "before-import"),
            (BackupKind::BeforeSync, "before-sync"),
            (BackupKind::BeforeRestore, "before-restore"),
            (BackupKind::BeforeMigration, "v2-before-v4"),
        ] {
            let p = new_name(db, Path::new("/nonexistent"), at, token);
            let name = p.file_name().expect("name").to_string_lossy().to_string();
            assert_eq!(
                parse_name("demo", &name),
                Some((at, kind)),
                "{name} reads back as what it was written as"
            );
        }
        assert_eq!(
            parse_name("mizani", "mizani-20260115-103000.sqlite").map(|x| x.1),
            Some(BackupKind::Manual),
            "backups written before kinds existed are manual ones"
        );
        assert_eq!(
            parse_name("demo", "demo-20260115-103000-auto-3.sqlite").map(|x| x.1),
            Some(BackupKind::Automatic),
            "a counter for two backups in one second does not hide the kind"
        );
        for other in [
            "demo-x-20260115-103000-auto.sqlite",
            "mizani-20260115-103000-auto.sqlite",
            "demo-20260115-103000-auto.partial",
            "demo-20261315-103000-auto.sqlite",
            "demo-20260115-103000-weird.sqlite",
            "demo.sqlite",
        ] {
            assert_eq!(
                parse_name("demo", other),
                None,
                "{other} is not a backup of demo.sqlite: never listed, never pruned"
            );
        }
    }
}
