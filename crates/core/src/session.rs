//! The desktop app's session: which database is open, and the user's preferences
//! (`settings.json` in the OS config dir: last database, interface language). The Tauri shell
//! holds one `Session` and its commands are one-line calls into it and into `api`.

use crate::api::{self, InitRequest};
use crate::backup::{self, BackupInfo, DamagedDatabase, RestoreReport};
use crate::error::{CoreError, ErrorCode, Result};
use crate::model::{Language, Organisation};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct AppSettings {
    /// The database opened last (reopened at start).
    pub last_db: Option<String>,
    /// Interface language chosen by the user (else the institution's).
    pub ui_language: Option<Language>,
    /// Backup folder chosen per database (database path → folder). Kept on this computer, not
    /// in the database: a USB stick or synced folder has a different path on every computer,
    /// and a database copied elsewhere then backs up beside itself.
    #[serde(default)]
    pub backup_dirs: BTreeMap<String, String>,
}

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "Mizani", "Mizani").ok_or_else(|| {
        CoreError::new(
            ErrorCode::Io,
            "cannot find the data and settings folders of this user",
        )
    })
}

pub fn settings_path() -> Result<PathBuf> {
    Ok(project_dirs()?.config_dir().join("settings.json"))
}

/// Where the demo institution lives (separate from the user's own database).
pub fn demo_db_path() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().join("demo.sqlite"))
}

impl AppSettings {
    /// Missing or unreadable settings give the defaults (they only hold preferences).
    pub fn load() -> AppSettings {
        settings_path()
            .ok()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Reads the settings, changes them with `f` and saves them (so that two writers, such as
    /// the app and `mizani backup folder`, do not undo each other's settings).
    pub fn update(f: impl FnOnce(&mut AppSettings)) -> Result<AppSettings> {
        let mut s = AppSettings::load();
        f(&mut s);
        s.save()?;
        Ok(s)
    }

    /// Atomic save (a temporary file flushed to the disk, then renamed): a crash or a full
    /// disk leaves the previous settings, never a partial file.
    pub fn save(&self) -> Result<()> {
        let path = settings_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| CoreError::new(ErrorCode::Io, format!("settings: {e}")))?;
        crate::api::write_file_atomic(&path, &text)
    }
}

/// What the window needs to decide what to show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppState {
    /// The open database, if any.
    pub db_path: Option<String>,
    /// Its institution; None on first launch (show the welcome screen).
    pub org: Option<Organisation>,
    pub ui_language: Language,
    /// Where a new institution is created by default.
    pub default_db: String,
    pub demo_db: String,
    /// Why the last database could not be reopened (shown on the welcome screen).
    pub open_error: Option<CoreError>,
    /// Page to show first (`MIZANI_START_PAGE`, for screenshots and debugging).
    pub start_page: Option<String>,
    /// Whether the open database is encrypted (SQLCipher, with a passphrase).
    pub encrypted: bool,
    /// The last database, encrypted, waiting for its passphrase (shown on the welcome screen).
    pub locked_db: Option<String>,
    /// A database that could not be opened because it is damaged, with the backup that can
    /// replace it (the window offers the restore).
    pub damaged: Option<DamagedDatabase>,
}

/// The state after a restore, and what the restore did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestoreOutcome {
    pub state: AppState,
    pub report: RestoreReport,
}

#[derive(Default)]
pub struct Session {
    store: Option<Store>,
    settings: AppSettings,
    open_error: Option<CoreError>,
    damaged: Option<DamagedDatabase>,
    /// The passphrase the damaged database was opened with (to read its encrypted backups).
    damaged_key: Option<String>,
    /// Held (shared) while a scheduled backup copies the database without the session, and
    /// (exclusively) while a restore replaces the file.
    files: Arc<RwLock<()>>,
    /// Counts the databases opened, so a scheduled backup is recorded only for its own.
    epoch: u64,
}

/// A scheduled backup to write without holding the session ([`Session::backup_prepare`]).
pub struct BackupJob {
    pending: backup::Pending,
    files: Arc<RwLock<()>>,
    epoch: u64,
}

