//! Sync packages, as they arrive from a USB stick, e-mail or a shared folder.
//!
//! An input that starts like a package (`MIZANI-SYNC\n`) goes through every check as it is:
//! the envelope (magic, format, length, checksum), then, for the rare input that survives,
//! the body and the signature. Any other input is taken as the JSON *body* of a package and
//! sealed with the right site's key (the first byte chooses head office → branch site or
//! branch site → head office), with the seed's site and institution ids replaced by the real
//! ones: that reaches everything behind the signature — the body's parse, the institution,
//! sender, receiver and ownership checks and the merge — which random bytes never would.
//! Both sites are in-memory databases set up once (enrolled and joined for real).
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use mizani_core::api::{self, InitRequest};
use mizani_core::sync::{self, package};
use mizani_core::{import, Store};
use std::sync::{Mutex, OnceLock};

struct Site {
    store: Store,
    uid: String,
    key: SigningKey,
}

struct Sites {
    hq: Site,
    branch: Site,
    institution: String,
}

fn self_site(store: Store) -> Site {
    let (uid, key): (String, Vec<u8>) = store
        .conn()
        .query_row(
            "SELECT uid, secret_key FROM site WHERE is_self = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("this site");
    let key: [u8; 32] = key.try_into().expect("a 32-byte key");
    Site {
        store,
        uid,
        key: SigningKey::from_bytes(&key),
    }
}

fn sites() -> &'static Mutex<Sites> {
    static SITES: OnceLock<Mutex<Sites>> = OnceLock::new();
    SITES.get_or_init(|| {
        let mut hq = Store::open_in_memory().expect("in-memory store");
        api::init(
            &mut hq,
            &InitRequest {
                name: "Fuzz MFI".into(),
                currency: "XOF".into(),
                country: None,
                language: None,
                gni_per_capita: None,
            },
        )
        .expect("init");
        for code in ["BR01", "BR02"] {
            api::branch_add(&mut hq, code, code, Some("North")).expect("branch");
        }
        import::import_csv_bytes(
            &mut hq,
            "start.csv",
            b"branch,period,element,value\nBR01,2025-01,glp,1000\nBR02,2025-01,glp,2000\n",
            false,
        )
        .expect("data");
        let file =
            std::env::temp_dir().join(format!("mizani-fuzz-{}.mizenrol", std::process::id()));
        sync::site_enrol(&mut hq, &["BR01".to_string()], Some("North office"), &file)
            .expect("enrol");
        let bytes = std::fs::read(&file).expect("enrolment file");
        let _ = std::fs::remove_file(&file);
        let mut br = Store::open_in_memory().expect("in-memory store");
        sync::site_join_bytes(&mut br, &bytes).expect("join");
        let institution: String = hq
            .conn()
            .query_row("SELECT uid FROM organisation", [], |r| r.get(0))
            .expect("institution");
        Mutex::new(Sites {
            hq: self_site(hq),
            branch: self_site(br),
            institution,
        })
    })
}

/// Replaces every occurrence of the seed's ids (as JSON strings) by the real ones.
fn readdress(body: &[u8], institution: &str, sender: &str, receiver: &str) -> Vec<u8> {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    let Some(manifest) = m.get("manifest").and_then(|v| v.as_object()) else {
        return body.to_vec();
    };
    let mut text = String::from_utf8_lossy(body).into_owned();
    for (field, real) in [
        ("institution", institution),
        ("sender", sender),
        ("receiver", receiver),
    ] {
        if let Some(old) = manifest.get(field).and_then(|v| v.as_str()) {
            if !old.is_empty() && old != real {
                text = text.replace(&format!("\"{old}\""), &format!("\"{real}\""));
            }
        }
    }
    text.into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let _ = package::open(data, package::Kind::Changes);
    let _ = package::open(data, package::Kind::Enrolment);
    let mut guard = sites().lock().unwrap_or_else(|e| e.into_inner());
    let s = &mut *guard;
    if data.starts_with(package::MAGIC) {
        let _ = sync::sync_import_bytes(&mut s.branch.store, data, "fuzz.mizpkg");
    } else if let Some((&dir, body)) = data.split_first() {
        let (from, to) = if dir & 1 == 0 {
            (&s.hq, &mut s.branch)
        } else {
            (&s.branch, &mut s.hq)
        };
        let body = readdress(body, &s.institution, &from.uid, &to.uid);
        let sealed = package::seal(package::Kind::Changes, &body, &from.key).expect("seal");
        let _ = sync::sync_import_bytes(&mut to.store, &sealed, "fuzz.mizpkg");
    }
    // Refusals are logged; keep the log from growing over millions of runs.
    for site in [&s.hq, &s.branch] {
        let _ = site.store.conn().execute_batch("DELETE FROM sync_refusal");
    }
});
