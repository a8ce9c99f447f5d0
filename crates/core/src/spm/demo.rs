//! The demo institution's practices 2, 4 and 5 (the `practices` section of
//! assets/demo/demo.json): two self-assessments (2025 and a complete 2026 one), actions (one
//! overdue), the alignment matrix of its objectives and two decisions (one reviewed, one due
//! for review). Written through the same API as real data; deterministic.

use super::action::{action_add, set_closed_at, NewAction};
use super::alignment::{alignment_set, AlignmentInput};
use super::assessment::{assessment_new, write_answers, Answer, AnswerRecord, NewAssessment};
use super::decision::{decision_add, decision_review, DecisionReviewInput, NewDecision};
use crate::error::{CoreError, ErrorCode, Result};
use crate::store::Store;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use ts_rs::TS;

/// The date the demo's data are written "as of" (just after its last month, 2026-09), so
/// that writing it never depends on the computer's clock.
pub const DEMO_DATE: &str = "2026-10-15";

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DemoAnswer {
    pub answer: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DemoAssessment {
    pub key: String,
    pub title: String,
    pub assessed_on: String,
    pub assessor: String,
    #[serde(default)]
    pub scope: Option<String>,
    pub answers: BTreeMap<String, DemoAnswer>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DemoAction {
    pub key: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
    #[serde(default)]
    pub closed_on: Option<String>,
    #[serde(default)]
    pub practice: Option<String>,
    /// Key of a demo assessment.
    #[serde(default)]
    pub assessment: Option<String>,
    /// Title of a demo objective.
    #[serde(default)]
    pub objective: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DemoAlignment {
    /// Title of a demo objective.
    pub objective: String,
    pub process: String,
    pub rating: String,
    #[serde(default)]
    pub evidence: String,
    /// Key of a demo action.
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DemoDecision {
    pub title: String,
    pub decided_on: String,
    pub decided_by: String,
    pub options_considered: String,
    pub expected_social: String,
    pub expected_financial: String,
    pub review_on: String,
    pub indicators: Vec<super::decision::NewDecisionIndicator>,
    #[serde(default)]
    pub review: Option<DecisionReviewInput>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct DemoPractices {
    #[serde(default)]
    pub assessments: Vec<DemoAssessment>,
    #[serde(default)]
    pub actions: Vec<DemoAction>,
    #[serde(default)]
    pub alignment: Vec<DemoAlignment>,
    #[serde(default)]
    pub decisions: Vec<DemoDecision>,
}

/// What was written: (assessments, actions, alignment cells, decisions).
pub type DemoCounts = (usize, usize, usize, usize);

fn bad(msg: String) -> CoreError {
    CoreError::new(ErrorCode::Database, format!("built-in demo data: {msg}"))
}

/// Writes the demo's practices into a store that already holds the demo's objectives.
pub fn load(store: &mut Store, d: &DemoPractices) -> Result<DemoCounts> {
    let objectives: HashMap<String, i64> = crate::repo::objectives(store.conn(), true)?
        .into_iter()
        .map(|o| (o.title, o.id))
        .collect();
    let objective = |t: &str| {
        objectives
            .get(t)
            .copied()
            .ok_or_else(|| bad(format!("no objective titled '{t}'")))
    };
    let mut assessments: HashMap<&str, i64> = HashMap::new();
    for a in &d.assessments {
        let created = assessment_new(
            store,
            &NewAssessment {
                title: a.title.clone(),
                assessed_on: a.assessed_on.clone(),
                assessor: a.assessor.clone(),
                scope: a.scope.clone(),
            },
        )?;
        let recs = a
            .answers
            .iter()
            .map(|(code, x)| {
                Ok(AnswerRecord {
                    practice: code.clone(),
                    answer: Answer::parse(&x.answer)?,
                    evidence: x.evidence.clone(),
                    evidence_files: x.files.clone(),
                    note: x.note.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        write_answers(store, created.id, &recs)?;
        assessments.insert(&a.key, created.id);
    }
    let mut actions: HashMap<&str, i64> = HashMap::new();
    for a in &d.actions {
        let assessment_id = a
            .assessment
            .as_deref()
            .map(|k| {
                assessments
                    .get(k)
                    .copied()
                    .ok_or_else(|| bad(format!("no assessment '{k}'")))
            })
            .transpose()?;
        let objective_id = a.objective.as_deref().map(objective).transpose()?;
        let created = action_add(
            store,
            &NewAction {
                description: a.description.clone(),
                owner: a.owner.clone(),
                due_date: a.due_date.clone(),
                status: Some(a.status.clone()),
                practice: a.practice.clone(),
                assessment_id,
                objective_id,
            },
            Some(DEMO_DATE),
        )?;
        if let Some(day) = &a.closed_on {
            let at = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|e| bad(format!("closed_on '{day}': {e}")))?
                .and_hms_opt(12, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .unwrap_or_default();
            set_closed_at(store, created.id, at)?;
        }
        actions.insert(&a.key, created.id);
    }
    for c in &d.alignment {
        let action_id = c
            .action
            .as_deref()
            .map(|k| {
                actions
                    .get(k)
                    .copied()
                    .ok_or_else(|| bad(format!("no action '{k}'")))
            })
            .transpose()?;
        alignment_set(
            store,
            &AlignmentInput {
                objective_id: objective(&c.objective)?,
                process: c.process.clone(),
                rating: Some(c.rating.clone()),
                evidence: c.evidence.clone(),
                action_id,
            },
            None,
        )?;
    }
    for x in &d.decisions {
        let created = decision_add(
            store,
            &NewDecision {
                title: x.title.clone(),
                decided_on: x.decided_on.clone(),
                decided_by: x.decided_by.clone(),
                options_considered: x.options_considered.clone(),
                expected_social: x.expected_social.clone(),
                expected_financial: x.expected_financial.clone(),
                review_on: x.review_on.clone(),
                indicators: x.indicators.clone(),
            },
            Some(DEMO_DATE),
            None,
        )?;
        if let Some(r) = &x.review {
            decision_review(store, created.id, r, Some(DEMO_DATE), None)?;
        }
    }
    Ok((
        d.assessments.len(),
        d.actions.len(),
        d.alignment.len(),
        d.decisions.len(),
    ))
}
