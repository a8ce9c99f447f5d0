//! Reading values out of cells: accent- and case-folding for header matching, numbers in the
//! file's decimal style, and periods written in the many ways spreadsheets write months.

use super::read::Cell;
use crate::period::Month;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, every run of other characters than letters and digits made
/// one space: `"Encours brut (GLP)"` → `"encours brut glp"`, `"Période"` → `"periode"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.nfd() {
        if unicode_normalization::char::is_combining_mark(ch) {
            continue;
        }
        let piece: &str = match ch {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !piece.is_empty() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push_str(piece);
            continue;
        }
        if ch.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            for l in ch.to_lowercase() {
                out.push(l);
            }
        } else {
            space = true;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Numbers

/// How the file writes decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    /// `1234.5`, `1,234.5`
    Point,
    /// `1234,5`, `1.234,5`, `1 234,5`
    Comma,
}

/// The decimal style detected for a file (or given by the user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NumberStyle {
    pub decimal: DecimalMark,
    /// The thousands separator seen, if any (`" "` covers no-break spaces too).
    pub thousands: Option<String>,
    /// How the style was decided, for the report: e.g. "12 numbers with a decimal comma".
    pub evidence: String,
}

impl NumberStyle {
    /// Human description: "decimal comma, thousands '.'".
    pub fn describe(&self) -> String {
        let d = match self.decimal {
            DecimalMark::Point => "decimal point",
            DecimalMark::Comma => "decimal comma",
        };
        match &self.thousands {
            Some(t) if t == " " => format!("{d}, thousands separated by spaces"),
            Some(t) => format!("{d}, thousands separated by '{t}'"),
            None => d.to_string(),
        }
    }
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

fn is_group_mark(c: char) -> bool {
    is_group_space(c) || matches!(c, '\'' | '’')
}

/// What one written number says about the file's style: Some(mark) when unambiguous, and the
/// thousands separator it shows.
pub fn evidence(raw: &str) -> (Option<DecimalMark>, Option<char>) {
    let t = raw.trim();
    let body: String = t
        .chars()
        .filter(|c| !matches!(c, '-' | '+' | '(' | ')'))
        .collect();
    if body.is_empty()
        || !body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return (None, None);
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || is_group_mark(c))
    {
        return (None, None);
    }
    let group =
        body.chars()
            .find(|c| is_group_mark(*c))
            .map(|c| if is_group_space(c) { ' ' } else { '\'' });
    let commas = body.matches(',').count();
    let dots = body.matches('.').count();
    let after = |sep: char| {
        body.rfind(sep)
            .map(|i| body[i + 1..].chars().filter(char::is_ascii_digit).count())
            .unwrap_or(0)
    };
    match (commas, dots) {
        (0, 0) => (None, group),
        (c, d) if c > 0 && d > 0 => {
            let lc = body.rfind(',').unwrap_or(0);
            let ld = body.rfind('.').unwrap_or(0);
            if lc > ld {
                (Some(DecimalMark::Comma), Some('.'))
            } else {
                (Some(DecimalMark::Point), Some(','))
            }
        }
        (1, 0) if after(',') != 3 => (Some(DecimalMark::Comma), group),
        (0, 1) if after('.') != 3 => (Some(DecimalMark::Point), group),
        (c, 0) if c > 1 => (Some(DecimalMark::Point), Some(',')),
        (0, d) if d > 1 => (Some(DecimalMark::Comma), Some('.')),
        // `1,234` or `1.234`: either a decimal or a thousands separator.
        _ => (None, group),
    }
}

/// Decides the style from the numbers written as text in the file.
pub fn detect_style<'a>(
    samples: impl Iterator<Item = &'a str>,
    separator: Option<char>,
) -> NumberStyle {
    let (mut comma, mut point) = (0usize, 0usize);
    let mut groups: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for s in samples {
        let (mark, group) = evidence(s);
        match mark {
            Some(DecimalMark::Comma) => comma += 1,
            Some(DecimalMark::Point) => point += 1,
            None => {}
        }
        if let Some(g) = group {
            *groups.entry(g).or_default() += 1;
        }
    }
    let (decimal, evidence) = if comma > point {
        (
            DecimalMark::Comma,
            format!(
                "{comma} number(s) written with a decimal comma{}",
                if point > 0 {
                    format!(", {point} with a decimal point")
                } else {
                    String::new()
                }
            ),
        )
    } else if point > comma {
        (
            DecimalMark::Point,
            format!(
                "{point} number(s) written with a decimal point{}",
                if comma > 0 {
                    format!(", {comma} with a decimal comma")
                } else {
                    String::new()
                }
            ),
        )
    } else if separator == Some(';') {
        (
            DecimalMark::Comma,
            "no telling number; assumed from the ';' separator".to_string(),
        )
    } else {
        (DecimalMark::Point, "no telling number; assumed".to_string())
    };
    let thousands = groups
        .into_iter()
        .filter(|(g, _)| match decimal {
            DecimalMark::Comma => *g != ',',
            DecimalMark::Point => *g != '.',
        })
        .max_by_key(|(g, n)| (*n, *g))
        .map(|(g, _)| g.to_string());
    NumberStyle {
        decimal,
        thousands,
        evidence,
    }
}

