//! Runs the real `mizani` binary against temporary databases: every command, every class of
//! bad input, and the database checked unchanged after each refusal.

use std::path::{Path, PathBuf};
mod common;
use common::*;

/// Runs a command that must fail; returns its stderr.
fn fails(db: &Path, args: &[&str]) -> String {
    fails_with(db, args, None)
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mfi.sqlite");
    let path = dir.path().to_path_buf();
    ok(
        &db,
        &[
            "init",
            "--org",
            "Test MFI",
            "--currency",
            "xof",
            "--country",
            "sn",
            "--lang",
            "fr",
            "--gni-per-capita",
            "1000",
        ],
    );
    ok(
        &db,
        &[
            "branch", "add", "B1", "--name", "Alpha", "--region", "North",
        ],
    );
    ok(
        &db,
        &["branch", "add", "B2", "--name", "Beta", "--region", "South"],
    );
    Fixture {
        _dir: dir,
        db,
        dir: path,
    }
}

fn write(f: &Fixture, name: &str, content: &[u8]) -> PathBuf {
    let p = f.dir.join(name);
    std::fs::write(&p, content).expect("write file");
    p
}

const GOOD_CSV: &str = "branch,period,element,value\n\
B1,2025-01,glp,1000\nB1,2025-02,glp,1000\nB1,2025-03,glp,1000\n\
B1,2025-03,par30_balance,50\n\
B2,2025-03,glp,3000\nB2,2025-03,par30_balance,60\n";

#[test]
fn init_validates_and_refuses_a_second_institution() {
    let f = fixture();
    let org = json(&f.db, &["branch", "list"]);
    assert_eq!(
        org.as_array().map(|a| a.len()),
        Some(2),
        "two branches were added"
    );
    let before = dump(&f.db);
    let e = fails(&f.db, &["init", "--org", "Other", "--currency", "USD"]);
    assert!(
        e.contains("already holds the institution 'Test MFI'"),
        "names the existing institution: {e}"
    );
    assert_eq!(before, dump(&f.db), "a refused init changes nothing");

    let dir = tempfile::tempdir().expect("tempdir");
    for (args, field) in [
        (vec!["--currency", "dollars"], "currency"),
        (vec!["--currency", "USD", "--lang", "de"], "language"),
        (
            vec!["--currency", "USD", "--gni-per-capita", "-5"],
            "GNI per capita",
        ),
        (vec!["--currency", "USD", "--country", "Senegal"], "country"),
    ] {
        let db = dir.path().join("x.sqlite");
        let mut a = vec!["init", "--org", "X"];
        a.extend(args);
        let e = fails(&db, &a);
        assert!(
            e.contains(field),
            "the message names the field {field}: {e}"
        );
        assert!(
            !db.exists(),
            "invalid init arguments create no database file"
        );
    }
}

#[test]
fn commands_on_a_missing_database_create_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("typo.sqlite");
    let e = fails(&db, &["indicators", "--period", "2025-Q1"]);
    assert!(e.contains("no database"), "{e}");
    assert!(
        !db.exists(),
        "a typo in --db must not create an empty database"
    );
}

