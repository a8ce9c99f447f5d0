//! `mizani report`: runs the real binary on temporary databases and reads the PDFs it writes
//! with poppler (`pdfinfo`, `pdftotext`), as a board member's viewer would. Every bad input is
//! refused with a one-line reason, a non-zero exit and no file (not even a temporary one) left
//! behind.

use mizani_core::model::Language;
use std::path::{Path, PathBuf};
use std::process::Command;
mod common;
use common::*;

/// Runs a command that must fail as bad input; returns its stderr (one line: the reason).
fn fails(db: &Path, args: &[&str]) -> String {
    let err = fails_with(db, args, Some(2));
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "a refused report is explained in one line: {err}"
    );
    err
}

/// The names of the files in a folder, sorted (to prove that nothing was left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is needed to read the PDF (poppler-utils; `scripts/setup.sh all`): {e}")
    });
    assert!(
        o.status.success(),
        "{tool} {} should read the PDF the CLI wrote: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("poppler prints UTF-8")
}

/// The page count as pdfinfo reads it.
fn pdf_pages(pdf: &Path) -> u32 {
    let info = poppler("pdfinfo", &[pdf.to_str().expect("path")]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo gives a page count: {info}"))
}

/// No-break spaces (between a number and its unit, French thousands) as plain spaces: what
/// pdftotext gives for them.
fn plain(s: &str) -> String {
    s.replace(['\u{00A0}', '\u{202F}'], " ")
}

/// The PDF's text as pdftotext extracts it (reading order, without layout), spaces plain.
fn pdf_text(pdf: &Path) -> String {
    plain(&poppler("pdftotext", &[pdf.to_str().expect("path"), "-"]))
}

/// A value as the renderer prints it (`mizani_report::format_value`), spaces plain.
fn printed(v: Option<f64>, unit: &str, lang: Language) -> String {
    plain(&mizani_report::format_value(v, unit, "XOF", lang))
}

struct Demo {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

/// The demo institution (Kora Microfinance, in English) in a temporary folder.
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

fn par30(db: &Path, scope: &str) -> Option<f64> {
    let v = json(db, &["indicators", "--period", "2026-Q3", "--scope", scope]);
    v.as_array()
        .expect("a list of indicators")
        .iter()
        .find(|i| i["code"] == "par30")
        .expect("par30 is computed")["value"]
        .as_f64()
}

#[test]
fn the_demo_board_pack_is_a_readable_pdf_with_the_engines_numbers() {
    let d = demo();
    let out = d.dir.join("pack.pdf");
    let info = json(
        &d.db,
        &[
            "report",
            "--period",
            "2026-Q3",
            "-o",
            out.to_str().expect("path"),
        ],
    );
    assert_eq!(
        info["path"].as_str(),
        out.to_str(),
        "--json names the file written"
    );
    let bytes = std::fs::metadata(&out).expect("the PDF exists").len();
    assert_eq!(
        info["bytes"].as_u64(),
        Some(bytes),
        "--json gives the size of the file on disk"
    );
    let pages = pdf_pages(&out);
    assert!(pages > 1, "a board pack has several pages: {pages}");
    assert_eq!(
        info["pages"].as_u64(),
        Some(u64::from(pages)),
        "--json gives the page count pdfinfo reads"
    );
    let text = pdf_text(&out);
    assert!(
        text.contains("Kora Microfinance (demo)"),
        "the pack names the institution (pdftotext): {}",
        &text[..text.len().min(400)]
    );
    // The institution's language is English: the value is printed the English way, and it is
    // the number the CLI (the same engine) computes.
    let want = printed(par30(&d.db, "org"), "%", Language::En);
    assert!(
        text.contains(&want),
        "PAR30 as the CLI computes it ({want}) is in the pack"
    );
    let left: Vec<String> = listing(&d.dir)
        .into_iter()
        .filter(|f| f != "pack.pdf" && !f.starts_with("demo.sqlite"))
        .collect();
    assert!(
        left.is_empty(),
        "the atomic write leaves no temporary file beside the PDF: {left:?}"
    );

    // Plain output: one line naming the file and its pages.
    let again = d.dir.join("again.pdf");
    let line = ok(
        &d.db,
        &[
            "report",
            "--period",
            "2026-Q3",
            "-o",
            again.to_str().expect("path"),
        ],
    );
    assert!(
        line.starts_with("Board pack written to") && line.contains("pages"),
        "the plain output says what was written: {line}"
    );
}

#[test]
fn the_language_flag_and_the_institutions_language_choose_the_number_format() {
    let d = demo();
    let fr = d.dir.join("fr.pdf");
    ok(
        &d.db,
        &[
            "report",
            "--period",
            "2026-Q3",
            "--lang",
            "fr",
            "-o",
            fr.to_str().expect("path"),
        ],
    );
    let text = pdf_text(&fr);
    let v = par30(&d.db, "org");
    let want = printed(v, "%", Language::Fr);
    assert!(want.contains(','), "French uses a decimal comma: {want}");
    assert!(
        text.contains(&want),
        "--lang fr prints PAR30 the French way ({want})"
    );
    assert!(
        text.contains("Portefeuille à risque > 30 jours"),
        "--lang fr names indicators in French"
    );

    // Without --lang: the institution's language (here French, after changing it).
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fr.sqlite");
    ok(
        &db,
        &[
            "init",
            "--org",
            "Caisse Test",
            "--currency",
            "XOF",
            "--lang",
            "fr",
        ],
    );
    ok(
        &db,
        &["branch", "add", "B1", "--name", "Alpha", "--region", "Nord"],
    );
    let csv = dir.path().join("m.csv");
    std::fs::write(
        &csv,
        "branch,period,element,value\nB1,2025-03,glp,1000000\nB1,2025-03,par30_balance,27500\n",
    )
    .expect("write CSV");
    ok(&db, &["import", csv.to_str().expect("path")]);
    let out = dir.path().join("pack.pdf");
    ok(
        &db,
        &[
            "report",
            "--period",
            "2025-Q1",
            "-o",
            out.to_str().expect("path"),
        ],
    );
    let text = pdf_text(&out);
    let fr_value = printed(Some(2.75), "%", Language::Fr);
    let en_value = printed(Some(2.75), "%", Language::En);
    assert_ne!(
        fr_value, en_value,
        "the two languages format 2.75 % differently"
    );
    assert!(
        text.contains(&fr_value) && !text.contains(&en_value),
        "without --lang the pack follows the institution's language (French: {fr_value})"
    );
    assert!(
        text.contains("Caisse Test"),
        "the pack names the institution"
    );
}

#[test]
fn the_branch_one_pager_compares_the_branch_with_the_institution() {
    let d = demo();
    let out = d.dir.join("n01.pdf");
    let info = json(
        &d.db,
        &[
            "report",
            "--period",
            "2026-Q3",
            "--scope",
            "branch:N01",
            "--branch-page",
            "-o",
            out.to_str().expect("path"),
        ],
    );
    assert_eq!(pdf_pages(&out), 1, "a one-pager is one page");
    assert_eq!(info["pages"], 1, "--json says one page");
    let text = pdf_text(&out);
    assert!(
        text.contains("Kalanga"),
        "the page names the branch (N01 Kalanga)"
    );
    for scope in ["branch:N01", "org"] {
        let want = printed(par30(&d.db, scope), "%", Language::En);
        assert!(
            text.contains(&want),
            "the page shows PAR30 of {scope} as the CLI computes it ({want})"
        );
    }
}

#[test]
fn bad_input_is_refused_in_one_line_and_leaves_no_file() {
    let d = demo();
    let out = d.dir.join("x.pdf");
    let o = out.to_str().expect("path");
    let before = listing(&d.dir);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["report", "--period", "2026-Q5", "-o", o], "2026-Q5"),
        (vec!["report", "--period", "someday", "-o", o], "someday"),
        (
            vec!["report", "--period", "2030-Q1", "-o", o],
            "no data for 2030-Q1",
        ),
        (
            vec!["report", "--period", "2019-Q1", "-o", o],
            "no data for 2019-Q1",
        ),
        (
            vec![
                "report",
                "--period",
                "2026-Q3",
                "--scope",
                "region:Mars",
                "-o",
                o,
            ],
            "Mars",
        ),
        (
            vec![
                "report",
                "--period",
                "2026-Q3",
                "--scope",
                "branch:ZZ9",
                "-o",
                o,
            ],
            "ZZ9",
        ),
        (
            vec![
                "report", "--period", "2026-Q3", "--scope", "planet", "-o", o,
            ],
            "planet",
        ),
        (
            vec!["report", "--period", "2026-Q3", "--lang", "de", "-o", o],
            "'de' is not a valid language",
        ),
        (
            vec!["report", "--period", "2026-Q3", "--branch-page", "-o", o],
            "--branch-page needs --scope branch:CODE",
        ),
        (
            vec![
                "report",
                "--period",
                "2026-Q3",
                "--scope",
                "region:North",
                "--branch-page",
                "-o",
                o,
            ],
            "--branch-page needs --scope branch:CODE",
        ),
        (
            vec![
                "report",
                "--period",
                "2026-Q3",
                "-o",
                "/nonexistent/dir/x.pdf",
            ],
            "/nonexistent/dir does not exist",
        ),
    ];
    for (args, says) in cases {
        let e = fails(&d.db, &args);
        assert!(
            e.contains(says),
            "`mizani {}` says why ({says}): {e}",
            args.join(" ")
        );
        assert!(
            !out.exists(),
            "a refused report writes no file ({})",
            args.join(" ")
        );
        assert_eq!(
            listing(&d.dir),
            before,
            "a refused report leaves nothing behind, not even a temporary file"
        );
    }

    // A folder as the output: refused, and the folder is untouched.
    let folder = d.dir.join("reports");
    std::fs::create_dir(&folder).expect("mkdir");
    let e = fails(
        &d.db,
        &[
            "report",
            "--period",
            "2026-Q3",
            "-o",
            folder.to_str().expect("path"),
        ],
    );
    assert!(
        e.contains("is a folder"),
        "says the output is a folder: {e}"
    );
    assert!(
        listing(&folder).is_empty(),
        "nothing is written inside the folder"
    );

    // A refusal does not touch an existing report of the same name.
    std::fs::write(&out, b"previous report").expect("write");
    fails(&d.db, &["report", "--period", "2030-Q1", "-o", o]);
    assert_eq!(
        std::fs::read(&out).expect("read"),
        b"previous report",
        "a failed run leaves the previous file as it was"
    );

    // No database: refused, and no database is created by the typo.
    let typo = d.dir.join("typo.sqlite");
    let e = fails(&typo, &["report", "--period", "2026-Q3", "-o", o]);
    assert!(e.contains("no database"), "{e}");
    assert!(!typo.exists(), "a typo in --db creates no database");
}
