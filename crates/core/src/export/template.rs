//! The data-entry template: an XLSX workbook with one sheet per branch for one month, to fill
//! in a spreadsheet and import back WITHOUT any mapping. Layout (version 1; documented in
//! docs/ARCHITECTURE.md, "Entry templates"):
//!
//! - rows 1–6: titles (institution, branch code and name, month, previous month,
//!   instructions) in the chosen language; cell G1 holds the layout marker
//!   [`TEMPLATE_MARKER`];
//! - row 7 ([`TEMPLATE_HEADER_ROW`]): the header [`TEMPLATE_COLUMNS`]
//!   `branch | period | element | name | previous | value | comment` (these exact keys);
//! - rows 8…: one row per data element: branch code, month (`YYYY-MM`, text), element code,
//!   the element's name, the previous month's value, this month's value (pre-filled when it
//!   is already in the database) and comment.
//!
//! The sheet is protected (no password): only the value and comment cells are unlocked. Value
//! cells accept numbers only (≥ 0, whole for counts; any number for elements that allow
//! negatives); comments at most 1000 characters, as in the app.

use super::table::{sheet_name, xlsx_err};
use super::{kind_title, tr, ExportFormat, ExportInfo, ExportKind};
use crate::error::{CoreError, Result};
use crate::model::{Branch, ElementUnit, Language};
use crate::period::Month;
use crate::Store;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, Format,
    FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use serde::Deserialize;
use std::path::Path;
use ts_rs::TS;

/// The header of a template sheet, column A onwards.
pub const TEMPLATE_COLUMNS: [&str; 7] = [
    "branch", "period", "element", "name", "previous", "value", "comment",
];

/// The row (1-based, as a spreadsheet numbers it) that holds [`TEMPLATE_COLUMNS`]; data rows
/// follow it.
pub const TEMPLATE_HEADER_ROW: u32 = 7;

/// The layout marker in cell G1.
pub const TEMPLATE_MARKER: &str = "mizani-template-1";

/// A template for one month and some branches.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct TemplateRequest {
    /// The month, `YYYY-MM` (not in the future).
    pub period: String,
    /// Branch codes, one sheet each in this order; empty = every active branch.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Language of the titles and names (default: the institution's).
    #[serde(default)]
    pub lang: Option<Language>,
}

const MONTHS: [[&str; 3]; 12] = [
    ["January", "janvier", "enero"],
    ["February", "février", "febrero"],
    ["March", "mars", "marzo"],
    ["April", "avril", "abril"],
    ["May", "mai", "mayo"],
    ["June", "juin", "junio"],
    ["July", "juillet", "julio"],
    ["August", "août", "agosto"],
    ["September", "septembre", "septiembre"],
    ["October", "octobre", "octubre"],
    ["November", "novembre", "noviembre"],
    ["December", "décembre", "diciembre"],
];

/// "September 2026", "septembre 2026", "septiembre de 2026".
fn month_words(m: Month, lang: Language) -> String {
    let name = tr(lang, MONTHS[(m.month() - 1) as usize]);
    match lang {
        Language::Es => format!("{name} de {}", m.year()),
        _ => format!("{name} {}", m.year()),
    }
}

/// ISO 4217 currencies without minor units: their amounts are shown without decimals.
const ZERO_DECIMAL_CURRENCIES: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];

/// The number formats of the value cells (and the previous month's).
const FORMATS: [&str; 3] = ["#,##0", "#,##0.00", "General"];

/// Which of [`FORMATS`] an element's cells use: counts and amounts in a currency without minor
/// units as whole numbers, other amounts with 2 decimals, plain numbers as typed.
fn number_format(unit: ElementUnit, currency: &str) -> usize {
    match unit {
        ElementUnit::Count => 0,
        ElementUnit::Currency if ZERO_DECIMAL_CURRENCIES.contains(&currency) => 0,
        ElementUnit::Currency => 1,
        ElementUnit::Number => 2,
    }
}

/// The branches to write: the named ones (each once, in order), else every active branch.
fn pick_branches(store: &Store, codes: &[String]) -> Result<Vec<Branch>> {
    let all = crate::repo::branches(store.conn())?;
    let named: Vec<&str> = codes
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    if named.is_empty() {
        let active: Vec<Branch> = all.into_iter().filter(|b| b.active).collect();
        if active.is_empty() {
            return Err(CoreError::field(
                "branches",
                "there is no active branch: add one first (mizani branch add)",
            ));
        }
        return Ok(active);
    }
    let mut out: Vec<Branch> = Vec::new();
    for c in named {
        let b = all.iter().find(|b| b.code == c).ok_or_else(|| {
            CoreError::not_found(format!(
                "there is no branch '{c}' (see `mizani branch list`)"
            ))
            .on_field("branches")
        })?;
        if !out.iter().any(|x| x.id == b.id) {
            out.push(b.clone());
        }
    }
    Ok(out)
}