#[test]
fn mizani_db_environment_variable_selects_the_database() {
    let f = fixture();
    let o = bin()
        .env("MIZANI_DB", &f.db)
        .args(["--json", "branch", "list"])
        .output()
        .expect("runs");
    assert!(
        o.status.success(),
        "MIZANI_DB is honoured: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["code"], "B1", "it read the fixture's database");
}

#[test]
fn branch_add_rejects_duplicates_and_bad_codes() {
    let f = fixture();
    let before = dump(&f.db);
    let e = fails(&f.db, &["branch", "add", "B1", "--name", "Again"]);
    assert!(e.contains("already a branch"), "{e}");
    let e = fails(&f.db, &["branch", "add", "B 3", "--name", "Spaces"]);
    assert!(e.contains("code 'B 3'"), "{e}");
    let e = fails(&f.db, &["branch", "add", "B3", "--name", "  "]);
    assert!(e.contains("branch name"), "{e}");
    assert_eq!(
        before,
        dump(&f.db),
        "refused branches leave the database unchanged"
    );
}

#[test]
fn import_computes_sum_over_sum_and_json_has_the_documented_keys() {
    let f = fixture();
    let p = write(&f, "good.csv", GOOD_CSV.as_bytes());
    let dry = json(&f.db, &["import", p.to_str().expect("path"), "--dry-run"]);
    assert_eq!(dry["inserted"], 6, "dry run counts six new values");
    let v = json(&f.db, &["indicators", "--period", "2025-03"]);
    assert!(
        v.as_array()
            .expect("array")
            .iter()
            .all(|i| i["value"].is_null()),
        "dry run wrote nothing"
    );

    let r = json(&f.db, &["import", p.to_str().expect("path")]);
    assert_eq!(
        (r["inserted"].as_u64(), r["updated"].as_u64()),
        (Some(6), Some(0)),
        "six new values"
    );
    let v = json(&f.db, &["indicators", "--period", "2025-Q1"]);
    let par = v
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["code"] == "par30")
        .expect("par30");
    let keys: Vec<&str> = par
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut want = vec![
        "code",
        "value",
        "numerator",
        "denominator",
        "unit",
        "status",
        "reported",
        "expected",
        "formula_version",
        "reason",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want, "the JSON keys are exactly the documented ones");
    // (50 + 60) / (1000 + 3000) = 2.75 %, not the mean of 5 % and 2 % (3.5 %).
    assert!(
        (par["value"].as_f64().expect("value") - 2.75).abs() < 1e-9,
        "sum/sum: {par}"
    );
    assert_eq!(
        (par["reported"].as_u64(), par["expected"].as_u64()),
        (Some(2), Some(2)),
        "both branches reported"
    );
    let women = v
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["code"] == "women_borrowers_pct")
        .expect("women");
    assert!(women["value"].is_null(), "no data is missing, never 0");
    assert!(
        women["reason"]
            .as_str()
            .expect("reason")
            .contains("no branch reported"),
        "{women}"
    );

    let north = json(
        &f.db,
        &[
            "indicators",
            "--period",
            "2025-Q1",
            "--scope",
            "region:north",
        ],
    );
    let par = north
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["code"] == "par30")
        .expect("par30");
    assert!(
        (par["value"].as_f64().expect("value") - 5.0).abs() < 1e-9,
        "region North is B1 only: 50/1000"
    );

    // Re-import with a changed value: updated and audited with old and new values.
    let p2 = write(
        &f,
        "fix.csv",
        b"branch,period,element,value,comment\nB1,2025-03,par30_balance,70,recount\n",
    );
    let r = json(&f.db, &["import", p2.to_str().expect("path")]);
    assert_eq!(r["updated"], 1, "one value changed");
    let c = rusqlite::Connection::open(&f.db).expect("open");
    let (old, new, user): (String, String, String) = c
        .query_row(
            "SELECT a.old_value, a.new_value, b.user_name FROM audit a JOIN audit_batch b ON b.id = a.batch_id WHERE a.entity = 'measurement' AND a.field = 'value' AND a.old_value IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("one audited update");
    assert_eq!(
        (old.as_str(), new.as_str(), user.as_str()),
        ("50", "70", "tester"),
        "audit keeps old, new and who"
    );
    let r = json(&f.db, &["import", p2.to_str().expect("path")]);
    assert_eq!(
        r["unchanged"], 1,
        "importing the same file twice changes nothing"
    );
}

#[test]
fn import_accepts_semicolons_decimal_commas_and_a_bom() {
    let f = fixture();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "Branch;Period;Element;Value\nB1;2025-03;glp;1 000,5\nB1;2025-03;par30_balance;10,25\n"
            .as_bytes(),
    );
    let p = write(&f, "fr.csv", &bytes);
    let r = json(&f.db, &["import", p.to_str().expect("path")]);
    assert_eq!(
        r["inserted"], 2,
        "both rows read despite BOM, ';' and decimal commas"
    );
    let v = json(
        &f.db,
        &[
            "explain",
            "par30",
            "--period",
            "2025-03",
            "--scope",
            "branch:B1",
        ],
    );
    assert_eq!(
        v["denominator"].as_f64(),
        Some(1000.5),
        "'1 000,5' is one thousand and a half"
    );
}

