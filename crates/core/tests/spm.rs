//! Practices 2, 4 and 5 through the public API on real SQLite databases: assessments and their
//! CSV exchange, retired practice codes, comparisons, actions, the alignment matrix, decisions
//! with before/after values from the engine, the demo's content and the upgrade of a v1
//! database. Every refusal is checked to leave the database unchanged.

mod common;

use common::{branches, load, period, series, store};
use mizani_core::api::{self, NewObjective};
use mizani_core::demo::load_demo;
use mizani_core::engine::Scope;
use mizani_core::model::Language;
use mizani_core::spm::demo::DEMO_DATE;
use mizani_core::spm::{
    self, ActionFilter, ActionPatch, ActionStatus, AlignmentInput, Answer, AnswerInput, Change,
    DecisionReviewInput, Movement, NewAction, NewAssessment, NewDecision, NewDecisionIndicator,
    Process, Rating,
};
use mizani_core::store::ASSESSMENT_ANSWER;
use mizani_core::{CoreError, ErrorCode, Store};
use rusqlite::types::Value;

/// A canonical dump of every table, to prove that a refusal changed nothing.
fn dump(s: &Store) -> String {
    let c = s.conn();
    let mut out = String::new();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2"))
            .expect("select");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, Value>(i).expect("cell")))
                    .collect();
                Ok(cells.join("|"))
            })
            .expect("query");
        for row in rows {
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
    }
    out
}

/// Asserts `r` is a refusal naming `field` whose message contains `text`, and that the
/// database did not change.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    s: &mut Store,
    before: &str,
    f: impl FnOnce(&mut Store) -> Result<T, CoreError>,
    field: &str,
    text: &str,
) {
    let e = f(s).expect_err(&format!("a bad {field} must be refused"));
    assert!(
        e.fields.iter().any(|f| f.field == field),
        "the error names the field {field} for the form: {:?} ({e})",
        e.fields
    );
    assert!(e.message.contains(text), "expected '{text}' in: {e}");
    assert_eq!(before, dump(s), "a refused {field} changes nothing");
}

/// (practice, answer, evidence, files, note)
type AnswerTuple = (String, Option<Answer>, String, Vec<String>, String);

fn demo() -> Store {
    let mut s = Store::open_in_memory().expect("in-memory database opens");
    load_demo(&mut s).expect("the demo loads into an empty database");
    s
}

fn new_assessment(s: &mut Store, title: &str, date: &str) -> i64 {
    spm::assessment_new(
        s,
        &NewAssessment {
            title: title.into(),
            assessed_on: date.into(),
            assessor: "Awa".into(),
            scope: None,
        },
    )
    .expect("a valid assessment is created")
    .id
}

fn answer(s: &mut Store, id: i64, practice: &str, a: &str, evidence: Option<&str>) {
    spm::assessment_answer(
        s,
        id,
        &AnswerInput {
            practice: practice.into(),
            answer: a.into(),
            evidence: evidence.map(str::to_string),
            evidence_files: None,
            note: None,
        },
        None,
    )
    .unwrap_or_else(|e| panic!("answering {practice} {a}: {e}"));
}

fn objective(s: &mut Store, title: &str) -> i64 {
    api::objective_add(
        s,
        &NewObjective {
            title: title.into(),
            practice: 2,
            dimension: "client_protection".into(),
            start_date: "2025-01-01".into(),
            end_date: "2026-12-31".into(),
            ..Default::default()
        },
    )
    .expect("a valid objective is added")
    .id
}

