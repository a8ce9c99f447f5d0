//! Saved mappings (table `import_mapping`, migration 0005): one per source, a source being a
//! file name pattern (lower case, digit runs as `*`) and the set of its headers. Written
//! through [`Store::write`] like everything else, but not synchronised: a mapping describes
//! this office's files, not the institution's data.

use super::parse::fold;
use super::Mapping;
use crate::error::{CoreError, Result};
use crate::store::{Store, Table, WriteTx};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde::Serialize;
use ts_rs::TS;

pub const IMPORT_MAPPING: Table = Table {
    name: "import_mapping",
    key: &["pattern", "headers"],
    unaudited: &["created_at", "used_at"],
};

#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedMapping {
    pub id: i64,
    /// File name pattern: `rapport-agences-*-*.xlsx`.
    pub pattern: String,
    /// The source's headers (folded, sorted).
    pub headers: Vec<String>,
    pub mapping: Mapping,
    /// Unix seconds.
    pub used_at: i64,
}

/// `Rapport_Agences 2025-03.XLSX` → `rapport_agences *-*.xlsx`.
pub fn pattern_of(file_name: &str) -> String {
    let mut out = String::new();
    let mut digits = false;
    for ch in file_name.trim().chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_digit() {
            if !digits {
                out.push('*');
            }
            digits = true;
        } else {
            digits = false;
            out.push(ch);
        }
    }
    out
}

/// The header set: folded, non-empty, sorted, unique.
pub fn signature(headers: &[String]) -> Vec<String> {
    let mut v: Vec<String> = headers
        .iter()
        .map(|h| fold(h))
        .filter(|h| !h.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| CoreError::invalid(format!("cannot write the mapping as JSON: {e}")))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn decode(raw: (i64, String, String, String, i64)) -> Option<SavedMapping> {
    let (id, pattern, headers, mapping, used_at) = raw;
    Some(SavedMapping {
        id,
        pattern,
        headers: serde_json::from_str(&headers).ok()?,
        mapping: serde_json::from_str(&mapping).ok()?,
        used_at,
    })
}

/// The saved mapping for this source: same pattern and headers, else the same headers under
/// another file name (the most recently used).
pub fn find(
    conn: &rusqlite::Connection,
    file_name: &str,
    headers: &[String],
) -> Result<Option<SavedMapping>> {
    let sig = to_json(&signature(headers))?;
    let exact = conn
        .prepare_cached("SELECT id, pattern, headers, mapping, used_at FROM import_mapping WHERE pattern = ?1 AND headers = ?2")?
        .query_row([pattern_of(file_name), sig.clone()], row)
        .optional()?;
    let any = match exact {
        Some(x) => Some(x),
        None => conn
            .prepare_cached("SELECT id, pattern, headers, mapping, used_at FROM import_mapping WHERE headers = ?1 ORDER BY used_at DESC, id DESC LIMIT 1")?
            .query_row([sig], row)
            .optional()?,
    };
    Ok(any.and_then(decode))
}

/// Saves inside a write transaction (not captured for synchronisation).
pub fn save_in(
    w: &mut WriteTx<'_>,
    file_name: &str,
    headers: &[String],
    mapping: &Mapping,
) -> Result<i64> {
    let pattern = pattern_of(file_name);
    let sig = to_json(&signature(headers))?;
    // Without the month: it is one file's (given for a sheet without a month column), and the
    // next file of the source is another month.
    let json = to_json(&Mapping {
        period: None,
        ..mapping.clone()
    })?;
    let now = w.now();
    let capture = w.without_capture();
    let key = [Value::Text(pattern.clone()), Value::Text(sig.clone())];
    let r = w.set(
        &IMPORT_MAPPING,
        &key,
        &format!("mapping {pattern}"),
        &[
            ("mapping", Value::Text(json)),
            ("created_at", Value::Integer(now)),
            ("used_at", Value::Integer(now)),
        ],
    );
    w.restore_capture(capture);
    r?;
    let id: i64 = w.conn().query_row(
        "SELECT id FROM import_mapping WHERE pattern = ?1 AND headers = ?2",
        [pattern, sig],
        |r| r.get(0),
    )?;
    Ok(id)
}

pub fn save(
    store: &mut Store,
    file_name: &str,
    headers: &[String],
    mapping: &Mapping,
) -> Result<SavedMapping> {
    validate(mapping)?;
    let id = store.write(&format!("save import mapping for {file_name}"), |w| {
        save_in(w, file_name, headers, mapping)
    })?;
    list(store.conn())?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| CoreError::not_found("the saved mapping disappeared"))
}

fn validate(mapping: &Mapping) -> Result<()> {
    for c in &mapping.columns {
        if c.role == super::Role::Data && c.element.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(CoreError::invalid(format!(
                "column '{}' is mapped to a data element but names none",
                c.header
            ))
            .on_field("mapping"));
        }
    }
    if !matches!(mapping.header_rows, None | Some(1) | Some(2)) {
        return Err(CoreError::invalid("a header has 1 or 2 rows").on_field("header_rows"));
    }
    Ok(())
}

pub fn list(conn: &rusqlite::Connection) -> Result<Vec<SavedMapping>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, pattern, headers, mapping, used_at FROM import_mapping ORDER BY used_at DESC, id DESC",
    )?;
    let rows = stmt.query_map([], row)?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(m) = decode(r?) {
            out.push(m);
        }
    }
    Ok(out)
}

pub fn delete(store: &mut Store, id: i64) -> Result<()> {
    let key: Option<(String, String)> = store
        .conn()
        .query_row(
            "SELECT pattern, headers FROM import_mapping WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((pattern, headers)) = key else {
        return Err(CoreError::not_found(format!(
            "there is no saved mapping {id}"
        )));
    };
    store.write("delete import mapping", |w| {
        let capture = w.without_capture();
        let r = w.delete(
            &IMPORT_MAPPING,
            &[Value::Text(pattern.clone()), Value::Text(headers)],
            &format!("mapping {pattern}"),
        );
        w.restore_capture(capture);
        r.map(|_| ())
    })
}

/// `mizani check`: every saved mapping reads back, is valid, and maps only to data elements
/// that exist.
pub fn check(conn: &rusqlite::Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let codes: std::collections::HashSet<String> = conn
        .prepare("SELECT code FROM data_element")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn
        .prepare("SELECT id, pattern, headers, mapping, used_at FROM import_mapping ORDER BY id")?;
    let rows = stmt.query_map([], row)?;
    for r in rows {
        let raw = r?;
        let (id, pattern) = (raw.0, raw.1.clone());
        let Some(m) = decode(raw) else {
            problems.push(format!(
                "saved import mapping {id} ({pattern}) cannot be read; forget it in the import wizard"
            ));
            continue;
        };
        if let Err(e) = validate(&m.mapping) {
            problems.push(format!(
                "saved import mapping {id} ({pattern}): {}",
                e.message
            ));
        }
        for c in &m.mapping.columns {
            if let Some(e) = c.element.as_deref().filter(|e| !codes.contains(*e)) {
                problems.push(format!(
                    "saved import mapping {id} ({pattern}): column '{}' maps to the data element '{e}', which does not exist",
                    c.header
                ));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_hide_the_dates() {
        assert_eq!(
            pattern_of("Rapport_Agences 2025-03.XLSX"),
            "rapport_agences *-*.xlsx",
            "digit runs become *"
        );
        assert_eq!(pattern_of("mis.csv"), "mis.csv", "no digits, no change");
    }
}
