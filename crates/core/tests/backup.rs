//! Backups and restore on real database files: a backup → restore round trip gives back the
//! original exactly; retention over a simulated year; the automatic backups (scheduled, before
//! an import, before a sync package) and when they are skipped; damaged databases (overwritten
//! or truncated pages) are detected and the newest good backup is named and restores.

mod common;

use mizani_core::api;
use mizani_core::backup::{self, to_keep, BackupKind, Candidate};
use mizani_core::import::import_csv_bytes;
use mizani_core::store::Store;
use mizani_core::sync::{self, canonical_dump};
use mizani_core::ErrorCode;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

const DAY: i64 = 86_400;

fn demo_file(dir: &Path) -> (PathBuf, Store) {
    let db = dir.join("mizani.sqlite");
    let mut s = Store::open(&db).expect("a new file database");
    mizani_core::demo::load_demo(&mut s).expect("the demo loads");
    (db, s)
}

fn read_only(p: &Path) -> Connection {
    Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens read-only")
}

fn dump_of(p: &Path) -> String {
    canonical_dump(&read_only(p)).expect("dump")
}

/// Every table, the audit trail and sync log included (rows sorted).
fn everything(c: &Connection) -> String {
    let mut out = String::new();
    for t in common::table_names(c) {
        out.push_str(&format!(
            "## {t}\n{}\n",
            common::sorted_rows(c, &t).join("\n")
        ));
    }
    out
}

fn files(dir: &Path, token: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        let n = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        n.ends_with(&format!("-{token}.sqlite")) || n.contains(&format!("-{token}-"))
    });
    v.sort();
    v
}

fn csv(rows: &str) -> Vec<u8> {
    format!("branch,period,element,value\n{rows}").into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Round trip.

#[test]
fn backup_then_restore_gives_back_the_original_and_can_be_undone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, mut s) = demo_file(dir.path());
    let original = canonical_dump(s.conn()).expect("dump");
    let b = backup::create(&s, BackupKind::Manual).expect("a manual backup");
    assert_eq!(
        b.kind,
        BackupKind::Manual,
        "asked for by the user: a manual backup"
    );
    assert!(
        b.readable && b.bytes > 0,
        "the backup is a readable file: {b:?}"
    );
    assert_eq!(
        dump_of(Path::new(&b.path)),
        original,
        "the backup holds exactly the data of the database"
    );
    let backup_everything = everything(&read_only(Path::new(&b.path)));

    // Three changes after the backup.
    api::branch_add(&mut s, "Z01", "Zinder", Some("East")).expect("branch");
    api::set_mission(&mut s, "Fair finance for all", &["care".into()]).expect("mission");
    import_csv_bytes(
        &mut s,
        "late.csv",
        &csv("Z01,2026-09,active_clients,42\n"),
        false,
    )
    .expect("import");
    let changed = canonical_dump(s.conn()).expect("dump");
    assert_ne!(changed, original, "the changes are real");
    let listed = api::backups_list(&s).expect("list");
    let row = listed
        .iter()
        .find(|i| i.path == b.path)
        .expect("the manual backup is listed");
    assert_eq!(
        row.changes_since,
        Some(3),
        "three saved actions since the backup (branch, mission, import)"
    );
    assert!(
        row.values_since.unwrap_or(0) >= 4,
        "each action changed values: {row:?}"
    );

    let (s, report) = backup::restore(s, Path::new(&b.path))
        .map_err(|(_, e)| e)
        .expect("the restore succeeds");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        original,
        "after the restore the data is the original exactly"
    );
    assert_eq!(
        everything(s.conn()),
        backup_everything,
        "every table (audit trail and sync log too) is the backup's: the file was replaced as a whole"
    );
    assert_eq!(
        report.changes_undone,
        Some(3),
        "the report counts what was undone"
    );
    let safety = PathBuf::from(
        report
            .safety_backup
            .expect("the replaced state was backed up"),
    );
    assert!(
        safety.to_string_lossy().ends_with("-before-restore.sqlite"),
        "the safety copy says why it exists: {}",
        safety.display()
    );
    assert_eq!(
        dump_of(&safety),
        changed,
        "the safety copy holds the state the restore replaced"
    );
    assert!(
        !PathBuf::from(format!("{}-wal", db.display())).exists()
            || std::fs::metadata(format!("{}-wal", db.display()))
                .map(|m| m.len())
                .unwrap_or(0)
                < 1_000_000,
        "no stale WAL of the old file is left to be replayed over the new one"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file is left: {leftovers:?}"
    );
    assert!(
        api::check(&s).expect("check").ok,
        "the restored database passes the check"
    );

    // The restore can be undone with the safety copy.
    let (s, _) = backup::restore(s, &safety)
        .map_err(|(_, e)| e)
        .expect("restoring the safety copy succeeds");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        changed,
        "restoring the before-restore backup brings the changes back"
    );
    drop(s);
    let s =
        Store::open_checked(&db, None).expect("the database reopens and passes the quick check");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        changed,
        "and stays so on disk"
    );
}

