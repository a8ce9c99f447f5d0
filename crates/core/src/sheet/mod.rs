//! Spreadsheet import of measurements: XLSX and CSV files in the long layout (one row per
//! branch, period, element and value) or the wide layout (one row per branch, one column per
//! data element), with headers matched to element codes and names in en/fr/es, user mappings
//! saved per source, and a preview that puts every problem on its cell before an
//! all-or-nothing commit through [`Store::write`].
//!
//! The front ends call four functions:
//! - [`inspect`]: sheets, header, detected format, the mapping that would apply (the one
//!   given, else a saved one, else the suggested one);
//! - [`preview`]: the parsed table with every problem on its cell, counts of new, changed and
//!   unchanged values, skipped rows;
//! - [`commit`]: the same checks, then every value in one transaction (refused when any
//!   error remains; warnings such as jumps do not block);
//! - [`mapping_save`] / [`mapping_list`] / [`mapping_delete`]: saved mappings.
//!
//! Cells are named the spreadsheet way, `Sheet!B7` (XLSX) or `file.csv!B7` (CSV; row 7 is
//! the 7th line of the file).

mod layout;
mod parse;
mod read;
mod saved;

pub use parse::{fold, period_from_text, DecimalMark, NumberStyle};
pub use read::{column_index, column_letter, decode as decode_text};
pub use saved::{check, SavedMapping};

use crate::error::{CoreError, ErrorCode, Result};
use crate::export::{TEMPLATE_HEADER_ROW, TEMPLATE_MARKER};
use crate::import::{current_month, ImportReport};
use crate::period::Month;
use crate::store::{MeasurementValue, Outcome, Store};
use layout::{Catalogue, Header};
use read::{Cell, Kind, Sheet, Workbook};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use ts_rs::TS;

/// How many problems of each severity a preview lists (all are counted).
const MAX_PROBLEMS: usize = 1000;
/// How many problems an import refusal lists in its details.
const MAX_LISTED: usize = 200;
/// Default number of data rows and values a preview carries.
const PREVIEW_ROWS: u32 = 200;
/// A value that moves by more than this share of the previous month's is flagged (the data
/// entry grid uses the same rule).
pub const JUMP: f64 = 0.5;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The branch (its code or its name).
    Branch,
    /// The month of the row.
    Period,
    /// Long layout: the data element of the row (code or name).
    Element,
    /// Long layout: the figure.
    Value,
    /// A comment stored with the value(s) of the row.
    Comment,
    /// Wide layout: figures of the data element named in `element`.
    Data,
    /// Not imported.
    Ignore,
    /// Not recognised: the user must map it (to a data element) or ignore it.
    Unmatched,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Branch => "branch",
            Role::Period => "period",
            Role::Element => "element",
            Role::Value => "value",
            Role::Comment => "comment",
            Role::Data => "data",
            Role::Ignore => "ignore",
            Role::Unmatched => "unmatched",
        }
    }
}

/// One column of a mapping: the header as the file shows it (two header rows joined with
/// " / ") and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ColumnMapping {
    pub header: String,
    pub role: Role,
    /// The data element's code, for `role: "data"`.
    #[serde(default)]
    pub element: Option<String>,
}

/// How a sheet maps to measurements. A mapping file (`mizani import --mapping FILE.json`) is
/// this as JSON; columns are matched by header (ignoring case and accents), in order when a
/// header appears twice. Columns of the file the mapping does not list are matched
/// automatically.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Mapping {
    /// Row number of the (first) header row; absent: detected.
    #[serde(default)]
    pub header_row: Option<u32>,
    /// 1 or 2 header rows (a group row above the element names); absent: detected.
    #[serde(default)]
    pub header_rows: Option<u32>,
    #[serde(default)]
    pub columns: Vec<ColumnMapping>,
    /// The month of every row (`YYYY-MM`, or any spelling a period cell accepts) when the
    /// sheet has no period column.
    #[serde(default)]
    pub period: Option<String>,
    /// The decimal mark of numbers written as text; absent: detected.
    #[serde(default)]
    pub decimal: Option<DecimalMark>,
}

/// What the caller chooses.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ImportOptions {
    /// XLSX: the sheet to read (default: the first visible sheet with data).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The mapping to apply (default: a saved one for this source, else the suggested one).
    #[serde(default)]
    pub mapping: Option<Mapping>,
    /// The month of every row, when the sheet has no period column (overrides the mapping's).
    #[serde(default)]
    pub period: Option<String>,
    /// How many data rows and values a preview carries (default 200).
    #[serde(default)]
    pub preview_rows: Option<u32>,
    /// [`commit`]: save the mapping given for this source (default: yes when one is given).
    #[serde(default)]
    pub save_mapping: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One row per branch, period, element and value.
    Long,
    /// One row per branch (and period), one column per data element.
    Wide,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MappingSource {
    /// Given by the caller.
    Given,
    /// Saved earlier for this source (file name pattern and headers).
    Saved,
    /// Matched automatically.
    Suggested,
}

/// What was detected about the file.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileFormat {
    /// "csv" or "xlsx".
    pub kind: String,
    /// Text files: "UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE" or "Windows-1252".
    pub encoding: Option<String>,
    /// Text files: ",", ";", "tab" or "|".
    pub separator: Option<String>,
    pub numbers: NumberStyle,
    pub layout: Option<Layout>,
    /// Row number of the first header row, and how many header rows there are.
    pub header_row: u32,
    pub header_rows: u32,
    /// The month of every row when the sheet has no period column.
    pub period: Option<String>,
    /// Where that month comes from ("option", "mapping", "title cell A1", "sheet name").
    pub period_source: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SheetInfo {
    pub name: String,
    pub hidden: bool,
    /// Non-empty rows (when the sheet was read).
    pub rows: Option<u32>,
}

/// One column of the header, with what it was matched to and how.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HeaderInfo {
    /// Column letter.
    pub column: String,
    pub index: u32,
    pub header: String,
    pub role: Role,
    pub element: Option<String>,
    /// "code", "data element (French name)", "branch column", "saved mapping", …
    pub how: String,
    /// The first values below the header.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Inspection {
    pub file: String,
    pub format: FileFormat,
    /// Every sheet of a workbook (one unnamed sheet for CSV).
    pub sheets: Vec<SheetInfo>,
    /// The sheet read (XLSX); None when several were read together (see `sheets_read`).
    pub sheet: Option<String>,
    /// The sheets read together: every visible sheet of Mizani's entry template when none was
    /// named (one import, all or nothing); else the one sheet read.
    pub sheets_read: Vec<String>,
    pub headers: Vec<HeaderInfo>,
    /// The mapping that applies, complete (every column of the file).
    pub mapping: Mapping,
    pub mapping_source: MappingSource,
    /// The saved mapping used, if any.
    pub saved_mapping: Option<i64>,
    /// Things worth knowing that are not problems (hidden sheets ignored, columns cut, …).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the import.
    Error,
    /// Shown, does not block.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    UnmatchedHeader,
    MissingColumn,
    BadMapping,
    UnknownBranch,
    EmptyBranch,
    BadPeriod,
    FuturePeriod,
    NoPeriod,
    UnknownElement,
    EmptyValue,
    NotANumber,
    Negative,
    NotWhole,
    Duplicate,
    Jump,
    DecimalMark,
    BadQuote,
}

