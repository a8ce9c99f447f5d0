//! `mizani backup …`: create, list, restore and the backup folder (crates/core/src/backup.rs).

use crate::format::table;
use crate::{check_output, open_existing, passphrase_for, print_json};
use clap::Subcommand;
use mizani_core::backup::{self, BackupInfo};
use mizani_core::{api, CoreError, ErrorCode, Store};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum BackupCmd {
    /// Write a consistent, checked copy of the database (SQLite online backup)
    Create {
        /// Output file (default: the backup folder, backups/ beside the database)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// List the backups: when, kind, size and the changes made since each
    List,
    /// Replace the database with a backup (the current state is backed up first)
    Restore {
        /// The backup file (see `mizani backup list`)
        file: PathBuf,
        /// Do it (without --yes, only say what would be done)
        #[arg(long)]
        yes: bool,
    },
    /// Show or choose the backup folder of this database (kept in this computer's settings)
    Folder {
        /// The folder (it must exist: a USB stick, a synced folder, …)
        folder: Option<PathBuf>,
        /// Go back to the default folder (backups/ beside the database)
        #[arg(long, conflicts_with = "folder")]
        default: bool,
    },
}

fn local(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn since(b: &BackupInfo) -> String {
    match (b.changes_since, b.values_since) {
        (Some(c), Some(v)) => format!("{c} ({v} values)"),
        (Some(c), None) => c.to_string(),
        _ => "?".into(),
    }
}

fn print_list(list: &[BackupInfo]) {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|b| {
            vec![
                local(b.created),
                b.kind.as_str().to_string(),
                size(b.bytes),
                if b.readable {
                    since(b)
                } else {
                    format!(
                        "unusable: {}",
                        b.problem.clone().unwrap_or_else(|| "?".into())
                    )
                },
                b.path.clone(),
            ]
        })
        .collect();
    table(&["taken", "kind", "size", "changes since", "file"], &rows);
}

pub fn run(db: &Path, json: bool, cmd: BackupCmd) -> Result<(), CoreError> {
    match cmd {
        BackupCmd::Create { output } => {
            if let Some(o) = &output {
                check_output(o)?;
            }
            let store = open_existing(db)?;
            let p = api::backup_create(&store, output.as_deref())?;
            let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            if json {
                print_json(&serde_json::json!({"file": p, "bytes": size}))?;
            } else {
                outln!(
                    "Backup written to {} ({} bytes, integrity checked)",
                    p.display(),
                    size
                );
            }
        }
        BackupCmd::List => {
            if !db.exists() {
                return Err(CoreError::not_found(format!(
                    "there is no database at {}",
                    db.display()
                )));
            }
            // A damaged database still lists its backups (without the changes made since).
            let store: Option<Store> = match open_existing(db) {
                Ok(s) => Some(s),
                Err(e) if e.code == ErrorCode::DatabaseDamaged => None,
                Err(e) => return Err(e),
            };
            let status = match &store {
                Some(s) => backup::status(s)?,
                None => backup::status_of(db, None, passphrase_for(db)?.as_deref()),
            };
            if json {
                print_json(&status)?;
            } else {
                if let Some(u) = &status.unreachable {
                    outln!("note: {u}");
                }
                outln!("Backups of {} (folder: {}):", db.display(), status.folder);
                if status.backups.is_empty() {
                    outln!("  none yet; `mizani backup create` writes one");
                } else {
                    print_list(&status.backups);
                }
            }
        }
        BackupCmd::Restore { file, yes } => {
            if !yes {
                // Says what it would do, on stderr with the refusal (stdout stays empty).
                let plan = backup::restore_plan(db, &file, passphrase_for(db)?.as_deref())?;
                let steps = plan
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {s}", i + 1))
                    .collect();
                return Err(CoreError::invalid(format!(
                    "nothing was restored: add --yes to restore {}; it would:",
                    file.display()
                ))
                .with_details(steps));
            }
            let r = backup::restore_path(db, &file, passphrase_for(db)?.as_deref())?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Restored {} from the backup {} ({}, {}).",
                    r.database,
                    r.restored.path,
                    local(r.restored.created),
                    r.restored.kind.as_str()
                );
                if let Some(n) = r.changes_undone {
                    outln!("{n} change(s) made after the backup were undone.");
                }
                if let Some(s) = &r.safety_backup {
                    outln!("The replaced state was backed up to {s}.");
                }
                if let Some(d) = &r.damaged_copy {
                    outln!("The damaged database was copied to {d}.");
                }
                for w in &r.warnings {
                    outln!("note: {w}");
                }
            }
        }
        BackupCmd::Folder { folder, default } => {
            if folder.is_some() || default {
                backup::set_folder(db, folder.as_deref())?;
            }
            let status = backup::status_of(db, None, None);
            if json {
                print_json(&serde_json::json!({
                    "folder": status.folder,
                    "default_folder": status.default_folder,
                    "configured_folder": status.configured_folder,
                    "unreachable": status.unreachable,
                }))?;
            } else {
                outln!("Backups of {} go to {}", db.display(), status.folder);
                if let Some(u) = &status.unreachable {
                    outln!("note: {u}");
                }
            }
        }
    }
    Ok(())
}
