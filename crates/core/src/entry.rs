//! Monthly data entry for one branch: the grid (every data element with this month's value,
//! comment and the previous month beside it), the all-or-nothing save with per-cell errors,
//! and reporting completeness per branch and month.

use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::import::parse_number;
use crate::model::{ElementKind, ElementUnit, Names};
use crate::period::Month;
use crate::store::{Outcome, Store, MEASUREMENT};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct EntryRow {
    pub element: String,
    pub name: Names,
    pub kind: ElementKind,
    pub unit: ElementUnit,
    pub allow_negative: bool,
    pub value: Option<f64>,
    pub comment: Option<String>,
    /// The value of the month before (for the implausible-jump warning).
    pub previous: Option<f64>,
    pub entered_by: Option<String>,
    /// Unix seconds.
    pub entered_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EntryGrid {
    pub branch: String,
    pub branch_name: String,
    pub month: String,
    pub previous_month: String,
    pub rows: Vec<EntryRow>,
    /// How many elements have a value this month.
    pub filled: u32,
}

/// One cell as typed by the user. `value` is the raw text (decimal point or comma); empty
/// clears the value. `comment`: absent keeps it, empty clears it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EntryCell {
    pub element: String,
    pub value: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EntrySaveReport {
    pub inserted: u32,
    pub updated: u32,
    pub deleted: u32,
    pub unchanged: u32,
}

fn branch_of(store: &Store, code: &str) -> Result<(i64, String)> {
    store
        .conn()
        .query_row("SELECT id, name FROM branch WHERE code = ?1", [code], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or_else(|| CoreError::field("branch", format!("there is no branch '{code}'")))
}

fn month_of(s: &str) -> Result<Month> {
    let m = Month::parse(s).map_err(|e| e.on_field("month"))?;
    if m > crate::import::current_month() {
        return Err(CoreError::field("month", format!("{m} is in the future")));
    }
    Ok(m)
}

pub fn entry_grid(store: &Store, branch: &str, month: &str) -> Result<EntryGrid> {
    crate::repo::organisation(store.conn())?;
    let (bid, bname) = branch_of(store, branch)?;
    let m = Month::parse(month).map_err(|e| e.on_field("month"))?;
    let mut stmt = store.conn().prepare_cached(
        "SELECT e.code, e.name, e.name_fr, e.name_es, e.kind, e.unit, e.allow_negative,
                cur.value, cur.comment, prev.value, cur.entered_by, cur.entered_at
         FROM data_element e
         LEFT JOIN measurement cur ON cur.element_id = e.id AND cur.month = ?2 AND cur.branch_id = ?1
         LEFT JOIN measurement prev ON prev.element_id = e.id AND prev.month = ?3 AND prev.branch_id = ?1
         ORDER BY e.id",
    )?;
    let rows = stmt.query_map(rusqlite::params![bid, m.0, m.prev().0], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Names {
                en: r.get(1)?,
                fr: r.get(2)?,
                es: r.get(3)?,
            },
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, bool>(6)?,
            (r.get::<_, Option<f64>>(7)?, r.get::<_, Option<String>>(8)?),
            r.get::<_, Option<f64>>(9)?,
            (
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<i64>>(11)?,
            ),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (element, name, kind, unit, allow_negative, (value, comment), previous, (by, at)) =
            row?;
        out.push(EntryRow {
            element,
            name,
            kind: ElementKind::parse(&kind)?,
            unit: ElementUnit::parse(&unit)?,
            allow_negative,
            value,
            comment,
            previous,
            entered_by: by,
            entered_at: at,
        });
    }
    let filled = out.iter().filter(|r| r.value.is_some()).count() as u32;
    Ok(EntryGrid {
        branch: branch.to_string(),
        branch_name: bname,
        month: m.to_string(),
        previous_month: m.prev().to_string(),
        rows: out,
        filled,
    })
}

/// Validates every cell first; if any is wrong, nothing is written and the error lists each
/// bad cell by element code. Otherwise all cells are written in one transaction.
pub fn entry_save(
    store: &mut Store,
    branch: &str,
    month: &str,
    cells: &[EntryCell],
) -> Result<EntrySaveReport> {
    crate::repo::organisation(store.conn())?;
    let (bid, _) = branch_of(store, branch)?;
    let m = month_of(month)?;
    let elements = crate::repo::elements(store.conn())?;
    let mut problems: Vec<FieldError> = Vec::new();
    // (element id, code, Some(value) | None = clear, comment)
    let mut plan: Vec<(i64, String, Option<f64>, Option<String>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in cells {
        let code = c.element.trim();
        let mut bad = |msg: String| {
            problems.push(FieldError {
                field: code.to_string(),
                message: msg,
                position: None,
            })
        };
        let Some(e) = elements.iter().find(|e| e.code == code) else {
            bad(format!("'{code}' is not a data element"));
            continue;
        };
        if !seen.insert(code.to_string()) {
            bad(format!("{code} is given twice"));
            continue;
        }
        let raw = c.value.trim();
        let value = if raw.is_empty() {
            None
        } else {
            match parse_number(raw) {
                None => {
                    bad(format!("'{raw}' is not a number"));
                    continue;
                }
                Some(v) if v < 0.0 && !e.allow_negative => {
                    bad(format!("{raw} is negative; {code} cannot be negative"));
                    continue;
                }
                Some(v) if e.unit == ElementUnit::Count && v.fract() != 0.0 => {
                    bad(format!("{raw} is not a whole number; {code} is a count"));
                    continue;
                }
                Some(v) => Some(v),
            }
        };
        let comment = c.comment.as_ref().map(|t| t.trim().to_string());
        if value.is_none() && comment.as_ref().is_some_and(|t| !t.is_empty()) {
            bad("a comment needs a value: enter the figure, or leave both empty".into());
            continue;
        }
        if comment.as_ref().is_some_and(|t| t.chars().count() > 1000) {
            bad("the comment is longer than 1000 characters".into());
            continue;
        }
        plan.push((e.id, code.to_string(), value, comment));
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(CoreError::new(
            ErrorCode::InvalidInput,
            format!("{n} value(s) need fixing; nothing was saved"),
        )
        .with_fields(problems));
    }
    store.write(&format!("data entry {branch} {m}"), |w| {
        let mut rep = EntrySaveReport {
            inserted: 0,
            updated: 0,
            deleted: 0,
            unchanged: 0,
        };
        let user = w.user().to_string();
        let now = w.now();
        for (eid, code, value, comment) in &plan {
            let key = [
                Value::Integer(*eid),
                Value::Integer(m.0 as i64),
                Value::Integer(bid),
            ];
            let label = format!("{branch}/{m}/{code}");
            match value {
                None => {
                    if w.delete(&MEASUREMENT, &key, &label)? {
                        rep.deleted += 1;
                    } else {
                        rep.unchanged += 1;
                    }
                }
                Some(v) => {
                    let mut fields = vec![("value", Value::Real(*v))];
                    if let Some(c) = comment {
                        fields.push((
                            "comment",
                            if c.is_empty() {
                                Value::Null
                            } else {
                                Value::Text(c.clone())
                            },
                        ));
                    }
                    fields.push(("entered_by", Value::Text(user.clone())));
                    fields.push(("entered_at", Value::Integer(now)));
                    match w.set(&MEASUREMENT, &key, &label, &fields)? {
                        Outcome::Inserted => rep.inserted += 1,
                        Outcome::Updated => rep.updated += 1,
                        Outcome::Unchanged => rep.unchanged += 1,
                    }
                }
            }
        }
        Ok(rep)
    })
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CompletenessRow {
    pub branch: String,
    pub name: String,
    pub region: Option<String>,
    /// Number of data elements with a value, per month (same order as `months`).
    pub counts: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Completeness {
    pub months: Vec<String>,
    /// Number of data elements (a complete branch-month has this many values).
    pub elements: u32,
    pub rows: Vec<CompletenessRow>,
}

/// Values entered per branch and month, for the `months` months ending at `last`.
pub fn completeness(store: &Store, last: &str, months: u32) -> Result<Completeness> {
    crate::repo::organisation(store.conn())?;
    let last = Month::parse(last).map_err(|e| e.on_field("month"))?;
    let months = months.clamp(1, 120) as i32;
    let first = last.plus(1 - months);
    let elements: u32 = store
        .conn()
        .query_row("SELECT count(*) FROM data_element", [], |r| r.get(0))?;
    let branches = crate::repo::branches(store.conn())?;
    let mut rows: Vec<CompletenessRow> = branches
        .iter()
        .filter(|b| b.active)
        .map(|b| CompletenessRow {
            branch: b.code.clone(),
            name: b.name.clone(),
            region: b.region.clone(),
            counts: vec![0; months as usize],
        })
        .collect();
    let index: std::collections::HashMap<i64, usize> = branches
        .iter()
        .filter(|b| b.active)
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    let mut stmt = store.conn().prepare_cached(
        // Driven from the branch table so SQLite uses the (branch_id, month) index instead of
        // scanning every measurement.
        "SELECT b.id, m.month, count(*) FROM branch b CROSS JOIN measurement m
         WHERE m.branch_id = b.id AND m.month BETWEEN ?1 AND ?2 GROUP BY b.id, m.month",
    )?;
    let q = stmt.query_map([first.0, last.0], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i32>(1)?,
            r.get::<_, u32>(2)?,
        ))
    })?;
    for row in q {
        let (b, m, n) = row?;
        if let Some(&i) = index.get(&b) {
            rows[i].counts[(m - first.0) as usize] = n;
        }
    }
    Ok(Completeness {
        months: (0..months).map(|k| first.plus(k).to_string()).collect(),
        elements,
        rows,
    })
}