#[test]
fn a_bad_backup_is_refused_and_the_database_is_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, mut s) = demo_file(dir.path());
    let good = backup::create(&s, BackupKind::Manual).expect("backup");
    api::branch_add(&mut s, "Z01", "Zinder", None).expect("branch");
    let before = everything(s.conn());

    let text = dir.path().join("notes.sqlite");
    std::fs::write(&text, "not a database at all").expect("write");
    let other = dir.path().join("other.sqlite");
    Connection::open(&other)
        .expect("open")
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .expect("another program's database");
    let damaged = dir.path().join("damaged-backup.sqlite");
    std::fs::copy(&good.path, &damaged).expect("copy");
    overwrite_middle(&damaged);
    let newer = dir.path().join("newer.sqlite");
    std::fs::copy(&good.path, &newer).expect("copy");
    Connection::open(&newer)
        .expect("open")
        .pragma_update(None, "user_version", mizani_core::store::SCHEMA_VERSION + 1)
        .expect("bump");
    let missing = dir.path().join("missing.sqlite");

    let mut s = s;
    for (file, code, says) in [
        (&text, ErrorCode::InvalidInput, "not an SQLite database"),
        (&other, ErrorCode::InvalidInput, "not a Mizani database"),
        (&damaged, ErrorCode::InvalidInput, "damaged"),
        (&newer, ErrorCode::InvalidInput, "newer Mizani"),
        (&missing, ErrorCode::NotFound, "no backup file"),
        (&db, ErrorCode::InvalidInput, "the database itself"),
    ] {
        let (back, e) = match backup::restore(s, file) {
            Ok(_) => panic!("restoring {} must fail", file.display()),
            Err(x) => x,
        };
        s = back.expect("a refused restore hands the open database back");
        assert_eq!(e.code, code, "{}: {e}", file.display());
        assert!(
            e.message.contains(says),
            "the reason is clear for {}: {e}",
            file.display()
        );
        assert_eq!(
            everything(s.conn()),
            before,
            "a refused restore of {} changes nothing",
            file.display()
        );
        let e2 =
            backup::restore_path(&db, file, None).expect_err("the path-based restore refuses too");
        assert_eq!(e2.code, code, "{}", file.display());
    }
    drop(s);
    assert_eq!(
        everything(&read_only(&db)),
        before,
        "the file on disk is unchanged too"
    );
}

// ---------------------------------------------------------------------------------------------
// Retention.

fn c(at: i64, kind: BackupKind) -> Candidate {
    Candidate {
        at,
        kind,
        good: true,
    }
}

fn kept(all: &[Candidate], now: i64) -> Vec<Candidate> {
    to_keep(all, now)
        .into_iter()
        .zip(all)
        .filter(|(k, _)| *k)
        .map(|(_, x)| *x)
        .collect()
}

