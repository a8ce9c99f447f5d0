//! `mizani export` and `mizani template`: the real binary on the demo institution. The files
//! are read back (CSV parsed, XLSX with calamine) and compared with what the CLI's own
//! `--json` commands print; a filled template is imported back with `mizani import`. Every bad
//! input is refused with a one-line reason and exit 2 (1 for a file that cannot be written),
//! no file left behind, the database unchanged.

use calamine::{open_workbook, Data, Reader, Xlsx};
use std::path::{Path, PathBuf};
mod common;
use common::*;

struct Demo {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    ok(&db, &["demo"]);
    let path = dir.path().to_path_buf();
    Demo {
        _dir: dir,
        db,
        dir: path,
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The files of a folder (the database's own files left out), sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with("demo.sqlite"))
        .collect();
    v.sort();
    v
}

/// The first sheet of an XLSX file as rows of cells from A1.
fn xlsx_rows(path: &Path, sheet: usize) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut wb: Xlsx<_> = open_workbook(path).expect("calamine opens the file");
    let names = wb.sheet_names();
    let range = wb.worksheet_range(&names[sheet]).expect("the sheet reads");
    let (h, w) = range.end().map(|(r, c)| (r + 1, c + 1)).unwrap_or((0, 0));
    let rows = (0..h)
        .map(|r| {
            (0..w)
                .map(|c| range.get_value((r, c)).cloned().unwrap_or(Data::Empty))
                .collect()
        })
        .collect();
    (names, rows)
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read");
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("UTF-8 BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect()
}

/// Equal up to the last bit or so: serde_json (without its float_roundtrip feature) may read
/// the CLI's JSON one unit in the last place away from the value it printed.
#[track_caller]
fn close(got: f64, want: f64, why: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{why}: {got} vs {want}"
    );
}

#[test]
fn indicators_as_csv_and_xlsx_equal_the_clis_json() {
    let d = demo();
    let want = json(
        &d.db,
        &[
            "indicators",
            "--period",
            "2026-Q3",
            "--scope",
            "region:North",
        ],
    );
    let want = want.as_array().expect("a list");
    let csv = d.dir.join("north.csv");
    let xlsx = d.dir.join("north.xlsx");
    for out in [&csv, &xlsx] {
        let info = json(
            &d.db,
            &[
                "export",
                "indicators",
                "--period",
                "2026-Q3",
                "--scope",
                "region:North",
                "-o",
                p(out),
            ],
        );
        assert_eq!(info["kind"], "indicators", "--json prints the export info");
        assert_eq!(
            info["rows"].as_u64(),
            Some(want.len() as u64),
            "one row per indicator"
        );
        assert_eq!(
            info["bytes"].as_u64(),
            Some(std::fs::metadata(out).expect("file").len()),
            "the size on disk"
        );
    }
    assert_eq!(
        json(
            &d.db,
            &["export", "indicators", "--period", "2026-Q3", "-o", p(&csv)]
        )["format"],
        "csv",
        "the format comes from the file name"
    );
    let rows = csv_rows(&d.dir.join("north.csv"));
    let (_, x) = xlsx_rows(&xlsx, 0);
    let head = &rows[0];
    let col = |h: &str| head.iter().position(|c| c == h).expect("column");
    let (cc, cv) = (col("Code"), col("Value"));
    for (i, w) in want.iter().enumerate() {
        assert_eq!(
            x[i + 1][cc],
            Data::String(w["code"].as_str().expect("code").into()),
            "code"
        );
        match w["value"].as_f64() {
            Some(v) => match x[i + 1][cv] {
                Data::Float(got) => close(got, v, "an XLSX number equal to the CLI's"),
                ref other => panic!("an XLSX number, found {other:?}"),
            },
            None => assert_eq!(x[i + 1][cv], Data::Empty, "no value: an empty cell"),
        }
    }
    // The CSV written last is the org one: compare it with the CLI's org values.
    let org = json(&d.db, &["indicators", "--period", "2026-Q3"]);
    for (row, w) in rows[1..].iter().zip(org.as_array().expect("list")) {
        let got: Option<f64> = Some(row[cv].as_str())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("number"));
        match (got, w["value"].as_f64()) {
            (Some(g), Some(v)) => close(g, v, "the CSV value equals the CLI's"),
            (g, v) => assert_eq!(g, v, "{}: missing in both", row[cc]),
        }
    }
}