/// A problem on a cell (or on a whole row when `col` is absent).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Problem {
    /// `Sheet!B7` or `file.csv!B7`; the sheet or file name alone for the whole file.
    pub cell: String,
    /// The sheet of the cell (XLSX; None for CSV).
    pub sheet: Option<String>,
    /// 1-based row number (0: the whole file).
    pub row: u32,
    /// 0-based column index.
    pub col: Option<u32>,
    pub severity: Severity,
    pub code: ProblemCode,
    pub message: String,
}

/// A row left out on purpose (blank, totals, no figures).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SkippedRow {
    pub row: u32,
    pub cell: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    New,
    Changed,
    Unchanged,
}

/// One value the import would write.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PreviewValue {
    pub cell: String,
    pub row: u32,
    pub col: u32,
    pub branch: String,
    pub period: String,
    pub element: String,
    pub value: f64,
    pub comment: Option<String>,
    pub status: ValueStatus,
    /// The value stored now.
    pub old: Option<f64>,
    /// The previous month's value (from the file, else the database).
    pub previous: Option<f64>,
}

/// A row of the sheet as read (display text of each cell).
#[derive(Debug, Clone, Serialize, TS)]
pub struct GridRow {
    pub row: u32,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct PreviewCounts {
    /// Data rows read (skipped rows excluded).
    pub rows: u32,
    pub values: u32,
    pub new: u32,
    pub changed: u32,
    pub unchanged: u32,
    pub errors: u32,
    pub warnings: u32,
    /// Rows with at least one error.
    pub bad_rows: u32,
    pub skipped: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Preview {
    pub inspection: Inspection,
    /// The header rows and the first data rows, as read.
    pub grid: Vec<GridRow>,
    /// The sheet `grid` shows (XLSX): with several sheets read, the first one with an error.
    pub grid_sheet: Option<String>,
    /// The first values (see `counts.values` for all).
    pub values: Vec<PreviewValue>,
    /// Errors first, then warnings (the first 1000 of each; `counts` has the totals).
    pub problems: Vec<Problem>,
    pub skipped: Vec<SkippedRow>,
    pub counts: PreviewCounts,
    /// No error: [`commit`] would write.
    pub can_commit: bool,
}

// ---------------------------------------------------------------------------------------
// Analysis

/// Stored (value, comment) by (element, month, branch) indexes.
type Existing = FastMap<(usize, i32, usize), (f64, Option<String>)>;

/// A hash map with a cheap hash (FxHash's multiply-rotate) for the analysis's per-cell
/// lookups: keys are small tuples of indexes and cell texts of the user's own file, so the
/// flooding resistance of the default hasher (SipHash, several times slower on such keys)
/// buys nothing here.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0u8; 8];
        let rest = chunks.remainder();
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_i32(&mut self, i: i32) {
        self.add(u64::from(i as u32));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// What a column's cell texts were found to name, remembered per distinct text: a long file
/// repeats the same few hundred branch, period and element texts a million times.
struct Memo<'a, T: Copy> {
    last: Option<(&'a str, T)>,
    seen: FastMap<&'a str, T>,
}

impl<'a, T: Copy> Memo<'a, T> {
    fn new() -> Self {
        Memo {
            last: None,
            seen: FastMap::default(),
        }
    }

    fn get(&mut self, text: &'a str, find: impl FnOnce(&str) -> T) -> T {
        if let Some((t, v)) = self.last {
            if t == text {
                return v;
            }
        }
        let v = *self.seen.entry(text).or_insert_with(|| find(text));
        self.last = Some((text, v));
        v
    }
}

/// One validated value.
#[derive(Debug, Clone)]
struct Val {
    row: u32,
    col: u32,
    branch: usize,
    element: usize,
    month: Month,
    value: f64,
    comment: Option<String>,
}

struct Analysis {
    inspection: Inspection,
    grid: Vec<GridRow>,
    grid_sheet: Option<String>,
    vals: Vec<Val>,
    problems: Vec<Problem>,
    skipped: Vec<SkippedRow>,
    counts: PreviewCounts,
    catalogue: Option<Catalogue>,
    values_preview: Vec<PreviewValue>,
    /// The header texts (the source's signature for saved mappings).
    header_texts: Vec<String>,
}

/// Problems collected while reading, counted in full, listed up to a cap.
#[derive(Default)]
struct Problems {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    n_errors: u32,
    n_warnings: u32,
    bad_rows: std::collections::BTreeSet<u32>,
}

impl Problems {
    fn push(&mut self, p: Problem) {
        match p.severity {
            Severity::Error => {
                self.n_errors += 1;
                self.bad_rows.insert(p.row);
                if self.errors.len() < MAX_PROBLEMS {
                    self.errors.push(p);
                }
            }
            Severity::Warning => {
                self.n_warnings += 1;
                if self.warnings.len() < MAX_PROBLEMS {
                    self.warnings.push(p);
                }
            }
        }
    }
}

/// `Sheet!B7` / `'My sheet'!B7` / `file.csv!B7`.
struct Locator {
    prefix: String,
    sheet: Option<String>,
}

impl Locator {
    fn new(name: &str, sheet: bool) -> Locator {
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
        let prefix = if plain {
            name.to_string()
        } else {
            format!("'{}'", name.replace('\'', "''"))
        };
        Locator {
            prefix,
            sheet: sheet.then(|| name.to_string()),
        }
    }
    fn cell(&self, row: u32, col: usize) -> String {
        format!("{}!{}{}", self.prefix, read::column_letter(col), row)
    }
    fn whole(&self) -> String {
        self.prefix.clone()
    }
    fn problem(
        &self,
        row: u32,
        col: Option<usize>,
        severity: Severity,
        code: ProblemCode,
        message: String,
    ) -> Problem {
        Problem {
            sheet: self.sheet.clone(),
            cell: match col {
                Some(c) => self.cell(row, c),
                None if row > 0 => self.cell(row, 0),
                None => self.whole(),
            },
            row,
            col: col.map(|c| c as u32),
            severity,
            code,
            message,
        }
    }
}

fn rejected(msg: impl Into<String>) -> CoreError {
    CoreError::new(ErrorCode::ImportRejected, msg)
}

/// Picks the sheet: the one named, else the first visible sheet with data.
fn choose_sheet(wb: &mut Workbook, wanted: Option<&str>) -> Result<(usize, Vec<String>)> {
    let mut notices = Vec::new();
    if wb.kind == Kind::Csv {
        return Ok((0, notices));
    }
    if let Some(name) = wanted.map(str::trim).filter(|n| !n.is_empty()) {
        let i = wb
            .sheets
            .iter()
            .position(|s| s.name == name)
            .or_else(|| wb.sheets.iter().position(|s| fold(&s.name) == fold(name)))
            .ok_or_else(|| {
                let names: Vec<String> = wb
                    .sheets
                    .iter()
                    .map(|s| {
                        if s.hidden {
                            format!("'{}' (hidden)", s.name)
                        } else {
                            format!("'{}'", s.name)
                        }
                    })
                    .collect();
                CoreError::invalid(format!(
                    "the workbook has no sheet '{name}'; its sheets are {}",
                    names.join(", ")
                ))
                .on_field("sheet")
            })?;
        wb.load(i);
        return Ok((i, notices));
    }
    let mut hidden = Vec::new();
    for i in 0..wb.sheets.len() {
        if wb.sheets[i].hidden {
            hidden.push(wb.sheets[i].name.clone());
            continue;
        }
        wb.load(i);
        let s = &wb.sheets[i];
        if s.error.is_none() && !s.rows.is_empty() {
            if !hidden.is_empty() {
                notices.push(format!(
                    "hidden sheet(s) ignored: {} (choose one by name to read it)",
                    hidden.join(", ")
                ));
            }
            let others: Vec<&str> = wb
                .sheets
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && !o.hidden)
                .map(|(_, o)| o.name.as_str())
                .collect();
            if !others.is_empty() {
                notices.push(format!(
                    "only the sheet '{}' is read; the other sheets ({}) are imported one at a time: choose each by name",
                    wb.sheets[i].name,
                    others.join(", ")
                ));
            }
            return Ok((i, notices));
        }
    }
    let mut msg = "the workbook has no visible sheet with data".to_string();
    if !hidden.is_empty() {
        msg.push_str(&format!(
            "; hidden sheets are ignored unless chosen by name: {}",
            hidden.join(", ")
        ));
    }
    if let Some(e) = wb.sheets.iter().find_map(|s| s.error.clone()) {
        msg.push_str(&format!(" ({e})"));
    }
    Err(rejected(msg))
}

/// Branch cells that mark a totals row.
fn is_total_label(text: &str) -> bool {
    let f = fold(text);
    [
        "total",
        "totaux",
        "sous total",
        "subtotal",
        "sub total",
        "grand total",
        "somme",
        "suma",
        "sum",
        "ensemble",
        "general",
    ]
    .iter()
    .any(|w| f == *w || f.starts_with(&format!("{w} ")))
}

/// A sheet of Mizani's XLSX entry template (its marker in G1): header on row 7, the name and
/// previous-month columns for people, an empty value means "no figure" (ARCHITECTURE.md,
/// "Entry templates").
fn is_template(sheet: &Sheet) -> bool {
    sheet
        .rows
        .iter()
        .find(|r| r.number == 1)
        .is_some_and(|r| matches!(r.get(6), Cell::Text(t) if t.trim() == TEMPLATE_MARKER))
}

/// The fixed month of a sheet without a period column: option, mapping, a title row above
/// the header, or the sheet name.
fn fixed_period(
    opts: &ImportOptions,
    mapping: &Mapping,
    sheet: &Sheet,
    header: &Header,
    loc: &Locator,
) -> Result<Option<(Month, String)>> {
    for (given, source) in [(&opts.period, "option"), (&mapping.period, "mapping")] {
        if let Some(p) = given.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            let m = parse::period_from_text(p)
                .ok_or_else(|| match Month::parse(p) {
                    Err(e) => e,
                    Ok(_) => CoreError::invalid(format!("'{p}' is not a month")),
                })
                .map_err(|e| e.on_field("period"))?;
            return Ok(Some((m, source.to_string())));
        }
    }
    let mut found: Vec<(Month, String)> = Vec::new();
    for r in sheet.rows.iter().take(header.first) {
        for (c, cell) in r.cells.iter().enumerate() {
            let m = match cell {
                Cell::Text(t) => parse::period_in_text(t),
                Cell::Date(..) => parse::period_from_cell(cell),
                _ => None,
            };
            if let Some(m) = m {
                found.push((m, format!("title cell {}", loc.cell(r.number, c))));
            }
        }
    }
    let mut months: Vec<Month> = found.iter().map(|f| f.0).collect();
    months.sort();
    months.dedup();
    if months.len() == 1 {
        return Ok(found.into_iter().next());
    }
    if months.is_empty() && !sheet.name.is_empty() {
        if let Some(m) = parse::period_in_text(&sheet.name) {
            return Ok(Some((m, "sheet name".to_string())));
        }
    }
    Ok(None)
}

fn separator_name(c: char) -> String {
    match c {
        '\t' => "tab".to_string(),
        other => other.to_string(),
    }
}

/// Applies a given or saved mapping to the header: each column takes the entry with its
/// header (in order for repeated headers); columns the mapping lacks keep the suggestion.
fn apply_mapping(
    header: &Header,
    suggested: &[ColumnMapping],
    how: &mut [String],
    mapping: &Mapping,
    label: &str,
) -> (Vec<ColumnMapping>, Vec<String>) {
    let mut used = vec![false; mapping.columns.len()];
    let mut out = Vec::with_capacity(header.texts.len());
    for (i, text) in header.texts.iter().enumerate() {
        let key = fold(text);
        let hit = mapping
            .columns
            .iter()
            .enumerate()
            .find(|(j, m)| !used[*j] && fold(&m.header) == key);
        match hit {
            Some((j, m)) => {
                used[j] = true;
                out.push(ColumnMapping {
                    header: text.clone(),
                    role: m.role,
                    element: m.element.clone(),
                });
                if let Some(h) = how.get_mut(i) {
                    *h = label.to_string();
                }
            }
            None => out.push(suggested.get(i).cloned().unwrap_or(ColumnMapping {
                header: text.clone(),
                role: Role::Unmatched,
                element: None,
            })),
        }
    }
    let missing = mapping
        .columns
        .iter()
        .zip(used)
        .filter(|(m, u)| !u && !m.header.trim().is_empty() && m.role != Role::Ignore)
        .map(|(m, _)| m.header.clone())
        .collect();
    (out, missing)
}

/// The visible sheets of Mizani's entry template in a workbook (marker in G1).
fn template_sheets(bytes: &[u8]) -> Vec<String> {
    let Ok(mut wb) = read::open(bytes) else {
        return Vec::new();
    };
    if wb.kind == Kind::Csv {
        return Vec::new();
    }
    let mut names = Vec::new();
    for i in 0..wb.sheets.len() {
        if wb.sheets[i].hidden {
            continue;
        }
        wb.load(i);
        let s = &wb.sheets[i];
        if s.error.is_none() && is_template(s) {
            names.push(s.name.clone());
        }
    }
    names
}

/// [`analyse`], except that a workbook of Mizani's entry template with several sheets (one
/// per branch) is read whole when no sheet is named: every template sheet is analysed and the
/// results are put together (values, problems, counts), so that the import is one, all or
/// nothing. The same branch, element and month in two sheets is a duplicate.
fn analyse_all(
    store: &Store,
    bytes: &[u8],
    file_name: &str,
    opts: &ImportOptions,
    latest: Month,
) -> Result<Analysis> {
    let named = opts.sheet.as_deref().is_some_and(|n| !n.trim().is_empty());
    let sheets = if named || opts.mapping.is_some() {
        Vec::new()
    } else {
        template_sheets(bytes)
    };
    if sheets.len() < 2 {
        let mut a = analyse(store, bytes, file_name, opts, latest)?;
        a.inspection.sheets_read = a.inspection.sheet.iter().cloned().collect();
        return Ok(a);
    }
    let mut merged: Option<Analysis> = None;
    let mut seen: HashMap<(usize, usize, i32), String> = HashMap::new();
    for name in &sheets {
        let o = ImportOptions {
            sheet: Some(name.clone()),
            ..opts.clone()
        };
        let mut a = analyse(store, bytes, file_name, &o, latest)?;
        // A branch that sent nothing leaves its sheet empty: said, not an error (the import
        // is refused only when no sheet has a figure).
        let empty_sheet = a.vals.is_empty()
            && a.counts.errors == 1
            && a.problems
                .iter()
                .any(|p| p.code == ProblemCode::EmptyValue && p.col.is_none());
        if empty_sheet {
            a.problems
                .retain(|p| !(p.code == ProblemCode::EmptyValue && p.col.is_none()));
            a.counts.errors = 0;
            a.counts.bad_rows = 0;
            a.inspection.notices.push(format!(
                "the sheet {name} has no figure: nothing from it is imported"
            ));
        }
        let loc = Locator::new(name, true);
        let mut dups = Vec::new();
        for v in &a.vals {
            let here = loc.cell(v.row, v.col as usize);
            match seen.get(&(v.branch, v.element, v.month.0)) {
                Some(first) => dups.push(loc.problem(
                    v.row,
                    Some(v.col as usize),
                    Severity::Error,
                    ProblemCode::Duplicate,
                    format!("the same branch, data element and month as {first}; keep one of them"),
                )),
                None => {
                    seen.insert((v.branch, v.element, v.month.0), here);
                }
            }
        }
        if !dups.is_empty() {
            let rows: std::collections::BTreeSet<u32> = dups.iter().map(|p| p.row).collect();
            a.counts.errors += dups.len() as u32;
            a.counts.bad_rows += rows.len() as u32;
            dups.append(&mut a.problems);
            a.problems = dups;
        }
        match merged.as_mut() {
            None => merged = Some(a),
            Some(m) => {
                if m.counts.errors == 0 && a.counts.errors > 0 {
                    m.grid = std::mem::take(&mut a.grid);
                    m.grid_sheet = a.grid_sheet.take();
                }
                m.vals.append(&mut a.vals);
                m.problems.append(&mut a.problems);
                m.skipped.append(&mut a.skipped);
                let room = m
                    .values_preview
                    .len()
                    .max(PREVIEW_ROWS as usize)
                    .saturating_sub(m.values_preview.len());
                m.values_preview
                    .extend(a.values_preview.into_iter().take(room));
                let (c, d) = (&mut m.counts, &a.counts);
                c.rows += d.rows;
                c.values += d.values;
                c.new += d.new;
                c.changed += d.changed;
                c.unchanged += d.unchanged;
                c.errors += d.errors;
                c.warnings += d.warnings;
                c.bad_rows += d.bad_rows;
                c.skipped += d.skipped;
                for n in a.inspection.notices {
                    if !m.inspection.notices.contains(&n) {
                        m.inspection.notices.push(n);
                    }
                }
            }
        }
    }
    let Some(mut m) = merged else {
        return Err(rejected("the workbook has no sheet"));
    };
    // Errors first, then warnings (each list capped like one sheet's).
    m.problems.sort_by_key(|p| p.severity != Severity::Error);
    m.problems.truncate(2 * MAX_PROBLEMS);
    m.inspection.sheet = None;
    m.inspection
        .notices
        .retain(|n| !n.starts_with("only the sheet "));
    m.inspection.notices.insert(
        0,
        format!(
            "the {} sheets of the Mizani template are read together, as one import (all or nothing): {}",
            sheets.len(),
            sheets.join(", ")
        ),
    );
    m.inspection.sheets_read = sheets;
    Ok(m)
}

/// Reads, maps and validates; compares with the database. `full`: also builds the preview
/// grid and keeps the values for writing.
fn analyse(
    store: &Store,
    bytes: &[u8],
    file_name: &str,
    opts: &ImportOptions,
    latest: Month,
) -> Result<Analysis> {
    let mut wb = read::open(bytes)?;
    let (si, mut notices) = choose_sheet(&mut wb, opts.sheet.as_deref())?;
    let sheet_infos: Vec<SheetInfo> = wb
        .sheets
        .iter()
        .map(|s| SheetInfo {
            name: s.name.clone(),
            hidden: s.hidden,
            rows: s.loaded.then_some(s.rows.len() as u32),
        })
        .collect();
    let Some(sheet) = wb.sheets.get(si) else {
        return Err(rejected("the file has no sheet"));
    };
    if let Some(e) = &sheet.error {
        return Err(rejected(format!(
            "the sheet '{}' cannot be read: {e}",
            sheet.name
        )));
    }
    notices.extend(sheet.notices.iter().cloned());
    let template = is_template(sheet);
    let loc = if wb.kind == Kind::Csv {
        Locator::new(file_name, false)
    } else {
        Locator::new(&sheet.name, true)
    };
    let cat = Catalogue::load(store.conn())?;
    let mut problems = Problems::default();
    if let Some(r) = sheet.unclosed_quote {
        problems.push(loc.problem(
            r,
            None,
            Severity::Error,
            ProblemCode::BadQuote,
            "a quoted field opens here and is never closed, so the rest of the file is one cell; close the quote".into(),
        ));
    }

    // Header and mapping.
    let forced = opts
        .mapping
        .as_ref()
        .and_then(|m| m.header_row.map(|r| (r, m.header_rows.unwrap_or(1))))
        .or(template.then_some((TEMPLATE_HEADER_ROW, 1)));
    let header = layout::find_header(sheet, &cat, forced)
        .ok_or_else(|| rejected(format!("{}: the sheet is empty", loc.whole())))?;
    let header_row = sheet.rows.get(header.first).map(|r| r.number).unwrap_or(1);
    let (mut suggested, mut how) = layout::suggest(&header, &cat);
    if template {
        // The template's element name and previous month's figure are for people.
        for (c, m) in suggested.iter_mut().enumerate() {
            if matches!(fold(&m.header).as_str(), "name" | "previous") {
                m.role = Role::Ignore;
                m.element = None;
                if let Some(h) = how.get_mut(c) {
                    *h = "Mizani template column (not imported)".into();
                }
            }
        }
    }
    let saved = if opts.mapping.is_none() {
        saved::find(store.conn(), file_name, &header.texts)?
    } else {
        None
    };
    let (columns, missing, source, saved_id) = match (&opts.mapping, &saved) {
        (Some(m), _) => {
            let (c, miss) = apply_mapping(&header, &suggested, &mut how, m, "given mapping");
            (c, miss, MappingSource::Given, None)
        }
        (None, Some(s)) => {
            let (c, miss) =
                apply_mapping(&header, &suggested, &mut how, &s.mapping, "saved mapping");
            (c, miss, MappingSource::Saved, Some(s.id))
        }
        (None, None) => (
            suggested.clone(),
            Vec::new(),
            MappingSource::Suggested,
            None,
        ),
    };
    for h in missing {
        notices.push(format!("the mapping's column '{h}' is not in this file"));
    }
    // A saved mapping describes a source's columns, not one file's month: a month stored by
    // an earlier version is not applied to the next file of the source.
    let base = opts
        .mapping
        .clone()
        .or_else(|| {
            saved.as_ref().map(|s| Mapping {
                period: None,
                ..s.mapping.clone()
            })
        })
        .unwrap_or_default();
    let data_rows = &sheet.rows[header.data_start().min(sheet.rows.len())..];

    // Columns: role and element index; header problems.
    let mut roles: Vec<(Role, Option<usize>)> = Vec::with_capacity(columns.len());
    for (c, m) in columns.iter().enumerate() {
        let has_data = data_rows.iter().any(|r| !r.get(c).is_empty());
        match m.role {
            Role::Data => {
                let code = m.element.as_deref().unwrap_or("").trim();
                match cat
                    .element_by_code(code)
                    .or_else(|| cat.element(code).map(|x| x.0))
                {
                    Some(e) => roles.push((Role::Data, Some(e))),
                    None => {
                        problems.push(loc.problem(
                            header_row,
                            Some(c),
                            Severity::Error,
                            ProblemCode::BadMapping,
                            if code.is_empty() {
                                format!("column '{}' is mapped to a data element but names none", m.header)
                            } else {
                                format!("column '{}' is mapped to '{code}', which is not a data element (see `mizani elements`)", m.header)
                            },
                        ));
                        roles.push((Role::Ignore, None));
                    }
                }
            }
            Role::Unmatched if has_data => {
                problems.push(loc.problem(
                    header_row,
                    Some(c),
                    Severity::Error,
                    ProblemCode::UnmatchedHeader,
                    format!(
                        "unknown column '{}': it matches no data element (code or name in English, French or Spanish) nor branch, period, element, value or comment; map it to a data element or ignore it",
                        m.header
                    ),
                ));
                roles.push((Role::Ignore, None));
            }
            Role::Unmatched => roles.push((Role::Ignore, None)),
            r => roles.push((r, None)),
        }
    }
    let col_of = |role: Role| roles.iter().position(|r| r.0 == role);
    let (cb, cp, ce, cv, cc) = (
        col_of(Role::Branch),
        col_of(Role::Period),
        col_of(Role::Element),
        col_of(Role::Value),
        col_of(Role::Comment),
    );
    let data_cols: Vec<(usize, usize)> = roles
        .iter()
        .enumerate()
        .filter_map(|(c, r)| match r {
            (Role::Data, Some(e)) => Some((c, *e)),
            _ => None,
        })
        .collect();
    let whole =
        |code: ProblemCode, msg: String| loc.problem(header_row, None, Severity::Error, code, msg);
    // Problems from here on concern the whole sheet: the rows are not read after one.
    let before_layout = problems.n_errors;
    let layout = if ce.is_some() || cv.is_some() {
        if !data_cols.is_empty() {
            problems.push(whole(
                ProblemCode::BadMapping,
                "the mapping mixes an element/value pair with data-element columns; use one layout"
                    .into(),
            ));
        }
        for (col, name) in [(cb, "branch"), (ce, "element"), (cv, "value")] {
            if col.is_none() {
                problems.push(whole(
                    ProblemCode::MissingColumn,
                    format!("the header has no '{name}' column (expected branch,period,element,value[,comment], or one column per data element)"),
                ));
            }
        }
        Some(Layout::Long)
    } else if !data_cols.is_empty() {
        if cb.is_none() {
            problems.push(whole(
                ProblemCode::MissingColumn,
                "the header has no branch column (a column named branch, agence, sucursal… with branch codes or names)".into(),
            ));
        }
        Some(Layout::Wide)
    } else {
        if problems.n_errors == 0 {
            problems.push(whole(
                ProblemCode::MissingColumn,
                format!(
                    "row {header_row} is taken as the header, but no column names a data element nor the columns branch, period, element and value; map the columns"
                ),
            ));
        }
        None
    };
    let fixed = if cp.is_none() {
        match fixed_period(opts, &base, sheet, &header, &loc) {
            Ok(f) => f,
            Err(e) => {
                problems.push(whole(ProblemCode::BadPeriod, e.message));
                None
            }
        }
    } else {
        None
    };
    if layout.is_some() && cp.is_none() && fixed.is_none() && problems.n_errors == before_layout {
        problems.push(whole(
            ProblemCode::NoPeriod,
            format!("the header has no 'period' column and no month was found in a title row{}; add a period column or give the month", if wb.kind == Kind::Xlsx { " or the sheet name" } else { "" }),
        ));
    }
    if let Some((m, src)) = &fixed {
        if *m > latest {
            problems.push(whole(
                ProblemCode::FuturePeriod,
                format!("period {m} (from the {src}) is in the future"),
            ));
        }
    }

    // Number style.
    let value_cols: Vec<usize> = match layout {
        Some(Layout::Long) => cv.into_iter().collect(),
        _ => data_cols.iter().map(|d| d.0).collect(),
    };
    let mut samples: Vec<&str> = Vec::new();
    'outer: for r in data_rows {
        for &c in &value_cols {
            if let Cell::Text(t) = r.get(c) {
                samples.push(t);
                if samples.len() >= 20_000 {
                    break 'outer;
                }
            }
        }
    }
    let mut numbers = parse::detect_style(samples.into_iter(), wb.separator);
    if let Some(d) = base.decimal {
        numbers.decimal = d;
        numbers.evidence = "given in the mapping".into();
    }

