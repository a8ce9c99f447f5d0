//! Self-assessments: create one (title, date, assessor, scope), answer each practice
//! Yes / Partially / No / N/A with evidence (text and file references) and a note, read it back
//! with every practice and its flags, score it, compare two, and exchange answers as CSV.
//!
//! The CSV import (`practice,answer[,evidence][,note][,evidence_files]`) is all-or-nothing:
//! every bad line is listed (unknown practice code, invalid answer, duplicate row, text too
//! long) and nothing is written. Answers may be written in English, French or Spanish:
//! `yes`/`oui`/`sí`/`si`, `partial`/`partially`/`partiellement`/`parcialmente`, `no`/`non`,
//! `na`/`n/a`/`not applicable`/`sans objet`/`non applicable`/`no aplica` (any case).

use super::checklist::{self, Checklist};
use super::score::{self, AssessmentComparison, AssessmentScore};
use super::{free_text, lang_or_org};
use crate::engine::Scope;
use crate::error::{CoreError, ErrorCode, Result};
use crate::model::{validate_date, Dimension, Language};
use crate::store::{Outcome, Store, ASSESSMENT, ASSESSMENT_ANSWER};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use ts_rs::TS;

/// Most file references one answer may carry, and their longest length.
const MAX_FILES: usize = 20;
const MAX_FILE_REF: usize = 500;
/// How many bad CSV lines are listed before the rest is summarised.
const MAX_LISTED: usize = 200;

/// An answer to a practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    /// Partially.
    Partial,
    No,
    /// Not applicable: left out of the score.
    Na,
}

