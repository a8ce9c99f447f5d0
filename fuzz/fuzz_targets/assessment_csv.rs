//! The assessment answers CSV import (`mizani assessment import`, the app's assessment page):
//! any bytes against the current checklist, into an assessment that has some answers (dry
//! run: the whole parse, validation and merge with the stored answers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizani_core::api::{self, InitRequest};
use mizani_core::spm::{self, NewAssessment};
use mizani_core::Store;
use std::sync::{Mutex, OnceLock};

fn store() -> &'static Mutex<(Store, i64)> {
    static STORE: OnceLock<Mutex<(Store, i64)>> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut s = Store::open_in_memory().expect("in-memory store");
        api::init(
            &mut s,
            &InitRequest {
                name: "Fuzz MFI".into(),
                currency: "XOF".into(),
                country: None,
                language: None,
                gni_per_capita: None,
            },
        )
        .expect("init");
        api::branch_add(&mut s, "BR01", "North", Some("North")).expect("branch");
        let a = spm::assessment_new(
            &mut s,
            &NewAssessment {
                title: "Fuzz assessment".into(),
                assessed_on: "2026-01-15".into(),
                assessor: "Fuzzer".into(),
                scope: None,
            },
        )
        .expect("assessment");
        // Some stored answers, for the merge with the imported ones.
        let mut csv = String::from("practice,answer,evidence,note\n");
        let cl = spm::checklist::current().expect("checklist");
        for (i, p) in cl.practices().take(12).enumerate() {
            let answer = ["yes", "partial", "no", "na"][i % 4];
            csv.push_str(&format!("{},{answer},Policy {i},\n", p.practice.code));
        }
        spm::assessment_import_csv(&mut s, a.id, "start.csv", csv.as_bytes(), false)
            .expect("start answers");
        Mutex::new((s, a.id))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut guard = store().lock().unwrap_or_else(|e| e.into_inner());
    let (s, id) = &mut *guard;
    let _ = spm::assessment_import_csv(s, *id, "fuzz.csv", data, true);
});
