//! Measurements import: the report shared by every import of measurements, the number
//! parser of typed values, and the one function that writes a measurement. Files (CSV in the
//! long layout `branch,period,element,value[,comment]`, and every other layout and XLSX) are
//! read by [`crate::sheet`]: every bad cell is reported, any error rejects the whole file and
//! the database is left unchanged.

use crate::error::Result;
use crate::period::Month;
use crate::sheet::{FileFormat, ImportOptions, Problem, SkippedRow};
use crate::store::{Outcome, Store, WriteTx, MEASUREMENT};
use rusqlite::types::Value;
use serde::Serialize;
use std::path::Path;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportReport {
    pub file: String,
    /// Values read: one per row in the long layout, one per filled cell in the wide one.
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// XLSX: the sheet read.
    pub sheet: Option<String>,
    /// Encoding, separator, decimal style, layout and header rows as detected.
    pub format: Option<FileFormat>,
    /// Problems that did not block the import (jumps, unusual decimal marks); the first 1000.
    pub warnings: Vec<Problem>,
    pub warnings_total: u32,
    /// Rows left out on purpose (blank, totals, no figures).
    pub skipped: Vec<SkippedRow>,
    pub notices: Vec<String>,
    /// The mapping given was saved for this source.
    pub mapping_saved: bool,
}

/// One validated measurement.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub branch_id: i64,
    pub branch: String,
    pub element_id: i64,
    pub element: String,
    pub month: Month,
    pub value: f64,
    pub comment: Option<String>,
}

/// Parses a number written with a decimal point or a decimal comma, with optional thousands
/// separators (space, narrow no-break space, apostrophe, or the other of `.`/`,`).
pub fn parse_number(raw: &str) -> Option<f64> {
    let mut s: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if s.is_empty() {
        return None;
    }
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    if commas > 0 && dots > 0 {
        // The last one is the decimal separator.
        let last_comma = s.rfind(',').unwrap_or(0);
        let last_dot = s.rfind('.').unwrap_or(0);
        if last_comma > last_dot {
            s = s.replace('.', "").replace(',', ".");
        } else {
            s = s.replace(',', "");
        }
    } else if commas == 1 {
        s = s.replace(',', ".");
    } else if commas > 1 {
        s = s.replace(',', "");
    } else if dots > 1 {
        s = s.replace('.', "");
    }
    if !s.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+' || b == b'e' || b == b'E'
    }) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A CSV reader over a user's file in any encoding the spreadsheet import reads (UTF-8 with or
/// without BOM, UTF-16, else Windows-1252: `sheet::decode_text`), `;`, tab or `,` separated
/// (detected on the header line), fields trimmed. Used by the assessment answers import.
pub(crate) fn csv_reader(bytes: &[u8]) -> Result<csv::Reader<std::io::Cursor<Vec<u8>>>> {
    let (text, _) = crate::sheet::decode_text(bytes)?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') {
        b';'
    } else if first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::Cursor::new(text.into_bytes())))
}

/// Reads and validates a measurements file completely (any layout [`crate::sheet`] reads,
/// default options); returns the rows or every problem found, each on its cell.
pub fn parse_csv(store: &Store, bytes: &[u8], latest_month: Month) -> Result<Vec<Row>> {
    crate::sheet::rows(
        store,
        bytes,
        "import.csv",
        &ImportOptions::default(),
        latest_month,
    )
}

/// Writes one measurement (value, the comment when given, who and when) through the write
/// path; `branch` and `element` are (id, code).
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_measurement(
    w: &mut WriteTx<'_>,
    branch: (i64, &str),
    element: (i64, &str),
    month: Month,
    value: f64,
    comment: Option<&str>,
    user: &str,
    now: i64,
) -> Result<Outcome> {
    let label = format!("{}/{}/{}", branch.1, month, element.1);
    let mut fields = vec![("value", Value::Real(value))];
    if let Some(c) = comment {
        fields.push(("comment", Value::Text(c.to_string())));
    }
    fields.push(("entered_by", Value::Text(user.to_string())));
    fields.push(("entered_at", Value::Integer(now)));
    let key = [
        Value::Integer(element.0),
        Value::Integer(month.0 as i64),
        Value::Integer(branch.0),
    ];
    w.set(&MEASUREMENT, &key, &label, &fields)
}

/// Writes validated rows in one transaction; returns (inserted, updated, unchanged).
pub fn write_rows(store: &mut Store, action: &str, rows: &[Row]) -> Result<(usize, usize, usize)> {
    store.write(action, |w| {
        let (mut ins, mut upd, mut same) = (0, 0, 0);
        let user = w.user().to_string();
        let now = w.now();
        for r in rows {
            match set_measurement(
                w,
                (r.branch_id, &r.branch),
                (r.element_id, &r.element),
                r.month,
                r.value,
                r.comment.as_deref(),
                &user,
                now,
            )? {
                Outcome::Inserted => ins += 1,
                Outcome::Updated => upd += 1,
                Outcome::Unchanged => same += 1,
            }
        }
        Ok((ins, upd, same))
    })
}

/// Imports a measurements file (CSV or XLSX, any layout; see [`crate::sheet::commit`]).
pub fn import_csv_bytes(
    store: &mut Store,
    name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport> {
    crate::sheet::commit(store, bytes, name, &ImportOptions::default(), dry_run)
}

pub fn import_csv_file(store: &mut Store, path: &Path, dry_run: bool) -> Result<ImportReport> {
    crate::sheet::commit_file(store, path, &ImportOptions::default(), dry_run)
}

/// The current calendar month (UTC).
pub fn current_month() -> Month {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    Month(now.year() * 12 + now.month0() as i32)
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers_in_the_usual_notations() {
        let cases = [
            ("1234.5", Some(1234.5)),
            ("1234,5", Some(1234.5)),
            ("1 234,5", Some(1234.5)),
            ("1.234,5", Some(1234.5)),
            ("1,234.5", Some(1234.5)),
            ("1,234,567", Some(1234567.0)),
            ("-12", Some(-12.0)),
            ("abc", None),
            ("", None),
            ("NaN", None),
            ("inf", None),
            ("12kg", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_number(s), want, "parsing {s:?}");
        }
    }
}
