//! Branch ↔ head-office synchronisation by signed data packages over any file channel.
//!
//! - Every database is a **site** with its own ed25519 key pair ([`ensure_self`]); a new
//!   institution is the head office (HQ). HQ enrols a branch site for some branches by writing
//!   an **enrolment file** ([`site_enrol`]): the branch site's keys, the sites, and a snapshot
//!   of every data table with its change log; an empty database joins with it ([`site_join`]).
//! - **Ownership**: HQ owns everything; a branch site changes only its own branches'
//!   measurements (enforced locally by [`capture`] and again by HQ on import). HQ may correct
//!   branch data and relays every branch's data to every branch site.
//! - **Change log** ([`capture`]): once a site has a peer, every write records each created
//!   row, changed field and deleted row with its origin, a per-origin sequence number, a hybrid
//!   logical clock and the version it overwrote. **Merge** ([`apply`]) is last-writer-wins per
//!   field by (clock, origin uid), so any order of packages, duplicates and re-deliveries
//!   converges; a concurrent edit of the same field goes into the conflict log.
//! - **Packages** ([`package`]): a sender writes, for one receiver, every change the receiver
//!   has not acknowledged, with its own acknowledgements; a lost package is healed by the next.
//!   Import is atomic (one transaction) and idempotent; refusals are logged in `sync_refusal`.
//! - **Channels**: files ([`sync_export`], [`sync_import`]) and a sync folder ([`sync_folder`]).

pub mod apply;
pub mod capture;
pub mod package;

use crate::error::{CoreError, ErrorCode, Result};
use crate::store::{now_unix, Store, DATA_TABLES};
use capture::{from_json, to_json};
use ed25519_dalek::{SigningKey, VerifyingKey};
use package::{fingerprint, hex, refused, unhex, Kind};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// File name extension of sync packages.
pub const PACKAGE_EXT: &str = "mizpkg";
/// File name extension of enrolment files.
pub const ENROLMENT_EXT: &str = "mizenrol";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SiteRole {
    Hq,
    Branch,
}

impl SiteRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteRole::Hq => "hq",
            SiteRole::Branch => "branch",
        }
    }
    fn parse(s: &str) -> SiteRole {
        if s == "hq" {
            SiteRole::Hq
        } else {
            SiteRole::Branch
        }
    }
}

/// A site as the Sync page and `mizani site list` show it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SiteInfo {
    /// 16 hex digits, the fingerprint of the site's public key.
    pub uid: String,
    /// The same, grouped for reading aloud: `ab12 cd34 ef56 7890`.
    pub fingerprint: String,
    pub role: SiteRole,
    pub name: String,
    pub is_self: bool,
    /// Branch codes the site owns (branch sites).
    pub branches: Vec<String>,
    /// Whether packages can be exchanged with it directly (a peer with a known key).
    pub peer: bool,
    #[ts(type = "number | null")]
    pub enrolled_at: Option<i64>,
    #[ts(type = "number | null")]
    pub revoked_at: Option<i64>,
    #[ts(type = "number | null")]
    pub last_sent_at: Option<i64>,
    #[ts(type = "number | null")]
    pub last_received_at: Option<i64>,
    /// Changes this site has that the peer has not acknowledged (peers only).
    #[ts(type = "number | null")]
    pub pending: Option<i64>,
}

/// What `sync status` shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStatus {
    pub site: SiteInfo,
    pub peers: Vec<SiteInfo>,
    pub sync_folder: Option<String>,
    #[ts(type = "number")]
    pub conflicts: i64,
    pub refusals: Vec<Refusal>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Refusal {
    #[ts(type = "number")]
    pub at: i64,
    pub file: String,
    pub sender: Option<String>,
    pub code: String,
    pub reason: String,
}

