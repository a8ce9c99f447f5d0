//! `mizani site …` and `mizani sync …`: sites, enrolment, packages, the sync folder and the
//! conflict log (crates/core/src/sync).

use crate::format::table;
use crate::{check_output, open_existing, print_json};
use clap::Subcommand;
use mizani_core::sync::{self, SiteInfo};
use mizani_core::{CoreError, Store};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum SiteCmd {
    /// Enrol a branch site for one or more branches (head office): writes its enrolment file
    Enrol {
        /// Branch codes the site will enter data for
        #[arg(required = true)]
        branches: Vec<String>,
        /// A name for the site (default: "Branch site CODE…")
        #[arg(long)]
        name: Option<String>,
        /// The enrolment file to write (keep it safe: it holds the site's secret key)
        #[arg(short, long, value_name = "FILE.mizenrol")]
        output: PathBuf,
    },
    /// Join an institution with an enrolment file (into an empty database)
    Join { file: PathBuf },
    /// List the sites this database knows
    List,
    /// Revoke a branch site (head office): its packages are refused from now on
    Revoke {
        /// Site id (or the first digits of it), see `mizani site list`
        site: String,
    },
}

#[derive(Subcommand)]
pub enum SyncCmd {
    /// Write a package of what a peer has not acknowledged yet
    Export {
        #[arg(short, long, value_name = "FILE.mizpkg")]
        output: PathBuf,
        /// The receiving site (needed at head office when it has several branch sites)
        #[arg(long, value_name = "SITE")]
        to: Option<String>,
    },
    /// Import a package (atomic; importing it twice changes nothing)
    Import { file: PathBuf },
    /// Import the packages for this site in a folder and write the outgoing ones there
    Folder { dir: PathBuf },
    /// This site, its peers, pending changes, refused packages
    Status,
    /// Concurrent edits: both values, both sites and times
    Conflicts {
        /// Write the losing value of conflict ID again (it then wins everywhere)
        #[arg(long, value_name = "ID")]
        reapply: Option<i64>,
    },
}

fn when(t: Option<i64>) -> String {
    t.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

fn role(s: &SiteInfo) -> &'static str {
    match s.role {
        sync::SiteRole::Hq => "head office",
        sync::SiteRole::Branch => "branch site",
    }
}

fn print_sites(list: &[SiteInfo]) {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            vec![
                s.uid.clone(),
                format!("{}{}", role(s), if s.is_self { " (this one)" } else { "" }),
                s.name.clone(),
                s.branches.join(" "),
                if s.revoked_at.is_some() {
                    format!("revoked {}", when(s.revoked_at))
                } else {
                    String::new()
                },
                when(s.last_sent_at),
                when(s.last_received_at),
                s.pending.map(|p| p.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "site",
            "role",
            "name",
            "branches",
            "status",
            "last sent",
            "last received",
            "pending",
        ],
        &rows,
    );
}

pub fn site(db: &Path, json: bool, cmd: SiteCmd) -> Result<(), CoreError> {
    match cmd {
        SiteCmd::Enrol {
            branches,
            name,
            output,
        } => {
            check_output(&output)?;
            let mut store = open_existing(db)?;
            let r = sync::site_enrol(&mut store, &branches, name.as_deref(), &output)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Enrolled {} ({}) for {}: {} ({} bytes).",
                    r.site.name,
                    r.site.fingerprint,
                    r.site.branches.join(", "),
                    r.file,
                    r.bytes
                );
                outln!("Carry the file to the branch (it holds the site's secret key) and run `mizani site join FILE` there.");
            }
        }
        SiteCmd::Join { file } => {
            let mut store = Store::open(db)?;
            let r = sync::site_join(&mut store, &file)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Joined {} as {} ({}) for {}; head office is {}. {} rows received.",
                    r.institution,
                    r.site.name,
                    r.site.fingerprint,
                    r.site.branches.join(", "),
                    r.head_office.fingerprint,
                    r.rows
                );
            }
        }
        SiteCmd::List => {
            let mut store = open_existing(db)?;
            let list = sync::site_list(&mut store)?;
            if json {
                print_json(&list)?;
            } else {
                print_sites(&list);
            }
        }
        SiteCmd::Revoke { site } => {
            let mut store = open_existing(db)?;
            let s = sync::site_revoke(&mut store, &site)?;
            if json {
                print_json(&s)?;
            } else {
                outln!(
                    "Revoked {} ({}): its packages are refused from now on.",
                    s.name,
                    s.fingerprint
                );
            }
        }
    }
    Ok(())
}

