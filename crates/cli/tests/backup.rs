//! `mizani backup create|list|restore|folder` on real files: a round trip gives back the
//! original; bad backups (not Mizani, another program's database, missing, damaged) are refused
//! with the database unchanged; a damaged database names its newest good backup and the command
//! that restores it; imports are backed up first; the backup folder setting and its fallback;
//! an old database is backed up before it is upgraded.

mod common;

use common::{bin, dump, fails_with, json, ok, run};
use std::path::{Path, PathBuf};

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("mizani.sqlite");
    ok(&db, &["demo"]);
    db
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

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
fn create_list_restore_gives_back_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let original = dump(&db);
    let b = json(&db, &["backup", "create"]);
    let file = PathBuf::from(b["file"].as_str().expect("file"));
    assert!(
        file.starts_with(dir.path().join("backups")) && s(&file).ends_with("-manual.sqlite"),
        "a manual backup in backups/ beside the database: {}",
        file.display()
    );

    let l = json(&db, &["backup", "list"]);
    let first = &l["backups"][0];
    assert_eq!(first["kind"], "manual", "listed with its kind: {l}");
    assert_eq!(first["changes_since"], 0, "nothing changed since: {l}");
    assert!(
        first["bytes"].as_u64().unwrap_or(0) > 0 && first["created"].as_i64().is_some(),
        "the size and the time are listed: {l}"
    );

    ok(&db, &["branch", "add", "Z01", "--name", "Zinder"]);
    let l = json(&db, &["backup", "list"]);
    assert_eq!(
        l["backups"][0]["changes_since"], 1,
        "one change since the backup: {l}"
    );
    let table = ok(&db, &["backup", "list"]);
    assert!(
        table.contains("manual") && table.contains("1 (") && table.contains(s(&file)),
        "the table shows kind, changes since and file:\n{table}"
    );

    let changed = dump(&db);
    let err = fails_with(&db, &["backup", "restore", s(&file)], Some(2));
    assert!(
        err.contains("--yes") && err.contains("1 change(s) made since would be undone"),
        "without --yes it only says what it would do: {err}"
    );
    assert_eq!(dump(&db), changed, "and nothing was changed");

    let r = json(&db, &["backup", "restore", s(&file), "--yes"]);
    assert_eq!(r["changes_undone"], 1, "{r}");
    assert_eq!(
        dump(&db),
        dump(&file),
        "every table is the backup's after the restore"
    );
    assert_eq!(
        dump(&db),
        original,
        "the database is as it was when backed up"
    );
    assert!(
        !dump(&db).contains("Zinder"),
        "the branch added after the backup is gone"
    );
    let safety = PathBuf::from(r["safety_backup"].as_str().expect("safety backup"));
    assert_eq!(
        dump(&safety),
        changed,
        "the replaced state was kept as a before-restore backup"
    );
    let l = json(&db, &["backup", "list"]);
    let kinds: Vec<&str> = l["backups"]
        .as_array()
        .expect("list")
        .iter()
        .map(|b| b["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["before_restore", "manual"],
        "both are listed, newest first"
    );
    assert!(
        ok(&db, &["check"]).starts_with("ok"),
        "the restored database passes the check"
    );
}

#[test]
fn restore_refuses_bad_input_and_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let b = json(&db, &["backup", "create"]);
    let good = PathBuf::from(b["file"].as_str().expect("file"));
    ok(&db, &["branch", "add", "Z01", "--name", "Zinder"]);
    let before = dump(&db);

    let text = dir.path().join("notes.sqlite");
    std::fs::write(&text, "not a database").expect("write");
    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .expect("open")
        .execute_batch("CREATE TABLE t(x)")
        .expect("another program's database");
    let damaged = dir.path().join("damaged.sqlite");
    std::fs::copy(&good, &damaged).expect("copy");
    overwrite_middle(&damaged);
    let missing = dir.path().join("missing.sqlite");

    for (file, says) in [
        (&text, "not an SQLite database"),
        (&other, "not a Mizani database"),
        (&damaged, "damaged"),
        (&missing, "no backup file"),
    ] {
        for yes in [false, true] {
            let mut args = vec!["backup", "restore", s(file)];
            if yes {
                args.push("--yes");
            }
            let err = fails_with(&db, &args, Some(2));
            assert!(
                err.contains(says),
                "restoring {} is refused with a clear reason: {err}",
                file.display()
            );
            assert!(
                !err.contains("newest good backup"),
                "a bad backup is not a damaged database: no restore hint: {err}"
            );
            assert_eq!(
                dump(&db),
                before,
                "the database is unchanged after {}",
                file.display()
            );
        }
    }
    let o = run(&db, &["--json", "backup", "restore", s(&damaged), "--yes"]);
    let e: serde_json::Value = serde_json::from_slice(&o.stderr).expect("JSON error");
    assert_eq!(e["error"]["code"], "invalid_input", "{e}");
}

