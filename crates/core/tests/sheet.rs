//! Spreadsheet import (`mizani_core::sheet`) on a corpus of awkward files: the CSVs committed
//! under tests/fixtures/spreadsheets/ and XLSX workbooks generated here with rust_xlsxwriter.
//! Each file's expected values are checked in the database; each malformed file must give
//! errors located on their cells and leave the database exactly as it was.

mod common;

use mizani_core::api;
use mizani_core::period::Month;
use mizani_core::sheet::{
    self, ColumnMapping, ImportOptions, Layout, Mapping, MappingSource, ProblemCode, Role,
    Severity, ValueStatus,
};
use mizani_core::{ErrorCode, Store};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::path::PathBuf;

/// An institution with three branches: N01 Kalanga, N02 Mbour, S01 Ziguinchor.
fn mfi() -> Store {
    let mut s = common::store(Some(950_000.0));
    for (code, name, region) in [
        ("N01", "Kalanga", "North"),
        ("N02", "Mbour", "Coast"),
        ("S01", "Ziguinchor", "South"),
    ] {
        api::branch_add(&mut s, code, name, Some(region)).expect("a new branch is added");
    }
    s
}

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/spreadsheets")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {} is readable: {e}", p.display()))
}

fn value(s: &Store, branch: &str, element: &str, month: &str) -> Option<f64> {
    let m = Month::parse(month).expect("valid month");
    s.conn()
        .query_row(
            "SELECT m.value FROM measurement m JOIN branch b ON b.id = m.branch_id
             JOIN data_element e ON e.id = m.element_id
             WHERE b.code = ?1 AND e.code = ?2 AND m.month = ?3",
            rusqlite::params![branch, element, m.0],
            |r| r.get(0),
        )
        .ok()
}

fn count(s: &Store) -> i64 {
    s.conn()
        .query_row("SELECT count(*) FROM measurement", [], |r| r.get(0))
        .expect("count")
}

/// Every row of every table, to prove that a refused import changed nothing.
fn dump(s: &Store) -> String {
    let c = s.conn();
    let mut out = String::new();
    for t in common::table_names(c) {
        out.push_str(&format!("## {t}\n"));
        out.push_str(&common::sorted_rows(c, &t).join("\n"));
        out.push('\n');
    }
    out
}

fn opts() -> ImportOptions {
    ImportOptions::default()
}

fn commit(s: &mut Store, name: &str, bytes: &[u8]) -> mizani_core::import::ImportReport {
    sheet::commit(s, bytes, name, &opts(), false)
        .unwrap_or_else(|e| panic!("{name} imports: {e} {:#?}", e.details))
}

#[track_caller]
fn close(got: Option<f64>, want: f64, why: &str) {
    common::assert_close(got, want, why);
}

