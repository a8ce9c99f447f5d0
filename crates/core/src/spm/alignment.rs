//! Practice 4, aligning business processes: a matrix of the active objectives × eight
//! business processes, each cell rated *supports*, *neutral* or *works against* with evidence
//! and an optional action. The matrix highlights the cells that work against an objective and
//! the objectives that no process supports.

use super::action::{all_briefs, ActionBrief};
use super::{free_text, lang_or_org};
use crate::error::{CoreError, Result};
use crate::model::{Dimension, Language};
use crate::store::{Store, ALIGNMENT};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

/// The business processes an objective depends on (DOMAIN.md, practice 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Process {
    Marketing,
    Recruitment,
    StaffTraining,
    Incentives,
    /// Organisational culture.
    Culture,
    /// Board composition and governance.
    Governance,
    ProductDesign,
    Pricing,
}

impl Process {
    pub const ALL: [Process; 8] = [
        Process::Marketing,
        Process::Recruitment,
        Process::StaffTraining,
        Process::Incentives,
        Process::Culture,
        Process::Governance,
        Process::ProductDesign,
        Process::Pricing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Process::Marketing => "marketing",
            Process::Recruitment => "recruitment",
            Process::StaffTraining => "staff_training",
            Process::Incentives => "incentives",
            Process::Culture => "culture",
            Process::Governance => "governance",
            Process::ProductDesign => "product_design",
            Process::Pricing => "pricing",
        }
    }

    pub fn name(self, lang: Language) -> &'static str {
        use Language::*;
        match (self, lang) {
            (Process::Marketing, En) => "Marketing",
            (Process::Marketing, Fr) => "Marketing",
            (Process::Marketing, Es) => "Marketing",
            (Process::Recruitment, En) => "Recruitment",
            (Process::Recruitment, Fr) => "Recrutement",
            (Process::Recruitment, Es) => "Contratación",
            (Process::StaffTraining, En) => "Staff training",
            (Process::StaffTraining, Fr) => "Formation du personnel",
            (Process::StaffTraining, Es) => "Capacitación del personal",
            (Process::Incentives, En) => "Incentives",
            (Process::Incentives, Fr) => "Incitations",
            (Process::Incentives, Es) => "Incentivos",
            (Process::Culture, En) => "Organisational culture",
            (Process::Culture, Fr) => "Culture organisationnelle",
            (Process::Culture, Es) => "Cultura organizacional",
            (Process::Governance, En) => "Board composition and governance",
            (Process::Governance, Fr) => "Composition du conseil et gouvernance",
            (Process::Governance, Es) => "Composición del directorio y gobernanza",
            (Process::ProductDesign, En) => "Product design",
            (Process::ProductDesign, Fr) => "Conception des produits",
            (Process::ProductDesign, Es) => "Diseño de productos",
            (Process::Pricing, En) => "Pricing",
            (Process::Pricing, Fr) => "Tarification",
            (Process::Pricing, Es) => "Precios",
        }
    }

    pub fn parse(s: &str) -> Result<Process> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Process::ALL
            .into_iter()
            .find(|p| p.as_str() == t)
            .ok_or_else(|| {
                let all: Vec<&str> = Process::ALL.iter().map(|p| p.as_str()).collect();
                CoreError::field(
                    "process",
                    format!(
                        "'{}' is not a business process (use one of: {})",
                        s.trim(),
                        all.join(", ")
                    ),
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Supports,
    Neutral,
    WorksAgainst,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Supports, Rating::Neutral, Rating::WorksAgainst];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Supports => "supports",
            Rating::Neutral => "neutral",
            Rating::WorksAgainst => "works_against",
        }
    }

    pub fn parse(s: &str) -> Result<Rating> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Rating::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| {
                CoreError::field(
                    "rating",
                    format!(
                        "'{}' is not a rating (use supports, neutral or works_against)",
                        s.trim()
                    ),
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProcessInfo {
    pub process: Process,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlignmentCell {
    pub process: Process,
    /// `None`: not rated yet.
    pub rating: Option<Rating>,
    pub evidence: String,
    pub action: Option<ActionBrief>,
}

/// One objective's row: a cell per process, in [`Process::ALL`] order.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlignmentRow {
    pub objective_id: i64,
    pub title: String,
    pub practice: u8,
    pub dimension: Dimension,
    pub cells: Vec<AlignmentCell>,
    pub supports: u32,
    pub neutral: u32,
    pub works_against: u32,
    pub unrated: u32,
    /// No process supports this objective.
    pub unsupported: bool,
}

/// A process that works against an objective.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlignmentGap {
    pub objective_id: i64,
    pub title: String,
    pub process: Process,
    pub process_name: String,
    pub evidence: String,
    pub action: Option<ActionBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ObjectiveRef {
    pub id: i64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlignmentMatrix {
    /// The columns, with names in the requested language.
    pub processes: Vec<ProcessInfo>,
    /// Active objectives.
    pub objectives: Vec<AlignmentRow>,
    /// Every works-against cell.
    pub works_against: Vec<AlignmentGap>,
    /// Objectives no process supports.
    pub unsupported: Vec<ObjectiveRef>,
}

/// Rates one cell; `rating: None` clears it (not rated).
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AlignmentInput {
    pub objective_id: i64,
    pub process: String,
    /// supports, neutral or works_against; null clears the cell.
    #[serde(default)]
    pub rating: Option<String>,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub action_id: Option<i64>,
}

/// The matrix of active objectives × processes.
pub fn alignment_get(store: &Store, lang: Option<Language>) -> Result<AlignmentMatrix> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    let objectives = crate::repo::objectives(conn, false)?;
    let mut stmt = conn.prepare_cached(
        "SELECT objective_id, process, rating, evidence, action_id FROM alignment",
    )?;
    let mut cells: HashMap<(i64, String), (String, String, Option<i64>)> = HashMap::new();
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })? {
        let (o, p, r, e, a) = row?;
        cells.insert((o, p), (r, e, a));
    }
    let actions: HashMap<i64, ActionBrief> =
        all_briefs(conn)?.into_iter().map(|a| (a.id, a)).collect();
    let mut rows = Vec::new();
    let mut works_against = Vec::new();
    let mut unsupported = Vec::new();
    for o in objectives {
        let mut row = AlignmentRow {
            objective_id: o.id,
            title: o.title.clone(),
            practice: o.practice,
            dimension: o.dimension,
            cells: Vec::new(),
            supports: 0,
            neutral: 0,
            works_against: 0,
            unrated: 0,
            unsupported: false,
        };
        for p in Process::ALL {
            let stored = cells.get(&(o.id, p.as_str().to_string()));
            let rating = stored.map(|s| Rating::parse(&s.0)).transpose()?;
            let evidence = stored.map(|s| s.1.clone()).unwrap_or_default();
            let action = stored
                .and_then(|s| s.2)
                .and_then(|id| actions.get(&id).cloned());
            match rating {
                None => row.unrated += 1,
                Some(Rating::Supports) => row.supports += 1,
                Some(Rating::Neutral) => row.neutral += 1,
                Some(Rating::WorksAgainst) => {
                    row.works_against += 1;
                    works_against.push(AlignmentGap {
                        objective_id: o.id,
                        title: o.title.clone(),
                        process: p,
                        process_name: p.name(lang).to_string(),
                        evidence: evidence.clone(),
                        action: action.clone(),
                    });
                }
            }
            row.cells.push(AlignmentCell {
                process: p,
                rating,
                evidence,
                action,
            });
        }
        row.unsupported = row.supports == 0;
        if row.unsupported {
            unsupported.push(ObjectiveRef {
                id: o.id,
                title: o.title.clone(),
            });
        }
        rows.push(row);
    }
    Ok(AlignmentMatrix {
        processes: Process::ALL
            .iter()
            .map(|p| ProcessInfo {
                process: *p,
                name: p.name(lang).to_string(),
            })
            .collect(),
        objectives: rows,
        works_against,
        unsupported,
    })
}