#[test]
fn retention_over_a_simulated_year_keeps_what_a_careful_user_would() {
    // A working year: an automatic backup every 15 minutes from 08:00 to 16:00, an import at
    // 10:30 every day, an upgrade on day 40, a manual backup on day 100 and one on day 300;
    // pruning after every backup, as the app does.
    let start = 1_767_225_600; // 2026-01-01 00:00 UTC
    let mut set: Vec<Candidate> = Vec::new();
    let mut now = start;
    let mut written = 0;
    for day in 0..365 {
        for slot in 0..32 {
            now = start + day * DAY + 8 * 3600 + slot * 900;
            let mut new = vec![c(now, BackupKind::Automatic)];
            if slot == 10 {
                new.push(c(now + 1, BackupKind::BeforeImport));
            }
            if slot == 0 && day == 40 {
                new.push(c(now + 2, BackupKind::BeforeMigration));
            }
            if slot == 5 && (day == 100 || day == 300) {
                new.push(c(now + 3, BackupKind::Manual));
            }
            for n in new {
                written += 1;
                set.push(n);
                now = n.at;
                set = kept(&set, now);
            }
        }
    }
    assert!(
        written > 11_000,
        "a year of backups was simulated ({written})"
    );
    let newest = set.iter().map(|x| x.at).max().expect("some kept");
    assert_eq!(newest, now, "the newest backup is always kept");

    // The ten newest of the last 24 hours.
    let mut recent: Vec<i64> = set
        .iter()
        .filter(|x| now - x.at < DAY)
        .map(|x| x.at)
        .collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        recent.len() >= 10 && recent.len() <= 11,
        "the ten newest of the last 24 h (plus yesterday's newest, kept as a daily): {}",
        recent.len()
    );
    let last_day_all: Vec<i64> = (0..32)
        .map(|s| start + 364 * DAY + 8 * 3600 + s * 900)
        .collect();
    for at in last_day_all.iter().rev().take(9) {
        assert!(
            set.iter().any(|x| x.at == *at),
            "today's backup at {at} is among the ten newest"
        );
    }
    // One per day for the last 31 days that have backups: the newest of each.
    for day in 334..365 {
        let last_of_day = start + day * DAY + 8 * 3600 + 31 * 900;
        assert!(
            set.iter().any(|x| x.at == last_of_day),
            "the newest backup of day {day} is kept"
        );
    }
    let days: std::collections::BTreeSet<i64> = set.iter().map(|x| x.at.div_euclid(DAY)).collect();
    // One per month for the last 12 months: the newest of each (Dec … Jan).
    for month in 1..=12u32 {
        let end_of_month = chrono::NaiveDate::from_ymd_opt(2026, month, 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time")
            .and_utc()
            .timestamp();
        let newest_of_month = end_of_month - DAY + 8 * 3600 + 31 * 900;
        assert!(
            set.iter().any(|x| x.at == newest_of_month),
            "the newest backup of 2026-{month:02} is kept"
        );
    }
    assert!(
        set.iter().any(|x| x.kind == BackupKind::BeforeMigration),
        "the backup before the upgrade (325 days ago) is kept for a year"
    );
    assert_eq!(
        set.iter().filter(|x| x.kind == BackupKind::Manual).count(),
        2,
        "manual backups are never pruned"
    );
    assert!(
        set.len() <= 10 + 31 + 12 + 1 + 2 + 2,
        "the bound of the rules holds: {} kept over {} days",
        set.len(),
        days.len()
    );

    // A year later the upgrade backup goes; the manual ones stay.
    let later = now + 60 * DAY;
    let after = kept(&set, later);
    assert!(
        !after.iter().any(|x| x.kind == BackupKind::BeforeMigration),
        "a before-migration backup older than a year is pruned"
    );
    assert_eq!(
        after
            .iter()
            .filter(|x| x.kind == BackupKind::Manual)
            .count(),
        2,
        "manual backups stay however old"
    );
}

#[test]
fn retention_never_deletes_the_only_good_backup() {
    let now = 1_800_000_000;
    let mut all: Vec<Candidate> = (0..40)
        .map(|i| Candidate {
            at: now - i * 3600,
            kind: BackupKind::Automatic,
            good: false,
        })
        .collect();
    all.push(c(now - 400 * DAY, BackupKind::Automatic));
    let keep = to_keep(&all, now);
    assert!(
        keep[40],
        "the only good backup is kept however old, even when newer ones are damaged"
    );
    assert!(keep[0], "the newest backup is kept");
    assert_eq!(
        keep.iter().filter(|k| **k).count(),
        11,
        "damaged backups take only the recent slots (10) and never a daily or monthly one"
    );
    assert!(
        to_keep(&[], now).is_empty(),
        "nothing to keep in an empty folder"
    );
}

