//! The report's words and numbers in English, French and Spanish: strings from
//! `assets/i18n/report/{en,fr,es}.json` (embedded), numbers, dates and periods in the
//! report's locale.
//!
//! Every key is looked up with a literal: `tr(lang, "section.summary")`; the unit test at the
//! bottom fails when a key is missing in a language, defined but never used, or used but not
//! defined.

use mizani_core::model::Language;
use mizani_core::period::Period;
use std::collections::HashMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../../../assets/i18n/report/en.json");
const FR: &str = include_str!("../../../assets/i18n/report/fr.json");
const ES: &str = include_str!("../../../assets/i18n/report/es.json");

/// No-break space (between a number and its unit).
pub const NBSP: char = '\u{00A0}';
/// Narrow no-break space (French thousands separator).
pub const NNBSP: char = '\u{202F}';
/// What a missing value prints as (never 0).
pub const MISSING: &str = "—";

type Table = HashMap<String, String>;

fn parse(src: &str) -> Table {
    serde_json::from_str(src).unwrap_or_default()
}

fn table(lang: Language) -> &'static Table {
    static T: OnceLock<[Table; 3]> = OnceLock::new();
    let t = T.get_or_init(|| [parse(EN), parse(FR), parse(ES)]);
    match lang {
        Language::En => &t[0],
        Language::Fr => &t[1],
        Language::Es => &t[2],
    }
}

/// The string of `key` in `lang` (the key itself if it is missing: the unit test makes sure
/// none is).
pub fn tr(lang: Language, key: &'static str) -> &'static str {
    table(lang).get(key).map(String::as_str).unwrap_or(key)
}

/// The string of `key` with its `{placeholders}` replaced.
pub fn trf(lang: Language, key: &'static str, args: &[(&str, &str)]) -> String {
    fill(tr(lang, key), args)
}

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn separators(lang: Language) -> (char, char) {
    match lang {
        Language::En => (',', '.'),
        Language::Fr => (NNBSP, ','),
        Language::Es => ('.', ','),
    }
}

/// A number with `decimals` decimals and thousands grouped in the locale of `lang`:
/// 1,234.5 (en), 1 234,5 (fr, narrow no-break space), 1.234,5 (es).
pub fn number(v: f64, decimals: usize, lang: Language) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    let (group, point) = separators(lang);
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::with_capacity(s.len() + 6);
    if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    let n = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// Decimals an indicator value is printed with (as the dashboard does): 2 for %, 0 for
/// currency and counts, 1 otherwise.
pub fn decimals_for(unit: &str) -> usize {
    match unit {
        "%" => 2,
        "currency" | "count" => 0,
        _ => 1,
    }
}

/// An indicator value with its unit, as the report prints it: "5.40 %", "64,634 XOF"
/// (en); "5,40 %", "64 634 XOF" (fr); a missing value is "—", never 0.
pub fn value(v: Option<f64>, unit: &str, currency: &str, lang: Language) -> String {
    let Some(x) = v.filter(|x| x.is_finite()) else {
        return MISSING.to_string();
    };
    let n = number(x, decimals_for(unit), lang);
    match unit {
        "%" => format!("{n}{NBSP}%"),
        "currency" if !currency.is_empty() => format!("{n}{NBSP}{currency}"),
        _ => n,
    }
}

/// Like [`value`] with fewer decimals, for chart axes and bar labels.
pub fn value_short(v: f64, unit: &str, decimals: usize, currency: &str, lang: Language) -> String {
    let n = number(v, decimals, lang);
    match unit {
        "%" => format!("{n}{NBSP}%"),
        "currency" if !currency.is_empty() && decimals == 0 => n,
        _ => n,
    }
}

const MONTHS: [&str; 12] = [
    "month.01", "month.02", "month.03", "month.04", "month.05", "month.06", "month.07", "month.08",
    "month.09", "month.10", "month.11", "month.12",
];
const MONTHS_SHORT: [&str; 12] = [
    "month_short.01",
    "month_short.02",
    "month_short.03",
    "month_short.04",
    "month_short.05",
    "month_short.06",
    "month_short.07",
    "month_short.08",
    "month_short.09",
    "month_short.10",
    "month_short.11",
    "month_short.12",
];

fn month_name(m: u32, lang: Language) -> &'static str {
    tr(lang, MONTHS[(m.clamp(1, 12) - 1) as usize])
}