#[test]
fn every_bad_row_is_listed_and_the_database_is_unchanged() {
    let f = fixture();
    let p = write(&f, "good.csv", GOOD_CSV.as_bytes());
    ok(&f.db, &["import", p.to_str().expect("path")]);
    let before = dump(&f.db);
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "unknown branch",
            "branch,period,element,value\nB1,2025-04,glp,5\nB9,2025-04,glp,5\n",
            "bad.csv!A3: unknown branch 'B9'",
        ),
        (
            "unknown element",
            "branch,period,element,value\nB1,2025-04,loans,5\n",
            "bad.csv!C2: unknown data element 'loans'",
        ),
        (
            "bad period",
            "branch,period,element,value\nB1,2025-13,glp,5\n",
            "bad.csv!B2: '2025-13'",
        ),
        (
            "quarter period",
            "branch,period,element,value\nB1,2025-Q1,glp,5\n",
            "measurements are monthly",
        ),
        (
            "future period",
            "branch,period,element,value\nB1,2999-01,glp,5\n",
            "in the future",
        ),
        (
            "non-numeric",
            "branch,period,element,value\nB1,2025-04,glp,abc\n",
            "bad.csv!D2: value 'abc' is not a number",
        ),
        (
            "empty value",
            "branch,period,element,value\nB1,2025-04,glp,\n",
            "bad.csv!D2: value is empty",
        ),
        (
            "negative count",
            "branch,period,element,value\nB1,2025-04,active_borrowers,-3\n",
            "negative; active_borrowers cannot be negative",
        ),
        (
            "fractional count",
            "branch,period,element,value\nB1,2025-04,active_borrowers,2.5\n",
            "not a whole number",
        ),
        (
            "duplicate key",
            "branch,period,element,value\nB1,2025-04,glp,5\nB2,2025-04,glp,5\nB1,2025-04,glp,6\n",
            "bad.csv!D4: duplicate of D2 (B1, 2025-04, glp)",
        ),
        (
            "missing column",
            "branch,period,value\nB1,2025-04,5\n",
            "no 'element' column",
        ),
        (
            "unknown column",
            "branch,period,element,value,extra\nB1,2025-04,glp,5,x\n",
            "unknown column 'extra'",
        ),
        ("no rows", "branch,period,element,value\n", "no data rows"),
        (
            "not UTF-8",
            "branch,period,element,value\nB1,2025-04,glp,5\nB\u{0}",
            "",
        ),
    ];
    for (what, content, expect) in cases {
        let mut bytes = content.as_bytes().to_vec();
        if what == "not UTF-8" {
            bytes = b"branch,period,element,value\nB\xE9,2025-04,glp,5\n".to_vec();
        }
        let p = write(&f, "bad.csv", &bytes);
        let e = fails(&f.db, &["import", p.to_str().expect("path")]);
        // A file that is not UTF-8 is read as Windows-1252 (Latin-1): the bad byte becomes
        // 'é', so the branch code is unknown, on its cell.
        let expect = if what == "not UTF-8" {
            "bad.csv!A2: unknown branch 'Bé'"
        } else {
            expect
        };
        assert!(e.contains(expect), "{what}: expected '{expect}' in: {e}");
        assert_eq!(
            before,
            dump(&f.db),
            "{what}: a rejected file changes nothing"
        );
    }
    // One file with several problems lists all of them at once.
    let p = write(&f, "many.csv", b"branch,period,element,value\nB9,2025-04,glp,1\nB1,2025-04,glp,x\nB1,2025-04,zzz,1\nB1,2025-05,glp,1\n");
    let e = fails(&f.db, &["import", p.to_str().expect("path")]);
    for l in ["many.csv!A2:", "many.csv!D3:", "many.csv!C4:"] {
        assert!(e.contains(l), "every bad cell is listed ({l}): {e}");
    }
    assert!(e.contains("3 bad row(s)"), "{e}");
    assert!(
        !e.contains("many.csv!A5"),
        "the good row is not reported: {e}"
    );
    assert_eq!(
        before,
        dump(&f.db),
        "the good row of a rejected file is not written either"
    );
    let e = fails(
        &f.db,
        &["import", f.dir.join("nope.csv").to_str().expect("path")],
    );
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn bad_periods_scopes_and_json_errors() {
    let f = fixture();
    let e = fails(&f.db, &["indicators", "--period", "2025-Q7"]);
    assert!(e.contains("2025-Q7"), "{e}");
    let e = fails(
        &f.db,
        &[
            "indicators",
            "--period",
            "2025",
            "--scope",
            "region:Atlantis",
        ],
    );
    assert!(
        e.contains("no region 'Atlantis'") && e.contains("North"),
        "lists known regions: {e}"
    );
    let e = fails(
        &f.db,
        &["dashboard", "--period", "2025", "--scope", "branch:ZZ"],
    );
    assert!(e.contains("no branch 'ZZ'"), "{e}");
    let e = fails(
        &f.db,
        &["indicators", "--period", "2025", "--scope", "planet:earth"],
    );
    assert!(e.contains("org, region:NAME or branch:CODE"), "{e}");
    let o = run(&f.db, &["--json", "explain", "nope", "--period", "2025"]);
    assert!(!o.status.success(), "unknown indicator fails");
    let v: serde_json::Value =
        serde_json::from_slice(&o.stderr).expect("--json errors are JSON on stderr");
    assert_eq!(
        v["error"]["code"], "not_found",
        "errors carry a stable code: {v}"
    );
}