#[test]
fn pruning_deletes_only_this_databases_backups_that_retention_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, s) = demo_file(dir.path());
    let b = backup::create(&s, BackupKind::Manual).expect("backup");
    let folder = dir.path().join("backups");
    let now = mizani_core::store::now_unix();
    // 60 automatic backups, one every 12 hours back to 30 days ago.
    let stamp = |at: i64| {
        chrono::DateTime::from_timestamp(at, 0)
            .expect("time")
            .format("%Y%m%d-%H%M%S")
            .to_string()
    };
    let mut names = Vec::new();
    for i in 1..=60 {
        let at = now - i * 12 * 3600;
        let p = folder.join(format!("mizani-{}-auto.sqlite", stamp(at)));
        std::fs::copy(&b.path, &p).expect("copy");
        names.push((at, p));
    }
    let foreign = folder.join(format!("demo-{}-auto.sqlite", stamp(now - 40 * DAY)));
    std::fs::copy(&b.path, &foreign).expect("copy");
    let notes = folder.join("README.txt");
    std::fs::write(&notes, "keep me").expect("write");

    let deleted = backup::prune(&db, None).expect("prune");
    assert!(!deleted.is_empty(), "some old backups were pruned");
    let left: Vec<i64> = names
        .iter()
        .filter(|(_, p)| p.exists())
        .map(|(at, _)| *at)
        .collect();
    let cands: Vec<Candidate> = names
        .iter()
        .map(|(at, _)| c(*at, BackupKind::Automatic))
        .chain(std::iter::once(c(now, BackupKind::Manual)))
        .collect();
    let expect: Vec<i64> = kept(&cands, now)
        .into_iter()
        .filter(|x| x.kind == BackupKind::Automatic)
        .map(|x| x.at)
        .collect();
    assert_eq!(
        left, expect,
        "the files left are exactly those retention keeps"
    );
    assert!(Path::new(&b.path).exists(), "the manual backup stays");
    assert!(
        foreign.exists(),
        "another database's backup is never touched"
    );
    assert!(
        notes.exists(),
        "files that are not backups are never touched"
    );
}

// ---------------------------------------------------------------------------------------------
// Automatic backups.

#[test]
fn scheduled_backups_happen_only_when_something_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, mut s) = demo_file(dir.path());
    let folder = dir.path().join("backups");
    let first = backup::scheduled(&s)
        .expect("tick")
        .expect("no backup yet: one is taken");
    assert_eq!(
        first.kind,
        BackupKind::Automatic,
        "the timer's backups are automatic ones"
    );
    assert!(first.path.ends_with("-auto.sqlite"), "{}", first.path);
    assert!(
        backup::scheduled(&s).expect("tick").is_none(),
        "nothing changed: no second backup"
    );

    api::branch_add(&mut s, "Z01", "Zinder", None).expect("a change in the app");
    let second = backup::scheduled(&s)
        .expect("tick")
        .expect("a change: a backup");
    assert!(
        dump_of(Path::new(&second.path)).contains("Zinder"),
        "the new backup holds the change"
    );
    assert!(
        backup::scheduled(&s).expect("tick").is_none(),
        "and then nothing again"
    );

    // Another program (the CLI) writes to the same file while the app runs.
    Connection::open(&db)
        .expect("second connection")
        .execute(
            "UPDATE organisation SET mission = 'Changed from outside'",
            [],
        )
        .expect("outside write");
    let third = backup::scheduled(&s)
        .expect("tick")
        .expect("another connection's commit is seen (PRAGMA data_version)");
    assert!(
        dump_of(Path::new(&third.path)).contains("Changed from outside"),
        "the backup holds the other program's change"
    );
    assert_eq!(
        files(&folder, "auto").len(),
        3,
        "three automatic backups in all"
    );

    // A new session (the app restarted): the newest backup already holds this state.
    drop(s);
    let s = Store::open(&db).expect("reopen");
    assert!(
        backup::scheduled(&s).expect("tick").is_none(),
        "after a restart, an unchanged database is not backed up again"
    );
    let st = backup::status(&s).expect("status");
    assert_eq!(st.backups.len(), 3, "the status lists the three");
    assert_eq!(
        st.backups[0].changes_since,
        Some(0),
        "nothing changed since the newest: {:?}",
        st.backups[0]
    );
    assert!(
        st.unreachable.is_none() && st.folder.ends_with("backups"),
        "no folder was chosen: backups/ beside the database, reachable: {st:?}"
    );

    let mem = Store::open_in_memory().expect("memory");
    assert!(
        backup::scheduled(&mem).expect("tick").is_none(),
        "an in-memory database is never backed up"
    );
}

