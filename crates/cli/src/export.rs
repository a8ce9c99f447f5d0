//! `mizani export KIND` (indicators, measurements, objectives, assessment, actions, decisions
//! as CSV or XLSX) and `mizani template` (the XLSX data-entry template). Both call one
//! `mizani_core::export` function; everything is checked before anything is written, and the
//! file is written atomically.

use crate::{check_output, lang, open_existing, print_json};
use clap::Args;
use mizani_core::export::{
    self, ExportFormat, ExportInfo, ExportKind, ExportParams, TemplateRequest,
};
use mizani_core::CoreError;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ExportArgs {
    /// indicators, measurements, objectives, assessment, actions or decisions
    kind: String,
    /// 2026-09, 2026-Q3 or 2026 (indicators, measurements, objectives)
    #[arg(long)]
    period: Option<String>,
    /// Measurements: the last period of the range that starts with --period
    #[arg(long)]
    to: Option<String>,
    /// org, region:NAME or branch:CODE (indicators, measurements, objectives; default org)
    #[arg(long)]
    scope: Option<String>,
    /// Language of the headers and words: en, fr or es (default: the institution's)
    #[arg(long)]
    lang: Option<String>,
    /// csv or xlsx (default: from the file name)
    #[arg(long)]
    format: Option<String>,
    /// Assessment: its id (default: the latest)
    #[arg(long)]
    assessment: Option<i64>,
    /// Actions and decisions: compute "overdue" and "due for review" for this date (YYYY-MM-DD)
    #[arg(long)]
    today: Option<String>,
    /// The file to write (replaced atomically: no partial file on failure)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Args)]
pub struct TemplateArgs {
    /// The month, YYYY-MM
    #[arg(long)]
    period: String,
    /// A branch (repeat; default: every active branch), one sheet each
    #[arg(long = "branch")]
    branches: Vec<String>,
    /// Language of the titles and names: en, fr or es (default: the institution's)
    #[arg(long)]
    lang: Option<String>,
    /// The XLSX file to write
    #[arg(short, long, value_name = "FILE.xlsx")]
    output: PathBuf,
}

/// The format asked for: `--format`, else the file's extension; a contradiction is refused.
fn format_of(flag: Option<&str>, out: &Path) -> Result<ExportFormat, CoreError> {
    let by_name = ExportFormat::from_path(out);
    match flag {
        None => by_name,
        Some(f) => {
            let f = ExportFormat::parse(f)?;
            match by_name {
                Ok(n) if n != f => Err(CoreError::invalid(format!(
                    "--format {f} but {} is named .{n}: rename it or drop --format",
                    out.display()
                ))),
                _ => Ok(f),
            }
        }
    }
}

/// Refuses the flags an export does not read (rather than silently ignoring them).
fn check_flags(kind: ExportKind, a: &ExportArgs) -> Result<(), CoreError> {
    let unused = |flag: &str| {
        Err(CoreError::invalid(format!(
            "{flag} does not apply to the {kind} export"
        )))
    };
    if !kind.uses_period() {
        if a.period.is_some() {
            return unused("--period");
        }
        if a.scope.is_some() {
            return unused("--scope");
        }
    }
    if kind != ExportKind::Measurements && a.to.is_some() {
        return unused("--to");
    }
    if kind != ExportKind::Assessment && a.assessment.is_some() {
        return unused("--assessment");
    }
    if !matches!(kind, ExportKind::Actions | ExportKind::Decisions) && a.today.is_some() {
        return unused("--today");
    }
    Ok(())
}

fn print(json: bool, info: &ExportInfo) -> Result<(), CoreError> {
    if json {
        return print_json(info);
    }
    let sheets = if info.format == ExportFormat::Xlsx {
        format!(", {} sheet(s)", info.sheets.len())
    } else {
        String::new()
    };
    outln!(
        "Wrote {} ({}): {} rows{sheets}, {} bytes",
        info.path,
        info.format,
        info.rows,
        info.bytes
    );
    Ok(())
}

pub fn export(db: &Path, json: bool, a: ExportArgs) -> Result<(), CoreError> {
    let kind = ExportKind::parse(&a.kind)?;
    if kind == ExportKind::Template {
        return Err(CoreError::invalid(
            "the entry template has its own command: mizani template --period YYYY-MM -o FILE.xlsx",
        ));
    }
    check_flags(kind, &a)?;
    let format = format_of(a.format.as_deref(), &a.output)?;
    let params = ExportParams {
        period: a.period.clone(),
        to: a.to.clone(),
        scope: a.scope.clone(),
        lang: lang(&a.lang)?,
        assessment: a.assessment,
        today: a.today.clone(),
    };
    check_output(&a.output)?;
    let store = open_existing(db)?;
    let info = export::export(&store, kind, &params, format, &a.output)?;
    print(json, &info)
}

pub fn template(db: &Path, json: bool, a: TemplateArgs) -> Result<(), CoreError> {
    if format_of(None, &a.output).ok() != Some(ExportFormat::Xlsx) {
        return Err(CoreError::invalid(format!(
            "the template is an XLSX workbook: name the file .xlsx (not {})",
            a.output.display()
        )));
    }
    let req = TemplateRequest {
        period: a.period,
        branches: a.branches,
        lang: lang(&a.lang)?,
    };
    check_output(&a.output)?;
    let store = open_existing(db)?;
    let info = export::export_template(&store, &req, &a.output)?;
    print(json, &info)
}