#[test]
fn demo_includes_a_complete_assessment_actions_alignment_and_decisions() {
    let s = demo();
    let list = spm::assessment_list(&s).expect("list");
    assert_eq!(list.len(), 2, "a 2025 and a 2026 assessment, to compare");
    let latest = &list[0];
    assert_eq!(latest.assessed_on, "2026-06-30", "newest first");
    assert_eq!(
        latest.answered, latest.total,
        "the latest assessment is complete: every practice answered"
    );
    let v = spm::assessment_get(&s, latest.id, Some(Language::En)).expect("view");
    let yes_bare = v
        .practices
        .iter()
        .filter(|p| p.yes_without_evidence)
        .count();
    let gaps = v.practices.iter().filter(|p| p.gap).count();
    assert!(
        yes_bare >= 3,
        "some Yes answers lack evidence, to show the evidence-aware score: {yes_bare}"
    );
    assert!(gaps >= 5, "some No and Partially answers: {gaps}");
    assert!(
        v.score.overall.evidence_score < v.score.overall.score,
        "the evidence-aware score is below the raw score"
    );
    assert!(
        v.practices.iter().any(|p| p.gap && !p.actions.is_empty()),
        "gaps carry the actions created for them"
    );

    let actions = spm::action_list(&s, &ActionFilter::default(), Some(DEMO_DATE)).expect("actions");
    assert!(actions.len() >= 3, "a few actions: {}", actions.len());
    let overdue: Vec<_> = actions.iter().filter(|a| a.overdue).collect();
    assert_eq!(
        overdue.len(),
        1,
        "exactly one overdue action as of {DEMO_DATE}"
    );
    assert_eq!(
        overdue[0].id, actions[0].id,
        "the overdue action comes first in the list"
    );
    assert!(
        actions
            .iter()
            .any(|a| a.status == ActionStatus::Done && a.closed_at.is_some()),
        "a done action records when it was closed"
    );

    let m = spm::alignment_get(&s, Some(Language::En)).expect("matrix");
    assert_eq!(m.objectives.len(), 6, "a row per demo objective");
    assert!(
        !m.works_against.is_empty(),
        "at least one works-against cell"
    );
    assert!(
        m.works_against.iter().any(|g| g.action.is_some()),
        "a works-against cell is addressed by an action"
    );
    assert_eq!(
        m.unsupported
            .iter()
            .map(|o| o.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Keep our clients: understand why they leave"],
        "one objective no process supports"
    );

    let ds = spm::decision_list(&s, false, Some(DEMO_DATE), None).expect("decisions");
    assert_eq!(ds.len(), 2, "two decisions");
    assert_eq!(
        ds.iter().filter(|d| d.due_for_review).count(),
        1,
        "one decision is due for review as of {DEMO_DATE} (review date 2026-09-30)"
    );
    assert_eq!(
        ds.iter().filter(|d| d.reviewed).count(),
        1,
        "one is reviewed"
    );
    assert!(ds[0].due_for_review, "the due one is listed first");

    let o = spm::spm_overview(&s, Some(DEMO_DATE), None).expect("overview");
    assert_eq!(
        (o.overdue_actions.len(), o.decisions_due.len()),
        (1, 1),
        "the dashboard's overview lists the overdue action and the decision due"
    );
    assert_eq!(
        o.alignment_gaps, 3,
        "two works-against cells and one unsupported objective"
    );
    assert_eq!(
        o.latest_assessment.map(|a| a.id),
        Some(latest.id),
        "the overview shows the latest assessment"
    );
}

#[test]
fn demo_practices_are_deterministic() {
    let (a, b) = (demo(), demo());
    let strip = |s: &Store| {
        let mut v =
            serde_json::to_value(spm::assessment_get(s, 2, Some(Language::Fr)).expect("view"))
                .expect("json");
        v["assessment"]["created_at"] = serde_json::Value::Null;
        let mut acts = serde_json::to_value(
            spm::action_list(s, &ActionFilter::default(), Some(DEMO_DATE)).expect("actions"),
        )
        .expect("json");
        for x in acts.as_array_mut().expect("array") {
            x["created_at"] = serde_json::Value::Null;
        }
        let m = serde_json::to_value(spm::alignment_get(s, None).expect("matrix")).expect("json");
        let d = serde_json::to_value(spm::decision_get(s, 1, Some(DEMO_DATE), None).expect("d"))
            .expect("json");
        (v, acts, m, d)
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "two demo loads hold the same assessments, actions, matrix and decision values"
    );
}

#[test]
fn decision_before_and_after_are_the_engines_values() {
    let s = demo();
    let e = spm::decision_get(&s, 1, Some(DEMO_DATE), None).expect("decision 1");
    assert!(e.decision.reviewed, "decision 1 is the reviewed one");
    assert_eq!(
        e.before_period.to_string(),
        "2024-Q3",
        "before = the quarter before the one of the decision (2024-12-12)"
    );
    assert_eq!(
        e.after_period.map(|p| p.to_string()).as_deref(),
        Some("2025-Q4"),
        "after = the last complete quarter before the review date 2026-01-22"
    );
    assert_eq!(
        e.reference_date, "2026-01-22",
        "a reviewed decision is judged as of its review"
    );
    for (p, pick) in [("2024-Q3", 0), ("2025-Q4", 1)] {
        let engine = api::indicators(&s, period(p), &Scope::Org, None).expect("indicators");
        for i in &e.indicators {
            let mine = if pick == 0 {
                Some(&i.before)
            } else {
                i.after.as_ref()
            }
            .expect("both values exist");
            let theirs = engine.iter().find(|v| v.code == i.code).expect("listed");
            assert_eq!(
                (mine.value, mine.numerator, mine.denominator, mine.reported),
                (
                    theirs.value,
                    theirs.numerator,
                    theirs.denominator,
                    theirs.reported
                ),
                "{} {p}: the decision log shows exactly the dashboard's number",
                i.code
            );
        }
    }
    let women = e
        .indicators
        .iter()
        .find(|i| i.code == "women_borrowers_pct")
        .expect("linked");
    let (b, a) = (
        women.before.value.expect("before"),
        women.after.as_ref().and_then(|x| x.value).expect("after"),
    );
    assert_eq!(women.change, Some(a - b), "change = after − before");
    assert_eq!(
        (women.observed, women.as_expected, women.favourable),
        (Some(Movement::Up), Some(true), Some(true)),
        "women's share rose as expected, which is good for a higher-is-better indicator"
    );

    // Decision 2 (2026-02-16) is not reviewed: "after" follows today.
    let after = |today: &str| {
        spm::decision_get(&s, 2, Some(today), None)
            .expect("decision 2")
            .after_period
            .map(|p| p.to_string())
    };
    assert_eq!(
        after("2026-11-27").as_deref(),
        Some("2026-Q3"),
        "the data end in 2026-09, so 2026-Q3 is the last complete quarter with data"
    );
    assert_eq!(
        after("2026-09-29").as_deref(),
        Some("2026-Q2"),
        "2026-Q3 is not over on 29 September"
    );
    assert_eq!(
        after("2026-09-30").as_deref(),
        Some("2026-Q3"),
        "a quarter is complete on its last day"
    );
    assert_eq!(
        after("2027-06-30").as_deref(),
        Some("2026-Q3"),
        "later quarters have no data yet"
    );
    let early = spm::decision_get(&s, 2, Some("2026-03-10"), None).expect("decision 2");
    assert_eq!(
        early.after_period, None,
        "no quarter after the decision is complete yet"
    );
    assert!(
        early
            .after_reason
            .as_deref()
            .is_some_and(|r| r.contains("no complete quarter")),
        "the reason is given: {:?}",
        early.after_reason
    );
    assert!(
        early
            .indicators
            .iter()
            .all(|i| i.after.is_none() && i.observed.is_none()),
        "without an after quarter there is no after value and no observed movement"
    );
}

#[test]
fn after_stops_at_the_last_complete_quarter_with_data() {
    let mut s = store(None);
    branches(&mut s, &[("A", "North")]);
    // glp and par30_balance from 2024-10 to 2025-05: data end in the middle of 2025-Q2.
    let glp = [
        1000.0, 1000.0, 1000.0, 1000.0, 1100.0, 1200.0, 1300.0, 1400.0,
    ];
    let par = [10.0, 10.0, 20.0, 20.0, 30.0, 40.0, 50.0, 60.0];
    let rows = series("A", "glp", "2024-10", &glp) + &series("A", "par30_balance", "2024-10", &par);
    load(&mut s, &rows);
    let d = spm::decision_add(
        &mut s,
        &NewDecision {
            title: "Stricter appraisal".into(),
            decided_on: "2025-01-10".into(),
            decided_by: "Board".into(),
            expected_social: "Fewer clients in trouble".into(),
            expected_financial: "Lower PAR".into(),
            review_on: "2025-12-31".into(),
            indicators: vec![NewDecisionIndicator {
                indicator: "par30".into(),
                lens: "financial".into(),
                expected: "down".into(),
            }],
            ..Default::default()
        },
        Some("2025-12-31"),
        None,
    )
    .expect("valid decision");
    let e = spm::decision_get(&s, d.id, Some("2025-12-31"), None).expect("effects");
    assert_eq!(
        e.before_period.to_string(),
        "2024-Q4",
        "quarter before 2025-Q1"
    );
    assert_eq!(
        e.after_period.map(|p| p.to_string()).as_deref(),
        Some("2025-Q1"),
        "2025-Q2 lacks June, so the last complete quarter with data is 2025-Q1"
    );
    let par30 = &e.indicators[0];
    // 2024-Q4: 20 / 1000 = 2 %; 2025-Q1: 40 / 1200 = 3.33 %.
    common::assert_close(par30.before.value, 2.0, "PAR30 at the end of 2024-Q4");
    common::assert_close(
        par30.after.as_ref().and_then(|a| a.value),
        40.0 / 1200.0 * 100.0,
        "PAR30 at the end of 2025-Q1",
    );
    assert_eq!(
        (par30.observed, par30.as_expected, par30.favourable),
        (Some(Movement::Up), Some(false), Some(false)),
        "PAR30 rose although a fall was expected: bad for a lower-is-better indicator"
    );
}

#[test]
fn decisions_are_validated_field_by_field() {
    let mut s = store(None);
    let before = dump(&s);
    let good = NewDecision {
        title: "Open a branch in Kassa".into(),
        decided_on: "2026-03-01".into(),
        decided_by: "Board".into(),
        options_considered: "Kassa or Lagoa".into(),
        expected_social: "Reach 2 000 new clients".into(),
        expected_financial: "Break even in 18 months".into(),
        review_on: "2027-03-01".into(),
        indicators: vec![NewDecisionIndicator {
            indicator: "oss".into(),
            lens: "financial".into(),
            expected: "down".into(),
        }],
    };
    let today = Some("2026-06-01");
    let mut cases: Vec<(NewDecision, &str, &str)> = Vec::new();
    let mut d = good.clone();
    d.title = " ".into();
    cases.push((d, "title", "must not be empty"));
    let mut d = good.clone();
    d.decided_on = "1/3/2026".into();
    cases.push((d, "decided_on", "YYYY-MM-DD"));
    let mut d = good.clone();
    d.decided_on = "2026-07-01".into();
    cases.push((d, "decided_on", "in the future"));
    let mut d = good.clone();
    d.decided_by = "".into();
    cases.push((d, "decided_by", "who decided"));
    let mut d = good.clone();
    d.expected_social = "  ".into();
    cases.push((d, "expected_social", "both lenses"));
    let mut d = good.clone();
    d.expected_financial = "".into();
    cases.push((d, "expected_financial", "both lenses"));
    let mut d = good.clone();
    d.review_on = "2026-02-01".into();
    cases.push((d, "review_on", "before the decision date"));
    let mut d = good.clone();
    d.indicators[0].indicator = "happiness".into();
    cases.push((d, "indicators", "no indicator 'happiness'"));
    let mut d = good.clone();
    d.indicators[0].lens = "moral".into();
    cases.push((d, "indicators", "not a lens"));
    let mut d = good.clone();
    d.indicators[0].expected = "sideways".into();
    cases.push((d, "indicators", "not an expected direction"));
    let mut d = good.clone();
    d.indicators.push(d.indicators[0].clone());
    cases.push((d, "indicators", "linked twice"));
    for (d, field, text) in cases {
        refused(
            &mut s,
            &before,
            |s| spm::decision_add(s, &d, today, None),
            field,
            text,
        );
    }
    let added = spm::decision_add(&mut s, &good, today, None).expect("the good decision is logged");
    assert!(
        !added.due_for_review && !added.reviewed,
        "a new decision is neither reviewed nor due before its review date"
    );
    assert_eq!(
        added.indicators[0].expected,
        Movement::Down,
        "expected direction kept"
    );
}

#[test]
fn reviewing_records_the_observed_effects() {
    let mut s = demo();
    let before = dump(&s);
    let good = DecisionReviewInput {
        reviewed_on: Some("2026-10-10".into()),
        reviewer: "SPM committee".into(),
        observed_social: "No land seized; retention held in the North".into(),
        observed_financial: "PAR30 up as expected; OSS above 100 %".into(),
    };
    let today = Some(DEMO_DATE);
    let mut r = good.clone();
    r.reviewer = "".into();
    refused(
        &mut s,
        &before,
        |s| spm::decision_review(s, 2, &r, today, None),
        "reviewer",
        "reviewer",
    );
    let mut r = good.clone();
    r.observed_financial = " ".into();
    refused(
        &mut s,
        &before,
        |s| spm::decision_review(s, 2, &r, today, None),
        "observed_financial",
        "observed financial effect",
    );
    let mut r = good.clone();
    r.reviewed_on = Some("2026-01-01".into());
    refused(
        &mut s,
        &before,
        |s| spm::decision_review(s, 2, &r, today, None),
        "reviewed_on",
        "before the decision date",
    );
    let mut r = good.clone();
    r.reviewed_on = Some("2026-12-01".into());
    refused(
        &mut s,
        &before,
        |s| spm::decision_review(s, 2, &r, today, None),
        "reviewed_on",
        "in the future",
    );
    let e = spm::decision_review(&mut s, 2, &good, today, None).expect("review recorded");
    assert!(
        e.decision.reviewed && !e.decision.due_for_review,
        "a reviewed decision is no longer due"
    );
    assert_eq!(
        e.after_period.map(|p| p.to_string()).as_deref(),
        Some("2026-Q3"),
        "after is chosen as of the review date 2026-10-10"
    );
    assert!(
        spm::decision_list(&s, true, today, None)
            .expect("list")
            .is_empty(),
        "nothing is due for review any more"
    );
    let audit: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM audit WHERE entity = 'decision' AND entity_key = 'decision 2' AND field = 'observed_social'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audit, 1, "the review is in the audit trail");
}