impl Answer {
    pub const ALL: [Answer; 4] = [Answer::Yes, Answer::Partial, Answer::No, Answer::Na];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::Partial => "partial",
            Answer::No => "no",
            Answer::Na => "na",
        }
    }

    /// Accepts the English codes and the usual words in English, French and Spanish.
    pub fn parse(s: &str) -> Result<Answer> {
        let t = s.trim().to_lowercase();
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(match t.as_str() {
            "yes" | "oui" | "sí" | "si" => Answer::Yes,
            "partial" | "partially" | "partiellement" | "parcialmente" => Answer::Partial,
            "no" | "non" => Answer::No,
            "na" | "n/a" | "not applicable" | "sans objet" | "non applicable" | "no aplica"
            | "no aplicable" => Answer::Na,
            _ => {
                return Err(CoreError::field(
                    "answer",
                    format!(
                        "'{}' is not a valid answer (use yes, partial, no or na; French oui, partiellement, non; Spanish sí, parcialmente, no)",
                        s.trim()
                    ),
                ))
            }
        })
    }

    /// A No or Partially: a gap that can become an action.
    pub fn is_gap(self) -> bool {
        matches!(self, Answer::Partial | Answer::No)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerRecord {
    pub practice: String,
    pub answer: Answer,
    pub evidence: String,
    pub evidence_files: Vec<String>,
    pub note: String,
}

impl AnswerRecord {
    /// Evidence is a non-blank text or at least one file reference.
    pub fn has_evidence(&self) -> bool {
        !self.evidence.trim().is_empty() || !self.evidence_files.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Assessment {
    pub id: i64,
    pub title: String,
    /// YYYY-MM-DD.
    pub assessed_on: String,
    pub assessor: String,
    /// `org` or `branch:CODE`.
    pub scope: String,
    /// The checklist the assessment was started with (it is shown and scored against the
    /// current one).
    pub checklist_id: String,
    pub checklist_version: u32,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewAssessment {
    pub title: String,
    /// YYYY-MM-DD.
    pub assessed_on: String,
    pub assessor: String,
    /// `org` (default) or `branch:CODE`.
    #[serde(default)]
    pub scope: Option<String>,
}

/// One practice's answer as entered. `evidence`, `evidence_files` and `note`: absent (null)
/// keeps the stored value (empty for a new answer); given replaces it.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AnswerInput {
    pub practice: String,
    /// yes, partial, no or na (French and Spanish words accepted).
    pub answer: String,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub evidence_files: Option<Vec<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An action linked to a practice, in brief.
pub use super::action::ActionBrief;

/// A practice of the current checklist with its answer and flags.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PracticeRow {
    pub code: String,
    /// Dimension code (`D4`) and key.
    pub dimension: String,
    pub dimension_key: Dimension,
    /// Standard code (`4B`).
    pub standard: String,
    pub question: String,
    /// What evidence justifies "yes".
    pub guidance: String,
    /// Client-protection principle codes.
    pub principles: Vec<String>,
    pub answer: Option<Answer>,
    pub evidence: String,
    pub evidence_files: Vec<String>,
    pub note: String,
    pub unanswered: bool,
    /// Yes without evidence: scored as Partially in the evidence-aware score.
    pub yes_without_evidence: bool,
    /// No or Partially: can become an action.
    pub gap: bool,
    /// Actions created for this practice from this assessment.
    pub actions: Vec<ActionBrief>,
}

/// An answer to a practice code the current checklist no longer has: kept, shown as
/// "not in this checklist version", never scored.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RetiredAnswer {
    pub code: String,
    pub answer: Answer,
    pub evidence: String,
    pub evidence_files: Vec<String>,
    pub note: String,
}

/// An assessment with every practice of the current checklist, its answer and flags, and
/// its score.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessmentView {
    pub assessment: Assessment,
    pub checklist_id: String,
    /// The current checklist's version (the assessment may have been started with another).
    pub checklist_version: u32,
    pub checklist_title: String,
    pub practices: Vec<PracticeRow>,
    pub retired: Vec<RetiredAnswer>,
    /// Practices of the current checklist that have an answer.
    pub answered: u32,
    pub total: u32,
    pub score: AssessmentScore,
}

/// A line of the assessment list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AssessmentSummary {
    pub id: i64,
    pub title: String,
    pub assessed_on: String,
    pub assessor: String,
    pub scope: String,
    pub checklist_version: u32,
    pub answered: u32,
    pub total: u32,
    /// Overall raw and evidence-aware scores in %.
    pub score: Option<f64>,
    pub evidence_score: Option<f64>,
    /// Yes answers without evidence.
    pub flagged: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnswerImportReport {
    pub file: String,
    /// Rows with an answer.
    pub rows: u32,
    pub inserted: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Rows left blank (no answer, no evidence, no note): the practice is left as it was.
    pub skipped: u32,
    pub dry_run: bool,
}

/// `org` or `branch:CODE` of an existing branch.
fn validate_scope(conn: &Connection, s: Option<&str>) -> Result<String> {
    let raw = s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("org");
    match Scope::parse(raw).map_err(|e| e.on_field("scope"))? {
        Scope::Org => Ok("org".into()),
        Scope::Branch(code) => {
            let found: Option<String> = conn
                .query_row("SELECT code FROM branch WHERE code = ?1", [&code], |r| {
                    r.get(0)
                })
                .optional()?;
            match found {
                Some(c) => Ok(format!("branch:{c}")),
                None => Err(CoreError::field(
                    "scope",
                    format!("there is no branch '{code}'"),
                )),
            }
        }
        Scope::Region(_) => Err(CoreError::field(
            "scope",
            format!("an assessment covers the institution (org) or one branch (branch:CODE), not '{raw}'"),
        )),
    }
}

struct ValidAssessment {
    title: String,
    assessed_on: String,
    assessor: String,
    scope: String,
}

fn validate_new(conn: &Connection, a: &NewAssessment) -> Result<ValidAssessment> {
    crate::repo::organisation(conn)?;
    let title = crate::model::validate_name("the assessment title", &a.title)
        .map_err(|e| e.on_field("title"))?;
    let assessed_on = validate_date("the assessment date", &a.assessed_on)
        .map_err(|e| e.on_field("assessed_on"))?;
    let assessor = crate::model::validate_name("the assessor", &a.assessor)
        .map_err(|e| e.on_field("assessor"))?;
    let scope = validate_scope(conn, a.scope.as_deref())?;
    Ok(ValidAssessment {
        title,
        assessed_on,
        assessor,
        scope,
    })
}

fn read_assessment(r: &rusqlite::Row<'_>) -> rusqlite::Result<Assessment> {
    Ok(Assessment {
        id: r.get(0)?,
        title: r.get(1)?,
        assessed_on: r.get(2)?,
        assessor: r.get(3)?,
        scope: r.get(4)?,
        checklist_id: r.get(5)?,
        checklist_version: r.get(6)?,
        created_at: r.get(7)?,
    })
}

const ASSESSMENT_COLS: &str =
    "id, title, assessed_on, assessor, scope, checklist_id, checklist_version, created_at";

/// One assessment by id.
pub fn get_assessment(conn: &Connection, id: i64) -> Result<Assessment> {
    conn.query_row(
        &format!("SELECT {ASSESSMENT_COLS} FROM assessment WHERE id = ?1"),
        [id],
        read_assessment,
    )
    .optional()?
    .ok_or_else(|| CoreError::not_found(format!("there is no assessment {id}")))
}

/// The stored answers of an assessment, by practice code.
pub fn answers(conn: &Connection, id: i64) -> Result<Vec<AnswerRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT practice, answer, evidence, evidence_files, note FROM assessment_answer WHERE assessment_id = ?1 ORDER BY practice",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (practice, answer, evidence, files, note) = row?;
        out.push(AnswerRecord {
            practice,
            answer: Answer::parse(&answer)?,
            evidence,
            evidence_files: serde_json::from_str(&files).unwrap_or_default(),
            note,
        });
    }
    Ok(out)
}