#[test]
fn every_export_writes_both_formats_and_reads_back() {
    let d = demo();
    for (kind, extra) in [
        (
            "measurements",
            vec!["--period", "2026-09", "--scope", "branch:N01"],
        ),
        ("objectives", vec!["--period", "2026-Q3", "--lang", "es"]),
        ("assessment", vec!["--lang", "fr"]),
        ("actions", vec!["--today", "2026-10-15"]),
        ("decisions", vec!["--today", "2026-10-15"]),
    ] {
        for ext in ["csv", "xlsx"] {
            let out = d.dir.join(format!("{kind}.{ext}"));
            let mut args = vec!["export", kind];
            args.extend(&extra);
            args.extend(["-o", p(&out)]);
            let info = json(&d.db, &args);
            let rows = info["rows"].as_u64().expect("rows");
            assert!(rows > 0, "{kind}: the demo has something to export");
            let first = if ext == "csv" {
                csv_rows(&out).len() as u64 - 1
            } else {
                let (names, x) = xlsx_rows(&out, 0);
                assert_eq!(
                    info["sheets"].as_array().map(|a| a.len()),
                    Some(names.len()),
                    "the sheets listed"
                );
                x.len() as u64 - 1
            };
            if kind != "assessment" || ext == "csv" {
                assert_eq!(first, rows, "{kind}.{ext}: the rows written");
            }
        }
    }
    let (_, m) = xlsx_rows(&d.dir.join("measurements.xlsx"), 0);
    assert_eq!(m.len() - 1, 22, "N01 has every element for 2026-09");
    assert!(
        m[1..].iter().all(|r| matches!(r[7], Data::Float(_))),
        "values are numbers in XLSX"
    );
    let line = ok(
        &d.db,
        &["export", "actions", "-o", p(&d.dir.join("plain.csv"))],
    );
    assert!(
        line.starts_with("Wrote ") && line.contains("rows"),
        "the plain output names the file and the rows: {line}"
    );
}

#[test]
fn a_filled_template_imports_back_without_mapping() {
    let d = demo();
    let out = d.dir.join("n04.xlsx");
    let info = json(
        &d.db,
        &[
            "template",
            "--period",
            "2026-09",
            "--branch",
            "N04",
            "--lang",
            "fr",
            "-o",
            p(&out),
        ],
    );
    assert_eq!(
        info["sheets"],
        serde_json::json!(["N04"]),
        "one sheet named by the branch code"
    );
    let (_, rows) = xlsx_rows(&out, 0);
    let hr = rows
        .iter()
        .position(|r| r.first() == Some(&Data::String("branch".into())))
        .expect("the header row");
    assert_eq!(hr, 6, "the header on row 7");
    // Fill every value as a spreadsheet user would (numbers) and convert to the long CSV.
    let mut csv = String::from("branch,period,element,value,comment\n");
    for r in &rows[hr + 1..] {
        let s = |c: usize| match &r[c] {
            Data::String(s) => s.clone(),
            other => panic!("text in column {c}, found {other:?}"),
        };
        assert_eq!(r[5], Data::Empty, "N04 sent nothing for 2026-09");
        let value = match &r[4] {
            Data::Float(prev) => (prev * 1.01).round(),
            _ => 7.0,
        };
        csv.push_str(&format!("{},{},{},{value},\n", s(0), s(1), s(2)));
    }
    let file = d.dir.join("filled.csv");
    std::fs::write(&file, csv).expect("write");
    let rep = json(&d.db, &["import", p(&file)]);
    assert_eq!(
        rep["inserted"].as_u64(),
        Some((rows.len() - hr - 1) as u64),
        "every value is new"
    );
    let after = json(
        &d.db,
        &[
            "export",
            "measurements",
            "--period",
            "2026-09",
            "--scope",
            "branch:N04",
            "-o",
            p(&d.dir.join("after.csv")),
        ],
    );
    assert_eq!(
        after["rows"], rep["inserted"],
        "the export finds the imported values"
    );
}

