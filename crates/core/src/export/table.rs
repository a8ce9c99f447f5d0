//! A table of typed cells written as CSV or as an XLSX sheet. Every export builds tables and
//! hands them here, so the rules hold everywhere: numbers are numbers in XLSX (never text),
//! dates are real dates in XLSX and ISO text in CSV, missing values are empty cells (never 0).

use crate::error::{CoreError, ErrorCode, Result};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A missing value: an empty cell in XLSX, an empty field in CSV.
    Empty,
    Text(String),
    Num(f64),
    Int(i64),
    /// `YYYY-MM-DD`: a date cell in XLSX, the same text in CSV.
    Date(String),
    /// Unix seconds: a date-time cell in XLSX, `YYYY-MM-DDTHH:MM:SSZ` (UTC) in CSV.
    Time(i64),
}

impl Cell {
    /// Text, or empty when blank.
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.trim().is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }
    pub fn opt_text(s: Option<impl Into<String>>) -> Cell {
        s.map(Cell::text).unwrap_or(Cell::Empty)
    }
    /// A number; `None` and non-finite values are empty (never 0).
    pub fn num(v: Option<f64>) -> Cell {
        match v {
            Some(x) if x.is_finite() => Cell::Num(x),
            _ => Cell::Empty,
        }
    }
    pub fn int(v: Option<i64>) -> Cell {
        v.map(Cell::Int).unwrap_or(Cell::Empty)
    }
    pub fn date(d: Option<&str>) -> Cell {
        match d.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Cell::Date(d.to_string()),
            None => Cell::Empty,
        }
    }
    pub fn time(t: Option<i64>) -> Cell {
        t.map(Cell::Time).unwrap_or(Cell::Empty)
    }

    /// The CSV text of the cell.
    pub fn csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Date(s) => s.clone(),
            Cell::Num(v) => crate::store::format_real(*v),
            Cell::Int(v) => v.to_string(),
            Cell::Time(t) => iso_time(*t),
        }
    }

    /// Roughly how many characters the cell shows (for column widths).
    fn width(&self) -> usize {
        match self {
            Cell::Empty => 0,
            Cell::Text(s) => s.lines().map(|l| l.chars().count()).max().unwrap_or(0),
            Cell::Date(_) => 10,
            Cell::Time(_) => 16,
            Cell::Num(v) => format!("{:.2}", v).len() + (v.abs().log10().max(0.0) / 3.0) as usize,
            Cell::Int(v) => v.to_string().len(),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (UTC).
pub fn iso_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A table: one sheet of an XLSX file, or the whole of a CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name (at most 31 characters; see [`sheet_name`]).
    pub sheet: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(sheet: &str, headers: Vec<String>) -> Table {
        Table {
            sheet: sheet_name(sheet),
            headers,
            rows: Vec::new(),
        }
    }
    /// Adds a row of one cell per column (checked in debug builds; in release a row of another
    /// length is cut or padded with empty cells, never a panic in the writers).
    pub fn push(&mut self, mut row: Vec<Cell>) {
        debug_assert_eq!(
            row.len(),
            self.headers.len(),
            "a row has one cell per column"
        );
        row.resize_with(self.headers.len(), || Cell::Empty);
        self.rows.push(row);
    }
}

/// A valid Excel sheet name: at most 31 characters, none of `[]:*?/\`, not `History`.
pub fn sheet_name(s: &str) -> String {
    let mut n: String = s
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    n = n.trim_matches('\'').to_string();
    if n.is_empty() {
        n = "Sheet".into();
    }
    if n.eq_ignore_ascii_case("history") {
        n.push('_');
    }
    n
}

fn io(e: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorCode::Io, format!("cannot build the file: {e}"))
}

pub(crate) fn xlsx_err(e: XlsxError) -> CoreError {
    io(e)
}

/// The table as CSV: UTF-8 with a byte-order mark (so that spreadsheets read accents right),
/// comma separated, decimal point, header first.
pub fn to_csv(t: &Table) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(&t.headers).map_err(io)?;
    for r in &t.rows {
        w.write_record(r.iter().map(Cell::csv)).map_err(io)?;
    }
    w.into_inner().map_err(io)
}

/// Formats shared by the sheets of a workbook.
pub(crate) struct Styles {
    pub header: Format,
    pub text: Format,
    pub wrap: Format,
    pub whole: Format,
    pub decimal: Format,
    pub date: Format,
    pub time: Format,
}

impl Styles {
    pub fn new() -> Styles {
        let top = |f: Format| f.set_align(FormatAlign::Top);
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE8F0EC))
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            text: top(Format::new()),
            wrap: top(Format::new().set_text_wrap()),
            whole: top(Format::new().set_num_format("#,##0")),
            decimal: top(Format::new().set_num_format("#,##0.00##")),
            date: top(Format::new().set_num_format("yyyy-mm-dd")),
            time: top(Format::new().set_num_format("yyyy-mm-dd hh:mm")),
        }
    }
}

