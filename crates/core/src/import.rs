//! All-or-nothing import of monthly measurements from CSV (`branch,period,element,value`
//! with an optional `comment` column). Every bad row is reported by line number; any bad row
//! rejects the whole file and the database is left unchanged.

use crate::error::{CoreError, ErrorCode, Result};
use crate::model::{ElementKind, ElementUnit};
use crate::period::Month;
use crate::store::{Outcome, Store, MEASUREMENT};
use rusqlite::types::Value;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use ts_rs::TS;

/// How many bad rows are listed before the rest is summarised.
const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportReport {
    pub file: String,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
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

struct Catalogue {
    branches: HashMap<String, i64>,
    elements: HashMap<String, (i64, ElementKind, ElementUnit, bool)>,
}

fn catalogue(store: &Store) -> Result<Catalogue> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let branches = crate::repo::branches(conn)?
        .into_iter()
        .map(|b| (b.code, b.id))
        .collect();
    let elements = crate::repo::elements(conn)?
        .into_iter()
        .map(|e| (e.code, (e.id, e.kind, e.unit, e.allow_negative)))
        .collect();
    Ok(Catalogue { branches, elements })
}

/// A CSV reader over a user's file: UTF-8 with or without BOM (else a clear refusal naming the
/// line), `;`, tab or `,` separated (detected on the header line), fields trimmed. Shared by
/// every CSV import.
pub(crate) fn csv_reader(bytes: &[u8]) -> Result<csv::Reader<&[u8]>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        CoreError::new(
            ErrorCode::ImportRejected,
            format!("the file is not UTF-8 text (line {line}); save it as \"CSV UTF-8\" and import again"),
        )
    })?;
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
        .from_reader(text.as_bytes()))
}

/// Reads and validates a CSV file completely; returns the rows or every problem found.
pub fn parse_csv(store: &Store, bytes: &[u8], latest_month: Month) -> Result<Vec<Row>> {
    let cat = catalogue(store)?;
    let mut rdr = csv_reader(bytes)?;
    let headers = rdr.headers().map_err(|e| {
        CoreError::new(
            ErrorCode::ImportRejected,
            format!("line 1: cannot read the header: {e}"),
        )
    })?;
    let mut col: HashMap<&str, usize> = HashMap::new();
    let mut problems: Vec<String> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = h.trim().to_ascii_lowercase();
        let known = ["branch", "period", "element", "value", "comment"];
        match known.iter().find(|k| **k == key) {
            Some(k) => {
                if col.insert(k, i).is_some() {
                    problems.push(format!("line 1: column '{h}' appears twice"));
                }
            }
            None => problems.push(format!(
                "line 1: unknown column '{h}' (the columns are branch, period, element, value and optionally comment)"
            )),
        }
    }
    for req in ["branch", "period", "element", "value"] {
        if !col.contains_key(req) {
            problems.push(format!(
                "line 1: the header has no '{req}' column (expected branch,period,element,value[,comment])"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(CoreError::new(
            ErrorCode::ImportRejected,
            "the file was not imported: its header is wrong; nothing was changed",
        )
        .with_details(problems));
    }
    let (cb, cp, ce, cv) = (col["branch"], col["period"], col["element"], col["value"]);
    let cc = col.get("comment").copied();
    let mut rows = Vec::new();
    let mut seen: HashMap<(i64, i64, i32), u64> = HashMap::new();
    let mut bad = 0usize;
    let mut push = |problems: &mut Vec<String>, msg: String| {
        bad += 1;
        if problems.len() < MAX_LISTED {
            problems.push(msg);
        }
    };
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                push(
                    &mut problems,
                    format!("line {line}: cannot read the row: {e}"),
                );
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line
        }
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let mut errs: Vec<String> = Vec::new();
        let branch = get(cb);
        let branch_id = match cat.branches.get(branch) {
            Some(id) => Some(*id),
            None => {
                errs.push(if branch.is_empty() {
                    "branch is empty".to_string()
                } else {
                    format!("unknown branch '{branch}' (add it with `mizani branch add` or fix the code)")
                });
                None
            }
        };
        let period = get(cp);
        let month = match Month::parse(period) {
            Ok(m) if m > latest_month => {
                errs.push(format!("period {period} is in the future"));
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                errs.push(e.message);
                None
            }
        };
        let element = get(ce);
        let el = cat.elements.get(element);
        if el.is_none() {
            errs.push(if element.is_empty() {
                "element is empty".to_string()
            } else {
                format!("unknown data element '{element}' (see `mizani elements`)")
            });
        }
        let raw = get(cv);
        let value = match parse_number(raw) {
            None if raw.is_empty() => {
                errs.push("value is empty (leave the row out when there is no figure)".into());
                None
            }
            None => {
                errs.push(format!("value '{raw}' is not a number"));
                None
            }
            Some(v) => {
                if let Some((_, _, unit, allow_negative)) = el {
                    if v < 0.0 && !allow_negative {
                        errs.push(format!(
                            "value {raw} is negative; {element} cannot be negative"
                        ));
                    } else if *unit == ElementUnit::Count && v.fract() != 0.0 {
                        errs.push(format!(
                            "value {raw} is not a whole number; {element} is a count"
                        ));
                    }
                }
                Some(v)
            }
        };
        if let (Some(b), Some((eid, ..)), Some(m)) = (branch_id, el, month) {
            if let Some(first) = seen.insert((b, *eid, m.0), line) {
                errs.push(format!(
                    "duplicate of line {first} ({branch}, {m}, {element})"
                ));
            }
        }
        if !errs.is_empty() {
            push(&mut problems, format!("line {line}: {}", errs.join("; ")));
            continue;
        }
        if let (Some(branch_id), Some((element_id, ..)), Some(month), Some(value)) =
            (branch_id, el, month, value)
        {
            let comment = cc.map(get).filter(|c| !c.is_empty()).map(str::to_string);
            rows.push(Row {
                line,
                branch_id,
                branch: branch.to_string(),
                element_id: *element_id,
                element: element.to_string(),
                month,
                value,
                comment,
            });
        }
    }
    if bad > 0 {
        if bad > problems.len() {
            problems.push(format!("… and {} more bad rows", bad - problems.len()));
        }
        return Err(CoreError::new(
            ErrorCode::ImportRejected,
            format!("the file was not imported: {bad} bad row(s); fix them and import again (nothing was changed)"),
        )
        .with_details(problems));
    }
    if rows.is_empty() {
        return Err(CoreError::new(
            ErrorCode::ImportRejected,
            "the file has no data rows",
        ));
    }
    Ok(rows)
}

