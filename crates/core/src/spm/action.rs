//! Action plans: each gap (a No or Partially answer) can become an action with a description,
//! an owner, a due date and a status (open, in progress, done, dropped), linked to the practice
//! it fixes and optionally to an objective. An action is **overdue** when its due date is
//! before today and it is still open or in progress.

use super::checklist;
use super::{required_text, resolve_today};
use crate::error::{CoreError, Result};
use crate::model::validate_date;
use crate::store::{Store, ACTION};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::Open,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }

    /// `open`, `in_progress` (or `in progress`), `done`, `dropped`.
    pub fn parse(s: &str) -> Result<ActionStatus> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        ActionStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == t)
            .ok_or_else(|| {
                CoreError::field(
                    "status",
                    format!(
                        "'{}' is not a valid action status (use open, in_progress, done or dropped)",
                        s.trim()
                    ),
                )
            })
    }

    /// Open or in progress.
    pub fn is_active(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

impl std::fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Action {
    pub id: i64,
    pub description: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_date: String,
    pub status: ActionStatus,
    /// The checklist practice the action fixes.
    pub practice: Option<String>,
    pub assessment_id: Option<i64>,
    pub assessment_title: Option<String>,
    pub objective_id: Option<i64>,
    pub objective_title: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; set when the action is done or dropped.
    pub closed_at: Option<i64>,
    /// Due before today and still open or in progress.
    pub overdue: bool,
    /// Days past the due date (overdue actions only).
    pub days_overdue: Option<i64>,
}

/// An action in brief (beside a practice, an alignment cell).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ActionBrief {
    pub id: i64,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub status: ActionStatus,
    pub practice: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewAction {
    pub description: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_date: String,
    /// Default `open`.
    #[serde(default)]
    pub status: Option<String>,
    /// The practice the action fixes (required when `assessment_id` is given).
    #[serde(default)]
    pub practice: Option<String>,
    #[serde(default)]
    pub assessment_id: Option<i64>,
    #[serde(default)]
    pub objective_id: Option<i64>,
}

/// Changes to an action; absent (null) fields are kept.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ActionPatch {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// Links the action to this objective.
    #[serde(default)]
    pub objective_id: Option<i64>,
    /// Removes the link to an objective.
    #[serde(default)]
    pub clear_objective: bool,
}

/// Which actions to list (all when empty).
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ActionFilter {
    /// A status, or `active` for open and in progress.
    #[serde(default)]
    pub status: Option<String>,
    /// Only overdue actions.
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub assessment_id: Option<i64>,
    #[serde(default)]
    pub objective_id: Option<i64>,
    #[serde(default)]
    pub practice: Option<String>,
}

const COLS: &str = "a.id, a.description, a.owner, a.due_date, a.status, a.practice, a.assessment_id, s.title, a.objective_id, o.title, a.created_at, a.closed_at";
const FROM: &str = "FROM action a LEFT JOIN assessment s ON s.id = a.assessment_id LEFT JOIN objective o ON o.id = a.objective_id";

fn days_between(from: &str, to: &str) -> Option<i64> {
    let f = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok()?;
    let t = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").ok()?;
    Some((t - f).num_days())
}

fn read(conn: &Connection, where_: &str, arg: Option<i64>, today: &str) -> Result<Vec<Action>> {
    let sql = format!("SELECT {COLS} {FROM} {where_} ORDER BY a.due_date, a.id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let map = |r: &rusqlite::Row<'_>| {
        Ok((
            (
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ),
            (
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, i64>(10)?,
                r.get::<_, Option<i64>>(11)?,
            ),
        ))
    };
    let rows: Vec<_> = match arg {
        Some(a) => stmt.query_map([a], map)?.collect::<rusqlite::Result<_>>()?,
        None => stmt.query_map([], map)?.collect::<rusqlite::Result<_>>()?,
    };
    let mut out = Vec::new();
    for (
        (id, description, owner, due_date, status, practice),
        (assessment_id, assessment_title, objective_id, objective_title, created_at, closed_at),
    ) in rows
    {
        let status = ActionStatus::parse(&status)?;
        let overdue = status.is_active() && due_date.as_str() < today;
        out.push(Action {
            id,
            days_overdue: if overdue {
                days_between(&due_date, today)
            } else {
                None
            },
            description,
            owner,
            due_date,
            status,
            practice,
            assessment_id,
            assessment_title,
            objective_id,
            objective_title,
            created_at,
            closed_at,
            overdue,
        });
    }
    Ok(out)
}