    let headers: Vec<HeaderInfo> = columns
        .iter()
        .enumerate()
        .map(|(c, m)| HeaderInfo {
            column: read::column_letter(c),
            index: c as u32,
            header: m.header.clone(),
            role: m.role,
            element: m.element.clone(),
            how: how.get(c).cloned().unwrap_or_default(),
            samples: data_rows
                .iter()
                .map(|r| r.get(c))
                .filter(|x| !x.is_empty())
                .take(3)
                .map(Cell::display)
                .collect(),
        })
        .collect();
    let effective = Mapping {
        header_row: Some(header_row),
        header_rows: Some(header.depth as u32),
        columns: columns.clone(),
        period: base.period.clone().or_else(|| opts.period.clone()),
        decimal: base.decimal,
    };
    let format = FileFormat {
        kind: match wb.kind {
            Kind::Csv => "csv",
            Kind::Xlsx => "xlsx",
        }
        .to_string(),
        encoding: wb.encoding.map(str::to_string),
        separator: wb.separator.map(separator_name),
        numbers,
        layout,
        header_row,
        header_rows: header.depth as u32,
        period: fixed.as_ref().map(|f| f.0.to_string()),
        period_source: fixed.as_ref().map(|f| f.1.clone()),
    };
    let inspection = Inspection {
        file: file_name.to_string(),
        format,
        sheets: sheet_infos,
        sheet: (wb.kind == Kind::Xlsx).then(|| sheet.name.clone()),
        sheets_read: Vec::new(),
        headers,
        mapping: effective,
        mapping_source: source,
        saved_mapping: saved_id,
        notices,
    };

