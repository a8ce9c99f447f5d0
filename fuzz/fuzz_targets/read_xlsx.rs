//! The XLSX reader. Half the inputs go to calamine as they are (malformed archives and XML);
//! the other half are turned into a well-formed workbook whose cells (text, numbers, dates,
//! formulas with cached values, merges, hidden sheets) come from the input, so that the
//! layout and preview code sees every kind of cell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

fn workbook(data: &[u8]) -> Option<Vec<u8>> {
    let mut wb = Workbook::new();
    let text = String::from_utf8_lossy(data);
    let mut sheets = text.split('\u{c}');
    for (si, sheet_text) in sheets.by_ref().take(3).enumerate() {
        let ws = wb.add_worksheet();
        let _ = ws.set_name(if si == 0 {
            "Feuil1".to_string()
        } else {
            format!("S{si}")
        });
        if si == 1 {
            ws.set_active(true);
        }
        for (r, line) in sheet_text.lines().take(60).enumerate() {
            for (c, cell) in line.split(['\t', ';']).take(20).enumerate() {
                let (r, c) = (r as u32, c as u16);
                let res = if let Some(rest) = cell.strip_prefix('=') {
                    ws.write_formula(
                        r,
                        c,
                        Formula::new(format!("={rest}")).set_result(rest.to_string()),
                    )
                    .map(|_| ())
                } else if let Some(rest) = cell.strip_prefix('#') {
                    let n = rest.parse::<f64>().unwrap_or(45_000.0);
                    ws.write_datetime_with_format(
                        r,
                        c,
                        ExcelDateTime::from_serial_datetime(n.clamp(0.0, 2_958_465.0)).ok()?,
                        &Format::new().set_num_format("mmm-yy"),
                    )
                    .map(|_| ())
                } else if let Some(rest) = cell.strip_prefix('^') {
                    let span = (rest.len() % 4) as u16;
                    ws.merge_range(r, c, r, c + span, rest, &Format::new())
                        .map(|_| ())
                } else if let Ok(n) = cell.parse::<f64>() {
                    ws.write_number(r, c, n).map(|_| ())
                } else {
                    ws.write_string(r, c, cell).map(|_| ())
                };
                let _ = res;
            }
        }
        if si == 0 && data.len() % 3 == 0 {
            ws.set_hidden(true);
        }
    }
    wb.save_to_buffer().ok()
}

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    if flags & 0x80 == 0 {
        mizani_fuzz::check(data, "fuzz.xlsx", flags);
    } else if let Some(bytes) = workbook(data.get(1..).unwrap_or_default()) {
        mizani_fuzz::check(&bytes, "fuzz.xlsx", flags);
    }
});
