//! Change capture: the part of synchronisation that runs inside every write transaction
//! ([`crate::store::WriteTx`]). When this database is a site with at least one peer, every
//! created row, changed field and deleted row is appended to the `change` table with this
//! site as origin, the next sequence number, a hybrid-logical-clock time and the version of
//! the field it overwrote. A branch site may change only its own branches' measurements.

use crate::error::{CoreError, ErrorCode, Result};
use crate::store::{Table, MEASUREMENT};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

/// Change capture state for one write transaction.
#[derive(Debug)]
pub struct Capture {
    pub site: i64,
    pub branch_site: bool,
    /// Branch ids a branch site owns.
    pub owned: Vec<i64>,
    pub hlc: i64,
    pub seq: i64,
    pub dirty: bool,
}

/// The capture for a new write transaction, or `None` when this database does not synchronise
/// (no site of its own, or no peer yet: an enrolment file snapshots everything before).
pub fn load(conn: &Connection) -> Result<Option<Capture>> {
    let me: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, role FROM site WHERE is_self = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((site, role)) = me else {
        return Ok(None);
    };
    let peers: i64 = conn
        .prepare_cached("SELECT count(*) FROM site WHERE is_self = 0 AND public_key IS NOT NULL")?
        .query_row([], |r| r.get(0))?;
    if peers == 0 {
        return Ok(None);
    }
    let hlc: i64 = conn
        .prepare_cached("SELECT coalesce((SELECT hlc FROM sync_state WHERE id = 1), 0)")?
        .query_row([], |r| r.get(0))?;
    let seq: i64 = conn
        .prepare_cached("SELECT coalesce((SELECT seq FROM site_seen WHERE origin = ?1), 0)")?
        .query_row([site], |r| r.get(0))?;
    let branch_site = role == "branch";
    let owned = if branch_site {
        let mut stmt =
            conn.prepare_cached("SELECT branch_id FROM site_branch WHERE site_id = ?1")?;
        let rows = stmt.query_map([site], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<i64>>>()?
    } else {
        Vec::new()
    };
    Ok(Some(Capture {
        site,
        branch_site,
        owned,
        hlc,
        seq,
        dirty: false,
    }))
}

/// Milliseconds since the epoch shifted into a hybrid logical clock value.
pub fn wall_hlc() -> i64 {
    chrono::Utc::now().timestamp_millis() << 16
}

/// JSON of a key or a value, the same text on every site.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Real(r) => serde_json::Number::from_f64(*r)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(t) => serde_json::Value::String(t.clone()),
        Value::Blob(b) => serde_json::Value::from(b.clone()),
    }
}

/// The SQLite value of a JSON scalar written by [`to_json`].
pub fn from_json(v: &serde_json::Value) -> Option<Value> {
    Some(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Integer(i)
            } else {
                Value::Real(n.as_f64()?)
            }
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        _ => return None,
    })
}

pub fn key_json(key: &[Value]) -> String {
    serde_json::Value::Array(key.iter().map(to_json).collect()).to_string()
}

/// The version (hlc, origin site id) of every column of a row, from the change log: the
/// newest of the row's creations and the column's own changes. Ties on hlc are broken by the
/// origin's uid, the same on every site.
pub fn row_versions(
    conn: &Connection,
    table: &str,
    key: &str,
) -> Result<Vec<(String, i64, String, i64)>> {
    // (col, hlc, origin uid, origin id) of every change of the row.
    let mut stmt = conn.prepare_cached(
        "SELECT c.col, c.hlc, s.uid, c.origin, c.val FROM change c JOIN site s ON s.id = c.origin \
         WHERE c.tbl = ?1 AND c.key = ?2",
    )?;
    let rows = stmt.query_map(params![table, key], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out: Vec<(String, i64, String, i64)> = Vec::new();
    for row in rows {
        let (col, hlc, uid, origin, val) = row?;
        if col == "+" {
            let obj: serde_json::Map<String, serde_json::Value> = val
                .as_deref()
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or_default();
            for c in obj.keys() {
                out.push((c.clone(), hlc, uid.clone(), origin));
            }
        }
        out.push((col, hlc, uid, origin));
    }
    Ok(out)
}

/// The newest version of `col` among `versions` (see [`row_versions`]).
pub fn newest<'a>(
    versions: &'a [(String, i64, String, i64)],
    col: &str,
) -> Option<&'a (String, i64, String, i64)> {
    versions
        .iter()
        .filter(|v| v.0 == col)
        .max_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)))
}

