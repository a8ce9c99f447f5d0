//! `make bench`: generates a large institution (250 branches, 10 regions, 120 months, 83 data
//! elements ≈ 2.49 M values), imports it through the ordinary CSV importer into a file database
//! and times the import, the dashboard, the indicator list, the demo and the board-pack PDF
//! (against headless Chromium printing the same content as HTML). Prints figures only; a
//! missed goal is reported as MISS but never fails the run.

mod html;
mod sheet;

use anyhow::{Context, Result};
use mizani_core::api::{self, InitRequest, NewLink, NewObjective, NewTarget};
use mizani_core::catalogue::{self, ElementDef};
use mizani_core::demo::{self, SplitMix};
use mizani_core::engine::{self, Engine, Scope};
use mizani_core::expr::{Access, Expr};
use mizani_core::model::{ElementKind, ElementUnit, Language, Names};
use mizani_core::period::{Month, Period};
use mizani_core::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BRANCHES: usize = 250;
const REGIONS: usize = 10;
const MONTHS: i32 = 120;
/// The last month of data (September 2026): the dashboard's quarter is 2026-Q3.
const LAST_MONTH: (i32, u32) = (2026, 9);
const EXTRA_ELEMENTS: usize = 61;
const WARM_RUNS: usize = 30;
const DASHBOARD_GOAL_MS: f64 = 30.0;
const PERIOD: &str = "2026-Q3";
const PACK_GOAL_MS: f64 = 250.0;
const PACK_GOAL_BYTES: u64 = 1_000_000;
/// Our PDF should take at most this share of headless Chromium's time for the same content.
const CHROMIUM_GOAL_RATIO: f64 = 0.1;
const CHROMIUM_RUNS: usize = 3;

const REGION_NAMES: [&str; REGIONS] = [
    "North",
    "Sahel",
    "East",
    "Centre",
    "West",
    "Coast",
    "Delta",
    "Highlands",
    "Lakes",
    "South",
];

