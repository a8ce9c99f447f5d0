//! `mizani`: every Mizani job, headless. Each command parses its arguments, calls the one
//! core API function that does the job (the same one the desktop app calls) and prints the
//! result: a readable table by default, JSON with `--json`. Exit 0 on success; otherwise a
//! one-line reason on stderr (JSON with `--json`) and a non-zero exit code.

/// `println!` that never panics: a closed pipe (`mizani … | head`) just ends the output.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod backup;
mod export;
mod format;
mod sheet;
mod spm;
mod sync;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use mizani_core::api::{self, InitRequest, NewLink, NewObjective, NewTarget};
use mizani_core::catalogue::IndicatorDef;
use mizani_core::engine::Scope;
use mizani_core::model::{Category, Direction, Language, Names};
use mizani_core::period::Period;
use mizani_core::{CoreError, ErrorCode, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mizani",
    version,
    about = "Mizani: social and financial performance of a microfinance institution, headless"
)]
struct Cli {
    /// Database file (default: $MIZANI_DB, else the OS data directory)
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print JSON for scripts instead of tables
    #[arg(long, global = true)]
    json: bool,
    /// File holding the passphrase of an encrypted database (else $MIZANI_PASSPHRASE, else
    /// asked on the terminal)
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a new institution in an empty database
    Init {
        /// Institution name
        #[arg(long)]
        org: String,
        /// Currency, a three-letter ISO code (XOF, USD, PEN…)
        #[arg(long)]
        currency: String,
        /// Country, a two-letter ISO code
        #[arg(long)]
        country: Option<String>,
        /// Language of the institution: en, fr or es
        #[arg(long)]
        lang: Option<String>,
        /// Gross national income per capita, in the institution's currency
        #[arg(long, allow_negative_numbers = true)]
        gni_per_capita: Option<f64>,
    },
    /// Fill an empty database with the demo institution
    Demo,
    /// Set the mission statement and values
    Mission {
        /// The mission statement
        #[arg(long)]
        mission: String,
        /// A value of the institution (repeat for several)
        #[arg(long = "value")]
        values: Vec<String>,
    },
    /// Branches
    #[command(subcommand)]
    Branch(BranchCmd),
    /// List the data elements (raw monthly figures)
    Elements,
    /// Import monthly measurements from a CSV or XLSX file (all or nothing)
    Import {
        /// CSV or XLSX: long (branch,period,element,value[,comment]) or wide (one row per
        /// branch, one column per data element)
        file: PathBuf,
        /// XLSX: the sheet to read (default: the first visible sheet with data)
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
        /// Column mapping (JSON: {"columns": [{"header": "...", "role": "data", "element": "glp"}, ...]});
        /// saved for files like this one after a successful import
        #[arg(long, value_name = "FILE.json")]
        mapping: Option<PathBuf>,
        /// The month of every row when the sheet has no period column (e.g. 2025-03)
        #[arg(long, value_name = "MONTH")]
        period: Option<String>,
        /// Write the mapping that applies (detected, saved or given) to this file, to edit it
        #[arg(long, value_name = "FILE.json")]
        write_mapping: Option<PathBuf>,
        /// Check the file and count what would change, without writing
        #[arg(long)]
        dry_run: bool,
    },
    /// Indicator values for a period (without --period: the catalogue with formulas)
    Indicators {
        /// 2025-03, 2025-Q1 or 2025
        #[arg(long)]
        period: Option<String>,
        /// org, region:NAME or branch:CODE
        #[arg(long, default_value = "org")]
        scope: String,
        /// Language of the names: en, fr or es
        #[arg(long)]
        lang: Option<String>,
    },
    /// Explain one indicator value: formula, numerator, denominator, each branch's share
    Explain {
        /// Indicator code
        code: String,
        #[arg(long)]
        period: String,
        #[arg(long, default_value = "org")]
        scope: String,
    },
    /// Edit an indicator (a formula change bumps its version)
    #[command(subcommand)]
    Indicator(IndicatorCmd),
    /// Objectives
    #[command(subcommand)]
    Objective(ObjectiveCmd),
    /// Objectives with their indicators' progress, RAG, trend and forecast, reds first
    Dashboard {
        #[arg(long)]
        period: String,
        #[arg(long, default_value = "org")]
        scope: String,
        #[arg(long)]
        lang: Option<String>,
    },
    /// Write the board pack (or a branch one-pager) as a PDF file
    Report {
        /// 2025-03, 2025-Q1 or 2025
        #[arg(long)]
        period: String,
        /// org, region:NAME or branch:CODE
        #[arg(long, default_value = "org")]
        scope: String,
        /// Language of the report: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
        /// The one-page summary of a branch (needs --scope branch:CODE)
        #[arg(long)]
        branch_page: bool,
        /// The PDF file to write (replaced atomically: no partial file on failure)
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
    },
    /// Export indicators, measurements, objectives, an assessment, actions or decisions as
    /// CSV or XLSX
    Export(export::ExportArgs),
    /// Write the XLSX data-entry template of a month: one sheet per branch, to fill and import
    Template(export::TemplateArgs),
    /// Client-protection self-assessments: answer, score, compare, export, import
    #[command(subcommand)]
    Assessment(spm::AssessmentCmd),
    /// Action plans: gaps turned into actions with owner, due date and status
    #[command(subcommand)]
    Action(spm::ActionCmd),
    /// Alignment of business processes with the objectives (practice 4)
    #[command(subcommand)]
    Alignment(spm::AlignmentCmd),
    /// Decision log with expected and observed social and financial effects (practice 5)
    #[command(subcommand)]
    Decision(spm::DecisionCmd),
    /// Sites: enrol branch sites (head office), join, list, revoke
    #[command(subcommand)]
    Site(sync::SiteCmd),
    /// Synchronisation by signed package files: export, import, sync folder, status, conflicts
    #[command(subcommand)]
    Sync(sync::SyncCmd),
    /// Encrypt the database with a passphrase (SQLCipher); its backups are encrypted alike
    Encrypt {
        /// File holding the new passphrase (else $MIZANI_NEW_PASSPHRASE, else asked twice)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Change the passphrase of an encrypted database
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// Remove the encryption: the database becomes readable without a passphrase
    Decrypt {
        /// Really do it
        #[arg(long)]
        yes: bool,
    },
    /// Check the database: SQLite integrity and the domain's consistency
    Check,
    /// Backups: create, list, restore, and the backup folder
    #[command(subcommand)]
    Backup(backup::BackupCmd),
}

#[derive(Subcommand)]
enum BranchCmd {
    /// Add a branch
    Add {
        /// Branch code (letters, digits, - and _)
        code: String,
        #[arg(long)]
        name: String,
        /// Region (created if new)
        #[arg(long)]
        region: Option<String>,
    },
    /// List branches
    List,
}

#[derive(Subcommand)]
enum IndicatorCmd {
    /// Create or change an indicator
    Set(Box<IndicatorArgs>),
}

#[derive(Args)]
struct IndicatorArgs {
    /// Indicator code
    code: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    numerator: Option<String>,
    #[arg(long)]
    denominator: Option<String>,
    #[arg(long)]
    factor: Option<f64>,
    /// %, ratio, currency, count or number
    #[arg(long)]
    unit: Option<String>,
    /// higher or lower (which is better)
    #[arg(long)]
    direction: Option<String>,
    #[arg(long)]
    green: Option<f64>,
    #[arg(long)]
    red: Option<f64>,
    /// social, financial, client_protection or environmental
    #[arg(long)]
    category: Option<String>,
    /// Annualise flows (× 12 / months in the period): true or false
    #[arg(long)]
    annualise: Option<bool>,
}

#[derive(Subcommand)]
enum ObjectiveCmd {
    /// Add an objective (or give everything as JSON with --file)
    Add(Box<ObjectiveArgs>),
    /// List objectives with indicators, baselines and targets
    List {
        /// Include archived objectives
        #[arg(long)]
        all: bool,
    },
    /// Archive an objective (it leaves the dashboard)
    Archive { id: i64 },
}

#[derive(Args)]
struct ObjectiveArgs {
    /// JSON file with the whole objective (same fields as the flags)
    #[arg(long, conflicts_with_all = ["title"])]
    file: Option<PathBuf>,
    #[arg(long, required_unless_present = "file")]
    title: Option<String>,
    #[arg(long, default_value = "")]
    description: String,
    /// SPM practice served, 1 to 5
    #[arg(long, required_unless_present = "file")]
    practice: Option<u8>,
    /// Universal Standards dimension: social_strategy, committed_leadership,
    /// client_centred_products, client_protection, responsible_hr, responsible_growth,
    /// environmental
    #[arg(long, required_unless_present = "file")]
    dimension: Option<String>,
    #[arg(long, default_value = "")]
    owner: String,
    /// Start date, YYYY-MM-DD
    #[arg(long, required_unless_present = "file")]
    start: Option<String>,
    /// End date, YYYY-MM-DD
    #[arg(long, required_unless_present = "file")]
    end: Option<String>,
    /// An activity of the strategy (repeat)
    #[arg(long = "activity")]
    activities: Vec<String>,
    /// Linked indicator code (repeat)
    #[arg(long = "indicator")]
    indicators: Vec<String>,
    /// Baseline: CODE=VALUE@PERIOD, or CODE@PERIOD to compute it (repeat)
    #[arg(long = "baseline")]
    baselines: Vec<String>,
    /// Target: CODE=VALUE@PERIOD or CODE:BRANCH=VALUE@PERIOD (repeat)
    #[arg(long = "target")]
    targets: Vec<String>,
}

#[derive(Subcommand)]
enum PassphraseCmd {
    /// Set a new passphrase (the old one is needed to open the database first)
    Change {
        /// File holding the new passphrase (else $MIZANI_NEW_PASSPHRASE, else asked twice)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
}

/// The passphrase for an encrypted database: `--passphrase-file`, else $MIZANI_PASSPHRASE.
static PASSPHRASE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

fn read_secret(file: &Path, what: &str) -> Result<String, CoreError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot read the {what} file {}: {e}", file.display()),
        )
    })?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// A new passphrase: from `file`, else $MIZANI_NEW_PASSPHRASE, else asked twice on the terminal.