/// A concurrent edit of one field: both versions; the winner is the value in the database.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Conflict {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub detected_at: i64,
    /// Readable name of the field: `measurement BR01 2026-09 loans_disbursed`.
    pub label: String,
    pub table: String,
    pub column: String,
    pub winner_value: Option<String>,
    pub winner_site: String,
    /// When the winning value was written (unix milliseconds, from its clock).
    #[ts(type = "number")]
    pub winner_at: i64,
    pub loser_value: Option<String>,
    pub loser_site: String,
    #[ts(type = "number")]
    pub loser_at: i64,
    #[ts(type = "number | null")]
    pub reapplied_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PackageExportReport {
    pub file: String,
    pub receiver: String,
    #[ts(type = "number")]
    pub changes: i64,
    #[ts(type = "number")]
    pub bytes: i64,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct PackageImportReport {
    pub file: String,
    pub sender: String,
    /// Changes applied now.
    #[ts(type = "number")]
    pub applied: i64,
    /// Changes this site already had (re-delivered or duplicated packages).
    #[ts(type = "number")]
    pub duplicates: i64,
    /// Changes left for a later package (an earlier one has not arrived yet).
    #[ts(type = "number")]
    pub deferred: i64,
    /// Concurrent edits recorded in the conflict log.
    #[ts(type = "number")]
    pub conflicts: i64,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct FolderReport {
    pub folder: String,
    pub imported: Vec<PackageImportReport>,
    pub refused: Vec<Refusal>,
    pub exported: Vec<PackageExportReport>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EnrolReport {
    pub file: String,
    pub site: SiteInfo,
    #[ts(type = "number")]
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct JoinReport {
    pub institution: String,
    pub site: SiteInfo,
    pub head_office: SiteInfo,
    #[ts(type = "number")]
    pub rows: i64,
}

// ---------------------------------------------------------------------------------------------
// Wire formats (inside the signed envelope).

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WireChange {
    /// Origin site uid.
    pub o: String,
    pub s: i64,
    pub h: i64,
    pub t: String,
    pub k: serde_json::Value,
    pub c: String,
    #[serde(default)]
    pub v: serde_json::Value,
    /// Version overwritten at the origin: (hlc, origin uid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<(i64, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WireSite {
    uid: String,
    role: SiteRole,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
    #[serde(default)]
    branches: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    institution: String,
    sender: String,
    receiver: String,
    created_at: i64,
    /// Per origin: first and last sequence number carried.
    ranges: BTreeMap<String, (i64, i64)>,
    /// What the sender has of each origin (acknowledgements).
    acks: BTreeMap<String, i64>,
    mizani: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PackageBody {
    manifest: Manifest,
    /// Sites the changes come from (so a branch site learns the other branch sites).
    sites: Vec<WireSite>,
    changes: Vec<WireChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireTable {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Enrolment {
    institution: String,
    institution_name: String,
    head_office: WireSite,
    site: WireSite,
    secret_key: String,
    sites: Vec<WireSite>,
    seen: BTreeMap<String, i64>,
    hlc: i64,
    tables: Vec<WireTable>,
    changes: Vec<WireChange>,
    mizani: String,
}

// ---------------------------------------------------------------------------------------------
// Sites.

struct SelfSite {
    id: i64,
    uid: String,
    role: SiteRole,
    key: SigningKey,
}

fn group(uid: &str) -> String {
    uid.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn self_site(conn: &Connection) -> Result<Option<SelfSite>> {
    let row: Option<(i64, String, String, Option<Vec<u8>>)> = conn
        .query_row(
            "SELECT id, uid, role, secret_key FROM site WHERE is_self = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, uid, role, sk)) = row else {
        return Ok(None);
    };
    let sk: [u8; 32] = sk
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| CoreError::new(ErrorCode::DatabaseDamaged, "this site's key is missing"))?;
    Ok(Some(SelfSite {
        id,
        uid,
        role: SiteRole::parse(&role),
        key: SigningKey::from_bytes(&sk),
    }))
}

fn new_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

/// This database's own site, created as head office on first use (a new institution is the
/// head office; a branch site is created only by joining).
pub fn ensure_self(store: &mut Store) -> Result<()> {
    crate::repo::organisation(store.conn())?;
    if self_site(store.conn())?.is_some() {
        return Ok(());
    }
    let key = new_key();
    let uid = fingerprint(&key.verifying_key());
    let name = crate::repo::organisation(store.conn())?.name;
    store.write("site: head office", |w| {
        w.conn().execute(
            "INSERT INTO site (uid, role, name, public_key, secret_key, is_self, enrolled_at) \
             VALUES (?1, 'hq', ?2, ?3, ?4, 1, ?5)",
            params![
                uid,
                format!("{name} — head office"),
                key.verifying_key().as_bytes().to_vec(),
                key.to_bytes().to_vec(),
                w.now()
            ],
        )?;
        Ok(())
    })
}

fn me(store: &mut Store) -> Result<SelfSite> {
    ensure_self(store)?;
    self_site(store.conn())?
        .ok_or_else(|| CoreError::new(ErrorCode::Database, "this site could not be created"))
}

fn site_id(conn: &Connection, uid: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT id FROM site WHERE uid = ?1", [uid], |r| r.get(0))
        .optional()?)
}

fn site_uid(conn: &Connection, id: i64) -> Result<String> {
    Ok(conn.query_row("SELECT uid FROM site WHERE id = ?1", [id], |r| r.get(0))?)
}

fn seen(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt =
        conn.prepare("SELECT s.uid, v.seq FROM site_seen v JOIN site s ON s.id = v.origin")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Changes this site would send to `peer` (its own and relayed ones the peer has not
/// acknowledged; a branch site sends only its own).
const PENDING_SQL: &str = "FROM change c WHERE c.origin != ?1 \
     AND (?2 = 0 OR c.origin = ?3) \
     AND c.seq > coalesce((SELECT a.seq FROM peer_ack a WHERE a.peer = ?1 AND a.origin = c.origin), 0)";

fn pending(conn: &Connection, peer: i64, me: &SelfSite) -> Result<i64> {
    let branch_only = i64::from(me.role == SiteRole::Branch);
    Ok(conn.query_row(
        &format!("SELECT count(*) {PENDING_SQL}"),
        params![peer, branch_only, me.id],
        |r| r.get(0),
    )?)
}

fn site_info(conn: &Connection, id: i64, me: Option<&SelfSite>) -> Result<SiteInfo> {
    #[allow(clippy::type_complexity)]
    let (uid, role, name, pk, is_self, enrolled, revoked, sent, received): (
        String,
        String,
        String,
        Option<Vec<u8>>,
        bool,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    ) = conn.query_row(
        "SELECT uid, role, name, public_key, is_self, enrolled_at, revoked_at, last_sent_at, last_received_at FROM site WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        },
    )?;
    let mut stmt = conn.prepare(
        "SELECT b.code FROM site_branch sb JOIN branch b ON b.id = sb.branch_id WHERE sb.site_id = ?1 ORDER BY b.code",
    )?;
    let branches = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let is_peer = !is_self && pk.is_some();
    let pending = match me {
        Some(m) if is_peer => Some(pending(conn, id, m)?),
        _ => None,
    };
    Ok(SiteInfo {
        fingerprint: group(&uid),
        uid,
        role: SiteRole::parse(&role),
        name,
        is_self,
        branches,
        peer: is_peer,
        enrolled_at: enrolled,
        revoked_at: revoked,
        last_sent_at: sent,
        last_received_at: received,
        pending,
    })
}

/// Every site this database knows, this one first.
pub fn site_list(store: &mut Store) -> Result<Vec<SiteInfo>> {
    let me = me(store)?;
    let conn = store.conn();
    let mut stmt =
        conn.prepare("SELECT id FROM site ORDER BY is_self DESC, role DESC, name, uid")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    ids.into_iter()
        .map(|id| site_info(conn, id, Some(&me)))
        .collect()
}

/// Finds a site by uid, fingerprint (spaces allowed) or a unique prefix of it.
fn find_site(conn: &Connection, who: &str) -> Result<i64> {
    let w: String = who
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if w.is_empty() {
        return Err(CoreError::field(
            "site",
            "give the site's id (see `mizani site list`)",
        ));
    }
    let mut stmt = conn.prepare("SELECT id, uid FROM site WHERE uid LIKE ?1 || '%'")?;
    let found = stmt
        .query_map([&w], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    match found.as_slice() {
        [(id, _)] => Ok(*id),
        [] => Err(CoreError::not_found(format!(
            "there is no site '{who}' (see `mizani site list`)"
        ))
        .on_field("site")),
        _ => Err(CoreError::field(
            "site",
            format!("'{who}' matches several sites; give more of its id"),
        )),
    }
}

/// Revokes a branch site (head office only): its packages are refused from now on and no
/// package is written for it; the data it sent before stays.
pub fn site_revoke(store: &mut Store, who: &str) -> Result<SiteInfo> {
    let me = me(store)?;
    if me.role != SiteRole::Hq {
        return Err(CoreError::new(
            ErrorCode::NotOwned,
            "only head office revokes sites",
        ));
    }
    let id = find_site(store.conn(), who)?;
    if id == me.id {
        return Err(CoreError::field("site", "head office cannot revoke itself"));
    }
    store.write("site: revoke", |w| {
        w.conn().execute(
            "UPDATE site SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
            params![id, w.now()],
        )?;
        Ok(())
    })?;
    site_info(store.conn(), id, Some(&me))
}

fn table_rows(conn: &Connection, table: &str) -> Result<WireTable> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let n = columns.len();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, Value>(i).map(|v| to_json(&v)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(WireTable {
        name: table.to_string(),
        columns,
        rows,
    })
}

fn changes_where(
    conn: &Connection,
    sql_where: &str,
    p: &[&dyn rusqlite::ToSql],
) -> Result<Vec<WireChange>> {
    let sql = format!(
        "SELECT o.uid, c.seq, c.hlc, c.tbl, c.key, c.col, c.val, c.prev_hlc, po.uid \
         FROM change c JOIN site o ON o.id = c.origin LEFT JOIN site po ON po.id = c.prev_origin \
         {sql_where} ORDER BY c.lsn"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(p, |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<i64>>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (o, s, h, t, k, c, v, ph, po) = row?;
        let parse = |x: &str| {
            serde_json::from_str(x).map_err(|e| {
                CoreError::new(
                    ErrorCode::DatabaseDamaged,
                    format!("change {o}/{s} is unreadable: {e}"),
                )
            })
        };
        out.push(WireChange {
            k: parse(&k)?,
            v: match v {
                Some(v) => parse(&v)?,
                None => serde_json::Value::Null,
            },
            p: ph.zip(po),
            o,
            s,
            h,
            t,
            c,
        });
    }
    Ok(out)
}

fn wire_site(conn: &Connection, id: i64) -> Result<WireSite> {
    let i = site_info(conn, id, None)?;
    let pk: Option<Vec<u8>> =
        conn.query_row("SELECT public_key FROM site WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    Ok(WireSite {
        uid: i.uid,
        role: i.role,
        name: i.name,
        public_key: pk.map(|k| hex(&k)),
        branches: i.branches,
    })
}

/// Head office enrols a branch site for `branches` (codes) and writes its enrolment file to
/// `out`: the site's keys, the sites, every data table and the change log. Keep the file
/// safe: it holds the branch site's secret key. The branch joins with [`site_join`].
pub fn site_enrol(
    store: &mut Store,
    branches: &[String],
    name: Option<&str>,
    out: &Path,
) -> Result<EnrolReport> {
    let me = me(store)?;
    if me.role != SiteRole::Hq {
        return Err(CoreError::new(
            ErrorCode::NotOwned,
            "only head office enrols branch sites",
        ));
    }
    if branches.is_empty() {
        return Err(CoreError::field(
            "branches",
            "name at least one branch code the new site will enter data for",
        ));
    }
    let conn = store.conn();
    let all = crate::repo::branches(conn)?;
    let mut ids = Vec::new();
    let mut codes = Vec::new();
    for code in branches {
        let c = code.trim();
        let b = all
            .iter()
            .find(|b| b.code.eq_ignore_ascii_case(c))
            .ok_or_else(|| {
                CoreError::field(
                    "branches",
                    format!("there is no branch '{c}' (see `mizani branch list`)"),
                )
            })?;
        let owner: Option<String> = conn
            .query_row(
                "SELECT s.name FROM site_branch sb JOIN site s ON s.id = sb.site_id \
                 WHERE sb.branch_id = ?1 AND s.revoked_at IS NULL",
                [b.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(owner) = owner {
            return Err(CoreError::field(
                "branches",
                format!(
                    "branch {} already belongs to the site '{owner}'; revoke that site first",
                    b.code
                ),
            ));
        }
        if !ids.contains(&b.id) {
            ids.push(b.id);
            codes.push(b.code.clone());
        }
    }
    let org = crate::repo::organisation(conn)?;
    let site_name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            crate::model::validate_name("the site name", n).map_err(|e| e.on_field("name"))?
        }
        None => format!("Branch site {}", codes.join(", ")),
    };
    let key = new_key();
    let uid = fingerprint(&key.verifying_key());
    let hq_key = me.key.clone();
    let mizani = env!("CARGO_PKG_VERSION").to_string();
    let (bytes, site_id) = store.write("site: enrol", |w| {
        let now = w.now();
        let conn = w.conn();
        conn.execute(
            "INSERT INTO site (uid, role, name, public_key, enrolled_at) VALUES (?1, 'branch', ?2, ?3, ?4)",
            params![uid, site_name, key.verifying_key().as_bytes().to_vec(), now],
        )?;
        let sid = conn.last_insert_rowid();
        for b in &ids {
            conn.execute(
                "INSERT INTO site_branch (site_id, branch_id) VALUES (?1, ?2)",
                params![sid, b],
            )?;
        }
        // The snapshot holds everything this site has: the new site has acknowledged it.
        conn.execute(
            "INSERT INTO peer_ack (peer, origin, seq) SELECT ?1, origin, seq FROM site_seen",
            [sid],
        )?;
        let mut sites = Vec::new();
        let mut stmt = conn.prepare("SELECT id FROM site ORDER BY id")?;
        let site_ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        for id in site_ids {
            sites.push(wire_site(conn, id)?);
        }
        let mut tables = Vec::new();
        for t in DATA_TABLES {
            tables.push(table_rows(conn, t.name)?);
        }
        let hlc: i64 = conn.query_row(
            "SELECT coalesce((SELECT hlc FROM sync_state WHERE id = 1), 0)",
            [],
            |r| r.get(0),
        )?;
        let body = Enrolment {
            institution: org.uid.clone(),
            institution_name: org.name.clone(),
            head_office: wire_site(conn, me.id)?,
            site: wire_site(conn, sid)?,
            secret_key: hex(&key.to_bytes()),
            sites,
            seen: seen(conn)?,
            hlc,
            tables,
            changes: changes_where(conn, "", &[])?,
            mizani: mizani.clone(),
        };
        let json = serde_json::to_vec(&body)
            .map_err(|e| CoreError::new(ErrorCode::Database, e.to_string()))?;
        let bytes = package::seal(Kind::Enrolment, &json, &hq_key)?;
        // Written inside the transaction: no site is recorded without its file.
        crate::api::write_file_atomic(out, &bytes)?;
        Ok((bytes, sid))
    })?;
    Ok(EnrolReport {
        file: out.display().to_string(),
        site: site_info(store.conn(), site_id, Some(&me))?,
        bytes: bytes.len() as i64,
    })
}

fn verifying_key(hex_key: Option<&str>) -> Option<VerifyingKey> {
    let b: [u8; 32] = unhex(hex_key?)?.try_into().ok()?;
    VerifyingKey::from_bytes(&b).ok()
}

/// Reads a file a user chose, naming it in the error.
pub fn read_input_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot read the {what} {}: {e}", path.display()),
        )
        .on_field("file")
    })
}

/// Joins an empty database to an institution with an enrolment file written by head office.
pub fn site_join(store: &mut Store, path: &Path) -> Result<JoinReport> {
    let bytes = read_input_file(path, "enrolment file")?;
    site_join_bytes(store, &bytes)
}

pub fn site_join_bytes(store: &mut Store, bytes: &[u8]) -> Result<JoinReport> {
    if crate::repo::is_initialised(store.conn())? {
        let org = crate::repo::organisation(store.conn())?;
        return Err(CoreError::conflict(format!(
            "this database already holds the institution '{}'; a site joins with an empty database (use another --db, or a fresh install)",
            org.name
        )));
    }
    let opened = package::open(bytes, Kind::Enrolment)?;
    let e: Enrolment = serde_json::from_slice(&opened.body)
        .map_err(|err| refused(format!("the enrolment file is damaged ({err})")))?;
    let hq_key = verifying_key(e.head_office.public_key.as_deref())
        .ok_or_else(|| refused("the enrolment file has no valid head-office key"))?;
    if fingerprint(&hq_key) != e.head_office.uid || !opened.verify(&hq_key) {
        return Err(refused(
            "the enrolment file's signature does not match its head office; ask head office for a new file",
        ));
    }
    let sk: [u8; 32] = unhex(&e.secret_key)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| refused("the enrolment file's site key is damaged"))?;
    let key = SigningKey::from_bytes(&sk);
    if fingerprint(&key.verifying_key()) != e.site.uid {
        return Err(refused(
            "the enrolment file's site key does not match its site",
        ));
    }
    let mut rows = 0i64;
    store.write("site: join", |w| {
        let conn = w.conn();
        for t in &e.tables {
            let table = crate::store::data_table(&t.name)
                .ok_or_else(|| refused(format!("the enrolment file has an unknown table '{}'", t.name)))?;
            let cols: Vec<String> = t.columns.iter().map(|c| format!("\"{}\"", c.replace('"', ""))).collect();
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                table.name,
                cols.join(", "),
                marks.join(", ")
            );
            let mut stmt = conn.prepare(&sql).map_err(|err| {
                refused(format!("the enrolment file does not fit this Mizani's table {}: {err}", t.name))
            })?;
            for r in &t.rows {
                let vals = r
                    .iter()
                    .map(|v| from_json(v).ok_or_else(|| refused("the enrolment file holds an unreadable value")))
                    .collect::<Result<Vec<Value>>>()?;
                if vals.len() != cols.len() {
                    return Err(refused(format!("a row of table {} has the wrong number of values", t.name)));
                }
                stmt.execute(rusqlite::params_from_iter(vals.iter()))
                    .map_err(|err| refused(format!("a row of table {} was refused: {err}", t.name)))?;
                rows += 1;
            }
        }
        for s in &e.sites {
            let (pk, sk, is_self) = if s.uid == e.site.uid {
                (Some(key.verifying_key().as_bytes().to_vec()), Some(key.to_bytes().to_vec()), 1)
            } else if s.uid == e.head_office.uid {
                (Some(hq_key.as_bytes().to_vec()), None, 0)
            } else {
                (None, None, 0)
            };
            conn.execute(
                "INSERT INTO site (uid, role, name, public_key, secret_key, is_self, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![s.uid, s.role.as_str(), s.name, pk, sk, is_self, w.now()],
            )?;
            let sid = conn.last_insert_rowid();
            for code in &s.branches {
                conn.execute(
                    "INSERT INTO site_branch (site_id, branch_id) SELECT ?1, id FROM branch WHERE code = ?2",
                    params![sid, code],
                )?;
            }
        }
        let idmap = |uid: &str| -> Result<i64> {
            site_id(conn, uid)?.ok_or_else(|| refused(format!("the enrolment file names an unknown site {uid}")))
        };
        for c in &e.changes {
            let prev = match &c.p {
                Some((h, o)) => Some((*h, idmap(o)?)),
                None => None,
            };
            apply::insert_change(conn, idmap(&c.o)?, c, prev)?;
        }
        let hq = idmap(&e.head_office.uid)?;
        for (uid, seq) in &e.seen {
            let o = idmap(uid)?;
            conn.execute("INSERT INTO site_seen (origin, seq) VALUES (?1, ?2)", params![o, seq])?;
            conn.execute(
                "INSERT INTO peer_ack (peer, origin, seq) VALUES (?1, ?2, ?3)",
                params![hq, o, seq],
            )?;
        }
        conn.execute("INSERT INTO sync_state (id, hlc) VALUES (1, ?1)", [e.hlc])?;
        Ok(())
    })?;
    let conn = store.conn();
    let me = self_site(conn)?.ok_or_else(|| CoreError::new(ErrorCode::Database, "join failed"))?;
    let hq = site_id(conn, &e.head_office.uid)?.unwrap_or(0);
    Ok(JoinReport {
        institution: e.institution_name,
        site: site_info(conn, me.id, Some(&me))?,
        head_office: site_info(conn, hq, Some(&me))?,
        rows,
    })
}

// ---------------------------------------------------------------------------------------------
// Packages.

/// The peers this site exchanges packages with: head office for a branch site; the enrolled,
/// non-revoked branch sites for head office.
fn peers(conn: &Connection, me: &SelfSite) -> Result<Vec<i64>> {
    let sql = if me.role == SiteRole::Hq {
        "SELECT id FROM site WHERE is_self = 0 AND public_key IS NOT NULL AND revoked_at IS NULL ORDER BY id"
    } else {
        "SELECT id FROM site WHERE is_self = 0 AND role = 'hq' AND public_key IS NOT NULL ORDER BY id"
    };
    let mut stmt = conn.prepare(sql)?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

fn resolve_peer(conn: &Connection, me: &SelfSite, to: Option<&str>) -> Result<i64> {
    let list = peers(conn, me)?;
    match to {
        Some(who) => {
            let id = find_site(conn, who)?;
            if !list.contains(&id) {
                let revoked: bool = conn.query_row(
                    "SELECT revoked_at IS NOT NULL FROM site WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )?;
                return Err(CoreError::field(
                    "to",
                    if revoked {
                        format!("site '{who}' is revoked: nothing is sent to it")
                    } else {
                        format!("this site does not exchange packages with '{who}' (a branch site exchanges with head office only)")
                    },
                ));
            }
            Ok(id)
        }
        None => match list.as_slice() {
            [one] => Ok(*one),
            [] => Err(CoreError::new(
                ErrorCode::NotFound,
                "this site has no peer yet: head office enrols a branch site first (`mizani site enrol`)",
            )),
            _ => Err(CoreError::field(
                "to",
                "head office has several branch sites: say which one the package is for (--to SITE)",
            )),
        },
    }
}

struct Built {
    bytes: Vec<u8>,
    changes: i64,
    receiver: String,
    acks: String,
}

fn build_package(conn: &Connection, me: &SelfSite, peer: i64) -> Result<Built> {
    let org = crate::repo::organisation(conn)?;
    let branch_only = i64::from(me.role == SiteRole::Branch);
    let changes = changes_where(
        conn,
        &format!(
            "WHERE {}",
            PENDING_SQL.trim_start_matches("FROM change c WHERE ")
        ),
        &[&peer, &branch_only, &me.id],
    )?;
    let mut ranges: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in &changes {
        let r = ranges.entry(c.o.clone()).or_insert((c.s, c.s));
        r.0 = r.0.min(c.s);
        r.1 = r.1.max(c.s);
    }
    let mut sites = Vec::new();
    for uid in ranges.keys() {
        if let Some(id) = site_id(conn, uid)? {
            let mut s = wire_site(conn, id)?;
            s.public_key = None;
            sites.push(s);
        }
    }
    let acks = seen(conn)?;
    let receiver = site_uid(conn, peer)?;
    let body = PackageBody {
        manifest: Manifest {
            institution: org.uid,
            sender: me.uid.clone(),
            receiver: receiver.clone(),
            created_at: now_unix(),
            ranges,
            acks: acks.clone(),
            mizani: env!("CARGO_PKG_VERSION").to_string(),
        },
        sites,
        changes,
    };
    let json = serde_json::to_vec(&body)
        .map_err(|e| CoreError::new(ErrorCode::Database, e.to_string()))?;
    Ok(Built {
        bytes: package::seal(Kind::Changes, &json, &me.key)?,
        changes: body.changes.len() as i64,
        receiver,
        acks: serde_json::to_string(&acks).unwrap_or_default(),
    })
}

fn mark_sent(store: &mut Store, peer: i64, acks: &str) -> Result<()> {
    store.write("sync: package written", |w| {
        w.conn().execute(
            "UPDATE site SET last_sent_at = ?2, sent_acks = ?3 WHERE id = ?1",
            params![peer, w.now(), acks],
        )?;
        Ok(())
    })
}

/// Builds the package for `to` (or the only peer) without writing a file: the bytes and what
/// they carry. Records the time and acknowledgements sent.
pub fn sync_export_bytes(
    store: &mut Store,
    to: Option<&str>,
) -> Result<(Vec<u8>, PackageExportReport)> {
    let me = me(store)?;
    let peer = resolve_peer(store.conn(), &me, to)?;
    let b = build_package(store.conn(), &me, peer)?;
    mark_sent(store, peer, &b.acks)?;
    let report = PackageExportReport {
        file: String::new(),
        receiver: b.receiver,
        changes: b.changes,
        bytes: b.bytes.len() as i64,
    };
    Ok((b.bytes, report))
}

/// Writes the package for `to` (or the only peer) to `out`.
pub fn sync_export(store: &mut Store, to: Option<&str>, out: &Path) -> Result<PackageExportReport> {
    let me = me(store)?;
    let peer = resolve_peer(store.conn(), &me, to)?;
    let b = build_package(store.conn(), &me, peer)?;
    crate::api::write_file_atomic(out, &b.bytes)?;
    mark_sent(store, peer, &b.acks)?;
    Ok(PackageExportReport {
        file: out.display().to_string(),
        receiver: b.receiver,
        changes: b.changes,
        bytes: b.bytes.len() as i64,
    })
}

/// Imports a package file (atomic and idempotent). A refusal is logged and leaves the data
/// unchanged.
pub fn sync_import(store: &mut Store, path: &Path) -> Result<PackageImportReport> {
    let bytes = read_input_file(path, "package")?;
    let name = path.display().to_string();
    sync_import_bytes(store, &bytes, &name)
}

pub fn sync_import_bytes(
    store: &mut Store,
    bytes: &[u8],
    name: &str,
) -> Result<PackageImportReport> {
    let me = me(store)?;
    match import_inner(store, &me, bytes, name) {
        Ok(r) => Ok(r),
        Err((sender, e)) => {
            if e.code == ErrorCode::PackageRefused {
                log_refusal(store, name, sender.as_deref(), &e)?;
            }
            Err(e)
        }
    }
}

fn log_refusal(store: &mut Store, file: &str, sender: Option<&str>, e: &CoreError) -> Result<()> {
    store.write("sync: package refused", |w| {
        w.conn().execute(
            "INSERT INTO sync_refusal (at, file, sender, code, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![w.now(), file, sender, e.code.as_str(), e.message],
        )?;
        Ok(())
    })
}

type ImportResult = std::result::Result<PackageImportReport, (Option<String>, CoreError)>;

fn import_inner(store: &mut Store, me: &SelfSite, bytes: &[u8], name: &str) -> ImportResult {
    let opened = package::open(bytes, Kind::Changes).map_err(|e| (None, e))?;
    let body: PackageBody = serde_json::from_slice(&opened.body)
        .map_err(|e| (None, refused(format!("the package is damaged ({e})"))))?;
    let m = &body.manifest;
    let sender = Some(m.sender.clone());
    let fail = |e: CoreError| (sender.clone(), e);
    let conn = store.conn();
    let org = crate::repo::organisation(conn).map_err(fail)?;
    if m.institution != org.uid {
        return Err(fail(refused(format!(
            "the package belongs to another institution (not '{}'); it was not imported",
            org.name
        ))));
    }
    type SenderRow = (i64, String, Option<Vec<u8>>, Option<i64>);
    let sender_row: Option<SenderRow> = conn
        .query_row(
            "SELECT id, role, public_key, revoked_at FROM site WHERE uid = ?1",
            [&m.sender],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|e| fail(e.into()))?;
    let Some((sender_id, sender_role, pk, revoked)) = sender_row else {
        return Err(fail(refused(format!(
            "the package comes from site {}, which this site does not know (head office enrols sites)",
            group(&m.sender)
        ))));
    };
    let Some(key) = pk
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
    else {
        return Err(fail(refused(format!(
            "the package comes from site {}, which exchanges packages only with head office",
            group(&m.sender)
        ))));
    };
    if revoked.is_some() {
        return Err(fail(refused(format!(
            "the package comes from site {}, which head office has revoked",
            group(&m.sender)
        ))));
    }
    if !opened.verify(&key) {
        return Err(fail(refused(format!(
            "the package's signature is not that of site {}: it was altered or forged",
            group(&m.sender)
        ))));
    }
    if m.receiver != me.uid {
        return Err(fail(refused(format!(
            "the package is addressed to site {}, not to this site ({})",
            group(&m.receiver),
            group(&me.uid)
        ))));
    }
    // Ownership: a branch site sends only its own changes to its own branches' measurements.
    if sender_role == "branch" {
        let owned: Vec<i64> = {
            let mut stmt = conn
                .prepare("SELECT branch_id FROM site_branch WHERE site_id = ?1")
                .map_err(|e| fail(e.into()))?;
            let rows = stmt
                .query_map([sender_id], |r| r.get(0))
                .map_err(|e| fail(e.into()))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| fail(e.into()))?
        };
        for c in &body.changes {
            let branch = c.k.get(2).and_then(serde_json::Value::as_i64);
            let ok = c.o == m.sender
                && c.t == crate::store::MEASUREMENT.name
                && branch.is_some_and(|b| owned.contains(&b));
            if !ok {
                let what = if c.o != m.sender {
                    "changes made by other sites".to_string()
                } else if c.t != crate::store::MEASUREMENT.name {
                    format!("a change to {} (head office's data)", c.t.replace('_', " "))
                } else {
                    let code: Option<String> = branch.and_then(|b| {
                        conn.query_row("SELECT code FROM branch WHERE id = ?1", [b], |r| r.get(0))
                            .optional()
                            .ok()
                            .flatten()
                    });
                    format!(
                        "data for branch {}, which it does not own",
                        code.unwrap_or_else(|| "?".into())
                    )
                };
                return Err(fail(refused(format!(
                    "the package from branch site {} carries {what}; nothing was imported",
                    group(&m.sender)
                ))));
            }
        }
    } else if me.role == SiteRole::Hq {
        return Err(fail(refused("the package comes from another head office")));
    }
    for c in &body.changes {
        if crate::store::data_table(&c.t).is_none() || !c.k.is_array() {
            return Err(fail(refused(format!(
                "the package has a change to an unknown table '{}'; it may come from a newer Mizani",
                c.t
            ))));
        }
    }
    let mut report = PackageImportReport {
        file: name.to_string(),
        sender: m.sender.clone(),
        ..PackageImportReport::default()
    };
    store
        .write(&format!("sync: package from {}", group(&m.sender)), |w| {
            let saved = w.without_capture();
            let r = apply::apply_package(
                w,
                sender_id,
                &body.sites,
                &body.changes,
                &m.acks,
                &mut report,
            );
            w.restore_capture(saved);
            r?;
            w.conn().execute(
                "UPDATE site SET last_received_at = ?2 WHERE id = ?1",
                params![sender_id, w.now()],
            )?;
            Ok(())
        })
        .map_err(fail)?;
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Sync folder.

fn package_name(sender: &str, receiver: &str) -> String {
    format!(
        "mizani-{sender}-to-{receiver}-{}.{PACKAGE_EXT}",
        chrono::Utc::now().timestamp_millis()
    )
}

/// Parses `mizani-SENDER-to-RECEIVER-MILLIS.mizpkg`.
fn parse_name(name: &str) -> Option<(&str, &str, i64)> {
    let rest = name
        .strip_prefix("mizani-")?
        .strip_suffix(&format!(".{PACKAGE_EXT}"))?;
    let (sender, rest) = rest.split_once("-to-")?;
    let (receiver, millis) = rest.split_once('-')?;
    Some((sender, receiver, millis.parse().ok()?))
}

/// Sets (or clears) the folder synchronised automatically by the app.
pub fn set_sync_folder(store: &mut Store, folder: Option<&Path>) -> Result<Option<String>> {
    let value = match folder {
        Some(f) => {
            if !f.is_dir() {
                return Err(CoreError::field(
                    "folder",
                    format!(
                        "{} is not a folder (create it first, or pick another)",
                        f.display()
                    ),
                ));
            }
            Some(f.display().to_string())
        }
        None => None,
    };
    store.write("sync: folder", |w| {
        w.conn().execute(
            "INSERT INTO sync_state (id, sync_folder) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET sync_folder = excluded.sync_folder",
            [&value],
        )?;
        Ok(())
    })?;
    Ok(value)
}

pub fn sync_folder_setting(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT sync_folder FROM sync_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

/// Synchronises through a folder that some other means carries (a synced folder, a network
/// share, a USB stick): imports every package there addressed to this site (oldest first;
/// imported ones are removed, refused ones moved to `refused/`), then writes one package per
/// peer that has something to receive (changes or acknowledgements), replacing this site's
/// older packages for it.
pub fn sync_folder(store: &mut Store, dir: &Path) -> Result<FolderReport> {
    if !dir.is_dir() {
        return Err(CoreError::field(
            "folder",
            format!(
                "{} is not a folder (is the USB stick or share connected?)",
                dir.display()
            ),
        ));
    }
    let me = me(store)?;
    let mut report = FolderReport {
        folder: dir.display().to_string(),
        ..FolderReport::default()
    };
    let list = |dir: &Path| -> Result<Vec<(PathBuf, String, String, i64)>> {
        let mut v = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            CoreError::new(
                ErrorCode::Io,
                format!("cannot read the folder {}: {e}", dir.display()),
            )
        })?;
        for ent in entries.flatten() {
            let name = ent.file_name().to_string_lossy().to_string();
            if let Some((s, r, t)) = parse_name(&name) {
                v.push((ent.path(), s.to_string(), r.to_string(), t));
            }
        }
        v.sort_by_key(|x| x.3);
        Ok(v)
    };
    for (path, _sender, receiver, _) in list(dir)? {
        if receiver != me.uid {
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(_) => continue, // still being copied by the sync tool: next time
        };
        let name = path.display().to_string();
        match sync_import_bytes(store, &bytes, &name) {
            Ok(r) => {
                let _ = std::fs::remove_file(&path);
                report.imported.push(r);
            }
            Err(e) if e.code == ErrorCode::PackageRefused => {
                let refused_dir = dir.join("refused");
                let _ = std::fs::create_dir_all(&refused_dir);
                if let Some(f) = path.file_name() {
                    let _ = std::fs::rename(&path, refused_dir.join(f));
                }
                report.refused.push(Refusal {
                    at: now_unix(),
                    file: name,
                    sender: None,
                    code: e.code.as_str().to_string(),
                    reason: e.message,
                });
            }
            Err(e) => return Err(e),
        }
    }
    let conn = store.conn();
    let current = serde_json::to_string(&seen(conn)?).unwrap_or_default();
    for peer in peers(conn, &me)? {
        let conn = store.conn();
        let sent: Option<String> =
            conn.query_row("SELECT sent_acks FROM site WHERE id = ?1", [peer], |r| {
                r.get(0)
            })?;
        if pending(conn, peer, &me)? == 0 && sent.as_deref() == Some(current.as_str()) {
            continue;
        }
        let b = build_package(conn, &me, peer)?;
        let old: Vec<PathBuf> = list(dir)?
            .into_iter()
            .filter(|(_, s, r, _)| *s == me.uid && *r == b.receiver)
            .map(|x| x.0)
            .collect();
        let path = dir.join(package_name(&me.uid, &b.receiver));
        crate::api::write_file_atomic(&path, &b.bytes)?;
        for o in old {
            let _ = std::fs::remove_file(o);
        }
        mark_sent(store, peer, &b.acks)?;
        report.exported.push(PackageExportReport {
            file: path.display().to_string(),
            receiver: b.receiver,
            changes: b.changes,
            bytes: b.bytes.len() as i64,
        });
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Status and conflicts.

pub fn sync_status(store: &mut Store) -> Result<SyncStatus> {
    let me = me(store)?;
    let conn = store.conn();
    let mut peers_info = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id FROM site WHERE is_self = 0 AND public_key IS NOT NULL ORDER BY role DESC, name",
    )?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    for id in ids {
        peers_info.push(site_info(conn, id, Some(&me))?);
    }
    let conflicts: i64 = conn.query_row(
        "SELECT count(*) FROM sync_conflict WHERE reapplied_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT at, file, sender, code, reason FROM sync_refusal ORDER BY id DESC LIMIT 20",
    )?;
    let refusals = stmt
        .query_map([], |r| {
            Ok(Refusal {
                at: r.get(0)?,
                file: r.get(1)?,
                sender: r.get(2)?,
                code: r.get(3)?,
                reason: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(SyncStatus {
        site: site_info(conn, me.id, Some(&me))?,
        peers: peers_info,
        sync_folder: sync_folder_setting(conn)?,
        conflicts,
        refusals,
    })
}

fn show(v: Option<String>) -> Option<String> {
    v.map(|s| match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(serde_json::Value::String(t)) => t,
        _ => s,
    })
}

pub fn sync_conflicts(store: &Store) -> Result<Vec<Conflict>> {
    let mut stmt = store.conn().prepare(
        "SELECT id, detected_at, label, tbl, col, winner_val, winner_site, winner_hlc, loser_val, loser_site, loser_hlc, reapplied_at \
         FROM sync_conflict ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Conflict {
            id: r.get(0)?,
            detected_at: r.get(1)?,
            label: r.get(2)?,
            table: r.get(3)?,
            column: r.get(4)?,
            winner_value: show(r.get(5)?),
            winner_site: r.get(6)?,
            winner_at: r.get::<_, i64>(7)? >> 16,
            loser_value: show(r.get(8)?),
            loser_site: r.get(9)?,
            loser_at: r.get::<_, i64>(10)? >> 16,
            reapplied_at: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes the losing value of a conflict again, as a new change that wins everywhere.
pub fn conflict_reapply(store: &mut Store, id: i64) -> Result<Conflict> {
    let row: Option<(String, String, String, Option<String>)> = store
        .conn()
        .query_row(
            "SELECT tbl, key, col, loser_val FROM sync_conflict WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((tbl, key, col, val)) = row else {
        return Err(CoreError::not_found(format!(
            "there is no conflict {id} (see `mizani sync conflicts`)"
        )));
    };
    let table = crate::store::data_table(&tbl).ok_or_else(|| {
        CoreError::new(
            ErrorCode::DatabaseDamaged,
            format!("conflict {id} names table {tbl}"),
        )
    })?;
    let key_vals: Vec<Value> = serde_json::from_str::<Vec<serde_json::Value>>(&key)
        .ok()
        .map(|v| v.iter().filter_map(from_json).collect())
        .unwrap_or_default();
    let value = val
        .as_deref()
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|v| from_json(&v))
        .unwrap_or(Value::Null);
    if col == "+" || col == "-" || key_vals.len() != table.key.len() {
        return Err(CoreError::invalid(format!(
            "conflict {id} cannot be re-applied"
        )));
    }
    store.write("sync: re-apply a conflict's other value", |w| {
        let label: String =
            w.conn()
                .query_row("SELECT label FROM sync_conflict WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
        w.update(table, &key_vals, &label, &[(col.as_str(), value.clone())])?;
        w.conn().execute(
            "UPDATE sync_conflict SET reapplied_at = ?2 WHERE id = ?1",
            params![id, w.now()],
        )?;
        Ok(())
    })?;
    sync_conflicts(store)?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| CoreError::not_found("conflict"))
}

/// A canonical text of every data table (sorted rows), to compare sites in tests and in
/// `mizani sync status --dump`.
pub fn canonical_dump(conn: &Connection) -> Result<String> {
    let mut out = String::new();
    for t in DATA_TABLES {
        let w = table_rows(conn, t.name)?;
        let mut rows: Vec<String> = w
            .rows
            .iter()
            .map(|r| serde_json::Value::Array(r.clone()).to_string())
            .collect();
        rows.sort();
        out.push_str(&format!("## {} ({})\n", t.name, w.columns.join(",")));
        for r in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Consistency of the synchronisation tables for `mizani check`: every change names a data
/// table and has readable JSON, each origin's sequence numbers are what `site_seen` says this
/// site has, and this site's key matches its id.
pub fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("SELECT DISTINCT tbl FROM change")?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for t in tables {
        if crate::store::data_table(&t).is_none() {
            problems.push(format!("the sync change log names an unknown table '{t}'"));
        }
    }
    let bad: i64 = conn.query_row(
        "SELECT count(*) FROM change WHERE json_valid(key) = 0 OR (val IS NOT NULL AND json_valid(val) = 0)",
        [],
        |r| r.get(0),
    )?;
    if bad > 0 {
        problems.push(format!(
            "{bad} change(s) of the sync change log are unreadable"
        ));
    }
    let mut stmt = conn.prepare(
        "SELECT s.uid, coalesce(v.seq, 0), (SELECT max(seq) FROM change c WHERE c.origin = s.id) \
         FROM site s LEFT JOIN site_seen v ON v.origin = s.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?,
        ))
    })?;
    for row in rows {
        let (uid, seen, max) = row?;
        if max.is_some_and(|m| m > seen) {
            problems.push(format!(
                "site {uid}: the change log holds changes up to {} but this site records having {seen}",
                max.unwrap_or(0)
            ));
        }
    }
    if let Some(me) = self_site(conn)? {
        if fingerprint(&me.key.verifying_key()) != me.uid {
            problems.push(format!("this site's key does not match its id {}", me.uid));
        }
    }
    Ok(problems)
}