fn main() -> Result<()> {
    let t_all = Instant::now();
    println!(
        "Mizani benchmark (mizani-bench {})",
        env!("CARGO_PKG_VERSION")
    );
    println!("machine: {}", machine_line());
    println!();

    let dir = tempfile::tempdir().context("temporary directory")?;
    // `MIZANI_BENCH_ONLY=sheet` runs only the spreadsheet-import figures (section 8),
    // `MIZANI_BENCH_ONLY=sync` only the synchronisation figures (section 6).
    match std::env::var("MIZANI_BENCH_ONLY").as_deref() {
        Ok("sheet") => {
            sheet::bench_sheet(dir.path())?;
            return Ok(());
        }
        Ok("sync") => {
            bench_sync(dir.path())?;
            return Ok(());
        }
        _ => {}
    }
    let db_path = dir.path().join("bench.sqlite");
    let csv_path = dir.path().join("measurements.csv");

    // 1. A large institution, imported from CSV.
    section("1. Large institution: generate, import");
    let mut store = Store::open(&db_path)?;
    let t = Instant::now();
    setup_institution(&mut store)?;
    println!(
        "  institution: {BRANCHES} branches in {REGIONS} regions, 22 built-in + {EXTRA_ELEMENTS} custom data elements ({:.0} ms)",
        ms(t.elapsed())
    );
    let t = Instant::now();
    let rows = write_csv(&csv_path)?;
    let csv_bytes = file_size(&csv_path);
    println!(
        "  CSV: {} rows ({} branches × {MONTHS} months × {} elements), {} written in {:.2} s",
        thousands(rows as u64),
        BRANCHES,
        22 + EXTRA_ELEMENTS,
        human_bytes(csv_bytes),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let report = mizani_core::import::import_csv_file(&mut store, &csv_path, false)?;
    let import_s = t.elapsed().as_secs_f64();
    println!(
        "  import: {} rows ({} inserted) in {:.1} s = {} values/s",
        thousands(report.rows as u64),
        thousands(report.inserted as u64),
        import_s,
        thousands((report.rows as f64 / import_s) as u64)
    );
    // Where the import's time goes: reading and validating alone (the rest is the write).
    let bytes = std::fs::read(&csv_path)?;
    let t = Instant::now();
    let parsed =
        mizani_core::import::parse_csv(&store, &bytes, mizani_core::import::current_month())?;
    let parse_s = t.elapsed().as_secs_f64();
    drop((parsed, bytes));
    println!(
        "    of which reading + validating the CSV ≈ {parse_s:.1} s (timed separately); writing with the audit trail ≈ {:.1} s",
        (import_s - parse_s).max(0.0)
    );
    let (db_bytes, wal_bytes) = db_size(&store, &db_path)?;
    let count = |sql: &str| -> Result<i64> { Ok(store.conn().query_row(sql, [], |r| r.get(0))?) };
    println!(
        "  database after import (checkpointed): {} (+ WAL {}); {} measurements, {} audit rows",
        human_bytes(db_bytes),
        human_bytes(wal_bytes),
        thousands(count("SELECT count(*) FROM measurement")? as u64),
        thousands(count("SELECT count(*) FROM audit")? as u64),
    );
    print_space(&store)?;
    std::fs::remove_file(&csv_path).ok();

    // 2. Objectives.
    section("2. Objectives");
    let t = Instant::now();
    let n_links = add_objectives(&mut store)?;
    println!(
        "  6 objectives, {n_links} indicator links, baselines computed by the engine: {:.0} ms",
        ms(t.elapsed())
    );

    // 3. Dashboard and indicators.
    section(&format!(
        "3. Dashboard timing ({PERIOD}, 12-quarter trends, {WARM_RUNS} warm runs)"
    ));
    // Reopen: an empty SQLite page cache and statement cache for the cold call (the OS file
    // cache is still warm: the database was just written).
    drop(store);
    let store = Store::open(&db_path)?;
    let period = Period::parse(PERIOD)?;
    let region = Scope::Region(REGION_NAMES[3].to_string());
    let branch = Scope::Branch(branch_code(0));

    let t = Instant::now();
    let d = api::dashboard(store.conn(), period, &Scope::Org, None)?;
    let cold = ms(t.elapsed());
    let n_inds: usize = d.objectives.iter().map(|o| o.indicators.len()).sum();
    println!(
        "  (dashboard: {} objectives, {} indicator rows, {} reported of {} branches)",
        d.objectives.len(),
        n_inds,
        d.objectives
            .first()
            .and_then(|o| o.indicators.first())
            .map(|i| i.current.reported)
            .unwrap_or(0),
        BRANCHES
    );
    let values: Vec<String> = d
        .objectives
        .iter()
        .flat_map(|o| &o.indicators)
        .map(|i| {
            let v = i
                .current
                .value
                .map_or("–".to_string(), |v| format!("{v:.1}"));
            format!("{} {v} ({})", i.current.code, i.current.status.as_str())
        })
        .collect();
    for chunk in values.chunks(5) {
        println!("    {}", chunk.join(", "));
    }
    println!(
        "  {:<46} {cold:>7.1} ms",
        "dashboard, org scope, cold (fresh connection)"
    );
    let org = time_runs(WARM_RUNS, || {
        api::dashboard(store.conn(), period, &Scope::Org, None).map(drop)
    })?;
    print_stats("dashboard, org scope, warm", &org, Some(DASHBOARD_GOAL_MS));
    let reg = time_runs(WARM_RUNS, || {
        api::dashboard(store.conn(), period, &region, None).map(drop)
    })?;
    print_stats(
        &format!("dashboard, {region} (25 branches)"),
        &reg,
        Some(DASHBOARD_GOAL_MS),
    );
    let br = time_runs(WARM_RUNS, || {
        api::dashboard(store.conn(), period, &branch, None).map(drop)
    })?;
    print_stats(
        &format!("dashboard, {branch}"),
        &br,
        Some(DASHBOARD_GOAL_MS),
    );
    let n = api::indicators(&store, period, &Scope::Org, None)?.len();
    let inds = time_runs(WARM_RUNS, || {
        api::indicators(&store, period, &Scope::Org, None).map(drop)
    })?;
    print_stats(
        &format!("indicators ({n}), one quarter, org scope"),
        &inds,
        None,
    );
    let year = Period::parse("2025")?;
    let inds_y = time_runs(WARM_RUNS, || {
        api::indicators(&store, year, &Scope::Org, None).map(drop)
    })?;
    print_stats(
        &format!("indicators ({n}), year 2025, org scope"),
        &inds_y,
        None,
    );

    profile_dashboard(&store, period)?;
    drop(store);

    // 4. The demo.
    section("4. Demo");
    let demo_path = dir.path().join("demo.sqlite");
    let t = Instant::now();
    let mut demo_store = Store::open(&demo_path)?;
    let summary = demo::load_demo(&mut demo_store)?;
    let demo_ms = ms(t.elapsed());
    let (db, wal) = db_size(&demo_store, &demo_path)?;
    println!(
        "  load_demo: {} branches, {} months, {} measurements, {} objectives in {demo_ms:.0} ms; database {} (+ WAL {})",
        summary.branches,
        summary.months,
        thousands(summary.measurements as u64),
        summary.objectives,
        human_bytes(db),
        human_bytes(wal)
    );
    let dd = time_runs(WARM_RUNS, || {
        api::dashboard(demo_store.conn(), period, &Scope::Org, None).map(drop)
    })?;
    print_stats(
        "demo dashboard, org scope, warm",
        &dd,
        Some(DASHBOARD_GOAL_MS),
    );

    // 5. The board pack.
    section(&format!(
        "5. Board pack PDF ({PERIOD}, org scope, every section; time = read-model + render)"
    ));
    let chromium = find_chromium();
    if chromium.is_none() {
        println!("  (no chromium on PATH: the comparison is skipped; `scripts/setup.sh bench` installs it)");
    }
    let out_dir = dir.path().join("packs");
    std::fs::create_dir_all(&out_dir)?;
    bench_pack(
        "demo",
        &demo_store,
        period,
        20,
        chromium.as_deref(),
        &out_dir,
    )?;
    drop(demo_store);
    let store = Store::open(&db_path)?;
    bench_pack(
        "large institution (250 branches)",
        &store,
        period,
        10,
        chromium.as_deref(),
        &out_dir,
    )?;
    drop(store);

    bench_sync(dir.path())?;
    bench_backups(&[("demo", &demo_path), ("large institution", &db_path)])?;
    println!();
    sheet::bench_sheet(dir.path())?;

    println!();
    println!(
        "total benchmark time: {:.1} s; peak memory (VmHWM): {}",
        t_all.elapsed().as_secs_f64(),
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Backups and restore

/// Per database: opening with and without SQLite's quick check (what the app does at start),
/// a backup (online backup API + integrity check of the copy + atomic rename), the integrity
/// check that picks the newest good backup, and a restore (a before-restore backup, the copy,
/// its check, the swap and the reopening).
fn bench_backups(dbs: &[(&str, &Path)]) -> Result<()> {
    use mizani_core::backup::{self, BackupKind};
    section("7. Backups and restore (one run each, cold page cache not forced)");
    for (label, path) in dbs {
        let t = Instant::now();
        drop(Store::open(path)?);
        let open_ms = ms(t.elapsed());
        let t = Instant::now();
        let store = Store::open_checked(path, None)?;
        let checked_ms = ms(t.elapsed());
        let size = file_size(path);
        let t = Instant::now();
        let b = backup::create(&store, BackupKind::Manual)?;
        let backup_ms = ms(t.elapsed());
        let t = Instant::now();
        backup::verify(Path::new(&b.path), None).map_err(anyhow::Error::msg)?;
        let check_ms = ms(t.elapsed());
        let mut store = store;
        api::set_mission(&mut store, "changed after the backup", &[])?;
        let t = Instant::now();
        let (store, _) = backup::restore(store, Path::new(&b.path)).map_err(|(_, e)| e)?;
        let restore_ms = ms(t.elapsed());
        drop(store);
        println!(
            "  {label} ({}): open {open_ms:.0} ms, open + quick_check {checked_ms:.0} ms; backup {backup_ms:.0} ms ({}); integrity_check of the backup {check_ms:.0} ms; restore {restore_ms:.0} ms",
            human_bytes(size),
            human_bytes(b.bytes)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Synchronisation by package files

const SYNC_MONTH_GOAL_MS: f64 = 50.0;
const SYNC_MONTH_GOAL_BYTES: usize = 4096;

fn month_cells(rng: &mut SplitMix, elements: &[String]) -> Vec<mizani_core::entry::EntryCell> {
    elements
        .iter()
        .map(|e| mizani_core::entry::EntryCell {
            element: e.clone(),
            value: format!("{}", 10 + (rng.next_u64() % 90_000)),
            comment: None,
        })
        .collect()
}

/// Section 6: one branch-month package (export + import), the demo's enrolment file, and the
/// initial synchronisation of a branch with ten years of data, on file databases.
fn bench_sync(dir: &Path) -> Result<()> {
    use mizani_core::sync;
    section("6. Synchronisation by signed package files (file databases, WAL, synchronous=FULL)");
    let dir = dir.join("sync");
    std::fs::create_dir_all(&dir)?;
    // The demo as head office; a branch site for N01.
    let mut hq = Store::open(&dir.join("hq.sqlite"))?;
    demo::load_demo(&mut hq)?;
    let enrol = dir.join("n01.mizenrol");
    let t = Instant::now();
    let e = sync::site_enrol(&mut hq, &["N01".to_string()], None, &enrol)?;
    let enrol_ms = ms(t.elapsed());
    let mut br = Store::open(&dir.join("n01.sqlite"))?;
    let t = Instant::now();
    let j = sync::site_join(&mut br, &enrol)?;
    let join_ms = ms(t.elapsed());
    println!(
        "  enrolment file of the demo (12 branches, 36 months, every table): {} written in {enrol_ms:.0} ms; joined in {join_ms:.0} ms ({} rows)",
        human_bytes(e.bytes as u64),
        thousands(j.rows as u64)
    );
    let hq_uid = sync::sync_status(&mut hq)?.site.uid;
    let _ = hq_uid;
    let elements: Vec<String> = mizani_core::repo::elements(br.conn())?
        .into_iter()
        .map(|e| e.code)
        .collect();
    // A branch month: every element of N01 for one month (corrections of existing months, so
    // each value replaces one: the common case of a month entered, then sent).
    let mut rng = SplitMix::new(7);
    let mut times = Vec::new();
    let mut sizes = Vec::new();
    let mut counts = Vec::new();
    let first = Month::parse("2024-01")?;
    for i in 0..12 {
        let m = first.plus(i).to_string();
        mizani_core::entry::entry_save(&mut br, "N01", &m, &month_cells(&mut rng, &elements))?;
        let t = Instant::now();
        let (bytes, rep) = sync::sync_export_bytes(&mut br, None)?;
        let r = sync::sync_import_bytes(&mut hq, &bytes, "bench")?;
        times.push(ms(t.elapsed()));
        sizes.push(bytes.len());
        counts.push(rep.changes);
        anyhow::ensure!(r.applied == rep.changes, "every change applied");
        // Head office's acknowledgement back, so the next package carries one month only.
        let b_uid = sync::sync_status(&mut br)?.site.uid;
        let (ack, _) = sync::sync_export_bytes(&mut hq, Some(&b_uid))?;
        sync::sync_import_bytes(&mut br, &ack, "ack")?;
    }
    times.sort_by(f64::total_cmp);
    sizes.sort_unstable();
    print_stats(
        &format!(
            "branch-month package ({} values, {} changes): export + import",
            elements.len(),
            counts[0]
        ),
        &times,
        Some(SYNC_MONTH_GOAL_MS),
    );
    let size = sizes[sizes.len() / 2];
    println!(
        "  {:<46} median {size} bytes (max {})   goal ≤ {SYNC_MONTH_GOAL_BYTES} bytes: {}",
        "branch-month package size",
        sizes[sizes.len() - 1],
        if size <= SYNC_MONTH_GOAL_BYTES {
            "PASS"
        } else {
            "MISS"
        }
    );

    // Ten years of a branch: head office holds them when the branch site is enrolled (the
    // enrolment file carries them), or the branch site sends them in its first package.
    let mut hq10 = Store::open(&dir.join("hq10.sqlite"))?;
    api::init(
        &mut hq10,
        &InitRequest {
            name: "Ten years".into(),
            currency: "XOF".into(),
            country: None,
            language: None,
            gni_per_capita: None,
        },
    )?;
    api::branch_add(&mut hq10, "B01", "Branch one", Some("North"))?;
    api::branch_add(&mut hq10, "B02", "Branch two", Some("North"))?;
    let decade = Month::parse("2016-10")?;
    let mut csv = String::from("branch,period,element,value\n");
    for k in 0..120 {
        let m = decade.plus(k);
        for e in &elements {
            let _ = writeln!(csv, "B01,{m},{e},{}", 10 + rng.next_u64() % 90_000);
        }
    }
    mizani_core::import::import_csv_bytes(&mut hq10, "decade.csv", csv.as_bytes(), false)?;
    let enrol10 = dir.join("b01.mizenrol");
    let t = Instant::now();
    let e10 = sync::site_enrol(&mut hq10, &["B01".to_string()], None, &enrol10)?;
    let enrol10_ms = ms(t.elapsed());
    let mut b10 = Store::open(&dir.join("b01.sqlite"))?;
    let t = Instant::now();
    sync::site_join(&mut b10, &enrol10)?;
    let join10_ms = ms(t.elapsed());
    println!(
        "  branch with 10 years at head office ({} values): enrolment file {} in {enrol10_ms:.0} ms, join {join10_ms:.0} ms",
        thousands(120 * elements.len() as u64),
        human_bytes(e10.bytes as u64)
    );
    // The other way: a branch site that entered ten years offline sends them in one package.
    let enrol_b2 = dir.join("b02.mizenrol");
    sync::site_enrol(&mut hq10, &["B02".to_string()], None, &enrol_b2)?;
    let mut b2 = Store::open(&dir.join("b02.sqlite"))?;
    sync::site_join(&mut b2, &enrol_b2)?;
    let csv2 = csv.replace("B01,", "B02,");
    mizani_core::import::import_csv_bytes(&mut b2, "decade.csv", csv2.as_bytes(), false)?;
    let t = Instant::now();
    let (bytes, rep) = sync::sync_export_bytes(&mut b2, None)?;
    let export_ms = ms(t.elapsed());
    let t = Instant::now();
    let r = sync::sync_import_bytes(&mut hq10, &bytes, "decade")?;
    let import_ms = ms(t.elapsed());
    anyhow::ensure!(r.applied == rep.changes, "every change applied");
    println!(
        "  branch site sending 10 years at once: {} changes, package {}, export {export_ms:.0} ms, import {import_ms:.0} ms",
        thousands(rep.changes as u64),
        human_bytes(bytes.len() as u64)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Printing helpers

fn section(title: &str) {
    println!("{title}");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn human_bytes(b: u64) -> String {
    let mib = b as f64 / (1024.0 * 1024.0);
    if mib >= 1.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{:.0} KiB", b as f64 / 1024.0)
    }
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// (database file, WAL file) sizes after a full checkpoint.
fn db_size(store: &Store, path: &Path) -> Result<(u64, u64)> {
    store
        .conn()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Ok((file_size(path), file_size(&PathBuf::from(wal))))
}

/// Space per table and index (SQLite's dbstat), largest first.
fn print_space(store: &Store) -> Result<()> {
    let mut stmt = store.conn().prepare(
        "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 5",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)));
    // dbstat is a compile-time option of SQLite: skip quietly when it is absent.
    let Ok(rows) = rows else { return Ok(()) };
    let mut parts = Vec::new();
    for row in rows {
        let (name, bytes) = row?;
        parts.push(format!("{name} {}", human_bytes(bytes.max(0) as u64)));
    }
    println!("  largest tables and indexes: {}", parts.join(", "));
    Ok(())
}

fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(human_bytes(kb * 1024))
}

fn machine_line() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.into());
    format!("{cpus} CPU(s), {model}, {os}")
}

/// Runs `f` `n` times; returns the durations in ms, sorted.
fn time_runs(n: usize, mut f: impl FnMut() -> mizani_core::Result<()>) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        out.push(ms(t.elapsed()));
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn print_stats(label: &str, sorted: &[f64], goal: Option<f64>) {
    let (min, med, max) = (
        sorted.first().copied().unwrap_or(f64::NAN),
        median(sorted),
        sorted.last().copied().unwrap_or(f64::NAN),
    );
    let mut line = format!("  {label:<46} min {min:>7.1}  median {med:>7.1}  max {max:>7.1} ms");
    if let Some(g) = goal {
        let verdict = if med <= g { "PASS" } else { "MISS" };
        let _ = write!(line, "   goal ≤ {g:.0} ms (median): {verdict}");
    }
    println!("{line}");
}

// ---------------------------------------------------------------------------------------------
// The board pack: our PDF renderer against headless Chromium printing the same content

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for d in std::env::split_paths(&path) {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Pages of a PDF as pdfinfo reads them (None without poppler).
fn pdfinfo_pages(pdf: &Path) -> Option<u32> {
    let o = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .ok()?;
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Where the read-model's time goes, step by step as in `boardpack::board_pack` (median of 5).
fn profile_board_pack(store: &Store, period: Period, lang: Language) -> Result<()> {
    use mizani_core::dashboard;
    use mizani_core::engine::Rag;
    use mizani_core::model::Direction;
    const RUNS: usize = 5;
    let conn = store.conn();
    let lang_o = Some(lang);
    let tiles = dashboard::tiles(conn, period, &Scope::Org, lang_o)?;
    let t_tiles = time_runs(RUNS, || {
        dashboard::tiles(conn, period, &Scope::Org, lang_o).map(drop)
    })?;
    let t_dash = time_runs(RUNS, || {
        dashboard::dashboard(conn, period, &Scope::Org, lang_o).map(drop)
    })?;
    let eng = Engine::new(conn)?.with_language(lang);
    let all = mizani_core::repo::indicators(conn)?;
    let sb = engine::resolve_scope(conn, &Scope::Org)?;
    let bp = mizani_core::boardpack::board_pack(store, period, &Scope::Org, lang)?;
    let compared: Vec<_> = bp
        .comparisons
        .iter()
        .filter_map(|c| all.iter().find(|i| i.code == c.code))
        .collect();
    let t_cmp = time_runs(RUNS, || {
        for i in &compared {
            eng.explain(&sb, &eng.compile(i)?, period)?;
        }
        Ok(())
    })?;
    // The narrative: for every indicator that got worse and is amber/red or moved > 10 %, the
    // region that moved it most (each region computed for two periods).
    let regions: Vec<_> = mizani_core::repo::regions(conn)?
        .into_iter()
        .map(|r| engine::resolve_scope(conn, &Scope::Region(r.name)))
        .collect::<mizani_core::Result<_>>()?;
    let mut worse = Vec::new();
    for t in &tiles {
        let cur = t.current.value;
        let prev = t.trend.iter().rev().nth(1).and_then(|p| p.value);
        let ind = all.iter().find(|i| i.code == t.current.code);
        let (Some(c), Some(p), Some(ind)) = (cur, prev, ind) else {
            continue;
        };
        let moved = p != 0.0 && ((c - p) / p).abs() > 0.10;
        let flagged = matches!(t.current.status, Rag::Red | Rag::Amber);
        let is_worse = match ind.direction {
            Direction::Higher => c < p,
            Direction::Lower => c > p,
        };
        if (flagged || moved) && is_worse {
            worse.push(ind);
        }
    }
    let prev = period.shift(-1);
    let t_drivers = time_runs(RUNS, || {
        for ind in &worse {
            let compiled = eng.compile(ind)?;
            for r in &regions {
                eng.compute(r, std::slice::from_ref(&compiled), &[prev, period])?;
            }
        }
        Ok(())
    })?;
    let last = period.last_month().to_string();
    let t_compl = time_runs(RUNS, || {
        mizani_core::entry::completeness(store, &last, period.months()).map(drop)
    })?;
    // The two queries of boardpack.rs itself (private there; the same SQL here).
    let (a, b) = (period.first_month().0, period.last_month().0);
    let ids: Vec<String> = sb.branches.iter().map(|(id, _)| id.to_string()).collect();
    let exists_sql = format!(
        "SELECT EXISTS (SELECT 1 FROM measurement WHERE month BETWEEN ?1 AND ?2 AND branch_id IN ({}))",
        ids.join(",")
    );
    let t_exists = time_runs(RUNS, || {
        conn.query_row(&exists_sql, [a, b], |r| r.get::<_, bool>(0))?;
        Ok(())
    })?;
    let t_comments = time_runs(RUNS, || {
        let mut stmt = conn.prepare_cached(
            "SELECT b.id, b.code, m.month, e.code, e.name, e.name_fr, e.name_es, m.value, m.comment, m.entered_by
             FROM measurement m JOIN branch b ON b.id = m.branch_id JOIN data_element e ON e.id = m.element_id
             WHERE m.comment IS NOT NULL AND m.month BETWEEN ?1 AND ?2
             ORDER BY b.code, m.month, e.id",
        )?;
        let n = stmt.query_map([a, b], |r| r.get::<_, i64>(0))?.count();
        std::hint::black_box(n);
        Ok(())
    })?;
    // What the two slowest steps would take with a different query or index (not in the
    // product: measured here on the benchmark's throwaway database, index dropped afterwards).
    let (first_m, last_m) = (period.first_month().0, period.last_month().0);
    let t_compl_seek = time_runs(RUNS, || {
        let mut stmt = conn.prepare_cached(
            "SELECT b.id, m.month, count(*) FROM branch b CROSS JOIN measurement m
               ON m.branch_id = b.id AND m.month BETWEEN ?1 AND ?2
             GROUP BY b.id, m.month",
        )?;
        let n = stmt
            .query_map([first_m, last_m], |r| r.get::<_, i64>(2))?
            .count();
        std::hint::black_box(n);
        Ok(())
    })?;
    let t = Instant::now();
    conn.execute_batch(
        "CREATE INDEX bench_measurement_commented ON measurement(month) WHERE comment IS NOT NULL",
    )?;
    let index_ms = ms(t.elapsed());
    let t_comments_idx = time_runs(RUNS, || {
        let mut stmt = conn.prepare(
            "SELECT b.id, b.code, m.month, e.code, e.name, e.name_fr, e.name_es, m.value, m.comment, m.entered_by
             FROM measurement m JOIN branch b ON b.id = m.branch_id JOIN data_element e ON e.id = m.element_id
             WHERE m.comment IS NOT NULL AND m.month BETWEEN ?1 AND ?2
             ORDER BY b.code, m.month, e.id",
        )?;
        let n = stmt.query_map([a, b], |r| r.get::<_, i64>(0))?.count();
        std::hint::black_box(n);
        Ok(())
    })?;
    conn.execute_batch("DROP INDEX bench_measurement_commented")?;
    let m = |v: &[f64]| median(v);
    println!(
        "    breakdown of the read-model (median of {RUNS}, steps as in boardpack::board_pack):"
    );
    for (label, v) in [
        (
            format!(
                "dashboard::tiles ({} indicators × 12 quarters)",
                tiles.len()
            ),
            m(&t_tiles),
        ),
        (
            "dashboard::dashboard (objectives, 12 quarters)".to_string(),
            m(&t_dash),
        ),
        (
            format!("branch comparisons ({} × Engine::explain)", compared.len()),
            m(&t_cmp),
        ),
        (
            format!(
                "narrative drivers ({} indicators × {} regions × 2 quarters)",
                worse.len(),
                regions.len()
            ),
            m(&t_drivers),
        ),
        (
            "completeness of the quarter (entry::completeness)".to_string(),
            m(&t_compl),
        ),
        (
            "'is there data' check (EXISTS … branch_id IN 250 ids)".to_string(),
            m(&t_exists),
        ),
        (
            "comments of the quarter (comment IS NOT NULL, no index)".to_string(),
            m(&t_comments),
        ),
    ] {
        println!("      {label:<60} {v:>7.1} ms");
    }
    println!("    the same two steps another way (not in the product):");
    println!(
        "      {:<60} {:>7.1} ms",
        "completeness: per-branch seeks on (branch_id, month)",
        m(&t_compl_seek)
    );
    println!(
        "      {:<60} {:>7.1} ms   (index built in {index_ms:.0} ms)",
        "comments: partial index on month WHERE comment IS NOT NULL",
        m(&t_comments_idx)
    );
    Ok(())
}

/// Prints one PASS/MISS verdict.
fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

fn bench_pack(
    label: &str,
    store: &Store,
    period: Period,
    runs: usize,
    chromium: Option<&Path>,
    out_dir: &Path,
) -> Result<()> {
    use mizani_core::boardpack::board_pack;
    use mizani_report::{board_pack_pdf, Sections};
    let (scope, lang, sections) = (Scope::Org, Language::En, Sections::default());

    // Cold: the first pack on this connection (the statement cache and page cache are warm
    // from earlier sections for the demo, fresh for the reopened large database).
    let t = Instant::now();
    let bp = board_pack(store, period, &scope, lang)?;
    let (pdf, pages) = board_pack_pdf(&bp, &sections)?;
    let cold = ms(t.elapsed());
    let file = out_dir.join(format!(
        "pack-{}.pdf",
        label.split(' ').next().unwrap_or("x")
    ));
    std::fs::write(&file, &pdf)?;
    let bytes = pdf.len() as u64;
    let charts = bp
        .objectives
        .iter()
        .map(|o| o.indicators.len())
        .sum::<usize>()
        + bp.comparisons.len();
    println!(
        "  {label}: {pages} pages{}, {} ({} bytes); {charts} charts ({} objective trends + {} branch comparisons) and {} sparklines",
        if pages < 30 && bp.completeness.rows.len() > 100 {
            " (fewer than 30)"
        } else {
            ""
        },
        human_bytes(bytes),
        thousands(bytes),
        charts - bp.comparisons.len(),
        bp.comparisons.len(),
        bp.tiles.len(),
    );
    if let Some(p) = pdfinfo_pages(&file) {
        if p != pages {
            println!("    (pdfinfo reads {p} pages, the renderer says {pages})");
        }
    }
    println!("  {:<46} {cold:>7.1} ms", "first pack (cold)");

    let model = time_runs(runs, || board_pack(store, period, &scope, lang).map(drop))?;
    print_stats("read-model (boardpack::board_pack)", &model, None);
    if bp.completeness.rows.len() > 100 {
        profile_board_pack(store, period, lang)?;
    }
    let mut render_err = None;
    let render = time_runs(runs, || {
        if let Err(e) = board_pack_pdf(&bp, &sections) {
            render_err = Some(e.to_string());
        }
        Ok(())
    })?;
    if let Some(e) = render_err {
        anyhow::bail!("render: {e}");
    }
    print_stats("render (board_pack_pdf)", &render, None);
    let total = time_runs(runs, || {
        let bp = board_pack(store, period, &scope, lang)?;
        board_pack_pdf(&bp, &sections).map_err(mizani_core::CoreError::from)?;
        Ok(())
    })?;
    print_stats("read-model + render", &total, Some(PACK_GOAL_MS));
    println!(
        "  {:<46} {:>7}   goal ≤ 1 MB: {}",
        "file size",
        human_bytes(bytes),
        verdict(bytes <= PACK_GOAL_BYTES)
    );

    let Some(chromium) = chromium else {
        return Ok(());
    };
    // The same content as HTML, printed by headless Chromium (a fresh profile per run, as an
    // app shelling out to it would do). Timed: HTML generation + Chromium start-up + print.
    let font_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts");
    let t = Instant::now();
    let bp = board_pack(store, period, &scope, lang)?;
    let page = html::board_pack_html(&bp, &sections, &font_dir);
    let html_ms = ms(t.elapsed());
    let html_file = out_dir.join("pack.html");
    std::fs::write(&html_file, &page)?;
    let out = out_dir.join("chromium.pdf");
    let mut times = Vec::new();
    for _ in 0..CHROMIUM_RUNS {
        let profile = tempfile::tempdir()?;
        std::fs::remove_file(&out).ok();
        let t = Instant::now();
        let o = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--print-to-pdf={}", out.display()))
            .arg(format!("file://{}", html_file.display()))
            .output()?;
        let took = ms(t.elapsed());
        if !out.exists() {
            println!(
                "  headless Chromium wrote no PDF (exit {:?}): {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            return Ok(());
        }
        times.push(took);
    }
    times.sort_by(f64::total_cmp);
    let chrome = median(&times) + html_ms;
    let chrome_bytes = file_size(&out);
    let ours = median(&total);
    println!(
        "  {:<46} {:>7.0} ms   (runs {}; + read-model and HTML {html_ms:.1} ms; {} charts as SVG) → {} pages, {}",
        format!("headless Chromium, same content (median of {CHROMIUM_RUNS})"),
        chrome,
        times
            .iter()
            .map(|t| format!("{t:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        html::chart_count(&page),
        pdfinfo_pages(&out).map_or("?".into(), |p| p.to_string()),
        human_bytes(chrome_bytes)
    );
    let ratio = ours / chrome;
    println!(
        "  {:<46} {:>7.3}   goal ≤ {CHROMIUM_GOAL_RATIO}: {}   (ours {ours:.1} ms, {:.0}× faster)",
        "ours / Chromium",
        ratio,
        verdict(ratio <= CHROMIUM_GOAL_RATIO),
        chrome / ours
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The institution

fn branch_code(i: usize) -> String {
    format!("B{:03}", i + 1)
}

fn first_month() -> Month {
    Month(LAST_MONTH.0 * 12 + LAST_MONTH.1 as i32 - 1 - (MONTHS - 1))
}

fn extra_code(k: usize) -> String {
    format!("x_{:02}", k + 1)
}

fn extra_kind(k: usize) -> ElementKind {
    if k % 2 == 0 {
        ElementKind::Stock
    } else {
        ElementKind::Flow
    }
}

fn setup_institution(store: &mut Store) -> Result<()> {
    api::init(
        store,
        &InitRequest {
            name: "Benchmark Microfinance".into(),
            currency: "XOF".into(),
            country: Some("SN".into()),
            language: Some("en".into()),
            gni_per_capita: Some(950_000.0),
        },
    )?;
    for i in 0..BRANCHES {
        let region = REGION_NAMES[i * REGIONS / BRANCHES];
        api::branch_add(
            store,
            &branch_code(i),
            &format!("{region} branch {}", i + 1),
            Some(region),
        )?;
    }
    store.write("define benchmark elements", |w| {
        for k in 0..EXTRA_ELEMENTS {
            let kind = extra_kind(k);
            catalogue::define_element(
                w,
                &ElementDef {
                    code: extra_code(k),
                    kind,
                    unit: ElementUnit::Number,
                    name: Names {
                        en: format!("Benchmark element {}", k + 1),
                        fr: None,
                        es: None,
                    },
                    description: format!("Synthetic {kind} for the benchmark."),
                    allow_negative: false,
                },
                false,
            )?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Writes one value: whole numbers without decimals, others with one.
fn push_value(line: &mut String, v: f64) {
    if v.fract() == 0.0 {
        let _ = write!(line, "{}", v as i64);
    } else {
        let _ = write!(line, "{v:.1}");
    }
}

/// Writes `branch,period,element,value` for every branch, month and element; returns the rows.
fn write_csv(path: &Path) -> Result<usize> {
    let file = std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all(b"branch,period,element,value\n")?;
    let months: Vec<String> = (0..MONTHS)
        .map(|t| Month(first_month().0 + t).to_string())
        .collect();
    let extra: Vec<String> = (0..EXTRA_ELEMENTS).map(extra_code).collect();
    let mut rows = 0usize;
    let mut buf = String::with_capacity(1 << 16);
    for b in 0..BRANCHES {
        let code = branch_code(b);
        let sim = simulate_branch(b);
        for (t, month) in months.iter().enumerate() {
            buf.clear();
            for (e, v) in sim.builtin[t].iter() {
                let _ = write!(buf, "{code},{month},{e},");
                push_value(&mut buf, *v);
                buf.push('\n');
                rows += 1;
            }
            for (k, v) in sim.extra[t].iter().enumerate() {
                let _ = write!(buf, "{code},{month},{},", extra[k]);
                push_value(&mut buf, *v);
                buf.push('\n');
                rows += 1;
            }
            out.write_all(buf.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(rows)
}

struct BranchSeries {
    /// Per month: the 22 built-in elements.
    builtin: Vec<Vec<(&'static str, f64)>>,
    /// Per month: the custom elements x_01..x_61.
    extra: Vec<Vec<f64>>,
}

/// Deterministic, plausible monthly figures of one branch (the same model as the demo's, with
/// per-branch parameters drawn from SplitMix).
fn simulate_branch(b: usize) -> BranchSeries {
    let mut rng = SplitMix::new(0xB3_4C_4D_00 + b as u64 * 104_729);
    let region = b * REGIONS / BRANCHES;
    // Rural, urban and mixed regions.
    let (rural0, women0, avg_loan0, lo_ratio) = match region % 3 {
        0 => (0.85, 0.60, 180_000.0, 240.0),
        1 => (0.12, 0.52, 420_000.0, 290.0),
        _ => (0.55, 0.58, 280_000.0, 260.0),
    };
    let borrowers0 = 600.0 + 2_400.0 * rng.unit();
    let avg_loan0 = avg_loan0 * (0.85 + 0.3 * rng.unit());
    let growth = 0.003 + 0.009 * rng.unit();
    let par_base = 0.015 + 0.03 * rng.unit();
    let churn0 = 0.010 + 0.008 * rng.unit();
    let multi0 = 0.02 + 0.05 * rng.unit();
    let on_time0 = 0.78 + 0.15 * rng.unit();
    let client_ratio = 1.15 + 0.2 * rng.unit();
    let extra_level: Vec<f64> = (0..EXTRA_ELEMENTS)
        .map(|_| 10.0 + 990.0 * rng.unit())
        .collect();
    let extra_drift: Vec<f64> = (0..EXTRA_ELEMENTS).map(|_| rng.jitter(0.004)).collect();

    let mut builtin = Vec::with_capacity(MONTHS as usize);
    let mut extra = Vec::with_capacity(MONTHS as usize);
    let mut clients_prev = (borrowers0 * client_ratio).round();
    let mut staff = (borrowers0 / lo_ratio * 1.6 + 4.0).round();
    let mut equity = borrowers0 * avg_loan0 * 0.30;
    for t in 0..MONTHS {
        let tf = t as f64;
        let season = (tf * std::f64::consts::PI / 6.0).sin();
        let borrowers = (borrowers0 * (1.0 + growth).powf(tf) * (1.0 + rng.jitter(0.01))).round();
        let women =
            (borrowers * (women0 + tf * 0.0004 + rng.jitter(0.006)).clamp(0.0, 0.95)).round();
        let rural = (borrowers * (rural0 + rng.jitter(0.01)).clamp(0.0, 1.0)).round();
        let avg_loan = avg_loan0 * (1.0 + 0.002 * tf) * (1.0 + rng.jitter(0.01));
        let glp = (borrowers * avg_loan).round();
        let par_ratio = (par_base + 0.004 * season + rng.jitter(0.002)).clamp(0.002, 0.2);
        let par30 = (glp * par_ratio).round();
        let write_off = (glp * par_ratio * 0.035 * (1.0 + rng.jitter(0.2)))
            .round()
            .max(0.0);
        let portfolio_revenue = (glp * 0.265 / 12.0 * (1.0 + rng.jitter(0.03))).round();
        let financial_revenue = (portfolio_revenue * 1.07).round();
        let financial_expense = (glp * 0.068 / 12.0).round();
        let impairment =
            (glp * (0.006 + par_ratio * 0.28) / 12.0 * (1.0 + rng.jitter(0.1))).round();
        let opex = (glp * 0.155 / 12.0 + 1_500_000.0 * (1.0 + rng.jitter(0.05))).round();
        let pre_tax = financial_revenue - financial_expense - impairment - opex;
        let net_income = if pre_tax > 0.0 {
            pre_tax * 0.75
        } else {
            pre_tax
        }
        .round();
        equity += net_income;
        let total_assets = (glp * 1.28 + 30_000_000.0).round();
        let churn = (churn0 + rng.jitter(0.002)).max(0.0);
        let clients = (borrowers * client_ratio).round();
        let new_clients = (clients - clients_prev * (1.0 - churn)).round().max(0.0);
        clients_prev = clients;
        let multi = (borrowers * (multi0 + rng.jitter(0.003)).max(0.0))
            .round()
            .min(borrowers);
        let loan_officers = (borrowers / lo_ratio).round().max(1.0);
        let left = if rng.unit() < staff * 0.012 {
            1.0 + (rng.unit() * 1.4).floor()
        } else {
            0.0
        };
        staff = (staff - left + if rng.unit() < 0.35 { left + 1.0 } else { left })
            .max(loan_officers + 3.0);
        let complaints = (borrowers * 0.0022 * (1.0 + rng.jitter(0.35))).round();
        let resolved = (complaints * (on_time0 + rng.jitter(0.04)).min(1.0))
            .round()
            .min(complaints);
        builtin.push(vec![
            ("glp", glp),
            ("par30_balance", par30),
            ("active_borrowers", borrowers),
            ("active_women_borrowers", women),
            ("active_rural_borrowers", rural),
            ("active_clients", clients),
            ("borrowers_3plus_lenders", multi),
            ("loan_officers", loan_officers),
            ("staff", staff),
            ("total_assets", total_assets),
            ("equity", equity.round()),
            ("new_clients", new_clients),
            ("loans_written_off", write_off),
            ("financial_revenue", financial_revenue),
            ("portfolio_revenue", portfolio_revenue),
            ("financial_expense", financial_expense),
            ("impairment_expense", impairment),
            ("operating_expense", opex),
            ("net_income", net_income),
            ("staff_left", left),
            ("complaints_received", complaints),
            ("complaints_resolved_on_time", resolved),
        ]);
        let row: Vec<f64> = (0..EXTRA_ELEMENTS)
            .map(|k| {
                let level = extra_level[k] * (1.0 + extra_drift[k] * tf);
                let v = match extra_kind(k) {
                    ElementKind::Stock => level * (1.0 + rng.jitter(0.02)),
                    ElementKind::Flow => level / 12.0 * (1.0 + rng.jitter(0.3)),
                };
                (v.max(0.0) * 10.0).round() / 10.0
            })
            .collect();
        extra.push(row);
    }
    BranchSeries { builtin, extra }
}

// ---------------------------------------------------------------------------------------------
// Objectives (like the demo's six, with targets at institution level and a few per branch)

fn link(indicator: &str, targets: &[(&str, Option<String>, f64)]) -> NewLink {
    NewLink {
        indicator: indicator.into(),
        baseline_value: None,
        baseline_period: Some("2024-Q4".into()),
        targets: targets
            .iter()
            .map(|(p, b, v)| NewTarget {
                period: (*p).into(),
                branch: b.clone(),
                value: *v,
            })
            .collect(),
    }
}

fn objective(title: &str, practice: u8, dimension: &str, indicators: Vec<NewLink>) -> NewObjective {
    NewObjective {
        title: title.into(),
        description: format!("Benchmark objective: {title}."),
        practice,
        dimension: dimension.into(),
        owner: "Benchmark owner".into(),
        start_date: "2025-01-01".into(),
        end_date: "2026-12-31".into(),
        activities: vec!["Quarterly review by branch".into(), "Board report".into()],
        indicators,
    }
}

/// Returns the number of indicator links.
fn add_objectives(store: &mut Store) -> Result<usize> {
    let org = |p: &'static str, v: f64| (p, None::<String>, v);
    let at = |p: &'static str, b: usize, v: f64| (p, Some(branch_code(b)), v);
    let mut par30_targets = vec![org("2025-Q4", 3.0), org("2026-Q4", 2.5)];
    par30_targets.extend((0..8).map(|b| at("2026-Q4", b, 4.0)));
    let mut women_targets = vec![org("2025-Q4", 62.0), org("2026-Q4", 66.0)];
    women_targets.extend((100..104).map(|b| at("2026-Q4", b, 60.0)));
    let objectives = vec![
        objective(
            "Reach more rural women with appropriate loans",
            1,
            "social_strategy",
            vec![
                link("women_borrowers_pct", &women_targets),
                link("rural_borrowers_pct", &[org("2026-Q4", 50.0)]),
                link("depth_of_outreach", &[org("2026-Q4", 35.0)]),
            ],
        ),
        objective(
            "Prevent over-indebtedness",
            2,
            "client_protection",
            vec![
                link("over_indebted_pct", &[org("2026-Q4", 4.0)]),
                link("par30", &par30_targets),
            ],
        ),
        objective(
            "Resolve every complaint fairly and on time",
            2,
            "client_protection",
            vec![
                link("complaints_resolved_pct", &[org("2026-Q4", 95.0)]),
                link("write_off_ratio", &[org("2026-Q4", 1.0)]),
            ],
        ),
        objective(
            "Keep our clients: understand why they leave",
            3,
            "client_centred_products",
            vec![
                link("client_retention", &[org("2026-Q4", 95.0)]),
                link("cost_per_borrower", &[org("2026-Q4", 40_000.0)]),
            ],
        ),
        objective(
            "Align staff incentives with client well-being",
            4,
            "responsible_hr",
            vec![
                link("staff_turnover", &[org("2026-Q4", 15.0)]),
                link(
                    "borrowers_per_lo",
                    &[org("2026-Q4", 260.0), at("2026-Q4", 200, 280.0)],
                ),
            ],
        ),
        objective(
            "Grow responsibly: sustainable without mission drift",
            5,
            "responsible_growth",
            vec![
                link("oss", &[org("2026-Q4", 115.0)]),
                link("portfolio_yield", &[org("2026-Q4", 27.0)]),
                link("roa", &[org("2026-Q4", 2.5)]),
            ],
        ),
    ];
    let mut links = 0;
    for o in &objectives {
        api::objective_add(store, o)?;
        links += o.indicators.len();
    }
    Ok(links)
}

// ---------------------------------------------------------------------------------------------
// Where the dashboard's time goes

/// Months an access reads for a period (mirrors the engine).
fn months_needed(kind: ElementKind, access: Access, p: &Period, out: &mut BTreeSet<i32>) {
    let first = p.first_month().0;
    let last = p.last_month().0;
    match (access, kind) {
        (Access::Value, ElementKind::Stock) => {
            out.insert(last);
        }
        (Access::Value, ElementKind::Flow) => out.extend(first..=last),
        (Access::Opening, _) => {
            out.insert(first - 1);
        }
        (Access::Avg, _) => {
            out.insert(first - 1);
            out.insert(last);
        }
    }
}

fn profile_dashboard(store: &Store, period: Period) -> Result<()> {
    const RUNS: usize = 15;
    let conn = store.conn();
    println!("  breakdown of the org-scope dashboard (median of {RUNS} runs, steps as in dashboard::dashboard):");
    let t_engine = time_runs(RUNS, || Engine::new(conn).map(drop))?;
    let t_scope = time_runs(RUNS, || engine::resolve_scope(conn, &Scope::Org).map(drop))?;
    let t_objs = time_runs(RUNS, || {
        mizani_core::repo::objectives(conn, false)?;
        mizani_core::repo::indicators(conn).map(drop)
    })?;
    let eng = Engine::new(conn)?;
    let sb = engine::resolve_scope(conn, &Scope::Org)?;
    let objectives = mizani_core::repo::objectives(conn, false)?;
    let all = mizani_core::repo::indicators(conn)?;
    let mut codes: Vec<String> = Vec::new();
    for o in &objectives {
        for l in &o.indicators {
            if !codes.contains(&l.indicator) {
                codes.push(l.indicator.clone());
            }
        }
    }
    let inds: Vec<_> = codes
        .iter()
        .filter_map(|c| all.iter().find(|i| &i.code == c))
        .collect();
    let t_compile = time_runs(RUNS, || {
        for i in &inds {
            eng.compile(i)?;
        }
        Ok(())
    })?;
    let compiled = inds
        .iter()
        .map(|i| eng.compile(i))
        .collect::<mizani_core::Result<Vec<_>>>()?;
    let periods: Vec<Period> = (0..mizani_core::dashboard::TREND_LEN)
        .rev()
        .map(|k| period.shift(-k))
        .collect();
    let t_compute = time_runs(RUNS, || eng.compute(&sb, &compiled, &periods).map(drop))?;

    // The cube's reads alone: the same per-element range queries the engine runs.
    let elements = mizani_core::repo::elements(conn)?;
    let mut needed: BTreeMap<String, (i64, BTreeSet<i32>)> = BTreeMap::new();
    for i in &inds {
        for f in [&i.numerator, &i.denominator] {
            let expr = Expr::parse(f)?;
            for (code, access, _) in expr.refs() {
                let Some(e) = elements.iter().find(|e| e.code == code) else {
                    continue;
                };
                let entry = needed
                    .entry(code.to_string())
                    .or_insert((e.id, BTreeSet::new()));
                for p in &periods {
                    months_needed(e.kind, access, p, &mut entry.1);
                }
            }
        }
    }
    let mut runs: Vec<(i64, i32, i32)> = Vec::new();
    for (id, months) in needed.values() {
        let mut last: Option<(i32, i32)> = None;
        for &m in months {
            last = match last {
                Some((a, b)) if b + 1 == m => Some((a, m)),
                Some((a, b)) => {
                    runs.push((*id, a, b));
                    Some((m, m))
                }
                None => Some((m, m)),
            };
        }
        if let Some((a, b)) = last {
            runs.push((*id, a, b));
        }
    }
    let mut rows_read = 0usize;
    let t_sql = time_runs(RUNS, || {
        let mut stmt = conn.prepare_cached(
            "SELECT branch_id, month, value FROM measurement WHERE element_id = ?1 AND month BETWEEN ?2 AND ?3",
        )?;
        rows_read = 0;
        let mut sum = 0.0;
        for &(id, a, b) in &runs {
            let mut rows = stmt.query((id, a, b))?;
            while let Some(r) = rows.next()? {
                let _bid: i64 = r.get(0)?;
                let _m: i32 = r.get(1)?;
                let v: f64 = r.get(2)?;
                sum += v;
                rows_read += 1;
            }
        }
        std::hint::black_box(sum);
        Ok(())
    })?;
    let dash = time_runs(RUNS, || {
        api::dashboard(conn, period, &Scope::Org, None).map(drop)
    })?;
    let m = |v: &[f64]| median(v);
    let parts = [
        (
            "Engine::new (organisation + element catalogue)",
            m(&t_engine),
        ),
        ("resolve_scope (250 branches)", m(&t_scope)),
        ("repo::objectives + repo::indicators", m(&t_objs)),
        (
            &*format!("compile {} indicators", compiled.len()),
            m(&t_compile),
        ),
        (
            &*format!(
                "Engine::compute: cube load + {} ind. × {} quarters",
                compiled.len(),
                periods.len()
            ),
            m(&t_compute),
        ),
    ];
    let mut sum = 0.0;
    for (label, v) in parts {
        println!("    {label:<62} {v:>7.2} ms");
        sum += v;
    }
    println!(
        "    {:<62} {:>7.2} ms",
        format!(
            "  of which the cube's SQL range reads ({} ranges, {} rows)",
            runs.len(),
            thousands(rows_read as u64)
        ),
        m(&t_sql)
    );
    println!("    {:<62} {:>7.2} ms", "sum of the steps", sum);
    println!(
        "    {:<62} {:>7.2} ms",
        "whole dashboard (same runs)",
        m(&dash)
    );
    Ok(())
}