#[test]
fn objectives_are_validated_listed_and_on_the_dashboard() {
    let f = fixture();
    let p = write(&f, "good.csv", GOOD_CSV.as_bytes());
    ok(&f.db, &["import", p.to_str().expect("path")]);
    let before = dump(&f.db);
    let base = [
        "objective",
        "add",
        "--title",
        "Lower PAR",
        "--practice",
        "2",
        "--dimension",
        "client_protection",
        "--start",
        "2025-01-01",
        "--end",
        "2026-12-31",
    ];
    let bad: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--practice", "7"], "practice 7"),
        (
            vec!["--dimension", "happiness"],
            "'happiness' is not a valid Universal Standards dimension",
        ),
        (vec!["--end", "2024-01-01"], "before start date"),
        (vec!["--start", "01/01/2025"], "the start date '01/01/2025'"),
        (vec!["--indicator", "nope"], "no indicator 'nope'"),
        (vec!["--target", "par30=abc@2026"], "'abc' is not a number"),
        (
            vec!["--target", "par30=2"],
            "must look like CODE=VALUE@PERIOD",
        ),
        (vec!["--target", "par30=2@2026-Q9"], "2026-Q9"),
        (vec!["--target", "par30:B9=2@2026"], "no branch 'B9'"),
        (
            vec!["--target", "par30=2@2026", "--target", "par30=3@2026"],
            "given twice",
        ),
        (
            vec!["--baseline", "women_borrowers_pct@2025-Q1"],
            "cannot be computed",
        ),
    ];
    for (extra, expect) in bad {
        let mut args: Vec<&str> = base.to_vec();
        // Later flags override earlier single-valued ones in this list.
        for pair in extra.chunks(2) {
            if let Some(i) = args.iter().position(|a| *a == pair[0]) {
                if !matches!(pair[0], "--target" | "--indicator" | "--baseline") {
                    args[i + 1] = pair[1];
                    continue;
                }
            }
            args.extend_from_slice(pair);
        }
        let e = fails(&f.db, &args);
        assert!(e.contains(expect), "expected '{expect}' in: {e}");
        assert_eq!(
            before,
            dump(&f.db),
            "a refused objective changes nothing ({expect})"
        );
    }
    let mut args = base.to_vec();
    args.extend([
        "--baseline",
        "par30@2025-Q1",
        "--target",
        "par30=2@2026-Q4",
        "--target",
        "par30:B1=4@2026-Q4",
        "--activity",
        "Visit late payers",
    ]);
    let o = json(&f.db, &args);
    assert_eq!(
        o["indicators"][0]["baseline_value"].as_f64(),
        Some(2.75),
        "baseline computed by the engine at org scope"
    );
    let list = json(&f.db, &["objective", "list"]);
    assert_eq!(list[0]["title"], "Lower PAR", "listed");
    assert_eq!(
        list[0]["indicators"][0]["targets"]
            .as_array()
            .map(|t| t.len()),
        Some(2),
        "org and branch targets"
    );
    let text = ok(&f.db, &["objective", "list"]);
    assert!(
        text.contains("Visit late payers") && text.contains("4.00 at B1 by 2026-Q4"),
        "{text}"
    );
    let d = json(&f.db, &["dashboard", "--period", "2025-Q1"]);
    assert_eq!(
        d["objectives"][0]["indicators"][0]["code"], "par30",
        "the objective's indicator is on the dashboard"
    );
    assert_eq!(
        d["objectives"][0]["indicators"][0]["trend"]
            .as_array()
            .map(|t| t.len()),
        Some(12),
        "12-period trend"
    );
    let d = json(
        &f.db,
        &["dashboard", "--period", "2025-Q1", "--scope", "branch:B1"],
    );
    assert_eq!(
        d["objectives"][0]["indicators"][0]["final_target"].as_f64(),
        Some(4.0),
        "a branch sees its own target"
    );
    let id = list[0]["id"].as_i64().expect("id").to_string();
    ok(&f.db, &["objective", "archive", &id]);
    assert_eq!(
        json(&f.db, &["objective", "list"])
            .as_array()
            .map(|a| a.len()),
        Some(0),
        "archived objectives are hidden"
    );
    assert_eq!(
        json(&f.db, &["objective", "list", "--all"])
            .as_array()
            .map(|a| a.len()),
        Some(1),
        "--all shows them"
    );
}