#[test]
fn the_apps_scheduled_backup_copies_on_its_own_connection_while_the_database_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, mut s) = demo_file(dir.path());
    let p = backup::scheduled_pending(&s)
        .expect("decide")
        .expect("no backup yet: one is due");
    // The user keeps working while the copy runs (the app does not hold the session for it).
    let writer = std::thread::spawn(move || {
        for i in 0..40 {
            api::branch_add(&mut s, &format!("W{i:02}"), &format!("Written {i}"), None)
                .expect("a write during the backup");
        }
        s
    });
    let info = backup::write_pending(&p).expect("the copy on its own connection");
    let s = writer.join().expect("the writer finished");
    assert_eq!(
        info.kind,
        BackupKind::Automatic,
        "a scheduled backup is automatic"
    );
    backup::verify(Path::new(&info.path), None).expect("the copy passes the integrity check");
    let copy = read_only(Path::new(&info.path));
    let branches: i64 = copy
        .query_row("SELECT count(*) FROM branch", [], |r| r.get(0))
        .expect("count");
    let batches: i64 = copy
        .query_row(
            "SELECT count(*) FROM audit_batch WHERE action = 'add branch'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(
        branches, batches,
        "the copy is one consistent snapshot: every branch it holds (the demo's and those written during the copy) comes with its audit batch"
    );
    backup::record_pending(&s, &p, &info);
    assert!(
        backup::scheduled_pending(&s).expect("decide").is_some(),
        "the writes made during the copy make the next round due (the mark was taken before it)"
    );
}

#[test]
fn an_import_is_preceded_by_a_backup_of_the_state_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, mut s) = demo_file(dir.path());
    let folder = dir.path().join("backups");
    let before = canonical_dump(s.conn()).expect("dump");
    let good = csv("N01,2026-09,active_clients,1234\n");

    import_csv_bytes(&mut s, "check.csv", &good, true).expect("dry run");
    assert!(
        files(&folder, "before-import").is_empty(),
        "a dry run writes nothing, not even a backup"
    );
    let e = import_csv_bytes(&mut s, "bad.csv", &csv("N01,2026-09,nope,1\n"), false)
        .expect_err("a rejected file");
    assert_eq!(
        e.code,
        ErrorCode::ImportRejected,
        "an unknown element rejects the file"
    );
    assert!(
        files(&folder, "before-import").is_empty(),
        "a rejected import changes nothing: no backup"
    );

    import_csv_bytes(&mut s, "good.csv", &good, false).expect("import");
    let b = files(&folder, "before-import");
    assert_eq!(b.len(), 1, "one backup before the import");
    assert_eq!(
        dump_of(&b[0]),
        before,
        "it holds the state before the import"
    );
    assert_ne!(
        canonical_dump(s.conn()).expect("dump"),
        before,
        "the import was applied"
    );

    import_csv_bytes(
        &mut s,
        "more.csv",
        &csv("N02,2026-09,active_clients,99\n"),
        false,
    )
    .expect("second import");
    assert_eq!(
        files(&folder, "before-import").len(),
        2,
        "the state changed since: the next import gets its own backup"
    );

    // The answers of a self-assessment are a bulk import too.
    let id: i64 = s
        .conn()
        .query_row("SELECT max(id) FROM assessment", [], |r| r.get(0))
        .expect("the demo has an assessment");
    let practice: String = s
        .conn()
        .query_row(
            "SELECT practice FROM assessment_answer WHERE assessment_id = ?1 AND answer <> 'na' LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .expect("an answer");
    let answers = format!("practice,answer,evidence\n{practice},na,changed by import\n");
    mizani_core::spm::assessment_import_csv(&mut s, id, "answers.csv", answers.as_bytes(), false)
        .expect("answers import");
    assert_eq!(
        files(&folder, "before-import").len(),
        3,
        "assessment imports are backed up first"
    );
}