fn x(r: std::result::Result<&mut Worksheet, XlsxError>) -> Result<()> {
    r.map(|_| ()).map_err(xlsx_err)
}

/// The cell formats of a template sheet.
struct Styles {
    title: Format,
    label: Format,
    marker: Format,
    note: Format,
    header: Format,
    key: Format,
    name: Format,
    /// The previous month's and this month's value, one per [`FORMATS`].
    prev: [Format; 3],
    value: [Format; 3],
    comment: Format,
}

impl Styles {
    fn new() -> Styles {
        let grey = |c: u32| Color::RGB(c);
        let hair = |f: Format| {
            f.set_border_bottom(FormatBorder::Hair)
                .set_border_bottom_color(grey(0xD0D0D0))
        };
        let prev = |num: &str| {
            hair(
                Format::new()
                    .set_italic()
                    .set_font_color(grey(0x666666))
                    .set_num_format(num),
            )
        };
        let input = |num: &str| {
            Format::new()
                .set_unlocked()
                .set_background_color(Color::RGB(0xFFF8DC))
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(0xC8B87A))
                .set_num_format(num)
        };
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            label: Format::new().set_bold().set_font_color(grey(0x555555)),
            marker: Format::new()
                .set_font_color(grey(0x999999))
                .set_font_size(8),
            note: Format::new()
                .set_italic()
                .set_font_color(grey(0x555555))
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE8F0EC))
                .set_border(FormatBorder::Thin)
                .set_border_color(grey(0xB0B0B0)),
            key: hair(Format::new().set_font_color(grey(0x777777))),
            name: hair(Format::new()),
            prev: FORMATS.map(prev),
            value: FORMATS.map(input),
            comment: input("@").set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// The data validations of the value and comment cells, messages in `lang`.
struct Validations {
    count: DataValidation,
    positive: DataValidation,
    any: DataValidation,
    comment: DataValidation,
}

impl Validations {
    fn new(lang: Language) -> Result<Validations> {
        let err_title = tr(
            lang,
            ["Not a valid figure", "Valeur non valide", "Valor no válido"],
        );
        let with = |rule: DataValidation, msg: [&'static str; 3]| -> Result<DataValidation> {
            let msg = tr(lang, msg);
            rule.set_error_title(err_title)
                .and_then(|v| v.set_error_message(msg))
                .and_then(|v| v.set_input_message(msg))
                .map(|v| v.set_error_style(DataValidationErrorStyle::Stop))
                .map_err(xlsx_err)
        };
        Ok(Validations {
            count: with(
                DataValidation::new()
                    .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0)),
                [
                    "A whole number, 0 or more.",
                    "Un nombre entier, 0 ou plus.",
                    "Un número entero, 0 o más.",
                ],
            )?,
            positive: with(
                DataValidation::new()
                    .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0)),
                [
                    "A number, 0 or more.",
                    "Un nombre, 0 ou plus.",
                    "Un número, 0 o más.",
                ],
            )?,
            any: with(
                DataValidation::new()
                    .allow_decimal_number(DataValidationRule::Between(-1e15, 1e15)),
                [
                    "A number (it may be negative).",
                    "Un nombre (il peut être négatif).",
                    "Un número (puede ser negativo).",
                ],
            )?,
            comment: with(
                DataValidation::new()
                    .allow_text_length(DataValidationRule::LessThanOrEqualTo(1000)),
                [
                    "A comment of at most 1000 characters.",
                    "Un commentaire de 1000 caractères au plus.",
                    "Un comentario de 1000 caracteres como máximo.",
                ],
            )?,
        })
    }
}