#[test]
fn answers_are_validated_and_unchanged_fields_are_kept() {
    let mut s = store(None);
    let id = new_assessment(&mut s, "Self-assessment", "2026-05-31");
    let before = dump(&s);
    let input = |practice: &str, a: &str| AnswerInput {
        practice: practice.into(),
        answer: a.into(),
        ..Default::default()
    };
    refused(
        &mut s,
        &before,
        |s| spm::assessment_answer(s, id, &input("9Z.1", "yes"), None),
        "practice",
        "unknown practice code '9Z.1'",
    );
    refused(
        &mut s,
        &before,
        |s| spm::assessment_answer(s, id, &input("4B.2", "maybe"), None),
        "answer",
        "'maybe' is not a valid answer",
    );
    let mut long = input("4B.2", "yes");
    long.evidence = Some("x".repeat(5000));
    refused(
        &mut s,
        &before,
        |s| spm::assessment_answer(s, id, &long, None),
        "evidence",
        "longer than",
    );
    let e = spm::assessment_answer(&mut s, 999, &input("4B.2", "yes"), None)
        .expect_err("no such assessment");
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "an unknown assessment is not found: {e}"
    );

    for (word, want) in [
        ("Oui", Answer::Yes),
        ("sí", Answer::Yes),
        ("si", Answer::Yes),
        ("Partiellement", Answer::Partial),
        ("parcialmente", Answer::Partial),
        ("partially", Answer::Partial),
        ("NON", Answer::No),
        ("N/A", Answer::Na),
        ("sans objet", Answer::Na),
        ("no aplica", Answer::Na),
    ] {
        let r = spm::assessment_answer(&mut s, id, &input("4b.2", word), None)
            .unwrap_or_else(|e| panic!("'{word}' is accepted: {e}"));
        assert_eq!(r.answer, Some(want), "'{word}' means {want}");
        assert_eq!(r.code, "4B.2", "the practice code is canonicalised");
    }
    let mut full = input("4B.2", "yes");
    full.evidence = Some("Bureau reports in 60 files".into());
    full.evidence_files = Some(vec![" audit.pdf ".into(), "audit.pdf".into(), "".into()]);
    full.note = Some("checked by internal audit".into());
    let r = spm::assessment_answer(&mut s, id, &full, None).expect("answer");
    assert_eq!(
        r.evidence_files,
        vec!["audit.pdf".to_string()],
        "file references are trimmed, blank ones dropped, duplicates merged"
    );
    let r = spm::assessment_answer(&mut s, id, &input("4B.2", "partial"), None).expect("answer");
    assert_eq!(
        (r.evidence.as_str(), r.evidence_files.len(), r.note.as_str()),
        ("Bureau reports in 60 files", 1, "checked by internal audit"),
        "absent evidence, files and note keep the stored ones"
    );
    let mut clear = input("4B.2", "yes");
    clear.evidence = Some("".into());
    clear.evidence_files = Some(Vec::new());
    let r = spm::assessment_answer(&mut s, id, &clear, None).expect("answer");
    assert!(
        r.yes_without_evidence,
        "clearing the evidence of a Yes flags it"
    );
    assert!(
        spm::assessment_clear_answer(&mut s, id, "4b.2").expect("clear"),
        "an answer can be removed"
    );
    let v = spm::assessment_get(&s, id, None).expect("view");
    assert!(
        v.practices.iter().all(|p| p.unanswered),
        "after removal nothing is answered"
    );
}

