//! Reading a user's file into sheets of cells: XLSX through calamine (cached values of
//! formulas, dates, merged regions, hidden sheets), text files decoded from UTF-8 (with or
//! without BOM), UTF-16 (LE/BE with BOM) or Windows-1252/Latin-1, split on `,`, `;`, tab or
//! `|` (detected). Nothing here knows about branches or data elements.

use crate::error::{CoreError, ErrorCode, Result};
use std::io::Cursor;

/// Files larger than this are refused before they are parsed.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;
/// Columns beyond this are not read (a notice says so).
pub const MAX_COLUMNS: u32 = 512;
/// A sheet with more cells than this is refused.
pub const MAX_CELLS: usize = 40_000_000;
/// A merged region larger than this is not filled in.
const MAX_MERGE_CELLS: u64 = 4096;

/// One cell's value, as the file holds it (a formula's cached value).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date cell (or a date-formatted number): year, month, day.
    Date(i32, u32, u32),
    Bool(bool),
    /// A spreadsheet error such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.is_empty(),
            _ => false,
        }
    }

    /// The text shown for the cell in previews and messages.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => crate::store::format_real(*n),
            Cell::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// One non-empty row of a sheet.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based row number in the sheet (as a spreadsheet shows it).
    pub number: u32,
    /// Cells from column A; missing trailing cells are empty.
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn get(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub hidden: bool,
    /// Non-empty rows in order.
    pub rows: Vec<Row>,
    /// Merged regions (first row, first col, last row, last col), 0-based.
    pub merges: Vec<(u32, u32, u32, u32)>,
    /// Something the reader had to leave out (columns beyond the limit, an unclosed quote).
    pub notices: Vec<String>,
    /// Set when the sheet could not be read (the other sheets may still be usable).
    pub error: Option<String>,
    /// Whether the sheet was loaded (XLSX sheets are loaded on demand).
    pub loaded: bool,
    /// Text files: the row where a quoted field is opened and never closed.
    pub unclosed_quote: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

/// What was found out about the file while reading it.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub kind: Kind,
    /// Text files: the encoding that was used ("UTF-8", "UTF-8 with BOM", "UTF-16LE", …).
    pub encoding: Option<&'static str>,
    /// Text files: the separator.
    pub separator: Option<char>,
    pub sheets: Vec<Sheet>,
    xlsx: Option<Vec<u8>>,
}

fn rejected(msg: impl Into<String>) -> CoreError {
    CoreError::new(ErrorCode::ImportRejected, msg)
}

