//! Scoring of a self-assessment, and comparison of two. Pure functions of a checklist and
//! answers (no database), so the rules are unit-tested directly:
//!
//! - Yes = 1, Partially = 0.5, No = 0; N/A is excluded; an unanswered practice is excluded
//!   but counted as unanswered. A score is points / scored practices × 100.
//! - The **evidence-aware** score counts a Yes without evidence (empty evidence text and no
//!   file) as Partially; those practices are flagged. Self-assessments are known to be
//!   overestimated when "yes" needs no proof: both scores are shown side by side.
//! - A group with nothing scored (all N/A or unanswered) has no score (`None`), never 0.
//! - Scores are given per standard, per dimension, per client-protection principle (over the
//!   practices tagged with it) and overall.
//! - An answer to a practice code the checklist does not have (a retired code) is kept and
//!   reported in `retired`, never scored.

use super::assessment::{Answer, AnswerRecord};
use super::checklist::{Checklist, PracticeRef};
use crate::model::Language;
use serde::Serialize;
use std::collections::HashMap;
use ts_rs::TS;

/// The score of a group of practices (a standard, a dimension, a principle, or all).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct GroupScore {
    /// `4B` (standard), `D4` (dimension), `P2` (principle) or `all`.
    pub code: String,
    /// The dimension key (`client_protection`) or principle key (`over_indebtedness`);
    /// empty for standards and `all`.
    pub key: String,
    /// In the requested language.
    pub name: String,
    /// Practices of the checklist in this group.
    pub practices: u32,
    pub yes: u32,
    pub partial: u32,
    pub no: u32,
    pub na: u32,
    pub unanswered: u32,
    /// Yes answers without evidence (scored as Partially in `evidence_score`).
    pub yes_without_evidence: u32,
    /// Raw score in % (Yes 1, Partially 0.5, No 0 over Yes + Partially + No); `None` when
    /// nothing in the group is scored.
    pub score: Option<f64>,
    /// Evidence-aware score in %: a Yes without evidence counts as Partially.
    pub evidence_score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AssessmentScore {
    pub checklist_id: String,
    pub checklist_version: u32,
    pub overall: GroupScore,
    pub dimensions: Vec<GroupScore>,
    pub standards: Vec<GroupScore>,
    pub principles: Vec<GroupScore>,
    /// Practices answered Yes without evidence, in checklist order.
    pub flagged: Vec<String>,
    /// Answered practice codes this checklist version does not have (not scored).
    pub retired: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    practices: u32,
    yes: u32,
    partial: u32,
    no: u32,
    na: u32,
    unanswered: u32,
    yes_without_evidence: u32,
}

impl Tally {
    fn add(&mut self, a: Option<&AnswerRecord>) {
        self.practices += 1;
        match a.map(|a| (a.answer, a.has_evidence())) {
            None => self.unanswered += 1,
            Some((Answer::Yes, ev)) => {
                self.yes += 1;
                if !ev {
                    self.yes_without_evidence += 1;
                }
            }
            Some((Answer::Partial, _)) => self.partial += 1,
            Some((Answer::No, _)) => self.no += 1,
            Some((Answer::Na, _)) => self.na += 1,
        }
    }

    fn finish(self, code: &str, key: &str, name: &str) -> GroupScore {
        let scored = self.yes + self.partial + self.no;
        let pct = |points: f64| (scored > 0).then(|| points / scored as f64 * 100.0);
        let raw = self.yes as f64 + 0.5 * self.partial as f64;
        let aware = raw - 0.5 * self.yes_without_evidence as f64;
        GroupScore {
            code: code.to_string(),
            key: key.to_string(),
            name: name.to_string(),
            practices: self.practices,
            yes: self.yes,
            partial: self.partial,
            no: self.no,
            na: self.na,
            unanswered: self.unanswered,
            yes_without_evidence: self.yes_without_evidence,
            score: pct(raw),
            evidence_score: pct(aware),
        }
    }
}

fn by_code(answers: &[AnswerRecord]) -> HashMap<String, &AnswerRecord> {
    answers
        .iter()
        .map(|a| (a.practice.to_ascii_uppercase(), a))
        .collect()
}

