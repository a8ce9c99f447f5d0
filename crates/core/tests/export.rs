//! Exports (CSV and XLSX) and the data-entry template through the public API, on the demo
//! institution. Every file is read back as a user's spreadsheet would — CSV parsed, XLSX with
//! calamine — and compared with the API's own values: numbers are numbers in XLSX, dates are
//! dates, a missing value is an empty cell (never 0). The template goes round the full loop:
//! written, filled, read back, converted to the long CSV format and imported with the existing
//! importer, then the database holds the values typed.

use calamine::{open_workbook, Data, Reader, Xlsx};
use mizani_core::api;
use mizani_core::dashboard::dashboard;
use mizani_core::demo::load_demo;
use mizani_core::engine::Scope;
use mizani_core::entry;
use mizani_core::export::{
    self, ExportFormat, ExportInfo, ExportKind, ExportParams, TemplateRequest, TEMPLATE_COLUMNS,
    TEMPLATE_HEADER_ROW, TEMPLATE_MARKER,
};
use mizani_core::import::import_csv_bytes;
use mizani_core::model::{ElementUnit, Language};
use mizani_core::period::Period;
use mizani_core::spm::{self, demo::DEMO_DATE, ActionFilter};
use mizani_core::{ErrorCode, Store};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A cell as read back: CSV cells are text (or empty); XLSX cells keep their type.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Empty,
    Text(String),
    Num(f64),
    /// `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM` for a date-time.
    Date(String),
}

#[derive(Debug)]
struct Sheet {
    name: String,
    rows: Vec<Vec<V>>,
}

fn from_data(d: &Data) -> V {
    match d {
        Data::Empty => V::Empty,
        Data::String(s) if s.is_empty() => V::Empty,
        Data::String(s) => V::Text(s.clone()),
        Data::Float(f) => V::Num(*f),
        Data::Int(i) => V::Num(*i as f64),
        Data::Bool(b) => V::Text(b.to_string()),
        Data::DateTime(dt) => {
            let (y, m, d, hh, mm, _, _) = dt.to_ymd_hms_milli();
            if hh == 0 && mm == 0 {
                V::Date(format!("{y:04}-{m:02}-{d:02}"))
            } else {
                V::Date(format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}"))
            }
        }
        Data::DateTimeIso(s) => V::Date(s.clone()),
        other => V::Text(format!("{other:?}")),
    }
}

/// Every sheet of an XLSX file, cells from A1 (absolute positions).
fn read_xlsx(path: &Path) -> Vec<Sheet> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("calamine opens the XLSX file");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet reads");
            let (h, w) = range.end().map(|(r, c)| (r + 1, c + 1)).unwrap_or((0, 0));
            let rows = (0..h)
                .map(|r| {
                    (0..w)
                        .map(|c| range.get_value((r, c)).map(from_data).unwrap_or(V::Empty))
                        .collect()
                })
                .collect();
            Sheet { name, rows }
        })
        .collect()
}

/// A CSV file as rows of text cells (header first); the file starts with a UTF-8 BOM.
fn read_csv(path: &Path) -> Sheet {
    let bytes = std::fs::read(path).expect("read CSV");
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the CSV starts with a UTF-8 byte-order mark (accents in spreadsheets)");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let rows = rdr
        .records()
        .map(|r| {
            r.expect("a well-formed CSV row")
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        V::Empty
                    } else {
                        V::Text(s.to_string())
                    }
                })
                .collect()
        })
        .collect();
    Sheet {
        name: String::new(),
        rows,
    }
}

impl Sheet {
    fn header(&self) -> &[V] {
        &self.rows[0]
    }
    fn data(&self) -> &[Vec<V>] {
        &self.rows[1..]
    }
    /// The index of the column with this header.
    fn col(&self, name: &str) -> usize {
        self.header()
            .iter()
            .position(|h| *h == V::Text(name.to_string()))
            .unwrap_or_else(|| panic!("a column '{name}' in {:?}", self.header()))
    }
}