/// Reads `bytes` (a spreadsheet or a delimited text file). XLSX sheets are listed but not
/// loaded: call [`Workbook::load`] for the one that is needed.
pub fn open(bytes: &[u8]) -> Result<Workbook> {
    if bytes.len() > MAX_BYTES {
        return Err(rejected(format!(
            "the file is larger than {} MiB; split it and import the parts",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return open_xlsx(bytes);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(rejected(
            "this is an old Excel 97-2003 (.xls) file or a protected workbook: save it as .xlsx (Excel Workbook) or as CSV and import again",
        ));
    }
    if bytes.starts_with(b"%PDF") {
        return Err(rejected(
            "this is a PDF file: export the table as .xlsx or CSV and import that",
        ));
    }
    let (text, encoding) = decode(bytes)?;
    let separator = detect_separator(&text);
    let (rows, notices, unclosed_quote) = parse_delimited(&text, separator)?;
    Ok(Workbook {
        kind: Kind::Csv,
        encoding: Some(encoding),
        separator: Some(separator as char),
        sheets: vec![Sheet {
            name: String::new(),
            hidden: false,
            rows,
            merges: Vec::new(),
            notices,
            error: None,
            loaded: true,
            unclosed_quote,
        }],
        xlsx: None,
    })
}

// ---------------------------------------------------------------------------------------
// Text files

/// Decodes a text file: BOM first (UTF-8, UTF-16LE, UTF-16BE), then UTF-16 without BOM if its
/// zero bytes clearly say so, then UTF-8 if valid, else Windows-1252 (a superset of Latin-1's printable range).
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str)> {
    let (text, name) = if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (t, _) = enc.decode_without_bom_handling(body);
        let name = if enc == encoding_rs::UTF_8 {
            "UTF-8 with BOM"
        } else if enc == encoding_rs::UTF_16LE {
            "UTF-16LE"
        } else {
            "UTF-16BE"
        };
        (t.into_owned(), name)
    } else if let Some(enc) = utf16_without_bom(bytes) {
        let (t, _) = enc.decode_without_bom_handling(bytes);
        let name = if enc == encoding_rs::UTF_16LE {
            "UTF-16LE"
        } else {
            "UTF-16BE"
        };
        (t.into_owned(), name)
    } else if let Ok(t) = std::str::from_utf8(bytes) {
        (t.to_string(), "UTF-8")
    } else {
        let (t, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
        (t.into_owned(), "Windows-1252")
    };
    if text.contains('\0') {
        return Err(rejected(
            "the file is neither a spreadsheet (.xlsx) nor a text file (it holds binary data): export the table as .xlsx or CSV",
        ));
    }
    Ok((text, name))
}

/// UTF-16 without a BOM: most code units of a mostly-ASCII text have a zero high byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_zero = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zero = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd_zero * 10 > pairs * 7 && even_zero * 10 < pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even_zero * 10 > pairs * 7 && odd_zero * 10 < pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

const SEPARATORS: [u8; 4] = [b';', b'\t', b',', b'|'];

/// The separator that splits the first lines into the same number (> 1) of fields most
/// often; ties go to `;`, then tab, then `,` (a file with decimal commas is `;`-separated).
pub fn detect_separator(text: &str) -> u8 {
    let sample: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
    let mut best = (0usize, 0usize, b',');
    for &sep in &SEPARATORS {
        let (rows, _) = split_records(&sample, sep, 40);
        let counts: Vec<usize> = rows
            .iter()
            .filter(|r| r.iter().any(|f| !f.is_empty()))
            .map(Vec::len)
            .collect();
        let mut freq: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for &c in &counts {
            *freq.entry(c).or_default() += 1;
        }
        let Some((&mode, &n)) = freq
            .iter()
            .filter(|(&c, _)| c > 1)
            .max_by_key(|(&c, &n)| (n, c))
        else {
            continue;
        };
        if (n, mode) > (best.0, best.1) {
            best = (n, mode, sep);
        }
    }
    best.2
}

/// Splits text into records of fields (RFC 4180 quoting, `""` inside quotes; unquoted
/// fields trimmed). Every line is a record, blank lines included, so that record `i` is the
/// spreadsheet's row `i + 1`. Stops after `limit` records. Returns the records and whether a
/// quote was left open at the end. Stops (silently) after [`MAX_CELLS`] fields in all.
fn split_records(text: &str, sep: u8, limit: usize) -> (Vec<Vec<String>>, Option<usize>) {
    split_records_into(text, sep, limit, |f| f)
}

/// [`split_records`] with each field made into a `T` as it is read (cells for a sheet, without
/// a second pass that would allocate every record again).
fn split_records_into<T>(
    text: &str,
    sep: u8,
    limit: usize,
    make: impl Fn(String) -> T,
) -> (Vec<Vec<T>>, Option<usize>) {
    let b = text.as_bytes();
    let mut rows: Vec<Vec<T>> = Vec::new();
    let mut row: Vec<T> = Vec::new();
    let mut width = 0usize;
    let mut i = 0usize;
    let n = b.len();
    let mut unclosed = None;
    let mut fields = 0usize;
    while i < n && rows.len() < limit && fields <= MAX_CELLS {
        fields += 1;
        // One field.
        let mut field = String::new();
        // Leading blanks before a quote.
        let mut j = i;
        while j < n && (b[j] == b' ' || (b[j] == b'\t' && sep != b'\t')) {
            j += 1;
        }
        if j < n && b[j] == b'"' {
            // Quoted field.
            let mut k = j + 1;
            let mut start = k;
            loop {
                if k >= n {
                    field.push_str(text.get(start..n).unwrap_or_default());
                    unclosed = Some(rows.len());
                    break;
                }
                if b[k] == b'"' {
                    field.push_str(text.get(start..k).unwrap_or_default());
                    if k + 1 < n && b[k + 1] == b'"' {
                        field.push('"');
                        k += 2;
                        start = k;
                        continue;
                    }
                    k += 1;
                    break;
                }
                k += 1;
            }
            // Anything after the closing quote up to the separator is kept (lenient).
            let mut e = k;
            while e < n && b[e] != sep && b[e] != b'\n' && b[e] != b'\r' {
                e += 1;
            }
            let tail = text.get(k..e).unwrap_or_default().trim();
            field.push_str(tail);
            i = e;
        } else {
            let mut e = i;
            while e < n && b[e] != sep && b[e] != b'\n' && b[e] != b'\r' {
                e += 1;
            }
            field.push_str(text.get(i..e).unwrap_or_default().trim());
            i = e;
        }
        row.push(make(field));
        if i >= n {
            break;
        }
        if b[i] == sep {
            i += 1;
            if i >= n {
                row.push(make(String::new()));
            }
            continue;
        }
        // End of line.
        if b[i] == b'\r' && i + 1 < n && b[i + 1] == b'\n' {
            i += 2;
        } else {
            i += 1;
        }
        width = width.max(row.len());
        rows.push(std::mem::replace(&mut row, Vec::with_capacity(width)));
    }
    if !row.is_empty() && rows.len() < limit {
        rows.push(row);
    }
    (rows, unclosed)
}

/// Parses a delimited text into sheet rows (blank lines dropped, row numbers kept). Returns
/// the rows, notices, and the row where a quoted field was left open (an error: the rest of
/// the file was swallowed into one cell).
pub fn parse_delimited(text: &str, sep: u8) -> Result<(Vec<Row>, Vec<String>, Option<u32>)> {
    let (records, unclosed) = split_records_into(text, sep, usize::MAX, |f| {
        if f.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(f)
        }
    });
    let counted: usize = records.iter().map(Vec::len).sum();
    if counted > MAX_CELLS {
        return Err(rejected(format!(
            "the file has more than {MAX_CELLS} cells; split it and import the parts"
        )));
    }
    let mut notices = Vec::new();
    let mut rows = Vec::with_capacity(records.len());
    let mut cut = false;
    for (i, mut cells) in records.into_iter().enumerate() {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        if cells.len() > MAX_COLUMNS as usize {
            cells.truncate(MAX_COLUMNS as usize);
            cut = true;
        }
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        rows.push(Row {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            cells,
        });
    }
    if cut {
        notices.push(format!("columns after the {MAX_COLUMNS}th were not read"));
    }
    let unclosed = unclosed.map(|r| u32::try_from(r + 1).unwrap_or(u32::MAX));
    Ok((rows, notices, unclosed))
}

// ---------------------------------------------------------------------------------------
// XLSX

type Xlsx<'a> = calamine::Xlsx<Cursor<&'a [u8]>>;

fn xlsx_error(e: impl std::fmt::Display) -> CoreError {
    rejected(format!(
        "the spreadsheet cannot be read ({e}); open it in your spreadsheet program, save it again as .xlsx and import again"
    ))
}

fn open_xlsx(bytes: &[u8]) -> Result<Workbook> {
    use calamine::Reader;
    let book: Xlsx<'_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheets = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| Sheet {
            name: s.name.clone(),
            hidden: s.visible != calamine::SheetVisible::Visible,
            rows: Vec::new(),
            merges: Vec::new(),
            notices: Vec::new(),
            error: None,
            loaded: false,
            unclosed_quote: None,
        })
        .collect();
    Ok(Workbook {
        kind: Kind::Xlsx,
        encoding: None,
        separator: None,
        sheets,
        xlsx: Some(bytes.to_vec()),
    })
}

