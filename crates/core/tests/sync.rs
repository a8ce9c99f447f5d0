//! Synchronisation between head office and branch sites through signed packages, on real
//! SQLite databases: enrolment and join, ownership, every refusal (with the data unchanged and
//! the refusal logged), conflicts and their re-application, and a property test where four
//! sites edit at random and exchange packages in random order with duplicates and losses.

mod common;

use common::{branches, load, series};
use mizani_core::api;
use mizani_core::entry::{entry_save, EntryCell};
use mizani_core::store::Store;
use mizani_core::sync::{self, canonical_dump};
use mizani_core::ErrorCode;
use std::path::Path;

fn hq() -> Store {
    let mut s = common::store(None);
    branches(
        &mut s,
        &[
            ("BR01", "North"),
            ("BR02", "North"),
            ("BR03", "South"),
            ("BR04", "South"),
        ],
    );
    let mut rows = String::new();
    for b in ["BR01", "BR02", "BR03", "BR04"] {
        rows.push_str(&series(b, "glp", "2025-01", &[1000.0, 1100.0, 1200.0]));
        rows.push_str(&series(b, "active_clients", "2025-01", &[50.0, 52.0, 55.0]));
    }
    load(&mut s, &rows);
    s
}

fn join(dir: &Path, hq: &mut Store, name: &str, codes: &[&str]) -> Store {
    let file = dir.join(format!("{name}.mizenrol"));
    let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    sync::site_enrol(hq, &codes, Some(name), &file).expect("head office enrols a branch site");
    let mut b = Store::open_in_memory().expect("fresh database");
    sync::site_join(&mut b, &file).expect("an empty database joins with the enrolment file");
    b
}

fn dump(s: &Store) -> String {
    canonical_dump(s.conn()).expect("dump")
}

/// Every table of the database (data, sites, log), to prove a refusal changed nothing but
/// the refusal log.
fn full_dump(s: &Store) -> String {
    let mut out = dump(s);
    for t in [
        "site",
        "site_branch",
        "change",
        "site_seen",
        "peer_ack",
        "sync_conflict",
    ] {
        let rows = query_rows(s, &format!("SELECT * FROM {t} ORDER BY 1, 2"));
        out.push_str(&format!("## {t}\n{}\n", rows.join("\n")));
    }
    // last_sent_at/last_received_at are in `site`, written only on success.
    out
}

fn enter(s: &mut Store, branch: &str, month: &str, element: &str, value: &str) {
    entry_save(
        s,
        branch,
        month,
        &[EntryCell {
            element: element.into(),
            value: value.into(),
            comment: None,
        }],
    )
    .unwrap_or_else(|e| panic!("entering {branch} {month} {element}={value}: {e}"));
}

fn exchange(from: &mut Store, to: &mut Store, to_uid: Option<&str>) -> sync::PackageImportReport {
    let (bytes, _) = sync::sync_export_bytes(from, to_uid).expect("export");
    sync::sync_import_bytes(to, &bytes, "test.mizpkg").expect("import")
}

fn uid(s: &mut Store) -> String {
    sync::sync_status(s).expect("status").site.uid
}

