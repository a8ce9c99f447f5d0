//! `mizani encrypt`, `passphrase change`, `decrypt` and `--passphrase-file` on real files: an
//! encrypted database and its backups are unreadable without the passphrase (sqlite3 fails on
//! them), the passphrase opens them, and mistakes are refused with a reason and no change.

mod common;

use common::{bin, dump, ok};
use std::path::Path;
use std::process::Output;

fn with_env(db: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = bin();
    c.arg("--db").arg(db).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn encrypt_open_change_and_decrypt_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mfi.sqlite");
    ok(&db, &["init", "--org", "Secret MFI", "--currency", "XOF"]);
    ok(
        &db,
        &[
            "branch", "add", "BR01", "--name", "Main", "--region", "North",
        ],
    );
    ok(&db, &["backup", "create"]);
    let plain_before = dump(&db);

    // A short passphrase is refused and nothing changes.
    let o = with_env(&db, &[("MIZANI_NEW_PASSPHRASE", "short")], &["encrypt"]);
    assert_eq!(o.status.code(), Some(2), "refused: {}", stderr(&o));
    assert!(stderr(&o).contains("too short"), "{}", stderr(&o));
    assert_eq!(dump(&db), plain_before, "the database is unchanged");

    let o = with_env(
        &db,
        &[("MIZANI_NEW_PASSPHRASE", "mission before margin")],
        &["--json", "encrypt"],
    );
    assert!(o.status.success(), "encrypt: {}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["encrypted"], true, "{r}");
    assert_eq!(
        r["removed_backups"].as_array().map(Vec::len),
        Some(1),
        "the plain backup is removed: {r}"
    );

    // Without the passphrase: refused, with the way to give it.
    let o = with_env(&db, &[], &["branch", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("encrypted") && stderr(&o).contains("--passphrase-file"),
        "{}",
        stderr(&o)
    );
    let o = with_env(
        &db,
        &[("MIZANI_PASSPHRASE", "margin before mission")],
        &["branch", "list"],
    );
    assert!(
        stderr(&o).contains("does not open"),
        "a wrong passphrase is named: {}",
        stderr(&o)
    );
    let key = dir.path().join("key.txt");
    std::fs::write(&key, "mission before margin\n").expect("key file");
    let k = key.to_str().expect("path");
    let o = with_env(&db, &[], &["--passphrase-file", k, "branch", "list"]);
    assert!(
        o.status.success(),
        "the passphrase file opens it: {}",
        stderr(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("BR01"),
        "with its data"
    );

    // sqlite3 reads neither the database nor its backups.
    let s = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT * FROM branch;")
        .output()
        .expect("sqlite3");
    assert!(
        !s.status.success(),
        "sqlite3 cannot read the encrypted database"
    );
    let backups: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .expect("backups")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        backups.len(),
        1,
        "one (encrypted) backup is left: {backups:?}"
    );
    let s = std::process::Command::new("sqlite3")
        .arg(&backups[0])
        .arg("SELECT * FROM branch;")
        .output()
        .expect("sqlite3");
    assert!(!s.status.success(), "sqlite3 cannot read the backup either");

    // Change the passphrase.
    let o = with_env(
        &db,
        &[("MIZANI_NEW_PASSPHRASE", "clients first, always")],
        &["--passphrase-file", k, "passphrase", "change"],
    );
    assert!(o.status.success(), "change: {}", stderr(&o));
    let o = with_env(&db, &[], &["--passphrase-file", k, "branch", "list"]);
    assert!(!o.status.success(), "the old passphrase no longer opens it");
    let env = [("MIZANI_PASSPHRASE", "clients first, always")];
    assert!(
        with_env(&db, &env, &["branch", "list"]).status.success(),
        "the new one does"
    );

    // Decrypt needs --yes.
    let o = with_env(&db, &env, &["decrypt"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    assert!(
        with_env(&db, &env, &["decrypt", "--yes"]).status.success(),
        "decrypted"
    );
    let s = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT code FROM branch;")
        .output()
        .expect("sqlite3");
    assert_eq!(
        String::from_utf8_lossy(&s.stdout).trim(),
        "BR01",
        "sqlite3 reads it again"
    );
}