#[test]
fn no_import_without_its_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_db, mut s) = demo_file(dir.path());
    // The backup folder cannot be created: a file stands where it should be.
    std::fs::write(dir.path().join("backups"), "in the way").expect("write");
    let before = everything(s.conn());
    let e = import_csv_bytes(
        &mut s,
        "x.csv",
        &csv("N01,2026-09,active_clients,5\n"),
        false,
    )
    .expect_err("the backup before the import cannot be written");
    assert_eq!(e.code, ErrorCode::Io, "{e}");
    assert!(
        e.message.contains("backs the database up before an import")
            && e.message.contains("nothing was imported"),
        "the message says why nothing was imported: {e}"
    );
    assert_eq!(everything(s.conn()), before, "the import did not happen");
}

fn hq_file(dir: &Path) -> Store {
    let mut s = Store::open(&dir.join("hq.sqlite")).expect("hq file");
    common::init(&mut s, None);
    common::branches(&mut s, &[("BR01", "North"), ("BR02", "South")]);
    common::load(
        &mut s,
        &format!(
            "{}{}",
            common::series("BR01", "glp", "2025-01", &[1000.0, 1100.0]),
            common::series("BR02", "glp", "2025-01", &[900.0, 950.0])
        ),
    );
    s
}

fn join(dir: &Path, hq: &mut Store, name: &str, code: &str) -> Store {
    let file = dir.join(format!("{name}.mizenrol"));
    sync::site_enrol(hq, &[code.to_string()], Some(name), &file).expect("enrol");
    let mut b = Store::open_in_memory().expect("fresh database");
    sync::site_join(&mut b, &file).expect("join");
    b
}

fn enter(b: &mut Store, branch: &str, value: f64) {
    enter_month(b, branch, "2025-03", value);
}

#[test]
fn a_sync_package_is_backed_up_before_only_once_verified_and_once_per_folder_round() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hq = hq_file(dir.path());
    let folder = dir.path().join("backups");
    let mut b1 = join(dir.path(), &mut hq, "north", "BR01");
    let mut b2 = join(dir.path(), &mut hq, "south", "BR02");

    enter(&mut b1, "BR01", 1234.0);
    let (pkg, _) = sync::sync_export_bytes(&mut b1, None).expect("package");

    // Refused packages are not backed up: nothing will change.
    let mut tampered = pkg.clone();
    let n = tampered.len();
    tampered[n / 2] ^= 0xFF;
    sync::sync_import_bytes(&mut hq, &tampered, "tampered.mizpkg").expect_err("tampered");
    sync::sync_import_bytes(&mut hq, b"MIZANI-SYNC but not really", "junk.mizpkg")
        .expect_err("junk");
    assert!(
        files(&folder, "before-sync").is_empty(),
        "a refused package takes no backup"
    );

    let before = canonical_dump(hq.conn()).expect("dump");
    let r = sync::sync_import_bytes(&mut hq, &pkg, "north.mizpkg").expect("import");
    assert_eq!(r.applied, 1, "the branch's figure was applied");
    let b = files(&folder, "before-sync");
    assert_eq!(
        b.len(),
        1,
        "a verified package is backed up before it is applied"
    );
    assert_eq!(
        dump_of(&b[0]),
        before,
        "the backup holds head office's state before the package"
    );

    // A sync-folder round with two packages: one backup before the first.
    let sbox = dir.path().join("box");
    std::fs::create_dir(&sbox).expect("box");
    enter(&mut b1, "BR01", 1300.0);
    enter(&mut b2, "BR02", 990.0);
    sync::sync_folder(&mut b1, &sbox).expect("b1 writes its package");
    sync::sync_folder(&mut b2, &sbox).expect("b2 writes its package");
    let round = sync::sync_folder(&mut hq, &sbox).expect("head office's round");
    assert_eq!(round.imported.len(), 2, "both packages came in");
    assert_eq!(
        files(&folder, "before-sync").len(),
        2,
        "one backup for the whole round, not one per package"
    );
}