impl BackupJob {
    /// Copies and checks the database on a connection of its own; a restore waits meanwhile.
    pub fn run(&self) -> Result<BackupInfo> {
        let _shared = self.files.read().unwrap_or_else(|p| p.into_inner());
        backup::write_pending(&self.pending)
    }
}

impl Session {
    /// Loads the settings and reopens the last database (if it still opens).
    pub fn start() -> Session {
        let settings = AppSettings::load();
        let mut s = Session {
            settings,
            ..Session::default()
        };
        if let Some(p) = s.settings.last_db.clone() {
            let path = PathBuf::from(&p);
            if path.exists() {
                match Store::open_checked(&path, None) {
                    Ok(st) => s.store = Some(st),
                    Err(e) => {
                        if e.code == ErrorCode::DatabaseDamaged {
                            s.damaged = Some(backup::damaged(&path, &e, None));
                        }
                        s.open_error = Some(e);
                    }
                }
            }
        }
        s
    }

    pub fn state(&self) -> Result<AppState> {
        let org = match &self.store {
            Some(st) if crate::repo::is_initialised(st.conn())? => {
                Some(crate::repo::organisation(st.conn())?)
            }
            _ => None,
        };
        let ui_language = self
            .settings
            .ui_language
            .or(org.as_ref().map(|o| o.language))
            .unwrap_or(Language::En);
        Ok(AppState {
            db_path: self
                .store
                .as_ref()
                .and_then(|s| s.path())
                .map(|p| p.display().to_string()),
            org,
            ui_language,
            default_db: crate::store::resolve_db_path(None)?.display().to_string(),
            demo_db: demo_db_path()?.display().to_string(),
            open_error: self.open_error.clone(),
            start_page: std::env::var("MIZANI_START_PAGE")
                .ok()
                .filter(|p| !p.is_empty()),
            encrypted: self.store.as_ref().is_some_and(Store::is_encrypted),
            locked_db: match (&self.store, &self.open_error) {
                (None, Some(e)) if e.code == ErrorCode::PassphraseRequired => {
                    self.settings.last_db.clone()
                }
                _ => None,
            },
            damaged: self.damaged.clone(),
        })
    }

    fn remember(&mut self, store: Store) -> Result<()> {
        let last = store.path().map(|p| p.display().to_string());
        self.store = Some(store);
        self.epoch += 1;
        self.open_error = None;
        self.damaged = None;
        self.damaged_key = None;
        self.settings = AppSettings::update(|s| s.last_db = last)?;
        Ok(())
    }

