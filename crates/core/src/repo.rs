//! Reads of the domain model. (Writes live in `catalogue` and `api` and go through
//! `Store::write`.)

use crate::error::{CoreError, ErrorCode, Result};
use crate::model::*;
use rusqlite::{Connection, OptionalExtension};

pub fn organisation(conn: &Connection) -> Result<Organisation> {
    let org = conn
        .query_row(
            "SELECT uid, name, country, currency, language, gni_per_capita, mission, org_values FROM organisation WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((uid, name, country, currency, language, gni, mission, values)) = org else {
        return Err(CoreError::new(
            ErrorCode::NotInitialised,
            "this database has no institution yet: run `mizani init --org NAME --currency CODE` or `mizani demo`",
        ));
    };
    Ok(Organisation {
        uid,
        name,
        country,
        currency,
        language: Language::parse(&language)?,
        gni_per_capita: gni,
        mission,
        values: serde_json::from_str(&values).unwrap_or_default(),
    })
}

pub fn is_initialised(conn: &Connection) -> Result<bool> {
    Ok(
        conn.query_row("SELECT EXISTS (SELECT 1 FROM organisation)", [], |r| {
            r.get(0)
        })?,
    )
}

pub fn regions(conn: &Connection) -> Result<Vec<Region>> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM region ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(Region {
            id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn branches(conn: &Connection) -> Result<Vec<Branch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.id, b.code, b.name, r.name, b.active FROM branch b LEFT JOIN region r ON r.id = b.region_id ORDER BY b.code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Branch {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            region: r.get(3)?,
            active: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn elements(conn: &Connection) -> Result<Vec<DataElement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, code, name, name_fr, name_es, description, unit, kind, allow_negative FROM data_element ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            Names {
                en: r.get(2)?,
                fr: r.get(3)?,
                es: r.get(4)?,
            },
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, code, name, description, unit, kind, allow_negative) = row?;
        out.push(DataElement {
            id,
            code,
            name,
            description,
            unit: ElementUnit::parse(&unit)?,
            kind: ElementKind::parse(&kind)?,
            allow_negative,
        });
    }
    Ok(out)
}

pub fn indicators(conn: &Connection) -> Result<Vec<Indicator>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, code, name, name_fr, name_es, description, numerator, denominator, factor, unit, direction, green, red, category, annualise, formula_version FROM indicator ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get::<_, i64>(0)?, r.get::<_, String>(1)?),
            Names {
                en: r.get(2)?,
                fr: r.get(3)?,
                es: r.get(4)?,
            },
            (
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ),
            (
                r.get::<_, f64>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ),
            (r.get::<_, Option<f64>>(11)?, r.get::<_, Option<f64>>(12)?),
            (
                r.get::<_, String>(13)?,
                r.get::<_, bool>(14)?,
                r.get::<_, i64>(15)?,
            ),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            (id, code),
            name,
            (description, numerator, denominator),
            (factor, unit, dir),
            (green, red),
            (cat, annualise, formula_version),
        ) = row?;
        out.push(Indicator {
            id,
            code,
            name,
            description,
            numerator,
            denominator,
            factor,
            unit,
            direction: Direction::parse(&dir)?,
            green,
            red,
            category: Category::parse(&cat)?,
            annualise,
            formula_version,
        });
    }
    Ok(out)
}

pub fn indicator(conn: &Connection, code: &str) -> Result<Indicator> {
    indicators(conn)?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or_else(|| CoreError::not_found(format!("there is no indicator '{code}'")))
}

pub fn objectives(conn: &Connection, include_archived: bool) -> Result<Vec<Objective>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, description, practice, dimension, owner, start_date, end_date, archived FROM objective ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, u8>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, title, description, practice, dimension, owner, start_date, end_date, archived) =
            row?;
        if archived && !include_archived {
            continue;
        }
        out.push(Objective {
            id,
            title,
            description,
            practice,
            dimension: Dimension::parse(&dimension)?,
            owner,
            start_date,
            end_date,
            archived,
            activities: Vec::new(),
            indicators: Vec::new(),
        });
    }
    let mut acts = conn.prepare_cached(
        "SELECT text FROM objective_activity WHERE objective_id = ?1 ORDER BY position, id",
    )?;
    let mut links = conn.prepare_cached(
        "SELECT oi.id, i.code, oi.baseline_value, oi.baseline_period FROM objective_indicator oi JOIN indicator i ON i.id = oi.indicator_id WHERE oi.objective_id = ?1 ORDER BY oi.id",
    )?;
    let mut targets = conn.prepare_cached(
        "SELECT t.period, b.code, t.value FROM target t LEFT JOIN branch b ON b.id = t.branch_id WHERE t.objective_indicator_id = ?1 ORDER BY t.period, b.code",
    )?;
    for o in &mut out {
        o.activities = acts
            .query_map([o.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let ls = links
            .query_map([o.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<(i64, String, Option<f64>, Option<String>)>>>()?;
        for (link_id, code, bv, bp) in ls {
            let ts = targets
                .query_map([link_id], |r| {
                    Ok(Target {
                        period: r.get(0)?,
                        branch: r.get(1)?,
                        value: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            o.indicators.push(ObjectiveIndicator {
                indicator: code,
                baseline_value: bv,
                baseline_period: bp,
                targets: ts,
            });
        }
    }
    Ok(out)
}