#[test]
fn a_branch_joins_enters_a_month_and_head_office_sees_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = hq();
    let mut b = join(dir.path(), &mut h, "North office", &["BR01"]);
    assert_eq!(
        dump(&b),
        dump(&h),
        "the enrolment file carries every data table exactly"
    );
    let st = sync::sync_status(&mut b).expect("status");
    assert_eq!(
        st.site.role,
        sync::SiteRole::Branch,
        "the joined database is a branch site"
    );
    assert_eq!(
        st.site.branches,
        vec!["BR01"],
        "owning the branches it was enrolled for"
    );
    assert_eq!(st.peers.len(), 1, "its one peer is head office");

    // The branch enters its month; head office imports the package.
    enter(&mut b, "BR01", "2025-04", "glp", "1300");
    enter(&mut b, "BR01", "2025-04", "active_clients", "57");
    let b_uid = uid(&mut b);
    let r = exchange(&mut b, &mut h, None);
    assert_eq!(r.applied, 2, "two values travelled");
    let glp: f64 = h
        .conn()
        .query_row(
            "SELECT m.value FROM measurement m JOIN branch b ON b.id = m.branch_id JOIN data_element e ON e.id = m.element_id \
             WHERE b.code = 'BR01' AND e.code = 'glp' AND m.month = 2025 * 12 + 3",
            [],
            |r| r.get(0),
        )
        .expect("head office has the branch's April");
    assert_eq!(glp, 1300.0, "the value the branch entered");
    // Head office answers with its acknowledgements; everyone converges.
    exchange(&mut h, &mut b, Some(&b_uid));
    assert_eq!(dump(&b), dump(&h), "both sites hold the same data");
    assert_eq!(
        sync::sync_status(&mut h).expect("status").peers[0].pending,
        Some(0),
        "head office has nothing left to send"
    );
    // Re-delivery is harmless.
    let (bytes, _) = sync::sync_export_bytes(&mut b, None).expect("export");
    let again = sync::sync_import_bytes(&mut h, &bytes, "again").expect("re-import");
    assert_eq!(
        again.applied, 0,
        "nothing new in a package already imported"
    );
    assert_eq!(dump(&b), dump(&h), "and nothing changed");

    // Ownership: a branch site changes only its own branches' measurements.
    let before = dump(&b);
    let e = entry_save(
        &mut b,
        "BR02",
        "2025-04",
        &[EntryCell {
            element: "glp".into(),
            value: "5".into(),
            comment: None,
        }],
    )
    .expect_err("a branch site cannot enter another branch's data");
    assert_eq!(e.code, ErrorCode::NotOwned, "{e}");
    let e = api::set_mission(&mut b, "Another mission", &[]).expect_err("nor change the mission");
    assert_eq!(e.code, ErrorCode::NotOwned, "{e}");
    assert!(
        e.message.contains("head office"),
        "the message says who changes it: {e}"
    );
    assert_eq!(dump(&b), before, "and nothing was written");

    // Head office may correct branch data; the correction reaches the branch.
    enter(&mut h, "BR01", "2025-04", "glp", "1310");
    exchange(&mut h, &mut b, Some(&b_uid));
    assert_eq!(dump(&b), dump(&h), "head office's correction arrived");
}