/// Creates an assessment against the current checklist.
pub fn assessment_new(store: &mut Store, a: &NewAssessment) -> Result<Assessment> {
    let v = validate_new(store.conn(), a)?;
    let cl = checklist::current()?;
    let id = store.write("new assessment", |w| {
        let now = w.now();
        w.insert(
            &ASSESSMENT,
            &[
                ("title", Value::Text(v.title.clone())),
                ("assessed_on", Value::Text(v.assessed_on.clone())),
                ("assessor", Value::Text(v.assessor.clone())),
                ("scope", Value::Text(v.scope.clone())),
                ("checklist_id", Value::Text(cl.id.clone())),
                ("checklist_version", Value::Integer(cl.version as i64)),
                ("created_at", Value::Integer(now)),
            ],
            None,
        )
    })?;
    get_assessment(store.conn(), id)
}

/// Edits an assessment's title, date, assessor and scope (its answers are kept).
pub fn assessment_update(store: &mut Store, id: i64, a: &NewAssessment) -> Result<Assessment> {
    get_assessment(store.conn(), id)?;
    let v = validate_new(store.conn(), a)?;
    store.write("edit assessment", |w| {
        w.update(
            &ASSESSMENT,
            &[Value::Integer(id)],
            &format!("assessment {id}"),
            &[
                ("title", Value::Text(v.title.clone())),
                ("assessed_on", Value::Text(v.assessed_on.clone())),
                ("assessor", Value::Text(v.assessor.clone())),
                ("scope", Value::Text(v.scope.clone())),
            ],
        )
    })?;
    get_assessment(store.conn(), id)
}