fn answer_of<'a>(
    map: &HashMap<String, &'a AnswerRecord>,
    p: &PracticeRef<'_>,
) -> Option<&'a AnswerRecord> {
    map.get(&p.practice.code.to_ascii_uppercase()).copied()
}

/// Answered codes that `checklist` does not have, sorted.
pub fn retired_codes(checklist: &Checklist, answers: &[AnswerRecord]) -> Vec<String> {
    let mut v: Vec<String> = answers
        .iter()
        .filter(|a| checklist.practice(&a.practice).is_none())
        .map(|a| a.practice.clone())
        .collect();
    v.sort();
    v
}

/// Scores `answers` against `checklist`, names in `lang`.
pub fn score(checklist: &Checklist, answers: &[AnswerRecord], lang: Language) -> AssessmentScore {
    let map = by_code(answers);
    let mut overall = Tally::default();
    let mut dimensions = Vec::new();
    let mut standards = Vec::new();
    let mut flagged = Vec::new();
    for d in &checklist.dimensions {
        let mut dt = Tally::default();
        for s in &d.standards {
            let mut st = Tally::default();
            for p in &s.practices {
                let pr = PracticeRef {
                    dimension: d,
                    standard: s,
                    practice: p,
                };
                let a = answer_of(&map, &pr);
                st.add(a);
                dt.add(a);
                overall.add(a);
                if a.is_some_and(|a| a.answer == Answer::Yes && !a.has_evidence()) {
                    flagged.push(p.code.clone());
                }
            }
            standards.push(st.finish(&s.code, "", s.name.get(lang)));
        }
        dimensions.push(dt.finish(&d.code, d.key.as_str(), d.name.get(lang)));
    }
    let principles = checklist
        .principles
        .iter()
        .map(|pr| {
            let mut t = Tally::default();
            for p in checklist.practices() {
                if p.practice.principles.contains(&pr.code) {
                    t.add(answer_of(&map, &p));
                }
            }
            t.finish(&pr.code, &pr.key, pr.name.get(lang))
        })
        .collect();
    AssessmentScore {
        checklist_id: checklist.id.clone(),
        checklist_version: checklist.version,
        overall: overall.finish("all", "", checklist.title.get(lang)),
        dimensions,
        standards,
        principles,
        flagged,
        retired: retired_codes(checklist, answers),
    }
}

/// How a practice's answer moved from one assessment to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Scored higher (e.g. No → Partially, Partially → Yes).
    Improved,
    /// Scored lower.
    Slipped,
    /// Same value (the same answer, or both N/A, or both unanswered).
    Unchanged,
    /// One side is N/A or unanswered and the other is not: there is nothing to compare.
    NotComparable,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Improved => "improved",
            Change::Slipped => "slipped",
            Change::Unchanged => "unchanged",
            Change::NotComparable => "not_comparable",
        }
    }
}

/// Raw and evidence-aware points of one answer (`None`: N/A).
fn points(a: &AnswerRecord) -> (Option<f64>, Option<f64>) {
    match a.answer {
        Answer::Yes if a.has_evidence() => (Some(1.0), Some(1.0)),
        Answer::Yes => (Some(1.0), Some(0.5)),
        Answer::Partial => (Some(0.5), Some(0.5)),
        Answer::No => (Some(0.0), Some(0.0)),
        Answer::Na => (None, None),
    }
}