fn new_passphrase(file: Option<&Path>) -> Result<String, CoreError> {
    use std::io::IsTerminal as _;
    if let Some(f) = file {
        return read_secret(f, "new passphrase");
    }
    if let Ok(p) = std::env::var("MIZANI_NEW_PASSPHRASE") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CoreError::invalid(
            "give the new passphrase with --new-passphrase-file FILE or $MIZANI_NEW_PASSPHRASE",
        ));
    }
    let io = |e: std::io::Error| CoreError::new(ErrorCode::Io, e.to_string());
    let a = rpassword::prompt_password("New passphrase: ").map_err(io)?;
    let b = rpassword::prompt_password("Same passphrase again: ").map_err(io)?;
    if a != b {
        return Err(CoreError::invalid(
            "the two passphrases differ; nothing was changed",
        ));
    }
    Ok(a)
}

/// The passphrase given for an encrypted database, or asked on the terminal when `db` looks
/// encrypted and none was given (for jobs that read the database without opening it, such as
/// a restore over a damaged one).
pub(crate) fn passphrase_for(db: &Path) -> Result<Option<String>, CoreError> {
    use std::io::IsTerminal as _;
    if let Some(p) = PASSPHRASE.get().cloned().flatten() {
        return Ok(Some(p));
    }
    if mizani_core::store::looks_encrypted(db) && std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(format!("Passphrase for {}: ", db.display()))
            .map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))?;
        return Ok(Some(p));
    }
    Ok(None)
}

