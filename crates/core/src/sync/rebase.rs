//! A restore at a synchronising site. The restored backup's change log ends earlier than the
//! log the other sites already know: without care, the site's next changes would reuse
//! sequence numbers head office has seen (and ignores as duplicates), and the values the
//! restore undid would stay at head office. So a restore (crates/core/src/backup.rs) takes the
//! site's own changes the backup lacks ([`lost_changes`]) before the swap and, after it,
//! [`rebase`] puts them back into the change log (its numbering stays contiguous and moves
//! only forward) and records the restored state of every row they touched as new changes (a
//! newer clock: at the other sites they win over the undone values).

use super::capture::{from_json, key_json};
use crate::error::Result;
use crate::store::{data_table, Store};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

/// One change of this site's log, with the overwritten version's origin by uid (site ids are
/// local to a database).
#[derive(Debug, Clone)]
struct LostChange {
    seq: i64,
    hlc: i64,
    tbl: String,
    key: String,
    col: String,
    val: Option<String>,
    prev_hlc: Option<i64>,
    prev_origin: Option<String>,
}

/// This site's changes in the current database that a backup does not hold.
#[derive(Debug, Clone)]
pub struct LostChanges {
    site_uid: String,
    high_seq: i64,
    high_hlc: i64,
    changes: Vec<LostChange>,
}

fn own_site(conn: &Connection) -> Result<Option<(i64, String, i64)>> {
    let me: Option<(i64, String)> = conn
        .query_row("SELECT id, uid FROM site WHERE is_self = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((id, uid)) = me else { return Ok(None) };
    let seq: i64 = conn.query_row(
        "SELECT coalesce((SELECT seq FROM site_seen WHERE origin = ?1), 0)",
        [id],
        |r| r.get(0),
    )?;
    Ok(Some((id, uid, seq)))
}

/// The changes this site made in `current` after the state held by `backup` (None when the
/// database does not synchronise, the backup is of another site, or it lacks nothing).
pub fn lost_changes(current: &Connection, backup: &Connection) -> Result<Option<LostChanges>> {
    let has_sync = |c: &Connection| -> Result<bool> {
        Ok(c.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'site_seen'",
            [],
            |r| r.get::<_, i64>(0),
        )? > 0)
    };
    if !has_sync(current)? {
        return Ok(None);
    }
    let Some((id, uid, high_seq)) = own_site(current)? else {
        return Ok(None);
    };
    let from = if has_sync(backup)? {
        match own_site(backup)? {
            Some((_, u, s)) if u == uid => s,
            Some(_) => return Ok(None),
            None => 0,
        }
    } else {
        0
    };
    if high_seq <= from {
        return Ok(None);
    }
    let high_hlc: i64 = current.query_row(
        "SELECT coalesce((SELECT hlc FROM sync_state WHERE id = 1), 0)",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = current.prepare(
        "SELECT c.seq, c.hlc, c.tbl, c.key, c.col, c.val, c.prev_hlc, s.uid \
         FROM change c LEFT JOIN site s ON s.id = c.prev_origin \
         WHERE c.origin = ?1 AND c.seq > ?2 ORDER BY c.seq",
    )?;
    let changes = stmt
        .query_map(params![id, from], |r| {
            Ok(LostChange {
                seq: r.get(0)?,
                hlc: r.get(1)?,
                tbl: r.get(2)?,
                key: r.get(3)?,
                col: r.get(4)?,
                val: r.get(5)?,
                prev_hlc: r.get(6)?,
                prev_origin: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(LostChanges {
        site_uid: uid,
        high_seq,
        high_hlc,
        changes,
    }))
}

/// After a restore: puts `lost` back into the restored database's change log, moves its
/// sequence number and clock to where they were, and records the restored state of every row
/// the lost changes touched as new changes of this site. Returns how many rows were re-sent.
pub fn rebase(store: &mut Store, lost: &LostChanges) -> Result<usize> {
    let Some((me, uid, _)) = own_site(store.conn())? else {
        return Ok(0);
    };
    if uid != lost.site_uid {
        return Ok(0);
    }
    store.write("sync_rebase", |w| {
        let conn = w.conn();
        for c in &lost.changes {
            let prev_origin: Option<i64> = match &c.prev_origin {
                Some(u) => conn
                    .query_row("SELECT id FROM site WHERE uid = ?1", [u], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            let prev_hlc = c.prev_hlc.filter(|_| prev_origin.is_some());
            conn.execute(
                "INSERT OR IGNORE INTO change \
                     (origin, seq, hlc, tbl, key, col, val, prev_hlc, prev_origin) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    me,
                    c.seq,
                    c.hlc,
                    c.tbl,
                    c.key,
                    c.col,
                    c.val,
                    prev_hlc,
                    prev_origin
                ],
            )?;
        }
        conn.execute(
            "INSERT INTO site_seen (origin, seq) VALUES (?1, ?2) \
                 ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq)",
            params![me, lost.high_seq],
        )?;
        conn.execute(
            "INSERT INTO sync_state (id, hlc) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET hlc = max(hlc, excluded.hlc)",
            [lost.high_hlc],
        )?;
        let rows: BTreeSet<(&str, &str)> = lost
            .changes
            .iter()
            .map(|c| (c.tbl.as_str(), c.key.as_str()))
            .collect();
        let mut cap = w.without_capture();
        let mut resent = 0;
        if let Some(cap) = cap.as_mut() {
            cap.seq = cap.seq.max(lost.high_seq);
            cap.hlc = cap.hlc.max(lost.high_hlc);
            let conn = w.conn();
            for (tbl, key_text) in rows {
                let Some(table) = data_table(tbl) else {
                    continue;
                };
                let key: Vec<Value> = serde_json::from_str::<serde_json::Value>(key_text)
                    .ok()
                    .and_then(|v| {
                        v.as_array()
                            .map(|a| a.iter().filter_map(from_json).collect())
                    })
                    .unwrap_or_default();
                if key.len() != table.key.len() || key_json(&key) != key_text {
                    continue;
                }
                let cond: Vec<String> = table
                    .key
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ?{}", i + 1))
                    .collect();
                let sql = format!("SELECT * FROM {} WHERE {}", table.name, cond.join(" AND "));
                let mut stmt = conn.prepare(&sql)?;
                let names: Vec<String> =
                    stmt.column_names().iter().map(|s| s.to_string()).collect();
                let row: Option<Vec<Value>> = stmt
                    .query_row(rusqlite::params_from_iter(key.iter()), |r| {
                        (0..names.len()).map(|i| r.get::<_, Value>(i)).collect()
                    })
                    .optional()?;
                match row {
                    Some(vals) => {
                        let fields: Vec<(&str, Value)> = names
                            .iter()
                            .zip(vals)
                            .filter(|(n, _)| !table.key.contains(&n.as_str()))
                            .map(|(n, v)| (n.as_str(), v))
                            .collect();
                        cap.row_created(conn, table, &key, &fields)?;
                    }
                    None => cap.row_deleted(conn, table, &key)?,
                }
                resent += 1;
            }
            cap.dirty = true;
        }
        w.restore_capture(cap);
        Ok(resent)
    })
}