    let preview_rows = opts.preview_rows.unwrap_or(PREVIEW_ROWS) as usize;
    let grid: Vec<GridRow> = sheet
        .rows
        .iter()
        .take(header.data_start() + preview_rows)
        .map(|r| GridRow {
            row: r.number,
            cells: r.cells.iter().map(Cell::display).collect(),
        })
        .collect();

    let mut out = Analysis {
        grid_sheet: inspection.sheet.clone(),
        inspection,
        grid,
        vals: Vec::new(),
        problems: Vec::new(),
        skipped: Vec::new(),
        counts: PreviewCounts::default(),
        catalogue: None,
        values_preview: Vec::new(),
        header_texts: header.texts.clone(),
    };
    let Some(layout) = layout.filter(|_| problems.n_errors == before_layout) else {
        out.counts.errors = problems.n_errors;
        out.counts.warnings = problems.n_warnings;
        out.counts.bad_rows = problems.bad_rows.len() as u32;
        out.problems = problems.errors;
        out.problems.extend(problems.warnings);
        out.catalogue = Some(cat);
        return Ok(out);
    };

    // Rows.
    let mark = out.inspection.format.numbers.decimal;
    let fixed_month = fixed.as_ref().map(|f| f.0);
    let mut vals: Vec<Val> = Vec::new();
    // (branch, element, month) → the first cell (row, column) and its index in `vals`.
    let mut seen: FastMap<(usize, usize, i32), (u32, usize, usize)> =
        FastMap::with_capacity_and_hasher(
            // Reserved for one value per cell, up to 2 M (more grows as needed).
            data_rows
                .len()
                .saturating_mul(data_cols.len().max(1))
                .min(1 << 21),
            Default::default(),
        );
    let mut branch_memo: Memo<'_, (bool, Option<usize>)> = Memo::new();
    let mut period_memo: Memo<'_, Option<Month>> = Memo::new();
    let mut element_memo: Memo<'_, Option<usize>> = Memo::new();
    // The row's (column, element) pairs with their value cell.
    let mut cells: Vec<(usize, Option<usize>)> = Vec::new();
    let mut skipped: Vec<SkippedRow> = Vec::new();
    let mut n_skipped = 0u32;
    let mut skip = |row: u32, reason: String, skipped: &mut Vec<SkippedRow>| {
        n_skipped += 1;
        if skipped.len() < MAX_PROBLEMS {
            skipped.push(SkippedRow {
                row,
                cell: loc.cell(row, 0),
                reason,
            });
        }
    };
    let mut rows_read = 0u32;
    // Column sums of the rows read since the last totals row (for sum rows without a label).
    let mut sums: Vec<f64> = vec![0.0; roles.len()];
    let mut prev_number = sheet
        .rows
        .get(header.data_start().wrapping_sub(1))
        .map(|r| r.number)
        .unwrap_or(0);
    let mut contradicting = 0u32;
    for r in data_rows {
        if r.number > prev_number.saturating_add(1) && rows_read > 0 {
            let (a, b) = (prev_number.saturating_add(1), r.number.saturating_sub(1));
            let reason = if a == b {
                "empty row".to_string()
            } else {
                format!("empty rows {a}–{b}")
            };
            skip(a, reason, &mut skipped);
        }
        prev_number = r.number;
        let branch_cell = cb.map(|c| r.get(c)).unwrap_or(&Cell::Empty);
        // (a totals label, the branch it names)
        let (total, branch_found) = match branch_cell {
            Cell::Empty => (false, None),
            Cell::Text(t) => {
                branch_memo.get(t, |t| (!t.is_empty() && is_total_label(t), cat.branch(t)))
            }
            other => {
                let t = other.display();
                (!t.is_empty() && is_total_label(&t), cat.branch(&t))
            }
        };
        if total {
            skip(
                r.number,
                format!("totals row ('{}')", branch_cell.display()),
                &mut skipped,
            );
            sums.iter_mut().for_each(|s| *s = 0.0);
            continue;
        }
        // Cells with a figure.
        let figures: Vec<(usize, usize)> = match layout {
            Layout::Wide => data_cols
                .iter()
                .copied()
                .filter(|(c, _)| !r.get(*c).is_empty())
                .collect(),
            Layout::Long => Vec::new(),
        };
        if layout == Layout::Wide && figures.is_empty() {
            skip(r.number, "no figures in this row".into(), &mut skipped);
            continue;
        }
        if layout == Layout::Long {
            let empty = |c: Option<usize>| c.is_none_or(|c| r.get(c).is_empty());
            if template && empty(cv) {
                skip(
                    r.number,
                    "no figure (template row left empty)".into(),
                    &mut skipped,
                );
                continue;
            }
            if empty(cv) && empty(ce) && empty(cp) {
                skip(
                    r.number,
                    "no element, period or value (a note?)".into(),
                    &mut skipped,
                );
                continue;
            }
        }
        if branch_cell.is_empty() && layout == Layout::Wide && rows_read > 1 {
            let is_sum = figures.iter().all(|(c, _)| match r.get(*c) {
                Cell::Number(v) => (v - sums[*c]).abs() <= 1e-6 * v.abs().max(1.0),
                Cell::Text(t) => parse::parse_number(t, mark)
                    .is_some_and(|p| (p.value - sums[*c]).abs() <= 1e-6 * p.value.abs().max(1.0)),
                _ => false,
            });
            if is_sum {
                skip(
                    r.number,
                    "sum of the rows above (no branch)".into(),
                    &mut skipped,
                );
                sums.iter_mut().for_each(|s| *s = 0.0);
                continue;
            }
        }
        rows_read += 1;
        let err = |col: Option<usize>, code: ProblemCode, msg: String, problems: &mut Problems| {
            problems.push(loc.problem(r.number, col, Severity::Error, code, msg));
        };
        // Branch.
        let branch = match cb {
            None => None,
            Some(c) => {
                if branch_cell.is_empty() {
                    err(
                        Some(c),
                        ProblemCode::EmptyBranch,
                        "branch is empty".into(),
                        &mut problems,
                    );
                    None
                } else {
                    match branch_found {
                        Some(b) => Some(b),
                        None => {
                            err(Some(c), ProblemCode::UnknownBranch, format!("unknown branch '{}' (add it with `mizani branch add` or fix the code)", branch_cell.display()), &mut problems);
                            None
                        }
                    }
                }
            }
        };
        // Period.
        let month = match (cp, fixed_month) {
            (Some(c), _) => {
                let cell = r.get(c);
                let found = match cell {
                    Cell::Text(t) => period_memo.get(t, parse::period_from_text),
                    other => parse::period_from_cell(other),
                };
                match found {
                    Some(m) if m > latest => {
                        err(
                            Some(c),
                            ProblemCode::FuturePeriod,
                            format!("period {m} is in the future"),
                            &mut problems,
                        );
                        None
                    }
                    Some(m) => Some(m),
                    None => {
                        let shown = cell.display();
                        let msg = if shown.is_empty() {
                            "period is empty".to_string()
                        } else {
                            match Month::parse(&shown) {
                                Err(e) => e.message,
                                Ok(_) => format!("'{shown}' is not a month"),
                            }
                        };
                        err(Some(c), ProblemCode::BadPeriod, msg, &mut problems);
                        None
                    }
                }
            }
            (None, m) => m,
        };
        let comment = cc
            .map(|c| r.get(c).display())
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().chars().take(1000).collect::<String>());
        cells.clear();
        match layout {
            Layout::Long => {
                let (Some(ce), Some(cv)) = (ce, cv) else {
                    continue;
                };
                let ecell = r.get(ce);
                let e = if ecell.is_empty() {
                    err(
                        Some(ce),
                        ProblemCode::UnknownElement,
                        "element is empty".into(),
                        &mut problems,
                    );
                    None
                } else {
                    let found = match ecell {
                        Cell::Text(t) => element_memo.get(t, |t| cat.element(t).map(|x| x.0)),
                        other => cat.element(&other.display()).map(|x| x.0),
                    };
                    match found {
                        Some(e) => Some(e),
                        None => {
                            err(
                                Some(ce),
                                ProblemCode::UnknownElement,
                                format!(
                                    "unknown data element '{}' (see `mizani elements`)",
                                    ecell.display()
                                ),
                                &mut problems,
                            );
                            None
                        }
                    }
                };
                cells.push((cv, e));
            }
            Layout::Wide => cells.extend(figures.iter().map(|(c, e)| (*c, Some(*e)))),
        }
        for &(c, e) in &cells {
            let cell = r.get(c);
            let ename = e
                .and_then(|e| cat.elements.get(e))
                .map(|x| x.code.as_str())
                .unwrap_or("");
            let value = match cell {
                Cell::Empty => {
                    err(
                        Some(c),
                        ProblemCode::EmptyValue,
                        "value is empty (leave the row out when there is no figure)".into(),
                        &mut problems,
                    );
                    None
                }
                Cell::Number(v) => Some(*v),
                Cell::Text(t) => match parse::parse_number(t, mark) {
                    Some(p) => {
                        if p.contradicts {
                            contradicting += 1;
                            if contradicting <= 20 {
                                problems.push(loc.problem(
                                    r.number,
                                    Some(c),
                                    Severity::Warning,
                                    ProblemCode::DecimalMark,
                                    format!(
                                        "'{t}' is read as {} although the file uses the {}",
                                        crate::store::format_real(p.value),
                                        out.inspection.format.numbers.describe()
                                    ),
                                ));
                            }
                        }
                        Some(p.value)
                    }
                    None => {
                        err(
                            Some(c),
                            ProblemCode::NotANumber,
                            format!("value '{t}' is not a number"),
                            &mut problems,
                        );
                        None
                    }
                },
                Cell::Date(..) => {
                    err(
                        Some(c),
                        ProblemCode::NotANumber,
                        format!("value {} is a date, not a number", cell.display()),
                        &mut problems,
                    );
                    None
                }
                Cell::Bool(_) => {
                    err(
                        Some(c),
                        ProblemCode::NotANumber,
                        format!("value {} is not a number", cell.display()),
                        &mut problems,
                    );
                    None
                }
                Cell::Error(x) => {
                    err(Some(c), ProblemCode::NotANumber, format!("the cell holds the spreadsheet error {x}, not a number (fix the formula)"), &mut problems);
                    None
                }
            };
            let Some(v) = value else { continue };
            if let Some(s) = sums.get_mut(c) {
                *s += v;
            }
            let Some(e) = e else { continue };
            let el = &cat.elements[e];
            if v < 0.0 && !el.allow_negative {
                err(
                    Some(c),
                    ProblemCode::Negative,
                    format!(
                        "value {} is negative; {ename} cannot be negative",
                        cell.display()
                    ),
                    &mut problems,
                );
                continue;
            }
            if cat.is_count(e) && v.fract() != 0.0 {
                err(
                    Some(c),
                    ProblemCode::NotWhole,
                    format!(
                        "value {} is not a whole number; {ename} is a count",
                        cell.display()
                    ),
                    &mut problems,
                );
                continue;
            }
            let (Some(b), Some(m)) = (branch, month) else {
                continue;
            };
            let first = match seen.entry((b, e, m.0)) {
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let (first_row, first_col, i) = *o.get();
                    o.insert((r.number, c, i));
                    Some((first_row, first_col))
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((r.number, c, vals.len()));
                    None
                }
            };
            if let Some((first_row, first_col)) = first {
                err(
                    Some(c),
                    ProblemCode::Duplicate,
                    format!(
                        "duplicate of {}{first_row} ({}, {m}, {ename})",
                        read::column_letter(first_col),
                        cat.branches[b].code
                    ),
                    &mut problems,
                );
                continue;
            }
            vals.push(Val {
                row: r.number,
                col: c as u32,
                branch: b,
                element: e,
                month: m,
                value: v,
                comment: comment.clone(),
            });
        }
    }
    if contradicting > 20 {
        out.inspection.notices.push(format!(
            "{contradicting} numbers use the other decimal mark than the file's {}",
            out.inspection.format.numbers.describe()
        ));
    }
    if rows_read == 0 && problems.n_errors == 0 {
        problems.push(whole(
            ProblemCode::EmptyValue,
            "the file has no data rows".into(),
        ));
    }

    // Compare with the database.
    let existing = load_existing(store, &vals)?;
    // The file's value of a (branch, element, month), if the file has one.
    let file_value = |key: &(usize, usize, i32)| seen.get(key).map(|f| vals[f.2].value);
    let mut counts = PreviewCounts {
        rows: rows_read,
        values: vals.len() as u32,
        skipped: n_skipped,
        ..PreviewCounts::default()
    };
    let mut values = Vec::new();
    for v in &vals {
        let old = existing.get(&(v.element, v.month.0, v.branch));
        let status = match old {
            None => ValueStatus::New,
            Some((x, c)) if *x == v.value && (v.comment.is_none() || v.comment == *c) => {
                ValueStatus::Unchanged
            }
            Some(_) => ValueStatus::Changed,
        };
        match status {
            ValueStatus::New => counts.new += 1,
            ValueStatus::Changed => counts.changed += 1,
            ValueStatus::Unchanged => counts.unchanged += 1,
        }
        let pm = v.month.prev();
        let previous = file_value(&(v.branch, v.element, pm.0))
            .or_else(|| existing.get(&(v.element, pm.0, v.branch)).map(|x| x.0));
        if let Some(p) = previous.filter(|p| *p != 0.0) {
            let r = (v.value - p) / p.abs();
            if r.abs() > JUMP && status != ValueStatus::Unchanged {
                problems.push(loc.problem(
                    v.row,
                    Some(v.col as usize),
                    Severity::Warning,
                    ProblemCode::Jump,
                    format!(
                        "{} for {} in {}: {} after {} in {pm} ({:+.0} %); check the figure",
                        cat.elements[v.element].code,
                        cat.branches[v.branch].code,
                        v.month,
                        crate::store::format_real(v.value),
                        crate::store::format_real(p),
                        r * 100.0
                    ),
                ));
            }
        }
        if values.len() < preview_rows {
            values.push(PreviewValue {
                cell: loc.cell(v.row, v.col as usize),
                row: v.row,
                col: v.col,
                branch: cat.branches[v.branch].code.clone(),
                period: v.month.to_string(),
                element: cat.elements[v.element].code.clone(),
                value: v.value,
                comment: v.comment.clone(),
                status,
                old: old.map(|o| o.0),
                previous,
            });
        }
    }
    counts.errors = problems.n_errors;
    counts.warnings = problems.n_warnings;
    counts.bad_rows = problems.bad_rows.len() as u32;
    let mut all = problems.errors;
    all.extend(problems.warnings);
    out.vals = vals;
    out.problems = all;
    out.skipped = skipped;
    out.counts = counts;
    out.catalogue = Some(cat);
    out.grid.truncate(header.data_start() + preview_rows);
    out.values_preview = values;
    Ok(out)
}