#[test]
fn indicator_edit_bumps_the_formula_version() {
    let f = fixture();
    let before = dump(&f.db);
    let e = fails(
        &f.db,
        &[
            "indicator",
            "set",
            "par30",
            "--numerator",
            "par30_balance +",
        ],
    );
    assert!(
        e.contains("position"),
        "formula errors name the position: {e}"
    );
    let e = fails(
        &f.db,
        &[
            "indicator",
            "set",
            "par30",
            "--numerator",
            "opening(new_clients)",
        ],
    );
    assert!(e.contains("applies to stocks"), "{e}");
    let e = fails(
        &f.db,
        &["indicator", "set", "par30", "--green", "9", "--red", "5"],
    );
    assert!(
        e.contains("contradict"),
        "thresholds must agree with the direction: {e}"
    );
    assert_eq!(before, dump(&f.db), "refused edits change nothing");
    let v = json(
        &f.db,
        &[
            "indicator",
            "set",
            "par30",
            "--numerator",
            "par30_balance * 1",
        ],
    );
    assert_eq!(v["formula_version"], 2, "a new formula is version 2");
    let v = json(&f.db, &["indicator", "set", "par30", "--name", "PAR 30"]);
    assert_eq!(v["formula_version"], 2, "a new name is not a new formula");
}

#[test]
fn demo_check_and_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    let s = json(&db, &["demo"]);
    assert_eq!(
        (s["regions"].as_u64(), s["branches"].as_u64()),
        (Some(3), Some(12)),
        "demo shape"
    );
    let before = dump(&db);
    let e = fails(&db, &["demo"]);
    assert!(
        e.contains("already holds"),
        "the demo goes only into an empty database: {e}"
    );
    assert_eq!(before, dump(&db), "refused demo changes nothing");
    assert!(
        ok(&db, &["check"]).starts_with("ok"),
        "the demo database is consistent"
    );
    let text = ok(&db, &["dashboard", "--period", "2026-Q3"]);
    assert!(text.contains("Prevent over-indebtedness"), "{text}");
    let d = json(&db, &["dashboard", "--period", "2026-Q3"]);
    let ranks: Vec<u8> = d["objectives"]
        .as_array()
        .expect("objectives")
        .iter()
        .map(|o| match o["status"].as_str() {
            Some("red") => 0,
            Some("amber") => 1,
            Some("missing") => 2,
            Some("no_threshold") => 3,
            _ => 4,
        })
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "reds first: {ranks:?}"
    );

    let out = dir.path().join("copy.sqlite");
    let b = json(
        &db,
        &["backup", "create", "-o", out.to_str().expect("path")],
    );
    assert!(b["bytes"].as_u64().unwrap_or(0) > 0, "backup has content");
    assert_eq!(dump(&db), dump(&out), "the backup holds the same data");
    let e = fails(
        &db,
        &["backup", "create", "-o", out.to_str().expect("path")],
    );
    assert!(e.contains("already exists"), "never overwrite a file: {e}");
    let b = json(&db, &["backup", "create"]);
    let p = PathBuf::from(b["file"].as_str().expect("file"));
    assert!(
        p.starts_with(dir.path().join("backups")),
        "default backups go beside the database: {p:?}"
    );
}

#[test]
fn damaged_newer_and_foreign_databases_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("new.sqlite");
    ok(&db, &["init", "--org", "X", "--currency", "USD"]);
    rusqlite::Connection::open(&db)
        .expect("open")
        .pragma_update(None, "user_version", 999)
        .expect("bump");
    let e = fails(&db, &["branch", "list"]);
    assert!(e.contains("newer Mizani"), "{e}");
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![0x42u8; 4096]).expect("write");
    let e = fails(&junk, &["branch", "list"]);
    assert!(
        e.contains("damaged") || e.contains("not a Mizani database"),
        "{e}"
    );
    let check = run(&db, &["check"]);
    assert!(!check.status.success(), "check on a refused database fails");
}