#[test]
fn assessments_are_validated() {
    let mut s = store(None);
    branches(&mut s, &[("N01", "North")]);
    let before = dump(&s);
    let good = NewAssessment {
        title: "SPI 2026".into(),
        assessed_on: "2026-05-31".into(),
        assessor: "Awa".into(),
        scope: Some("branch:N01".into()),
    };
    let cases: Vec<(NewAssessment, &str, &str)> = vec![
        (
            NewAssessment {
                title: " ".into(),
                ..good.clone()
            },
            "title",
            "must not be empty",
        ),
        (
            NewAssessment {
                assessed_on: "31/05/2026".into(),
                ..good.clone()
            },
            "assessed_on",
            "YYYY-MM-DD",
        ),
        (
            NewAssessment {
                assessor: "".into(),
                ..good.clone()
            },
            "assessor",
            "must not be empty",
        ),
        (
            NewAssessment {
                scope: Some("branch:ZZ".into()),
                ..good.clone()
            },
            "scope",
            "no branch 'ZZ'",
        ),
        (
            NewAssessment {
                scope: Some("region:North".into()),
                ..good.clone()
            },
            "scope",
            "one branch",
        ),
    ];
    for (a, field, text) in cases {
        refused(&mut s, &before, |s| spm::assessment_new(s, &a), field, text);
    }
    let a = spm::assessment_new(&mut s, &good).expect("valid");
    assert_eq!(a.scope, "branch:N01", "a branch scope is kept");
    assert_eq!(
        (a.checklist_id.as_str(), a.checklist_version),
        ("mizani-spm", 1),
        "the checklist version the assessment was started with is recorded"
    );
}

