//! Shared set-up of the fuzz targets: an in-memory database with a tiny institution (the
//! built-in catalogue and three branches), made once per process.

use mizani_core::api::{self, InitRequest};
use mizani_core::sheet::{self, ImportOptions, Mapping};
use mizani_core::Store;
use std::cell::RefCell;

thread_local! {
    static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
}

fn new_store() -> Store {
    let mut s = Store::open_in_memory().expect("in-memory database");
    api::init(
        &mut s,
        &InitRequest {
            name: "Fuzz MFI".into(),
            currency: "XOF".into(),
            country: Some("SN".into()),
            language: Some("fr".into()),
            gni_per_capita: None,
        },
    )
    .expect("init");
    for (code, name) in [("N01", "Kalanga"), ("N02", "Mbour"), ("S01", "Ziguinchor")] {
        api::branch_add(&mut s, code, name, Some("North")).expect("branch");
    }
    s
}

/// Runs the reading, layout and preview of `bytes` (as the wizard and the CLI do) with a few
/// option sets chosen by `flags`; errors are fine, panics are not.
pub fn check(bytes: &[u8], file_name: &str, flags: u8) {
    STORE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let store = slot.get_or_insert_with(new_store);
        let mut opts = ImportOptions::default();
        if flags & 1 == 1 {
            opts.period = Some("2025-03".into());
        }
        if flags & 2 == 2 {
            opts.sheet = Some("Feuil1".into());
        }
        if flags & 4 == 4 {
            opts.mapping = Some(Mapping {
                header_row: Some(u32::from(flags >> 4)),
                header_rows: Some(u32::from(flags >> 3 & 1) + 1),
                ..Mapping::default()
            });
        }
        // The preview, then a dry-run commit with the mapping it suggested (as the wizard
        // sends it back); errors are expected, panics are bugs.
        if let Ok(p) = sheet::preview(store, bytes, file_name, &opts) {
            let again = ImportOptions {
                mapping: Some(p.inspection.mapping),
                ..opts
            };
            let _ = sheet::commit(store, bytes, file_name, &again, true);
        }
    });
}
