//! The self-assessment checklist: versioned data in assets/checklists (our own wording; the
//! names of the Universal Standards' seven dimensions and of the seven Client Protection
//! Principles are facts). Dimensions → standards → practices; each practice has a code, a
//! question, guidance on the evidence that justifies "yes", and the client-protection
//! principles it belongs to. Every string is given in English, French and Spanish.
//!
//! The embedded checklists are validated when first used; the newest one is the current one,
//! against which every assessment is shown and scored (answers are keyed by practice code, so
//! they survive a new version; a code the current version no longer has is reported, not
//! scored).

use crate::error::{CoreError, ErrorCode, Result};
use crate::model::{Dimension, Language};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;
use ts_rs::TS;

/// The embedded checklists, oldest first. Append a new version; never edit a released one.
const CHECKLISTS: &[&str] = &[include_str!(
    "../../../../assets/checklists/spm-checklist-v1.json"
)];

/// A text in the three interface languages (all required).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Text {
    pub en: String,
    pub fr: String,
    pub es: String,
}

impl Text {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Fr => &self.fr,
            Language::Es => &self.es,
        }
    }
}

/// A Client Protection Principle (P1 … P7).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Principle {
    pub code: String,
    pub key: String,
    pub name: Text,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChecklistPractice {
    /// `4B.2`: the standard's code, a dot, a number.
    pub code: String,
    pub question: Text,
    /// What evidence justifies answering "yes".
    pub evidence: Text,
    /// Codes of the client-protection principles the practice belongs to (may be empty).
    #[serde(default)]
    pub principles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Standard {
    pub code: String,
    pub name: Text,
    pub practices: Vec<ChecklistPractice>,
}

/// A Universal Standards dimension (D1 … D7).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChecklistDimension {
    pub code: String,
    pub key: Dimension,
    pub name: Text,
    pub standards: Vec<Standard>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Checklist {
    pub id: String,
    pub version: u32,
    pub title: Text,
    pub principles: Vec<Principle>,
    pub dimensions: Vec<ChecklistDimension>,
}

/// A practice with the standard and dimension it sits in.
#[derive(Debug, Clone, Copy)]
pub struct PracticeRef<'a> {
    pub dimension: &'a ChecklistDimension,
    pub standard: &'a Standard,
    pub practice: &'a ChecklistPractice,
}

fn valid_code(c: &str) -> bool {
    !c.is_empty() && c.len() <= 16 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.')
}

