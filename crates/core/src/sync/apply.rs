//! Merging received changes: last-writer-wins per field by (hybrid logical clock, origin uid),
//! the same decision on every site whatever the order of arrival. A created row (`+`) sets
//! every column at its clock; a deleted row (`-`) wins over creations older than itself and
//! stops later field changes from bringing a half row back. A change that did not overwrite
//! the version this site has (its `prev` differs) was made concurrently: both versions go to
//! the conflict log when their values differ.

use super::capture::{from_json, key_json, newest, row_versions};
use super::{refused, site_id, WireChange, WireSite};
use crate::error::Result;
use crate::store::{data_table, Table, WriteTx, MEASUREMENT};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashMap};

/// Records a received change in the log (without applying it).
pub(crate) fn insert_change(
    conn: &Connection,
    origin: i64,
    c: &WireChange,
    prev: Option<(i64, i64)>,
) -> Result<()> {
    let val = if c.c == "-" {
        None
    } else {
        Some(c.v.to_string())
    };
    conn.prepare_cached(
        "INSERT INTO change (origin, seq, hlc, tbl, key, col, val, prev_hlc, prev_origin) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        origin,
        c.s,
        c.h,
        c.t,
        c.k.to_string(),
        c.c,
        val,
        prev.map(|p| p.0),
        prev.map(|p| p.1)
    ])?;
    Ok(())
}

/// A readable name for a row: measurements by branch, month and element code.
fn label(conn: &Connection, table: &Table, key: &[Value]) -> Result<String> {
    if table.name == MEASUREMENT.name {
        if let [Value::Integer(e), Value::Integer(m), Value::Integer(b)] = key {
            let el: Option<String> = conn
                .query_row("SELECT code FROM data_element WHERE id = ?1", [e], |r| {
                    r.get(0)
                })
                .optional()?;
            let br: Option<String> = conn
                .query_row("SELECT code FROM branch WHERE id = ?1", [b], |r| r.get(0))
                .optional()?;
            let month = crate::period::Month(*m as i32);
            return Ok(format!(
                "{} {month} {}",
                br.unwrap_or_else(|| b.to_string()),
                el.unwrap_or_else(|| e.to_string())
            ));
        }
    }
    let k: Vec<String> = key
        .iter()
        .map(|v| match v {
            Value::Integer(i) => i.to_string(),
            Value::Text(t) => t.clone(),
            Value::Real(r) => r.to_string(),
            _ => String::new(),
        })
        .collect();
    Ok(format!("{} {}", table.name.replace('_', " "), k.join("/")))
}

fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn row_exists(conn: &Connection, table: &Table, key: &[Value]) -> Result<bool> {
    let w: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect();
    Ok(conn.query_row(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {})",
            table.name,
            w.join(" AND ")
        ),
        rusqlite::params_from_iter(key.iter()),
        |r| r.get(0),
    )?)
}

fn current_value(
    conn: &Connection,
    table: &Table,
    key: &[Value],
    col: &str,
) -> Result<serde_json::Value> {
    let w: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect();
    let v: Option<Value> = conn
        .query_row(
            &format!(
                "SELECT \"{}\" FROM {} WHERE {}",
                col.replace('"', ""),
                table.name,
                w.join(" AND ")
            ),
            rusqlite::params_from_iter(key.iter()),
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.map(|v| super::capture::to_json(&v))
        .unwrap_or(serde_json::Value::Null))
}

struct Ctx<'a> {
    uids: HashMap<i64, String>,
    report: &'a mut super::PackageImportReport,
}

impl Ctx<'_> {
    fn uid(&mut self, conn: &Connection, id: i64) -> Result<String> {
        if let Some(u) = self.uids.get(&id) {
            return Ok(u.clone());
        }
        let u = super::site_uid(conn, id)?;
        self.uids.insert(id, u.clone());
        Ok(u)
    }
}

#[allow(clippy::too_many_arguments)]
fn log_conflict(
    w: &WriteTx<'_>,
    table: &Table,
    key: &str,
    col: &str,
    label: &str,
    winner: (&serde_json::Value, &str, i64),
    loser: (&serde_json::Value, &str, i64),
) -> Result<bool> {
    let n = w.conn().execute(
        "INSERT OR IGNORE INTO sync_conflict (detected_at, tbl, key, col, label, winner_val, winner_site, winner_hlc, loser_val, loser_site, loser_hlc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            w.now(),
            table.name,
            key,
            col,
            label,
            winner.0.to_string(),
            winner.1,
            winner.2,
            loser.0.to_string(),
            loser.1,
            loser.2
        ],
    )?;
    Ok(n > 0)
}

