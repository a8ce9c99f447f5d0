//! Practice 5, deciding with both lenses: a log of significant decisions (what, when, who,
//! options considered, the expected social and financial effects — each linked to indicators
//! with an expected direction — and a review date). At review Mizani shows the linked
//! indicators before vs after, computed by the same engine as the dashboard:
//!
//! - **before** = the quarter before the one containing the decision date;
//! - **after** = the last complete quarter with data up to the reference date: the review date
//!   once reviewed, else today. A quarter is complete when the reference date is on or after
//!   its last day; it has data when the database holds figures up to its last month. There is
//!   no "after" while that quarter is not later than "before".
//!
//! The reviewer records the observed effects. A decision is **due for review** when its review
//! date is today or past and it is not reviewed yet.

use super::{free_text, lang_or_org, required_text, resolve_today};
use crate::engine::{self, Engine, IndicatorValue, Scope};
use crate::error::{CoreError, Result};
use crate::model::{validate_date, Direction, Language};
use crate::period::{Month, Period, PeriodKind};
use crate::store::{Store, DECISION, DECISION_INDICATOR};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Relative change under which an indicator counts as stable (1 % of the before value).
pub const STABLE_TOLERANCE: f64 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Lens {
    Social,
    Financial,
}

impl Lens {
    pub fn as_str(self) -> &'static str {
        match self {
            Lens::Social => "social",
            Lens::Financial => "financial",
        }
    }
    pub fn parse(s: &str) -> Result<Lens> {
        match s.trim().to_ascii_lowercase().as_str() {
            "social" => Ok(Lens::Social),
            "financial" => Ok(Lens::Financial),
            _ => Err(CoreError::field(
                "indicators",
                format!("'{}' is not a lens (use social or financial)", s.trim()),
            )),
        }
    }
}

/// The direction an indicator is expected to move, or moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    Up,
    Down,
    Stable,
}