#[test]
fn retired_practice_codes_are_kept_reported_and_not_scored() {
    let mut s = store(None);
    let id = new_assessment(&mut s, "Old assessment", "2024-05-31");
    answer(&mut s, id, "4B.1", "no", None);
    // An answer written under an older checklist version, to a code v1 does not have.
    s.write("answer from an older checklist", |w| {
        w.set(
            &ASSESSMENT_ANSWER,
            &[Value::Integer(id), Value::Text("4H.9".into())],
            "old",
            &[
                ("answer", Value::Text("yes".into())),
                ("evidence", Value::Text("old evidence".into())),
                ("evidence_files", Value::Text("[]".into())),
                ("note", Value::Text("".into())),
            ],
        )
    })
    .expect("write");
    let v = spm::assessment_get(&s, id, None).expect("view");
    assert_eq!(
        v.retired
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        vec!["4H.9"],
        "the answer is kept and reported as not in this checklist version"
    );
    assert!(
        v.practices.iter().all(|p| p.code != "4H.9"),
        "it is not among the current practices"
    );
    assert_eq!(v.answered, 1, "only current practices count as answered");
    assert_eq!(
        v.score.retired,
        vec!["4H.9".to_string()],
        "the score reports it too"
    );
    assert_eq!(
        v.score.overall.score,
        Some(0.0),
        "and does not count it: only 4B.1 (No) is scored"
    );
    let csv = spm::assessment_export_csv(&s, id, None).expect("export");
    assert!(
        !csv.contains("4H.9"),
        "a retired answer is not exported (it could not be imported)"
    );
    assert!(
        spm::assessment_clear_answer(&mut s, id, "4h.9").expect("clear"),
        "a retired answer can still be removed"
    );
}