impl Workbook {
    /// Loads sheet `i` (XLSX); a sheet that cannot be read keeps the reason in `error`.
    pub fn load(&mut self, i: usize) {
        let Some(bytes) = self.xlsx.as_deref() else {
            return;
        };
        let Some(sheet) = self.sheets.get(i) else {
            return;
        };
        if sheet.loaded {
            return;
        }
        let name = sheet.name.clone();
        let loaded = load_xlsx_sheet(bytes, &name);
        if let Some(sheet) = self.sheets.get_mut(i) {
            sheet.loaded = true;
            match loaded {
                Ok((rows, merges, notices)) => {
                    sheet.rows = rows;
                    sheet.merges = merges;
                    sheet.notices = notices;
                }
                Err(e) => sheet.error = Some(e.message),
            }
        }
    }
}

type Loaded = (Vec<Row>, Vec<(u32, u32, u32, u32)>, Vec<String>);

fn load_xlsx_sheet(bytes: &[u8], name: &str) -> Result<Loaded> {
    use calamine::Reader;
    let mut book: Xlsx<'_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(xlsx_error)?;
    let _ = book.sheets_metadata();
    let mut notices = Vec::new();
    let mut cut = false;
    // Sparse cells, in stream order (rows ascending in well-formed files; sorted below).
    let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
    {
        let mut reader = book.worksheet_cells_reader(name).map_err(xlsx_error)?;
        while let Some(c) = reader.next_cell().map_err(xlsx_error)? {
            let (r, col) = c.get_position();
            if col >= MAX_COLUMNS {
                cut = true;
                continue;
            }
            let cell = convert(c.get_value());
            if cell.is_empty() {
                continue;
            }
            cells.push((r, col, cell));
            if cells.len() > MAX_CELLS {
                return Err(rejected(format!(
                    "the sheet '{name}' has more than {MAX_CELLS} cells; split it and import the parts"
                )));
            }
        }
    }
    if cut {
        notices.push(format!("columns after the {MAX_COLUMNS}th were not read"));
    }
    let merges: Vec<(u32, u32, u32, u32)> = book
        .merge_cells_by_sheet_name(name)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.start.0 <= d.end.0 && d.start.1 <= d.end.1)
        .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
        .collect();
    cells.sort_by_key(|c| (c.0, c.1));
    let mut rows: Vec<Row> = Vec::new();
    for (r, c, cell) in cells {
        let number = r.saturating_add(1);
        if rows.last().map(|x| x.number) != Some(number) {
            rows.push(Row {
                number,
                cells: Vec::new(),
            });
        }
        if let Some(row) = rows.last_mut() {
            let c = c as usize;
            if row.cells.len() <= c {
                row.cells.resize(c + 1, Cell::Empty);
            }
            row.cells[c] = cell;
        }
    }
    fill_merges(&mut rows, &merges);
    Ok((rows, merges, notices))
}

