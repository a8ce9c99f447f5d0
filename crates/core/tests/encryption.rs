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

#[test]
fn backups_of_an_encrypted_database_follow_its_passphrase_and_restore_encrypted() {
    use mizani_core::backup::{self, BackupKind};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mizani.sqlite");
    let mut s = sample(&db);
    api::encrypt_database(&mut s, "first passphrase").expect("encrypt");
    let before = canonical_dump(s.conn()).expect("dump");
    let kept = backup::create(&s, BackupKind::Manual).expect("a manual backup");
    assert!(
        looks_encrypted(Path::new(&kept.path)),
        "a backup of an encrypted database is encrypted"
    );
    let listed = api::backups_list(&s).expect("list");
    assert!(
        listed.iter().all(|b| b.readable),
        "every backup opens with the database's passphrase: {listed:?}"
    );
    // Changing the passphrase re-keys the backups: the new one opens them, the old one none.
    api::encrypt_database(&mut s, "second passphrase").expect("change the passphrase");
    let listed = api::backups_list(&s).expect("list");
    assert!(
        listed.iter().all(|b| b.readable),
        "after the change every backup opens with the new passphrase: {listed:?}"
    );
    assert!(
        backup::verify(Path::new(&kept.path), Some("first passphrase")).is_err(),
        "the old passphrase no longer opens the older backup"
    );
    backup::verify(Path::new(&kept.path), Some("second passphrase"))
        .expect("the new passphrase opens and checks the older backup");
    // A change, then the restore of the backup: the data is the backup's, still encrypted.
    common::load(&mut s, &common::series("BR01", "glp", "2025-04", &[130.0]));
    let (s, _) = backup::restore(s, Path::new(&kept.path))
        .map_err(|(_, e)| e)
        .expect("the encrypted backup restores");
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        before,
        "the restored data is the backup's"
    );
    assert!(
        s.is_encrypted(),
        "the restored database is open with its passphrase"
    );
    drop(s);
    assert!(looks_encrypted(&db), "the restored file is encrypted");
    let e = Store::open(&db).expect_err("without the passphrase it does not open");
    assert_eq!(e.code, ErrorCode::PassphraseRequired, "{e}");
    let mut s = Store::open_with_key(&db, Some("second passphrase")).expect("opens");
    // Removing the encryption writes the backups out plain, so they stay usable.
    api::decrypt_database(&mut s).expect("decrypt");
    let listed = api::backups_list(&s).expect("list");
    assert!(
        listed
            .iter()
            .all(|b| b.readable && !looks_encrypted(Path::new(&b.path))),
        "after decrypting, every backup is plain and readable: {listed:?}"
    );
}

#[test]
fn a_plain_backup_restored_over_an_encrypted_database_is_encrypted_again() {
    use mizani_core::backup::{self, BackupKind};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("mizani.sqlite");
    let s = sample(&db);
    let plain = backup::create(&s, BackupKind::Manual).expect("a plain backup");
    // Kept outside the backup folder (encrypting removes the plain backups in it).
    let kept = dir.path().join("kept-plain.sqlite");
    std::fs::copy(&plain.path, &kept).expect("copy");
    let before = canonical_dump(s.conn()).expect("dump");
    let mut s = s;
    api::encrypt_database(&mut s, "a long passphrase").expect("encrypt");
    let (s, report) = backup::restore(s, &kept)
        .map_err(|(_, e)| e)
        .expect("the plain backup restores");
    assert!(
        s.is_encrypted() && looks_encrypted(&db),
        "a restore never removes the encryption"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("encrypted again")),
        "the report says so: {:?}",
        report.warnings
    );
    assert_eq!(
        canonical_dump(s.conn()).expect("dump"),
        before,
        "with the backup's data"
    );
}
