//! Spreadsheet import figures (`MIZANI_BENCH_ONLY=sheet` runs only these): a 1 M-row long
//! CSV imported through `sheet::commit` into a file database, against the `sqlite3` shell's
//! `.import` of the same file into a bare table in the same run, and a 250-branch wide XLSX.

use crate::{human_bytes, section, setup_institution, thousands, BRANCHES};
use anyhow::{Context, Result};
use mizani_core::period::Month;
use mizani_core::sheet::{self, ImportOptions};
use mizani_core::Store;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// 250 branches × 80 elements × 50 months = 1 000 000 rows.
const ELEMENTS: usize = 80;
const MONTHS: i32 = 50;
/// The CSV ends in August 2026; the workbook is September 2026.
const CSV_LAST: (i32, u32) = (2026, 8);
/// Our import should take at most this many times the sqlite3 shell's `.import`.
const GOAL_RATIO: f64 = 3.0;

/// CPU seconds of this process and of its waited-for children (/proc/self/stat).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields after the name: state is [0]; utime [11], stime [12], cutime [13], cstime [14].
    let tick = 100.0;
    let g = |i: usize| f.get(i).copied().unwrap_or(0.0) / tick;
    (g(11) + g(12), g(13) + g(14))
}

fn value(b: usize, e: usize, m: i32) -> u64 {
    // Deterministic, whole (counts stay whole), never negative.
    ((b as u64) * 7919 + (e as u64) * 104_729 + (m as u64) * 31) % 1_000_000
}

/// The database file's size, for the safety backup's line.
fn db_size_of(store: &mizani_core::Store) -> String {
    store
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| human_bytes(m.len()))
        .unwrap_or_default()
}

/// Every import is preceded by a safety backup of the database (docs/RELIABILITY.md): timed
/// here on its own, so that the import's figure is the import's (it then finds the backup
/// fresh and takes none).
fn safety_backup(store: &mizani_core::Store, size: &str) -> Result<()> {
    use mizani_core::backup::{self, BackupKind};
    let t = Instant::now();
    let b = backup::before_change(store, BackupKind::BeforeImport)?;
    println!(
        "  safety backup before the import (database of {size}): {:.2} s{}",
        t.elapsed().as_secs_f64(),
        if b.is_some() { "" } else { " (none needed)" }
    );
    Ok(())
}