/// Copies the value of each merged region's first cell into the region's other cells, so a
/// header spanning several columns (or a branch spanning rows) applies to each of them.
fn fill_merges(rows: &mut Vec<Row>, merges: &[(u32, u32, u32, u32)]) {
    for &(r0, c0, r1, c1) in merges {
        let size = (u64::from(r1) - u64::from(r0) + 1) * (u64::from(c1) - u64::from(c0) + 1);
        if !(2..=MAX_MERGE_CELLS).contains(&size) || c1 >= MAX_COLUMNS {
            continue;
        }
        let Some(value) = rows
            .iter()
            .find(|r| r.number == r0.saturating_add(1))
            .map(|r| r.get(c0 as usize).clone())
        else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        for rn in r0..=r1 {
            let number = rn.saturating_add(1);
            let idx = match rows.binary_search_by_key(&number, |r| r.number) {
                Ok(i) => i,
                Err(i) => {
                    rows.insert(
                        i,
                        Row {
                            number,
                            cells: Vec::new(),
                        },
                    );
                    i
                }
            };
            let row = &mut rows[idx];
            for c in c0..=c1 {
                let c = c as usize;
                if row.cells.len() <= c {
                    row.cells.resize(c + 1, Cell::Empty);
                }
                if row.cells[c].is_empty() {
                    row.cells[c] = value.clone();
                }
            }
        }
    }
}

