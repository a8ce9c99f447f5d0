//! Exports to CSV and XLSX, and the XLSX data-entry template.
//!
//! Each export is `export_X(store, params, format, path) -> ExportInfo`: it reads the same API
//! the screens read (so the numbers are the dashboard's), builds [`table::Table`]s and writes
//! the file atomically ([`crate::api::write_file_atomic`]: no partial file on failure).
//! Headers and words are in the chosen language (default: the institution's); numbers are
//! numbers in XLSX, dates are dates in XLSX and ISO text in CSV, and a missing value is an
//! empty cell, never 0. CSV files are UTF-8 with a byte-order mark, comma separated, with a
//! decimal point.
//!
//! - [`export_indicators`]: every indicator for a period and scope;
//! - [`export_measurements`]: the monthly figures of a period range and scope (long layout);
//! - [`export_objectives`]: objectives × indicators with baseline, targets, progress, forecast;
//! - [`export_assessment`]: a self-assessment's answers per practice (XLSX adds the scores);
//! - [`export_actions`], [`export_decisions`]: the action plans and the decision log;
//! - [`export_template`]: the entry template (one sheet per branch), read back without mapping.

mod data;
pub mod table;
mod template;

pub use data::{
    export_actions, export_assessment, export_decisions, export_indicators, export_measurements,
    export_objectives,
};
pub use template::{
    export_template, TemplateRequest, TEMPLATE_COLUMNS, TEMPLATE_HEADER_ROW, TEMPLATE_MARKER,
};

use crate::error::{CoreError, Result};
use crate::model::Language;
use crate::Store;
use serde::{Deserialize, Serialize};
use std::path::Path;
use table::Table;
use ts_rs::TS;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// `csv` or `xlsx` (any case).
    pub fn parse(s: &str) -> Result<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            _ => Err(CoreError::field(
                "format",
                format!("'{}' is not an export format (use csv or xlsx)", s.trim()),
            )),
        }
    }

    /// The format a file name asks for (`.csv` or `.xlsx`, any case).
    pub fn from_path(path: &Path) -> Result<ExportFormat> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            _ => Err(CoreError::field(
                "format",
                format!(
                    "cannot tell the format of {}: name it .csv or .xlsx, or give the format (csv or xlsx)",
                    path.display()
                ),
            )),
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Indicators,
    Measurements,
    Objectives,
    Assessment,
    Actions,
    Decisions,
    /// The data-entry template ([`export_template`]).
    Template,
}

impl ExportKind {
    /// The exports [`export`] writes (the template has its own request).
    pub const TABLES: [ExportKind; 6] = [
        ExportKind::Indicators,
        ExportKind::Measurements,
        ExportKind::Objectives,
        ExportKind::Assessment,
        ExportKind::Actions,
        ExportKind::Decisions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Indicators => "indicators",
            ExportKind::Measurements => "measurements",
            ExportKind::Objectives => "objectives",
            ExportKind::Assessment => "assessment",
            ExportKind::Actions => "actions",
            ExportKind::Decisions => "decisions",
            ExportKind::Template => "template",
        }
    }

    pub fn parse(s: &str) -> Result<ExportKind> {
        let t = s.trim().to_ascii_lowercase();
        ExportKind::TABLES
            .into_iter()
            .chain([ExportKind::Template])
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                CoreError::field(
                    "kind",
                    format!(
                        "'{}' is not something to export (use indicators, measurements, objectives, assessment, actions or decisions)",
                        s.trim()
                    ),
                )
            })
    }

    /// Whether the export reads a period and a scope.
    pub fn uses_period(self) -> bool {
        matches!(
            self,
            ExportKind::Indicators | ExportKind::Measurements | ExportKind::Objectives
        )
    }
}

impl std::fmt::Display for ExportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to export. Each export reads the fields it needs and ignores the others:
/// `period` and `scope` (indicators, measurements, objectives; `scope` defaults to `org`),
/// `to` (measurements: the last period of a range starting with `period`), `assessment`
/// (default: the latest), `today` (actions and decisions: "overdue" and "due for review" are
/// computed for that date; default the computer's date), `lang` (default the institution's).
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ExportParams {
    /// `2026-09`, `2026-Q3` or `2026`.
    #[serde(default)]
    pub period: Option<String>,
    /// Measurements: the period the range ends with (default: `period` itself).
    #[serde(default)]
    pub to: Option<String>,
    /// `org`, `region:NAME` or `branch:CODE`.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub lang: Option<Language>,
    /// The assessment to export (default: the latest).
    #[serde(default)]
    pub assessment: Option<i64>,
    /// `YYYY-MM-DD` (default: today).
    #[serde(default)]
    pub today: Option<String>,
}