/// Rates (or clears) one cell of the matrix; returns the whole matrix.
pub fn alignment_set(
    store: &mut Store,
    input: &AlignmentInput,
    lang: Option<Language>,
) -> Result<AlignmentMatrix> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let oid = input.objective_id;
    let archived: Option<bool> = conn
        .query_row("SELECT archived FROM objective WHERE id = ?1", [oid], |r| {
            r.get(0)
        })
        .optional()?;
    match archived {
        None => {
            return Err(CoreError::field(
                "objective_id",
                format!("there is no objective {oid} (see `mizani objective list`)"),
            ))
        }
        Some(true) => {
            return Err(CoreError::field(
                "objective_id",
                format!("objective {oid} is archived; restore it to rate its alignment"),
            ))
        }
        Some(false) => {}
    }
    let process = Process::parse(&input.process)?;
    let rating = input
        .rating
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(Rating::parse)
        .transpose()?;
    let evidence = free_text("evidence", "the evidence", &input.evidence)?;
    if let Some(aid) = input.action_id {
        let found: Option<i64> = conn
            .query_row("SELECT id FROM action WHERE id = ?1", [aid], |r| r.get(0))
            .optional()?;
        if found.is_none() {
            return Err(CoreError::field(
                "action_id",
                format!("there is no action {aid} (see `mizani action list`)"),
            ));
        }
    }
    if rating.is_none() && (input.action_id.is_some() || !evidence.is_empty()) {
        return Err(CoreError::field(
            "rating",
            "rate the cell (supports, neutral or works_against) to record evidence or an action",
        ));
    }
    let key = [Value::Integer(oid), Value::Text(process.as_str().into())];
    let label = format!("objective {oid}/{}", process.as_str());
    store.write(&format!("alignment {label}"), |w| {
        match rating {
            Some(r) => {
                w.set(
                    &ALIGNMENT,
                    &key,
                    &label,
                    &[
                        ("rating", Value::Text(r.as_str().into())),
                        ("evidence", Value::Text(evidence.clone())),
                        (
                            "action_id",
                            input.action_id.map(Value::Integer).unwrap_or(Value::Null),
                        ),
                    ],
                )?;
            }
            None => {
                w.delete(&ALIGNMENT, &key, &label)?;
            }
        }
        Ok(())
    })?;
    alignment_get(store, lang)
}
