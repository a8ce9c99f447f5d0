//! Shared set-up for the core's integration tests: real SQLite stores (in memory or in a
//! temporary folder), data loaded through the public CSV import, values read through the API.
#![allow(dead_code)]

use mizani_core::api::{self, InitRequest};
use mizani_core::catalogue::IndicatorDef;
use mizani_core::engine::{IndicatorValue, Scope};
use mizani_core::import::import_csv_bytes;
use mizani_core::model::{Category, Direction, Names};
use mizani_core::period::{Month, Period};
use mizani_core::Store;

/// Initialises an institution (with the built-in catalogue) in `store`.
pub fn init(store: &mut Store, gni_per_capita: Option<f64>) {
    api::init(
        store,
        &InitRequest {
            name: "Test MFI".into(),
            currency: "XOF".into(),
            country: Some("SN".into()),
            language: Some("en".into()),
            gni_per_capita,
        },
    )
    .expect("init of an empty database succeeds");
}

/// A fresh in-memory store with an institution.
pub fn store(gni_per_capita: Option<f64>) -> Store {
    let mut s = Store::open_in_memory().expect("in-memory database opens");
    init(&mut s, gni_per_capita);
    s
}

/// Adds branches given as (code, region).
pub fn branches(store: &mut Store, list: &[(&str, &str)]) {
    for (code, region) in list {
        api::branch_add(store, code, &format!("Branch {code}"), Some(region))
            .expect("adding a new branch succeeds");
    }
}

/// Imports `branch,period,element,value` rows (without the header) through the CSV import.
pub fn load(store: &mut Store, rows: &str) {
    let mut csv = String::from("branch,period,element,value\n");
    csv.push_str(rows);
    import_csv_bytes(store, "test.csv", csv.as_bytes(), false)
        .unwrap_or_else(|e| panic!("test data imports cleanly: {e} {:?}", e.details));
}

/// CSV rows for one element of one branch over consecutive months starting at `first`.
pub fn series(branch: &str, element: &str, first: &str, values: &[f64]) -> String {
    let m0 = Month::parse(first).expect("valid first month");
    values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{branch},{},{element},{v}\n", m0.plus(i as i32)))
        .collect()
}

pub fn period(s: &str) -> Period {
    Period::parse(s).expect("valid period")
}

/// The value `explain` gives (with per-branch contributions).
pub fn explain(store: &Store, code: &str, p: &str, scope: &Scope) -> IndicatorValue {
    api::explain(store, code, period(p), scope, None)
        .unwrap_or_else(|e| panic!("explain {code} {p} {scope}: {e}"))
}

/// The value the indicator list gives (what the dashboard and the report read).
pub fn listed(store: &Store, code: &str, p: &str, scope: &Scope) -> IndicatorValue {
    api::indicators(store, period(p), scope, None)
        .expect("indicators compute")
        .into_iter()
        .find(|v| v.code == code)
        .unwrap_or_else(|| panic!("indicator {code} is in the list"))
}

/// Asserts `actual` is a value within 1e-9 (relative) of `expected`.
#[track_caller]
pub fn assert_close(actual: Option<f64>, expected: f64, why: &str) {
    let a = actual.unwrap_or_else(|| panic!("expected {expected}, got no value: {why}"));
    let tol = 1e-9 * expected.abs().max(1.0);
    assert!(
        (a - expected).abs() <= tol,
        "expected {expected}, got {a}: {why}"
    );
}

/// A non-built-in indicator definition.
pub fn custom(
    code: &str,
    numerator: &str,
    denominator: &str,
    factor: f64,
    annualise: bool,
) -> IndicatorDef {
    IndicatorDef {
        code: code.into(),
        category: Category::Financial,
        numerator: numerator.into(),
        denominator: denominator.into(),
        factor,
        unit: "number".into(),
        direction: Direction::Higher,
        green: None,
        red: None,
        annualise,
        name: Names {
            en: format!("Test {code}"),
            fr: None,
            es: None,
        },
        description: String::new(),
    }
}

/// The rows of `sql`, each as its cells (`Value` debug text) joined by `|`, in the query's
/// order: how tests compare whole tables before and after.
pub fn rows(c: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = c.prepare(sql).expect("select");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).expect("cell")))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

/// The rows of table `t`, sorted (independent of storage order).
pub fn sorted_rows(c: &rusqlite::Connection, t: &str) -> Vec<String> {
    let mut v = rows(c, &format!("SELECT * FROM \"{t}\""));
    v.sort();
    v
}

/// Every table of the database, by name.
pub fn table_names(c: &rusqlite::Connection) -> Vec<String> {
    c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}