// ---------------------------------------------------------------------------------------------
// Damaged databases.

fn overwrite_middle(p: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let len = std::fs::metadata(p).expect("meta").len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .expect("open");
    f.seek(SeekFrom::Start(len / 2)).expect("seek");
    f.write_all(&vec![0xA5u8; 16 * 1024]).expect("scribble");
}

#[test]
fn a_damaged_database_is_detected_and_the_newest_good_backup_offered_and_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, mut s) = demo_file(dir.path());
    let good = backup::create(&s, BackupKind::Manual).expect("an older, good backup");
    let good_dump = canonical_dump(s.conn()).expect("dump");
    api::branch_add(&mut s, "Z01", "Zinder", None).expect("a change");
    // The newest backup is itself damaged (a failing USB stick): it must not be offered.
    let newest = backup::scheduled(&s)
        .expect("tick")
        .expect("a newer backup");
    overwrite_middle(Path::new(&newest.path));
    drop(s);
    let pristine = std::fs::read(&db).expect("read");

    type Damage = fn(&Path);
    let damages: [(&str, Damage); 3] = [
        ("overwritten pages", overwrite_middle),
        ("truncated file", |p| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .expect("open");
            let len = f.metadata().expect("meta").len();
            f.set_len(len / 2).expect("truncate");
        }),
        ("garbage header", |p| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .expect("open");
            f.write_all(&[0x42u8; 100]).expect("scribble");
        }),
    ];
    for (what, damage) in damages {
        std::fs::write(&db, &pristine).expect("reset");
        damage(&db);
        let e = Store::open_checked(&db, None).expect_err("a damaged database does not open");
        assert_eq!(e.code, ErrorCode::DatabaseDamaged, "{what}: {e}");
        let d = backup::damaged(&db, &e, None);
        let offered = d.backup.expect("a good backup is offered");
        assert_eq!(
            offered.path, good.path,
            "{what}: the newest backup that passes the integrity check is offered, not the damaged newer one"
        );
        let hint = backup::with_restore_hint(&db, e, None);
        assert!(
            hint.details.iter().any(|l| l.contains(&good.path))
                && hint
                    .details
                    .iter()
                    .any(|l| l.contains("backup restore") && l.contains("--yes")),
            "{what}: the CLI's error names the backup and the command: {:?}",
            hint.details
        );
    }
    // The app's restore of the last damage (overwritten pages).
    std::fs::write(&db, &pristine).expect("reset");
    overwrite_middle(&db);
    let report = backup::restore_path(&db, Path::new(&good.path), None).expect("restore");
    let copy = PathBuf::from(report.damaged_copy.expect("the damaged file is kept"));
    assert!(
        copy.exists(),
        "the damaged copy is in the backup folder: {}",
        copy.display()
    );
    assert!(
        report.safety_backup.is_none(),
        "a damaged file cannot be backed up, only copied"
    );
    let s =
        Store::open_checked(&db, None).expect("the restored database opens and passes the check");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        good_dump,
        "it is the backup's data"
    );
    assert!(
        api::check(&s).expect("check").ok,
        "the restored database passes the check"
    );

    // No good backup at all: said so.
    let lone = dir.path().join("lone").join("lone.sqlite");
    std::fs::create_dir_all(lone.parent().expect("dir")).expect("dir");
    std::fs::write(&lone, &pristine).expect("write");
    overwrite_middle(&lone);
    let e = Store::open_checked(&lone, None).expect_err("damaged");
    assert!(
        backup::damaged(&lone, &e, None).backup.is_none(),
        "nothing to offer"
    );
    let hint = backup::with_restore_hint(&lone, e, None);
    assert!(
        hint.details.iter().any(|l| l.contains("no good backup")),
        "{:?}",
        hint.details
    );
}