/// A number read with the file's style. `contradicts` is set when the text clearly uses the
/// other decimal mark (it is still read that way).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    pub value: f64,
    pub contradicts: bool,
}

/// Parses a number written with the file's decimal `mark`, thousands separators (space,
/// no-break space, apostrophe, or the other mark) and an optional sign or accounting
/// parentheses for negatives.
pub fn parse_number(raw: &str, mark: DecimalMark) -> Option<Parsed> {
    let mut t = raw.trim();
    // The common case, digits with an optional sign, reads the same in every style.
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|value| Parsed {
                value,
                contradicts: false,
            });
    }
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        t = inner.trim();
    }
    let s: String = t.chars().filter(|c| !is_group_mark(*c)).collect();
    if s.is_empty() {
        return None;
    }
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    let digits_after = |sep: char| {
        s.rfind(sep)
            .map(|i| s[i + 1..].chars().filter(char::is_ascii_digit).count())
            .unwrap_or(0)
    };
    let mut contradicts = false;
    let normal: String = match (commas, dots) {
        (0, 0) => s.clone(),
        (c, d) if c > 0 && d > 0 => {
            let lc = s.rfind(',').unwrap_or(0);
            let ld = s.rfind('.').unwrap_or(0);
            let comma_decimal = lc > ld;
            if (comma_decimal && c > 1) || (!comma_decimal && d > 1) {
                return None;
            }
            contradicts = comma_decimal != (mark == DecimalMark::Comma);
            if comma_decimal {
                s.replace('.', "").replace(',', ".")
            } else {
                s.replace(',', "")
            }
        }
        (c, 0) => match mark {
            DecimalMark::Comma if c == 1 => s.replace(',', "."),
            DecimalMark::Comma => return None,
            DecimalMark::Point if c == 1 && digits_after(',') != 3 => {
                contradicts = true;
                s.replace(',', ".")
            }
            DecimalMark::Point => {
                if !groups_of_three(&s, ',') {
                    return None;
                }
                s.replace(',', "")
            }
        },
        (0, d) => match mark {
            DecimalMark::Point if d == 1 => s.clone(),
            DecimalMark::Point => return None,
            DecimalMark::Comma if d == 1 && digits_after('.') != 3 => {
                contradicts = true;
                s.clone()
            }
            DecimalMark::Comma => {
                if !groups_of_three(&s, '.') {
                    return None;
                }
                s.replace('.', "")
            }
        },
        _ => return None,
    };
    if !normal
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        || !normal.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let v: f64 = normal.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some(Parsed {
        value: if negative { -v } else { v },
        contradicts,
    })
}