pub fn sync(db: &Path, json: bool, cmd: SyncCmd) -> Result<(), CoreError> {
    match cmd {
        SyncCmd::Export { output, to } => {
            check_output(&output)?;
            let mut store = open_existing(db)?;
            let r = sync::sync_export(&mut store, to.as_deref(), &output)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Wrote {} for site {}: {} change(s), {} bytes.",
                    r.file,
                    r.receiver,
                    r.changes,
                    r.bytes
                );
            }
        }
        SyncCmd::Import { file } => {
            let mut store = open_existing(db)?;
            let r = sync::sync_import(&mut store, &file)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Imported {} from site {}: {} change(s) applied, {} already here, {} waiting for an earlier package, {} conflict(s).",
                    r.file,
                    r.sender,
                    r.applied,
                    r.duplicates,
                    r.deferred,
                    r.conflicts
                );
            }
        }
        SyncCmd::Folder { dir } => {
            let mut store = open_existing(db)?;
            let r = sync::sync_folder(&mut store, &dir)?;
            if json {
                print_json(&r)?;
            } else {
                for i in &r.imported {
                    outln!(
                        "imported {} ({} change(s), {} conflict(s))",
                        i.file,
                        i.applied,
                        i.conflicts
                    );
                }
                for x in &r.refused {
                    outln!("refused {}: {}", x.file, x.reason);
                }
                for e in &r.exported {
                    outln!(
                        "wrote {} ({} change(s), {} bytes)",
                        e.file,
                        e.changes,
                        e.bytes
                    );
                }
                if r.imported.is_empty() && r.refused.is_empty() && r.exported.is_empty() {
                    outln!("Nothing to exchange in {}.", r.folder);
                }
            }
            if !r.refused.is_empty() {
                return Err(CoreError::new(
                    mizani_core::ErrorCode::PackageRefused,
                    format!(
                        "{} package(s) refused (moved to {}/refused)",
                        r.refused.len(),
                        r.folder
                    ),
                )
                .with_details(
                    r.refused
                        .iter()
                        .map(|x| format!("{}: {}", x.file, x.reason))
                        .collect(),
                ));
            }
        }
        SyncCmd::Status => {
            let mut store = open_existing(db)?;
            let s = sync::sync_status(&mut store)?;
            if json {
                print_json(&s)?;
            } else {
                outln!(
                    "This site: {} — {} ({})",
                    role(&s.site),
                    s.site.name,
                    s.site.fingerprint
                );
                if !s.site.branches.is_empty() {
                    outln!("Branches: {}", s.site.branches.join(", "));
                }
                if let Some(f) = &s.sync_folder {
                    outln!("Sync folder: {f}");
                }
                if s.peers.is_empty() {
                    outln!(
                        "No peer yet: head office enrols branch sites with `mizani site enrol`."
                    );
                } else {
                    print_sites(&s.peers);
                }
                if s.conflicts > 0 {
                    outln!("{} conflict(s): see `mizani sync conflicts`.", s.conflicts);
                }
                for r in &s.refusals {
                    outln!("refused {} ({}): {}", r.file, when(Some(r.at)), r.reason);
                }
            }
        }
        SyncCmd::Conflicts { reapply } => {
            let mut store = open_existing(db)?;
            if let Some(id) = reapply {
                let c = sync::conflict_reapply(&mut store, id)?;
                if json {
                    print_json(&c)?;
                } else {
                    outln!(
                        "Re-applied {} = {} (it goes out with the next package).",
                        c.label,
                        c.loser_value.unwrap_or_default()
                    );
                }
                return Ok(());
            }
            let list = sync::sync_conflicts(&store)?;
            if json {
                print_json(&list)?;
            } else if list.is_empty() {
                outln!("No conflicts.");
            } else {
                let ms = |t: i64| when(Some(t / 1000));
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            c.label.clone(),
                            format!(
                                "{} ({}, {})",
                                c.winner_value.clone().unwrap_or_default(),
                                c.winner_site,
                                ms(c.winner_at)
                            ),
                            format!(
                                "{} ({}, {})",
                                c.loser_value.clone().unwrap_or_default(),
                                c.loser_site,
                                ms(c.loser_at)
                            ),
                            c.reapplied_at
                                .map(|t| format!("re-applied {}", when(Some(t))))
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "field",
                        "kept (site, time)",
                        "other value (site, time)",
                        "",
                    ],
                    &rows,
                );
            }
        }
    }
    Ok(())
}
