//! The built-in catalogue of data elements and indicators (assets/catalogue/*.json), and the
//! validated write of element and indicator definitions (used by the catalogue, the API and
//! the demo alike). Changing an indicator's formula bumps its formula version and keeps the
//! old formula in `indicator_formula`.

use crate::error::{CoreError, ErrorCode, Result};
use crate::expr::{Access, Expr};
use crate::model::*;
use crate::store::{WriteTx, DATA_ELEMENT, INDICATOR, INDICATOR_FORMULA};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde::Deserialize;
use ts_rs::TS;

const ELEMENTS_JSON: &str = include_str!("../../../assets/catalogue/elements.json");
const INDICATORS_JSON: &str = include_str!("../../../assets/catalogue/indicators.json");

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ElementDef {
    pub code: String,
    pub kind: ElementKind,
    pub unit: ElementUnit,
    pub name: Names,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub allow_negative: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct IndicatorDef {
    pub code: String,
    pub category: Category,
    pub numerator: String,
    pub denominator: String,
    pub factor: f64,
    pub unit: String,
    pub direction: Direction,
    #[serde(default)]
    pub green: Option<f64>,
    #[serde(default)]
    pub red: Option<f64>,
    #[serde(default)]
    pub annualise: bool,
    pub name: Names,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize, TS)]
struct ElementsFile {
    elements: Vec<ElementDef>,
}
#[derive(Deserialize, TS)]
struct IndicatorsFile {
    indicators: Vec<IndicatorDef>,
}

pub fn builtin_elements() -> Result<Vec<ElementDef>> {
    let f: ElementsFile = serde_json::from_str(ELEMENTS_JSON).map_err(|e| {
        CoreError::new(
            ErrorCode::Database,
            format!("built-in element catalogue: {e}"),
        )
    })?;
    Ok(f.elements)
}

pub fn builtin_indicators() -> Result<Vec<IndicatorDef>> {
    let f: IndicatorsFile = serde_json::from_str(INDICATORS_JSON).map_err(|e| {
        CoreError::new(
            ErrorCode::Database,
            format!("built-in indicator catalogue: {e}"),
        )
    })?;
    Ok(f.indicators)
}

/// Installs the built-in catalogue (at `init`).
pub fn install_builtin(w: &mut WriteTx<'_>) -> Result<()> {
    for e in builtin_elements()? {
        define_element(w, &e, true)?;
    }
    for i in builtin_indicators()? {
        define_indicator(w, &i, true)?;
    }
    Ok(())
}

fn opt_text(s: &Option<String>) -> Value {
    match s {
        Some(t) if !t.trim().is_empty() => Value::Text(t.trim().to_string()),
        _ => Value::Null,
    }
}