pub(crate) fn open_existing(db: &Path) -> Result<Store, CoreError> {
    use std::io::IsTerminal as _;
    if !db.exists() {
        return Err(CoreError::not_found(format!(
            "there is no database at {}; create one with `mizani init` or `mizani demo`",
            db.display()
        )));
    }
    let key = PASSPHRASE.get().cloned().flatten();
    match Store::open_with_key(db, key.as_deref()) {
        Err(e) if e.code == ErrorCode::PassphraseRequired && std::io::stdin().is_terminal() => {
            let p = rpassword::prompt_password(format!("Passphrase for {}: ", db.display()))
                .map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))?;
            Store::open_with_key(db, Some(&p))
        }
        Err(e) if e.code == ErrorCode::PassphraseRequired => Err(CoreError::new(
            ErrorCode::PassphraseRequired,
            format!(
                "{}; give it with --passphrase-file FILE or $MIZANI_PASSPHRASE",
                e.message
            ),
        )),
        r => r,
    }
}

/// Refuses an output file that cannot be written before any work is done: a folder, or a file
/// in a folder that does not exist. (The write itself is atomic, so a failure later leaves
/// nothing behind either.)
pub(crate) fn check_output(out: &Path) -> Result<(), CoreError> {
    let io = |m: String| CoreError::invalid(m).on_field("output");
    if out.is_dir() {
        return Err(io(format!(
            "{} is a folder: give a file name such as {}",
            out.display(),
            out.join("report.pdf").display()
        )));
    }
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(io(format!(
            "cannot write {}: the folder {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn lang(s: &Option<String>) -> Result<Option<Language>, CoreError> {
    s.as_deref().map(Language::parse).transpose()
}

pub(crate) fn print_json<T: Serialize>(v: &T) -> Result<(), CoreError> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| CoreError::new(ErrorCode::Io, format!("cannot write JSON: {e}")))?;
    outln!("{s}");
    Ok(())
}

/// Splits `LEFT=VALUE@PERIOD` (VALUE optional when `value_optional`).
fn split_spec(
    flag: &str,
    s: &str,
    value_optional: bool,
) -> Result<(String, Option<f64>, String), CoreError> {
    let bad = || {
        CoreError::invalid(format!(
            "{flag} '{s}' must look like CODE=VALUE@PERIOD{}",
            if value_optional {
                " or CODE@PERIOD"
            } else {
                ""
            }
        ))
    };
    let (left, period) = s.rsplit_once('@').ok_or_else(bad)?;
    let (code, value) = match left.split_once('=') {
        Some((c, v)) => {
            let v = mizani_core::import::parse_number(v).ok_or_else(|| {
                CoreError::invalid(format!("{flag} '{s}': '{v}' is not a number"))
            })?;
            (c, Some(v))
        }
        None if value_optional => (left, None),
        None => return Err(bad()),
    };
    if code.trim().is_empty() || period.trim().is_empty() {
        return Err(bad());
    }
    Ok((code.trim().to_string(), value, period.trim().to_string()))
}

fn objective_from_args(a: &ObjectiveArgs) -> Result<NewObjective, CoreError> {
    if let Some(f) = &a.file {
        let text = std::fs::read_to_string(f).map_err(|e| {
            CoreError::new(ErrorCode::Io, format!("cannot read {}: {e}", f.display()))
        })?;
        return serde_json::from_str(&text).map_err(|e| {
            CoreError::invalid(format!("{}: not a valid objective ({e})", f.display()))
        });
    }
    let mut links: Vec<NewLink> = Vec::new();
    fn link<'a>(links: &'a mut Vec<NewLink>, code: &str) -> &'a mut NewLink {
        if let Some(i) = links.iter().position(|l| l.indicator == code) {
            return &mut links[i];
        }
        links.push(NewLink {
            indicator: code.to_string(),
            ..Default::default()
        });
        let last = links.len() - 1;
        &mut links[last]
    }
    for c in &a.indicators {
        link(&mut links, c.trim());
    }
    for b in &a.baselines {
        let (code, value, period) = split_spec("--baseline", b, true)?;
        let l = link(&mut links, &code);
        l.baseline_value = value;
        l.baseline_period = Some(period);
    }
    for t in &a.targets {
        let (left, value, period) = split_spec("--target", t, false)?;
        let (code, branch) = match left.split_once(':') {
            Some((c, b)) => (c.to_string(), Some(b.to_string())),
            None => (left, None),
        };
        link(&mut links, &code).targets.push(NewTarget {
            period,
            branch,
            value: value.unwrap_or(0.0),
        });
    }
    Ok(NewObjective {
        title: a.title.clone().unwrap_or_default(),
        description: a.description.clone(),
        practice: a.practice.unwrap_or(0),
        dimension: a.dimension.clone().unwrap_or_default(),
        owner: a.owner.clone(),
        start_date: a.start.clone().unwrap_or_default(),
        end_date: a.end.clone().unwrap_or_default(),
        activities: a.activities.clone(),
        indicators: links,
    })
}