/// Writes the entry template of `req.period` for `req.branches` to `path` (XLSX, atomically).
pub fn export_template(store: &Store, req: &TemplateRequest, path: &Path) -> Result<ExportInfo> {
    let conn = store.conn();
    let org = crate::repo::organisation(conn)?;
    let lang = req.lang.unwrap_or(org.language);
    let month = Month::parse(req.period.trim()).map_err(|e| e.on_field("period"))?;
    if month > crate::import::current_month() {
        return Err(CoreError::field(
            "period",
            format!("{month} is in the future: a template is for a month that has begun"),
        ));
    }
    let branches = pick_branches(store, &req.branches)?;

    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} — {} — {month}",
                org.name,
                kind_title(ExportKind::Template, lang)
            ))
            .set_company(&org.name)
            .set_author("Mizani")
            .set_custom_property("mizani_template", TEMPLATE_MARKER)
            .set_custom_property("mizani_period", month.to_string())
            .set_custom_property("mizani_institution", &org.uid),
    );
    let st = Styles::new();
    let val = Validations::new(lang)?;
    let prev_month = month.prev();
    let mut sheets = Vec::new();
    let mut rows = 0u32;
    for b in &branches {
        let grid = crate::entry::entry_grid(store, &b.code, &month.to_string())?;
        let ws = wb.add_worksheet();
        let name = sheet_name(&b.code);
        x(ws.set_name(&name))?;
        sheets.push(name);
        x(ws.write_string_with_format(
            0,
            0,
            format!(
                "{} — {}",
                kind_title(ExportKind::Template, lang),
                month_words(month, lang)
            ),
            &st.title,
        ))?;
        x(ws.write_string_with_format(0, 6, TEMPLATE_MARKER, &st.marker))?;
        let info: [([&'static str; 3], String, String); 4] = [
            (
                ["Institution", "Institution", "Institución"],
                org.name.clone(),
                String::new(),
            ),
            (
                ["Branch", "Agence", "Sucursal"],
                b.code.clone(),
                b.name.clone(),
            ),
            (
                ["Month", "Mois", "Mes"],
                month.to_string(),
                month_words(month, lang),
            ),
            (
                ["Previous month", "Mois précédent", "Mes anterior"],
                prev_month.to_string(),
                month_words(prev_month, lang),
            ),
        ];
        for (i, (l, v, w)) in info.iter().enumerate() {
            let r = i as u32 + 1;
            x(ws.write_string_with_format(r, 0, tr(lang, *l), &st.label))?;
            x(ws.write_string(r, 1, v))?;
            if !w.is_empty() {
                x(ws.write_string(r, 2, w))?;
            }
        }
        x(ws.merge_range(
            5,
            0,
            5,
            6,
            tr(lang, [
                "Enter this month's figures in the column value (and a comment if needed); leave it empty when there is no figure. Do not change the columns branch, period and element: Mizani reads them to import this file.",
                "Saisissez les chiffres du mois dans la colonne value (et un commentaire si besoin) ; laissez-la vide s'il n'y a pas de chiffre. Ne modifiez pas les colonnes branch, period et element : Mizani les lit pour importer ce fichier.",
                "Ingrese las cifras del mes en la columna value (y un comentario si hace falta); déjela vacía si no hay cifra. No cambie las columnas branch, period y element: Mizani las lee para importar este archivo.",
            ]),
            &st.note,
        ))?;
        let hr = TEMPLATE_HEADER_ROW - 1;
        for (c, k) in TEMPLATE_COLUMNS.iter().enumerate() {
            x(ws.write_string_with_format(hr, c as u16, *k, &st.header))?;
        }
        for (i, row) in grid.rows.iter().enumerate() {
            let r = hr + 1 + i as u32;
            x(ws.write_string_with_format(r, 0, &b.code, &st.key))?;
            x(ws.write_string_with_format(r, 1, month.to_string(), &st.key))?;
            x(ws.write_string_with_format(r, 2, &row.element, &st.key))?;
            x(ws.write_string_with_format(r, 3, row.name.get(lang), &st.name))?;
            let f = number_format(row.unit, &org.currency);
            match row.previous {
                Some(v) => x(ws.write_number_with_format(r, 4, v, &st.prev[f]))?,
                None => x(ws.write_blank(r, 4, &st.prev[f]))?,
            }
            let vf = &st.value[f];
            match row.value {
                Some(v) => x(ws.write_number_with_format(r, 5, v, vf))?,
                None => x(ws.write_blank(r, 5, vf))?,
            }
            match row.comment.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => x(ws.write_string_with_format(r, 6, c, &st.comment))?,
                None => x(ws.write_blank(r, 6, &st.comment))?,
            }
            let v = if row.allow_negative {
                &val.any
            } else if row.unit == ElementUnit::Count {
                &val.count
            } else {
                &val.positive
            };
            x(ws.add_data_validation(r, 5, r, 5, v))?;
        }
        if !grid.rows.is_empty() {
            let last = hr + grid.rows.len() as u32;
            x(ws.add_data_validation(hr + 1, 6, last, 6, &val.comment))?;
        }
        rows += grid.rows.len() as u32;
        x(ws.set_row_height(5, 30))?;
        for (c, w) in [16.0, 10.0, 28.0, 52.0, 16.0, 16.0, 44.0]
            .iter()
            .enumerate()
        {
            x(ws.set_column_width(c as u16, *w))?;
        }
        x(ws.set_freeze_panes(hr + 1, 0))?;
        x(ws.set_repeat_rows(hr, hr))?;
        ws.set_landscape().set_print_fit_to_pages(1, 0);
        ws.protect_with_options(&ProtectionOptions {
            format_columns: true,
            format_rows: true,
            ..ProtectionOptions::default()
        });
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_err)?;
    crate::api::write_file_atomic(path, &bytes)?;
    Ok(ExportInfo {
        kind: ExportKind::Template,
        format: ExportFormat::Xlsx,
        path: path.display().to_string(),
        rows,
        sheets,
        bytes: bytes.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_in_words() {
        let m = Month::parse("2026-09").expect("month");
        assert_eq!(month_words(m, Language::En), "September 2026", "English");
        assert_eq!(month_words(m, Language::Fr), "septembre 2026", "French");
        assert_eq!(
            month_words(m, Language::Es),
            "septiembre de 2026",
            "Spanish"
        );
    }
}
