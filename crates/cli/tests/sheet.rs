//! `mizani import` of spreadsheets through the real binary: XLSX and CSV in both layouts,
//! problems printed as `Sheet!B7: message`, `--sheet`, `--mapping`, `--write-mapping`,
//! `--period`, `--dry-run` and `--json`; every refusal leaves the database unchanged.

use std::path::{Path, PathBuf};
mod common;
use common::*;
use rust_xlsxwriter::{Format, Formula, Workbook};

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mfi.sqlite");
    ok(
        &db,
        &["init", "--org", "Kora", "--currency", "XOF", "--lang", "fr"],
    );
    for (code, name) in [("N01", "Kalanga"), ("N02", "Mbour"), ("S01", "Ziguinchor")] {
        ok(&db, &["branch", "add", code, "--name", name]);
    }
    let path = dir.path().to_path_buf();
    Fixture {
        _dir: dir,
        db,
        dir: path,
    }
}

fn corpus(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/spreadsheets")
        .join(name)
        .to_str()
        .expect("path")
        .to_string()
}

fn write(f: &Fixture, name: &str, bytes: &[u8]) -> String {
    let p = f.dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.to_str().expect("path").to_string()
}

fn value(db: &Path, branch: &str, element: &str, period: &str) -> Option<f64> {
    let (y, m) = period.split_once('-').expect("YYYY-MM");
    let month = y.parse::<i64>().expect("year") * 12 + m.parse::<i64>().expect("month") - 1;
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row(
            "SELECT m.value FROM measurement m JOIN branch b ON b.id = m.branch_id
             JOIN data_element e ON e.id = m.element_id
             WHERE b.code = ?1 AND e.code = ?2 AND m.month = ?3",
            rusqlite::params![branch, element, month],
            |r| r.get(0),
        )
        .ok()
}

/// A workbook whose first sheet is hidden; "Mars 2025" has a merged title, a totals row and
/// a formula.
fn workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let hidden = wb.add_worksheet();
    hidden.set_name("Brouillon").expect("name");
    for (c, h) in ["Agence", "Mois", "glp"].iter().enumerate() {
        hidden.write_string(0, c as u16, *h).expect("w");
    }
    hidden.write_string(1, 0, "N01").expect("w");
    hidden.write_string(1, 1, "2025-01").expect("w");
    hidden.write_number(1, 2, 42.0).expect("w");
    hidden.set_hidden(true);
    let ws = wb.add_worksheet();
    ws.set_name("Mars 2025").expect("name");
    ws.set_active(true);
    ws.merge_range(
        0,
        0,
        0,
        2,
        "Situation des agences au 31/03/2025",
        &Format::new(),
    )
    .expect("merge");
    for (c, h) in [
        "Agence",
        "Encours brut de crédit",
        "Portefeuille à risque > 30 jours",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, c as u16, *h).expect("w");
    }
    ws.write_string(3, 0, "N01").expect("w");
    ws.write_number(3, 1, 1_000_000.0).expect("w");
    ws.write_formula(3, 2, Formula::new("=B4*0.04").set_result("40000"))
        .expect("w");
    ws.write_string(4, 0, "N02").expect("w");
    ws.write_number(4, 1, 2_000_000.0).expect("w");
    ws.write_number(4, 2, 10_000.0).expect("w");
    ws.write_string(5, 0, "TOTAL").expect("w");
    ws.write_formula(5, 1, Formula::new("=SUM(B4:B5)").set_result("3000000"))
        .expect("w");
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn an_xlsx_imports_with_a_readable_summary() {
    let f = fixture();
    let p = write(&f, "agences.xlsx", &workbook());
    let out = ok(&f.db, &["import", &p]);
    assert!(
        out.starts_with("Imported agences.xlsx: 4 values, 4 new, 0 changed, 0 unchanged"),
        "the first line keeps the old summary, counting values of a wide sheet: {out}"
    );
    assert!(
        out.contains("read as XLSX sheet 'Mars 2025', wide layout, header row 3"),
        "says what was read: {out}"
    );
    assert!(
        out.contains("period 2025-03 (from the title cell 'Mars 2025'!A1)"),
        "the month from the merged title: {out}"
    );
    assert!(
        out.contains("skipped 'Mars 2025'!A6: totals row ('TOTAL')"),
        "the totals row is named: {out}"
    );
    assert!(out.contains("hidden sheet(s) ignored: Brouillon"), "{out}");
    assert_eq!(
        value(&f.db, "N01", "par30_balance", "2025-03"),
        Some(40_000.0),
        "the formula's cached value was imported"
    );
    // The hidden sheet on request.
    let r = json(&f.db, &["import", &p, "--sheet", "Brouillon"]);
    assert_eq!(
        (r["sheet"].as_str(), r["inserted"].as_u64()),
        (Some("Brouillon"), Some(1)),
        "--sheet reads a hidden sheet: {r}"
    );
    let e = fails_with(&f.db, &["import", &p, "--sheet", "Avril"], Some(2));
    assert!(
        e.contains("no sheet 'Avril'") && e.contains("'Brouillon' (hidden)"),
        "an unknown sheet lists the sheets: {e}"
    );
}

