//! Encryption at rest (SQLCipher): an encrypted database and its backups cannot be read without
//! the passphrase — not by Mizani, not by SQLite's own tools — and open with it, unchanged; the
//! passphrase can be changed or the encryption removed.

mod common;

use mizani_core::api;
use mizani_core::store::{looks_encrypted, Store};
use mizani_core::sync::canonical_dump;
use mizani_core::ErrorCode;
use std::path::Path;

fn sample(path: &Path) -> Store {
    let mut s = Store::open(path).expect("a new database opens");
    common::init(&mut s, None);
    common::branches(&mut s, &[("BR01", "North")]);
    common::load(
        &mut s,
        &common::series("BR01", "glp", "2025-01", &[100.0, 110.0, 120.5]),
    );
    s
}

/// sqlite3 (the SQLite shell) on `file`: Ok(output) when it can read the schema.
fn sqlite3_reads(file: &Path) -> Result<String, String> {
    let o = std::process::Command::new("sqlite3")
        .arg(file)
        .arg("SELECT count(*) FROM sqlite_master;")
        .output()
        .map_err(|e| {
            format!("sqlite3 is needed for this test (scripts/setup.sh installs it): {e}")
        })?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).to_string())
    }
}

#[test]
fn an_encrypted_database_and_its_backups_need_the_passphrase() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mfi.sqlite");
    let mut s = sample(&db);
    let before = canonical_dump(s.conn()).expect("dump");
    assert!(
        sqlite3_reads(&db).is_ok(),
        "a plain database is readable by sqlite3 (the control)"
    );

    let e = s
        .rekey(Some("short"))
        .expect_err("a short passphrase is refused");
    assert_eq!(e.code, ErrorCode::InvalidInput, "{e}");
    s.rekey(Some("rural women first"))
        .expect("encrypting works");
    assert!(s.is_encrypted(), "the store knows it is encrypted");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        before,
        "the data is unchanged"
    );
    drop(s);

    assert!(
        looks_encrypted(&db),
        "the file no longer starts with SQLite's header"
    );
    let raw = std::fs::read(&db).expect("read");
    assert!(
        !raw.windows(4).any(|w| w == b"BR01"),
        "no plain text of the data is left in the file"
    );
    let e = sqlite3_reads(&db).expect_err("sqlite3 cannot read an encrypted database");
    assert!(e.contains("not a database"), "sqlite3 says why: {e}");
    let e = Store::open(&db).expect_err("Mizani needs the passphrase");
    assert_eq!(e.code, ErrorCode::PassphraseRequired, "{e}");
    let e = Store::open_with_key(&db, Some("rural women last")).expect_err("a wrong passphrase");
    assert_eq!(e.code, ErrorCode::PassphraseWrong, "{e}");
    let mut s =
        Store::open_with_key(&db, Some("rural women first")).expect("the passphrase opens it");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        before,
        "the same data"
    );
    assert!(api::check(&s).expect("check").ok, "and it passes the check");
    // Writes keep working.
    common::load(&mut s, &common::series("BR01", "glp", "2025-04", &[130.0]));

    // A backup of an encrypted database is encrypted alike.
    let bak = api::backup_create(&s, Some(&dir.path().join("bak.sqlite"))).expect("backup");
    assert!(looks_encrypted(&bak), "the backup is encrypted");
    assert!(
        sqlite3_reads(&bak).is_err(),
        "sqlite3 cannot read the backup"
    );
    assert_eq!(
        Store::open(&bak)
            .expect_err("the backup needs the passphrase")
            .code,
        ErrorCode::PassphraseRequired,
        "the backup asks for the passphrase"
    );
    let b =
        Store::open_with_key(&bak, Some("rural women first")).expect("the backup opens with it");
    assert_eq!(
        canonical_dump(b.conn()).expect("dump"),
        canonical_dump(s.conn()).expect("dump"),
        "the backup holds the same data"
    );
    drop(b);

    // Changing the passphrase: the old one stops working.
    s.rekey(Some("a new passphrase")).expect("change");
    let after = canonical_dump(s.conn()).expect("dump");
    drop(s);
    assert_eq!(
        Store::open_with_key(&db, Some("rural women first"))
            .expect_err("old")
            .code,
        ErrorCode::PassphraseWrong,
        "the old passphrase no longer opens it"
    );
    let mut s = Store::open_with_key(&db, Some("a new passphrase")).expect("the new one does");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        after,
        "with the same data"
    );

    // Removing the encryption: a plain database again.
    s.rekey(None).expect("decrypt");
    drop(s);
    assert!(!looks_encrypted(&db), "plain again");
    let s = Store::open(&db).expect("opens without a passphrase");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        after,
        "with the same data"
    );
    assert!(sqlite3_reads(&db).is_ok(), "and sqlite3 reads it");
}
