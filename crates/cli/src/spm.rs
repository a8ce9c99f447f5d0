//! `mizani assessment|action|alignment|decision`: practices 2, 4 and 5 (self-assessments
//! with action plans, the alignment matrix, the dual-lens decision log). Each command parses
//! its arguments, calls one `mizani_core::spm` function and prints a table, or JSON with
//! `--json`.

use crate::format::{number, table, value_with_unit};
use crate::{lang, open_existing, print_json};
use clap::Subcommand;
use mizani_core::spm::{
    self, ActionFilter, ActionPatch, AlignmentInput, AnswerInput, AssessmentScore,
    DecisionReviewInput, GroupScore, NewAction, NewAssessment, NewDecision, NewDecisionIndicator,
};
use mizani_core::CoreError;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum AssessmentCmd {
    /// Start a self-assessment against the current checklist
    New {
        #[arg(long)]
        title: String,
        /// Date of the assessment, YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// Who assessed
        #[arg(long)]
        assessor: String,
        /// org or branch:CODE
        #[arg(long, default_value = "org")]
        scope: String,
    },
    /// Answer one practice: yes, partial, no or na (oui/partiellement/non, sí/parcialmente)
    Answer {
        /// Assessment id
        id: i64,
        /// Practice code, e.g. 4B.2
        practice: String,
        /// yes, partial, no or na
        answer: String,
        /// What shows it (without evidence a "yes" counts as partially in the evidence-aware score)
        #[arg(long)]
        evidence: Option<String>,
        /// A file reference as evidence (repeat; replaces the stored files)
        #[arg(long = "file")]
        files: Vec<String>,
        /// Remove the stored file references
        #[arg(long, conflicts_with = "files")]
        no_files: bool,
        #[arg(long)]
        note: Option<String>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Remove the answer to one practice (it becomes unanswered)
    Clear { id: i64, practice: String },
    /// List the assessments with their overall scores
    List,
    /// Every practice with its answer and flags
    Show {
        id: i64,
        /// Only gaps (No, Partially), Yes without evidence and unanswered practices
        #[arg(long)]
        gaps: bool,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Raw and evidence-aware scores per dimension, principle and standard
    Score {
        id: i64,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// What improved and what slipped from one assessment to another
    Compare {
        /// The earlier assessment
        before: i64,
        /// The later assessment
        after: i64,
        /// List unchanged practices too
        #[arg(long)]
        all: bool,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Write the answers as CSV (practice,answer,evidence,note,evidence_files,…)
    Export {
        id: i64,
        /// Output file (default: standard output)
        #[arg(short, long, value_name = "FILE.csv")]
        output: Option<PathBuf>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Import answers from CSV (practice,answer[,evidence][,note][,evidence_files]); all or nothing
    Import {
        id: i64,
        file: PathBuf,
        /// Check the file and count what would change, without writing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
pub enum ActionCmd {
    /// List actions: overdue first, then by due date
    List {
        /// open, in_progress, done, dropped, or active (open and in progress)
        #[arg(long)]
        status: Option<String>,
        /// Only overdue actions
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        assessment: Option<i64>,
        #[arg(long)]
        objective: Option<i64>,
        #[arg(long)]
        practice: Option<String>,
        /// Compute "overdue" as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
    },
    /// Add an action (e.g. from a No or Partially answer)
    Add {
        #[arg(long)]
        description: String,
        #[arg(long)]
        owner: String,
        /// Due date, YYYY-MM-DD
        #[arg(long)]
        due: String,
        /// open (default), in_progress, done or dropped
        #[arg(long)]
        status: Option<String>,
        /// The checklist practice the action fixes, e.g. 4B.7
        #[arg(long)]
        practice: Option<String>,
        /// The assessment the gap was found in (needs --practice)
        #[arg(long)]
        assessment: Option<i64>,
        /// The objective the action serves
        #[arg(long)]
        objective: Option<i64>,
        /// Compute as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
    },
    /// Change an action: status, due date, owner, description, objective
    Update {
        id: i64,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, conflicts_with = "no_objective")]
        objective: Option<i64>,
        /// Remove the link to an objective
        #[arg(long)]
        no_objective: bool,
        /// Compute as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AlignmentCmd {
    /// The matrix of objectives × business processes, works-against cells and unsupported objectives
    Show {
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Rate how a business process bears on an objective
    Set {
        /// Objective id
        objective: i64,
        /// marketing, recruitment, staff_training, incentives, culture, governance,
        /// product_design or pricing
        process: String,
        /// supports, neutral, works_against, or none to clear the cell
        rating: String,
        #[arg(long, default_value = "")]
        evidence: String,
        /// An action that addresses the cell
        #[arg(long)]
        action: Option<i64>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DecisionCmd {
    /// List decisions: due for review first
    List {
        /// Only decisions due for review
        #[arg(long)]
        due: bool,
        /// Compute "due" as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Log a decision with its expected social and financial effects
    Add {
        /// What was decided
        #[arg(long)]
        title: String,
        /// YYYY-MM-DD
        #[arg(long)]
        decided_on: String,
        /// Who decided (board, management committee…)
        #[arg(long)]
        decided_by: String,
        /// The options considered
        #[arg(long, default_value = "")]
        options: String,
        /// The expected social effect (required: practice 5 weighs both lenses)
        #[arg(long)]
        expected_social: String,
        /// The expected financial effect (required)
        #[arg(long)]
        expected_financial: String,
        /// When to review the effects, YYYY-MM-DD
        #[arg(long)]
        review_on: String,
        /// Social indicator and expected direction: CODE=up|down|stable (repeat)
        #[arg(long = "social-indicator")]
        social: Vec<String>,
        /// Financial indicator and expected direction: CODE=up|down|stable (repeat)
        #[arg(long = "financial-indicator")]
        financial: Vec<String>,
        /// Compute as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// A decision with its indicators before vs after (same engine as the dashboard)
    Show {
        id: i64,
        /// Compute as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Record the review: the observed social and financial effects
    Review {
        id: i64,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        observed_social: String,
        #[arg(long)]
        observed_financial: String,
        /// Date of the review (default: today), YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
        /// Compute as of this date (default: today), YYYY-MM-DD
        #[arg(long)]
        today: Option<String>,
        /// Language of the names: en, fr or es (default: the institution's)
        #[arg(long)]
        lang: Option<String>,
    },
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{} %", number(x, 1)))
        .unwrap_or_else(|| "—".into())
}

fn signed(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x > 0.0 => format!("+{}", number(x, 1)),
        Some(x) => number(x, 1),
    }
}

/// At most `n` characters, with an ellipsis when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn score_rows(groups: &[GroupScore]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            vec![
                g.code.clone(),
                cut(&g.name, 44),
                pct(g.score),
                pct(g.evidence_score),
                format!("{}/{}/{}/{}", g.yes, g.partial, g.no, g.na),
                g.unanswered.to_string(),
                g.yes_without_evidence.to_string(),
            ]
        })
        .collect()
}

const SCORE_HEADER: [&str; 7] = [
    "code",
    "name",
    "score",
    "evidence-aware",
    "Y/P/N/NA",
    "unanswered",
    "Y w/o evidence",
];

fn print_score(s: &AssessmentScore) {
    outln!(
        "Overall: {} (evidence-aware {}); {} of {} practices answered; checklist {} v{}\n",
        pct(s.overall.score),
        pct(s.overall.evidence_score),
        s.overall.practices - s.overall.unanswered,
        s.overall.practices,
        s.checklist_id,
        s.checklist_version
    );
    outln!("By dimension");
    table(&SCORE_HEADER, &score_rows(&s.dimensions));
    outln!("\nBy client-protection principle");
    table(&SCORE_HEADER, &score_rows(&s.principles));
    if !s.flagged.is_empty() {
        outln!(
            "\nYes without evidence (counted as Partially in the evidence-aware score): {}",
            s.flagged.join(", ")
        );
    }
    if !s.retired.is_empty() {
        outln!(
            "\nNot in this checklist version (kept, not scored): {}",
            s.retired.join(", ")
        );
    }
}

/// Refuses an output path that is a folder or in a folder that does not exist, before any work.
fn check_output(out: &Path) -> Result<(), CoreError> {
    if out.is_dir() {
        return Err(CoreError::field(
            "output",
            format!(
                "{} is a folder: give a file name such as answers.csv",
                out.display()
            ),
        ));
    }
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(CoreError::field(
            "output",
            format!(
                "cannot write {}: the folder {} does not exist",
                out.display(),
                dir.display()
            ),
        ));
    }
    Ok(())
}

pub fn assessment(db: &Path, json: bool, cmd: AssessmentCmd) -> Result<(), CoreError> {
    match cmd {
        AssessmentCmd::New {
            title,
            date,
            assessor,
            scope,
        } => {
            let mut store = open_existing(db)?;
            let a = spm::assessment_new(
                &mut store,
                &NewAssessment {
                    title,
                    assessed_on: date,
                    assessor,
                    scope: Some(scope),
                },
            )?;
            if json {
                print_json(&a)?;
            } else {
                outln!(
                    "Created assessment {}: {} ({}, {}), checklist {} v{}",
                    a.id,
                    a.title,
                    a.assessed_on,
                    a.scope,
                    a.checklist_id,
                    a.checklist_version
                );
            }
        }
        AssessmentCmd::Answer {
            id,
            practice,
            answer,
            evidence,
            files,
            no_files,
            note,
            lang: l,
        } => {
            let l = lang(&l)?;
            let mut store = open_existing(db)?;
            let evidence_files = if no_files {
                Some(Vec::new())
            } else if files.is_empty() {
                None
            } else {
                Some(files)
            };
            let row = spm::assessment_answer(
                &mut store,
                id,
                &AnswerInput {
                    practice,
                    answer,
                    evidence,
                    evidence_files,
                    note,
                },
                l,
            )?;
            if json {
                print_json(&row)?;
            } else {
                outln!(
                    "{}: {}{}",
                    row.code,
                    row.answer.map(|a| a.as_str()).unwrap_or("—"),
                    if row.yes_without_evidence {
                        " (no evidence: counts as partially in the evidence-aware score)"
                    } else {
                        ""
                    }
                );
            }
        }
        AssessmentCmd::Clear { id, practice } => {
            let mut store = open_existing(db)?;
            let removed = spm::assessment_clear_answer(&mut store, id, &practice)?;
            if json {
                print_json(&serde_json::json!({"practice": practice, "removed": removed}))?;
            } else if removed {
                outln!("Removed the answer to {practice}");
            } else {
                outln!("{practice} had no answer");
            }
        }
        AssessmentCmd::List => {
            let store = open_existing(db)?;
            let list = spm::assessment_list(&store)?;
            if json {
                print_json(&list)?;
            } else if list.is_empty() {
                outln!("No assessments yet: start one with `mizani assessment new`.");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.to_string(),
                            a.assessed_on.clone(),
                            cut(&a.title, 44),
                            a.scope.clone(),
                            format!("{}/{}", a.answered, a.total),
                            pct(a.score),
                            pct(a.evidence_score),
                            a.flagged.to_string(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "date",
                        "title",
                        "scope",
                        "answered",
                        "score",
                        "evidence-aware",
                        "Y w/o evidence",
                    ],
                    &rows,
                );
            }
        }
        AssessmentCmd::Show { id, gaps, lang: l } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let v = spm::assessment_get(&store, id, l)?;
            if json {
                print_json(&v)?;
                return Ok(());
            }
            let a = &v.assessment;
            outln!(
                "Assessment {}: {} — {}, {}, scope {}",
                a.id,
                a.title,
                a.assessed_on,
                a.assessor,
                a.scope
            );
            outln!(
                "{} v{}: {} of {} practices answered; score {} (evidence-aware {})\n",
                v.checklist_title,
                v.checklist_version,
                v.answered,
                v.total,
                pct(v.score.overall.score),
                pct(v.score.overall.evidence_score)
            );
            let rows: Vec<Vec<String>> = v
                .practices
                .iter()
                .filter(|p| !gaps || p.gap || p.unanswered || p.yes_without_evidence)
                .map(|p| {
                    let mut flags = Vec::new();
                    if p.yes_without_evidence {
                        flags.push("NO EVIDENCE".to_string());
                    }
                    if p.gap && p.actions.is_empty() {
                        flags.push("gap".to_string());
                    }
                    for x in &p.actions {
                        flags.push(format!("action {} ({})", x.id, x.status));
                    }
                    vec![
                        p.code.clone(),
                        p.answer
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_else(|| "—".into()),
                        flags.join(", "),
                        cut(&p.question, 70),
                    ]
                })
                .collect();
            table(&["practice", "answer", "flags", "question"], &rows);
            if !v.retired.is_empty() {
                outln!("\nNot in this checklist version (kept, not scored):");
                for r in &v.retired {
                    outln!("  {}: {}", r.code, r.answer);
                }
            }
        }
        AssessmentCmd::Score { id, lang: l } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let s = spm::assessment_score(&store, id, l)?;
            if json {
                print_json(&s)?;
            } else {
                print_score(&s);
            }
        }
        AssessmentCmd::Compare {
            before,
            after,
            all,
            lang: l,
        } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let c = spm::assessment_compare(&store, before, after, l)?;
            if json {
                print_json(&c)?;
                return Ok(());
            }
            let x = &c.comparison;
            outln!(
                "From assessment {} ({}) to {} ({}): {} improved, {} slipped, {} unchanged, {} not comparable",
                c.before.id,
                c.before.assessed_on,
                c.after.id,
                c.after.assessed_on,
                x.improved,
                x.slipped,
                x.unchanged,
                x.not_comparable
            );
            outln!(
                "Overall: {} → {} ({} points); evidence-aware {} → {} ({} points)\n",
                pct(x.overall.before),
                pct(x.overall.after),
                signed(x.overall.delta),
                pct(x.overall.evidence_before),
                pct(x.overall.evidence_after),
                signed(x.overall.evidence_delta)
            );
            let header = [
                "code",
                "name",
                "before",
                "after",
                "change",
                "evidence-aware before",
                "after",
                "change",
            ];
            let rows = |ds: &[mizani_core::spm::score::ScoreDelta]| -> Vec<Vec<String>> {
                ds.iter()
                    .map(|d| {
                        vec![
                            d.code.clone(),
                            cut(&d.name, 40),
                            pct(d.before),
                            pct(d.after),
                            signed(d.delta),
                            pct(d.evidence_before),
                            pct(d.evidence_after),
                            signed(d.evidence_delta),
                        ]
                    })
                    .collect()
            };
            outln!("By dimension");
            table(&header, &rows(&x.dimensions));
            outln!("\nBy client-protection principle");
            table(&header, &rows(&x.principles));
            outln!();
            let prows: Vec<Vec<String>> = x
                .practices
                .iter()
                .filter(|p| all || p.change != spm::Change::Unchanged)
                .map(|p| {
                    let ans = |a: Option<spm::Answer>| {
                        a.map(|a| a.as_str().to_string())
                            .unwrap_or_else(|| "—".into())
                    };
                    vec![
                        p.code.clone(),
                        ans(p.before),
                        ans(p.after),
                        p.change.as_str().to_string(),
                        cut(&p.question, 60),
                    ]
                })
                .collect();
            table(
                &["practice", "before", "after", "change", "question"],
                &prows,
            );
        }
        AssessmentCmd::Export {
            id,
            output,
            lang: l,
        } => {
            let l = lang(&l)?;
            if let Some(o) = &output {
                check_output(o)?;
            }
            let store = open_existing(db)?;
            match output {
                Some(o) => {
                    let bytes = spm::assessment_export_file(&store, id, l, &o)?;
                    if json {
                        print_json(&serde_json::json!({"file": o, "bytes": bytes}))?;
                    } else {
                        outln!("Answers written to {} ({bytes} bytes)", o.display());
                    }
                }
                None => {
                    let text = spm::assessment_export_csv(&store, id, l)?;
                    if json {
                        print_json(&serde_json::json!({"csv": text}))?;
                    } else {
                        use std::io::Write as _;
                        let _ = std::io::stdout().write_all(text.as_bytes());
                    }
                }
            }
        }
        AssessmentCmd::Import { id, file, dry_run } => {
            let mut store = open_existing(db)?;
            let r = spm::assessment_import_file(&mut store, id, &file, dry_run)?;
            if json {
                print_json(&r)?;
            } else {
                outln!(
                    "{} {}: {} answers, {} new, {} changed, {} unchanged, {} blank rows skipped",
                    if dry_run {
                        "Checked (nothing written)"
                    } else {
                        "Imported"
                    },
                    r.file,
                    r.rows,
                    r.inserted,
                    r.updated,
                    r.unchanged,
                    r.skipped
                );
            }
        }
    }
    Ok(())
}

fn print_actions(list: &[spm::Action]) {
    if list.is_empty() {
        outln!("No actions.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.status.as_str().to_string(),
                a.due_date.clone(),
                match a.days_overdue {
                    Some(d) => format!("OVERDUE {d} d"),
                    None => String::new(),
                },
                cut(&a.owner, 28),
                a.practice.clone().unwrap_or_default(),
                cut(&a.description, 60),
            ]
        })
        .collect();
    table(
        &[
            "id",
            "status",
            "due",
            "overdue",
            "owner",
            "practice",
            "description",
        ],
        &rows,
    );
}

pub fn action(db: &Path, json: bool, cmd: ActionCmd) -> Result<(), CoreError> {
    match cmd {
        ActionCmd::List {
            status,
            overdue,
            assessment,
            objective,
            practice,
            today,
        } => {
            let store = open_existing(db)?;
            let list = spm::action_list(
                &store,
                &ActionFilter {
                    status,
                    overdue,
                    assessment_id: assessment,
                    objective_id: objective,
                    practice,
                },
                today.as_deref(),
            )?;
            if json {
                print_json(&list)?;
            } else {
                print_actions(&list);
            }
        }
        ActionCmd::Add {
            description,
            owner,
            due,
            status,
            practice,
            assessment,
            objective,
            today,
        } => {
            let mut store = open_existing(db)?;
            let a = spm::action_add(
                &mut store,
                &NewAction {
                    description,
                    owner,
                    due_date: due,
                    status,
                    practice,
                    assessment_id: assessment,
                    objective_id: objective,
                },
                today.as_deref(),
            )?;
            if json {
                print_json(&a)?;
            } else {
                outln!(
                    "Added action {} ({}, due {}{})",
                    a.id,
                    a.status,
                    a.due_date,
                    if a.overdue { ", already overdue" } else { "" }
                );
            }
        }
        ActionCmd::Update {
            id,
            description,
            owner,
            due,
            status,
            objective,
            no_objective,
            today,
        } => {
            let mut store = open_existing(db)?;
            let a = spm::action_update(
                &mut store,
                id,
                &ActionPatch {
                    description,
                    owner,
                    due_date: due,
                    status,
                    objective_id: objective,
                    clear_objective: no_objective,
                },
                today.as_deref(),
            )?;
            if json {
                print_json(&a)?;
            } else {
                outln!(
                    "Action {}: {}, due {}{}",
                    a.id,
                    a.status,
                    a.due_date,
                    if a.overdue { " (overdue)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

fn rating_label(r: Option<spm::Rating>) -> &'static str {
    match r {
        None => "?",
        Some(spm::Rating::Supports) => "+",
        Some(spm::Rating::Neutral) => "=",
        Some(spm::Rating::WorksAgainst) => "AGAINST",
    }
}

fn print_matrix(m: &spm::AlignmentMatrix) {
    if m.objectives.is_empty() {
        outln!("No active objectives: add one with `mizani objective add`.");
        return;
    }
    let mut header = vec!["id".to_string(), "objective".to_string()];
    header.extend(m.processes.iter().map(|p| p.process.as_str().to_string()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = m
        .objectives
        .iter()
        .map(|o| {
            let mut r = vec![
                o.objective_id.to_string(),
                format!(
                    "{}{}",
                    cut(&o.title, 40),
                    if o.unsupported { " (!)" } else { "" }
                ),
            ];
            r.extend(o.cells.iter().map(|c| rating_label(c.rating).to_string()));
            r
        })
        .collect();
    table(&header, &rows);
    outln!(
        "\n+ supports, = neutral, AGAINST works against, ? not rated; (!) no process supports it"
    );
    if !m.works_against.is_empty() {
        outln!("\nWorks against:");
        for g in &m.works_against {
            outln!(
                "  objective {} × {}: {}{}",
                g.objective_id,
                g.process_name,
                if g.evidence.is_empty() {
                    "(no evidence given)"
                } else {
                    &g.evidence
                },
                g.action
                    .as_ref()
                    .map(|a| format!(" — action {} ({})", a.id, a.status))
                    .unwrap_or_default()
            );
        }
    }
    if !m.unsupported.is_empty() {
        outln!("\nNo process supports:");
        for o in &m.unsupported {
            outln!("  objective {}: {}", o.id, o.title);
        }
    }
}

pub fn alignment(db: &Path, json: bool, cmd: AlignmentCmd) -> Result<(), CoreError> {
    match cmd {
        AlignmentCmd::Show { lang: l } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let m = spm::alignment_get(&store, l)?;
            if json {
                print_json(&m)?;
            } else {
                print_matrix(&m);
            }
        }
        AlignmentCmd::Set {
            objective,
            process,
            rating,
            evidence,
            action,
            lang: l,
        } => {
            let l = lang(&l)?;
            let mut store = open_existing(db)?;
            let rating = (!rating.trim().eq_ignore_ascii_case("none")).then_some(rating);
            let m = spm::alignment_set(
                &mut store,
                &AlignmentInput {
                    objective_id: objective,
                    process,
                    rating,
                    evidence,
                    action_id: action,
                },
                l,
            )?;
            if json {
                print_json(&m)?;
            } else {
                print_matrix(&m);
            }
        }
    }
    Ok(())
}

/// `CODE=DIRECTION` of `--social-indicator` / `--financial-indicator`.
fn indicator_spec(flag: &str, lens: &str, s: &str) -> Result<NewDecisionIndicator, CoreError> {
    let (code, dir) = s.split_once('=').ok_or_else(|| {
        CoreError::field(
            "indicators",
            format!("{flag} '{s}' must look like CODE=up, CODE=down or CODE=stable"),
        )
    })?;
    Ok(NewDecisionIndicator {
        indicator: code.trim().to_string(),
        lens: lens.to_string(),
        expected: dir.trim().to_string(),
    })
}

fn print_decisions(list: &[spm::Decision]) {
    if list.is_empty() {
        outln!("No decisions.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.decided_on.clone(),
                cut(&d.title, 60),
                d.review_on.clone(),
                match (&d.reviewed_on, d.due_for_review) {
                    (Some(r), _) => format!("reviewed {r}"),
                    (None, true) => "DUE FOR REVIEW".into(),
                    (None, false) => "to review".into(),
                },
            ]
        })
        .collect();
    table(&["id", "decided", "decision", "review on", "status"], &rows);
}

fn print_effects(e: &spm::DecisionEffects, currency: &str) {
    let d = &e.decision;
    outln!("Decision {}: {}", d.id, d.title);
    outln!("decided on {} by {}", d.decided_on, d.decided_by);
    if !d.options_considered.is_empty() {
        outln!("options considered: {}", d.options_considered);
    }
    outln!("expected social effect: {}", d.expected_social);
    outln!("expected financial effect: {}", d.expected_financial);
    match &d.reviewed_on {
        Some(r) => {
            outln!("reviewed on {r} by {}", d.reviewer);
            outln!("observed social effect: {}", d.observed_social);
            outln!("observed financial effect: {}", d.observed_financial);
        }
        None => outln!(
            "review on {}{}",
            d.review_on,
            if d.due_for_review { " — DUE" } else { "" }
        ),
    }
    outln!(
        "\nBefore: {}; after: {} (as of {})",
        e.before_period,
        e.after_period
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        e.reference_date
    );
    if let Some(r) = &e.after_reason {
        outln!("no after value: {r}");
    }
    if e.indicators.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = e
        .indicators
        .iter()
        .map(|i| {
            vec![
                i.lens.as_str().to_string(),
                i.code.clone(),
                i.expected.as_str().to_string(),
                value_with_unit(i.before.value, &i.unit, currency),
                value_with_unit(i.after.as_ref().and_then(|a| a.value), &i.unit, currency),
                i.observed.map(|o| o.as_str()).unwrap_or("—").to_string(),
                match i.as_expected {
                    Some(true) => "as expected".into(),
                    Some(false) => "NOT as expected".into(),
                    None => "—".into(),
                },
            ]
        })
        .collect();
    outln!();
    table(
        &[
            "lens",
            "indicator",
            "expected",
            "before",
            "after",
            "observed",
            "check",
        ],
        &rows,
    );
}

pub fn decision(db: &Path, json: bool, cmd: DecisionCmd) -> Result<(), CoreError> {
    match cmd {
        DecisionCmd::List {
            due,
            today,
            lang: l,
        } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let list = spm::decision_list(&store, due, today.as_deref(), l)?;
            if json {
                print_json(&list)?;
            } else {
                print_decisions(&list);
            }
        }
        DecisionCmd::Add {
            title,
            decided_on,
            decided_by,
            options,
            expected_social,
            expected_financial,
            review_on,
            social,
            financial,
            today,
            lang: l,
        } => {
            let l = lang(&l)?;
            let mut indicators = Vec::new();
            for s in &social {
                indicators.push(indicator_spec("--social-indicator", "social", s)?);
            }
            for s in &financial {
                indicators.push(indicator_spec("--financial-indicator", "financial", s)?);
            }
            let mut store = open_existing(db)?;
            let d = spm::decision_add(
                &mut store,
                &NewDecision {
                    title,
                    decided_on,
                    decided_by,
                    options_considered: options,
                    expected_social,
                    expected_financial,
                    review_on,
                    indicators,
                },
                today.as_deref(),
                l,
            )?;
            if json {
                print_json(&d)?;
            } else {
                outln!(
                    "Logged decision {}: {} (review on {})",
                    d.id,
                    d.title,
                    d.review_on
                );
            }
        }
        DecisionCmd::Show { id, today, lang: l } => {
            let l = lang(&l)?;
            let store = open_existing(db)?;
            let e = spm::decision_get(&store, id, today.as_deref(), l)?;
            if json {
                print_json(&e)?;
            } else {
                let org = mizani_core::repo::organisation(store.conn())?;
                print_effects(&e, &org.currency);
            }
        }
        DecisionCmd::Review {
            id,
            reviewer,
            observed_social,
            observed_financial,
            date,
            today,
            lang: l,
        } => {
            let l = lang(&l)?;
            let mut store = open_existing(db)?;
            let e = spm::decision_review(
                &mut store,
                id,
                &DecisionReviewInput {
                    reviewed_on: date,
                    reviewer,
                    observed_social,
                    observed_financial,
                },
                today.as_deref(),
                l,
            )?;
            if json {
                print_json(&e)?;
            } else {
                let org = mizani_core::repo::organisation(store.conn())?;
                print_effects(&e, &org.currency);
            }
        }
    }
    Ok(())
}