#[test]
fn every_bad_package_is_refused_logged_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = hq();
    let mut b1 = join(dir.path(), &mut h, "One", &["BR01"]);
    let mut b2 = join(dir.path(), &mut h, "Two", &["BR02"]);
    let b1_uid = uid(&mut b1);
    enter(&mut b1, "BR01", "2025-04", "glp", "1300");
    let (good, _) = sync::sync_export_bytes(&mut b1, None).expect("export");

    // A package from another institution with its own sites.
    let mut other = hq();
    let mut ob = join(dir.path(), &mut other, "Other", &["BR01"]);
    enter(&mut ob, "BR01", "2025-04", "glp", "9");
    let (foreign, _) = sync::sync_export_bytes(&mut ob, None).expect("export");

    // A branch site that sends data for a branch it does not own (written past its own
    // safeguard, straight into its change log, as a tampered copy of Mizani could).
    let mut rogue = join(dir.path(), &mut h, "Rogue", &["BR03"]);
    rogue
        .conn()
        .execute(
            "INSERT INTO change (origin, seq, hlc, tbl, key, col, val) \
             SELECT id, 1, 1, 'measurement', '[1,24303,4]', '+', '{\"value\":1,\"entered_by\":\"x\",\"entered_at\":1}' FROM site WHERE is_self = 1",
            [],
        )
        .expect("tamper");
    rogue
        .conn()
        .execute(
            "INSERT INTO site_seen (origin, seq) SELECT id, 1 FROM site WHERE is_self = 1",
            [],
        )
        .expect("tamper");
    let (not_owned, _) = sync::sync_export_bytes(&mut rogue, None).expect("export");

    // A revoked site.
    let mut gone = join(dir.path(), &mut h, "Gone", &["BR04"]);
    enter(&mut gone, "BR04", "2025-04", "glp", "1");
    let (revoked, _) = sync::sync_export_bytes(&mut gone, None).expect("export");
    let gone_uid = uid(&mut gone);
    sync::site_revoke(&mut h, &gone_uid).expect("revoke");

    // A package for another site: head office's package for b2, given to b1.
    let b2_uid = uid(&mut b2);
    let (for_b2, _) = sync::sync_export_bytes(&mut h, Some(&b2_uid)).expect("export");

    let mut truncated = good.clone();
    truncated.truncate(good.len() - 40);
    let mut corrupted = good.clone();
    let mid = good.len() / 2;
    corrupted[mid] ^= 0x55;
    let mut newer = good.clone();
    newer[12] = 0;
    newer[13] = 2;
    // A forged package: sound envelope, signed by a key that is not the sender's.
    let forged = {
        let o = sync::package::open(&good, sync::package::Kind::Changes).expect("open");
        let k = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        sync::package::seal(sync::package::Kind::Changes, &o.body, &k).expect("seal")
    };

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", truncated, "truncated"),
        ("corrupted", corrupted, "corrupted"),
        ("newer format", newer, "newer Mizani"),
        ("bad signature", forged, "signature"),
        ("other institution", foreign, "another institution"),
        ("branch not owned", not_owned, "does not own"),
        ("revoked site", revoked, "revoked"),
        ("not a package", b"hello, world".to_vec(), "not a Mizani"),
    ];
    for (what, bytes, text) in cases {
        let store = &mut h;
        let before = full_dump(store);
        let refusals = sync::sync_status(store).expect("status").refusals.len();
        let e = sync::sync_import_bytes(store, &bytes, what).expect_err(what);
        assert_eq!(e.code, ErrorCode::PackageRefused, "{what}: {e}");
        assert!(
            e.message.contains(text),
            "{what}: the message says why: {e}"
        );
        assert_eq!(
            full_dump(store),
            before,
            "{what}: the database is unchanged"
        );
        let st = sync::sync_status(store).expect("status");
        assert_eq!(
            st.refusals.len(),
            refusals + 1,
            "{what}: the refusal is logged"
        );
        assert!(
            st.refusals[0].reason.contains(text),
            "{what}: with its reason"
        );
    }
    // Unknown site: b1 receives a package from b2 (branch sites know only head office's key).
    let (from_b2, _) = {
        enter(&mut b2, "BR02", "2025-04", "glp", "1");
        sync::sync_export_bytes(&mut b2, None).expect("export")
    };
    let before = full_dump(&b1);
    let e = sync::sync_import_bytes(&mut b1, &from_b2, "from b2").expect_err("unknown sender");
    assert!(e.message.contains("head office"), "{e}");
    let e2 = sync::sync_import_bytes(&mut b1, &for_b2, "for b2").expect_err("wrong receiver");
    assert!(e2.message.contains("addressed to site"), "{e2}");
    assert_eq!(full_dump(&b1), before, "b1 is unchanged by both");

    // The good package still imports afterwards.
    let r = sync::sync_import_bytes(&mut h, &good, "good").expect("the intact package imports");
    assert_eq!(r.applied, 1, "its one value");
    let _ = b1_uid;
}

#[test]
fn concurrent_edits_are_logged_and_the_losing_value_can_be_reapplied() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = hq();
    let mut b = join(dir.path(), &mut h, "One", &["BR01"]);
    let b_uid = uid(&mut b);
    enter(&mut b, "BR01", "2025-03", "glp", "1250");
    std::thread::sleep(std::time::Duration::from_millis(5));
    enter(&mut h, "BR01", "2025-03", "glp", "1260");
    exchange(&mut b, &mut h, None);
    exchange(&mut h, &mut b, Some(&b_uid));
    assert_eq!(dump(&b), dump(&h), "both keep the later value");
    let c = sync::sync_conflicts(&b).expect("conflicts");
    assert_eq!(c.len(), 1, "the branch logs the concurrent edit: {c:?}");
    assert_eq!(
        c[0].label, "BR01 2025-03 glp",
        "named by branch, month and element"
    );
    assert_eq!(
        c[0].winner_value.as_deref(),
        Some("1260.0"),
        "head office's later value won"
    );
    assert_eq!(
        c[0].loser_value.as_deref(),
        Some("1250.0"),
        "the branch's value is kept in the log"
    );
    let hc = sync::sync_conflicts(&h).expect("conflicts");
    assert_eq!(hc.len(), 1, "head office logs it too: {hc:?}");
    // The branch re-applies its value: a new change that wins everywhere.
    sync::conflict_reapply(&mut b, c[0].id).expect("re-apply");
    exchange(&mut b, &mut h, None);
    exchange(&mut h, &mut b, Some(&b_uid));
    assert_eq!(dump(&b), dump(&h), "both converge on the re-applied value");
    assert!(dump(&h).contains("1250.0"), "which is the branch's value");
}