/// Creates or updates a data element. The kind of an element with data cannot change
/// (it would silently change every number computed from it).
pub fn define_element(w: &mut WriteTx<'_>, e: &ElementDef, builtin: bool) -> Result<i64> {
    let code = validate_code("data element", &e.code)?;
    let name = validate_name("element name", &e.name.en)?;
    let existing: Option<(i64, String)> = w
        .conn()
        .query_row(
            "SELECT id, kind FROM data_element WHERE code = ?1",
            [&code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let fields = [
        ("code", Value::Text(code.clone())),
        ("name", Value::Text(name)),
        ("name_fr", opt_text(&e.name.fr)),
        ("name_es", opt_text(&e.name.es)),
        ("description", Value::Text(e.description.trim().to_string())),
        ("unit", Value::Text(e.unit.as_str().into())),
        ("kind", Value::Text(e.kind.as_str().into())),
        ("allow_negative", Value::Integer(e.allow_negative as i64)),
        ("builtin", Value::Integer(builtin as i64)),
    ];
    match existing {
        None => w.insert(&DATA_ELEMENT, &fields, Some(&code)),
        Some((id, kind)) => {
            if kind != e.kind.as_str() {
                let has_data: bool = w.conn().query_row(
                    "SELECT EXISTS (SELECT 1 FROM measurement WHERE element_id = ?1)",
                    [id],
                    |r| r.get(0),
                )?;
                if has_data {
                    return Err(CoreError::conflict(format!(
                        "data element '{code}' already has data as a {kind}; its kind cannot change"
                    )));
                }
            }
            w.set(&DATA_ELEMENT, &[Value::Integer(id)], &code, &fields)?;
            Ok(id)
        }
    }
}

/// Kind of each known element, for formula validation.
pub fn element_kinds(
    conn: &rusqlite::Connection,
) -> Result<std::collections::HashMap<String, ElementKind>> {
    let mut stmt = conn.prepare_cached("SELECT code, kind FROM data_element")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let (code, kind) = row?;
        out.insert(code, ElementKind::parse(&kind)?);
    }
    Ok(out)
}

/// Parses a formula and checks it against the known elements: every code exists, and
/// `opening()` / `avg()` are only applied to stocks.
pub fn validate_formula(
    src: &str,
    kinds: &std::collections::HashMap<String, ElementKind>,
) -> Result<Expr> {
    let e = Expr::parse(src)?;
    for (code, access, pos) in e.refs() {
        let bad = |msg: String| crate::expr::formula_error(src, pos, msg);
        match kinds.get(code) {
            None => return Err(bad(format!("'{code}' is not a data element code"))),
            Some(ElementKind::Flow) if access != Access::Value => {
                let f = if access == Access::Opening {
                    "opening"
                } else {
                    "avg"
                };
                return Err(bad(format!(
                    "{f}() applies to stocks, but '{code}' is a flow (flows are summed over the period)"
                )));
            }
            _ => {}
        }
    }
    Ok(e)
}

/// The normalised, validated parts of an indicator definition.
pub struct CheckedIndicator {
    pub code: String,
    pub name: String,
    /// Canonical forms of the formulas.
    pub numerator: String,
    pub denominator: String,
    pub unit: String,
}

/// Validates an indicator definition; errors name the form field (`code`, `name`,
/// `numerator`, `denominator` with the position, `factor`, `green`, `red`, `unit`).
pub fn check_indicator(
    d: &IndicatorDef,
    kinds: &std::collections::HashMap<String, ElementKind>,
) -> Result<CheckedIndicator> {
    let code = validate_code("indicator", &d.code).map_err(|e| e.on_field("code"))?;
    let name = validate_name("indicator name", &d.name.en).map_err(|e| e.on_field("name"))?;
    let numerator = validate_formula(&d.numerator, kinds)
        .map_err(|e| e.on_field("numerator"))?
        .to_string();
    let denominator = validate_formula(&d.denominator, kinds)
        .map_err(|e| e.on_field("denominator"))?
        .to_string();
    if !d.factor.is_finite() || d.factor == 0.0 {
        return Err(CoreError::field(
            "factor",
            format!("factor {} must be a non-zero number", d.factor),
        ));
    }
    for (field, t) in [("green", d.green), ("red", d.red)] {
        if let Some(v) = t {
            if !v.is_finite() {
                return Err(CoreError::field(
                    field,
                    format!("the {field} threshold must be a number"),
                ));
            }
        }
    }
    if let (Some(g), Some(r)) = (d.green, d.red) {
        let ok = match d.direction {
            Direction::Higher => g >= r,
            Direction::Lower => g <= r,
        };
        if !ok {
            return Err(CoreError::field(
                "green",
                format!(
                    "thresholds contradict the direction: when {} is better, green ({g}) must be {} red ({r})",
                    d.direction,
                    if d.direction == Direction::Higher { "at least" } else { "at most" }
                ),
            ));
        }
    }
    let unit = validate_name("indicator unit", &d.unit).map_err(|e| e.on_field("unit"))?;
    Ok(CheckedIndicator {
        code,
        name,
        numerator,
        denominator,
        unit,
    })
}

/// Creates or updates an indicator. A change of numerator, denominator, factor or annualise
/// bumps `formula_version` and records the new formula in `indicator_formula`.
pub fn define_indicator(w: &mut WriteTx<'_>, d: &IndicatorDef, builtin: bool) -> Result<i64> {
    let kinds = element_kinds(w.conn())?;
    let v = check_indicator(d, &kinds)?;
    let (code, name, num, den, unit) = (v.code, v.name, v.numerator, v.denominator, v.unit);
    let existing: Option<(i64, String, String, f64, bool, i64)> = w
        .conn()
        .query_row(
            "SELECT id, numerator, denominator, factor, annualise, formula_version FROM indicator WHERE code = ?1",
            [&code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let mut fields = vec![
        ("code", Value::Text(code.clone())),
        ("name", Value::Text(name)),
        ("name_fr", opt_text(&d.name.fr)),
        ("name_es", opt_text(&d.name.es)),
        ("description", Value::Text(d.description.trim().to_string())),
        ("numerator", Value::Text(num.clone())),
        ("denominator", Value::Text(den.clone())),
        ("factor", Value::Real(d.factor)),
        ("unit", Value::Text(unit)),
        ("direction", Value::Text(d.direction.as_str().into())),
        ("green", d.green.map(Value::Real).unwrap_or(Value::Null)),
        ("red", d.red.map(Value::Real).unwrap_or(Value::Null)),
        ("category", Value::Text(d.category.as_str().into())),
        ("annualise", Value::Integer(d.annualise as i64)),
    ];
    // Editing a built-in indicator keeps it marked built-in.
    if builtin || existing.is_none() {
        fields.push(("builtin", Value::Integer(builtin as i64)));
    }
    let (id, version) = match existing {
        None => {
            fields.push(("formula_version", Value::Integer(1)));
            (w.insert(&INDICATOR, &fields, Some(&code))?, Some(1))
        }
        Some((id, n, dd, f, a, v)) => {
            let changed = n != num || dd != den || f != d.factor || a != d.annualise;
            let version = if changed { v + 1 } else { v };
            fields.push(("formula_version", Value::Integer(version)));
            w.set(&INDICATOR, &[Value::Integer(id)], &code, &fields)?;
            (id, changed.then_some(version))
        }
    };
    if let Some(version) = version {
        let label = format!("{code} v{version}");
        let (now, user) = (w.now(), w.user().to_string());
        w.set(
            &INDICATOR_FORMULA,
            &[Value::Integer(id), Value::Integer(version)],
            &label,
            &[
                ("numerator", Value::Text(num)),
                ("denominator", Value::Text(den)),
                ("factor", Value::Real(d.factor)),
                ("annualise", Value::Integer(d.annualise as i64)),
                ("changed_at", Value::Integer(now)),
                ("changed_by", Value::Text(user)),
            ],
        )?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_has_the_required_codes() {
        let els: Vec<String> = builtin_elements()
            .expect("parses")
            .into_iter()
            .map(|e| e.code)
            .collect();
        for c in [
            "glp",
            "par30_balance",
            "active_borrowers",
            "active_women_borrowers",
            "active_rural_borrowers",
            "active_clients",
            "borrowers_3plus_lenders",
            "loan_officers",
            "staff",
            "total_assets",
            "equity",
            "new_clients",
            "loans_written_off",
            "financial_revenue",
            "portfolio_revenue",
            "financial_expense",
            "impairment_expense",
            "operating_expense",
            "net_income",
            "staff_left",
            "complaints_received",
            "complaints_resolved_on_time",
        ] {
            assert!(
                els.iter().any(|e| e == c),
                "element {c} is in the issue's required list"
            );
        }
        let inds: Vec<IndicatorDef> = builtin_indicators().expect("parses");
        for c in [
            "par30",
            "write_off_ratio",
            "oss",
            "roa",
            "roe",
            "portfolio_yield",
            "opex_ratio",
            "cost_per_borrower",
            "borrowers_per_lo",
            "women_borrowers_pct",
            "rural_borrowers_pct",
            "client_retention",
            "staff_turnover",
            "complaints_resolved_pct",
            "over_indebted_pct",
            "depth_of_outreach",
        ] {
            assert!(
                inds.iter().any(|i| i.code == c),
                "indicator {c} is in the issue's required list"
            );
        }
        for c in [
            "write_off_ratio",
            "roa",
            "roe",
            "portfolio_yield",
            "opex_ratio",
            "cost_per_borrower",
            "staff_turnover",
        ] {
            let i = inds.iter().find(|i| i.code == c).expect("present");
            assert!(i.annualise, "{c} is annualised per the issue");
        }
        for i in &inds {
            assert!(
                i.name.fr.is_some() && i.name.es.is_some(),
                "{} has fr and es names",
                i.code
            );
        }
    }
}