/// Runs a command that must be refused with exit `code` and a one-line reason; checks that no
/// file appeared and that the database did not change.
fn refused(d: &Demo, args: &[&str], code: i32, contains: &str) {
    let before_files = files(&d.dir);
    let before_db = dump(&d.db);
    let err = fails_with(&d.db, args, Some(code));
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(contains),
        "`mizani {}` says why ({contains}): {err}",
        args.join(" ")
    );
    assert_eq!(
        files(&d.dir),
        before_files,
        "nothing written by `{}`",
        args.join(" ")
    );
    assert_eq!(dump(&d.db), before_db, "the database is unchanged");
}

#[test]
fn bad_arguments_are_refused_clearly_and_nothing_is_written() {
    let d = demo();
    let out = d.dir.join("out.xlsx");
    let o = p(&out);
    refused(
        &d,
        &[
            "export",
            "indicators",
            "--period",
            "2026-Q3",
            "--scope",
            "region:Nowhere",
            "-o",
            o,
        ],
        2,
        "no region 'Nowhere'",
    );
    refused(
        &d,
        &[
            "export",
            "indicators",
            "--period",
            "2026-Q3",
            "--scope",
            "galaxy",
            "-o",
            o,
        ],
        2,
        "scope 'galaxy'",
    );
    refused(
        &d,
        &["export", "objectives", "--period", "2026-Q5", "-o", o],
        2,
        "2026-Q5",
    );
    refused(
        &d,
        &[
            "export",
            "measurements",
            "--period",
            "2026-09",
            "--to",
            "2026-01",
            "-o",
            o,
        ],
        2,
        "before it starts",
    );
    refused(&d, &["export", "indicators", "-o", o], 2, "needs a period");
    refused(
        &d,
        &["export", "actions", "--format", "pdf", "-o", o],
        2,
        "'pdf' is not an export format",
    );
    refused(
        &d,
        &["export", "actions", "--format", "csv", "-o", o],
        2,
        "named .xlsx",
    );
    refused(
        &d,
        &["export", "actions", "-o", p(&d.dir.join("out.ods"))],
        2,
        "cannot tell the format",
    );
    refused(
        &d,
        &["export", "budget", "-o", o],
        2,
        "'budget' is not something to export",
    );
    refused(
        &d,
        &["export", "actions", "--period", "2026-Q3", "-o", o],
        2,
        "--period does not apply",
    );
    refused(
        &d,
        &["export", "assessment", "--assessment", "99", "-o", o],
        2,
        "no assessment 99",
    );
    refused(
        &d,
        &["export", "actions", "-o", p(&d.dir.join("missing/out.csv"))],
        2,
        "does not exist",
    );
    std::fs::create_dir(d.dir.join("folder.csv")).expect("mkdir");
    refused(
        &d,
        &["export", "actions", "-o", p(&d.dir.join("folder.csv"))],
        2,
        "is a folder",
    );
    refused(
        &d,
        &[
            "template",
            "--period",
            "2026-09",
            "-o",
            p(&d.dir.join("t.csv")),
        ],
        2,
        "name the file .xlsx",
    );
    refused(
        &d,
        &["template", "--period", "2026-Q3", "-o", o],
        2,
        "not a month",
    );
    refused(
        &d,
        &["template", "--period", "2999-01", "-o", o],
        2,
        "in the future",
    );
    refused(
        &d,
        &[
            "template", "--period", "2026-09", "--branch", "ZZ9", "-o", o,
        ],
        2,
        "no branch 'ZZ9'",
    );
    // A parent that is a file cannot hold the output.
    std::fs::write(d.dir.join("plain"), "x").expect("write");
    refused(
        &d,
        &["export", "actions", "-o", p(&d.dir.join("plain/out.csv"))],
        2,
        "does not exist",
    );
}