/// The number in a cell: XLSX must hold a number (never text), CSV a parsable number; empty is
/// None.
#[track_caller]
fn num(v: &V, fmt: ExportFormat) -> Option<f64> {
    match (v, fmt) {
        (V::Empty, _) => None,
        (V::Num(n), ExportFormat::Xlsx) => Some(*n),
        (V::Text(t), ExportFormat::Csv) => Some(
            t.parse()
                .unwrap_or_else(|_| panic!("'{t}' in the CSV is a number")),
        ),
        (other, f) => panic!("a number cell in {f}, found {other:?}"),
    }
}

#[track_caller]
fn text(v: &V) -> String {
    match v {
        V::Empty => String::new(),
        V::Text(t) => t.clone(),
        other => panic!("a text cell, found {other:?}"),
    }
}

/// A date: a date cell in XLSX, ISO text in CSV.
#[track_caller]
fn date(v: &V, fmt: ExportFormat) -> Option<String> {
    match (v, fmt) {
        (V::Empty, _) => None,
        (V::Date(d), ExportFormat::Xlsx) => Some(d.clone()),
        (V::Text(t), ExportFormat::Csv) => Some(t.clone()),
        (other, f) => panic!("a date cell in {f}, found {other:?}"),
    }
}

#[track_caller]
fn same(got: Option<f64>, want: Option<f64>, what: &str) {
    assert_eq!(
        got, want,
        "{what}: the file holds the API's value (missing stays empty, never 0)"
    );
}

/// The demo institution, built once; each test works on its own copy.
fn demo_file() -> &'static Path {
    static DEMO: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, p) = DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("demo.sqlite");
        let mut s = Store::open(&p).expect("open");
        load_demo(&mut s).expect("the demo loads");
        (dir, p)
    });
    p
}

struct Demo {
    dir: tempfile::TempDir,
    store: Store,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.sqlite");
    let src = Store::open(demo_file()).expect("open the demo");
    api::backup_create(&src, Some(&copy)).expect("copy the demo");
    drop(src);
    Demo {
        store: Store::open(&copy).expect("open the copy"),
        dir,
    }
}

fn params(period: Option<&str>, scope: Option<&str>, lang: Option<Language>) -> ExportParams {
    ExportParams {
        period: period.map(str::to_string),
        scope: scope.map(str::to_string),
        lang,
        today: Some(DEMO_DATE.into()),
        ..Default::default()
    }
}

/// Exports `kind` in both formats; returns each format with its first sheet read back.
fn both(d: &Demo, kind: ExportKind, p: &ExportParams) -> Vec<(ExportFormat, Sheet, ExportInfo)> {
    [ExportFormat::Csv, ExportFormat::Xlsx]
        .into_iter()
        .map(|fmt| {
            let path = d.dir.path().join(format!("{kind}.{fmt}"));
            let info = export::export(&d.store, kind, p, fmt, &path)
                .unwrap_or_else(|e| panic!("export {kind} as {fmt}: {e}"));
            assert_eq!(info.path, path.display().to_string(), "the path written");
            assert_eq!(
                info.bytes,
                std::fs::metadata(&path).expect("file").len(),
                "the byte count is the file's size"
            );
            let mut sheets = match fmt {
                ExportFormat::Csv => vec![read_csv(&path)],
                ExportFormat::Xlsx => read_xlsx(&path),
            };
            assert_eq!(
                info.rows as usize,
                sheets.iter().map(|s| s.data().len()).sum::<usize>(),
                "{kind} {fmt}: the info counts the data rows of every sheet"
            );
            if fmt == ExportFormat::Xlsx {
                let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
                assert_eq!(info.sheets, names, "the info lists the sheets");
            }
            (fmt, sheets.remove(0), info)
        })
        .collect()
}