fn indicator_def(store: &Store, a: &IndicatorArgs) -> Result<IndicatorDef, CoreError> {
    let existing = mizani_core::repo::indicators(store.conn())?
        .into_iter()
        .find(|i| i.code == a.code.trim());
    let need = |what: &str| CoreError::invalid(format!("a new indicator needs --{what}"));
    let dir = a.direction.as_deref().map(Direction::parse).transpose()?;
    let cat = a.category.as_deref().map(Category::parse).transpose()?;
    Ok(match existing {
        Some(i) => IndicatorDef {
            code: i.code,
            category: cat.unwrap_or(i.category),
            numerator: a.numerator.clone().unwrap_or(i.numerator),
            denominator: a.denominator.clone().unwrap_or(i.denominator),
            factor: a.factor.unwrap_or(i.factor),
            unit: a.unit.clone().unwrap_or(i.unit),
            direction: dir.unwrap_or(i.direction),
            green: a.green.or(i.green),
            red: a.red.or(i.red),
            annualise: a.annualise.unwrap_or(i.annualise),
            name: match &a.name {
                Some(n) => Names {
                    en: n.clone(),
                    fr: i.name.fr,
                    es: i.name.es,
                },
                None => i.name,
            },
            description: i.description,
        },
        None => IndicatorDef {
            code: a.code.clone(),
            category: cat.ok_or_else(|| need("category"))?,
            numerator: a.numerator.clone().ok_or_else(|| need("numerator"))?,
            denominator: a.denominator.clone().ok_or_else(|| need("denominator"))?,
            factor: a.factor.unwrap_or(1.0),
            unit: a.unit.clone().unwrap_or_else(|| "ratio".into()),
            direction: dir.ok_or_else(|| need("direction"))?,
            green: a.green,
            red: a.red,
            annualise: a.annualise.unwrap_or(false),
            name: Names {
                en: a.name.clone().ok_or_else(|| need("name"))?,
                fr: None,
                es: None,
            },
            description: String::new(),
        },
    })
}