/// A file an export wrote.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportInfo {
    pub kind: ExportKind,
    pub format: ExportFormat,
    pub path: String,
    /// Data rows written (header and title rows not counted; all sheets together).
    pub rows: u32,
    /// The XLSX sheets (one name for a CSV file: the table it holds).
    pub sheets: Vec<String>,
    pub bytes: u64,
}

/// Runs the export of `kind` (not the template: see [`export_template`]).
pub fn export(
    store: &Store,
    kind: ExportKind,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    match kind {
        ExportKind::Indicators => export_indicators(store, params, format, path),
        ExportKind::Measurements => export_measurements(store, params, format, path),
        ExportKind::Objectives => export_objectives(store, params, format, path),
        ExportKind::Assessment => export_assessment(store, params, format, path),
        ExportKind::Actions => export_actions(store, params, format, path),
        ExportKind::Decisions => export_decisions(store, params, format, path),
        ExportKind::Template => Err(CoreError::field(
            "kind",
            "the entry template needs a month and branches: use the template command",
        )),
    }
}

/// The word for the language: `[English, French, Spanish]`.
pub(crate) fn tr(lang: Language, words: [&'static str; 3]) -> &'static str {
    match lang {
        Language::En => words[0],
        Language::Fr => words[1],
        Language::Es => words[2],
    }
}

/// Writes `tables` in `format` to `path` atomically. A CSV file holds the first table only.
pub(crate) fn write_tables(
    store: &Store,
    kind: ExportKind,
    tables: &[Table],
    format: ExportFormat,
    path: &Path,
    lang: Language,
) -> Result<ExportInfo> {
    let (bytes, kept): (Vec<u8>, &[Table]) = match format {
        ExportFormat::Csv => (table::to_csv(&tables[0])?, &tables[..1]),
        ExportFormat::Xlsx => {
            let org = crate::repo::organisation(store.conn())?;
            let props = rust_xlsxwriter::DocProperties::new()
                .set_title(format!("{} — {}", org.name, kind_title(kind, lang)))
                .set_company(&org.name)
                .set_author("Mizani");
            (table::to_xlsx(tables, &props)?, tables)
        }
    };
    crate::api::write_file_atomic(path, &bytes)?;
    Ok(ExportInfo {
        kind,
        format,
        path: path.display().to_string(),
        rows: kept.iter().map(|t| t.rows.len() as u32).sum(),
        sheets: kept.iter().map(|t| t.sheet.clone()).collect(),
        bytes: bytes.len() as u64,
    })
}

/// The export's name in words (XLSX title, first sheet's name).
pub(crate) fn kind_title(kind: ExportKind, lang: Language) -> &'static str {
    tr(
        lang,
        match kind {
            ExportKind::Indicators => ["Indicators", "Indicateurs", "Indicadores"],
            ExportKind::Measurements => {
                ["Monthly figures", "Données mensuelles", "Datos mensuales"]
            }
            ExportKind::Objectives => ["Objectives", "Objectifs", "Objetivos"],
            ExportKind::Assessment => ["Self-assessment", "Auto-évaluation", "Autoevaluación"],
            ExportKind::Actions => ["Action plans", "Plans d'action", "Planes de acción"],
            ExportKind::Decisions => [
                "Decision log",
                "Journal des décisions",
                "Registro de decisiones",
            ],
            ExportKind::Template => [
                "Data entry template",
                "Modèle de saisie",
                "Plantilla de captura",
            ],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_words() {
        assert_eq!(
            ExportFormat::from_path(Path::new("a/B.XLSX")).ok(),
            Some(ExportFormat::Xlsx),
            "the extension names the format, any case"
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("x.csv")).ok(),
            Some(ExportFormat::Csv),
            "csv"
        );
        assert!(
            ExportFormat::from_path(Path::new("x.pdf")).is_err(),
            "a PDF is not an export format"
        );
        assert!(ExportFormat::parse("ods").is_err(), "only csv and xlsx");
        assert_eq!(
            ExportKind::parse(" Actions ").ok(),
            Some(ExportKind::Actions),
            "kinds in any case"
        );
        assert!(ExportKind::parse("budget").is_err(), "unknown kind");
    }
}