#[test]
fn csv_round_trip_and_all_or_nothing_import() {
    let mut s = demo();
    let csv = spm::assessment_export_csv(&s, 2, Some(Language::Fr)).expect("export");
    assert!(
        csv.starts_with(
            "practice,answer,evidence,note,evidence_files,dimension,standard,question\n"
        ),
        "documented header: {}",
        csv.lines().next().unwrap_or("")
    );
    let copy = new_assessment(&mut s, "Copy", "2026-07-01");
    let r =
        spm::assessment_import_csv(&mut s, copy, "a.csv", csv.as_bytes(), true).expect("dry run");
    assert_eq!(
        (r.rows, r.inserted, r.dry_run),
        (87, 87, true),
        "a dry run counts every answer"
    );
    assert!(
        spm::assessment_get(&s, copy, None)
            .expect("view")
            .practices
            .iter()
            .all(|p| p.unanswered),
        "and writes nothing"
    );
    let r =
        spm::assessment_import_csv(&mut s, copy, "a.csv", csv.as_bytes(), false).expect("import");
    assert_eq!(r.inserted, 87, "every answer imported");
    let strip = |id: i64| -> Vec<AnswerTuple> {
        spm::assessment_get(&s, id, None)
            .expect("view")
            .practices
            .into_iter()
            .map(|p| (p.code, p.answer, p.evidence, p.evidence_files, p.note))
            .collect()
    };
    assert_eq!(
        strip(2),
        strip(copy),
        "export then import gives the same answers, evidence, files and notes"
    );
    let r =
        spm::assessment_import_csv(&mut s, copy, "a.csv", csv.as_bytes(), false).expect("again");
    assert_eq!(
        r.unchanged, 87,
        "importing the same file again changes nothing"
    );
    // The same file saved by a spreadsheet program as Windows-1252 ("CSV (séparateur: point-
    // virgule)" in French Excel) or UTF-16 reads the same: nothing changes.
    let (latin, _, lossy) = encoding_rs::WINDOWS_1252.encode(&csv);
    assert!(!lossy, "the French export fits Windows-1252");
    let r = spm::assessment_import_csv(&mut s, copy, "a-1252.csv", &latin, false)
        .expect("a Windows-1252 file imports");
    assert_eq!(r.unchanged, 87, "the accents read back the same");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(csv.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let r = spm::assessment_import_csv(&mut s, copy, "a-16.csv", &utf16, false)
        .expect("a UTF-16 file imports");
    assert_eq!(r.unchanged, 87, "UTF-16 reads back the same");

    // Only practice and answer: evidence and notes are kept.
    let r = spm::assessment_import_csv(
        &mut s,
        copy,
        "b.csv",
        b"practice;answer\n4B.1;partiellement\n\n",
        false,
    )
    .expect("semicolons and French answers");
    assert_eq!(r.updated, 1, "one answer changed");
    let p = spm::assessment_get(&s, copy, None)
        .expect("view")
        .practices
        .into_iter()
        .find(|p| p.code == "4B.1")
        .expect("4B.1");
    assert_eq!(p.answer, Some(Answer::Partial), "the new answer");
    assert!(
        !p.evidence.is_empty(),
        "a column the file lacks keeps the stored evidence"
    );

    let before = dump(&s);
    let bad = "practice,answer,evidence,note\n\
               4B.1,yes,Policy,\n\
               9Z.9,yes,,\n\
               4B.2,maybe,,\n\
               4b.1,no,,\n\
               4C.1,,some evidence,\n\
               4C.2,,,\n";
    let e = spm::assessment_import_csv(&mut s, copy, "bad.csv", bad.as_bytes(), false)
        .expect_err("rejected");
    assert_eq!(e.code, ErrorCode::ImportRejected, "a dedicated code: {e}");
    assert!(
        e.message.contains("4 bad row(s)"),
        "counts the bad rows: {e}"
    );
    let details = e.details.join("\n");
    for want in [
        "line 3: unknown practice code '9Z.9'",
        "line 4: 'maybe' is not a valid answer",
        "line 5: duplicate of line 2 (practice 4B.1)",
        "line 6: the answer is empty but the row has evidence",
    ] {
        assert!(
            details.contains(want),
            "every bad line is listed ({want}): {details}"
        );
    }
    assert!(
        !details.contains("line 2:"),
        "the good line is not reported: {details}"
    );
    assert!(
        !details.contains("line 7:"),
        "a blank template row is skipped, not an error: {details}"
    );
    assert_eq!(
        before,
        dump(&s),
        "a rejected file changes nothing, not even its good rows"
    );
    for (what, content, want) in [
        (
            "missing column",
            "practice,evidence\n4B.1,x\n",
            "no 'answer' column",
        ),
        (
            "unknown column",
            "practice,answer,score\n4B.1,yes,1\n",
            "unknown column 'score'",
        ),
        ("no answers", "practice,answer\n4B.1,\n", "no answers"),
    ] {
        let e = spm::assessment_import_csv(&mut s, copy, "x.csv", content.as_bytes(), false)
            .expect_err(what);
        let all = format!("{} {}", e.message, e.details.join(" "));
        assert!(all.contains(want), "{what}: expected '{want}' in {all}");
        assert_eq!(before, dump(&s), "{what}: nothing changed");
    }
}

#[test]
fn comparing_stored_assessments() {
    let s = demo();
    let c = spm::assessment_compare(&s, 1, 2, Some(Language::En)).expect("compare");
    let change = |code: &str| {
        c.comparison
            .practices
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.change)
    };
    assert_eq!(
        change("4B.2"),
        Some(Change::Improved),
        "credit bureau check: No → Partially"
    );
    assert_eq!(
        change("4B.4"),
        Some(Change::Slipped),
        "repeat loans on the Coast: Yes → Partially"
    );
    assert_eq!(change("4B.1"), Some(Change::Unchanged), "Yes both times");
    let s1 = spm::assessment_score(&s, 1, None).expect("score 1");
    let s2 = spm::assessment_score(&s, 2, None).expect("score 2");
    for (i, d) in c.comparison.dimensions.iter().enumerate() {
        assert_eq!(
            (d.before, d.after),
            (s1.dimensions[i].score, s2.dimensions[i].score),
            "{}: compare shows each assessment's own score",
            d.code
        );
        assert_eq!(
            d.delta,
            Some(s2.dimensions[i].score.expect("s2") - s1.dimensions[i].score.expect("s1")),
            "{}: delta = after − before",
            d.code
        );
    }
    let p2 = c
        .comparison
        .principles
        .iter()
        .find(|p| p.code == "P2")
        .expect("P2");
    assert!(
        p2.delta.is_some_and(|d| d > 0.0),
        "over-indebtedness prevention improved overall: {p2:?}"
    );
    let e = spm::assessment_compare(&s, 1, 99, None).expect_err("no such assessment");
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
}