#[test]
fn indicators_in_both_formats_equal_the_api_and_missing_values_stay_empty() {
    let d = demo();
    for (period, scope, lang) in [
        ("2026-Q3", "region:North", Language::Fr),
        ("2026-09", "branch:N04", Language::En),
    ] {
        let want = api::indicators(
            &d.store,
            Period::parse(period).expect("period"),
            &Scope::parse(scope).expect("scope"),
            Some(lang),
        )
        .expect("indicators");
        for (fmt, s, _) in both(
            &d,
            ExportKind::Indicators,
            &params(Some(period), Some(scope), Some(lang)),
        ) {
            let (value, numer, denom, code) = match lang {
                Language::Fr => ("Valeur", "Numérateur", "Dénominateur", "Code"),
                _ => ("Value", "Numerator", "Denominator", "Code"),
            };
            let (cv, cn, cd, cc) = (s.col(value), s.col(numer), s.col(denom), s.col(code));
            assert_eq!(s.data().len(), want.len(), "one row per indicator");
            for (row, w) in s.data().iter().zip(&want) {
                assert_eq!(text(&row[cc]), w.code, "same order as the API");
                same(
                    num(&row[cv], fmt),
                    w.value,
                    &format!("{} value ({fmt})", w.code),
                );
                same(
                    num(&row[cn], fmt),
                    w.numerator,
                    &format!("{} numerator", w.code),
                );
                same(
                    num(&row[cd], fmt),
                    w.denominator,
                    &format!("{} denominator", w.code),
                );
            }
        }
        if scope == "branch:N04" {
            assert!(
                want.iter().all(|v| v.value.is_none()),
                "N04 sent nothing for 2026-09: every value is missing (the empty cells above)"
            );
        }
    }
}

#[test]
fn measurements_are_the_stored_figures_in_long_layout() {
    let d = demo();
    let p = ExportParams {
        to: Some("2026-09".into()),
        ..params(Some("2026-08"), Some("region:North"), Some(Language::Es))
    };
    let north: Vec<String> = mizani_core::repo::branches(d.store.conn())
        .expect("branches")
        .into_iter()
        .filter(|b| b.region.as_deref() == Some("North"))
        .map(|b| b.code)
        .collect();
    let mut want = Vec::new();
    for b in &north {
        for m in ["2026-08", "2026-09"] {
            let g = entry::entry_grid(&d.store, b, m).expect("grid");
            for r in g.rows.iter().filter(|r| r.value.is_some()) {
                want.push((
                    b.clone(),
                    m.to_string(),
                    r.element.clone(),
                    r.value,
                    r.comment.clone(),
                ));
            }
        }
    }
    assert!(
        want.len() > 100,
        "the demo's North has figures for both months"
    );
    assert!(
        !want.iter().any(|w| w.0 == "N04" && w.1 == "2026-09"),
        "N04 has no figures for 2026-09 (so none are exported)"
    );
    for (fmt, s, _) in both(&d, ExportKind::Measurements, &p) {
        assert_eq!(
            s.data().len(),
            want.len(),
            "one row per stored value ({fmt})"
        );
        let (cb, cm, ce, cv, cc) = (
            s.col("Sucursal"),
            s.col("Mes"),
            s.col("Elemento"),
            s.col("Valor"),
            s.col("Comentario"),
        );
        let mut got: Vec<_> = s
            .data()
            .iter()
            .map(|r| {
                (
                    text(&r[cb]),
                    text(&r[cm]),
                    text(&r[ce]),
                    num(&r[cv], fmt),
                    Some(text(&r[cc])).filter(|c| !c.is_empty()),
                )
            })
            .collect();
        got.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        let mut w = want.clone();
        w.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        assert_eq!(
            got, w,
            "the same figures and comments as the entry grid ({fmt})"
        );
        let name = s.col("Nombre");
        assert!(
            s.data().iter().any(|r| text(&r[name]).contains("Cartera")),
            "element names in Spanish"
        );
    }
}