pub fn bench_sheet(dir: &Path) -> Result<()> {
    section("8. Spreadsheet import (sheet::commit)");
    let db_path = dir.join("sheet.sqlite");
    let mut store = Store::open(&db_path)?;
    setup_institution(&mut store)?;
    let elements: Vec<(String, String)> = mizani_core::repo::elements(store.conn())?
        .into_iter()
        .map(|e| (e.code, e.name.fr.unwrap_or(e.name.en)))
        .collect();
    anyhow::ensure!(
        elements.len() >= ELEMENTS,
        "the institution has too few elements"
    );

    // 1. The long CSV.
    let csv_path = dir.join("sheet-long.csv");
    let last = Month(CSV_LAST.0 * 12 + CSV_LAST.1 as i32 - 1);
    {
        let file = std::fs::File::create(&csv_path).context("create the CSV")?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        out.write_all(b"branch,period,element,value\n")?;
        for m in 0..MONTHS {
            let month = Month(last.0 - (MONTHS - 1) + m).to_string();
            for b in 0..BRANCHES {
                let code = crate::branch_code(b);
                for (e, (el, _)) in elements.iter().take(ELEMENTS).enumerate() {
                    writeln!(out, "{code},{month},{el},{}", value(b, e, m))?;
                }
            }
        }
        out.flush()?;
    }
    let rows = BRANCHES * ELEMENTS * MONTHS as usize;
    let size = std::fs::metadata(&csv_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "  long CSV: {} rows ({BRANCHES} branches × {ELEMENTS} elements × {MONTHS} months), {}",
        thousands(rows as u64),
        human_bytes(size)
    );

    let bytes = std::fs::read(&csv_path)?;
    let (c0, _) = cpu_seconds();
    let t = Instant::now();
    let p = sheet::preview(&store, &bytes, "sheet-long.csv", &ImportOptions::default())?;
    let preview_s = t.elapsed().as_secs_f64();
    let (c1, _) = cpu_seconds();
    anyhow::ensure!(
        p.can_commit,
        "the benchmark CSV has errors: {:?}",
        p.problems.first()
    );
    println!(
        "  preview (read + validate + compare, no write): {preview_s:.2} s (CPU {:.2} s), {} values, {} warnings",
        c1 - c0,
        thousands(u64::from(p.counts.values)),
        thousands(u64::from(p.counts.warnings))
    );
    drop((p, bytes));

    safety_backup(&store, &db_size_of(&store))?;
    let (c0, _) = cpu_seconds();
    let t = Instant::now();
    let r = sheet::commit_file(&mut store, &csv_path, &ImportOptions::default(), false)?;
    let ours = t.elapsed().as_secs_f64();
    let (c1, _) = cpu_seconds();
    let ours_cpu = c1 - c0;
    println!(
        "  import: {} values ({} inserted, with the audit trail) in {ours:.2} s (CPU {ours_cpu:.2} s) = {} values/s",
        thousands(r.rows as u64),
        thousands(r.inserted as u64),
        thousands((r.rows as f64 / ours) as u64)
    );

    // 2. sqlite3's .import of the same file into a bare table.
    let bare = dir.join("bare.sqlite");
    let version = Command::new("sqlite3").arg("--version").output();
    match version {
        Ok(v) if v.status.success() => {
            let (_, k0) = cpu_seconds();
            let t = Instant::now();
            let out = Command::new("sqlite3")
                .arg(&bare)
                .arg(".mode csv")
                .arg(format!(".import {} m", csv_path.display()))
                .output()
                .context("run sqlite3")?;
            let theirs = t.elapsed().as_secs_f64();
            let (_, k1) = cpu_seconds();
            let theirs_cpu = k1 - k0;
            anyhow::ensure!(
                out.status.success(),
                "sqlite3 .import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let n = Command::new("sqlite3")
                .arg(&bare)
                .arg("SELECT count(*) FROM m")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            let ratio = ours / theirs;
            let ratio_cpu = if theirs_cpu > 0.0 {
                ours_cpu / theirs_cpu
            } else {
                f64::NAN
            };
            println!(
                "  sqlite3 {} .import into a bare table: {n} rows in {theirs:.2} s (CPU {theirs_cpu:.2} s)",
                String::from_utf8_lossy(&v.stdout)
                    .split_whitespace()
                    .next()
                    .unwrap_or("?")
            );
            println!(
                "  ratio ours / sqlite3: {ratio:.1}× wall clock, {ratio_cpu:.1}× CPU   goal ≤ {GOAL_RATIO}×: {}",
                if ratio <= GOAL_RATIO {
                    "PASS"
                } else {
                    "MISS"
                }
            );
        }
        _ => println!("  sqlite3 not found: no ratio (scripts/setup.sh bench installs it)"),
    }
    std::fs::remove_file(&csv_path).ok();
    std::fs::remove_file(&bare).ok();

    // 3. A wide workbook: one row per branch, one column per element (French names), the
    // month in a title row.
    let xlsx = {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Septembre 2026")?;
        ws.write_string(0, 0, "Rapport mensuel des agences — septembre 2026")?;
        ws.write_string(2, 0, "Agence")?;
        for (c, (_, name)) in elements.iter().enumerate() {
            ws.write_string(2, (c + 1) as u16, name.as_str())?;
        }
        for b in 0..BRANCHES {
            let r = (3 + b) as u32;
            ws.write_string(r, 0, crate::branch_code(b).as_str())?;
            for c in 0..elements.len() {
                ws.write_number(r, (c + 1) as u16, value(b, c, MONTHS) as f64)?;
            }
        }
        ws.write_string((3 + BRANCHES) as u32, 0, "Total")?;
        wb.save_to_buffer()?
    };
    let values = BRANCHES * elements.len();
    safety_backup(&store, &db_size_of(&store))?;
    let t = Instant::now();
    let r = sheet::commit(
        &mut store,
        &xlsx,
        "agences-2026-09.xlsx",
        &ImportOptions::default(),
        false,
    )?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "  wide XLSX: {BRANCHES} branches × {} elements ({} values, {}), imported in {s:.2} s = {} values/s ({} inserted)",
        elements.len(),
        thousands(values as u64),
        human_bytes(xlsx.len() as u64),
        thousands((values as f64 / s) as u64),
        thousands(r.inserted as u64)
    );
    Ok(())
}