#[test]
fn a_damaged_database_names_its_newest_good_backup_and_the_command_restores_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let b = json(&db, &["backup", "create"]);
    let good = b["file"].as_str().expect("file").to_string();
    let kept = dump(&db);
    overwrite_middle(&db);

    let err = fails_with(&db, &["check"], Some(1));
    assert!(
        err.contains("damaged"),
        "the first line says the database is damaged: {err}"
    );
    assert!(
        err.contains(&format!("the newest good backup is {good}")),
        "names the newest good backup: {err}"
    );
    let command = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("restore it with: "))
        .expect("the restore command is given")
        .to_string();
    assert!(
        command.contains("backup restore") && command.ends_with("--yes"),
        "{command}"
    );
    // Other commands read only the pages they need: when they meet the damage, the same advice.
    let o = run(&db, &["dashboard", "--period", "2026-Q3"]);
    assert!(
        o.status.success() || String::from_utf8_lossy(&o.stderr).contains(&good),
        "a command that meets the damage gives the same advice: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The damaged database still lists its backups.
    let l = json(&db, &["backup", "list"]);
    assert_eq!(l["backups"][0]["path"], good.as_str(), "{l}");

    // Run the command as printed (it names this database and the backup).
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = bin().args(&args).output().expect("runs");
    assert!(
        out.status.success(),
        "the printed command restores: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("damaged database was copied to"), "{text}");
    assert!(
        ok(&db, &["check"]).starts_with("ok"),
        "the database is whole again"
    );
    assert_eq!(dump(&db), kept, "with the backup's data");
}

#[test]
fn an_import_is_backed_up_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let before = dump(&db);
    let csv = dir.path().join("n01.csv");
    std::fs::write(
        &csv,
        "branch,period,element,value\nN01,2026-09,active_clients,1234\n",
    )
    .expect("csv");
    ok(&db, &["import", s(&csv), "--dry-run"]);
    assert_eq!(
        json(&db, &["backup", "list"])["backups"]
            .as_array()
            .map(|a| a.len()),
        Some(0),
        "a dry run takes no backup"
    );
    ok(&db, &["import", s(&csv)]);
    let l = json(&db, &["backup", "list"]);
    assert_eq!(l["backups"][0]["kind"], "before_import", "{l}");
    assert_eq!(
        l["backups"][0]["changes_since"], 1,
        "the import is the one change since: {l}"
    );
    let file = PathBuf::from(l["backups"][0]["path"].as_str().expect("path"));
    assert_eq!(
        dump(&file),
        before,
        "the backup holds the state before the import"
    );
}

#[test]
fn a_backup_that_would_fill_the_disk_is_refused_and_so_is_the_import_it_guards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let before = dump(&db);
    let csv = dir.path().join("n01.csv");
    std::fs::write(
        &csv,
        "branch,period,element,value\nN01,2026-09,active_clients,1234\n",
    )
    .expect("csv");
    // Keep a thousand terabytes free: no disk has that, so every backup is refused.
    let with_reserve = |args: &[&str]| {
        bin()
            .env("MIZANI_BACKUP_RESERVE_MB", "1000000000")
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .expect("runs")
    };
    for (what, args) in [
        ("a manual backup", vec!["backup", "create"]),
        ("an import (its safety backup)", vec!["import", s(&csv)]),
    ] {
        let o = with_reserve(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what} fails: {err}");
        assert!(
            err.contains("not enough free space") && err.contains("free some space"),
            "{what}: the message says why and what to do: {err}"
        );
    }
    assert_eq!(dump(&db), before, "nothing was imported");
    assert_eq!(
        json(&db, &["backup", "list"])["backups"]
            .as_array()
            .map(|a| a.len()),
        Some(0),
        "no partial backup was left"
    );
    ok(&db, &["import", s(&csv)]);
}