#[test]
fn any_gap_becomes_an_action_that_is_validated_closed_and_reopened() {
    let mut s = store(None);
    let oid = objective(&mut s, "Prevent over-indebtedness");
    let id = new_assessment(&mut s, "SPI", "2026-05-31");
    answer(&mut s, id, "4B.7", "no", None);
    let before = dump(&s);
    let good = NewAction {
        description: "Audit appraisal quality in four branches per quarter".into(),
        owner: "Internal auditor".into(),
        due_date: "2026-08-31".into(),
        status: None,
        practice: Some("4b.7".into()),
        assessment_id: Some(id),
        objective_id: Some(oid),
    };
    let today = Some("2026-09-15");
    let cases: Vec<(NewAction, &str, &str)> = vec![
        (
            NewAction {
                description: " ".into(),
                ..good.clone()
            },
            "description",
            "must not be empty",
        ),
        (
            NewAction {
                owner: "".into(),
                ..good.clone()
            },
            "owner",
            "must not be empty",
        ),
        (
            NewAction {
                due_date: "soon".into(),
                ..good.clone()
            },
            "due_date",
            "YYYY-MM-DD",
        ),
        (
            NewAction {
                status: Some("finished".into()),
                ..good.clone()
            },
            "status",
            "not a valid action status",
        ),
        (
            NewAction {
                practice: Some("9Z.9".into()),
                ..good.clone()
            },
            "practice",
            "unknown practice code",
        ),
        (
            NewAction {
                practice: None,
                ..good.clone()
            },
            "practice",
            "names the practice it fixes",
        ),
        (
            NewAction {
                assessment_id: Some(99),
                ..good.clone()
            },
            "assessment_id",
            "no assessment 99",
        ),
        (
            NewAction {
                objective_id: Some(99),
                ..good.clone()
            },
            "objective_id",
            "no objective 99",
        ),
    ];
    for (a, field, text) in cases {
        refused(
            &mut s,
            &before,
            |s| spm::action_add(s, &a, today),
            field,
            text,
        );
    }
    let a = spm::action_add(&mut s, &good, today).expect("valid action");
    assert_eq!(
        a.practice.as_deref(),
        Some("4B.7"),
        "the practice code is canonical"
    );
    assert_eq!(a.status, ActionStatus::Open, "new actions are open");
    assert!(a.overdue, "due 2026-08-31, open on 2026-09-15: overdue");
    assert_eq!(a.days_overdue, Some(15), "15 days late");
    assert!(
        !spm::action_get(&s, a.id, Some("2026-08-31"))
            .expect("get")
            .overdue,
        "not overdue on its due date"
    );
    let row = spm::assessment_get(&s, id, None)
        .expect("view")
        .practices
        .into_iter()
        .find(|p| p.code == "4B.7")
        .expect("4B.7");
    assert!(row.gap, "the No is a gap");
    assert_eq!(
        row.actions.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![a.id],
        "its action is shown beside it"
    );

    let before = dump(&s);
    let bad = ActionPatch {
        objective_id: Some(oid),
        clear_objective: true,
        ..Default::default()
    };
    refused(
        &mut s,
        &before,
        |s| spm::action_update(s, a.id, &bad, today),
        "objective_id",
        "not both",
    );
    let bad = ActionPatch {
        status: Some("closed".into()),
        ..Default::default()
    };
    refused(
        &mut s,
        &before,
        |s| spm::action_update(s, a.id, &bad, today),
        "status",
        "'closed'",
    );

    let done = spm::action_update(
        &mut s,
        a.id,
        &ActionPatch {
            status: Some("done".into()),
            ..Default::default()
        },
        today,
    )
    .expect("close");
    assert!(
        done.closed_at.is_some() && !done.overdue,
        "a done action records its closing and is not overdue"
    );
    let reopened = spm::action_update(
        &mut s,
        a.id,
        &ActionPatch {
            status: Some("in progress".into()),
            due_date: Some("2026-12-31".into()),
            clear_objective: true,
            ..Default::default()
        },
        today,
    )
    .expect("reopen");
    assert_eq!(
        (
            reopened.status,
            reopened.closed_at,
            reopened.objective_id,
            reopened.overdue
        ),
        (ActionStatus::InProgress, None, None, false),
        "reopening clears the closing time; the objective link is removed; new due date"
    );

    let active = spm::action_list(
        &s,
        &ActionFilter {
            status: Some("active".into()),
            ..Default::default()
        },
        today,
    )
    .expect("list");
    assert_eq!(active.len(), 1, "open and in-progress actions are active");
    let overdue = spm::action_list(
        &s,
        &ActionFilter {
            overdue: true,
            ..Default::default()
        },
        Some("2027-01-01"),
    )
    .expect("list");
    assert_eq!(overdue.len(), 1, "overdue depends on the date asked for");
    let e = spm::action_list(
        &s,
        &ActionFilter {
            status: Some("late".into()),
            ..Default::default()
        },
        today,
    )
    .expect_err("bad filter");
    assert!(e.message.contains("'late'"), "{e}");
}