fn convert(v: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef as D;
    match v {
        D::Int(i) => Cell::Number(*i as f64),
        D::Float(f) => {
            if f.is_finite() {
                Cell::Number(*f)
            } else {
                Cell::Error("#NUM!".into())
            }
        }
        D::String(s) => text_cell(s),
        D::SharedString(s) => text_cell(s),
        D::Bool(b) => Cell::Bool(*b),
        D::DateTime(d) => {
            if d.is_datetime() && d.as_f64().is_finite() && d.as_f64() >= 1.0 {
                let (y, m, day, ..) = d.to_ymd_hms_milli();
                Cell::Date(i32::from(y), u32::from(m), u32::from(day))
            } else {
                Cell::Number(if d.as_f64().is_finite() {
                    d.as_f64()
                } else {
                    0.0
                })
            }
        }
        D::DateTimeIso(s) | D::DurationIso(s) => text_cell(s),
        D::Error(e) => Cell::Error(format!("#{e:?}")),
        D::Empty => Cell::Empty,
    }
}

fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(t.to_string())
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `A` → 0, `AA` → 26 (letters only, case-insensitive).
pub fn column_index(letters: &str) -> Option<usize> {
    let t = letters.trim();
    if t.is_empty() || t.len() > 3 {
        return None;
    }
    let mut n = 0usize;
    for ch in t.chars() {
        if !ch.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + (ch.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    Some(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_round_trip() {
        for (i, s) in [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_letter(i), s, "column {i} is written {s}");
            assert_eq!(column_index(s), Some(i), "{s} is column {i}");
        }
    }

    #[test]
    fn records_keep_row_numbers_and_quotes() {
        let (rows, unclosed) =
            split_records("a,b\n\n\"x,1\",\"say \"\"hi\"\"\"\r\nlast", b',', 100);
        assert_eq!(unclosed, None, "every quote is closed");
        assert_eq!(
            rows.len(),
            4,
            "the blank line is a record too, so rows keep their numbers"
        );
        assert_eq!(
            rows[2],
            vec!["x,1".to_string(), "say \"hi\"".to_string()],
            "quotes protect separators and escape quotes"
        );
        assert_eq!(
            rows[3],
            vec!["last".to_string()],
            "a last line without newline is read"
        );
    }

    #[test]
    fn separators_are_detected() {
        assert_eq!(
            detect_separator("a;b;c\n1;2,5;3\n"),
            b';',
            "semicolons with decimal commas"
        );
        assert_eq!(detect_separator("a,b,c\n1,2,3\n"), b',', "commas");
        assert_eq!(detect_separator("a\tb\tc\n1\t2\t3\n"), b'\t', "tabs");
        assert_eq!(
            detect_separator("a,b\n\"1,5\",2\n"),
            b',',
            "quoted decimal comma"
        );
    }

    #[test]
    fn encodings_are_detected() {
        let (t, e) = decode(b"\xEF\xBB\xBFbranch").expect("utf-8 bom");
        assert_eq!(
            (t.as_str(), e),
            ("branch", "UTF-8 with BOM"),
            "the BOM is dropped and reported"
        );
        let (t, e) = decode(b"Agence;R\xE9gion").expect("latin-1");
        assert_eq!(
            (t.as_str(), e),
            ("Agence;Région", "Windows-1252"),
            "invalid UTF-8 is read as Windows-1252"
        );
        let mut le = vec![0xFF, 0xFE];
        for u in "é;x".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let (t, e) = decode(&le).expect("utf-16le");
        assert_eq!((t.as_str(), e), ("é;x", "UTF-16LE"), "UTF-16 with BOM");
        let mut be = vec![0xFE, 0xFF];
        for u in "Agence;Période".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        let (t, e) = decode(&be).expect("utf-16be");
        assert_eq!(
            (t.as_str(), e),
            ("Agence;Période", "UTF-16BE"),
            "big-endian UTF-16 with BOM"
        );
        let (t, e) = decode(b"A\0g\0e\0n\0c\0e\0;\0N\0").expect("utf-16le without BOM");
        assert_eq!(
            (t.as_str(), e),
            ("Agence;N", "UTF-16LE"),
            "UTF-16 without BOM is recognised by its zero bytes"
        );
        assert!(
            decode(b"\x01\0\0\0\x02\0\0\0\0\0").is_err(),
            "binary data is refused rather than read as text"
        );
    }
}