/// The short name of a month (1–12): "Sep", "sept.", "sep.".
pub fn month_short(m: u32, lang: Language) -> &'static str {
    tr(lang, MONTHS_SHORT[(m.clamp(1, 12) - 1) as usize])
}

/// `YYYY-MM-DD` → "27 November 2026", "27 novembre 2026", "27 de noviembre de 2026".
pub fn date(iso: &str, lang: Language) -> String {
    let mut it = iso.split('-');
    let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
        return iso.to_string();
    };
    let (Ok(m), Ok(d)) = (m.parse::<u32>(), d.parse::<u32>()) else {
        return iso.to_string();
    };
    trf(
        lang,
        "date.long",
        &[
            ("day", &d.to_string()),
            ("month", month_name(m, lang)),
            ("year", y),
        ],
    )
}

/// `YYYY-MM` → "September 2026" (or the input when it is not a month).
pub fn month_label(ym: &str, lang: Language) -> String {
    match ym.split_once('-').map(|(y, m)| (y, m.parse::<u32>())) {
        Some((y, Ok(m))) => trf(
            lang,
            "period.month",
            &[("month", month_name(m, lang)), ("year", y)],
        ),
        _ => ym.to_string(),
    }
}

/// `YYYY-MM` → "Sep 2026".
pub fn month_label_short(ym: &str, lang: Language) -> String {
    match ym.split_once('-').map(|(y, m)| (y, m.parse::<u32>())) {
        Some((y, Ok(m))) => format!("{} {y}", month_short(m, lang)),
        _ => ym.to_string(),
    }
}

/// A period in words: "September 2026", "Q3 2026" / "T3 2026", "2026".
pub fn period(p: Period, lang: Language) -> String {
    match p {
        Period::Month(m) => month_label(&m.to_string(), lang),
        Period::Quarter { year, quarter } => trf(
            lang,
            "period.quarter",
            &[("q", &quarter.to_string()), ("year", &year.to_string())],
        ),
        Period::Year(y) => y.to_string(),
    }
}

/// A period for a chart axis: the period within its year ("Q3", "Sep") and the year.
pub fn period_axis(p: Period, lang: Language) -> (String, String) {
    match p {
        Period::Month(m) => {
            let s = m.to_string();
            let (y, mm) = s.split_once('-').unwrap_or((&s, "1"));
            (
                month_short(mm.parse().unwrap_or(1), lang).to_string(),
                y.to_string(),
            )
        }
        Period::Quarter { year, quarter } => (
            trf(lang, "period.quarter_short", &[("q", &quarter.to_string())]),
            year.to_string(),
        ),
        Period::Year(y) => (y.to_string(), String::new()),
    }
}

/// A period string as stored (`2026-Q4`, `2026-09`, `2026`) in words; unparsable ones as is.
pub fn period_str(s: &str, lang: Language) -> String {
    Period::parse(s)
        .map(|p| period(p, lang))
        .unwrap_or_else(|_| s.to_string())
}