#[test]
fn objectives_carry_the_dashboards_progress_and_targets() {
    let d = demo();
    let dash = dashboard(
        d.store.conn(),
        Period::parse("2026-Q3").expect("period"),
        &Scope::Org,
        Some(Language::En),
    )
    .expect("dashboard");
    let want: Vec<_> = dash
        .objectives
        .iter()
        .flat_map(|o| o.indicators.iter().map(move |i| (o.id, i)))
        .collect();
    assert!(
        want.iter().any(|(_, i)| i.progress.is_some())
            && want.iter().any(|(_, i)| i.target.is_some()),
        "the demo has progress and targets to compare"
    );
    for (fmt, s, _) in both(
        &d,
        ExportKind::Objectives,
        &params(Some("2026-Q3"), None, None),
    ) {
        assert_eq!(
            s.data().len(),
            want.len(),
            "one row per objective and indicator"
        );
        let c = |h: &str| s.col(h);
        for (row, (id, i)) in s.data().iter().zip(&want) {
            assert_eq!(
                num(&row[c("Objective no.")], fmt),
                Some(*id as f64),
                "objective id"
            );
            assert_eq!(text(&row[c("Indicator")]), i.current.code, "indicator");
            same(num(&row[c("Value")], fmt), i.current.value, "value");
            same(num(&row[c("Baseline")], fmt), i.baseline_value, "baseline");
            same(num(&row[c("Next target")], fmt), i.target, "next target");
            same(
                num(&row[c("Final target")], fmt),
                i.final_target,
                "final target",
            );
            same(num(&row[c("Progress (%)")], fmt), i.progress, "progress");
            same(num(&row[c("Forecast")], fmt), i.forecast, "forecast");
        }
        let start = c("Start");
        let o = &dash.objectives[0];
        assert_eq!(
            date(&s.data()[0][start], fmt).as_deref(),
            Some(o.start_date.as_str()),
            "the start date is a date cell (XLSX) or ISO text (CSV)"
        );
    }
}

#[test]
fn assessment_answers_per_practice_and_scores_in_xlsx() {
    let d = demo();
    let latest = spm::assessment_list(&d.store).expect("list")[0].id;
    let view = spm::assessment_get(&d.store, latest, Some(Language::Fr)).expect("view");
    let out = both(
        &d,
        ExportKind::Assessment,
        &params(None, None, Some(Language::Fr)),
    );
    for (fmt, s, info) in &out {
        assert_eq!(
            s.data().len(),
            view.practices.len(),
            "one row per practice ({fmt})"
        );
        let (cp, ca, cn) = (
            s.col("Pratique"),
            s.col("Réponse"),
            s.col("Oui sans justificatif"),
        );
        for (row, p) in s.data().iter().zip(&view.practices) {
            assert_eq!(text(&row[cp]), p.code, "practice order");
            let word = match p.answer {
                None => "",
                Some(spm::Answer::Yes) => "oui",
                Some(spm::Answer::Partial) => "partiellement",
                Some(spm::Answer::No) => "non",
                Some(spm::Answer::Na) => "sans objet",
            };
            assert_eq!(
                text(&row[ca]),
                word,
                "the answer in French, empty when unanswered"
            );
            assert_eq!(
                text(&row[cn]) == "oui",
                p.yes_without_evidence,
                "the evidence flag of {}",
                p.code
            );
        }
        if *fmt == ExportFormat::Xlsx {
            assert_eq!(info.sheets.len(), 2, "answers and scores");
        } else {
            assert_eq!(info.sheets.len(), 1, "a CSV file holds the answers");
        }
    }
    let xlsx = d.dir.path().join("assessment.xlsx");
    let scores = read_xlsx(&xlsx).remove(1);
    assert_eq!(scores.name, "Scores", "the second sheet");
    let overall = &scores.data()[0];
    same(
        num(&overall[scores.col("Score (%)")], ExportFormat::Xlsx),
        view.score.overall.score,
        "overall raw score",
    );
    same(
        num(
            &overall[scores.col("Score avec justificatifs (%)")],
            ExportFormat::Xlsx,
        ),
        view.score.overall.evidence_score,
        "overall evidence-aware score",
    );
    assert_eq!(
        scores.data().len(),
        1 + view.score.dimensions.len() + view.score.standards.len() + view.score.principles.len(),
        "overall, each dimension, standard and principle"
    );
}

