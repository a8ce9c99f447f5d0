//! Enrolment files, joined into a fresh in-memory database each time (`mizani site join`,
//! the app's welcome screen).
//!
//! An input that starts like a package (`MIZANI-SYNC\n`) is joined as it is (envelope checks
//! first). Any other input is taken as the JSON *body* of an enrolment file and sealed with a
//! fixed head-office key, the seed's head-office id and public key replaced by that key's:
//! that reaches everything behind the signature — the body's parse, the site key, and the
//! load of every table, site, change and acknowledgement — which random bytes never would.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use mizani_core::sync::{self, package};
use mizani_core::Store;
use std::sync::{Mutex, OnceLock};

/// The seed's head-office uid and public key replaced (as JSON strings) by `key`'s.
fn resign(body: &[u8], key: &SigningKey) -> Vec<u8> {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    let Some(hq) = m.get("head_office").and_then(|v| v.as_object()) else {
        return body.to_vec();
    };
    let vk = key.verifying_key();
    let mut text = String::from_utf8_lossy(body).into_owned();
    for (field, real) in [
        ("uid", package::fingerprint(&vk)),
        ("public_key", package::hex(vk.as_bytes())),
    ] {
        if let Some(old) = hq.get(field).and_then(|v| v.as_str()) {
            if !old.is_empty() && old != real {
                text = text.replace(&format!("\"{old}\""), &format!("\"{real}\""));
            }
        }
    }
    text.into_bytes()
}

/// One in-memory database, emptied after every successful join (as fresh as a new one, and
/// much faster than creating the schema each time).
fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(|| Mutex::new(Store::open_in_memory().expect("in-memory store")))
}

fn empty(store: &Store) {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    let mut sql = String::from("PRAGMA foreign_keys = OFF; BEGIN;");
    for t in tables {
        sql.push_str(&format!("DELETE FROM \"{t}\";"));
    }
    sql.push_str("COMMIT; PRAGMA foreign_keys = ON;");
    conn.execute_batch(&sql).expect("empty the database");
}

fuzz_target!(|data: &[u8]| {
    let _ = package::open(data, package::Kind::Enrolment);
    let mut store = store().lock().unwrap_or_else(|e| e.into_inner());
    if data.starts_with(package::MAGIC) {
        let _ = sync::site_join_bytes(&mut store, data);
    } else {
        let key = SigningKey::from_bytes(&[7; 32]);
        let body = resign(data, &key);
        let sealed = package::seal(package::Kind::Enrolment, &body, &key).expect("seal");
        let _ = sync::site_join_bytes(&mut store, &sealed);
    }
    let joined: bool = store
        .conn()
        .query_row("SELECT EXISTS (SELECT 1 FROM organisation)", [], |r| {
            r.get(0)
        })
        .expect("query");
    if joined {
        empty(&store);
    }
});