fn brief(a: Action) -> ActionBrief {
    ActionBrief {
        id: a.id,
        description: a.description,
        owner: a.owner,
        due_date: a.due_date,
        status: a.status,
        practice: a.practice,
    }
}

/// Brief actions of an assessment.
pub(crate) fn briefs_of_assessment(conn: &Connection, id: i64) -> Result<Vec<ActionBrief>> {
    Ok(read(conn, "WHERE a.assessment_id = ?1", Some(id), "")?
        .into_iter()
        .map(brief)
        .collect())
}

/// Every action, in brief.
pub(crate) fn all_briefs(conn: &Connection) -> Result<Vec<ActionBrief>> {
    Ok(read(conn, "", None, "")?.into_iter().map(brief).collect())
}

/// One action.
pub fn action_get(store: &Store, id: i64, today: Option<&str>) -> Result<Action> {
    let today = resolve_today(today)?;
    read(store.conn(), "WHERE a.id = ?1", Some(id), &today)?
        .into_iter()
        .next()
        .ok_or_else(|| CoreError::not_found(format!("there is no action {id}")))
}

/// Actions matching `filter`: open and in-progress first (overdue ones first, then by due
/// date), then done and dropped.
pub fn action_list(
    store: &Store,
    filter: &ActionFilter,
    today: Option<&str>,
) -> Result<Vec<Action>> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let today = resolve_today(today)?;
    let status = match filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("active") => Some(None),
        Some(s) => Some(Some(ActionStatus::parse(s)?)),
    };
    let practice = filter
        .practice
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let mut v: Vec<Action> = read(conn, "", None, &today)?
        .into_iter()
        .filter(|a| match status {
            None => true,
            Some(None) => a.status.is_active(),
            Some(Some(s)) => a.status == s,
        })
        .filter(|a| !filter.overdue || a.overdue)
        .filter(|a| {
            filter
                .assessment_id
                .is_none_or(|x| a.assessment_id == Some(x))
        })
        .filter(|a| {
            filter
                .objective_id
                .is_none_or(|x| a.objective_id == Some(x))
        })
        .filter(|a| {
            practice.is_none_or(|p| {
                a.practice
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(p))
            })
        })
        .collect();
    v.sort_by(|a, b| {
        (!a.status.is_active(), !a.overdue, &a.due_date, a.id).cmp(&(
            !b.status.is_active(),
            !b.overdue,
            &b.due_date,
            b.id,
        ))
    });
    Ok(v)
}

fn check_objective(conn: &Connection, id: i64) -> Result<()> {
    let found: Option<i64> = conn
        .query_row("SELECT id FROM objective WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    found.map(|_| ()).ok_or_else(|| {
        CoreError::field(
            "objective_id",
            format!("there is no objective {id} (see `mizani objective list`)"),
        )
    })
}