#[test]
fn actions_and_decisions_with_dates_and_flags() {
    let d = demo();
    let actions =
        spm::action_list(&d.store, &ActionFilter::default(), Some(DEMO_DATE)).expect("actions");
    assert!(
        actions.iter().any(|a| a.overdue),
        "the demo has an overdue action"
    );
    for (fmt, s, _) in both(
        &d,
        ExportKind::Actions,
        &params(None, None, Some(Language::En)),
    ) {
        assert_eq!(s.data().len(), actions.len(), "every action");
        for (row, a) in s.data().iter().zip(&actions) {
            assert_eq!(
                num(&row[s.col("No.")], fmt),
                Some(a.id as f64),
                "id and order"
            );
            assert_eq!(
                date(&row[s.col("Due")], fmt).as_deref(),
                Some(a.due_date.as_str()),
                "due date"
            );
            assert_eq!(
                num(&row[s.col("Days overdue")], fmt),
                a.days_overdue.map(|d| d as f64),
                "days overdue, empty when not overdue"
            );
            assert_eq!(
                text(&row[s.col("Overdue")]) == "yes",
                a.overdue,
                "overdue flag"
            );
            assert_eq!(
                date(&row[s.col("Closed (UTC)")], fmt).is_some(),
                a.closed_at.is_some(),
                "closing time only when closed"
            );
        }
    }
    let decisions =
        spm::decision_list(&d.store, false, Some(DEMO_DATE), Some(Language::En)).expect("list");
    for (fmt, s, _) in both(
        &d,
        ExportKind::Decisions,
        &params(None, None, Some(Language::En)),
    ) {
        assert_eq!(s.data().len(), decisions.len(), "every decision");
        for (row, x) in s.data().iter().zip(&decisions) {
            assert_eq!(text(&row[s.col("Decision")]), x.title, "order of the log");
            assert_eq!(
                date(&row[s.col("Reviewed on")], fmt),
                x.reviewed_on.clone(),
                "review date, empty when not reviewed"
            );
            let status = text(&row[s.col("Review status")]);
            assert_eq!(status == "due for review", x.due_for_review, "due flag");
            for i in &x.indicators {
                assert!(
                    text(&row[s.col("Linked indicators")]).contains(&i.indicator),
                    "linked indicator {} listed",
                    i.indicator
                );
            }
        }
    }
}

/// What a user types for (branch, element): a value and a comment (empty for none).
type Typing<'a> = &'a dyn Fn(&str, &str) -> Option<(f64, &'static str)>;

/// Writes a copy of a template with the value and comment cells as a user fills them.
fn fill(template: &Path, out: &Path, values: Typing<'_>) {
    let sheets = read_xlsx(template);
    let named: Vec<(&str, &Sheet)> = sheets.iter().map(|s| (s.name.as_str(), s)).collect();
    write_filled(&named, out, values);
}

/// Writes `sheets` (each under the name given) with the value and comment cells filled.
fn write_filled(sheets: &[(&str, &Sheet)], out: &Path, values: Typing<'_>) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let hr = (TEMPLATE_HEADER_ROW - 1) as usize;
    for (name, s) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("name");
        for (r, row) in s.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r32, c16) = (r as u32, c as u16);
                match v {
                    V::Empty => {}
                    V::Text(t) => {
                        ws.write_string(r32, c16, t).expect("write");
                    }
                    V::Num(n) => {
                        ws.write_number(r32, c16, *n).expect("write");
                    }
                    V::Date(t) => {
                        ws.write_string(r32, c16, t).expect("write");
                    }
                }
            }
            if r > hr {
                if let Some((v, comment)) = values(&text(&row[0]), &text(&row[2])) {
                    ws.write_number(r as u32, 5, v).expect("value");
                    if !comment.is_empty() {
                        ws.write_string(r as u32, 6, comment).expect("comment");
                    }
                }
            }
        }
    }
    wb.save(out).expect("save the filled copy");
}

