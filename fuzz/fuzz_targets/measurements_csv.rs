//! The measurements CSV import (`mizani import`, the app's Import page): any bytes, checked
//! against an institution with two branches and the built-in data elements (dry run: the
//! whole parse and validation, and the count of what would change).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizani_core::api::{self, InitRequest};
use mizani_core::{import, Store};
use std::sync::{Mutex, OnceLock};

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
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
        for (code, region) in [("BR01", "North"), ("N01", "North"), ("S-02", "South")] {
            api::branch_add(&mut s, code, code, Some(region)).expect("branch");
        }
        import::import_csv_bytes(
            &mut s,
            "start.csv",
            b"branch,period,element,value,comment\nBR01,2025-01,glp,1000,first\nN01,2025-01,staff,4,\n",
            false,
        )
        .expect("start data");
        Mutex::new(s)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = import::parse_number(text);
    }
    let mut s = store().lock().unwrap_or_else(|e| e.into_inner());
    let _ = import::import_csv_bytes(&mut s, "fuzz.csv", data, true);
});