#[test]
fn problems_are_printed_as_cell_references_and_nothing_changes() {
    let f = fixture();
    ok(&f.db, &["import", &corpus("long-basic.csv")]);
    let before = dump(&f.db);
    let e = fails_with(&f.db, &["import", &corpus("bad-wide.csv")], Some(2));
    for cell in [
        "bad-wide.csv!E1: unknown column 'Épargne volontaire'",
        "bad-wide.csv!A3: unknown branch 'X99'",
        "bad-wide.csv!C4: value 'beaucoup' is not a number",
        "bad-wide.csv!D4: value -4 is negative",
        "bad-wide.csv!C5: duplicate of C2",
        "bad-wide.csv!B6: period 2999-01 is in the future",
    ] {
        assert!(
            e.lines().any(|l| l.trim_start().starts_with(cell)),
            "one line per problem, `file!cell: message` ({cell}): {e}"
        );
    }
    assert_eq!(before, dump(&f.db), "a refused file changes nothing");
    // The same as JSON: the error carries every located problem.
    let o = run(&f.db, &["--json", "import", &corpus("bad-long.csv")]);
    assert_eq!(o.status.code(), Some(2), "bad input exits 2");
    let v: serde_json::Value = serde_json::from_slice(&o.stderr).expect("JSON error");
    assert_eq!(v["error"]["code"], "import_rejected", "stable code: {v}");
    let details: Vec<&str> = v["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d.as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("bad-long.csv!C4: unknown data element 'loans'")),
        "{details:?}"
    );
    assert_eq!(before, dump(&f.db), "still unchanged");
}

#[test]
fn dry_run_and_json_report_the_detected_format() {
    let f = fixture();
    let before = dump(&f.db);
    let r = json(
        &f.db,
        &["import", &corpus("wide-latin1-semicolon.csv"), "--dry-run"],
    );
    assert_eq!(r["dry_run"], true, "a dry run says so");
    assert_eq!(r["inserted"], 6, "six values would be new: {r}");
    assert_eq!(r["format"]["encoding"], "Windows-1252", "{r}");
    assert_eq!(r["format"]["separator"], ";", "{r}");
    assert_eq!(r["format"]["numbers"]["decimal"], "comma", "{r}");
    assert_eq!(r["format"]["layout"], "wide", "{r}");
    assert_eq!(
        r["skipped"][0]["cell"], "wide-latin1-semicolon.csv!A4",
        "the totals row: {r}"
    );
    assert_eq!(before, dump(&f.db), "a dry run writes nothing");
}

#[test]
fn a_mapping_file_written_edited_used_and_remembered() {
    let f = fixture();
    let march = write(
        &f,
        "mis-2025-03.csv",
        "Agence;Mois;Encours brut;PAR30;Observations\nN01;2025-03;1000;50;\nN02;2025-03;2000;0;\n"
            .as_bytes(),
    );
    let before = dump(&f.db);
    let e = fails_with(&f.db, &["import", &march], Some(2));
    assert!(
        e.contains("mis-2025-03.csv!C1: unknown column 'Encours brut'"),
        "unmatched headers are errors on their cell: {e}"
    );
    let map = f.dir.join("map.json");
    let out = ok(
        &f.db,
        &[
            "import",
            &march,
            "--write-mapping",
            map.to_str().expect("p"),
        ],
    );
    assert!(
        out.contains("to map: Encours brut, PAR30"),
        "says which columns need a decision: {out}"
    );
    assert_eq!(before, dump(&f.db), "writing a mapping imports nothing");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&map).expect("read")).expect("json");
    for c in m["columns"].as_array_mut().expect("columns") {
        match c["header"].as_str() {
            Some("Encours brut") => {
                c["role"] = "data".into();
                c["element"] = "glp".into();
            }
            Some("PAR30") => {
                c["role"] = "data".into();
                c["element"] = "par30_balance".into();
            }
            _ => {}
        }
    }
    std::fs::write(&map, m.to_string()).expect("write");
    let r = json(
        &f.db,
        &["import", &march, "--mapping", map.to_str().expect("p")],
    );
    assert_eq!(
        (r["inserted"].as_u64(), r["mapping_saved"].as_bool()),
        (Some(4), Some(true)),
        "imported with the mapping, which is saved: {r}"
    );
    assert_eq!(
        value(&f.db, "N01", "par30_balance", "2025-03"),
        Some(50.0),
        "PAR30 mapped"
    );
    let april = write(
        &f,
        "mis-2025-04.csv",
        "Agence;Mois;Encours brut;PAR30;Observations\nN01;2025-04;1100;55;\n".as_bytes(),
    );
    let r = json(&f.db, &["import", &april]);
    assert_eq!(
        r["inserted"], 2,
        "next month's file of the same source imports with the saved mapping: {r}"
    );
    // A broken mapping file is refused with its name.
    let broken = write(&f, "broken.json", b"{\"columns\": 3}");
    let e = fails_with(&f.db, &["import", &april, "--mapping", &broken], Some(2));
    assert!(
        e.contains("broken.json") && e.contains("not a valid mapping"),
        "{e}"
    );
}

#[test]
fn a_month_given_on_the_command_line() {
    let f = fixture();
    let p = write(&f, "fev.csv", "Agence;glp\nN01;10\n".as_bytes());
    let e = fails_with(&f.db, &["import", &p], Some(2));
    assert!(
        e.contains("no 'period' column"),
        "the month is asked for: {e}"
    );
    ok(&f.db, &["import", &p, "--period", "févr. 2025"]);
    assert_eq!(
        value(&f.db, "N01", "glp", "2025-02"),
        Some(10.0),
        "--period applies to every row"
    );
    let e = fails_with(&f.db, &["import", &p, "--period", "2025-Q1"], Some(2));
    assert!(
        e.contains("measurements are monthly"),
        "a quarter is not a month: {e}"
    );
}