/// Adds an action. A practice must be a code of the current checklist; an action from an
/// assessment names the practice it fixes.
pub fn action_add(store: &mut Store, a: &NewAction, today: Option<&str>) -> Result<Action> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let description = required_text("description", "the description", &a.description)?;
    let owner =
        crate::model::validate_name("the owner", &a.owner).map_err(|e| e.on_field("owner"))?;
    let due = validate_date("the due date", &a.due_date).map_err(|e| e.on_field("due_date"))?;
    let status = match a.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => ActionStatus::parse(s)?,
        None => ActionStatus::Open,
    };
    let practice = match a
        .practice
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => Some(
            checklist::current()?
                .resolve_practice("practice", p)?
                .to_string(),
        ),
        None => None,
    };
    if let Some(aid) = a.assessment_id {
        super::assessment::get_assessment(conn, aid).map_err(|e| e.on_field("assessment_id"))?;
        if practice.is_none() {
            return Err(CoreError::field(
                "practice",
                "an action from an assessment names the practice it fixes",
            ));
        }
    }
    if let Some(oid) = a.objective_id {
        check_objective(conn, oid)?;
    }
    let opt_i = |v: Option<i64>| v.map(Value::Integer).unwrap_or(Value::Null);
    let id = store.write("add action", |w| {
        let now = w.now();
        w.insert(
            &ACTION,
            &[
                ("description", Value::Text(description.clone())),
                ("owner", Value::Text(owner.clone())),
                ("due_date", Value::Text(due.clone())),
                ("status", Value::Text(status.as_str().into())),
                (
                    "practice",
                    practice.clone().map(Value::Text).unwrap_or(Value::Null),
                ),
                ("assessment_id", opt_i(a.assessment_id)),
                ("objective_id", opt_i(a.objective_id)),
                ("created_at", Value::Integer(now)),
                (
                    "closed_at",
                    if status.is_active() {
                        Value::Null
                    } else {
                        Value::Integer(now)
                    },
                ),
            ],
            None,
        )
    })?;
    action_get(store, id, today)
}

/// Changes an action. Closing it (done, dropped) records when; reopening clears that.
pub fn action_update(
    store: &mut Store,
    id: i64,
    p: &ActionPatch,
    today: Option<&str>,
) -> Result<Action> {
    let old = action_get(store, id, today)?;
    let conn = store.conn();
    let mut fields: Vec<(&str, Value)> = Vec::new();
    if let Some(d) = &p.description {
        fields.push((
            "description",
            Value::Text(required_text("description", "the description", d)?),
        ));
    }
    if let Some(o) = &p.owner {
        let o = crate::model::validate_name("the owner", o).map_err(|e| e.on_field("owner"))?;
        fields.push(("owner", Value::Text(o)));
    }
    if let Some(d) = &p.due_date {
        let d = validate_date("the due date", d).map_err(|e| e.on_field("due_date"))?;
        fields.push(("due_date", Value::Text(d)));
    }
    if p.clear_objective && p.objective_id.is_some() {
        return Err(CoreError::field(
            "objective_id",
            "link to an objective or remove the link, not both",
        ));
    }
    if let Some(oid) = p.objective_id {
        check_objective(conn, oid)?;
        fields.push(("objective_id", Value::Integer(oid)));
    }
    if p.clear_objective {
        fields.push(("objective_id", Value::Null));
    }
    if let Some(s) = &p.status {
        let s = ActionStatus::parse(s)?;
        fields.push(("status", Value::Text(s.as_str().into())));
        match (old.status.is_active(), s.is_active()) {
            (true, false) => fields.push(("closed_at", Value::Integer(crate::store::now_unix()))),
            (false, true) => fields.push(("closed_at", Value::Null)),
            _ => {}
        }
    }
    if fields.is_empty() {
        return Ok(old);
    }
    store.write(&format!("edit action {id}"), |w| {
        w.update(
            &ACTION,
            &[Value::Integer(id)],
            &format!("action {id}"),
            &fields,
        )
    })?;
    action_get(store, id, today)
}

/// Used by the demo: sets when an action was closed.
pub(crate) fn set_closed_at(store: &mut Store, id: i64, at: i64) -> Result<()> {
    store.write("demo action closed", |w| {
        w.update(
            &ACTION,
            &[Value::Integer(id)],
            &format!("action {id}"),
            &[("closed_at", Value::Integer(at))],
        )
    })?;
    Ok(())
}