impl Checklist {
    /// Parses and validates a checklist; errors name the element at fault.
    pub fn from_json(json: &str) -> Result<Checklist> {
        let c: Checklist = serde_json::from_str(json)
            .map_err(|e| CoreError::invalid(format!("the checklist is not valid JSON: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks codes (unique, well formed, a practice's code starts with its standard's),
    /// references to principles, and that every text is given in every language.
    pub fn validate(&self) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let mut text = |where_: &str, t: &Text| {
            for (lang, s) in [("en", &t.en), ("fr", &t.fr), ("es", &t.es)] {
                if s.trim().is_empty() {
                    problems.push(format!("{where_}: the {lang} text is empty"));
                }
            }
        };
        text("title", &self.title);
        let mut principle_codes = HashSet::new();
        for p in &self.principles {
            text(&format!("principle {}", p.code), &p.name);
        }
        let mut dim_codes = HashSet::new();
        let mut dim_keys = HashSet::new();
        let mut std_codes = HashSet::new();
        let mut practice_codes = HashSet::new();
        for d in &self.dimensions {
            text(&format!("dimension {}", d.code), &d.name);
            for s in &d.standards {
                text(&format!("standard {}", s.code), &s.name);
                for p in &s.practices {
                    text(&format!("practice {} question", p.code), &p.question);
                    text(&format!("practice {} evidence", p.code), &p.evidence);
                }
            }
        }
        if self.id.trim().is_empty() {
            problems.push("the checklist id is empty".into());
        }
        if self.version == 0 {
            problems.push("the checklist version must be 1 or more".into());
        }
        for p in &self.principles {
            if !valid_code(&p.code) {
                problems.push(format!("principle code '{}' is malformed", p.code));
            }
            if !principle_codes.insert(p.code.as_str()) {
                problems.push(format!("principle {} appears twice", p.code));
            }
        }
        let mut practices = 0usize;
        for d in &self.dimensions {
            if !valid_code(&d.code) {
                problems.push(format!("dimension code '{}' is malformed", d.code));
            }
            if !dim_codes.insert(d.code.as_str()) {
                problems.push(format!("dimension {} appears twice", d.code));
            }
            if !dim_keys.insert(d.key) {
                problems.push(format!("dimension key {} appears twice", d.key));
            }
            if d.standards.is_empty() {
                problems.push(format!("dimension {} has no standard", d.code));
            }
            for s in &d.standards {
                if !valid_code(&s.code) {
                    problems.push(format!("standard code '{}' is malformed", s.code));
                }
                if !std_codes.insert(s.code.as_str()) {
                    problems.push(format!("standard {} appears twice", s.code));
                }
                if s.practices.is_empty() {
                    problems.push(format!("standard {} has no practice", s.code));
                }
                for p in &s.practices {
                    practices += 1;
                    if !valid_code(&p.code) {
                        problems.push(format!(
                            "practice code '{}' is malformed (letters, digits and dots)",
                            p.code
                        ));
                    }
                    if !p.code.starts_with(&format!("{}.", s.code)) {
                        problems.push(format!(
                            "practice {} is in standard {} but its code does not start with '{}.'",
                            p.code, s.code, s.code
                        ));
                    }
                    if !practice_codes.insert(p.code.to_ascii_uppercase()) {
                        problems.push(format!("practice {} appears twice", p.code));
                    }
                    let mut seen = HashSet::new();
                    for pr in &p.principles {
                        if !principle_codes.contains(pr.as_str()) {
                            problems.push(format!(
                                "practice {} refers to an unknown principle '{pr}'",
                                p.code
                            ));
                        }
                        if !seen.insert(pr) {
                            problems
                                .push(format!("practice {} lists principle {pr} twice", p.code));
                        }
                    }
                }
            }
        }
        if practices == 0 {
            problems.push("the checklist has no practice".into());
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(CoreError::invalid(format!(
            "checklist {} v{} is invalid: {} problem(s)",
            self.id,
            self.version,
            problems.len()
        ))
        .with_details(problems))
    }

    /// Every practice in checklist order.
    pub fn practices(&self) -> impl Iterator<Item = PracticeRef<'_>> {
        self.dimensions.iter().flat_map(|d| {
            d.standards.iter().flat_map(move |s| {
                s.practices.iter().map(move |p| PracticeRef {
                    dimension: d,
                    standard: s,
                    practice: p,
                })
            })
        })
    }

    /// The practice with this code (case-insensitive).
    pub fn practice(&self, code: &str) -> Option<PracticeRef<'_>> {
        let code = code.trim();
        self.practices()
            .find(|p| p.practice.code.eq_ignore_ascii_case(code))
    }

    pub fn practice_count(&self) -> usize {
        self.practices().count()
    }

    /// The canonical code of a practice, or an error naming `field` that says which checklist
    /// was searched.
    pub fn resolve_practice(&self, field: &str, code: &str) -> Result<&str> {
        let t = code.trim();
        if t.is_empty() {
            return Err(CoreError::field(field, "the practice code is empty"));
        }
        self.practice(t)
            .map(|p| p.practice.code.as_str())
            .ok_or_else(|| {
                CoreError::field(
                    field,
                    format!(
                        "unknown practice code '{t}' (not in checklist {} v{}; codes look like 4B.2)",
                        self.id, self.version
                    ),
                )
            })
    }
}

static ALL: OnceLock<std::result::Result<Vec<Checklist>, CoreError>> = OnceLock::new();

/// Every embedded checklist, oldest first (validated once).
pub fn all() -> Result<&'static [Checklist]> {
    let r = ALL.get_or_init(|| {
        CHECKLISTS
            .iter()
            .map(|j| {
                Checklist::from_json(j).map_err(|e| {
                    CoreError::new(
                        ErrorCode::Database,
                        format!("built-in checklist: {}", e.message),
                    )
                    .with_details(e.details)
                })
            })
            .collect()
    });
    match r {
        Ok(v) => Ok(v.as_slice()),
        Err(e) => Err(e.clone()),
    }
}

/// The current (newest) checklist.
pub fn current() -> Result<&'static Checklist> {
    all()?
        .last()
        .ok_or_else(|| CoreError::new(ErrorCode::Database, "no built-in checklist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_checklist_is_valid_and_covers_client_protection_in_depth() {
        let c = current().expect("the embedded checklist validates");
        let n = c.practice_count();
        assert!(
            (60..=100).contains(&n),
            "the issue asks for roughly 60 to 100 practices, got {n}"
        );
        let keys: HashSet<Dimension> = c.dimensions.iter().map(|d| d.key).collect();
        assert_eq!(
            keys.len(),
            Dimension::ALL.len(),
            "every Universal Standards dimension is covered"
        );
        assert_eq!(
            c.principles.len(),
            7,
            "the seven client-protection principles"
        );
        for p in &c.principles {
            let tagged = c
                .practices()
                .filter(|x| x.practice.principles.contains(&p.code))
                .count();
            assert!(
                tagged >= 3,
                "principle {} is covered in depth (at least 3 practices), got {tagged}",
                p.code
            );
        }
        assert_eq!(
            c.practice("4b.2").map(|p| p.practice.code.as_str()),
            Some("4B.2"),
            "codes are matched case-insensitively and canonicalised"
        );
    }

    fn tiny() -> String {
        serde_json::json!({
            "id": "t", "version": 1,
            "title": {"en": "T", "fr": "T", "es": "T"},
            "principles": [{"code": "P1", "key": "k", "name": {"en": "a", "fr": "a", "es": "a"}}],
            "dimensions": [{"code": "D1", "key": "social_strategy",
                "name": {"en": "a", "fr": "a", "es": "a"},
                "standards": [{"code": "1A", "name": {"en": "a", "fr": "a", "es": "a"},
                    "practices": [
                        {"code": "1A.1", "question": {"en": "q", "fr": "q", "es": "q"},
                         "evidence": {"en": "e", "fr": "e", "es": "e"}, "principles": ["P1"]}
                    ]}]}]
        })
        .to_string()
    }

    #[test]
    fn validation_names_each_problem() {
        Checklist::from_json(&tiny()).expect("the minimal checklist is valid");
        let bad = tiny()
            .replace("\"1A.1\"", "\"2B.1\"")
            .replace("[\"P1\"]", "[\"P9\"]")
            .replace("\"es\":\"q\"", "\"es\":\" \"");
        let e = Checklist::from_json(&bad).expect_err("three problems");
        let all = e.details.join("\n");
        assert!(
            all.contains("does not start with '1A.'"),
            "a practice filed under the wrong standard is caught: {all}"
        );
        assert!(
            all.contains("unknown principle 'P9'"),
            "a tag to a missing principle is caught: {all}"
        );
        assert!(
            all.contains("practice 2B.1 question: the es text is empty"),
            "a missing translation is caught and located: {all}"
        );
        let e = Checklist::from_json(&tiny().replace("social_strategy", "happiness"))
            .expect_err("unknown dimension key");
        assert!(
            e.message.contains("happiness"),
            "the unknown dimension key is named: {e}"
        );
    }
}