#[test]
fn the_long_csv_of_the_core_imports_with_its_comments() {
    let mut s = mfi();
    let bytes = fixture("long-basic.csv");
    let p = sheet::preview(&s, &bytes, "long-basic.csv", &opts()).expect("preview");
    assert_eq!(
        p.inspection.format.layout,
        Some(Layout::Long),
        "branch,period,element,value is the long layout"
    );
    assert_eq!(
        p.inspection.format.encoding.as_deref(),
        Some("UTF-8"),
        "plain UTF-8"
    );
    assert_eq!(
        (p.counts.new, p.counts.errors),
        (5, 0),
        "five new values, no error: {:?}",
        p.problems
    );
    assert!(p.can_commit, "a clean file can be committed");
    let r = commit(&mut s, "long-basic.csv", &bytes);
    assert_eq!((r.rows, r.inserted), (5, 5), "every row is written");
    close(
        value(&s, "N01", "par30_balance", "2025-03"),
        55_000.0,
        "the value of row 4",
    );
    let comment: Option<String> = s
        .conn()
        .query_row(
            "SELECT comment FROM measurement WHERE comment IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("one comment");
    assert_eq!(
        comment.as_deref(),
        Some("Drought in the north"),
        "the comment column is stored"
    );
    let p = sheet::preview(&s, &bytes, "long-basic.csv", &opts()).expect("preview again");
    assert_eq!(
        (p.counts.new, p.counts.unchanged),
        (0, 5),
        "a second import of the same file changes nothing"
    );
    assert!(
        p.values.iter().all(|v| v.status == ValueStatus::Unchanged),
        "each value is marked unchanged"
    );
}

#[test]
fn latin1_semicolons_decimal_commas_and_a_totals_row() {
    let mut s = mfi();
    let bytes = fixture("wide-latin1-semicolon.csv");
    let p = sheet::preview(&s, &bytes, "wide-latin1-semicolon.csv", &opts()).expect("preview");
    let f = &p.inspection.format;
    assert_eq!(
        f.encoding.as_deref(),
        Some("Windows-1252"),
        "bytes that are not UTF-8 are read as Windows-1252 (Latin-1)"
    );
    assert_eq!(f.separator.as_deref(), Some(";"), "semicolon separated");
    assert_eq!(
        f.numbers.decimal,
        sheet::DecimalMark::Comma,
        "decimal comma detected: {:?}",
        f.numbers
    );
    assert_eq!(
        f.numbers.thousands.as_deref(),
        Some(" "),
        "thousands separated by spaces"
    );
    assert_eq!(f.layout, Some(Layout::Wide), "one column per data element");
    let h: Vec<(Role, Option<&str>)> = p
        .inspection
        .headers
        .iter()
        .map(|h| (h.role, h.element.as_deref()))
        .collect();
    assert_eq!(
        h,
        vec![
            (Role::Branch, None),
            (Role::Period, None),
            (Role::Data, Some("glp")),
            (Role::Data, Some("par30_balance")),
            (Role::Data, Some("active_borrowers")),
        ],
        "French names with accents match the elements; Agence and Période are branch and period"
    );
    assert_eq!(
        p.skipped.len(),
        1,
        "the totals row is skipped: {:?}",
        p.skipped
    );
    assert_eq!(
        p.skipped[0].cell, "wide-latin1-semicolon.csv!A4",
        "located on its row"
    );
    assert!(p.skipped[0].reason.contains("totals"), "{:?}", p.skipped[0]);
    commit(&mut s, "wide-latin1-semicolon.csv", &bytes);
    close(
        value(&s, "N01", "glp", "2025-03"),
        1_234_567.5,
        "'1 234 567,50' with a decimal comma",
    );
    close(
        value(&s, "N01", "par30_balance", "2025-03"),
        12_345.5,
        "'12 345,5'",
    );
    close(
        value(&s, "N01", "active_borrowers", "2025-03"),
        1250.0,
        "'1 250' is a whole count",
    );
    close(
        value(&s, "N02", "par30_balance", "2025-03"),
        0.0,
        "zero is a value, kept",
    );
    assert_eq!(
        count(&s),
        6,
        "two branches × three elements; the totals row wrote nothing"
    );
}

#[test]
fn utf16_tabs_spanish_names_and_branch_names() {
    let mut s = mfi();
    let bytes = fixture("wide-utf16-tab.csv");
    let p = sheet::preview(&s, &bytes, "wide-utf16-tab.csv", &opts()).expect("preview");
    assert_eq!(
        p.inspection.format.encoding.as_deref(),
        Some("UTF-16LE"),
        "UTF-16 with a BOM"
    );
    assert_eq!(
        p.inspection.format.separator.as_deref(),
        Some("tab"),
        "tab separated"
    );
    assert!(
        p.inspection.headers[2].how.contains("Spanish"),
        "'Cartera bruta de préstamos' is glp's Spanish name: {:?}",
        p.inspection.headers[2]
    );
    commit(&mut s, "wide-utf16-tab.csv", &bytes);
    close(
        value(&s, "N01", "glp", "2025-03"),
        1_500_000.0,
        "Kalanga is N01's name; Mar-25 is 2025-03",
    );
    close(
        value(&s, "N02", "active_borrowers", "2025-03"),
        410.0,
        "Mbour is N02",
    );
}

#[test]
fn a_bom_thousands_commas_blank_and_total_rows() {
    let mut s = mfi();
    let bytes = fixture("wide-bom-comma.csv");
    let p = sheet::preview(&s, &bytes, "wide-bom-comma.csv", &opts()).expect("preview");
    let f = &p.inspection.format;
    assert_eq!(
        f.encoding.as_deref(),
        Some("UTF-8 with BOM"),
        "the BOM is recognised"
    );
    assert_eq!(
        (f.numbers.decimal, f.numbers.thousands.as_deref()),
        (sheet::DecimalMark::Point, Some(",")),
        "1,234,567.5: decimal point, comma thousands"
    );
    let reasons: Vec<(&str, &str)> = p
        .skipped
        .iter()
        .map(|k| (k.cell.as_str(), k.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("wide-bom-comma.csv!A3", "empty row"),
            ("wide-bom-comma.csv!A5", "totals row ('TOTAL')")
        ],
        "the blank line and the TOTAL row are skipped with a notice"
    );
    commit(&mut s, "wide-bom-comma.csv", &bytes);
    close(
        value(&s, "N01", "glp", "2025-03"),
        1_234_567.5,
        "03/2025 is March",
    );
    close(
        value(&s, "N01", "par30_balance", "2025-03"),
        12_000.25,
        "quoted 12,000.25",
    );
    close(
        value(&s, "N02", "active_clients", "2025-03"),
        1200.0,
        "English name of active_clients",
    );
}

#[test]
fn the_month_in_a_title_row_and_a_note_below_the_table() {
    let mut s = mfi();
    let bytes = fixture("wide-title-period.csv");
    let p = sheet::preview(&s, &bytes, "wide-title-period.csv", &opts()).expect("preview");
    let f = &p.inspection.format;
    assert_eq!(
        f.period.as_deref(),
        Some("2025-03"),
        "'mars 2025' in the title row: {f:?}"
    );
    assert_eq!(
        f.period_source.as_deref(),
        Some("title cell wide-title-period.csv!A1"),
        "the report says where the month comes from"
    );
    assert_eq!(
        f.header_row, 3,
        "the header is below the title and a blank row"
    );
    assert_eq!(
        p.inspection.headers[3].role,
        Role::Ignore,
        "Région holds no figures"
    );
    assert_eq!(
        p.skipped.len(),
        1,
        "the source note is skipped: {:?}",
        p.skipped
    );
    assert_eq!(p.skipped[0].row, 6, "row 6 is the note");
    commit(&mut s, "wide-title-period.csv", &bytes);
    close(
        value(&s, "N01", "glp", "2025-03"),
        1_234_567.5,
        "'1.234.567,5': dot thousands, decimal comma",
    );
    close(
        value(&s, "N01", "active_borrowers", "2025-03"),
        1250.0,
        "'1.250' in a decimal-comma file is 1250",
    );
    close(value(&s, "S01", "glp", "2025-03"), 987_654.25, "second row");
}

#[test]
fn two_header_rows_and_an_unlabelled_sum_row() {
    let mut s = mfi();
    let bytes = fixture("wide-two-header-rows.csv");
    let p = sheet::preview(&s, &bytes, "wide-two-header-rows.csv", &opts()).expect("preview");
    assert_eq!(
        (
            p.inspection.format.header_row,
            p.inspection.format.header_rows
        ),
        (1, 2),
        "a group row above the element names"
    );
    assert_eq!(
        p.inspection.headers[3].header, "Portefeuille / Portefeuille à risque > 30 jours",
        "the group name is carried right over its columns"
    );
    assert_eq!(
        p.inspection.headers[3].element.as_deref(),
        Some("par30_balance"),
        "matched on the lower row"
    );
    assert_eq!(
        p.skipped.len(),
        1,
        "the sum row is skipped: {:?}",
        p.skipped
    );
    assert!(p.skipped[0].reason.contains("sum"), "{:?}", p.skipped[0]);
    commit(&mut s, "wide-two-header-rows.csv", &bytes);
    close(
        value(&s, "N02", "active_women_borrowers", "2025-03"),
        260.0,
        "last column",
    );
    assert_eq!(
        count(&s),
        8,
        "two branches × four elements, nothing from the sum row"
    );
}

/// The error cells of a malformed file, in reading order.
type Expected = Vec<(&'static str, ProblemCode)>;

#[test]
fn every_malformed_file_gives_cell_located_errors_and_changes_nothing() {
    let mut s = mfi();
    commit(&mut s, "long-basic.csv", &fixture("long-basic.csv"));
    let before = dump(&s);
    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        (
            "bad-wide.csv",
            fixture("bad-wide.csv"),
            vec![
                ("bad-wide.csv!E1", ProblemCode::UnmatchedHeader),
                ("bad-wide.csv!A3", ProblemCode::UnknownBranch),
                ("bad-wide.csv!C4", ProblemCode::NotANumber),
                ("bad-wide.csv!D4", ProblemCode::Negative),
                ("bad-wide.csv!C5", ProblemCode::Duplicate),
                ("bad-wide.csv!D5", ProblemCode::Duplicate),
                ("bad-wide.csv!B6", ProblemCode::FuturePeriod),
            ],
        ),
        (
            "bad-long.csv",
            fixture("bad-long.csv"),
            vec![
                ("bad-long.csv!B3", ProblemCode::BadPeriod),
                ("bad-long.csv!C4", ProblemCode::UnknownElement),
                ("bad-long.csv!D5", ProblemCode::EmptyValue),
                ("bad-long.csv!D6", ProblemCode::NotWhole),
            ],
        ),
        (
            "bad-quote.csv",
            fixture("bad-quote.csv"),
            vec![("bad-quote.csv!A2", ProblemCode::BadQuote)],
        ),
        (
            "bad.xlsx",
            bad_xlsx(),
            vec![
                ("'Mars 2025'!B3", ProblemCode::NotANumber),
                ("'Mars 2025'!C3", ProblemCode::NotANumber),
                ("'Mars 2025'!A4", ProblemCode::UnknownBranch),
                ("'Mars 2025'!B5", ProblemCode::NotANumber),
            ],
        ),
    ];
    for (name, bytes, want) in cases {
        let p = sheet::preview(&s, &bytes, name, &opts())
            .unwrap_or_else(|e| panic!("{name}: a preview lists problems instead of failing: {e}"));
        let got: Vec<(&str, ProblemCode)> = p
            .problems
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .map(|x| (x.cell.as_str(), x.code))
            .collect();
        assert_eq!(
            got, want,
            "{name}: every error on its cell, in reading order: {:#?}",
            p.problems
        );
        assert!(
            !p.can_commit,
            "{name}: a file with errors cannot be committed"
        );
        let e = sheet::commit(&mut s, &bytes, name, &opts(), false).expect_err("refused");
        assert_eq!(
            e.code,
            ErrorCode::ImportRejected,
            "{name}: refused as a whole"
        );
        for (cell, _) in &want {
            assert!(
                e.details
                    .iter()
                    .any(|d| d.starts_with(&format!("{cell}: "))),
                "{name}: the refusal lists {cell}: {:?}",
                e.details
            );
        }
        assert_eq!(
            before,
            dump(&s),
            "{name}: a refused file leaves the database exactly as it was"
        );
    }
    // Not a spreadsheet at all.
    for (name, bytes) in [
        ("zip.xlsx", b"PK\x03\x04 this is no zip".to_vec()),
        ("old.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest".to_vec()),
        ("bin.csv", vec![0u8, 1, 2, 3, 0, 0, 0, 9]),
        ("empty.csv", Vec::new()),
    ] {
        let e = sheet::commit(&mut s, &bytes, name, &opts(), false).expect_err("refused");
        assert_eq!(
            e.code,
            ErrorCode::ImportRejected,
            "{name}: refused with a reason: {e}"
        );
        assert_eq!(before, dump(&s), "{name}: nothing changed");
    }
}

/// A workbook with a hidden first sheet, a title merged across the top, a header split over
/// two rows with merged group cells, formulas (read through their cached values) and a
/// totals row of SUM formulas.
fn wide_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let notes = wb.add_worksheet();
    notes.set_name("Notes").expect("name");
    notes.write_string(0, 0, "Agence").expect("w");
    notes.write_string(0, 1, "Mois").expect("w");
    notes.write_string(0, 2, "glp").expect("w");
    notes.write_string(1, 0, "N01").expect("w");
    notes.write_string(1, 1, "2025-01").expect("w");
    notes.write_number(1, 2, 777.0).expect("w");
    notes.set_hidden(true);
    let ws = wb.add_worksheet();
    ws.set_name("Mars 2025").expect("name");
    // The first sheet can only be hidden when another one is active.
    ws.set_active(true);
    ws.merge_range(0, 0, 0, 5, "Rapport mensuel des agences — mars 2025", &bold)
        .expect("merge");
    ws.merge_range(2, 0, 3, 0, "Agence", &bold).expect("merge");
    ws.merge_range(2, 1, 2, 2, "Portefeuille", &bold)
        .expect("merge");
    ws.merge_range(2, 3, 2, 4, "Clientèle", &bold)
        .expect("merge");
    ws.write_string(2, 5, "Commentaire").expect("w");
    for (c, h) in [
        "Encours brut de crédit",
        "PAR 30 (par30_balance)",
        "Emprunteurs actifs",
        "Emprunteuses actives",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(3, (c + 1) as u16, *h).expect("w");
    }
    let rows: [(&str, f64, f64, f64); 2] = [
        ("N01", 1_000_000.0, 0.0, 300.0),
        ("S01", 3_000_000.0, 0.0, 500.0),
    ];
    for (i, (b, glp, _, borrowers)) in rows.iter().enumerate() {
        let r = (4 + i) as u32;
        ws.write_string(r, 0, *b).expect("w");
        ws.write_number(r, 1, *glp).expect("w");
        // PAR30 = 5 % of the portfolio, as a formula with its cached result.
        ws.write_formula(
            r,
            2,
            Formula::new(format!("=B{}*0.05", r + 1)).set_result(format!("{}", glp * 0.05)),
        )
        .expect("w");
        ws.write_number(r, 3, *borrowers).expect("w");
        ws.write_formula(
            r,
            4,
            Formula::new(format!("=ROUND(D{}*0.6,0)", r + 1))
                .set_result(format!("{}", (borrowers * 0.6).round())),
        )
        .expect("w");
    }
    ws.write_string(4, 5, "Sécheresse").expect("w");
    ws.write_string(6, 0, "Total général").expect("w");
    for (c, v) in [(1u16, 4_000_000.0), (2, 200_000.0), (3, 800.0), (4, 480.0)] {
        let col = (b'A' + c as u8) as char;
        ws.write_formula(
            6,
            c,
            Formula::new(format!("=SUM({col}5:{col}6)")).set_result(format!("{v}")),
        )
        .expect("w");
    }
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn an_xlsx_with_a_hidden_sheet_merged_headers_formulas_and_totals() {
    let mut s = mfi();
    let bytes = wide_xlsx();
    let p = sheet::preview(&s, &bytes, "agences.xlsx", &opts()).expect("preview");
    let i = &p.inspection;
    assert_eq!(
        i.sheet.as_deref(),
        Some("Mars 2025"),
        "the first visible sheet with data, not the hidden one"
    );
    assert!(i.sheets[0].hidden, "Notes is listed as hidden");
    assert!(
        i.notices
            .iter()
            .any(|n| n.contains("hidden") && n.contains("Notes")),
        "a notice says the hidden sheet was ignored: {:?}",
        i.notices
    );
    assert_eq!(
        (i.format.header_row, i.format.header_rows),
        (3, 2),
        "two header rows under the title"
    );
    assert_eq!(
        i.format.period.as_deref(),
        Some("2025-03"),
        "the month of the merged title"
    );
    assert_eq!(
        i.headers[2].element.as_deref(),
        Some("par30_balance"),
        "a code in parentheses matches: {:?}",
        i.headers[2]
    );
    assert_eq!(
        i.headers[5].role,
        Role::Comment,
        "Commentaire is the comment column"
    );
    assert_eq!(p.counts.errors, 0, "a clean workbook: {:?}", p.problems);
    assert_eq!(
        p.skipped.len(),
        1,
        "the Total général row is skipped: {:?}",
        p.skipped
    );
    assert_eq!(
        p.skipped[0].cell, "'Mars 2025'!A7",
        "sheet names with spaces are quoted as Excel does"
    );
    commit(&mut s, "agences.xlsx", &bytes);
    close(
        value(&s, "N01", "par30_balance", "2025-03"),
        50_000.0,
        "a formula's cached value",
    );
    close(
        value(&s, "S01", "active_women_borrowers", "2025-03"),
        300.0,
        "ROUND(500*0.6) cached",
    );
    assert_eq!(
        value(&s, "N01", "glp", "2025-01"),
        None,
        "nothing from the hidden sheet"
    );
    let comment: String = s
        .conn()
        .query_row("SELECT comment FROM measurement m JOIN data_element e ON e.id = m.element_id WHERE e.code = 'glp' AND m.comment IS NOT NULL", [], |r| r.get(0))
        .expect("comment");
    assert_eq!(
        comment, "Sécheresse",
        "the row's comment goes with its values"
    );

    // The hidden sheet is read when chosen by name.
    let o = ImportOptions {
        sheet: Some("notes".into()),
        ..opts()
    };
    let r = sheet::commit(&mut s, &bytes, "agences.xlsx", &o, false)
        .expect("the hidden sheet imports when chosen");
    assert_eq!(
        (r.sheet.as_deref(), r.inserted),
        (Some("Notes"), 1),
        "chosen by name, case ignored"
    );
    close(
        value(&s, "N01", "glp", "2025-01"),
        777.0,
        "the hidden sheet's value",
    );
    let o = ImportOptions {
        sheet: Some("Avril".into()),
        ..opts()
    };
    let e = sheet::preview(&s, &bytes, "agences.xlsx", &o).expect_err("no such sheet");
    assert!(
        e.message.contains("'Mars 2025'") && e.message.contains("(hidden)"),
        "the refusal lists the sheets: {e}"
    );
}

/// A long sheet whose periods are Excel dates (displayed as Mar-25) and date-formatted
/// serial numbers.
fn dates_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let mmm = Format::new().set_num_format("mmm-yy");
    let ws = wb.add_worksheet();
    ws.set_name("Data").expect("name");
    for (c, h) in ["Branch", "Period", "Element", "Value"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("w");
    }
    let d = |y, m, day| ExcelDateTime::from_ymd(y, m, day).expect("date");
    ws.write_string(1, 0, "N01").expect("w");
    ws.write_datetime_with_format(1, 1, d(2025, 2, 1), &mmm)
        .expect("w");
    ws.write_string(1, 2, "glp").expect("w");
    ws.write_number(1, 3, 100.0).expect("w");
    ws.write_string(2, 0, "N01").expect("w");
    ws.write_datetime_with_format(2, 1, d(2025, 3, 31), &mmm)
        .expect("w");
    ws.write_string(2, 2, "Encours brut de crédit").expect("w");
    ws.write_number(2, 3, 120.0).expect("w");
    ws.write_string(3, 0, "N02").expect("w");
    ws.write_string(3, 1, "mars 2025").expect("w");
    ws.write_string(3, 2, "glp").expect("w");
    ws.write_string(3, 3, "1 000,5").expect("w");
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn excel_date_cells_are_months() {
    let mut s = mfi();
    let r = commit(&mut s, "dates.xlsx", &dates_xlsx());
    assert_eq!(r.inserted, 3, "three values");
    close(
        value(&s, "N01", "glp", "2025-02"),
        100.0,
        "a date cell of 1 Feb 2025 is February",
    );
    close(
        value(&s, "N01", "glp", "2025-03"),
        120.0,
        "31 March 2025 is March; the element by its French name",
    );
    close(
        value(&s, "N02", "glp", "2025-03"),
        1000.5,
        "a text period and a text number in a workbook",
    );
}

/// A workbook with a formula error, text in a number column and an unknown branch.
fn bad_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Mars 2025").expect("name");
    for (c, h) in ["Agence", "glp", "active_borrowers"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("w");
    }
    ws.write_string(1, 0, "N01").expect("w");
    ws.write_number(1, 1, 5.0).expect("w");
    ws.write_number(1, 2, 5.0).expect("w");
    ws.write_string(2, 0, "N02").expect("w");
    ws.write_formula(2, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .expect("w");
    ws.write_string(2, 2, "n/a").expect("w");
    ws.write_string(3, 0, "Z9").expect("w");
    ws.write_number(3, 1, 5.0).expect("w");
    ws.write_string(4, 0, "S01").expect("w");
    ws.write_boolean(4, 1, true).expect("w");
    wb.save_to_buffer().expect("xlsx")
}

#[test]
fn unmatched_headers_are_mapped_once_and_the_mapping_is_reused() {
    let mut s = mfi();
    let march = "Agence;Mois;Encours brut de crédit;Nouveaux adhérents;Observations internes\nN01;2025-03;1000;12;ok\n";
    let april = "Agence;Mois;Encours brut de crédit;Nouveaux adhérents;Observations internes\nN01;2025-04;1100;15;\n";
    let i = sheet::inspect(&s, march.as_bytes(), "agences-2025-03.csv", &opts()).expect("inspect");
    assert_eq!(
        i.mapping_source,
        MappingSource::Suggested,
        "nothing saved yet"
    );
    let roles: Vec<Role> = i.headers.iter().map(|h| h.role).collect();
    assert_eq!(
        roles,
        vec![
            Role::Branch,
            Role::Period,
            Role::Data,
            Role::Unmatched,
            Role::Unmatched
        ],
        "two headers match nothing"
    );
    let p = sheet::preview(&s, march.as_bytes(), "agences-2025-03.csv", &opts()).expect("preview");
    let unmatched: Vec<&str> = p
        .problems
        .iter()
        .filter(|x| x.code == ProblemCode::UnmatchedHeader)
        .map(|x| x.cell.as_str())
        .collect();
    assert_eq!(
        unmatched,
        vec!["agences-2025-03.csv!D1", "agences-2025-03.csv!E1"],
        "each unmatched header is an error on its cell"
    );

    // The user maps one to a data element and ignores the other.
    let mut mapping = i.mapping.clone();
    mapping.columns[3] = ColumnMapping {
        header: "Nouveaux adhérents".into(),
        role: Role::Data,
        element: Some("new_clients".into()),
    };
    mapping.columns[4].role = Role::Ignore;
    let json = serde_json::to_string(&mapping).expect("json");
    let mapping = sheet::mapping_from_json(&json).expect("a mapping reads back from its JSON");
    let o = ImportOptions {
        mapping: Some(mapping),
        ..opts()
    };
    let r = sheet::commit(&mut s, march.as_bytes(), "agences-2025-03.csv", &o, false)
        .expect("imports with the mapping");
    assert!(r.mapping_saved, "a given mapping is saved for the source");
    close(
        value(&s, "N01", "new_clients", "2025-03"),
        12.0,
        "the mapped column",
    );
    assert!(
        sheet::check(s.conn()).expect("check").is_empty(),
        "`mizani check` finds the saved mapping sound"
    );
    // A mapping that names a data element that does not exist (edited by hand) is reported.
    s.conn()
        .execute(
            "UPDATE import_mapping SET mapping = replace(mapping, 'new_clients', 'no_such_element')",
            [],
        )
        .expect("corrupt the saved mapping");
    let found = sheet::check(s.conn()).expect("check");
    assert!(
        found.len() == 1 && found[0].contains("no_such_element"),
        "`mizani check` names the unknown element: {found:?}"
    );
    s.conn()
        .execute(
            "UPDATE import_mapping SET mapping = replace(mapping, 'no_such_element', 'new_clients')",
            [],
        )
        .expect("mend it");

    // Next month's file of the same source: the saved mapping applies without asking.
    let i = sheet::inspect(&s, april.as_bytes(), "agences-2025-04.csv", &opts()).expect("inspect");
    assert_eq!(
        i.mapping_source,
        MappingSource::Saved,
        "same file name pattern and headers"
    );
    assert_eq!(
        i.headers[3].element.as_deref(),
        Some("new_clients"),
        "mapped as saved"
    );
    assert_eq!(i.headers[3].how, "saved mapping", "and says so");
    let r = sheet::commit(
        &mut s,
        april.as_bytes(),
        "agences-2025-04.csv",
        &opts(),
        false,
    )
    .expect("imports with the saved mapping");
    assert_eq!(r.inserted, 2, "glp and new_clients of April");
    let saved = sheet::mapping_list(&s).expect("list");
    assert_eq!(saved.len(), 1, "one source, one mapping");
    assert_eq!(
        saved[0].pattern, "agences-*-*.csv",
        "the dates of the file name are a pattern"
    );

    // A mapping naming an element that does not exist is an error on the header cell.
    let bad = Mapping {
        columns: vec![ColumnMapping {
            header: "Nouveaux adhérents".into(),
            role: Role::Data,
            element: Some("nope".into()),
        }],
        ..Mapping::default()
    };
    let o = ImportOptions {
        mapping: Some(bad),
        ..opts()
    };
    let p = sheet::preview(&s, april.as_bytes(), "agences-2025-04.csv", &o).expect("preview");
    assert!(
        p.problems
            .iter()
            .any(|x| x.code == ProblemCode::BadMapping && x.cell == "agences-2025-04.csv!D1"),
        "{:?}",
        p.problems
    );

    sheet::mapping_delete(&mut s, saved[0].id).expect("delete");
    assert!(
        sheet::mapping_list(&s).expect("list").is_empty(),
        "forgotten"
    );
    let i = sheet::inspect(&s, april.as_bytes(), "agences-2025-04.csv", &opts()).expect("inspect");
    assert_eq!(
        i.mapping_source,
        MappingSource::Suggested,
        "back to matching by itself"
    );
}

#[test]
fn jumps_are_warnings_that_do_not_block() {
    let mut s = mfi();
    commit(&mut s, "long-basic.csv", &fixture("long-basic.csv"));
    let csv = "branch,period,element,value\nN01,2025-04,glp,5000000\nN02,2025-04,glp,2100000\n";
    let p = sheet::preview(&s, csv.as_bytes(), "april.csv", &opts()).expect("preview");
    let jumps: Vec<&str> = p
        .problems
        .iter()
        .filter(|x| x.code == ProblemCode::Jump)
        .map(|x| x.cell.as_str())
        .collect();
    assert_eq!(
        jumps,
        vec!["april.csv!D2"],
        "1.1 M → 5 M is a jump; 2.0 M → 2.1 M is not"
    );
    assert!(p.can_commit, "a jump is a warning, not an error");
    let r = sheet::commit(&mut s, csv.as_bytes(), "april.csv", &opts(), false).expect("imports");
    assert_eq!(
        (r.inserted, r.warnings.len()),
        (2, 1),
        "written, with the warning in the report"
    );
    let v = &p.values[0];
    assert_eq!(
        (v.previous, v.status),
        (Some(1_100_000.0), ValueStatus::New),
        "the previous month is shown beside the value"
    );
}

#[test]
fn a_fixed_period_can_be_given_and_a_sheet_without_one_is_refused() {
    let mut s = mfi();
    let csv = "Agence;glp\nN01;10\n";
    let p = sheet::preview(&s, csv.as_bytes(), "x.csv", &opts()).expect("preview");
    assert!(
        p.problems.iter().any(|x| x.code == ProblemCode::NoPeriod),
        "no period anywhere: {:?}",
        p.problems
    );
    let o = ImportOptions {
        period: Some("févr. 2025".into()),
        ..opts()
    };
    sheet::commit(&mut s, csv.as_bytes(), "x.csv", &o, false)
        .expect("the month given applies to every row");
    close(value(&s, "N01", "glp", "2025-02"), 10.0, "February");
}

/// The seeds of the `read_xlsx` fuzz target are this file's generated workbooks, committed in
/// fuzz/seeds/read_xlsx: every run checks they are there and that the reader takes each
/// (each previews; the bad cells of the bad one are problems on their cells); `UPDATE_FUZZ_SEEDS=1`
/// rewrites them (like UPDATE_FIXTURES for the upgrade fixtures).
#[test]
fn fuzz_seeds_of_the_xlsx_reader_are_in_place() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/read_xlsx");
    let seeds = [
        ("wide.xlsx", wide_xlsx(), true),
        ("dates.xlsx", dates_xlsx(), true),
        ("bad.xlsx", bad_xlsx(), false),
    ];
    if std::env::var("UPDATE_FUZZ_SEEDS").is_ok_and(|v| !v.is_empty()) {
        std::fs::create_dir_all(&dir).expect("seed folder");
        for (name, bytes, _) in &seeds {
            std::fs::write(dir.join(name), bytes).expect("seed written");
        }
    }
    let s = mfi();
    for (name, _, sound) in &seeds {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            panic!("fuzz seed {name} is missing ({e}); UPDATE_FUZZ_SEEDS=1 cargo test -p mizani-core --test sheet fuzz_seeds")
        });
        let p = sheet::preview(&s, &bytes, name, &opts())
            .unwrap_or_else(|e| panic!("{name}: the reader takes the seed: {e}"));
        if !*sound {
            assert!(
                p.problems.iter().any(|x| x.col.is_some()),
                "{name}: its bad cells are problems on their cells: {:?}",
                p.problems
            );
        }
    }
}