/// Trimmed, non-empty, distinct file references.
fn validate_files(files: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let t = f.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_FILE_REF {
            return Err(CoreError::field(
                "evidence_files",
                format!(
                    "the file reference '{}…' is longer than {MAX_FILE_REF} characters",
                    t.chars().take(40).collect::<String>()
                ),
            ));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > MAX_FILES {
        return Err(CoreError::field(
            "evidence_files",
            format!("at most {MAX_FILES} files per answer ({} given)", out.len()),
        ));
    }
    Ok(out)
}

fn files_json(files: &[String]) -> Result<String> {
    serde_json::to_string(files).map_err(|e| CoreError::invalid(format!("evidence files: {e}")))
}

fn write_answer(w: &mut crate::store::WriteTx<'_>, id: i64, a: &AnswerRecord) -> Result<Outcome> {
    w.set(
        &ASSESSMENT_ANSWER,
        &[Value::Integer(id), Value::Text(a.practice.clone())],
        &format!("assessment {id}/{}", a.practice),
        &[
            ("answer", Value::Text(a.answer.as_str().into())),
            ("evidence", Value::Text(a.evidence.clone())),
            (
                "evidence_files",
                Value::Text(files_json(&a.evidence_files)?),
            ),
            ("note", Value::Text(a.note.clone())),
        ],
    )
}

/// Records the answer to one practice (of the current checklist).
pub fn assessment_answer(
    store: &mut Store,
    id: i64,
    input: &AnswerInput,
    lang: Option<Language>,
) -> Result<PracticeRow> {
    let conn = store.conn();
    get_assessment(conn, id)?;
    let cl = checklist::current()?;
    let practice = cl
        .resolve_practice("practice", &input.practice)?
        .to_string();
    let answer = Answer::parse(&input.answer)?;
    let old = answers(conn, id)?
        .into_iter()
        .find(|a| a.practice.eq_ignore_ascii_case(&practice));
    let evidence = match &input.evidence {
        Some(e) => free_text("evidence", "the evidence", e)?,
        None => old.as_ref().map(|o| o.evidence.clone()).unwrap_or_default(),
    };
    let evidence_files = match &input.evidence_files {
        Some(f) => validate_files(f)?,
        None => old
            .as_ref()
            .map(|o| o.evidence_files.clone())
            .unwrap_or_default(),
    };
    let note = match &input.note {
        Some(n) => free_text("note", "the note", n)?,
        None => old.as_ref().map(|o| o.note.clone()).unwrap_or_default(),
    };
    let rec = AnswerRecord {
        practice: practice.clone(),
        answer,
        evidence,
        evidence_files,
        note,
    };
    store.write(&format!("answer {practice}"), |w| write_answer(w, id, &rec))?;
    assessment_get(store, id, lang)?
        .practices
        .into_iter()
        .find(|p| p.code == practice)
        .ok_or_else(|| CoreError::not_found(format!("practice {practice} vanished")))
}

/// Removes the answer to one practice (it becomes unanswered). Also accepts a retired code.
pub fn assessment_clear_answer(store: &mut Store, id: i64, practice: &str) -> Result<bool> {
    get_assessment(store.conn(), id)?;
    let stored = answers(store.conn(), id)?
        .into_iter()
        .find(|a| a.practice.eq_ignore_ascii_case(practice.trim()));
    let Some(stored) = stored else {
        return Ok(false);
    };
    store.write(&format!("clear answer {}", stored.practice), |w| {
        w.delete(
            &ASSESSMENT_ANSWER,
            &[Value::Integer(id), Value::Text(stored.practice.clone())],
            &format!("assessment {id}/{}", stored.practice),
        )
    })
}

fn actions_by_practice(conn: &Connection, id: i64) -> Result<HashMap<String, Vec<ActionBrief>>> {
    let mut out: HashMap<String, Vec<ActionBrief>> = HashMap::new();
    for a in super::action::briefs_of_assessment(conn, id)? {
        if let Some(p) = &a.practice {
            out.entry(p.to_ascii_uppercase())
                .or_default()
                .push(a.clone());
        }
    }
    Ok(out)
}

fn build_view(
    conn: &Connection,
    cl: &Checklist,
    a: Assessment,
    recs: &[AnswerRecord],
    lang: Language,
) -> Result<AssessmentView> {
    let by_code: HashMap<String, &AnswerRecord> = recs
        .iter()
        .map(|r| (r.practice.to_ascii_uppercase(), r))
        .collect();
    let mut acts = actions_by_practice(conn, a.id)?;
    let mut practices = Vec::new();
    let mut answered = 0;
    for p in cl.practices() {
        let code = &p.practice.code;
        let rec = by_code.get(&code.to_ascii_uppercase()).copied();
        answered += rec.is_some() as u32;
        practices.push(PracticeRow {
            code: code.clone(),
            dimension: p.dimension.code.clone(),
            dimension_key: p.dimension.key,
            standard: p.standard.code.clone(),
            question: p.practice.question.get(lang).to_string(),
            guidance: p.practice.evidence.get(lang).to_string(),
            principles: p.practice.principles.clone(),
            answer: rec.map(|r| r.answer),
            evidence: rec.map(|r| r.evidence.clone()).unwrap_or_default(),
            evidence_files: rec.map(|r| r.evidence_files.clone()).unwrap_or_default(),
            note: rec.map(|r| r.note.clone()).unwrap_or_default(),
            unanswered: rec.is_none(),
            yes_without_evidence: rec.is_some_and(|r| r.answer == Answer::Yes && !r.has_evidence()),
            gap: rec.is_some_and(|r| r.answer.is_gap()),
            actions: acts.remove(&code.to_ascii_uppercase()).unwrap_or_default(),
        });
    }
    let retired = recs
        .iter()
        .filter(|r| cl.practice(&r.practice).is_none())
        .map(|r| RetiredAnswer {
            code: r.practice.clone(),
            answer: r.answer,
            evidence: r.evidence.clone(),
            evidence_files: r.evidence_files.clone(),
            note: r.note.clone(),
        })
        .collect();
    Ok(AssessmentView {
        assessment: a,
        checklist_id: cl.id.clone(),
        checklist_version: cl.version,
        checklist_title: cl.title.get(lang).to_string(),
        total: practices.len() as u32,
        practices,
        retired,
        answered,
        score: score::score(cl, recs, lang),
    })
}

/// An assessment with every practice of the current checklist, its answer, flags, actions
/// and the score. Texts in `lang` (default: the institution's language).
pub fn assessment_get(store: &Store, id: i64, lang: Option<Language>) -> Result<AssessmentView> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    let a = get_assessment(conn, id)?;
    let recs = answers(conn, id)?;
    build_view(conn, checklist::current()?, a, &recs, lang)
}