fn run(cli: Cli) -> Result<(), CoreError> {
    let db = mizani_core::store::resolve_db_path(cli.db.as_deref())?;
    let json = cli.json;
    let key = match &cli.passphrase_file {
        Some(f) => Some(read_secret(f, "passphrase")?),
        None => std::env::var("MIZANI_PASSPHRASE")
            .ok()
            .filter(|p| !p.is_empty()),
    };
    let _ = PASSPHRASE.set(key);
    match cli.cmd {
        Cmd::Init {
            org,
            currency,
            country,
            lang,
            gni_per_capita,
        } => {
            let req = InitRequest {
                name: org,
                currency,
                country,
                language: lang,
                gni_per_capita,
            };
            req.validate()?; // before any file is created
            let mut store = Store::open(&db)?;
            let o = api::init(&mut store, &req)?;
            if json {
                print_json(&o)?;
            } else {
                outln!("Created {} ({}) in {}", o.name, o.currency, db.display());
            }
        }
        Cmd::Demo => {
            let mut store = Store::open(&db)?;
            let s = mizani_core::demo::load_demo(&mut store)?;
            if json {
                print_json(&s)?;
            } else {
                outln!(
                    "Loaded the demo institution {} into {}: {} regions, {} branches, {} months ({} to {}), {} values, {} objectives.",
                    s.institution, db.display(), s.regions, s.branches, s.months, s.first_month, s.last_month, s.measurements, s.objectives
                );
            }
        }
        Cmd::Mission { mission, values } => {
            let mut store = open_existing(&db)?;
            let o = api::set_mission(&mut store, &mission, &values)?;
            if json {
                print_json(&o)?;
            } else {
                outln!("Mission saved ({} values).", o.values.len());
            }
        }
        Cmd::Branch(BranchCmd::Add { code, name, region }) => {
            let mut store = open_existing(&db)?;
            let b = api::branch_add(&mut store, &code, &name, region.as_deref())?;
            if json {
                print_json(&b)?;
            } else {
                outln!("Added branch {} ({})", b.code, b.name);
            }
        }
        Cmd::Branch(BranchCmd::List) => {
            let store = open_existing(&db)?;
            mizani_core::repo::organisation(store.conn())?;
            let bs = mizani_core::repo::branches(store.conn())?;
            if json {
                print_json(&bs)?;
            } else {
                format::branches(&bs);
            }
        }
        Cmd::Elements => {
            let store = open_existing(&db)?;
            mizani_core::repo::organisation(store.conn())?;
            let es = mizani_core::repo::elements(store.conn())?;
            if json {
                print_json(&es)?;
            } else {
                format::elements(&es);
            }
        }
        Cmd::Import {
            file,
            sheet,
            mapping,
            period,
            write_mapping,
            dry_run,
        } => sheet::import(
            &db,
            json,
            sheet::ImportArgs {
                file,
                sheet,
                mapping,
                period,
                write_mapping,
                dry_run,
            },
        )?,
        Cmd::Indicators {
            period,
            scope,
            lang: l,
        } => {
            let store = open_existing(&db)?;
            let l = lang(&l)?;
            match period {
                None => {
                    mizani_core::repo::organisation(store.conn())?;
                    let inds = mizani_core::repo::indicators(store.conn())?;
                    if json {
                        print_json(&inds)?;
                    } else {
                        format::catalogue(&inds, l.unwrap_or(Language::En));
                    }
                }
                Some(p) => {
                    let period = Period::parse(&p)?;
                    let scope = Scope::parse(&scope)?;
                    let vals = api::indicators(&store, period, &scope, l)?;
                    if json {
                        let rows: Vec<format::IndicatorJson> =
                            vals.iter().map(format::IndicatorJson::from).collect();
                        print_json(&rows)?;
                    } else {
                        let org = mizani_core::repo::organisation(store.conn())?;
                        format::indicators(&vals, period, &scope, &org.currency);
                    }
                }
            }
        }
        Cmd::Explain {
            code,
            period,
            scope,
        } => {
            let store = open_existing(&db)?;
            let v = api::explain(
                &store,
                &code,
                Period::parse(&period)?,
                &Scope::parse(&scope)?,
                None,
            )?;
            if json {
                print_json(&v)?;
            } else {
                format::explain(&v);
            }
        }
        Cmd::Indicator(IndicatorCmd::Set(a)) => {
            let mut store = open_existing(&db)?;
            let def = indicator_def(&store, &a)?;
            let i = api::define_indicator(&mut store, &def)?;
            if json {
                print_json(&i)?;
            } else {
                outln!(
                    "Indicator {}: {} / {} × {} (formula version {})",
                    i.code,
                    i.numerator,
                    i.denominator,
                    i.factor,
                    i.formula_version
                );
            }
        }
        Cmd::Objective(ObjectiveCmd::Add(a)) => {
            let mut store = open_existing(&db)?;
            let o = api::objective_add(&mut store, &objective_from_args(&a)?)?;
            if json {
                print_json(&o)?;
            } else {
                outln!("Added objective {}: {}", o.id, o.title);
            }
        }
        Cmd::Objective(ObjectiveCmd::List { all }) => {
            let store = open_existing(&db)?;
            mizani_core::repo::organisation(store.conn())?;
            let os = mizani_core::repo::objectives(store.conn(), all)?;
            if json {
                print_json(&os)?;
            } else {
                format::objectives(&os);
            }
        }
        Cmd::Objective(ObjectiveCmd::Archive { id }) => {
            let mut store = open_existing(&db)?;
            api::objective_archive(&mut store, id, true)?;
            if !json {
                outln!("Archived objective {id}");
            } else {
                print_json(&serde_json::json!({"archived": id}))?;
            }
        }
        Cmd::Dashboard {
            period,
            scope,
            lang: l,
        } => {
            let store = open_existing(&db)?;
            let d = api::dashboard(
                store.conn(),
                Period::parse(&period)?,
                &Scope::parse(&scope)?,
                lang(&l)?,
            )?;
            if json {
                print_json(&d)?;
            } else {
                let org = mizani_core::repo::organisation(store.conn())?;
                format::dashboard(&d, &org.currency);
            }
        }
        Cmd::Report {
            period,
            scope,
            lang: l,
            branch_page,
            output,
        } => {
            let period = Period::parse(&period)?;
            let scope = Scope::parse(&scope)?;
            let l = lang(&l)?;
            let branch = match (&scope, branch_page) {
                (Scope::Branch(code), true) => Some(code.clone()),
                (_, true) => {
                    return Err(CoreError::invalid(format!(
                        "--branch-page needs --scope branch:CODE (not {scope})"
                    )))
                }
                _ => None,
            };
            check_output(&output)?;
            let store = open_existing(&db)?;
            let l = match l {
                Some(l) => l,
                None => mizani_core::repo::organisation(store.conn())?.language,
            };
            let info = match branch {
                Some(code) => mizani_report::write_branch_page(&store, period, &code, l, &output)?,
                None => mizani_report::write_board_pack(
                    &store,
                    period,
                    &scope,
                    l,
                    &mizani_report::Sections::default(),
                    &output,
                )?,
            };
            if json {
                print_json(&info)?;
            } else {
                outln!(
                    "{} written to {} ({} pages, {} bytes)",
                    if branch_page {
                        "Branch page"
                    } else {
                        "Board pack"
                    },
                    info.path,
                    info.pages,
                    info.bytes
                );
            }
        }
        Cmd::Export(a) => export::export(&db, json, a)?,
        Cmd::Template(a) => export::template(&db, json, a)?,
        Cmd::Assessment(c) => spm::assessment(&db, json, c)?,
        Cmd::Action(c) => spm::action(&db, json, c)?,
        Cmd::Alignment(c) => spm::alignment(&db, json, c)?,
        Cmd::Decision(c) => spm::decision(&db, json, c)?,
        Cmd::Site(c) => sync::site(&db, json, c)?,
        Cmd::Sync(c) => sync::sync(&db, json, c)?,
        Cmd::Encrypt {
            new_passphrase_file,
        } => {
            let mut store = open_existing(&db)?;
            if store.is_encrypted() {
                return Err(CoreError::conflict(
                    "the database is already encrypted; use `mizani passphrase change`",
                ));
            }
            let p = new_passphrase(new_passphrase_file.as_deref())?;
            let r = api::encrypt_database(&mut store, &p)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "Encrypted {}. Backup (encrypted): {}",
                    db.display(),
                    r.backup
                );
                for b in &r.removed_backups {
                    outln!("removed the unencrypted backup {b}");
                }
                outln!("Keep the passphrase safe: without it nobody, not even Mizani's authors, can read this data or its backups.");
            }
        }
        Cmd::Passphrase(PassphraseCmd::Change {
            new_passphrase_file,
        }) => {
            let mut store = open_existing(&db)?;
            if !store.is_encrypted() {
                return Err(CoreError::conflict(
                    "the database is not encrypted; use `mizani encrypt`",
                ));
            }
            let p = new_passphrase(new_passphrase_file.as_deref())?;
            let r = api::encrypt_database(&mut store, &p)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "New passphrase set for {}. Backup: {}",
                    db.display(),
                    r.backup
                );
                outln!("Older backups keep the passphrase they were made with.");
            }
        }
        Cmd::Decrypt { yes } => {
            let mut store = open_existing(&db)?;
            if !store.is_encrypted() {
                return Err(CoreError::conflict("the database is not encrypted"));
            }
            if !yes {
                return Err(CoreError::invalid(
                    "decrypting makes the database readable by anyone with the file: add --yes to do it",
                ));
            }
            let r = api::decrypt_database(&mut store)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "{} is no longer encrypted. Backup: {}",
                    db.display(),
                    r.backup
                );
            }
        }
        Cmd::Check => {
            let store = open_existing(&db)?;
            let r = api::check(&store)?;
            if json {
                print_json(&r)?;
            } else if r.ok {
                outln!("ok: integrity check passed and the data is consistent");
            } else {
                for p in &r.problems {
                    outln!("problem: {p}");
                }
            }
            if !r.ok {
                return Err(CoreError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("the check found {} problem(s)", r.problems.len()),
                )
                .with_details(r.problems));
            }
        }
        Cmd::Backup(c) => backup::run(&db, json, c)?,
    }
    Ok(())
}

fn main() -> ExitCode {
    mizani_core::store::handle_file_size_signal();
    let cli = Cli::parse();
    let json = cli.json;
    let db = mizani_core::store::resolve_db_path(cli.db.as_deref()).ok();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A damaged database: name the newest good backup and how to restore it.
            let e = match &db {
                Some(db) => mizani_core::backup::with_restore_hint(
                    db,
                    e,
                    PASSPHRASE.get().cloned().flatten().as_deref(),
                ),
                None => e,
            };
            if json {
                eprintln!("{}", serde_json::json!({"error": e}));
            } else {
                eprintln!("error: {}", e.message);
                for d in &e.details {
                    eprintln!("  {d}");
                }
            }
            ExitCode::from(match e.code {
                ErrorCode::InvalidInput
                | ErrorCode::ImportRejected
                | ErrorCode::InvalidFormula
                | ErrorCode::NotFound
                | ErrorCode::Conflict
                | ErrorCode::NotInitialised
                | ErrorCode::NotOwned
                | ErrorCode::PackageRefused
                | ErrorCode::PassphraseRequired
                | ErrorCode::PassphraseWrong => 2,
                _ => 1,
            })
        }
    }
}