/// SplitMix64: a small deterministic generator for the property test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn any_order_duplicates_and_losses_converge_and_every_concurrent_edit_is_logged() {
    let seeds: u64 = std::env::var("MIZANI_SYNC_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    for seed in 0..seeds {
        run_property(seed);
    }
}

fn run_property(seed: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = Rng(seed);
    let mut sites = vec![hq()];
    let owned = [vec!["BR01"], vec!["BR02"], vec!["BR03", "BR04"]];
    for (i, codes) in owned.iter().enumerate() {
        let (first, _) = sites.split_at_mut(1);
        let b = join(dir.path(), &mut first[0], &format!("Site {i}"), codes);
        sites.push(b);
    }
    let uids: Vec<String> = sites.iter_mut().map(uid).collect();
    // In-flight packages: (from, to, bytes).
    let mut flight: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let elements = ["glp", "active_clients", "staff"];
    let months = ["2025-01", "2025-02", "2025-03", "2025-04"];
    let mut pairs: Vec<(String, String, String)> = Vec::new(); // (label, hq value, branch value)
    for step in 0..160 {
        match rng.below(10) {
            0..=3 => {
                // A random edit by a random site within what it owns.
                let s = rng.below(4);
                let branch = if s == 0 {
                    ["BR01", "BR02", "BR03", "BR04"][rng.below(4)]
                } else {
                    owned[s - 1][rng.below(owned[s - 1].len())]
                };
                let value = if rng.below(8) == 0 {
                    String::new()
                } else {
                    format!("{}", rng.below(5000))
                };
                let m = months[rng.below(months.len())];
                let e = elements[rng.below(elements.len())];
                enter(&mut sites[s], branch, m, e, &value);
                if s == 0 && rng.below(6) == 0 {
                    api::set_mission(&mut sites[0], &format!("Mission {step}"), &[])
                        .expect("mission");
                }
                if s == 0 && rng.below(8) == 0 {
                    // Institution-wide rows created (and children replaced) at head office.
                    let o = api::NewObjective {
                        title: format!("Objective {step}"),
                        practice: 2,
                        dimension: "client_protection".into(),
                        start_date: "2025-01-01".into(),
                        end_date: "2026-12-31".into(),
                        activities: vec![format!("Activity {step}"), "Train officers".into()],
                        ..Default::default()
                    };
                    let id = api::objective_add(&mut sites[0], &o).expect("objective").id;
                    let o2 = api::NewObjective {
                        activities: vec!["Replaced".into()],
                        ..o
                    };
                    api::objective_update(&mut sites[0], id, &o2).expect("objective update");
                }
            }
            4 => {
                // A deliberate concurrent edit: head office and the owner, same field, before
                // either hears of the other's. Each pair has its own field.
                let s = 1 + rng.below(3);
                let branch = owned[s - 1][0];
                let month = format!("2024-{:02}", pairs.len() % 12 + 1);
                let e = elements[pairs.len() / 12 % elements.len()];
                let (hv, bv) = (
                    format!("{}", 100 + pairs.len()),
                    format!("{}", 900 + pairs.len()),
                );
                enter(&mut sites[0], branch, &month, e, &hv);
                enter(&mut sites[s], branch, &month, e, &bv);
                pairs.push((format!("{branch} {month} {e}"), hv, bv));
            }
            5..=6 => {
                // A site writes a package for a peer.
                let (from, to) = if rng.below(2) == 0 {
                    (0, 1 + rng.below(3))
                } else {
                    (1 + rng.below(3), 0)
                };
                let to_uid = if from == 0 {
                    Some(uids[to].as_str())
                } else {
                    None
                };
                let (bytes, _) = sync::sync_export_bytes(&mut sites[from], to_uid).expect("export");
                flight.push((from, to, bytes));
            }
            _ => {
                // A package arrives (any one in flight), may stay for a duplicate, or is lost.
                if flight.is_empty() {
                    continue;
                }
                let i = rng.below(flight.len());
                let (_, to, bytes) = if rng.below(3) == 0 {
                    flight[i].clone()
                } else {
                    flight.remove(i)
                };
                if rng.below(5) == 0 {
                    continue; // lost
                }
                sync::sync_import_bytes(&mut sites[to], &bytes, "p")
                    .unwrap_or_else(|e| panic!("seed {seed}: import: {e}"));
            }
        }
    }
    // Everyone exchanges until quiet.
    for round in 0.. {
        assert!(
            round < 10,
            "seed {seed}: sites converge within a few rounds"
        );
        let mut moved = 0;
        for b in 1..4 {
            moved += exchange_count(&mut sites, b, 0, None);
        }
        for (b, u) in uids.iter().enumerate().skip(1) {
            moved += exchange_count(&mut sites, 0, b, Some(u));
        }
        if moved == 0 {
            break;
        }
    }
    for (i, s) in sites.iter().enumerate() {
        let c = api::check(s).expect("check runs");
        assert!(
            c.ok,
            "seed {seed}: site {i} passes `mizani check` after the exchanges: {:?}",
            c.problems
        );
    }
    let d0 = dump(&sites[0]);
    for (i, s) in sites.iter().enumerate().skip(1) {
        let di = dump(s);
        if di != d0 {
            let a: std::collections::BTreeSet<&str> = d0.lines().collect();
            let b: std::collections::BTreeSet<&str> = di.lines().collect();
            let only_hq: Vec<_> = a.difference(&b).collect();
            let only_site: Vec<_> = b.difference(&a).collect();
            panic!("seed {seed}: site {i} differs from head office:\nonly at HQ: {only_hq:?}\nonly at site: {only_site:?}");
        }
    }
    let logs: Vec<sync::Conflict> = sites
        .iter()
        .flat_map(|s| sync::sync_conflicts(s).expect("conflicts"))
        .collect();
    for (label, hv, bv) in &pairs {
        let found = logs.iter().any(|c| {
            c.label == *label
                && [c.winner_value.clone(), c.loser_value.clone()]
                    .contains(&Some(format!("{hv}.0")))
                && [c.winner_value.clone(), c.loser_value.clone()]
                    .contains(&Some(format!("{bv}.0")))
        });
        assert!(
            found,
            "seed {seed}: the concurrent edit of {label} ({hv} vs {bv}) is in a conflict log"
        );
    }
}