    /// Opens `path` checking its pages; a damaged file is kept aside in `damaged` (with the
    /// backup that can replace it) and the current database stays open.
    fn open_file(&mut self, path: &Path, key: Option<&str>) -> Result<Option<Store>> {
        match Store::open_checked(path, key) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.code == ErrorCode::DatabaseDamaged => {
                self.damaged = Some(backup::damaged(path, &e, key));
                self.damaged_key = key.map(str::to_string);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a new institution in `path` (default: the standard database), which must not
    /// already hold one.
    pub fn create(&mut self, req: &InitRequest, path: Option<&str>) -> Result<AppState> {
        req.validate()?;
        let path = match path.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => crate::store::resolve_db_path(None)?,
        };
        let mut store = Store::open(&path)?;
        api::init(&mut store, req)?;
        self.remember(store)?;
        self.state()
    }

    /// Opens the demo institution (created on first use).
    pub fn open_demo(&mut self) -> Result<AppState> {
        let path = demo_db_path()?;
        let Some(mut store) = self.open_file(&path, None)? else {
            return self.state();
        };
        if !crate::repo::is_initialised(store.conn())? {
            crate::demo::load_demo(&mut store)?;
        }
        self.remember(store)?;
        self.state()
    }

    /// Opens the last database, which is encrypted, with its passphrase.
    pub fn unlock(&mut self, passphrase: &str) -> Result<AppState> {
        let Some(path) = self.settings.last_db.clone() else {
            return Err(CoreError::not_found("there is no database to unlock"));
        };
        self.open(&path, Some(passphrase))
    }

    /// Encrypts the open database (or changes its passphrase); see [`api::encrypt_database`].
    pub fn encrypt(&mut self, passphrase: &str) -> Result<api::EncryptionReport> {
        // A scheduled backup copying the database (with the old key) finishes first, and is
        // not recorded for the re-keyed database.
        let files = self.files.clone();
        let _exclusive = files.write().unwrap_or_else(|p| p.into_inner());
        self.epoch += 1;
        api::encrypt_database(self.store_mut()?, passphrase)
    }

    /// Removes the encryption of the open database.
    pub fn decrypt(&mut self) -> Result<api::EncryptionReport> {
        let files = self.files.clone();
        let _exclusive = files.write().unwrap_or_else(|p| p.into_inner());
        self.epoch += 1;
        api::decrypt_database(self.store_mut()?)
    }

    /// Opens an existing Mizani database (with its passphrase when it is encrypted).
    pub fn open(&mut self, path: &str, passphrase: Option<&str>) -> Result<AppState> {
        let p = Path::new(path.trim());
        if !p.exists() {
            return Err(CoreError::not_found(format!(
                "there is no file {}",
                p.display()
            )));
        }
        let Some(store) = self.open_file(p, passphrase)? else {
            return self.state();
        };
        if !crate::repo::is_initialised(store.conn())? {
            return Err(CoreError::new(
                ErrorCode::NotInitialised,
                format!("{} holds no institution", p.display()),
            ));
        }
        self.remember(store)?;
        self.state()
    }

    /// Joins an institution as a branch site: a new database (at `path`, else the default
    /// location) filled from head office's enrolment file. On failure no database is left
    /// behind.
    pub fn join(&mut self, enrolment: &str, path: Option<&str>) -> Result<AppState> {
        let file = Path::new(enrolment.trim());
        let bytes = crate::sync::read_input_file(file, "enrolment file")?;
        let path = match path.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => crate::store::resolve_db_path(None)?,
        };
        let existed = path.exists();
        let joined = Store::open(&path).and_then(|mut store| {
            crate::sync::site_join_bytes(&mut store, &bytes)?;
            Ok(store)
        });
        match joined {
            Ok(store) => {
                self.remember(store)?;
                self.state()
            }
            Err(e) => {
                if !existed {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }
                Err(e)
            }
        }
    }

    /// One round of automatic synchronisation through the configured sync folder; `None` when
    /// no database is open or no folder is set (or it is not reachable right now).
    pub fn sync_tick(&mut self) -> Result<Option<crate::sync::FolderReport>> {
        let Some(store) = self.store.as_mut() else {
            return Ok(None);
        };
        let Some(folder) = crate::sync::sync_folder_setting(store.conn())? else {
            return Ok(None);
        };
        let dir = PathBuf::from(folder);
        if !dir.is_dir() {
            return Ok(None);
        }
        crate::sync::sync_folder(store, &dir).map(Some)
    }

    /// One round of automatic backup, all under the session: a backup when something changed
    /// since the last one; None when nothing changed or no database is open.
    pub fn backup_tick(&mut self) -> Result<Option<BackupInfo>> {
        match self.store.as_ref() {
            Some(store) => backup::scheduled(store),
            None => Ok(None),
        }
    }

    /// The app's round of automatic backup, first step (quick, under the session): whether one
    /// is due. Then [`BackupJob::run`] without the session, and [`Session::backup_finish`].
    pub fn backup_prepare(&mut self) -> Result<Option<BackupJob>> {
        let Some(store) = self.store.as_ref() else {
            return Ok(None);
        };
        Ok(backup::scheduled_pending(store)?.map(|pending| BackupJob {
            pending,
            files: self.files.clone(),
            epoch: self.epoch,
        }))
    }

    /// Records a written scheduled backup (when the same database is still open).
    pub fn backup_finish(&mut self, job: &BackupJob, info: &BackupInfo) {
        if job.epoch == self.epoch {
            if let Some(store) = self.store.as_ref() {
                backup::record_pending(store, &job.pending, info);
            }
        }
    }