/// `1,234,567`: every group after the first has three digits.
fn groups_of_three(s: &str, sep: char) -> bool {
    let mut parts = s.split(sep);
    let first = parts.next().unwrap_or("");
    !first.is_empty() && parts.all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------
// Periods

const MONTH_NAMES: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("enero", 1),
    ("ene", 1),
    ("february", 2),
    ("feb", 2),
    ("fevrier", 2),
    ("fevr", 2),
    ("fev", 2),
    ("febrero", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("marzo", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("junio", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("august", 8),
    ("aug", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("november", 11),
    ("nov", 11),
    ("noviembre", 11),
    ("novembre", 11),
    ("december", 12),
    ("dec", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("set", 9),
];

fn month_name(word: &str) -> Option<u32> {
    MONTH_NAMES
        .iter()
        .find(|(n, _)| *n == word)
        .map(|(_, m)| *m)
}

fn year_of(word: &str) -> Option<i32> {
    if !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match word.len() {
        4 => word.parse().ok(),
        2 => word.parse::<i32>().ok().map(|y| 2000 + y),
        _ => None,
    }
}

fn month_of(y: i32, m: u32) -> Option<Month> {
    Month::new(y, m).ok()
}

/// A month written as text: `2025-03`, `2025/3`, `03/2025`, `3.2025`, `202503`, `2025-03-31`,
/// `31/03/2025`, `mars 2025`, `Mar-25`, `marzo de 2025`, `March 2025`, `2025 mars`.
pub fn period_from_text(raw: &str) -> Option<Month> {
    let t = raw.trim();
    // ISO date-time from a spreadsheet: keep the date.
    let t = if t.len() > 10 && t.as_bytes().get(10) == Some(&b'T') {
        t.get(..10).unwrap_or(t)
    } else {
        t
    };
    let nums: Vec<&str> = t.split(['-', '/', '.']).map(str::trim).collect();
    if nums
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: Vec<(usize, u32)> = nums
            .iter()
            .map(|p| (p.len(), p.parse::<u32>().unwrap_or(0)))
            .collect();
        return match n.as_slice() {
            [(4, y), (1..=2, m)] => month_of(*y as i32, *m),
            [(1..=2, m), (4, y)] => month_of(*y as i32, *m),
            [(4, y), (1..=2, m), (1..=2, _)] => month_of(*y as i32, *m),
            [(1..=2, a), (1..=2, b), (4, y)] => {
                // Day first (dd/mm/yyyy) unless that cannot be.
                let m = if *b > 12 && *a <= 12 { *a } else { *b };
                month_of(*y as i32, m)
            }
            [(6, ym)] => month_of((*ym / 100) as i32, ym % 100),
            _ => None,
        };
    }
    let f = fold(t);
    let words: Vec<&str> = f
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "de" && *w != "del")
        .collect();
    match words.as_slice() {
        [a, b] => {
            if let (Some(m), Some(y)) = (month_name(a), year_of(b)) {
                return month_of(y, m);
            }
            if let (Some(y), Some(m)) = (year_of(a), month_name(b)) {
                if a.len() == 4 {
                    return month_of(y, m);
                }
            }
            None
        }
        // `31 mars 2025`
        [d, a, b] if d.len() <= 2 && d.bytes().all(|x| x.is_ascii_digit()) => {
            match (month_name(a), year_of(b)) {
                (Some(m), Some(y)) => month_of(y, m),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A period in a title cell or a sheet name ("Rapport mensuel — mars 2025", "Mar-25",
/// "Données 2025-03"): the one month it names, if it names exactly one.
pub fn period_in_text(raw: &str) -> Option<Month> {
    let mut found: Vec<Month> = Vec::new();
    for token in raw.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '_' | '—' | '–')
    }) {
        if let Some(m) = period_from_text(token) {
            found.push(m);
        }
    }
    let f = fold(raw);
    let words: Vec<&str> = f
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "de" && *w != "del")
        .collect();
    for pair in words.windows(2) {
        if let (Some(m), Some(y)) = (month_name(pair[0]), year_of(pair[1])) {
            if let Some(mm) = month_of(y, m) {
                found.push(mm);
            }
        }
    }
    found.sort();
    found.dedup();
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Excel's serial day number (1900 date system) as a month.
fn excel_serial_month(serial: f64) -> Option<Month> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = base.checked_add_days(chrono::Days::new(serial.floor() as u64))?;
    use chrono::Datelike;
    month_of(d.year(), d.month())
}

/// The month a period cell names.
pub fn period_from_cell(cell: &Cell) -> Option<Month> {
    match cell {
        Cell::Date(y, m, _) => month_of(*y, *m),
        Cell::Number(n) if n.fract() == 0.0 && (190_001.0..=299_912.0).contains(n) => {
            let v = *n as i64;
            month_of((v / 100) as i32, (v % 100) as u32)
        }
        Cell::Number(n) => excel_serial_month(*n),
        Cell::Text(t) => period_from_text(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("  Période "), "periode", "accents and case go");
        assert_eq!(
            fold("Encours brut (GLP)"),
            "encours brut glp",
            "punctuation is a space"
        );
        assert_eq!(
            fold("NÚMERO_DE  prestatarias"),
            "numero de prestatarias",
            "runs collapse"
        );
        assert_eq!(fold("Œuvres"), "oeuvres", "ligatures are spelled out");
    }

    #[test]
    fn numbers_follow_the_file_style() {
        let c = DecimalMark::Comma;
        let p = DecimalMark::Point;
        let v = |s: &str, m| parse_number(s, m).map(|x| x.value);
        assert_eq!(
            v("1.234,5", c),
            Some(1234.5),
            "dot thousands, decimal comma"
        );
        assert_eq!(v("1 234,5", c), Some(1234.5), "space thousands");
        assert_eq!(
            v("1\u{a0}234,5", c),
            Some(1234.5),
            "no-break space thousands"
        );
        assert_eq!(
            v("1,234.5", p),
            Some(1234.5),
            "comma thousands, decimal point"
        );
        assert_eq!(
            v("1,234", p),
            Some(1234.0),
            "in a decimal-point file 1,234 is a thousand"
        );
        assert_eq!(
            v("1,234", c),
            Some(1.234),
            "in a decimal-comma file 1,234 is one and a bit"
        );
        assert_eq!(
            v("1.234", c),
            Some(1234.0),
            "in a decimal-comma file 1.234 is a thousand"
        );
        assert_eq!(v("(1 200)", c), Some(-1200.0), "accounting negatives");
        assert_eq!(v("-12", p), Some(-12.0), "minus sign");
        assert_eq!(v("1,2,3", c), None, "two decimal commas");
        assert_eq!(v("12kg", p), None, "units are not numbers");
        assert_eq!(v("NaN", p), None, "NaN is refused");
        assert_eq!(v("inf", p), None, "infinity is refused");
        assert_eq!(v("", p), None, "empty");
        let x = parse_number("2.75", c).expect("number");
        assert!(
            x.contradicts && x.value == 2.75,
            "a clear decimal point in a comma file is read and flagged"
        );
    }

    #[test]
    fn the_style_is_detected_and_described() {
        let s = detect_style(["1 234,5", "12", "3,25"].into_iter(), Some(','));
        assert_eq!(s.decimal, DecimalMark::Comma, "two decimal commas: {s:?}");
        assert_eq!(s.thousands.as_deref(), Some(" "), "space thousands seen");
        let s = detect_style(["1,234.5", "7.5"].into_iter(), Some(','));
        assert_eq!(
            (s.decimal, s.thousands.as_deref()),
            (DecimalMark::Point, Some(",")),
            "{s:?}"
        );
        let s = detect_style(["12", "1.234"].into_iter(), Some(';'));
        assert_eq!(
            s.decimal,
            DecimalMark::Comma,
            "nothing telling with ';': decimal comma assumed"
        );
    }

    #[test]
    fn periods_in_many_spellings() {
        let want = Month::new(2025, 3).expect("month");
        for s in [
            "2025-03",
            "2025/3",
            "03/2025",
            "3.2025",
            "202503",
            "2025-03-31",
            "31/03/2025",
            "mars 2025",
            "Mars-2025",
            "MARS 2025",
            "Mar-25",
            "mar. 25",
            "March 2025",
            "marzo de 2025",
            "2025 mars",
            "2025-03-01T00:00:00",
            "1 mars 2025",
        ] {
            assert_eq!(period_from_text(s), Some(want), "{s:?} is March 2025");
        }
        for s in ["2025", "13/2025", "2025-Q1", "mars", "hello 2025", "Total"] {
            assert_eq!(period_from_text(s), None, "{s:?} is not one month");
        }
        assert_eq!(
            period_from_text("févr. 2026"),
            Month::new(2026, 2).ok(),
            "French abbreviation with accent"
        );
        assert_eq!(
            period_from_text("dic-24"),
            Month::new(2024, 12).ok(),
            "Spanish abbreviation"
        );
        assert_eq!(
            period_from_cell(&Cell::Date(2025, 3, 31)),
            Some(want),
            "a date cell"
        );
        assert_eq!(
            period_from_cell(&Cell::Number(45747.0)),
            Some(want),
            "Excel serial 45747 is 2025-03-31"
        );
        assert_eq!(
            period_from_cell(&Cell::Number(202503.0)),
            Some(want),
            "yyyymm number"
        );
    }

    #[test]
    fn a_period_in_a_title() {
        let want = Month::new(2025, 3).ok();
        assert_eq!(
            period_in_text("Rapport mensuel des agences - mars 2025"),
            want,
            "title cell"
        );
        assert_eq!(period_in_text("Mar-25"), want, "sheet name");
        assert_eq!(
            period_in_text("Données 2025-03"),
            want,
            "ISO month in a title"
        );
        assert_eq!(
            period_in_text("janvier 2025 à mars 2025"),
            None,
            "two months: not simple"
        );
        assert_eq!(period_in_text("Feuil1"), None, "no period");
    }
}