impl Movement {
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::Up => "up",
            Movement::Down => "down",
            Movement::Stable => "stable",
        }
    }
    pub fn parse(s: &str) -> Result<Movement> {
        match s.trim().to_ascii_lowercase().as_str() {
            "up" => Ok(Movement::Up),
            "down" => Ok(Movement::Down),
            "stable" => Ok(Movement::Stable),
            _ => Err(CoreError::field(
                "indicators",
                format!(
                    "'{}' is not an expected direction (use up, down or stable)",
                    s.trim()
                ),
            )),
        }
    }
    /// How a value moved from `before` to `after` (stable within [`STABLE_TOLERANCE`]).
    pub fn observed(before: f64, after: f64) -> Movement {
        let d = after - before;
        if d.abs() <= STABLE_TOLERANCE * before.abs() {
            Movement::Stable
        } else if d > 0.0 {
            Movement::Up
        } else {
            Movement::Down
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DecisionIndicator {
    pub indicator: String,
    /// In the requested language.
    pub name: String,
    pub lens: Lens,
    pub expected: Movement,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Decision {
    pub id: i64,
    pub title: String,
    pub decided_on: String,
    pub decided_by: String,
    pub options_considered: String,
    pub expected_social: String,
    pub expected_financial: String,
    pub review_on: String,
    pub reviewed_on: Option<String>,
    pub reviewer: String,
    pub observed_social: String,
    pub observed_financial: String,
    pub indicators: Vec<DecisionIndicator>,
    pub reviewed: bool,
    /// The review date has come and the decision is not reviewed.
    pub due_for_review: bool,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewDecisionIndicator {
    /// Indicator code.
    pub indicator: String,
    /// social or financial.
    pub lens: String,
    /// up, down or stable.
    pub expected: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct NewDecision {
    pub title: String,
    /// YYYY-MM-DD, not in the future.
    pub decided_on: String,
    pub decided_by: String,
    #[serde(default)]
    pub options_considered: String,
    /// Both effects are required: practice 5 weighs both lenses ("none expected" is an answer).
    pub expected_social: String,
    pub expected_financial: String,
    /// YYYY-MM-DD, on or after the decision date.
    pub review_on: String,
    #[serde(default)]
    pub indicators: Vec<NewDecisionIndicator>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct DecisionReviewInput {
    /// YYYY-MM-DD; default today. Not before the decision, not in the future.
    #[serde(default)]
    pub reviewed_on: Option<String>,
    pub reviewer: String,
    pub observed_social: String,
    pub observed_financial: String,
}

/// A linked indicator before and after the decision.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IndicatorEffect {
    pub code: String,
    pub name: String,
    pub lens: Lens,
    pub expected: Movement,
    pub unit: String,
    pub direction: Direction,
    /// The engine's value for the quarter before the decision (whole institution).
    pub before: IndicatorValue,
    /// The engine's value for the "after" quarter; `None` when there is none yet.
    pub after: Option<IndicatorValue>,
    /// after − before.
    pub change: Option<f64>,
    pub observed: Option<Movement>,
    /// The observed movement is the expected one.
    pub as_expected: Option<bool>,
    /// The movement is good for the indicator's direction (`None` when stable or unknown).
    pub favourable: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DecisionEffects {
    pub decision: Decision,
    /// The date the "after" quarter was chosen for: the review date, else today.
    pub reference_date: String,
    pub before_period: Period,
    pub after_period: Option<Period>,
    /// Why there is no "after" quarter.
    pub after_reason: Option<String>,
    pub indicators: Vec<IndicatorEffect>,
}

const COLS: &str = "id, title, decided_on, decided_by, options_considered, expected_social, expected_financial, review_on, reviewed_on, reviewer, observed_social, observed_financial";

fn read(conn: &Connection, id: Option<i64>, today: &str, lang: Language) -> Result<Vec<Decision>> {
    let sql = match id {
        Some(_) => format!("SELECT {COLS} FROM decision WHERE id = ?1"),
        None => format!("SELECT {COLS} FROM decision ORDER BY review_on, id"),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let map = |r: &rusqlite::Row<'_>| {
        let reviewed_on: Option<String> = r.get(8)?;
        let review_on: String = r.get(7)?;
        Ok(Decision {
            id: r.get(0)?,
            title: r.get(1)?,
            decided_on: r.get(2)?,
            decided_by: r.get(3)?,
            options_considered: r.get(4)?,
            expected_social: r.get(5)?,
            expected_financial: r.get(6)?,
            reviewed: reviewed_on.is_some(),
            due_for_review: reviewed_on.is_none() && review_on.as_str() <= today,
            review_on,
            reviewed_on,
            reviewer: r.get(9)?,
            observed_social: r.get(10)?,
            observed_financial: r.get(11)?,
            indicators: Vec::new(),
        })
    };
    let mut out: Vec<Decision> = match id {
        Some(i) => stmt.query_map([i], map)?.collect::<rusqlite::Result<_>>()?,
        None => stmt.query_map([], map)?.collect::<rusqlite::Result<_>>()?,
    };
    let inds = crate::repo::indicators(conn)?;
    let mut links = conn.prepare_cached(
        "SELECT indicator_id, lens, expected FROM decision_indicator WHERE decision_id = ?1",
    )?;
    for d in &mut out {
        let rows = links
            .query_map([d.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (iid, lens, expected) in rows {
            let Some(ind) = inds.iter().find(|i| i.id == iid) else {
                continue;
            };
            d.indicators.push(DecisionIndicator {
                indicator: ind.code.clone(),
                name: ind.name.get(lang).to_string(),
                lens: Lens::parse(&lens)?,
                expected: Movement::parse(&expected)?,
            });
        }
        // Social lens first, then by indicator code.
        d.indicators.sort_by(|a, b| {
            (a.lens != Lens::Social, &a.indicator).cmp(&(b.lens != Lens::Social, &b.indicator))
        });
    }
    Ok(out)
}

fn get(conn: &Connection, id: i64, today: &str, lang: Language) -> Result<Decision> {
    read(conn, Some(id), today, lang)?
        .into_iter()
        .next()
        .ok_or_else(|| CoreError::not_found(format!("there is no decision {id}")))
}

/// Decisions: due for review first, then the others not reviewed by review date, then the
/// reviewed ones. `due_only` keeps the decisions due for review.
pub fn decision_list(
    store: &Store,
    due_only: bool,
    today: Option<&str>,
    lang: Option<Language>,
) -> Result<Vec<Decision>> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    let today = resolve_today(today)?;
    let mut v: Vec<Decision> = read(conn, None, &today, lang)?
        .into_iter()
        .filter(|d| !due_only || d.due_for_review)
        .collect();
    v.sort_by(|a, b| {
        (a.reviewed, !a.due_for_review, &a.review_on, a.id).cmp(&(
            b.reviewed,
            !b.due_for_review,
            &b.review_on,
            b.id,
        ))
    });
    Ok(v)
}

/// Logs a decision with its expected effects and linked indicators.
pub fn decision_add(
    store: &mut Store,
    d: &NewDecision,
    today: Option<&str>,
    lang: Option<Language>,
) -> Result<Decision> {
    let conn = store.conn();
    crate::repo::organisation(conn)?;
    let today_s = resolve_today(today)?;
    let title =
        crate::model::validate_name("the decision", &d.title).map_err(|e| e.on_field("title"))?;
    let decided_on =
        validate_date("the decision date", &d.decided_on).map_err(|e| e.on_field("decided_on"))?;
    if decided_on > today_s {
        return Err(CoreError::field(
            "decided_on",
            format!(
                "the decision date {decided_on} is in the future: log a decision once it is taken"
            ),
        ));
    }
    let decided_by = crate::model::validate_name("who decided", &d.decided_by)
        .map_err(|e| e.on_field("decided_by"))?;
    let options = free_text(
        "options_considered",
        "the options considered",
        &d.options_considered,
    )?;
    let social = required_text(
        "expected_social",
        "the expected social effect (practice 5 weighs both lenses; write 'none expected' if so)",
        &d.expected_social,
    )?;
    let financial = required_text(
        "expected_financial",
        "the expected financial effect (practice 5 weighs both lenses; write 'none expected' if so)",
        &d.expected_financial,
    )?;
    let review_on =
        validate_date("the review date", &d.review_on).map_err(|e| e.on_field("review_on"))?;
    if review_on < decided_on {
        return Err(CoreError::field(
            "review_on",
            format!("the review date {review_on} is before the decision date {decided_on}"),
        ));
    }
    let inds = crate::repo::indicators(conn)?;
    let mut links: Vec<(i64, String, Lens, Movement)> = Vec::new();
    for l in &d.indicators {
        let code = l.indicator.trim();
        let ind = inds.iter().find(|i| i.code == code).ok_or_else(|| {
            CoreError::field(
                "indicators",
                format!("there is no indicator '{code}' (see `mizani indicators`)"),
            )
        })?;
        if links.iter().any(|x| x.0 == ind.id) {
            return Err(CoreError::field(
                "indicators",
                format!("indicator '{code}' is linked twice"),
            ));
        }
        links.push((
            ind.id,
            ind.code.clone(),
            Lens::parse(&l.lens)?,
            Movement::parse(&l.expected)?,
        ));
    }
    let id = store.write("add decision", |w| {
        let id = w.insert(
            &DECISION,
            &[
                ("title", Value::Text(title.clone())),
                ("decided_on", Value::Text(decided_on.clone())),
                ("decided_by", Value::Text(decided_by.clone())),
                ("options_considered", Value::Text(options.clone())),
                ("expected_social", Value::Text(social.clone())),
                ("expected_financial", Value::Text(financial.clone())),
                ("review_on", Value::Text(review_on.clone())),
            ],
            None,
        )?;
        for (iid, code, lens, expected) in &links {
            w.set(
                &DECISION_INDICATOR,
                &[Value::Integer(id), Value::Integer(*iid)],
                &format!("decision {id}/{code}"),
                &[
                    ("lens", Value::Text(lens.as_str().into())),
                    ("expected", Value::Text(expected.as_str().into())),
                ],
            )?;
        }
        Ok(id)
    })?;
    let lang = lang_or_org(store.conn(), lang)?;
    get(store.conn(), id, &today_s, lang)
}

/// The last day of a period, `YYYY-MM-DD`.
fn last_day(p: &Period) -> String {
    let next = p.last_month().plus(1);
    chrono::NaiveDate::from_ymd_opt(next.year(), next.month(), 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn month_of_date(d: &str) -> Result<Month> {
    Month::parse(d.get(..7).unwrap_or(d))
}

/// The last month holding any figure (one index probe per element).
fn last_data_month(conn: &Connection) -> Result<Option<Month>> {
    let m: Option<i32> = conn
        .query_row(
            "SELECT max(m) FROM (SELECT (SELECT max(month) FROM measurement WHERE element_id = e.id) AS m FROM data_element e)",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(m.map(Month))
}

/// (before quarter, after quarter or why none).
pub fn review_periods(
    conn: &Connection,
    decided_on: &str,
    reference: &str,
) -> Result<(Period, std::result::Result<Period, String>)> {
    let decided = Period::containing(PeriodKind::Quarter, month_of_date(decided_on)?);
    let before = decided.shift(-1);
    let mut q_ref = Period::containing(PeriodKind::Quarter, month_of_date(reference)?);
    if reference < last_day(&q_ref).as_str() {
        q_ref = q_ref.shift(-1);
    }
    let Some(last) = last_data_month(conn)? else {
        return Ok((before, Err("there are no figures in the database".into())));
    };
    let mut q_data = Period::containing(PeriodKind::Quarter, last);
    if q_data.last_month() != last {
        q_data = q_data.shift(-1);
    }
    let after = if q_data.first_month() < q_ref.first_month() {
        q_data
    } else {
        q_ref
    };
    if after.first_month() <= before.first_month() {
        return Ok((
            before,
            Err(format!(
                "no complete quarter with data since the decision yet (as of {reference}, the last complete quarter with data is {after})"
            )),
        ));
    }
    Ok((before, Ok(after)))
}

fn effects(
    conn: &Connection,
    d: Decision,
    reference: String,
    lang: Language,
) -> Result<DecisionEffects> {
    let (before, after) = review_periods(conn, &d.decided_on, &reference)?;
    let (after_period, after_reason) = match after {
        Ok(p) => (Some(p), None),
        Err(r) => (None, Some(r)),
    };
    let engine = Engine::new(conn)?.with_language(lang);
    let sb = engine::resolve_scope(conn, &Scope::Org)?;
    let mut periods = vec![before];
    periods.extend(after_period);
    let mut out = Vec::new();
    for l in &d.indicators {
        let ind = crate::repo::indicator(conn, &l.indicator)?;
        let compiled = engine.compile(&ind)?;
        let mut vals = engine
            .compute(&sb, std::slice::from_ref(&compiled), &periods)?
            .remove(0);
        let after_v = (vals.len() > 1).then(|| vals.remove(1));
        let before_v = vals.remove(0);
        let both = before_v.value.zip(after_v.as_ref().and_then(|a| a.value));
        let observed = both.map(|(b, a)| Movement::observed(b, a));
        out.push(IndicatorEffect {
            code: l.indicator.clone(),
            name: l.name.clone(),
            lens: l.lens,
            expected: l.expected,
            unit: ind.unit.clone(),
            direction: ind.direction,
            change: both.map(|(b, a)| a - b),
            as_expected: observed.map(|o| o == l.expected),
            favourable: observed.and_then(|o| match (o, ind.direction) {
                (Movement::Stable, _) => None,
                (Movement::Up, Direction::Higher) | (Movement::Down, Direction::Lower) => {
                    Some(true)
                }
                _ => Some(false),
            }),
            observed,
            before: before_v,
            after: after_v,
        });
    }
    Ok(DecisionEffects {
        decision: d,
        reference_date: reference,
        before_period: before,
        after_period,
        after_reason,
        indicators: out,
    })
}

/// A decision with its linked indicators before vs after (see the module notes).
pub fn decision_get(
    store: &Store,
    id: i64,
    today: Option<&str>,
    lang: Option<Language>,
) -> Result<DecisionEffects> {
    let conn = store.conn();
    let lang = lang_or_org(conn, lang)?;
    let today = resolve_today(today)?;
    let d = get(conn, id, &today, lang)?;
    let reference = d.reviewed_on.clone().unwrap_or(today);
    effects(conn, d, reference, lang)
}

/// Records the review: who, when, and the observed social and financial effects. A reviewed
/// decision can be reviewed again (the audit trail keeps the earlier review).
pub fn decision_review(
    store: &mut Store,
    id: i64,
    r: &DecisionReviewInput,
    today: Option<&str>,
    lang: Option<Language>,
) -> Result<DecisionEffects> {
    let conn = store.conn();
    let lang_v = lang_or_org(conn, lang)?;
    let today_s = resolve_today(today)?;
    let d = get(conn, id, &today_s, lang_v)?;
    let reviewed_on = match r
        .reviewed_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => validate_date("the review date", s).map_err(|e| e.on_field("reviewed_on"))?,
        None => today_s.clone(),
    };
    if reviewed_on < d.decided_on {
        return Err(CoreError::field(
            "reviewed_on",
            format!(
                "the review date {reviewed_on} is before the decision date {}",
                d.decided_on
            ),
        ));
    }
    if reviewed_on > today_s {
        return Err(CoreError::field(
            "reviewed_on",
            format!("the review date {reviewed_on} is in the future"),
        ));
    }
    let reviewer = crate::model::validate_name("the reviewer", &r.reviewer)
        .map_err(|e| e.on_field("reviewer"))?;
    let social = required_text(
        "observed_social",
        "the observed social effect",
        &r.observed_social,
    )?;
    let financial = required_text(
        "observed_financial",
        "the observed financial effect",
        &r.observed_financial,
    )?;
    store.write(&format!("review decision {id}"), |w| {
        w.update(
            &DECISION,
            &[Value::Integer(id)],
            &format!("decision {id}"),
            &[
                ("reviewed_on", Value::Text(reviewed_on.clone())),
                ("reviewer", Value::Text(reviewer.clone())),
                ("observed_social", Value::Text(social.clone())),
                ("observed_financial", Value::Text(financial.clone())),
            ],
        )
    })?;
    decision_get(store, id, Some(&today_s), lang)
}