/// The language's own name ("English", "français", "español").
pub fn language_name(lang: Language) -> &'static str {
    match lang {
        Language::En => "English",
        Language::Fr => "français",
        Language::Es => "español",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys_of(src: &str) -> BTreeSet<String> {
        parse(src).into_keys().collect()
    }

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(i) = rest.find('{') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else { break };
            out.insert(after[..j].to_string());
            rest = &after[j + 1..];
        }
        out
    }

    /// Every string literal of the crate's sources that looks like a key (`a.b`).
    fn literals_in_src() -> BTreeSet<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).expect("src is readable").flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).expect("source is readable"));
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut used = BTreeSet::new();
        for f in files {
            // Leave out this test module, which names no key.
            let f = f.split("#[cfg(test)]").next().unwrap_or("").to_string();
            let mut rest = f.as_str();
            while let Some(i) = rest.find('"') {
                let after = &rest[i + 1..];
                let Some(j) = after.find('"') else { break };
                let lit = &after[..j];
                let looks_like_key = lit.contains('.')
                    && !lit.starts_with('.')
                    && !lit.ends_with('.')
                    && lit.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                    })
                    && lit.bytes().any(|b| b.is_ascii_lowercase());
                if looks_like_key {
                    used.insert(lit.to_string());
                }
                rest = &after[j + 1..];
            }
        }
        used
    }

    #[test]
    fn every_language_has_every_key_and_every_key_is_used() {
        let en = keys_of(EN);
        assert!(
            en.len() > 50,
            "the English strings parse as a flat JSON object of strings"
        );
        for (name, src) in [("fr", FR), ("es", ES)] {
            let other = keys_of(src);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                missing.is_empty(),
                "keys missing in {name}.json (a half-translated report): {missing:?}"
            );
            assert!(
                extra.is_empty(),
                "keys in {name}.json but not in en.json: {extra:?}"
            );
        }
        let used = literals_in_src();
        let unused: Vec<_> = en.iter().filter(|k| !used.contains(*k)).collect();
        assert!(
            unused.is_empty(),
            "keys defined but never looked up in src (dead strings): {unused:?}"
        );
        let undefined: Vec<_> = used
            .iter()
            .filter(|k| !en.contains(*k))
            .filter(|k| {
                k.split('.')
                    .next()
                    .is_some_and(|p| en.iter().any(|e| e.starts_with(&format!("{p}."))))
            })
            .collect();
        assert!(
            undefined.is_empty(),
            "keys looked up in src but defined in no language: {undefined:?}"
        );
    }

    #[test]
    fn placeholders_agree_across_languages() {
        let (en, fr, es) = (parse(EN), parse(FR), parse(ES));
        for (k, v) in &en {
            let want = placeholders(v);
            for (name, t) in [("fr", &fr), ("es", &es)] {
                let got = t.get(k).map(|s| placeholders(s)).unwrap_or_default();
                assert_eq!(got, want, "{{placeholders}} of '{k}' in {name} must match English's, or a value goes missing");
            }
        }
    }

    #[test]
    fn numbers_dates_and_periods_follow_the_locale() {
        assert_eq!(
            number(1234.5, 1, Language::En),
            "1,234.5",
            "English groups with commas"
        );
        assert_eq!(
            number(1234.5, 1, Language::Fr),
            "1\u{202F}234,5",
            "French: narrow no-break space, decimal comma"
        );
        assert_eq!(
            number(1234.5, 1, Language::Es),
            "1.234,5",
            "Spanish: dot for thousands, decimal comma"
        );
        assert_eq!(
            number(-0.001, 2, Language::En),
            "0.00",
            "no minus sign on a value that rounds to zero"
        );
        assert_eq!(
            number(-1234567.0, 0, Language::En),
            "-1,234,567",
            "negative values keep their sign"
        );
        assert_eq!(
            value(Some(5.4), "%", "XOF", Language::Fr),
            "5,40\u{A0}%",
            "a no-break space before %"
        );
        assert_eq!(
            value(Some(64634.4), "currency", "XOF", Language::En),
            "64,634\u{A0}XOF",
            "currency with its code"
        );
        assert_eq!(
            value(None, "%", "XOF", Language::En),
            MISSING,
            "missing is a dash, never 0"
        );
        assert_eq!(
            date("2026-11-27", Language::En),
            "27 November 2026",
            "English long date"
        );
        assert_eq!(
            date("2026-11-27", Language::Fr),
            "27 novembre 2026",
            "French long date"
        );
        assert_eq!(
            date("2026-11-27", Language::Es),
            "27 de noviembre de 2026",
            "Spanish long date"
        );
        let q = Period::parse("2026-Q3").expect("period");
        assert_eq!(period(q, Language::En), "Q3 2026", "English quarter");
        assert_eq!(
            period(q, Language::Fr),
            "T3 2026",
            "French quarter (trimestre)"
        );
        assert_eq!(
            period(q, Language::Es),
            "T3 2026",
            "Spanish quarter (trimestre)"
        );
        assert_eq!(
            period_str("2026-09", Language::Es),
            "septiembre de 2026",
            "Spanish month"
        );
        assert_eq!(
            trf(
                Language::En,
                "footer.page",
                &[("page", "2"), ("pages", "9")]
            ),
            "Page 2 of 9",
            "placeholders are filled"
        );
    }
}
