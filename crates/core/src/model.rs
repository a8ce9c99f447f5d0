//! Domain types of social performance management, as read from the store.

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        pub enum $name { $(#[serde(rename = $s)] $var),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$var => $s),+ } }
            pub fn parse(s: &str) -> Result<$name> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($s) { return Ok($name::$var); })+
                let all: Vec<&str> = vec![$($s),+];
                Err(CoreError::invalid(format!("'{}' is not a valid {} (use one of: {})", s, $what, all.join(", "))))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

code_enum!(
    /// How a data element aggregates over time.
    ElementKind, "element kind" { Stock = "stock", Flow = "flow" }
);
code_enum!(
    /// What a data element counts.
    ElementUnit, "element unit" { Count = "count", Currency = "currency", Number = "number" }
);
code_enum!(
    /// Whether a higher or a lower value is better.
    Direction, "direction" { Higher = "higher", Lower = "lower" }
);
code_enum!(
    /// Indicator families shown side by side (the dual bottom line).
    Category, "category" {
        Social = "social",
        Financial = "financial",
        ClientProtection = "client_protection",
        Environmental = "environmental",
    }
);
code_enum!(
    /// Interface language.
    Language, "language" { En = "en", Fr = "fr", Es = "es" }
);
code_enum!(
    /// The seven dimensions of the Universal Standards for Social and Environmental
    /// Performance Management (v3, 2022).
    Dimension, "Universal Standards dimension" {
        SocialStrategy = "social_strategy",
        CommittedLeadership = "committed_leadership",
        ClientCentredProducts = "client_centred_products",
        ClientProtection = "client_protection",
        ResponsibleHr = "responsible_hr",
        ResponsibleGrowth = "responsible_growth",
        Environmental = "environmental",
    }
);

/// The five SPM practices (1–5) an objective can serve.
pub const PRACTICES: [&str; 5] = [
    "Define and monitor social goals",
    "Build systems for social responsibility and client protection",
    "Track, understand and report",
    "Align business processes",
    "Decide with both social and financial lenses",
];

/// Three-letter ISO 4217 style currency code.
pub fn validate_currency(c: &str) -> Result<String> {
    let t = c.trim().to_ascii_uppercase();
    if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(CoreError::invalid(format!(
            "currency '{c}' must be a three-letter ISO code such as XOF, USD or PEN"
        )));
    }
    Ok(t)
}

/// Two-letter ISO 3166 style country code.
pub fn validate_country(c: &str) -> Result<String> {
    let t = c.trim().to_ascii_uppercase();
    if t.len() != 2 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(CoreError::invalid(format!(
            "country '{c}' must be a two-letter ISO code such as SN, PE or KE"
        )));
    }
    Ok(t)
}

/// Codes of branches, elements and indicators: letters, digits, `_` and `-`, 1–32 chars.
pub fn validate_code(what: &str, c: &str) -> Result<String> {
    let t = c.trim();
    if t.is_empty()
        || t.len() > 32
        || !t
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(CoreError::invalid(format!(
            "{what} code '{c}' must be 1 to 32 letters, digits, '_' or '-' (no spaces)"
        )));
    }
    Ok(t.to_string())
}

pub fn validate_name(what: &str, n: &str) -> Result<String> {
    let t = n.trim();
    if t.is_empty() {
        return Err(CoreError::invalid(format!("{what} must not be empty")));
    }
    if t.chars().count() > 200 {
        return Err(CoreError::invalid(format!(
            "{what} is longer than 200 characters"
        )));
    }
    Ok(t.to_string())
}

/// `YYYY-MM-DD`.
pub fn validate_date(what: &str, d: &str) -> Result<String> {
    chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
        .map(|x| x.format("%Y-%m-%d").to_string())
        .map_err(|_| {
            CoreError::invalid(format!(
                "{what} '{d}' is not a date; write it as YYYY-MM-DD"
            ))
        })
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Organisation {
    pub uid: String,
    pub name: String,
    pub country: Option<String>,
    pub currency: String,
    pub language: Language,
    pub gni_per_capita: Option<f64>,
    pub mission: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Region {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Branch {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    pub active: bool,
}

/// A name in the three interface languages.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Names {
    pub en: String,
    #[serde(default)]
    pub fr: Option<String>,
    #[serde(default)]
    pub es: Option<String>,
}

impl Names {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Fr => self.fr.as_deref().unwrap_or(&self.en),
            Language::Es => self.es.as_deref().unwrap_or(&self.en),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DataElement {
    pub id: i64,
    pub code: String,
    pub name: Names,
    pub description: String,
    pub unit: ElementUnit,
    pub kind: ElementKind,
    pub allow_negative: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Indicator {
    pub id: i64,
    pub code: String,
    pub name: Names,
    pub description: String,
    pub numerator: String,
    pub denominator: String,
    pub factor: f64,
    pub unit: String,
    pub direction: Direction,
    pub green: Option<f64>,
    pub red: Option<f64>,
    pub category: Category,
    pub annualise: bool,
    pub formula_version: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Target {
    pub period: String,
    pub branch: Option<String>,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ObjectiveIndicator {
    pub indicator: String,
    pub baseline_value: Option<f64>,
    pub baseline_period: Option<String>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Objective {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub practice: u8,
    pub dimension: Dimension,
    pub owner: String,
    pub start_date: String,
    pub end_date: String,
    pub archived: bool,
    pub activities: Vec<String>,
    pub indicators: Vec<ObjectiveIndicator>,
}