    /// Restores a backup over the open database (the current state is backed up first).
    pub fn restore(&mut self, file: &str) -> Result<RestoreOutcome> {
        let files = self.files.clone();
        let _exclusive = files.write().unwrap_or_else(|p| p.into_inner());
        let store = self.store.take().ok_or_else(Self::none)?;
        match backup::restore(store, Path::new(file.trim())) {
            Ok((store, report)) => {
                self.remember(store)?;
                Ok(RestoreOutcome {
                    state: self.state()?,
                    report,
                })
            }
            Err((back, e)) => {
                if back.is_none() {
                    self.open_error = Some(e.clone());
                }
                self.store = back;
                Err(e)
            }
        }
    }

    /// Replaces the damaged database with its newest good backup and opens it.
    pub fn restore_damaged(&mut self) -> Result<RestoreOutcome> {
        let d = self
            .damaged
            .clone()
            .ok_or_else(|| CoreError::not_found("no damaged database is waiting for a restore"))?;
        let b = d.backup.as_ref().ok_or_else(|| {
            CoreError::not_found(format!("there is no good backup of {}", d.db_path))
        })?;
        let db = PathBuf::from(&d.db_path);
        let files = self.files.clone();
        let _exclusive = files.write().unwrap_or_else(|p| p.into_inner());
        let key = self.damaged_key.clone();
        let report = backup::restore_path(&db, Path::new(&b.path), key.as_deref())?;
        let store = Store::open_checked(&db, key.as_deref())?;
        self.store = None;
        self.remember(store)?;
        Ok(RestoreOutcome {
            state: self.state()?,
            report,
        })
    }

    /// Leaves the damaged database as it is (back to the open database or the welcome screen).
    pub fn dismiss_damaged(&mut self) -> Result<AppState> {
        self.damaged = None;
        self.damaged_key = None;
        self.state()
    }

    /// Where backups go and which exist.
    pub fn backup_status(&self) -> Result<backup::BackupStatus> {
        backup::status(self.store()?)
    }

    /// Chooses (None: resets) the backup folder of the open database.
    pub fn set_backup_folder(&mut self, folder: Option<&str>) -> Result<backup::BackupStatus> {
        let db = self
            .store()?
            .path()
            .map(Path::to_path_buf)
            .ok_or_else(|| CoreError::invalid("an in-memory database has no backups"))?;
        let folder = folder.map(str::trim).filter(|f| !f.is_empty());
        backup::set_folder(&db, folder.map(Path::new))?;
        self.settings = AppSettings::load();
        self.backup_status()
    }

    /// Closes the database (back to the welcome screen).
    pub fn close(&mut self) -> Result<AppState> {
        self.store = None;
        self.epoch += 1;
        self.damaged = None;
        self.settings = AppSettings::update(|s| s.last_db = None)?;
        self.state()
    }

    pub fn set_language(&mut self, lang: Language) -> Result<AppState> {
        self.settings = AppSettings::update(|s| s.ui_language = Some(lang))?;
        self.state()
    }

    /// The interface language: the user's choice, else the institution's, else English.
    pub fn lang(&self) -> Language {
        self.settings
            .ui_language
            .or_else(|| {
                self.store
                    .as_ref()
                    .and_then(|s| crate::repo::organisation(s.conn()).ok())
                    .map(|o| o.language)
            })
            .unwrap_or(Language::En)
    }

    fn none() -> CoreError {
        CoreError::new(ErrorCode::NotInitialised, "no database is open")
    }

    pub fn store(&self) -> Result<&Store> {
        self.store.as_ref().ok_or_else(Self::none)
    }

    /// The open database for writing, with the interface language.
    pub fn store_mut_lang(&mut self) -> Result<(&mut Store, Language)> {
        let lang = self.lang();
        Ok((self.store_mut()?, lang))
    }

    pub fn store_mut(&mut self) -> Result<&mut Store> {
        self.store.as_mut().ok_or_else(Self::none)
    }
}