/// Raw and evidence-aware scores per standard, dimension, principle and overall.
pub fn assessment_score(store: &Store, id: i64, lang: Option<Language>) -> Result<AssessmentScore> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    get_assessment(conn, id)?;
    Ok(score::score(
        checklist::current()?,
        &answers(conn, id)?,
        lang,
    ))
}

fn summary(cl: &Checklist, a: &Assessment, recs: &[AnswerRecord]) -> AssessmentSummary {
    let s = score::score(cl, recs, Language::En);
    AssessmentSummary {
        id: a.id,
        title: a.title.clone(),
        assessed_on: a.assessed_on.clone(),
        assessor: a.assessor.clone(),
        scope: a.scope.clone(),
        checklist_version: a.checklist_version,
        answered: s.overall.practices - s.overall.unanswered,
        total: s.overall.practices,
        score: s.overall.score,
        evidence_score: s.overall.evidence_score,
        flagged: s.flagged.len() as u32,
    }
}

/// Every assessment, newest first, with its overall scores.
pub fn assessment_list(store: &Store) -> Result<Vec<AssessmentSummary>> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let cl = checklist::current()?;
    let list: Vec<Assessment> = conn
        .prepare_cached(&format!(
            "SELECT {ASSESSMENT_COLS} FROM assessment ORDER BY assessed_on DESC, id DESC"
        ))?
        .query_map([], read_assessment)?
        .collect::<rusqlite::Result<_>>()?;
    list.iter()
        .map(|a| Ok(summary(cl, a, &answers(conn, a.id)?)))
        .collect()
}

/// What changed from assessment `before` to assessment `after`: per practice improved /
/// slipped / unchanged / not comparable, and per dimension, standard and principle the
/// score deltas (raw and evidence-aware).
pub fn assessment_compare(
    store: &Store,
    before: i64,
    after: i64,
    lang: Option<Language>,
) -> Result<AssessmentComparison> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    let (ab, aa) = (get_assessment(conn, before)?, get_assessment(conn, after)?);
    let (rb, ra) = (answers(conn, before)?, answers(conn, after)?);
    let cl = checklist::current()?;
    Ok(AssessmentComparison {
        before: summary(cl, &ab, &rb),
        after: summary(cl, &aa, &ra),
        comparison: score::compare(cl, &rb, &ra, lang),
    })
}

/// The columns the import reads; the export adds `dimension,standard,question` (ignored on
/// import) so the file can be filled in a spreadsheet.
const IMPORT_COLUMNS: [&str; 5] = ["practice", "answer", "evidence", "note", "evidence_files"];
const INFO_COLUMNS: [&str; 3] = ["dimension", "standard", "question"];

