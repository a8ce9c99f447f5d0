//! Practices 2, 4 and 5 of social performance management, beyond the indicators:
//!
//! - [`checklist`]: the built-in self-assessment checklist (assets/checklists), validated;
//! - [`assessment`] and [`score`]: self-assessments against it (Yes / Partially / No / N/A with
//!   evidence), raw and evidence-aware scores, comparison of two assessments, CSV export/import;
//! - [`action`]: action plans (a No or Partially becomes an action with owner and due date);
//! - [`alignment`]: the matrix of objectives × business processes (practice 4);
//! - [`decision`]: the dual-lens decision log with before/after indicator values (practice 5).
//!
//! Every write goes through `Store::write`. The public functions re-exported here are the API
//! the CLI calls now and the desktop shell calls later (one-line adapters).
//!
//! Dates are `YYYY-MM-DD` strings. Functions that depend on the date (overdue actions,
//! decisions due for review) take `today: Option<&str>`; `None` is the computer's local date.

pub mod action;
pub mod alignment;
pub mod assessment;
pub mod checklist;
pub mod decision;
pub mod demo;
pub mod score;

pub use action::{
    action_add, action_get, action_list, action_update, Action, ActionBrief, ActionFilter,
    ActionPatch, ActionStatus, NewAction,
};
pub use alignment::{
    alignment_get, alignment_set, AlignmentCell, AlignmentGap, AlignmentInput, AlignmentMatrix,
    AlignmentRow, ObjectiveRef, Process, ProcessInfo, Rating,
};
pub use assessment::{
    assessment_answer, assessment_clear_answer, assessment_compare, assessment_export_csv,
    assessment_export_file, assessment_get, assessment_import_csv, assessment_import_file,
    assessment_list, assessment_new, assessment_score, assessment_update, Answer,
    AnswerImportReport, AnswerInput, Assessment, AssessmentSummary, AssessmentView, NewAssessment,
    PracticeRow, RetiredAnswer,
};
pub use checklist::{Checklist, Text};
pub use decision::{
    decision_add, decision_get, decision_list, decision_review, Decision, DecisionEffects,
    DecisionIndicator, DecisionReviewInput, IndicatorEffect, Lens, Movement, NewDecision,
    NewDecisionIndicator,
};
pub use score::{AssessmentComparison, AssessmentScore, Change, GroupScore, PracticeComparison};

use crate::error::{CoreError, Result};
use crate::model::{validate_date, Language};
use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

/// Longest free text (evidence, notes, descriptions, effects), in characters.
pub const MAX_TEXT: usize = 4000;

/// The computer's local date, `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// `today` if given (validated), else the local date.
pub(crate) fn resolve_today(today: Option<&str>) -> Result<String> {
    match today {
        Some(t) => validate_date("today", t).map_err(|e| e.on_field("today")),
        None => Ok(self::today()),
    }
}

/// The given language, else the institution's.
pub(crate) fn lang_or_org(conn: &Connection, lang: Option<Language>) -> Result<Language> {
    match lang {
        Some(l) => Ok(l),
        None => Ok(crate::repo::organisation(conn)?.language),
    }
}