impl Capture {
    /// Refuses, at a branch site, a change to anything but its own branches' measurements.
    pub fn check_owner(
        &self,
        conn: &Connection,
        table: &Table,
        key: Option<&[Value]>,
    ) -> Result<()> {
        if !self.branch_site {
            return Ok(());
        }
        if table.name == MEASUREMENT.name {
            if let Some(Value::Integer(b)) = key.and_then(|k| k.get(2)) {
                if self.owned.contains(b) {
                    return Ok(());
                }
                let code: Option<String> = conn
                    .query_row("SELECT code FROM branch WHERE id = ?1", [b], |r| r.get(0))
                    .optional()?;
                return Err(CoreError::new(
                    ErrorCode::NotOwned,
                    format!(
                        "this computer is a branch site: it enters data for its own branches only, not for branch {}; head office enters or corrects that branch's data",
                        code.unwrap_or_else(|| b.to_string())
                    ),
                ));
            }
        }
        Err(CoreError::new(
            ErrorCode::NotOwned,
            format!(
                "this computer is a branch site: institution-wide data ({}) is changed at head office and arrives with the next package",
                table.name.replace('_', " ")
            ),
        ))
    }

    fn next(&mut self) -> (i64, i64) {
        self.hlc = (self.hlc + 1).max(wall_hlc());
        self.seq += 1;
        self.dirty = true;
        (self.seq, self.hlc)
    }

    fn record(
        &mut self,
        conn: &Connection,
        table: &str,
        key: &str,
        col: &str,
        val: Option<String>,
        prev: Option<(i64, i64)>,
    ) -> Result<()> {
        let (seq, hlc) = self.next();
        conn.prepare_cached(
            "INSERT INTO change (origin, seq, hlc, tbl, key, col, val, prev_hlc, prev_origin) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            self.site,
            seq,
            hlc,
            table,
            key,
            col,
            val,
            prev.map(|p| p.0),
            prev.map(|p| p.1)
        ])?;
        Ok(())
    }

    pub fn row_created(
        &mut self,
        conn: &Connection,
        table: &Table,
        key: &[Value],
        fields: &[(&str, Value)],
    ) -> Result<()> {
        let mut obj = serde_json::Map::new();
        for (c, v) in fields {
            obj.insert((*c).to_string(), to_json(v));
        }
        let val = serde_json::Value::Object(obj).to_string();
        self.record(conn, table.name, &key_json(key), "+", Some(val), None)
    }

    pub fn fields_set(
        &mut self,
        conn: &Connection,
        table: &Table,
        key: &[Value],
        fields: &[(&str, &Value)],
    ) -> Result<()> {
        let k = key_json(key);
        let versions = row_versions(conn, table.name, &k)?;
        for (c, v) in fields {
            let prev = newest(&versions, c).map(|p| (p.1, p.3));
            let val = to_json(v).to_string();
            self.record(conn, table.name, &k, c, Some(val), prev)?;
        }
        Ok(())
    }

    pub fn row_deleted(&mut self, conn: &Connection, table: &Table, key: &[Value]) -> Result<()> {
        self.record(conn, table.name, &key_json(key), "-", None, None)
    }

    /// Writes the clock and this site's last sequence number (at commit).
    pub fn save(&self, conn: &Connection) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        conn.prepare_cached(
            "INSERT INTO sync_state (id, hlc) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET hlc = max(hlc, excluded.hlc)",
        )?
        .execute([self.hlc])?;
        conn.prepare_cached(
            "INSERT INTO site_seen (origin, seq) VALUES (?1, ?2) \
             ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq)",
        )?
        .execute([self.site, self.seq])?;
        Ok(())
    }
}