#[test]
fn the_quick_check_on_open_is_cheap_on_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, s) = demo_file(dir.path());
    drop(s);
    let t = std::time::Instant::now();
    let s = Store::open(&db).expect("open");
    let plain = t.elapsed();
    drop(s);
    let t = std::time::Instant::now();
    let s = Store::open_checked(&db, None).expect("open checked");
    let checked = t.elapsed();
    drop(s);
    eprintln!("demo open: {plain:?}; with quick_check: {checked:?}");
    assert!(
        checked < std::time::Duration::from_secs(2),
        "opening the demo with its quick check stays well under a second or two (debug build): {checked:?}"
    );
}

fn enter_month(b: &mut Store, branch: &str, month: &str, value: f64) {
    mizani_core::entry::entry_save(
        b,
        branch,
        month,
        &[mizani_core::entry::EntryCell {
            element: "glp".into(),
            value: value.to_string(),
            comment: None,
        }],
    )
    .expect("the branch site enters its own figure");
}

#[test]
fn a_restore_at_a_branch_site_re_bases_its_change_log_and_head_office_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hq = hq_file(dir.path());
    let file = dir.path().join("north.mizenrol");
    sync::site_enrol(&mut hq, &["BR01".to_string()], Some("North"), &file).expect("enrol");
    let db = dir.path().join("branch.sqlite");
    let mut b = Store::open(&db).expect("a file database for the branch");
    sync::site_join(&mut b, &file).expect("join");

    enter_month(&mut b, "BR01", "2025-03", 1200.0);
    let kept = backup::create(&b, BackupKind::Manual).expect("backup of the branch");
    // Changes after the backup reach head office, then the branch restores the backup.
    enter_month(&mut b, "BR01", "2025-03", 9999.0);
    enter_month(&mut b, "BR01", "2025-04", 1300.0);
    let (bytes, _) = sync::sync_export_bytes(&mut b, None).expect("package");
    sync::sync_import_bytes(&mut hq, &bytes, "b.mizpkg").expect("head office applies it");
    let (mut b, report) = backup::restore(b, Path::new(&kept.path))
        .map_err(|(_, e)| e)
        .expect("the restore succeeds");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("sent again as restored")),
        "the restore says the rows it undid are sent again: {:?}",
        report.warnings
    );
    // New changes after the restore must not reuse sequence numbers head office has seen.
    enter_month(&mut b, "BR01", "2025-05", 1400.0);
    let (bytes, _) = sync::sync_export_bytes(&mut b, None).expect("package after the restore");
    let r = sync::sync_import_bytes(&mut hq, &bytes, "b2.mizpkg").expect("applied");
    assert_eq!(
        r.deferred, 0,
        "no gap in the branch's numbering: nothing waits for a missing change"
    );
    let value = |s: &Store, month: &str| -> Option<f64> {
        let (y, m) = month.split_once('-').expect("a month");
        let n = y.parse::<i64>().expect("year") * 12 + m.parse::<i64>().expect("month") - 1;
        s.conn()
            .query_row(
                "SELECT m.value FROM measurement m JOIN branch b ON b.id = m.branch_id \
                 JOIN data_element e ON e.id = m.element_id \
                 WHERE b.code = 'BR01' AND e.code = 'glp' AND m.month = ?1",
                [n],
                |r| r.get(0),
            )
            .ok()
    };
    assert_eq!(
        value(&hq, "2025-05"),
        Some(1400.0),
        "the change made after the restore reaches head office (not ignored as a duplicate)"
    );
    assert_eq!(
        value(&hq, "2025-03"),
        Some(1200.0),
        "head office undoes the change the restore undid"
    );
    assert_eq!(
        value(&hq, "2025-04"),
        None,
        "a row created after the backup is deleted at head office too"
    );
    assert_eq!(
        canonical_dump(b.conn()).expect("dump"),
        canonical_dump(hq.conn()).expect("dump"),
        "both sites hold the same data again"
    );
}