/// Trimmed free text of at most [`MAX_TEXT`] characters; `field` names it in errors.
pub(crate) fn free_text(field: &str, what: &str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.chars().count() > MAX_TEXT {
        return Err(CoreError::field(
            field,
            format!("{what} is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_string())
}

/// Trimmed text that must not be empty.
pub(crate) fn required_text(field: &str, what: &str, s: &str) -> Result<String> {
    let t = free_text(field, what, s)?;
    if t.is_empty() {
        return Err(CoreError::field(field, format!("{what} must not be empty")));
    }
    Ok(t)
}

/// The current self-assessment checklist, in every language (the UI shows it in its own).
pub fn checklist() -> Result<Checklist> {
    Ok(checklist::current()?.clone())
}

/// What the dashboard and the board pack show about practices 2, 4 and 5: overdue actions,
/// decisions due for review, and the latest assessment's scores.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SpmOverview {
    /// The date "overdue" and "due" were computed for.
    pub today: String,
    /// Actions open or in progress (overdue ones included).
    pub open_actions: u32,
    /// Open or in-progress actions past their due date, most overdue first.
    pub overdue_actions: Vec<Action>,
    /// Decisions whose review date has come and that are not reviewed yet.
    pub decisions_due: Vec<Decision>,
    /// Works-against cells and objectives that no process supports.
    pub alignment_gaps: u32,
    pub latest_assessment: Option<AssessmentSummary>,
}

/// The overview of practices 2, 4 and 5 for the dashboard.
pub fn spm_overview(
    store: &crate::Store,
    today: Option<&str>,
    lang: Option<Language>,
) -> Result<SpmOverview> {
    let today = resolve_today(today)?;
    let actions = action_list(store, &ActionFilter::default(), Some(&today))?;
    let open_actions = actions
        .iter()
        .filter(|a| matches!(a.status, ActionStatus::Open | ActionStatus::InProgress))
        .count() as u32;
    let overdue_actions: Vec<Action> = actions.into_iter().filter(|a| a.overdue).collect();
    let decisions_due = decision_list(store, true, Some(&today), lang)?;
    let m = alignment_get(store, lang)?;
    let latest_assessment = assessment_list(store)?.into_iter().next();
    Ok(SpmOverview {
        today,
        open_actions,
        overdue_actions,
        decisions_due,
        alignment_gaps: (m.works_against.len() + m.unsupported.len()) as u32,
        latest_assessment,
    })
}

/// Consistency of the practices 2, 4 and 5 tables beyond what SQLite's constraints enforce,
/// for `mizani check`: dates readable, checklist versions and practice codes known to this
/// binary, branch scopes that exist, file lists well formed, closed actions with a closing
/// time and open ones without. One sentence per problem, naming the row.
pub fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let lists = checklist::all()?;
    let known_practice = |code: &str| lists.iter().any(|c| c.practice(code).is_some());
    let bad_date = |d: &str| validate_date("date", d).map_or(true, |ok| ok != d);

    let mut stmt =
        conn.prepare("SELECT id, assessed_on, scope, checklist_id, checklist_version FROM assessment ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (id, on, scope, cl, version) = row?;
        if bad_date(&on) {
            problems.push(format!("assessment {id}: date '{on}' is not YYYY-MM-DD"));
        }
        if !lists
            .iter()
            .any(|c| c.id == cl && i64::from(c.version) == version)
        {
            problems.push(format!(
                "assessment {id}: checklist {cl} v{version} is not one this Mizani knows"
            ));
        }
        if let Some(code) = scope.strip_prefix("branch:") {
            let n: i64 =
                conn.query_row("SELECT count(*) FROM branch WHERE code = ?1", [code], |r| {
                    r.get(0)
                })?;
            if n == 0 {
                problems.push(format!(
                    "assessment {id}: scope names branch {code}, which does not exist"
                ));
            }
        }
    }

    let mut stmt = conn.prepare(
        "SELECT assessment_id, practice, evidence_files FROM assessment_answer ORDER BY assessment_id, practice",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, practice, files) = row?;
        if !known_practice(&practice) {
            problems.push(format!(
                "assessment {id}: answer to practice '{practice}', which no checklist has"
            ));
        }
        if serde_json::from_str::<Vec<String>>(&files).is_err() {
            problems.push(format!(
                "assessment {id}, practice {practice}: the evidence file list is not a JSON list of names"
            ));
        }
    }

    let mut stmt =
        conn.prepare("SELECT id, due_date, status, practice, closed_at FROM action ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })?;
    for row in rows {
        let (id, due, status, practice, closed_at) = row?;
        if bad_date(&due) {
            problems.push(format!("action {id}: due date '{due}' is not YYYY-MM-DD"));
        }
        if let Some(p) = practice.filter(|p| !known_practice(p)) {
            problems.push(format!(
                "action {id}: linked practice '{p}' is in no checklist"
            ));
        }
        let closed = matches!(status.as_str(), "done" | "dropped");
        if closed != closed_at.is_some() {
            problems.push(format!(
                "action {id}: status {status} but {} closing time",
                if closed { "no" } else { "a" }
            ));
        }
    }

    let mut stmt =
        conn.prepare("SELECT id, decided_on, review_on, reviewed_on FROM decision ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    for row in rows {
        let (id, decided, review, reviewed) = row?;
        for (what, d) in [
            ("decision date", Some(decided)),
            ("review date", Some(review)),
            ("reviewed date", reviewed),
        ] {
            if let Some(d) = d.filter(|d| bad_date(d)) {
                problems.push(format!("decision {id}: {what} '{d}' is not YYYY-MM-DD"));
            }
        }
    }
    Ok(problems)
}
