//! Runs the real `mizani` binary for practices 2, 4 and 5: `assessment`, `action`,
//! `alignment` and `decision`, with every class of bad input and the database checked
//! unchanged (canonical dump) after each refusal.

use std::path::{Path, PathBuf};
mod common;
use common::*;

/// Runs a command that must fail with exit code 2 (bad input); returns its stderr.
fn fails(db: &Path, args: &[&str]) -> String {
    fails_with(db, args, Some(2))
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

impl Fixture {
    fn file(&self, name: &str, content: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, content).expect("write file");
        p.to_str().expect("utf-8 path").to_string()
    }
}

/// An institution with two branches, a quarter of figures and one objective (id 1).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mfi.sqlite");
    let f = Fixture {
        db: db.clone(),
        dir: dir.path().to_path_buf(),
        _dir: dir,
    };
    ok(
        &db,
        &[
            "init",
            "--org",
            "Test MFI",
            "--currency",
            "XOF",
            "--lang",
            "en",
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
    let csv = f.file(
        "figures.csv",
        "branch,period,element,value\n\
         B1,2025-03,glp,1000\nB1,2025-03,par30_balance,50\n\
         B2,2025-03,glp,3000\nB2,2025-03,par30_balance,60\n\
         B1,2025-06,glp,1000\nB1,2025-06,par30_balance,30\n\
         B2,2025-06,glp,3000\nB2,2025-06,par30_balance,10\n",
    );
    ok(&db, &["import", &csv]);
    ok(
        &db,
        &[
            "objective",
            "add",
            "--title",
            "Prevent over-indebtedness",
            "--practice",
            "2",
            "--dimension",
            "client_protection",
            "--start",
            "2025-01-01",
            "--end",
            "2026-12-31",
        ],
    );
    f
}

fn new_assessment(f: &Fixture) -> String {
    let a = json(
        &f.db,
        &[
            "assessment",
            "new",
            "--title",
            "SPI 2026",
            "--date",
            "2026-05-31",
            "--assessor",
            "Awa Ba",
        ],
    );
    a["id"].as_i64().expect("id").to_string()
}

#[test]
fn assessment_answer_show_and_score() {
    let f = fixture();
    let before = dump(&f.db);
    let e = fails(
        &f.db,
        &[
            "assessment",
            "new",
            "--title",
            "X",
            "--date",
            "31/05/2026",
            "--assessor",
            "A",
        ],
    );
    assert!(
        e.contains("the assessment date '31/05/2026'"),
        "names the field: {e}"
    );
    let e = fails(
        &f.db,
        &[
            "assessment",
            "new",
            "--title",
            "X",
            "--date",
            "2026-05-31",
            "--assessor",
            "A",
            "--scope",
            "region:North",
        ],
    );
    assert!(e.contains("one branch (branch:CODE)"), "{e}");
    assert_eq!(before, dump(&f.db), "refused assessments change nothing");

    let id = new_assessment(&f);
    let before = dump(&f.db);
    let e = fails(&f.db, &["assessment", "answer", &id, "9Z.1", "yes"]);
    assert!(
        e.contains("unknown practice code '9Z.1'"),
        "an unknown practice code is named: {e}"
    );
    let e = fails(&f.db, &["assessment", "answer", &id, "4B.2", "maybe"]);
    assert!(
        e.contains("'maybe' is not a valid answer") && e.contains("oui"),
        "an invalid answer is named with the accepted words: {e}"
    );
    let e = fails(&f.db, &["assessment", "answer", "99", "4B.2", "yes"]);
    assert!(e.contains("no assessment 99"), "{e}");
    assert_eq!(before, dump(&f.db), "refused answers change nothing");

    ok(
        &f.db,
        &[
            "assessment",
            "answer",
            &id,
            "4B.1",
            "yes",
            "--evidence",
            "Credit policy 2025",
            "--file",
            "policy.pdf",
        ],
    );
    let out = ok(&f.db, &["assessment", "answer", &id, "4b.2", "oui"]);
    assert!(
        out.contains("4B.2: yes (no evidence"),
        "a bare Yes is flagged at once: {out}"
    );
    ok(
        &f.db,
        &["assessment", "answer", &id, "4B.3", "parcialmente"],
    );
    ok(&f.db, &["assessment", "answer", &id, "4B.4", "non"]);
    ok(
        &f.db,
        &[
            "assessment",
            "answer",
            &id,
            "4D.4",
            "na",
            "--note",
            "No deposits",
        ],
    );

    let v = json(&f.db, &["assessment", "show", &id]);
    let row = |code: &str| {
        v["practices"]
            .as_array()
            .expect("practices")
            .iter()
            .find(|p| p["code"] == code)
            .cloned()
            .expect("practice")
    };
    assert_eq!(
        row("4B.1")["evidence_files"][0],
        "policy.pdf",
        "file reference kept"
    );
    assert_eq!(row("4B.2")["yes_without_evidence"], true, "flagged");
    assert_eq!(
        row("4B.4")["gap"],
        true,
        "a No is a gap that can become an action"
    );
    assert_eq!(
        row("1A.1")["unanswered"],
        true,
        "unanswered practices are listed too"
    );
    assert_eq!(
        v["practices"].as_array().map(|a| a.len()),
        v["total"].as_u64().map(|n| n as usize),
        "every practice of the checklist is shown"
    );
    let text = ok(&f.db, &["assessment", "show", &id, "--gaps"]);
    assert!(
        text.contains("4B.2") && text.contains("NO EVIDENCE") && !text.contains("4B.1 "),
        "--gaps lists gaps and bare Yes answers, not the evidenced Yes: {text}"
    );

    let s = json(&f.db, &["assessment", "score", &id]);
    let d4 = s["dimensions"]
        .as_array()
        .expect("dimensions")
        .iter()
        .find(|d| d["key"] == "client_protection")
        .expect("D4");
    // 4B.1 yes (evidence) 1, 4B.2 yes (bare) 1 | 0.5, 4B.3 partial 0.5, 4B.4 no 0; 4D.4 N/A.
    assert_eq!(
        d4["score"].as_f64(),
        Some(62.5),
        "raw: 2.5 / 4, the N/A left out"
    );
    assert_eq!(
        d4["evidence_score"].as_f64(),
        Some(50.0),
        "evidence-aware: 2 / 4"
    );
    let d1 = &s["dimensions"][0];
    assert!(
        d1["score"].is_null() && d1["evidence_score"].is_null(),
        "an unanswered dimension has no score, never 0: {d1}"
    );
    let p2 = s["principles"]
        .as_array()
        .expect("principles")
        .iter()
        .find(|p| p["code"] == "P2")
        .expect("P2");
    assert!(
        p2["score"].is_number() && p2["evidence_score"].is_number(),
        "per principle, raw and evidence-aware: {p2}"
    );
    let text = ok(&f.db, &["assessment", "score", &id]);
    assert!(
        text.contains("Client protection") && text.contains("62.5 %") && text.contains("50.0 %"),
        "the table shows both scores: {text}"
    );
    let list = json(&f.db, &["assessment", "list"]);
    assert_eq!(list[0]["answered"], 5, "five practices answered");

    let cleared = json(&f.db, &["assessment", "clear", &id, "4D.4"]);
    assert_eq!(cleared["removed"], true, "an answer can be removed");
}

#[test]
fn import_rejects_bad_lines_and_changes_nothing() {
    let f = fixture();
    let id = new_assessment(&f);
    ok(
        &f.db,
        &[
            "assessment",
            "answer",
            &id,
            "4B.1",
            "partial",
            "--evidence",
            "Half the files",
        ],
    );
    let before = dump(&f.db);
    let cases = [
        (
            "unknown practice code",
            "practice,answer,evidence,note\n4B.1,yes,,\n4Z.1,yes,,\n",
            "line 3: unknown practice code '4Z.1'",
        ),
        (
            "invalid answer",
            "practice,answer,evidence,note\n4B.1,perhaps,,\n",
            "line 2: 'perhaps' is not a valid answer",
        ),
        (
            "duplicate row",
            "practice,answer,evidence,note\n4B.1,yes,,\n4B.2,no,,\n4B.1,no,,\n",
            "line 4: duplicate of line 2 (practice 4B.1)",
        ),
        (
            "missing answer column",
            "practice,evidence\n4B.1,x\n",
            "no 'answer' column",
        ),
    ];
    for (what, content, want) in cases {
        let p = f.file("bad.csv", content);
        let e = fails(&f.db, &["assessment", "import", &id, &p]);
        assert!(e.contains(want), "{what}: expected '{want}' in: {e}");
        assert!(
            e.contains("nothing was changed"),
            "{what}: the message says nothing was written: {e}"
        );
        assert_eq!(
            before,
            dump(&f.db),
            "{what}: a rejected file changes nothing"
        );
    }
    let p = f.file(
        "many.csv",
        "practice,answer,evidence,note\n4Z.1,yes,,\n4B.2,maybe,,\n4B.3,no,,\n4B.3,yes,,\n4B.4,yes,,\n",
    );
    let e = fails(&f.db, &["assessment", "import", &id, &p]);
    for l in ["line 2:", "line 3:", "line 5:"] {
        assert!(e.contains(l), "every bad line is listed ({l}): {e}");
    }
    assert!(
        e.contains("3 bad row(s)") && !e.contains("line 6:"),
        "only the bad lines are reported: {e}"
    );
    assert_eq!(
        before,
        dump(&f.db),
        "the good rows of a rejected file are not written"
    );

    let p = f.file(
        "fr.csv",
        "\u{feff}practice;answer;note\n4B.1;oui;vu\n4B.2;partiellement;\n4B.3;sí;\n4B.4;no;\n",
    );
    let r = json(&f.db, &["assessment", "import", &id, &p, "--dry-run"]);
    assert_eq!(
        (r["inserted"].as_u64(), r["updated"].as_u64()),
        (Some(3), Some(1)),
        "a dry run counts 3 new answers and 1 change"
    );
    assert_eq!(before, dump(&f.db), "a dry run writes nothing");
    ok(&f.db, &["assessment", "import", &id, &p]);
    let v = json(&f.db, &["assessment", "show", &id]);
    let p41 = v["practices"]
        .as_array()
        .expect("practices")
        .iter()
        .find(|p| p["code"] == "4B.1")
        .cloned()
        .expect("4B.1");
    assert_eq!(
        (p41["answer"].as_str(), p41["evidence"].as_str(), p41["note"].as_str()),
        (Some("yes"), Some("Half the files"), Some("vu")),
        "French answers accepted; the note column replaced the note; the absent evidence column kept the evidence"
    );

    let out = f.dir.join("answers.csv");
    let o = out.to_str().expect("path");
    ok(&f.db, &["assessment", "export", &id, "-o", o]);
    let text = std::fs::read_to_string(&out).expect("exported");
    assert!(
        text.starts_with(
            "practice,answer,evidence,note,evidence_files,dimension,standard,question"
        ),
        "documented header"
    );
    let id2 = new_assessment(&f);
    ok(&f.db, &["assessment", "import", &id2, o]);
    let c = json(&f.db, &["assessment", "compare", &id, &id2]);
    assert_eq!(
        (
            c["improved"].as_u64(),
            c["slipped"].as_u64(),
            c["not_comparable"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "an exported then imported assessment compares as unchanged"
    );
    let e = fails(
        &f.db,
        &[
            "assessment",
            "export",
            &id,
            "-o",
            f.dir.to_str().expect("dir"),
        ],
    );
    assert!(
        e.contains("is a folder"),
        "an output folder is refused: {e}"
    );
}

#[test]
fn compare_lists_improved_and_slipped_practices() {
    let f = fixture();
    let a = new_assessment(&f);
    let b = new_assessment(&f);
    for (id, code, ans) in [
        (&a, "4B.1", "no"),
        (&a, "4B.2", "yes"),
        (&b, "4B.1", "partial"),
        (&b, "4B.2", "no"),
    ] {
        ok(
            &f.db,
            &["assessment", "answer", id, code, ans, "--evidence", "seen"],
        );
    }
    let c = json(&f.db, &["assessment", "compare", &a, &b]);
    let change = |code: &str| {
        c["practices"]
            .as_array()
            .expect("practices")
            .iter()
            .find(|p| p["code"] == code)
            .map(|p| p["change"].clone())
            .expect("practice")
    };
    assert_eq!(change("4B.1"), "improved", "No → Partially");
    assert_eq!(change("4B.2"), "slipped", "Yes → No");
    let d4 = c["dimensions"]
        .as_array()
        .expect("dimensions")
        .iter()
        .find(|d| d["key"] == "client_protection")
        .expect("D4");
    assert_eq!(
        (
            d4["before"].as_f64(),
            d4["after"].as_f64(),
            d4["delta"].as_f64()
        ),
        (Some(50.0), Some(25.0), Some(-25.0)),
        "D4 went from (0 + 1) / 2 to (0.5 + 0) / 2"
    );
    let text = ok(&f.db, &["assessment", "compare", &a, &b]);
    assert!(
        text.contains("1 improved, 1 slipped") && text.contains("-25.0"),
        "{text}"
    );
}

#[test]
fn actions_from_gaps_with_overdue_and_status_changes() {
    let f = fixture();
    let id = new_assessment(&f);
    ok(&f.db, &["assessment", "answer", &id, "4B.7", "no"]);
    let before = dump(&f.db);
    let base = [
        "action",
        "add",
        "--description",
        "Audit appraisal quality",
        "--owner",
        "Internal auditor",
        "--due",
        "2026-08-31",
        "--today",
        "2026-09-15",
    ];
    let bad: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--practice", "9Z.9"], "unknown practice code '9Z.9'"),
        (vec!["--assessment", &id], "names the practice it fixes"),
        (vec!["--objective", "42"], "no objective 42"),
        (
            vec!["--status", "finished"],
            "'finished' is not a valid action status",
        ),
    ];
    for (extra, want) in bad {
        let mut args = base.to_vec();
        args.extend(extra);
        let e = fails(&f.db, &args);
        assert!(e.contains(want), "expected '{want}' in: {e}");
        assert_eq!(
            before,
            dump(&f.db),
            "a refused action changes nothing ({want})"
        );
    }
    let mut args = base.to_vec();
    args[7] = "31/08/2026";
    let e = fails(&f.db, &args);
    assert!(e.contains("the due date '31/08/2026'"), "{e}");
    assert_eq!(before, dump(&f.db), "a bad due date changes nothing");

    let mut args = base.to_vec();
    args.extend([
        "--practice",
        "4B.7",
        "--assessment",
        &id,
        "--objective",
        "1",
    ]);
    let a = json(&f.db, &args);
    assert_eq!(
        a["overdue"], true,
        "due 2026-08-31, listed on 2026-09-15: overdue"
    );
    assert_eq!(
        a["objective_title"], "Prevent over-indebtedness",
        "linked objective"
    );
    let aid = a["id"].as_i64().expect("id").to_string();
    let v = json(&f.db, &["assessment", "show", &id]);
    let p = v["practices"]
        .as_array()
        .expect("practices")
        .iter()
        .find(|p| p["code"] == "4B.7")
        .cloned()
        .expect("4B.7");
    assert_eq!(
        p["actions"][0]["id"].as_i64(),
        a["id"].as_i64(),
        "the action shows beside its gap"
    );

    let text = ok(&f.db, &["action", "list", "--today", "2026-09-15"]);
    assert!(
        text.contains("OVERDUE 15 d"),
        "overdue actions stand out: {text}"
    );
    let l = json(
        &f.db,
        &["action", "list", "--overdue", "--today", "2026-08-31"],
    );
    assert_eq!(
        l.as_array().map(|x| x.len()),
        Some(0),
        "not overdue on its due date"
    );

    let before = dump(&f.db);
    let e = fails(&f.db, &["action", "update", &aid, "--status", "closed"]);
    assert!(e.contains("'closed'"), "{e}");
    let e = fails(&f.db, &["action", "update", "77", "--status", "done"]);
    assert!(e.contains("no action 77"), "{e}");
    assert_eq!(before, dump(&f.db), "refused updates change nothing");
    let d = json(
        &f.db,
        &[
            "action",
            "update",
            &aid,
            "--status",
            "done",
            "--today",
            "2026-09-15",
        ],
    );
    assert!(
        d["closed_at"].is_number() && d["overdue"] == false,
        "done: closing time recorded, no longer overdue: {d}"
    );
    let r = json(
        &f.db,
        &[
            "action",
            "update",
            &aid,
            "--status",
            "in_progress",
            "--no-objective",
        ],
    );
    assert!(
        r["closed_at"].is_null() && r["objective_id"].is_null(),
        "reopened: closing time cleared; objective unlinked: {r}"
    );
}

#[test]
fn alignment_show_and_set() {
    let f = fixture();
    let before = dump(&f.db);
    let e = fails(&f.db, &["alignment", "set", "1", "hr", "supports"]);
    assert!(e.contains("'hr' is not a business process"), "{e}");
    let e = fails(&f.db, &["alignment", "set", "1", "pricing", "great"]);
    assert!(e.contains("'great' is not a rating"), "{e}");
    let e = fails(&f.db, &["alignment", "set", "9", "pricing", "neutral"]);
    assert!(e.contains("no objective 9"), "{e}");
    assert_eq!(before, dump(&f.db), "refused ratings change nothing");

    let m = json(
        &f.db,
        &[
            "alignment",
            "set",
            "1",
            "incentives",
            "works_against",
            "--evidence",
            "Bonus on volume only",
        ],
    );
    assert_eq!(
        m["works_against"][0]["process"], "incentives",
        "highlighted"
    );
    assert_eq!(
        m["unsupported"][0]["id"], 1,
        "an objective no process supports is listed"
    );
    let m = json(
        &f.db,
        &["alignment", "set", "1", "staff_training", "supports"],
    );
    assert_eq!(
        m["unsupported"].as_array().map(|a| a.len()),
        Some(0),
        "supported now"
    );
    let text = ok(&f.db, &["alignment", "show"]);
    assert!(
        text.contains("AGAINST")
            && text.contains("Works against:")
            && text.contains("Bonus on volume only"),
        "the table shows and explains the works-against cell: {text}"
    );
    let m = json(&f.db, &["alignment", "set", "1", "incentives", "none"]);
    assert_eq!(
        m["works_against"].as_array().map(|a| a.len()),
        Some(0),
        "'none' clears the cell"
    );
}

#[test]
fn decisions_add_show_and_review_with_the_engines_values() {
    let f = fixture();
    let before = dump(&f.db);
    let base = [
        "decision",
        "add",
        "--title",
        "Stricter appraisal",
        "--decided-on",
        "2025-04-10",
        "--decided-by",
        "Board",
        "--expected-social",
        "Fewer clients in trouble",
        "--expected-financial",
        "Lower PAR30",
        "--review-on",
        "2025-09-30",
        "--today",
        "2025-10-15",
    ];
    let bad: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--financial-indicator", "par30"],
            "must look like CODE=up",
        ),
        (
            vec!["--financial-indicator", "nope=down"],
            "no indicator 'nope'",
        ),
        (
            vec!["--financial-indicator", "par30=sideways"],
            "not an expected direction",
        ),
        (
            vec![
                "--social-indicator",
                "par30=down",
                "--financial-indicator",
                "par30=down",
            ],
            "linked twice",
        ),
    ];
    for (extra, want) in bad {
        let mut args = base.to_vec();
        args.extend(extra);
        let e = fails(&f.db, &args);
        assert!(e.contains(want), "expected '{want}' in: {e}");
        assert_eq!(
            before,
            dump(&f.db),
            "a refused decision changes nothing ({want})"
        );
    }
    let mut args = base.to_vec();
    args[13] = "2025-01-01";
    let e = fails(&f.db, &args);
    assert!(e.contains("before the decision date"), "{e}");
    let mut args = base.to_vec();
    args[9] = " ";
    let e = fails(&f.db, &args);
    assert!(e.contains("expected social effect"), "{e}");
    assert_eq!(before, dump(&f.db), "refused decisions change nothing");

    let mut args = base.to_vec();
    args.extend(["--financial-indicator", "par30=down"]);
    let d = json(&f.db, &args);
    let id = d["id"].as_i64().expect("id").to_string();
    assert_eq!(
        d["due_for_review"], true,
        "review date 2025-09-30 passed on 2025-10-15"
    );
    let due = json(
        &f.db,
        &["decision", "list", "--due", "--today", "2025-10-15"],
    );
    assert_eq!(due[0]["id"], d["id"], "listed as due for review");

    let e = json(&f.db, &["decision", "show", &id, "--today", "2025-10-15"]);
    assert_eq!(
        (e["before_period"].as_str(), e["after_period"].as_str()),
        (Some("2025-Q1"), Some("2025-Q2")),
        "before: the quarter before the decision; after: the last complete quarter with data"
    );
    for (p, key) in [("2025-Q1", "before"), ("2025-Q2", "after")] {
        let x = json(&f.db, &["explain", "par30", "--period", p]);
        assert_eq!(
            e["indicators"][0][key]["value"], x["value"],
            "{key} ({p}) equals what `mizani explain` computes"
        );
    }
    // 2025-Q1: (50 + 60) / 4000 = 2.75 %; 2025-Q2: (30 + 10) / 4000 = 1 %.
    assert_eq!(e["indicators"][0]["observed"], "down", "PAR30 fell");
    assert_eq!(e["indicators"][0]["as_expected"], true, "as expected");

    let before = dump(&f.db);
    let e = fails(
        &f.db,
        &[
            "decision",
            "review",
            &id,
            "--reviewer",
            "",
            "--observed-social",
            "x",
            "--observed-financial",
            "y",
            "--today",
            "2025-10-15",
        ],
    );
    assert!(e.contains("the reviewer must not be empty"), "{e}");
    let e = fails(
        &f.db,
        &[
            "decision",
            "review",
            &id,
            "--reviewer",
            "SPM committee",
            "--observed-social",
            "x",
            "--observed-financial",
            "y",
            "--date",
            "2025-12-01",
            "--today",
            "2025-10-15",
        ],
    );
    assert!(e.contains("in the future"), "{e}");
    assert_eq!(before, dump(&f.db), "refused reviews change nothing");
    let text = ok(
        &f.db,
        &[
            "decision",
            "review",
            &id,
            "--reviewer",
            "SPM committee",
            "--observed-social",
            "Fewer late payers",
            "--observed-financial",
            "PAR30 fell to 1 %",
            "--today",
            "2025-10-15",
        ],
    );
    assert!(
        text.contains("reviewed on 2025-10-15 by SPM committee") && text.contains("as expected"),
        "the review shows the observed effects and the indicators: {text}"
    );
    let due = json(
        &f.db,
        &["decision", "list", "--due", "--today", "2025-10-15"],
    );
    assert_eq!(
        due.as_array().map(|a| a.len()),
        Some(0),
        "no longer due once reviewed"
    );
}

#[test]
fn demo_includes_practices_2_4_and_5() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    let s = json(&db, &["demo"]);
    assert_eq!(
        (s["assessments"].as_u64(), s["decisions"].as_u64()),
        (Some(2), Some(2)),
        "the demo summary counts assessments and decisions"
    );
    let list = json(&db, &["assessment", "list"]);
    assert_eq!(
        list[0]["answered"], list[0]["total"],
        "the latest assessment is complete"
    );
    let overdue = json(
        &db,
        &["action", "list", "--overdue", "--today", "2026-10-15"],
    );
    assert_eq!(
        overdue.as_array().map(|a| a.len()),
        Some(1),
        "one overdue action"
    );
    let due = json(&db, &["decision", "list", "--due", "--today", "2026-10-15"]);
    assert_eq!(
        due.as_array().map(|a| a.len()),
        Some(1),
        "one decision due for review"
    );
    let m = json(&db, &["alignment", "show"]);
    assert!(
        m["works_against"].as_array().is_some_and(|a| !a.is_empty()),
        "the matrix has a works-against cell"
    );
    assert!(
        ok(&db, &["check"]).starts_with("ok"),
        "the demo database is consistent"
    );
}