#[test]
fn alignment_highlights_works_against_and_unsupported_objectives() {
    let mut s = store(None);
    let o1 = objective(&mut s, "Reach rural women");
    let o2 = objective(&mut s, "Keep our clients");
    let set = |s: &mut Store, o: i64, p: &str, r: Option<&str>, ev: &str, action: Option<i64>| {
        spm::alignment_set(
            s,
            &AlignmentInput {
                objective_id: o,
                process: p.into(),
                rating: r.map(str::to_string),
                evidence: ev.into(),
                action_id: action,
            },
            Some(Language::Fr),
        )
    };
    let m = spm::alignment_get(&s, None).expect("matrix");
    assert_eq!(m.objectives.len(), 2, "one row per active objective");
    assert!(
        m.objectives
            .iter()
            .all(|o| o.cells.len() == 8 && o.unrated == 8 && o.unsupported),
        "eight unrated cells per objective; none supported yet"
    );
    set(
        &mut s,
        o1,
        "product_design",
        Some("supports"),
        "Group product",
        None,
    )
    .expect("rate");
    let a = spm::action_add(
        &mut s,
        &NewAction {
            description: "Reward retention".into(),
            owner: "HR".into(),
            due_date: "2027-01-31".into(),
            ..Default::default()
        },
        None,
    )
    .expect("action");
    let m = set(
        &mut s,
        o2,
        "Incentives",
        Some("works against"),
        "Bonus on new clients only",
        Some(a.id),
    )
    .expect("rate");
    assert_eq!(m.works_against.len(), 1, "the works-against cell is listed");
    let g = &m.works_against[0];
    assert_eq!(
        (
            g.objective_id,
            g.process,
            g.process_name.as_str(),
            g.action.as_ref().map(|x| x.id)
        ),
        (o2, Process::Incentives, "Incitations", Some(a.id)),
        "with its objective, process (named in French) and action"
    );
    assert_eq!(
        m.unsupported.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![o2],
        "only the objective without a supporting process is flagged"
    );
    let row = m
        .objectives
        .iter()
        .find(|o| o.objective_id == o1)
        .expect("row");
    assert_eq!(
        (row.supports, row.unrated, row.cells[6].rating),
        (1, 7, Some(Rating::Supports)),
        "product design is the seventh column and supports"
    );

    let before = dump(&s);
    refused(
        &mut s,
        &before,
        |s| set(s, 99, "pricing", Some("neutral"), "", None),
        "objective_id",
        "no objective 99",
    );
    refused(
        &mut s,
        &before,
        |s| set(s, o1, "hr", Some("neutral"), "", None),
        "process",
        "not a business process",
    );
    refused(
        &mut s,
        &before,
        |s| set(s, o1, "pricing", Some("great"), "", None),
        "rating",
        "not a rating",
    );
    refused(
        &mut s,
        &before,
        |s| set(s, o1, "pricing", Some("neutral"), "", Some(99)),
        "action_id",
        "no action 99",
    );
    refused(
        &mut s,
        &before,
        |s| set(s, o1, "pricing", None, "some evidence", None),
        "rating",
        "rate the cell",
    );
    api::objective_archive(&mut s, o1, true).expect("archive");
    let before = dump(&s);
    refused(
        &mut s,
        &before,
        |s| set(s, o1, "pricing", Some("neutral"), "", None),
        "objective_id",
        "archived",
    );
    let m = set(&mut s, o2, "incentives", None, "", None).expect("clear");
    assert!(
        m.works_against.is_empty() && m.objectives.len() == 1,
        "clearing a cell removes it; archived objectives leave the matrix"
    );
}

#[test]
fn a_version_1_database_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.sqlite");
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(include_str!("../migrations/0001_init.sql"))
            .expect("v1 schema");
        c.execute(
            "INSERT INTO organisation (id, uid, name, currency, language, created_at) VALUES (1, 'u', 'Old MFI', 'XOF', 'fr', 0)",
            [],
        )
        .expect("org");
        c.pragma_update(None, "application_id", mizani_core::store::APPLICATION_ID)
            .expect("id");
        c.pragma_update(None, "user_version", 1).expect("v1");
    }
    let mut s = Store::open(&path).expect("a v1 database opens and is upgraded");
    assert_eq!(
        s.schema_version().expect("version"),
        mizani_core::store::SCHEMA_VERSION,
        "migrated to the current schema"
    );
    assert_eq!(
        mizani_core::repo::organisation(s.conn()).expect("org").name,
        "Old MFI",
        "existing data survive the migration"
    );
    let id = new_assessment(&mut s, "First", "2026-01-31");
    assert!(id > 0, "the new tables are usable");
}

#[test]
fn check_finds_damage_in_the_practice_tables_that_sqlite_constraints_let_through() {
    let s = demo();
    let report = api::check(&s).expect("check runs");
    assert!(
        report.ok,
        "the demo's assessment, actions, alignment and decisions are consistent: {:?}",
        report.problems
    );
    // Damage only a tool other than Mizani (or a bug) could do: written straight into the file.
    let c = s.conn();
    let assessment: i64 = c
        .query_row("SELECT min(id) FROM assessment", [], |r| r.get(0))
        .expect("the demo has an assessment");
    for sql in [
        "UPDATE assessment SET assessed_on = '2026-13-40' WHERE id = ?1",
        "UPDATE assessment SET checklist_version = 99 WHERE id = ?1",
        "UPDATE assessment SET scope = 'branch:NOPE' WHERE id = ?1",
        "UPDATE assessment_answer SET evidence_files = 'not json' WHERE assessment_id = ?1 \
         AND practice = (SELECT min(practice) FROM assessment_answer WHERE assessment_id = ?1)",
        "INSERT INTO assessment_answer (assessment_id, practice, answer) VALUES (?1, '9Z.9', 'yes')",
        "UPDATE action SET status = 'done', closed_at = NULL \
         WHERE id = (SELECT min(id) FROM action WHERE ?1 > 0)",
        "UPDATE decision SET review_on = 'soon' WHERE id = (SELECT min(id) FROM decision WHERE ?1 > 0)",
    ] {
        c.execute(sql, [assessment]).expect(sql);
    }
    let report = api::check(&s).expect("check runs");
    assert!(!report.ok, "a damaged database does not pass the check");
    for want in [
        "date '2026-13-40' is not YYYY-MM-DD",
        "checklist mizani-spm v99",
        "branch NOPE, which does not exist",
        "evidence file list is not a JSON list",
        "practice '9Z.9', which no checklist has",
        "status done but no closing time",
        "review date 'soon' is not YYYY-MM-DD",
    ] {
        assert!(
            report.problems.iter().any(|p| p.contains(want)),
            "check reports '{want}' so the user knows which row to mend: {:?}",
            report.problems
        );
    }
}
