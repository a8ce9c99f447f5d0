//! Periods. Measurements are monthly; indicators are computed for a month, a quarter or a year.
//! A month is stored as an integer index `year * 12 + (month - 1)` so ranges are cheap.

use crate::error::{CoreError, Result};
use serde::Serialize;
use std::fmt;

/// A calendar month as `year * 12 + month0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Result<Month> {
        if !(1..=12).contains(&month) {
            return Err(CoreError::invalid(format!(
                "month {month} is not between 1 and 12"
            )));
        }
        if !(1900..=2999).contains(&year) {
            return Err(CoreError::invalid(format!(
                "year {year} is not between 1900 and 2999"
            )));
        }
        Ok(Month(year * 12 + month as i32 - 1))
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    /// 1..=12
    pub fn month(self) -> u32 {
        (self.0.rem_euclid(12) + 1) as u32
    }
    pub fn prev(self) -> Month {
        Month(self.0 - 1)
    }
    pub fn plus(self, n: i32) -> Month {
        Month(self.0 + n)
    }
    /// Parses exactly `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Month> {
        match Period::parse(s)? {
            Period::Month(m) => Ok(m),
            _ => Err(CoreError::invalid(format!(
                "'{s}' is not a month: measurements are monthly, write it as YYYY-MM (e.g. 2025-03)"
            ))),
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

/// A reporting period: `2025-03`, `2025-Q1` or `2025`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub enum Period {
    Month(Month),
    Quarter { year: i32, quarter: u32 },
    Year(i32),
}

impl Period {
    pub fn parse(s: &str) -> Result<Period> {
        let t = s.trim();
        let bad = || {
            CoreError::invalid(format!(
                "'{s}' is not a period: write a month as 2025-03, a quarter as 2025-Q1 or a year as 2025"
            ))
        };
        let year_of = |y: &str| -> Result<i32> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let v: i32 = y.parse().map_err(|_| bad())?;
            if !(1900..=2999).contains(&v) {
                return Err(CoreError::invalid(format!(
                    "'{s}': year {v} is not between 1900 and 2999"
                )));
            }
            Ok(v)
        };
        if let Some((y, rest)) = t.split_once('-') {
            let year = year_of(y)?;
            if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
                let quarter: u32 = match q {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return Err(bad()),
                };
                return Ok(Period::Quarter { year, quarter });
            }
            if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let m: u32 = rest.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&m) {
                return Err(CoreError::invalid(format!(
                    "'{s}': month {m} is not between 01 and 12"
                )));
            }
            return Ok(Period::Month(Month::new(year, m)?));
        }
        Ok(Period::Year(year_of(t)?))
    }

    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Month(_) => PeriodKind::Month,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Year(_) => PeriodKind::Year,
        }
    }

    pub fn first_month(&self) -> Month {
        match *self {
            Period::Month(m) => m,
            Period::Quarter { year, quarter } => Month(year * 12 + (quarter as i32 - 1) * 3),
            Period::Year(y) => Month(y * 12),
        }
    }

    pub fn last_month(&self) -> Month {
        self.first_month().plus(self.months() as i32 - 1)
    }

    pub fn months(&self) -> u32 {
        match self {
            Period::Month(_) => 1,
            Period::Quarter { .. } => 3,
            Period::Year(_) => 12,
        }
    }

    pub fn contains(&self, m: Month) -> bool {
        m >= self.first_month() && m <= self.last_month()
    }

    /// The period of the same kind `n` steps later (negative: earlier).
    pub fn shift(&self, n: i32) -> Period {
        match *self {
            Period::Month(m) => Period::Month(m.plus(n)),
            Period::Quarter { year, quarter } => {
                let idx = year * 4 + quarter as i32 - 1 + n;
                Period::Quarter {
                    year: idx.div_euclid(4),
                    quarter: (idx.rem_euclid(4) + 1) as u32,
                }
            }
            Period::Year(y) => Period::Year(y + n),
        }
    }

    /// The period of the given kind that contains month `m`.
    pub fn containing(kind: PeriodKind, m: Month) -> Period {
        match kind {
            PeriodKind::Month => Period::Month(m),
            PeriodKind::Quarter => Period::Quarter {
                year: m.year(),
                quarter: (m.month() - 1) / 3 + 1,
            },
            PeriodKind::Year => Period::Year(m.year()),
        }
    }

    /// Number of whole steps from `self` to `other` (same kind assumed, measured by first month).
    pub fn steps_to(&self, other: &Period) -> f64 {
        let d = (other.first_month().0 - self.first_month().0) as f64;
        d / self.months() as f64
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => write!(f, "{m}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds() {
        let q = Period::parse("2025-Q2").expect("valid quarter");
        assert_eq!(q.first_month().to_string(), "2025-04", "Q2 starts in April");
        assert_eq!(q.last_month().to_string(), "2025-06", "Q2 ends in June");
        let y = Period::parse("2024").expect("valid year");
        assert_eq!(y.months(), 12, "a year has 12 months");
        assert_eq!(
            Period::parse("2025-03").expect("month").to_string(),
            "2025-03"
        );
    }

    #[test]
    fn rejects_malformed_periods_with_a_hint() {
        for bad in [
            "2025-13", "2025-Q5", "25-03", "2025/03", "", "2025-3", "abcd",
        ] {
            let e = Period::parse(bad).expect_err(bad);
            assert!(
                e.message.contains(bad) || bad.is_empty(),
                "message names the input: {e}"
            );
        }
    }

    #[test]
    fn shifting_crosses_year_boundaries() {
        let q1 = Period::parse("2025-Q1").expect("quarter");
        assert_eq!(
            q1.shift(-1).to_string(),
            "2024-Q4",
            "the quarter before Q1 is last year's Q4"
        );
        assert_eq!(
            q1.shift(4).to_string(),
            "2026-Q1",
            "four quarters is a year"
        );
        let jan = Period::parse("2025-01").expect("month");
        assert_eq!(jan.shift(-1).to_string(), "2024-12");
        assert_eq!(
            jan.first_month().prev().to_string(),
            "2024-12",
            "opening month of January"
        );
    }
}