fn exchange_count(sites: &mut [Store], from: usize, to: usize, to_uid: Option<&str>) -> i64 {
    let (bytes, _) = sync::sync_export_bytes(&mut sites[from], to_uid).expect("export");
    let r = sync::sync_import_bytes(&mut sites[to], &bytes, "q").expect("import");
    r.applied
}

#[test]
fn check_finds_damage_in_the_sync_tables() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = hq();
    let mut b = join(dir.path(), &mut h, "One", &["BR01"]);
    enter(&mut b, "BR01", "2025-04", "glp", "1300");
    assert!(
        api::check(&b).expect("check").ok,
        "a healthy branch site passes"
    );
    // Damage only another program could do, written straight into the file.
    b.conn()
        .execute(
            "UPDATE change SET tbl = 'nonsense' WHERE lsn = (SELECT max(lsn) FROM change)",
            [],
        )
        .expect("tamper");
    b.conn()
        .execute("UPDATE site_seen SET seq = 0", [])
        .expect("tamper");
    let r = api::check(&b).expect("check");
    assert!(!r.ok, "the damage is found");
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("unknown table 'nonsense'")),
        "an unknown table in the change log is named: {:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("records having 0")),
        "a change log ahead of what the site records is named: {:?}",
        r.problems
    );
}

/// The rows of a query, each as its cells joined by `|`.
fn query_rows(s: &Store, sql: &str) -> Vec<String> {
    common::rows(s.conn(), sql)
}

/// The change log without its clock and sequence numbers (which depend on when and in which
/// order the values were written): what a package would carry.
fn changes(s: &Store) -> Vec<String> {
    query_rows(
        s,
        "SELECT origin, tbl, key, col, val, prev_hlc, prev_origin FROM change ORDER BY tbl, key, col",
    )
}

/// The audit trail without its timestamps.
fn audit(s: &Store) -> Vec<String> {
    query_rows(
        s,
        "SELECT b.user_name, b.action, a.entity, a.entity_key, a.field, a.old_value, a.new_value \
         FROM audit a JOIN audit_batch b ON b.id = a.batch_id ORDER BY 1, 2, 3, 4, 5, 6, 7",
    )
}

/// A copy of `s` (the same site: its own uid, peers and change log).
fn copy(dir: &Path, s: &Store, name: &str) -> Store {
    let path = dir.join(name);
    s.backup_to(&path).expect("backup");
    let mut c = Store::open(&path).expect("open the copy");
    c.set_user(s.user());
    c
}