/// The answers as CSV (UTF-8, comma separated): one row per practice of the current
/// checklist, unanswered ones with an empty answer; `evidence_files` separated by `|`.
/// Answers to retired codes are not exported (they cannot be imported).
pub fn assessment_export_csv(store: &Store, id: i64, lang: Option<Language>) -> Result<String> {
    let v = assessment_get(store, id, lang)?;
    let io = |e: csv::Error| CoreError::new(ErrorCode::Io, e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = IMPORT_COLUMNS
        .iter()
        .chain(&INFO_COLUMNS)
        .copied()
        .collect();
    w.write_record(&header).map_err(io)?;
    for p in &v.practices {
        w.write_record([
            p.code.as_str(),
            p.answer.map(|a| a.as_str()).unwrap_or(""),
            &p.evidence,
            &p.note,
            &p.evidence_files.join(" | "),
            &p.dimension,
            &p.standard,
            &p.question,
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CoreError::new(ErrorCode::Io, e.to_string()))
}

/// Writes [`assessment_export_csv`] to `path` atomically; returns the number of bytes.
pub fn assessment_export_file(
    store: &Store,
    id: i64,
    lang: Option<Language>,
    path: &Path,
) -> Result<u64> {
    let text = assessment_export_csv(store, id, lang)?;
    crate::api::write_file_atomic(path, text.as_bytes())?;
    Ok(text.len() as u64)
}

/// One validated CSV row: the answer and which optional columns the file has.
struct ImportRow {
    rec: AnswerRecord,
    has_evidence: bool,
    has_note: bool,
    has_files: bool,
}

fn parse_answers_csv(cl: &Checklist, bytes: &[u8]) -> Result<(Vec<ImportRow>, u32)> {
    let rejected = |msg: String| CoreError::new(ErrorCode::ImportRejected, msg);
    let mut rdr = crate::import::csv_reader(bytes)?;
    let headers = rdr
        .headers()
        .map_err(|e| rejected(format!("line 1: cannot read the header: {e}")))?
        .clone();
    let mut col: HashMap<&str, usize> = HashMap::new();
    let mut problems: Vec<String> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = h.trim().to_ascii_lowercase();
        if let Some(k) = IMPORT_COLUMNS.iter().find(|k| **k == key) {
            if col.insert(k, i).is_some() {
                problems.push(format!("line 1: column '{h}' appears twice"));
            }
        } else if !INFO_COLUMNS.contains(&key.as_str()) {
            problems.push(format!(
                "line 1: unknown column '{h}' (the columns are practice, answer and optionally evidence, note, evidence_files)"
            ));
        }
    }
    for req in ["practice", "answer"] {
        if !col.contains_key(req) {
            problems.push(format!(
                "line 1: the header has no '{req}' column (expected practice,answer,evidence,note)"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(rejected(
            "the file was not imported: its header is wrong; nothing was changed".into(),
        )
        .with_details(problems));
    }
    let (cp, ca) = (col["practice"], col["answer"]);
    let (ce, cn, cf) = (
        col.get("evidence").copied(),
        col.get("note").copied(),
        col.get("evidence_files").copied(),
    );
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut bad = 0usize;
    let mut skipped = 0u32;
    let mut push = |problems: &mut Vec<String>, msg: String| {
        bad += 1;
        if problems.len() < MAX_LISTED {
            problems.push(msg);
        }
    };
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                push(
                    &mut problems,
                    format!("line {line}: cannot read the row: {e}"),
                );
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let opt = |c: Option<usize>| c.map(get).unwrap_or("");
        let mut errs: Vec<String> = Vec::new();
        let raw_code = get(cp);
        let code = match cl.resolve_practice("practice", raw_code) {
            Ok(c) => Some(c.to_string()),
            Err(e) => {
                errs.push(e.message);
                None
            }
        };
        let raw_answer = get(ca);
        let (evidence, note, files) = (opt(ce), opt(cn), opt(cf));
        if raw_answer.is_empty() {
            if evidence.is_empty() && note.is_empty() && files.is_empty() {
                if errs.is_empty() {
                    skipped += 1;
                    continue;
                }
            } else {
                errs.push("the answer is empty but the row has evidence or a note".into());
            }
        }
        let answer = if raw_answer.is_empty() {
            None
        } else {
            match Answer::parse(raw_answer) {
                Ok(a) => Some(a),
                Err(e) => {
                    errs.push(e.message);
                    None
                }
            }
        };
        if let Err(e) = free_text("evidence", "the evidence", evidence) {
            errs.push(e.message);
        }
        if let Err(e) = free_text("note", "the note", note) {
            errs.push(e.message);
        }
        let files: Vec<String> = files.split('|').map(str::to_string).collect();
        let files = match validate_files(&files) {
            Ok(f) => f,
            Err(e) => {
                errs.push(e.message);
                Vec::new()
            }
        };
        if let Some(c) = &code {
            if let Some(first) = seen.insert(c.to_ascii_uppercase(), line) {
                errs.push(format!("duplicate of line {first} (practice {c})"));
            }
        }
        if !errs.is_empty() {
            push(&mut problems, format!("line {line}: {}", errs.join("; ")));
            continue;
        }
        if let (Some(practice), Some(answer)) = (code, answer) {
            rows.push(ImportRow {
                rec: AnswerRecord {
                    practice,
                    answer,
                    evidence: evidence.to_string(),
                    evidence_files: files,
                    note: note.to_string(),
                },
                has_evidence: ce.is_some(),
                has_note: cn.is_some(),
                has_files: cf.is_some(),
            });
        }
    }
    if bad > 0 {
        if bad > problems.len() {
            problems.push(format!("… and {} more bad rows", bad - problems.len()));
        }
        return Err(rejected(format!(
            "the file was not imported: {bad} bad row(s); fix them and import again (nothing was changed)"
        ))
        .with_details(problems));
    }
    if rows.is_empty() {
        return Err(rejected("the file has no answers".into()));
    }
    Ok((rows, skipped))
}

/// Imports answers from CSV into assessment `id`, all or nothing. Columns: `practice` and
/// `answer` (required), `evidence`, `note`, `evidence_files` (`|`-separated) — a column the
/// file has replaces the stored value, one it lacks keeps it. Rows with neither answer nor
/// evidence nor note are skipped. Practices absent from the file keep their answers.
pub fn assessment_import_csv(
    store: &mut Store,
    id: i64,
    name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<AnswerImportReport> {
    get_assessment(store.conn(), id)?;
    let cl = checklist::current()?;
    let (rows, skipped) = parse_answers_csv(cl, bytes)?;
    let old: HashMap<String, AnswerRecord> = answers(store.conn(), id)?
        .into_iter()
        .map(|a| (a.practice.to_ascii_uppercase(), a))
        .collect();
    let merged: Vec<AnswerRecord> = rows
        .into_iter()
        .map(|r| {
            let o = old.get(&r.rec.practice.to_ascii_uppercase());
            let keep = |has: bool, new: &String, old: Option<&String>| {
                if has {
                    new.clone()
                } else {
                    old.cloned().unwrap_or_default()
                }
            };
            AnswerRecord {
                practice: r.rec.practice.clone(),
                answer: r.rec.answer,
                evidence: keep(r.has_evidence, &r.rec.evidence, o.map(|o| &o.evidence)),
                note: keep(r.has_note, &r.rec.note, o.map(|o| &o.note)),
                evidence_files: if r.has_files {
                    r.rec.evidence_files.clone()
                } else {
                    o.map(|o| o.evidence_files.clone()).unwrap_or_default()
                },
            }
        })
        .collect();
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    if dry_run {
        for m in &merged {
            match old.get(&m.practice.to_ascii_uppercase()) {
                None => inserted += 1,
                Some(o) if o == m => unchanged += 1,
                Some(_) => updated += 1,
            }
        }
    } else {
        crate::backup::before_change(store, crate::backup::BackupKind::BeforeImport)?;
        store.write(&format!("import answers {name}"), |w| {
            for m in &merged {
                match write_answer(w, id, m)? {
                    Outcome::Inserted => inserted += 1,
                    Outcome::Updated => updated += 1,
                    Outcome::Unchanged => unchanged += 1,
                }
            }
            Ok(())
        })?;
    }
    Ok(AnswerImportReport {
        file: name.to_string(),
        rows: merged.len() as u32,
        inserted,
        updated,
        unchanged,
        skipped,
        dry_run,
    })
}

/// [`assessment_import_csv`] of a file.
pub fn assessment_import_file(
    store: &mut Store,
    id: i64,
    path: &Path,
    dry_run: bool,
) -> Result<AnswerImportReport> {
    let bytes = std::fs::read(path).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    assessment_import_csv(store, id, &name, &bytes, dry_run)
}

/// Used by the demo: writes answers without the per-answer round trips.
pub(crate) fn write_answers(store: &mut Store, id: i64, recs: &[AnswerRecord]) -> Result<()> {
    let cl = checklist::current()?;
    for r in recs {
        cl.resolve_practice("practice", &r.practice)?;
        validate_files(&r.evidence_files)?;
    }
    store.write("answers", |w| {
        for r in recs {
            write_answer(w, id, r)?;
        }
        Ok(())
    })
}