/// The value a version stands for: a field change's own value, or the column of a creation.
fn version_value(
    conn: &Connection,
    table: &str,
    key: &str,
    col: &str,
    hlc: i64,
    origin: i64,
) -> Result<serde_json::Value> {
    let rows: Vec<(String, Option<String>)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT col, val FROM change WHERE tbl = ?1 AND key = ?2 AND hlc = ?3 AND origin = ?4",
        )?;
        let r = stmt.query_map(params![table, key, hlc, origin], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        r.collect::<rusqlite::Result<_>>()?
    };
    for (c, v) in rows {
        let v: serde_json::Value = v
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(serde_json::Value::Null);
        if c == col {
            return Ok(v);
        }
        if c == "+" {
            if let Some(x) = v.get(col) {
                return Ok(x.clone());
            }
        }
    }
    Ok(serde_json::Value::Null)
}

#[allow(clippy::too_many_arguments)]
fn apply_field(
    w: &mut WriteTx<'_>,
    ctx: &mut Ctx<'_>,
    table: &Table,
    key: &[Value],
    key_text: &str,
    versions: &[(String, i64, String, i64)],
    col: &str,
    value: &serde_json::Value,
    me: (i64, &str),
    prev: Option<(i64, i64)>,
) -> Result<()> {
    let Some(v) = from_json(value) else {
        return Err(refused(format!(
            "the package has an unreadable value for {}.{col}",
            table.name
        )));
    };
    let local = newest(versions, col);
    let newer = local.is_none_or(|l| (me.0, me.1) > (l.1, l.2.as_str()));
    let meta = table.unaudited.contains(&col);
    let label = label(w.conn(), table, key)?;
    if newer {
        let before = current_value(w.conn(), table, key, col)?;
        if meta {
            // Row metadata (who entered a value, when): not audited, so `set` would skip it.
            let wh: Vec<String> = table
                .key
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{k} = ?{}", i + 2))
                .collect();
            let sql = format!(
                "UPDATE {} SET \"{}\" = ?1 WHERE {}",
                table.name,
                col.replace('"', ""),
                wh.join(" AND ")
            );
            let vals: Vec<&Value> = std::iter::once(&v).chain(key.iter()).collect();
            w.conn().execute(&sql, rusqlite::params_from_iter(vals))?;
        } else {
            w.set(table, key, &label, &[(col, v)])?;
        }
        if let Some(l) = local.filter(|l| prev != Some((l.1, l.3)) && !meta) {
            if !same(&before, value)
                && log_conflict(
                    w,
                    table,
                    key_text,
                    col,
                    &label,
                    (value, me.1, me.0),
                    (&before, &l.2, l.1),
                )?
            {
                ctx.report.conflicts += 1;
            }
        }
    } else if let Some(l) = local {
        let kept = version_value(w.conn(), table.name, key_text, col, l.1, l.3)?;
        if !meta && !same(&kept, value) {
            let luid = l.2.clone();
            if log_conflict(
                w,
                table,
                key_text,
                col,
                &label,
                (&kept, &luid, l.1),
                (value, me.1, me.0),
            )? {
                ctx.report.conflicts += 1;
            }
        }
    }
    Ok(())
}