/// A spreadsheet import writes through the bulk path (`WriteTx::set_measurements`); at an
/// enrolled site it must log exactly the changes, audit rows and data that writing the same
/// values one by one through `WriteTx::set` logs, and a branch site may still import only its
/// own branches' figures.
#[test]
fn a_bulk_import_at_an_enrolled_site_logs_the_same_changes_as_one_by_one_writes() {
    use mizani_core::period::Month;
    use mizani_core::sheet::{self, ImportOptions};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = hq();
    let b = join(dir.path(), &mut h, "North office", &["BR01"]);
    // New values, a changed value, an unchanged one, a comment added to an unchanged value and
    // one given with a new value.
    let csv = "branch,period,element,value,comment\n\
               BR01,2025-04,glp,1300,\n\
               BR01,2025-03,glp,1250,recount\n\
               BR01,2025-02,active_clients,52,\n\
               BR01,2025-01,glp,1000,checked\n\
               BR01,2025-04,active_clients,57,first month\n";
    for (name, site) in [("head office", &h), ("branch site", &b)] {
        let mut bulk = copy(dir.path(), site, &format!("{name}-bulk.sqlite"));
        let mut one = copy(dir.path(), site, &format!("{name}-one.sqlite"));
        let before = changes(&bulk);
        let r = sheet::commit(
            &mut bulk,
            csv.as_bytes(),
            "test.csv",
            &ImportOptions::default(),
            false,
        )
        .unwrap_or_else(|e| panic!("{name}: the import succeeds: {e} {:?}", e.details));
        assert_eq!(
            (r.inserted, r.updated, r.unchanged),
            (2, 2, 1),
            "{name}: two new values, a changed value and a new comment, one unchanged"
        );
        let rows = sheet::rows(
            &one,
            csv.as_bytes(),
            "test.csv",
            &ImportOptions::default(),
            Month::parse("2030-12").expect("month"),
        )
        .expect("the same rows");
        let counts = mizani_core::import::write_rows(&mut one, "import test.csv", &rows)
            .expect("written one by one");
        assert_eq!(counts, (2, 2, 1), "{name}: the same outcomes one by one");
        let after = changes(&bulk);
        assert_eq!(
            after.len(),
            before.len() + 9,
            "{name}: two created rows, and the changed value and comments with who and when of the two changed rows, are logged"
        );
        assert_eq!(
            after,
            changes(&one),
            "{name}: the bulk path logs the same changes as the one-by-one path"
        );
        assert_eq!(audit(&bulk), audit(&one), "{name}: and the same audit rows");
        assert_eq!(dump(&bulk), dump(&one), "{name}: and the same data");
        let seqs: Vec<i64> = bulk
            .conn()
            .prepare("SELECT c.seq FROM change c JOIN site s ON s.id = c.origin WHERE s.is_self = 1 ORDER BY c.seq")
            .expect("select")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{name}: this site's sequence numbers stay contiguous: {seqs:?}"
        );
    }

    // A branch site's bulk import of another branch's figure is refused as a whole.
    let mut bulk = copy(dir.path(), &b, "refused.sqlite");
    let before = full_dump(&bulk);
    let e = sheet::commit(
        &mut bulk,
        b"branch,period,element,value\nBR01,2025-04,glp,1300\nBR02,2025-04,glp,900\n",
        "test.csv",
        &ImportOptions::default(),
        false,
    )
    .expect_err("a branch site cannot import another branch's data");
    assert_eq!(e.code, ErrorCode::NotOwned, "{e}");
    assert_eq!(full_dump(&bulk), before, "and nothing was written");

    // The bulk import's changes travel to head office like any other.
    let mut bulk = copy(dir.path(), &b, "travel.sqlite");
    sheet::commit(
        &mut bulk,
        csv.as_bytes(),
        "test.csv",
        &ImportOptions::default(),
        false,
    )
    .expect("import");
    let b_uid = uid(&mut bulk);
    let r = exchange(&mut bulk, &mut h, None);
    assert_eq!(
        r.applied, 9,
        "the nine logged changes are applied at head office"
    );
    exchange(&mut h, &mut bulk, Some(&b_uid));
    assert_eq!(dump(&bulk), dump(&h), "both sites hold the same data");
}