/// Stored values (and comments) of the elements, months and branches the file touches,
/// including the month before each (for the jump check).
fn load_existing(store: &Store, vals: &[Val]) -> Result<Existing> {
    let mut out = Existing::default();
    let (Some(lo), Some(hi)) = (
        vals.iter().map(|v| v.month.0).min(),
        vals.iter().map(|v| v.month.0).max(),
    ) else {
        return Ok(out);
    };
    let conn = store.conn();
    let elements: HashMap<i64, usize> = crate::repo::elements(conn)?
        .into_iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();
    let branches: HashMap<i64, usize> = crate::repo::branches(conn)?
        .into_iter()
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT element_id, month, branch_id, value, comment FROM measurement WHERE month BETWEEN ?1 AND ?2",
    )?;
    let rows = stmt.query_map([lo - 1, hi], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i32>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    for row in rows {
        let (e, m, b, v, c) = row?;
        if let (Some(&e), Some(&b)) = (elements.get(&e), branches.get(&b)) {
            out.insert((e, m, b), (v, c));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// API

/// Reads the file far enough to show the wizard: sheets, header, detected format, and the
/// mapping that applies (given, saved for this source, or suggested).
pub fn inspect(
    store: &Store,
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
) -> Result<Inspection> {
    let opts = ImportOptions {
        preview_rows: Some(0),
        ..options.clone()
    };
    Ok(analyse_all(store, bytes, file_name, &opts, current_month())?.inspection)
}

/// Everything [`commit`] would do, without writing: the parsed values, every problem on its
/// cell, counts of new, changed and unchanged values, skipped rows.
pub fn preview(
    store: &Store,
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
) -> Result<Preview> {
    let a = analyse_all(store, bytes, file_name, options, current_month())?;
    Ok(Preview {
        can_commit: a.counts.errors == 0 && a.counts.values > 0,
        inspection: a.inspection,
        grid: a.grid,
        grid_sheet: a.grid_sheet,
        values: a.values_preview,
        problems: a.problems,
        skipped: a.skipped,
        counts: a.counts,
    })
}

/// The refusal of a file with errors: every problem as `cell: message`.
fn refusal(a: &Analysis) -> CoreError {
    let mut details: Vec<String> = a
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .take(MAX_LISTED)
        .map(|p| format!("{}: {}", p.cell, p.message))
        .collect();
    let n = a.counts.errors as usize;
    if n > details.len() {
        details.push(format!("… and {} more problem(s)", n - details.len()));
    }
    let msg = if a.counts.bad_rows > 0 && a.inspection.format.layout.is_some() && a.counts.rows > 0
    {
        format!(
            "the file was not imported: {} bad row(s); fix them and import again (nothing was changed)",
            a.counts.bad_rows
        )
    } else {
        format!(
            "the file was not imported: {}; fix it and import again (nothing was changed)",
            a.problems
                .iter()
                .find(|p| p.severity == Severity::Error)
                .map(|p| p.message.clone())
                .unwrap_or_else(|| "it has no data rows".into())
        )
    };
    CoreError::new(ErrorCode::ImportRejected, msg).with_details(details)
}

fn report(
    a: &Analysis,
    file_name: &str,
    dry_run: bool,
    counts: (usize, usize, usize),
    saved: bool,
) -> ImportReport {
    ImportReport {
        file: file_name.to_string(),
        rows: a.vals.len(),
        inserted: counts.0,
        updated: counts.1,
        unchanged: counts.2,
        dry_run,
        sheet: a.inspection.sheet.clone(),
        format: Some(a.inspection.format.clone()),
        warnings: a
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .cloned()
            .collect(),
        warnings_total: a.counts.warnings,
        skipped: a.skipped.clone(),
        notices: a.inspection.notices.clone(),
        mapping_saved: saved,
    }
}

/// Checks the file like [`preview`] and, when no error remains, writes every value in one
/// transaction through [`Store::write`] (audited; warnings do not block). A mapping given in
/// `options` is saved for this source (file name pattern and headers) in the same
/// transaction, unless `options.save_mapping` is `Some(false)`. With `dry_run`, only counts.
pub fn commit(
    store: &mut Store,
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
    dry_run: bool,
) -> Result<ImportReport> {
    let opts = ImportOptions {
        preview_rows: Some(0),
        ..options.clone()
    };
    let a = analyse_all(store, bytes, file_name, &opts, current_month())?;
    if a.counts.errors > 0 || a.vals.is_empty() {
        return Err(refusal(&a));
    }
    if dry_run {
        let c = (
            a.counts.new as usize,
            a.counts.changed as usize,
            a.counts.unchanged as usize,
        );
        return Ok(report(&a, file_name, true, c, false));
    }
    let Some(cat) = a.catalogue.as_ref() else {
        return Err(rejected("the catalogue could not be read"));
    };
    let save = (options.mapping.is_some() && options.save_mapping != Some(false))
        .then(|| a.inspection.mapping.clone());
    let headers = a.header_texts.clone();
    // The safety copy before a bulk change (docs/RELIABILITY.md, Backups): nothing is
    // imported without it.
    if a.counts.new + a.counts.changed > 0 {
        crate::backup::before_change(store, crate::backup::BackupKind::BeforeImport)?;
    }
    // Month by month, then branch and element: each month's rows go into the measurement
    // table (clustered by element, month, branch) and its (branch, month) index at a few
    // places side by side (measured much faster than the key order, or a branch-major one).
    let mut values: Vec<MeasurementValue<'_>> = a
        .vals
        .iter()
        .map(|v| {
            let b = &cat.branches[v.branch];
            let e = &cat.elements[v.element];
            MeasurementValue {
                branch: (b.id, &b.code),
                element: (e.id, &e.code),
                month: v.month,
                value: v.value,
                comment: v.comment.as_deref(),
            }
        })
        .collect();
    values.sort_by_key(|v| (v.month, v.branch.0, v.element.0));
    let (counts, saved) = store.write(&format!("import {file_name}"), |w| {
        let (mut ins, mut upd, mut same) = (0, 0, 0);
        for outcome in w.set_measurements(&values)? {
            match outcome {
                Outcome::Inserted => ins += 1,
                Outcome::Updated => upd += 1,
                Outcome::Unchanged => same += 1,
            }
        }
        let saved = match &save {
            Some(m) => {
                saved::save_in(w, file_name, &headers, m)?;
                true
            }
            None => false,
        };
        Ok(((ins, upd, same), saved))
    })?;
    Ok(report(&a, file_name, false, counts, saved))
}

/// The validated values of a file as rows (for callers that write them themselves), or the
/// refusal listing every problem.
pub fn rows(
    store: &Store,
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
    latest: Month,
) -> Result<Vec<crate::import::Row>> {
    let opts = ImportOptions {
        preview_rows: Some(0),
        ..options.clone()
    };
    let a = analyse_all(store, bytes, file_name, &opts, latest)?;
    if a.counts.errors > 0 || a.vals.is_empty() {
        return Err(refusal(&a));
    }
    let Some(cat) = a.catalogue.as_ref() else {
        return Err(rejected("the catalogue could not be read"));
    };
    Ok(a.vals
        .iter()
        .map(|v| crate::import::Row {
            line: u64::from(v.row),
            branch_id: cat.branches[v.branch].id,
            branch: cat.branches[v.branch].code.clone(),
            element_id: cat.elements[v.element].id,
            element: cat.elements[v.element].code.clone(),
            month: v.month,
            value: v.value,
            comment: v.comment.clone(),
        })
        .collect())
}

fn read_path(path: &Path) -> Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(path).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok((bytes, name))
}

/// [`inspect`] of a file.
pub fn inspect_file(store: &Store, path: &Path, options: &ImportOptions) -> Result<Inspection> {
    let (bytes, name) = read_path(path)?;
    inspect(store, &bytes, &name, options)
}

/// [`preview`] of a file.
pub fn preview_file(store: &Store, path: &Path, options: &ImportOptions) -> Result<Preview> {
    let (bytes, name) = read_path(path)?;
    preview(store, &bytes, &name, options)
}

/// [`commit`] of a file.
pub fn commit_file(
    store: &mut Store,
    path: &Path,
    options: &ImportOptions,
    dry_run: bool,
) -> Result<ImportReport> {
    let (bytes, name) = read_path(path)?;
    commit(store, &bytes, &name, options, dry_run)
}

/// Saves `mapping` for files like `file_name` with these headers (the source): the next
/// import of such a file uses it without asking.
pub fn mapping_save(
    store: &mut Store,
    file_name: &str,
    headers: &[String],
    mapping: &Mapping,
) -> Result<SavedMapping> {
    saved::save(store, file_name, headers, mapping)
}

/// Every saved mapping, most recently used first.
pub fn mapping_list(store: &Store) -> Result<Vec<SavedMapping>> {
    saved::list(store.conn())
}

/// Forgets a saved mapping.
pub fn mapping_delete(store: &mut Store, id: i64) -> Result<()> {
    saved::delete(store, id)
}

/// Reads a mapping file (the JSON of [`Mapping`]).
pub fn mapping_from_json(text: &str) -> Result<Mapping> {
    serde_json::from_str(text).map_err(|e| {
        CoreError::invalid(format!(
            "not a valid mapping ({e}); a mapping is {{\"columns\": [{{\"header\": \"Encours\", \"role\": \"data\", \"element\": \"glp\"}}, …]}}"
        ))
        .on_field("mapping")
    })
}