#[test]
fn the_backup_folder_can_be_chosen_and_falls_back_when_unreachable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let cfg = dir.path().join("config");
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).expect("usb");
    let cli = |args: &[&str]| -> serde_json::Value {
        let o = bin()
            .env("XDG_CONFIG_HOME", &cfg)
            .arg("--db")
            .arg(&db)
            .arg("--json")
            .args(args)
            .output()
            .expect("runs");
        assert!(
            o.status.success(),
            "`mizani {}`: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).expect("JSON")
    };
    let usb_real = std::fs::canonicalize(&usb).expect("canonical");
    let f = cli(&["backup", "folder", s(&usb)]);
    assert_eq!(
        f["folder"],
        s(&usb_real),
        "backups now go to the chosen folder: {f}"
    );
    assert!(
        std::fs::read_to_string(cfg.join("mizani/settings.json"))
            .expect("settings")
            .contains(s(&usb_real)),
        "the choice is kept in this computer's settings.json"
    );
    let b = cli(&["backup", "create"]);
    assert!(
        b["file"].as_str().expect("file").starts_with(s(&usb_real)),
        "the backup went to the chosen folder: {b}"
    );

    // The USB stick is gone: the next backup goes to the default folder, and the list says so.
    std::fs::rename(&usb, dir.path().join("usb-away")).expect("unplug");
    let b = cli(&["backup", "create"]);
    assert!(
        b["file"]
            .as_str()
            .expect("file")
            .starts_with(s(&dir.path().join("backups"))),
        "fallback to backups/ beside the database: {b}"
    );
    let l = cli(&["backup", "list"]);
    assert!(
        l["unreachable"]
            .as_str()
            .is_some_and(|u| u.contains("cannot be reached")),
        "the list reports the unreachable folder: {l}"
    );
    let e = bin()
        .env("XDG_CONFIG_HOME", &cfg)
        .args([
            "--db",
            s(&db),
            "backup",
            "folder",
            s(&dir.path().join("nope")),
        ])
        .output()
        .expect("runs");
    assert_eq!(
        e.status.code(),
        Some(2),
        "a folder that does not exist is refused"
    );
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("is not a folder"),
        "the reason is given"
    );
    let f = cli(&["backup", "folder", "--default"]);
    assert!(
        f["configured_folder"].is_null(),
        "back to the default folder: {f}"
    );
}

#[test]
fn an_old_database_is_backed_up_then_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("old.sqlite");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/db/v1.sqlite"),
        &db,
    )
    .expect("copy the v1 fixture");
    assert!(
        ok(&db, &["check"]).starts_with("ok"),
        "a v1 database upgrades and passes the check"
    );
    let l = json(&db, &["backup", "list"]);
    assert_eq!(l["backups"][0]["kind"], "before_migration", "{l}");
    assert_eq!(
        l["backups"][0]["schema_version"], 1,
        "the backup keeps the old schema: {l}"
    );
}

#[test]
fn a_restore_is_refused_while_another_program_has_the_database_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo(dir.path());
    let b = json(&db, &["backup", "create"]);
    let file = b["file"].as_str().expect("file").to_string();
    ok(&db, &["branch", "add", "Z01", "--name", "Zinder"]);
    let before = dump(&db);
    // Another program (here: this test) holds the database open, as the app would.
    let other = rusqlite::Connection::open(&db).expect("open");
    let n: i64 = other
        .query_row("SELECT count(*) FROM branch", [], |r| r.get(0))
        .expect("a read keeps it open in WAL mode");
    assert!(n > 0, "the demo has branches");
    let err = fails_with(&db, &["backup", "restore", &file, "--yes"], Some(2));
    assert!(
        err.contains("another program has") && err.contains("was not changed"),
        "the restore stops rather than replace a file someone is using: {err}"
    );
    drop(other);
    assert_eq!(dump(&db), before, "the database is unchanged");
    ok(&db, &["backup", "restore", &file, "--yes"]);
    assert!(
        !dump(&db).contains("Zinder"),
        "once the other program closed it, the restore goes through"
    );
}