fn apply_one(w: &mut WriteTx<'_>, ctx: &mut Ctx<'_>, origin: i64, c: &WireChange) -> Result<()> {
    let conn = w.conn();
    let table = data_table(&c.t).ok_or_else(|| refused(format!("unknown table '{}'", c.t)))?;
    let key: Vec<Value> =
        c.k.as_array()
            .map(|a| a.iter().filter_map(from_json).collect())
            .unwrap_or_default();
    if key.len() != table.key.len() {
        return Err(refused(format!("a change to {} has a malformed key", c.t)));
    }
    let key_text = key_json(&key);
    let versions = row_versions(conn, table.name, &key_text)?;
    let prev = match &c.p {
        Some((h, o)) => Some((*h, site_id(conn, o)?.unwrap_or(-1))),
        None => None,
    };
    insert_change(conn, origin, c, prev)?;
    let uid = ctx.uid(conn, origin)?;
    let me = (c.h, uid.as_str());
    let created = newest(&versions, "+");
    let deleted = newest(&versions, "-");
    let exists = row_exists(conn, table, &key)?;
    match c.c.as_str() {
        "-" => {
            if created.is_none_or(|p| (me.0, me.1) > (p.1, p.2.as_str())) && exists {
                let label = label(conn, table, &key)?;
                w.delete(table, &key, &label)?;
            }
        }
        "+" => {
            if deleted.is_some_and(|d| (d.1, d.2.as_str()) > (me.0, me.1)) {
                return Ok(());
            }
            let obj =
                c.v.as_object()
                    .ok_or_else(|| refused(format!("a created row of {} has no values", c.t)))?;
            if exists {
                for (col, v) in obj {
                    apply_field(w, ctx, table, &key, &key_text, &versions, col, v, me, None)?;
                }
            } else {
                // Each column: this creation's value unless a newer change of it arrived first.
                let mut fields: Vec<(String, Value)> = Vec::new();
                for (col, v) in obj {
                    let mut value = v.clone();
                    if let Some(l) =
                        newest(&versions, col).filter(|l| (l.1, l.2.as_str()) > (me.0, me.1))
                    {
                        value = version_value(conn, table.name, &key_text, col, l.1, l.3)?;
                    }
                    let v = from_json(&value).ok_or_else(|| {
                        refused(format!("an unreadable value in a created row of {}", c.t))
                    })?;
                    fields.push((col.clone(), v));
                }
                let label = label(conn, table, &key)?;
                let f: Vec<(&str, Value)> = fields
                    .iter()
                    .map(|(c, v)| (c.as_str(), v.clone()))
                    .collect();
                let data: Vec<(&str, Value)> = f
                    .into_iter()
                    .filter(|(c, _)| !table.key.contains(c))
                    .collect();
                w.set(table, &key, &label, &data)?;
            }
        }
        col => {
            if exists {
                apply_field(
                    w, ctx, table, &key, &key_text, &versions, col, &c.v, me, prev,
                )?;
            }
        }
    }
    Ok(())
}

/// Applies a verified package's changes in order, skipping those this site has, and records
/// the sender's acknowledgements. Runs inside the import's transaction.
pub(crate) fn apply_package(
    w: &mut WriteTx<'_>,
    sender: i64,
    sites: &[WireSite],
    changes: &[WireChange],
    acks: &BTreeMap<String, i64>,
    report: &mut super::PackageImportReport,
) -> Result<()> {
    // Origins relayed by head office that this site has not met yet.
    for s in sites {
        if site_id(w.conn(), &s.uid)?.is_none() {
            w.conn().execute(
                "INSERT INTO site (uid, role, name) VALUES (?1, ?2, ?3)",
                params![s.uid, s.role.as_str(), s.name],
            )?;
        }
    }
    let mut seen: HashMap<i64, i64> = HashMap::new();
    let mut ctx = Ctx {
        uids: HashMap::new(),
        report,
    };
    let mut max_hlc = 0i64;
    let mut blocked: Vec<i64> = Vec::new();
    for c in changes {
        let origin = match site_id(w.conn(), &c.o)? {
            Some(o) => o,
            None => {
                w.conn().execute(
                    "INSERT INTO site (uid, role, name) VALUES (?1, 'branch', '')",
                    [&c.o],
                )?;
                w.conn().last_insert_rowid()
            }
        };
        let have = match seen.get(&origin) {
            Some(s) => *s,
            None => w
                .conn()
                .query_row(
                    "SELECT seq FROM site_seen WHERE origin = ?1",
                    [origin],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0),
        };
        if c.s <= have {
            ctx.report.duplicates += 1;
            continue;
        }
        if c.s > have + 1 || blocked.contains(&origin) {
            // An earlier change of this origin is missing: keep order, wait for a later package.
            blocked.push(origin);
            ctx.report.deferred += 1;
            continue;
        }
        apply_one(w, &mut ctx, origin, c)?;
        seen.insert(origin, c.s);
        max_hlc = max_hlc.max(c.h);
        ctx.report.applied += 1;
    }
    for (origin, seq) in &seen {
        w.conn().execute(
            "INSERT INTO site_seen (origin, seq) VALUES (?1, ?2) \
             ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq)",
            params![origin, seq],
        )?;
    }
    for (uid, seq) in acks {
        if let Some(o) = site_id(w.conn(), uid)? {
            w.conn().execute(
                "INSERT INTO peer_ack (peer, origin, seq) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (peer, origin) DO UPDATE SET seq = max(seq, excluded.seq)",
                params![sender, o, seq],
            )?;
        }
    }
    w.conn().execute(
        "INSERT INTO sync_state (id, hlc) VALUES (1, ?1) \
         ON CONFLICT (id) DO UPDATE SET hlc = max(hlc, excluded.hlc)",
        [max_hlc],
    )?;
    Ok(())
}