/// The mapping suggested for `file`, with column `col` ("Nouveaux adhérents") mapped to
/// new_clients.
fn new_clients_in(s: &Store, file: &str, name: &str, col: usize) -> Mapping {
    let i = sheet::inspect(s, file.as_bytes(), name, &opts()).expect("inspect");
    let mut mapping = i.mapping;
    mapping.columns[col] = ColumnMapping {
        header: "Nouveaux adhérents".into(),
        role: Role::Data,
        element: Some("new_clients".into()),
    };
    mapping
}

#[test]
fn a_given_mapping_is_not_saved_when_the_caller_says_so() {
    let mut s = mfi();
    let file = "Agence;Mois;Nouveaux adhérents\nN01;2025-03;12\n";
    let mapping = new_clients_in(&s, file, "agences-2025-03.csv", 2);
    let o = ImportOptions {
        mapping: Some(mapping),
        save_mapping: Some(false),
        ..opts()
    };
    let r = sheet::commit(&mut s, file.as_bytes(), "agences-2025-03.csv", &o, false)
        .expect("imports with the mapping");
    assert!(!r.mapping_saved, "not saved when asked not to");
    close(value(&s, "N01", "new_clients", "2025-03"), 12.0, "imported");
    assert!(
        sheet::mapping_list(&s).expect("list").is_empty(),
        "no saved mapping"
    );
}