/// A filled template as the long CSV `branch,period,element,value,comment` (what the importer
/// reads): the header row is found by its keys, rows without a value are left out.
fn template_to_csv(path: &Path) -> String {
    let mut csv = String::from("branch,period,element,value,comment\n");
    for s in read_xlsx(path) {
        let hr = s
            .rows
            .iter()
            .position(|r| {
                r.len() >= 7
                    && r[..7]
                        .iter()
                        .zip(TEMPLATE_COLUMNS)
                        .all(|(v, k)| *v == V::Text(k.to_string()))
            })
            .expect("the header row is found by its keys");
        assert_eq!(
            hr as u32 + 1,
            TEMPLATE_HEADER_ROW,
            "the header is on its documented row"
        );
        for r in &s.rows[hr + 1..] {
            let value = match &r[5] {
                V::Empty => continue,
                V::Num(n) => n.to_string(),
                other => panic!("a value cell holds a number, found {other:?}"),
            };
            let comment = text(r.get(6).unwrap_or(&V::Empty)).replace('"', "\"\"");
            csv.push_str(&format!(
                "{},{},{},{value},\"{comment}\"\n",
                text(&r[0]),
                text(&r[1]),
                text(&r[2])
            ));
        }
    }
    csv
}

#[test]
fn template_layout_previous_values_and_round_trip_through_the_importer() {
    let mut d = demo();
    let path = d.dir.path().join("template.xlsx");
    let info = export::export_template(
        &d.store,
        &TemplateRequest {
            period: "2026-09".into(),
            branches: vec!["N04".into(), "N01".into(), "N04".into()],
            lang: Some(Language::Fr),
        },
        &path,
    )
    .expect("the template is written");
    assert_eq!(info.kind, ExportKind::Template, "kind");
    assert_eq!(
        info.sheets,
        vec!["N04", "N01"],
        "one sheet per branch, each once, in order"
    );
    let elements = mizani_core::repo::elements(d.store.conn()).expect("elements");
    assert_eq!(
        info.rows as usize,
        2 * elements.len(),
        "one row per element and branch"
    );

    let sheets = read_xlsx(&path);
    for s in &sheets {
        let grid = entry::entry_grid(&d.store, &s.name, "2026-09").expect("grid");
        assert_eq!(
            s.rows[0][6],
            V::Text(TEMPLATE_MARKER.into()),
            "layout marker in G1"
        );
        assert_eq!(s.rows[2][1], V::Text(s.name.clone()), "branch code in B3");
        assert_eq!(
            s.rows[2][2],
            V::Text(grid.branch_name.clone()),
            "branch name in C3"
        );
        assert_eq!(s.rows[3][1], V::Text("2026-09".into()), "month in B4");
        assert_eq!(
            s.rows[3][2],
            V::Text("septembre 2026".into()),
            "month in French in C4"
        );
        assert_eq!(
            s.rows[4][1],
            V::Text("2026-08".into()),
            "previous month in B5"
        );
        let hr = (TEMPLATE_HEADER_ROW - 1) as usize;
        let header: Vec<V> = TEMPLATE_COLUMNS
            .iter()
            .map(|k| V::Text(k.to_string()))
            .collect();
        assert_eq!(s.rows[hr][..7], header[..], "the header keys on row 7");
        for (row, g) in s.rows[hr + 1..].iter().zip(&grid.rows) {
            assert_eq!(row[0], V::Text(s.name.clone()), "branch code in every row");
            assert_eq!(
                row[1],
                V::Text("2026-09".into()),
                "period in every row, as text"
            );
            assert_eq!(row[2], V::Text(g.element.clone()), "element code");
            assert_eq!(text(&row[3]), g.name.get(Language::Fr), "name in French");
            same(
                num(&row[4], ExportFormat::Xlsx),
                g.previous,
                "previous month's value",
            );
            same(
                num(&row[5], ExportFormat::Xlsx),
                g.value,
                "this month's value, pre-filled",
            );
        }
        assert_eq!(
            s.rows.len(),
            hr + 1 + grid.rows.len(),
            "nothing below the data"
        );
    }
    assert!(
        sheets[0].rows[7..].iter().all(|r| r[5] == V::Empty),
        "N04 has no figures for 2026-09: its value cells are empty"
    );

    // The branch fills N04's month in the spreadsheet (every element; a comment on one).
    let grid = entry::entry_grid(&d.store, "N04", "2026-09").expect("grid");
    let typed = |element: &str| -> f64 {
        let g = grid
            .rows
            .iter()
            .find(|r| r.element == element)
            .expect("element");
        let base = g.previous.unwrap_or(10.0);
        if g.unit == ElementUnit::Count {
            (base * 1.02).round()
        } else {
            base * 1.02 + 0.25
        }
    };
    let filled = d.dir.path().join("filled.xlsx");
    fill(&path, &filled, &|branch, element| {
        (branch == "N04").then(|| {
            (
                typed(element),
                if element == "glp" {
                    "Saisie, \"sécheresse\""
                } else {
                    ""
                },
            )
        })
    });
    // The long CSV of the same cells (a dry run) and the filled workbook itself: every sheet
    // of the template is read in one import, without any mapping.
    let csv = template_to_csv(&filled);
    let dry = import_csv_bytes(&mut d.store, "filled.csv", csv.as_bytes(), true)
        .unwrap_or_else(|e| panic!("the cells as CSV import: {e} {:?}", e.details));
    let bytes = std::fs::read(&filled).expect("read the filled workbook");
    let preview = mizani_core::sheet::preview(
        &d.store,
        &bytes,
        "filled.xlsx",
        &mizani_core::sheet::ImportOptions::default(),
    )
    .expect("preview");
    assert_eq!(
        preview.inspection.sheets_read,
        vec!["N04".to_string(), "N01".to_string()],
        "both branch sheets are read together"
    );
    assert!(
        preview.inspection.sheet.is_none() && preview.can_commit,
        "no single sheet, and nothing to fix: {:?}",
        preview.problems
    );
    let rep = mizani_core::sheet::commit(
        &mut d.store,
        &bytes,
        "filled.xlsx",
        &mizani_core::sheet::ImportOptions::default(),
        false,
    )
    .unwrap_or_else(|e| panic!("the filled template imports: {e} {:?}", e.details));
    assert_eq!(
        (rep.inserted, rep.updated, rep.unchanged),
        (dry.inserted, dry.updated, dry.unchanged),
        "the workbook imports exactly what its cells say"
    );
    assert_eq!(rep.inserted, elements.len(), "every N04 value is new");
    assert_eq!(
        rep.unchanged,
        elements.len(),
        "N01's pre-filled values come back unchanged"
    );
    assert_eq!(rep.updated, 0, "nothing else changes");
    let after = entry::entry_grid(&d.store, "N04", "2026-09").expect("grid");
    for r in &after.rows {
        assert_eq!(
            r.value,
            Some(typed(&r.element)),
            "{}: the value typed is stored",
            r.element
        );
    }
    let glp = after.rows.iter().find(|r| r.element == "glp").expect("glp");
    assert_eq!(
        glp.comment.as_deref(),
        Some("Saisie, \"sécheresse\""),
        "the comment typed is stored"
    );
}