/// `before` and `after`: None = unanswered; Some(None) = N/A; Some(Some(x)) = points.
fn change(before: Option<Option<f64>>, after: Option<Option<f64>>) -> Change {
    match (before, after) {
        (Some(Some(b)), Some(Some(a))) if a > b => Change::Improved,
        (Some(Some(b)), Some(Some(a))) if a < b => Change::Slipped,
        (b, a) if b == a => Change::Unchanged,
        _ => Change::NotComparable,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PracticeComparison {
    pub code: String,
    /// Dimension code (`D4`).
    pub dimension: String,
    /// Standard code (`4B`).
    pub standard: String,
    pub question: String,
    pub before: Option<Answer>,
    pub after: Option<Answer>,
    pub before_has_evidence: bool,
    pub after_has_evidence: bool,
    /// On the raw score.
    pub change: Change,
    /// On the evidence-aware score (a Yes that gained its evidence improved).
    pub evidence_change: Change,
}

/// A group's scores in both assessments.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ScoreDelta {
    pub code: String,
    pub key: String,
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// after − before, in percentage points; `None` when either side has no score.
    pub delta: Option<f64>,
    pub evidence_before: Option<f64>,
    pub evidence_after: Option<f64>,
    pub evidence_delta: Option<f64>,
}

fn delta(b: &GroupScore, a: &GroupScore) -> ScoreDelta {
    let d = |x: Option<f64>, y: Option<f64>| x.zip(y).map(|(x, y)| y - x);
    ScoreDelta {
        code: a.code.clone(),
        key: a.key.clone(),
        name: a.name.clone(),
        before: b.score,
        after: a.score,
        delta: d(b.score, a.score),
        evidence_before: b.evidence_score,
        evidence_after: a.evidence_score,
        evidence_delta: d(b.evidence_score, a.evidence_score),
    }
}

/// Two assessments side by side: what improved, what slipped, and the score deltas.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Comparison {
    pub overall: ScoreDelta,
    pub dimensions: Vec<ScoreDelta>,
    pub standards: Vec<ScoreDelta>,
    pub principles: Vec<ScoreDelta>,
    /// Every practice of the checklist, in checklist order.
    pub practices: Vec<PracticeComparison>,
    pub improved: u32,
    pub slipped: u32,
    pub unchanged: u32,
    pub not_comparable: u32,
}

/// Compares `before` and `after` against the same checklist.
pub fn compare(
    checklist: &Checklist,
    before: &[AnswerRecord],
    after: &[AnswerRecord],
    lang: Language,
) -> Comparison {
    let sb = score(checklist, before, lang);
    let sa = score(checklist, after, lang);
    let (mb, ma) = (by_code(before), by_code(after));
    let mut practices = Vec::new();
    let (mut improved, mut slipped, mut unchanged, mut not_comparable) = (0, 0, 0, 0);
    for p in checklist.practices() {
        let (b, a) = (answer_of(&mb, &p), answer_of(&ma, &p));
        let (pb, pa) = (b.map(points), a.map(points));
        let c = change(pb.map(|x| x.0), pa.map(|x| x.0));
        match c {
            Change::Improved => improved += 1,
            Change::Slipped => slipped += 1,
            Change::Unchanged => unchanged += 1,
            Change::NotComparable => not_comparable += 1,
        }
        practices.push(PracticeComparison {
            code: p.practice.code.clone(),
            dimension: p.dimension.code.clone(),
            standard: p.standard.code.clone(),
            question: p.practice.question.get(lang).to_string(),
            before: b.map(|x| x.answer),
            after: a.map(|x| x.answer),
            before_has_evidence: b.is_some_and(|x| x.has_evidence()),
            after_has_evidence: a.is_some_and(|x| x.has_evidence()),
            change: c,
            evidence_change: change(pb.map(|x| x.1), pa.map(|x| x.1)),
        });
    }
    let zip = |x: &[GroupScore], y: &[GroupScore]| -> Vec<ScoreDelta> {
        x.iter().zip(y).map(|(b, a)| delta(b, a)).collect()
    };
    Comparison {
        overall: delta(&sb.overall, &sa.overall),
        dimensions: zip(&sb.dimensions, &sa.dimensions),
        standards: zip(&sb.standards, &sa.standards),
        principles: zip(&sb.principles, &sa.principles),
        practices,
        improved,
        slipped,
        unchanged,
        not_comparable,
    }
}