#[test]
fn the_month_given_for_one_file_is_not_remembered_for_the_next() {
    let mut s = mfi();
    // No month column: the month is given for the March file (CLI --period, the wizard's field).
    let march = "Agence;Nouveaux adhérents\nN01;12\n";
    let mapping = new_clients_in(&s, march, "agences.csv", 1);
    let o = ImportOptions {
        mapping: Some(mapping),
        period: Some("2025-03".into()),
        ..opts()
    };
    let r = sheet::commit(&mut s, march.as_bytes(), "agences.csv", &o, false).expect("import");
    assert!(r.mapping_saved);
    close(value(&s, "N01", "new_clients", "2025-03"), 12.0, "March");
    // April's file of the same source, its month in a title row: the saved columns apply, but
    // not March.
    let april = "Rapport avril 2025\n\nAgence;Nouveaux adhérents\nN01;15\n";
    let i = sheet::inspect(&s, april.as_bytes(), "agences.csv", &opts()).expect("inspect");
    assert_eq!(
        i.mapping_source,
        MappingSource::Saved,
        "the columns are remembered"
    );
    assert_eq!(
        i.format.period.as_deref(),
        Some("2025-04"),
        "the month comes from April's title, not from the March import: {:?}",
        i.format
    );
}

/// Mizani's own XLSX entry template imports without a mapping: header on row 7 below the
/// titles, the name and previous-month columns ignored, rows left empty skipped; a workbook
/// of several branches is read whole (a sheet left empty is said, not an error).
#[test]
fn the_entry_template_imports_without_a_mapping() {
    use mizani_core::export::{export_template, TemplateRequest};
    let mut s = mfi();
    commit(
        &mut s,
        "march.csv",
        b"branch,period,element,value\nN01,2025-03,glp,1000\nN01,2025-03,new_clients,12\n",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.xlsx");
    export_template(
        &s,
        &TemplateRequest {
            period: "2025-03".into(),
            branches: vec!["N01".into(), "N02".into()],
            lang: None,
        },
        &path,
    )
    .expect("template");
    let bytes = std::fs::read(&path).expect("read");
    let p = sheet::preview(&s, &bytes, "template.xlsx", &opts()).expect("preview");
    assert!(p.can_commit, "no error: {:?}", p.problems);
    let f = &p.inspection.format;
    assert_eq!((f.header_row, f.layout), (7, Some(Layout::Long)), "{f:?}");
    let roles: Vec<Role> = p.inspection.headers.iter().map(|h| h.role).collect();
    assert_eq!(
        roles,
        vec![
            Role::Branch,
            Role::Period,
            Role::Element,
            Role::Ignore,
            Role::Ignore,
            Role::Value,
            Role::Comment
        ]
    );
    assert_eq!(
        (p.counts.values, p.counts.unchanged),
        (2, 2),
        "the two pre-filled figures"
    );
    assert!(
        p.skipped
            .iter()
            .any(|x| x.reason.contains("template row left empty")),
        "rows without a figure are skipped: {:?}",
        p.skipped
    );
    assert_eq!(
        p.inspection.sheets_read,
        vec!["N01".to_string(), "N02".to_string()],
        "both branch sheets are read, as one import"
    );
    assert!(
        p.inspection
            .notices
            .iter()
            .any(|n| n.contains("N02") && n.contains("no figure")),
        "the branch sheet left empty is named: {:?}",
        p.inspection.notices
    );
    let r = sheet::commit(&mut s, &bytes, "template.xlsx", &opts(), false).expect("imports");
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 2));
}