/// Writes one cell with the style its type calls for.
pub(crate) fn write_cell(
    ws: &mut Worksheet,
    st: &Styles,
    row: u32,
    col: u16,
    cell: &Cell,
    wrap: bool,
) -> Result<()> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, s, if wrap { &st.wrap } else { &st.text })
                .map_err(xlsx_err)?;
        }
        Cell::Num(v) => {
            // Whole numbers with thousands separators, others with 2 to 4 decimals.
            let f = if v.fract() == 0.0 && v.abs() < 1e15 {
                &st.whole
            } else {
                &st.decimal
            };
            ws.write_number_with_format(row, col, *v, f)
                .map_err(xlsx_err)?;
        }
        Cell::Int(v) => {
            ws.write_number_with_format(row, col, *v as f64, &st.whole)
                .map_err(xlsx_err)?;
        }
        Cell::Date(d) => match ExcelDateTime::parse_from_str(d) {
            Ok(dt) => {
                ws.write_datetime_with_format(row, col, &dt, &st.date)
                    .map_err(xlsx_err)?;
            }
            Err(_) => {
                ws.write_string_with_format(row, col, d, &st.text)
                    .map_err(xlsx_err)?;
            }
        },
        Cell::Time(t) => match ExcelDateTime::from_timestamp(*t) {
            Ok(dt) => {
                ws.write_datetime_with_format(row, col, &dt, &st.time)
                    .map_err(xlsx_err)?;
            }
            Err(_) => {
                ws.write_string_with_format(row, col, iso_time(*t), &st.text)
                    .map_err(xlsx_err)?;
            }
        },
    }
    Ok(())
}

/// Widest a column gets; longer texts wrap.
const MAX_WIDTH: usize = 60;

/// Roughly how many lines `s` takes once wrapped in a column `width` characters wide.
fn wrapped_lines(s: &str, width: usize) -> usize {
    let width = width.max(1);
    s.lines()
        .map(|l| l.chars().count().div_ceil(width).max(1))
        .sum::<usize>()
        .max(1)
}

/// The tables as an XLSX workbook, one sheet each: header row in bold, frozen, with a filter;
/// column widths fitted to the content.
pub fn to_xlsx(tables: &[Table], props: &DocProperties) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    wb.set_properties(props);
    let st = Styles::new();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet).map_err(xlsx_err)?;
        let widths: Vec<usize> = (0..t.headers.len())
            .map(|c| {
                let content = t.rows.iter().map(|r| r[c].width()).max().unwrap_or(0);
                let head = t.headers[c]
                    .split_whitespace()
                    .map(|w| w.chars().count())
                    .max()
                    .unwrap_or(0);
                content.max(head).clamp(6, MAX_WIDTH)
            })
            .collect();
        for (c, h) in t.headers.iter().enumerate() {
            let c16 = c as u16;
            ws.write_string_with_format(0, c16, h, &st.header)
                .map_err(xlsx_err)?;
            ws.set_column_width(c16, widths[c] as f64 + 2.0)
                .map_err(xlsx_err)?;
        }
        for (i, r) in t.rows.iter().enumerate() {
            let row = i as u32 + 1;
            // Spreadsheets do not grow a row for wrapped text on opening: give it the height
            // of its longest wrapped cell.
            let mut lines = 1;
            for (c, cell) in r.iter().enumerate() {
                let wrap = match cell {
                    Cell::Text(s) if cell.width() > MAX_WIDTH || s.contains('\n') => {
                        lines = lines.max(wrapped_lines(s, widths[c] + 2));
                        true
                    }
                    _ => false,
                };
                write_cell(ws, &st, row, c as u16, cell, wrap)?;
            }
            if lines > 1 {
                ws.set_row_height(row, 15.0 * lines.min(20) as f64)
                    .map_err(xlsx_err)?;
            }
        }
        ws.set_landscape();
        if !t.headers.is_empty() {
            ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
            ws.autofilter(0, 0, t.rows.len() as u32, t.headers.len() as u16 - 1)
                .map_err(xlsx_err)?;
        }
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_for_excel() {
        assert_eq!(sheet_name("N01"), "N01", "a branch code is kept");
        assert_eq!(
            sheet_name("a/b:c"),
            "a_b_c",
            "forbidden characters are replaced"
        );
        assert_eq!(
            sheet_name(&"x".repeat(40)).len(),
            31,
            "at most 31 characters"
        );
        assert_eq!(sheet_name("History"), "History_", "Excel reserves History");
        assert_eq!(sheet_name(""), "Sheet", "never empty");
    }

    #[test]
    fn wrapped_text_needs_taller_rows() {
        assert_eq!(wrapped_lines("short", 60), 1, "fits on one line");
        assert_eq!(
            wrapped_lines(&"x".repeat(130), 60),
            3,
            "130 characters in 60 wide"
        );
        assert_eq!(wrapped_lines("a\nb", 60), 2, "line breaks count");
    }

    #[test]
    fn csv_cells_keep_missing_values_empty() {
        assert_eq!(
            Cell::num(None).csv(),
            "",
            "no value is an empty field, not 0"
        );
        assert_eq!(Cell::num(Some(f64::NAN)).csv(), "", "NaN is not a value");
        assert_eq!(
            Cell::num(Some(12.0)).csv(),
            "12",
            "whole numbers without decimals"
        );
        assert_eq!(Cell::num(Some(0.125)).csv(), "0.125", "decimal point");
        assert_eq!(Cell::text("  ").csv(), "", "blank text is empty");
        assert_eq!(
            Cell::time(Some(0)).csv(),
            "1970-01-01T00:00:00Z",
            "UTC ISO time"
        );
    }
}