/// The comparison of two stored assessments, with what identifies them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessmentComparison {
    pub before: super::assessment::AssessmentSummary,
    pub after: super::assessment::AssessmentSummary,
    #[serde(flatten)]
    pub comparison: Comparison,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// D1 (standards 1A: 1A.1, 1A.2; 1B: 1B.1) and D2 (2A: 2A.1, 2A.2); P1 tags 1A.1 and 2A.1.
    fn checklist() -> Checklist {
        let t = |s: &str| serde_json::json!({"en": s, "fr": format!("{s} fr"), "es": format!("{s} es")});
        let p = |code: &str, pr: &[&str]| serde_json::json!({"code": code, "question": t(&format!("Q {code}")), "evidence": t("E"), "principles": pr});
        let json = serde_json::json!({
            "id": "test", "version": 2, "title": t("Test"),
            "principles": [{"code": "P1", "key": "design", "name": t("Design")},
                           {"code": "P2", "key": "debt", "name": t("Debt")}],
            "dimensions": [
                {"code": "D1", "key": "social_strategy", "name": t("Strategy"), "standards": [
                    {"code": "1A", "name": t("1A"), "practices": [p("1A.1", &["P1"]), p("1A.2", &[])]},
                    {"code": "1B", "name": t("1B"), "practices": [p("1B.1", &[])]}]},
                {"code": "D2", "key": "client_protection", "name": t("Protection"), "standards": [
                    {"code": "2A", "name": t("2A"), "practices": [p("2A.1", &["P1"]), p("2A.2", &[])]}]}
            ]
        });
        Checklist::from_json(&json.to_string()).expect("test checklist is valid")
    }

    fn a(code: &str, answer: Answer, evidence: &str) -> AnswerRecord {
        AnswerRecord {
            practice: code.into(),
            answer,
            evidence: evidence.into(),
            evidence_files: Vec::new(),
            note: String::new(),
        }
    }

    fn dim<'s>(s: &'s AssessmentScore, code: &str) -> &'s GroupScore {
        s.dimensions
            .iter()
            .find(|d| d.code == code)
            .expect("dimension")
    }

    #[test]
    fn yes_partial_no_score_1_half_0_and_na_is_excluded() {
        let c = checklist();
        let s = score(
            &c,
            &[
                a("1A.1", Answer::Yes, "policy"),
                a("1A.2", Answer::Partial, ""),
                a("1B.1", Answer::Na, ""),
            ],
            Language::En,
        );
        let d1 = dim(&s, "D1");
        assert_eq!(
            d1.score,
            Some(75.0),
            "(1 + 0.5) / 2 scored practices; the N/A is left out of the denominator"
        );
        assert_eq!(
            (d1.yes, d1.partial, d1.na, d1.unanswered),
            (1, 1, 1, 0),
            "counts by answer"
        );
        let std_1b = s.standards.iter().find(|x| x.code == "1B").expect("1B");
        assert_eq!(
            std_1b.score, None,
            "a standard whose only practice is N/A has no score, not 0"
        );
        assert_eq!(std_1b.na, 1, "but its N/A is counted");
        let d2 = dim(&s, "D2");
        assert_eq!(
            (d2.score, d2.evidence_score),
            (None, None),
            "an unanswered dimension has no score, never 0"
        );
        assert_eq!(d2.unanswered, 2, "and says how many are unanswered");
        assert_eq!(
            s.overall.score,
            Some(75.0),
            "overall excludes N/A and unanswered practices too"
        );
        assert_eq!(
            (s.overall.unanswered, s.overall.practices),
            (2, 5),
            "unanswered practices are counted, not scored"
        );
    }

    #[test]
    fn all_no_is_a_real_zero() {
        let c = checklist();
        let s = score(
            &c,
            &[a("2A.1", Answer::No, ""), a("2A.2", Answer::No, "")],
            Language::En,
        );
        assert_eq!(
            dim(&s, "D2").score,
            Some(0.0),
            "answered No everywhere is 0 %, unlike an empty dimension"
        );
    }

    #[test]
    fn evidence_aware_score_counts_a_bare_yes_as_partially_and_flags_it() {
        let c = checklist();
        let mut with_file = a("2A.2", Answer::Yes, "  ");
        with_file.evidence_files = vec!["board-minutes-2026-03.pdf".into()];
        let s = score(
            &c,
            &[
                a("1A.1", Answer::Yes, "Credit policy §4"),
                a("1A.2", Answer::Yes, "   "),
                a("2A.1", Answer::Yes, ""),
                with_file,
            ],
            Language::En,
        );
        assert_eq!(
            s.flagged,
            vec!["1A.2".to_string(), "2A.1".to_string()],
            "Yes with blank evidence and no file is flagged; a file counts as evidence"
        );
        let d1 = dim(&s, "D1");
        assert_eq!(
            d1.score,
            Some(100.0),
            "the raw score takes the Yes at face value"
        );
        assert_eq!(
            d1.evidence_score,
            Some(75.0),
            "evidence-aware: (1 + 0.5) / 2 — the bare Yes counts as Partially"
        );
        assert_eq!(d1.yes_without_evidence, 1, "the bare Yes is counted");
        let p1 = s.principles.iter().find(|p| p.code == "P1").expect("P1");
        assert_eq!(
            (p1.score, p1.evidence_score),
            (Some(100.0), Some(75.0)),
            "principles score over their tagged practices (1A.1 with evidence, 2A.1 without)"
        );
        assert_eq!(
            s.principles
                .iter()
                .find(|p| p.code == "P2")
                .map(|p| p.score),
            Some(None),
            "a principle no practice is tagged with has no score"
        );
        assert_eq!(
            s.overall.evidence_score,
            Some(75.0),
            "overall evidence-aware: (1 + 0.5 + 0.5 + 1) / 4 scored practices"
        );
    }

    #[test]
    fn answers_to_retired_codes_are_reported_not_scored() {
        let c = checklist();
        let s = score(
            &c,
            &[a("1A.1", Answer::No, ""), a("9Z.9", Answer::Yes, "old")],
            Language::Fr,
        );
        assert_eq!(
            s.retired,
            vec!["9Z.9".to_string()],
            "the answer to a code this version lacks is reported"
        );
        assert_eq!(
            s.overall.score,
            Some(0.0),
            "and not scored: only 1A.1 (No) counts"
        );
        assert_eq!(s.overall.yes, 0, "the retired Yes is in no count");
        assert_eq!(
            dim(&s, "D1").name,
            "Strategy fr",
            "names follow the requested language"
        );
    }

    #[test]
    fn compare_reports_improved_slipped_unchanged_and_deltas() {
        let c = checklist();
        let before = [
            a("1A.1", Answer::No, ""),
            a("1A.2", Answer::Yes, "x"),
            a("1B.1", Answer::Partial, ""),
            a("2A.1", Answer::Yes, ""),
        ];
        let after = [
            a("1A.1", Answer::Partial, ""),
            a("1A.2", Answer::Partial, ""),
            a("1B.1", Answer::Partial, ""),
            a("2A.1", Answer::Yes, "now documented"),
            a("2A.2", Answer::Na, ""),
        ];
        let cmp = compare(&c, &before, &after, Language::En);
        let ch = |code: &str| {
            cmp.practices
                .iter()
                .find(|p| p.code == code)
                .map(|p| (p.change, p.evidence_change))
                .expect("practice")
        };
        assert_eq!(ch("1A.1").0, Change::Improved, "No → Partially improved");
        assert_eq!(ch("1A.2").0, Change::Slipped, "Yes → Partially slipped");
        assert_eq!(ch("1B.1").0, Change::Unchanged, "same answer");
        assert_eq!(
            ch("2A.1"),
            (Change::Unchanged, Change::Improved),
            "a Yes that gained evidence is unchanged raw but improved evidence-aware"
        );
        assert_eq!(
            ch("2A.2").0,
            Change::NotComparable,
            "unanswered → N/A cannot be compared"
        );
        assert_eq!(
            (cmp.improved, cmp.slipped, cmp.unchanged, cmp.not_comparable),
            (1, 1, 2, 1),
            "the counts add up to the five practices"
        );
        let d1 = cmp.dimensions.iter().find(|d| d.code == "D1").expect("D1");
        assert_eq!(
            (d1.before, d1.after),
            (Some(50.0), Some(50.0)),
            "D1 before (0 + 1 + 0.5) / 3 and after (0.5 + 0.5 + 0.5) / 3"
        );
        assert_eq!(d1.delta, Some(0.0), "delta in points");
        let d2 = cmp.dimensions.iter().find(|d| d.code == "D2").expect("D2");
        assert_eq!(
            (d2.evidence_before, d2.evidence_after, d2.evidence_delta),
            (Some(50.0), Some(100.0), Some(50.0)),
            "evidence-aware delta of D2: the bare Yes gained its evidence"
        );
        let empty = compare(&c, &[], &after, Language::En);
        assert_eq!(
            empty.overall.delta, None,
            "no delta against an assessment with no score (never a fake 0)"
        );
    }
}