#[test]
fn refusals_name_the_field_and_write_nothing() {
    let d = demo();
    let out = d.dir.path().join("x.xlsx");
    let tpl = |period: &str, branches: &[&str]| {
        export::export_template(
            &d.store,
            &TemplateRequest {
                period: period.into(),
                branches: branches.iter().map(|b| b.to_string()).collect(),
                lang: None,
            },
            &out,
        )
        .expect_err("refused")
    };
    let e = tpl("2026-Q3", &[]);
    assert_eq!(e.fields[0].field, "period", "a quarter is not a month: {e}");
    let e = tpl("2999-01", &[]);
    assert!(e.message.contains("future"), "a future month: {e}");
    let e = tpl("2026-09", &["ZZ9"]);
    assert_eq!(e.code, ErrorCode::NotFound, "unknown branch: {e}");
    assert!(e.message.contains("ZZ9"), "the branch is named: {e}");
    let ex = |kind: ExportKind, p: ExportParams| {
        export::export(&d.store, kind, &p, ExportFormat::Xlsx, &out).expect_err("refused")
    };
    let e = ex(ExportKind::Indicators, params(None, None, None));
    assert_eq!(e.fields[0].field, "period", "indicators need a period: {e}");
    let e = ex(
        ExportKind::Measurements,
        params(Some("2026-13"), None, None),
    );
    assert_eq!(e.fields[0].field, "period", "a bad period: {e}");
    let e = ex(
        ExportKind::Objectives,
        params(Some("2026-Q3"), Some("region:Nowhere"), None),
    );
    assert_eq!(e.code, ErrorCode::NotFound, "unknown region: {e}");
    let e = ex(
        ExportKind::Indicators,
        params(Some("2026-Q3"), Some("planet:Mars"), None),
    );
    assert_eq!(e.fields[0].field, "scope", "a bad scope: {e}");
    let e = ex(
        ExportKind::Measurements,
        ExportParams {
            to: Some("2026-01".into()),
            ..params(Some("2026-09"), None, None)
        },
    );
    assert_eq!(
        e.fields[0].field, "to",
        "a range that ends before it starts: {e}"
    );
    let e = ex(
        ExportKind::Assessment,
        ExportParams {
            assessment: Some(999),
            ..params(None, None, None)
        },
    );
    assert_eq!(e.code, ErrorCode::NotFound, "unknown assessment: {e}");
    let missing = d.dir.path().join("no/such/folder/x.csv");
    let e = export::export(
        &d.store,
        ExportKind::Actions,
        &params(None, None, None),
        ExportFormat::Csv,
        &missing,
    )
    .expect_err("an unwritable path is refused");
    assert_eq!(e.code, ErrorCode::Io, "an I/O error: {e}");
    assert!(!out.exists(), "nothing was written");
    let left: Vec<_> = std::fs::read_dir(d.dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "no temporary file left behind: {left:?}");
}