/// Writes validated rows in one transaction; returns (inserted, updated, unchanged).
pub fn write_rows(store: &mut Store, action: &str, rows: &[Row]) -> Result<(usize, usize, usize)> {
    store.write(action, |w| {
        let (mut ins, mut upd, mut same) = (0, 0, 0);
        let user = w.user().to_string();
        let now = w.now();
        for r in rows {
            let label = format!("{}/{}/{}", r.branch, r.month, r.element);
            let mut fields = vec![("value", Value::Real(r.value))];
            if let Some(c) = &r.comment {
                fields.push(("comment", Value::Text(c.clone())));
            }
            fields.push(("entered_by", Value::Text(user.clone())));
            fields.push(("entered_at", Value::Integer(now)));
            let key = [
                Value::Integer(r.element_id),
                Value::Integer(r.month.0 as i64),
                Value::Integer(r.branch_id),
            ];
            match w.set(&MEASUREMENT, &key, &label, &fields)? {
                Outcome::Inserted => ins += 1,
                Outcome::Updated => upd += 1,
                Outcome::Unchanged => same += 1,
            }
        }
        Ok((ins, upd, same))
    })
}

/// Counts what an import would do, without writing.
fn preview(store: &Store, rows: &[Row]) -> Result<(usize, usize, usize)> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT value, comment FROM measurement WHERE element_id = ?1 AND month = ?2 AND branch_id = ?3",
    )?;
    let (mut ins, mut upd, mut same) = (0, 0, 0);
    for r in rows {
        let old: Option<(f64, Option<String>)> =
            rusqlite::OptionalExtension::optional(stmt.query_row(
                rusqlite::params![r.element_id, r.month.0, r.branch_id],
                |x| Ok((x.get(0)?, x.get(1)?)),
            ))?;
        match old {
            None => ins += 1,
            Some((v, c)) if v == r.value && (r.comment.is_none() || r.comment == c) => same += 1,
            Some(_) => upd += 1,
        }
    }
    Ok((ins, upd, same))
}

pub fn import_csv_bytes(
    store: &mut Store,
    name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport> {
    let rows = parse_csv(store, bytes, current_month())?;
    let (inserted, updated, unchanged) = if dry_run {
        preview(store, &rows)?
    } else {
        crate::backup::before_change(store, crate::backup::BackupKind::BeforeImport)?;
        write_rows(store, &format!("import {name}"), &rows)?
    };
    Ok(ImportReport {
        file: name.to_string(),
        rows: rows.len(),
        inserted,
        updated,
        unchanged,
        dry_run,
    })
}

pub fn import_csv_file(store: &mut Store, path: &Path, dry_run: bool) -> Result<ImportReport> {
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
    import_csv_bytes(store, &name, &bytes, dry_run)
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