#[test]
fn a_template_workbook_with_one_branch_twice_is_refused_on_the_second_cell() {
    let mut d = demo();
    let path = d.dir.path().join("template.xlsx");
    export::export_template(
        &d.store,
        &TemplateRequest {
            period: "2026-09".into(),
            branches: vec!["N04".into()],
            lang: None,
        },
        &path,
    )
    .expect("the template is written");
    let sheets = read_xlsx(&path);
    let twice = d.dir.path().join("twice.xlsx");
    write_filled(
        &[("N04", &sheets[0]), ("N04 copy", &sheets[0])],
        &twice,
        &|_, _| Some((5.0, "")),
    );
    let before = mizani_core::sync::canonical_dump(d.store.conn()).expect("dump");
    let bytes = std::fs::read(&twice).expect("read");
    let e = mizani_core::sheet::commit(
        &mut d.store,
        &bytes,
        "twice.xlsx",
        &mizani_core::sheet::ImportOptions::default(),
        false,
    )
    .expect_err("the same figures twice are refused");
    assert_eq!(e.code, ErrorCode::ImportRejected, "{e}");
    let first = e.details.first().cloned().unwrap_or_default();
    assert!(
        first.starts_with("'N04 copy'!F")
            && first.contains("the same branch, data element and month as N04!F"),
        "the problem is on the second sheet's cell and names the first: {:?}",
        e.details
    );
    assert_eq!(
        mizani_core::sync::canonical_dump(d.store.conn()).expect("dump"),
        before,
        "nothing was imported"
    );
}
