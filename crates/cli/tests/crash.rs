//! Data safety with the real `mizani` binary on real database files.
//!
//! - **Crash harness**: chains of jobs — CSV imports at head office and at a branch site,
//!   objectives, the mission, actions, indicator thresholds, and sync packages both ways
//!   (`sync export` then `sync import`) — run one process after another and are killed with
//!   SIGKILL at a random moment within the chain's measured duration. After every kill: the
//!   integrity check passes, every job whose process was seen exiting 0 before the kill is in
//!   the database, and the job that was running is either wholly there or not at all. The
//!   expected state comes from a *shadow* pair of databases (copies made before the first run)
//!   on which the same jobs run to completion without kills: after each run the victims'
//!   canonical dumps must equal the shadows' after the acknowledged jobs, or after those plus
//!   the interrupted one. `MIZANI_CRASH_RUNS` (20; `make soak`: 200), `MIZANI_CRASH_SEED`
//!   (printed; the same seed gives the same jobs and the same kill points relative to each
//!   chain's duration).
//! - **Full disk** (a file-size limit set with `prlimit --fsize`, which needs no root) and a
//!   **read-only database folder** (as root, the command runs as `nobody` through `setpriv`,
//!   since root writes through file modes): a plain message naming the file or folder, exit
//!   code 1 (never a signal), and every value saved before still there.

mod common;

use common::{bin, ok, run};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

/// SplitMix64: the same seed gives the same jobs and kill points on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Uniform in [0, 1).
    fn frac(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical dumps.

/// Every data table (store::DATA_TABLES), sorted, without the columns that record *when*
/// something was written (`*_at`): those differ between the victim and its shadow.
fn data_dump(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).expect("open for the dump");
    let mut out = String::new();
    for t in mizani_core::store::DATA_TABLES {
        let cols: Vec<String> = c
            .prepare(&format!("PRAGMA table_info({})", t.name))
            .expect("table_info")
            .query_map([], |r| r.get::<_, String>(1))
            .expect("columns")
            .collect::<Result<Vec<_>, _>>()
            .expect("columns")
            .into_iter()
            .filter(|c| !c.ends_with("_at"))
            .collect();
        let list = cols.join(", ");
        out.push_str(&format!("## {} ({list})\n", t.name));
        let mut stmt = c
            .prepare(&format!("SELECT {list} FROM {} ORDER BY {list}", t.name))
            .expect("select");
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..cols.len())
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).expect("cell")))
                    .collect();
                Ok(cells.join("|"))
            })
            .expect("rows");
        for row in rows {
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
    }
    out
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check` (opening the file also recovers a
/// write-ahead log left by a killed process, as the next Mizani start would).
fn integrity(db: &Path) -> Result<(), String> {
    let c =
        rusqlite::Connection::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("integrity_check on {}: {e}", db.display()))?;
    if ok != "ok" {
        return Err(format!("integrity_check on {}: {ok}", db.display()));
    }
    let fk: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| format!("foreign_key_check on {}: {e}", db.display()))?;
    if fk != 0 {
        return Err(format!("{fk} foreign key violation(s) in {}", db.display()));
    }
    Ok(())
}

/// The first lines where two dumps differ (for failure messages).
fn diff(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = Vec::new();
    let mut table = "";
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i).copied(), lb.get(i).copied());
        if let Some(t) = x.filter(|l| l.starts_with("## ")) {
            table = t;
        }
        if x != y {
            out.push(format!("{table}: line {i}: {x:?} vs {y:?}"));
            if out.len() == 5 {
                break;
            }
        }
    }
    out.join("\n")
}

// ---------------------------------------------------------------------------------------------
// Worlds and jobs.

/// A head-office database and a branch-site database enrolled by it, and a folder for the
/// packages they exchange.
struct World {
    hq: PathBuf,
    br: PathBuf,
    dir: PathBuf,
}

impl World {
    fn copy_to(&self, dir: &Path) -> World {
        std::fs::create_dir_all(dir).expect("dir");
        let w = World {
            hq: dir.join("hq.sqlite"),
            br: dir.join("br.sqlite"),
            dir: dir.to_path_buf(),
        };
        for (from, to) in [(&self.hq, &w.hq), (&self.br, &w.br)] {
            let c = rusqlite::Connection::open(from).expect("open");
            c.backup(rusqlite::MAIN_DB, to, None)
                .expect("copy the database");
        }
        w
    }
    fn pkg(&self, name: &str) -> String {
        self.dir.join(name).to_str().expect("path").to_string()
    }
}

const ELEMENTS: [&str; 8] = [
    "glp",
    "par30_balance",
    "active_borrowers",
    "active_clients",
    "staff",
    "loan_officers",
    "total_assets",
    "equity",
];
/// Months 2015-01 … 2024-12: a bounded key space, so later imports change earlier values.
const MONTHS: u64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    HqImportSmall,
    HqImportBig,
    BranchImportSmall,
    BranchImportBig,
    Objective,
    Mission,
    Action,
    Thresholds,
    HqExport,
    BranchImportPackage,
    BranchExport,
    HqImportPackage,
}

#[derive(Debug, Clone)]
struct Job {
    kind: Kind,
    /// A CSV file (imports) or a text (titles, mission).
    arg: String,
}

impl Job {
    /// The database and arguments of this job in world `w`.
    fn command(&self, w: &World) -> (PathBuf, Vec<String>) {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        match self.kind {
            Kind::HqImportSmall | Kind::HqImportBig => (w.hq.clone(), s(&["import", &self.arg])),
            Kind::BranchImportSmall | Kind::BranchImportBig => {
                (w.br.clone(), s(&["import", &self.arg]))
            }
            Kind::Objective => (
                w.hq.clone(),
                s(&[
                    "objective",
                    "add",
                    "--title",
                    &self.arg,
                    "--practice",
                    "2",
                    "--dimension",
                    "social_strategy",
                    "--start",
                    "2025-01-01",
                    "--end",
                    "2027-12-31",
                    "--activity",
                    "Train the loan officers",
                    "--indicator",
                    "par30",
                    "--target",
                    "par30=4@2026-Q4",
                ]),
            ),
            Kind::Mission => (
                w.hq.clone(),
                s(&[
                    "mission",
                    "--mission",
                    &self.arg,
                    "--value",
                    "Respect",
                    "--value",
                    "Transparency",
                ]),
            ),
            Kind::Action => (
                w.hq.clone(),
                s(&[
                    "action",
                    "add",
                    "--description",
                    &self.arg,
                    "--owner",
                    "Operations",
                    "--due",
                    "2026-12-31",
                ]),
            ),
            Kind::Thresholds => (
                w.hq.clone(),
                s(&[
                    "indicator",
                    "set",
                    "par30",
                    "--green",
                    &self.arg,
                    "--red",
                    "5",
                ]),
            ),
            Kind::HqExport => (
                w.hq.clone(),
                s(&["sync", "export", "-o", &w.pkg("down.mizpkg")]),
            ),
            Kind::BranchImportPackage => {
                (w.br.clone(), s(&["sync", "import", &w.pkg("down.mizpkg")]))
            }
            Kind::BranchExport => (
                w.br.clone(),
                s(&["sync", "export", "-o", &w.pkg("up.mizpkg")]),
            ),
            Kind::HqImportPackage => (w.hq.clone(), s(&["sync", "import", &w.pkg("up.mizpkg")])),
        }
    }

    fn spawn(&self, w: &World) -> Child {
        let (db, args) = self.command(w);
        bin()
            .arg("--db")
            .arg(db)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mizani")
    }

    /// Runs the job to completion (the shadow world); returns how long it took.
    fn run_to_end(&self, w: &World) -> Result<Duration, String> {
        let t0 = Instant::now();
        let out = self.spawn(w).wait_with_output().expect("wait");
        if !out.status.success() {
            return Err(format!(
                "{self:?} failed on the shadow: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(t0.elapsed())
    }
}

/// A CSV of `rows` distinct (element, month) values for `branch`.
fn csv(rng: &mut Rng, branch: &str, rows: usize) -> String {
    let mut keys: Vec<u64> = (0..ELEMENTS.len() as u64 * MONTHS).collect();
    for i in 0..rows.min(keys.len()) {
        let j = i + rng.below((keys.len() - i) as u64) as usize;
        keys.swap(i, j);
    }
    let mut out = String::from("branch,period,element,value\n");
    for k in &keys[..rows.min(keys.len())] {
        let (e, m) = (k / MONTHS, k % MONTHS);
        out.push_str(&format!(
            "{branch},{}-{:02},{},{}\n",
            2015 + m / 12,
            m % 12 + 1,
            ELEMENTS[e as usize],
            1 + rng.below(1_000_000)
        ));
    }
    out
}

/// A random chain of 1 to 4 steps; a sync step is two jobs (export, then import).
fn chain(rng: &mut Rng, files: &Path, run: u64) -> Vec<Job> {
    let mut jobs = Vec::new();
    let steps = 1 + rng.below(4);
    for step in 0..steps {
        let tag = format!("{run}-{step}");
        let job = |kind: Kind, arg: String| Job { kind, arg };
        let import = |rng: &mut Rng, kind: Kind, branch: &str, rows: usize| {
            let f = files.join(format!("{tag}-{branch}.csv"));
            std::fs::write(&f, csv(rng, branch, rows)).expect("csv");
            job(kind, f.to_str().expect("path").to_string())
        };
        match rng.below(10) {
            0 | 1 => {
                let n = 1 + rng.below(5) as usize;
                jobs.push(import(rng, Kind::HqImportSmall, "BR02", n));
            }
            2 => {
                let n = 300 + rng.below(600) as usize;
                jobs.push(import(rng, Kind::HqImportBig, "BR02", n));
            }
            3 => {
                if rng.below(2) == 0 {
                    let n = 1 + rng.below(5) as usize;
                    jobs.push(import(rng, Kind::BranchImportSmall, "BR01", n));
                } else {
                    let n = 300 + rng.below(600) as usize;
                    jobs.push(import(rng, Kind::BranchImportBig, "BR01", n));
                }
            }
            4 => jobs.push(job(Kind::Objective, format!("Objective {tag}"))),
            5 => jobs.push(job(Kind::Mission, format!("Mission {tag}"))),
            6 => jobs.push(job(Kind::Action, format!("Action {tag}"))),
            7 => {
                let g = format!("{:.1}", 1.0 + rng.below(30) as f64 / 10.0);
                jobs.push(job(Kind::Thresholds, g));
            }
            8 => {
                jobs.push(job(Kind::HqExport, String::new()));
                jobs.push(job(Kind::BranchImportPackage, String::new()));
            }
            _ => {
                jobs.push(job(Kind::BranchExport, String::new()));
                jobs.push(job(Kind::HqImportPackage, String::new()));
            }
        }
    }
    jobs
}

/// What happened to a chain run on the victim world.
struct Outcome {
    /// Jobs whose process was seen exiting 0 (they are the first `acked` of the chain).
    acked: usize,
    /// Whether a job was running when the kill came (else the chain ended before it).
    interrupted: bool,
}

/// Runs `jobs` one after another on `w`, from a driver thread, and kills the running process
/// with SIGKILL after `delay`. The child is reaped only under the lock the killer takes, so
/// the kill never reaches another process.
fn run_and_kill(jobs: &[Job], w: &World, delay: Duration) -> Result<Outcome, String> {
    struct Current {
        child: Option<Child>,
        stopped: bool,
    }
    let cur = Arc::new(Mutex::new(Current {
        child: None,
        stopped: false,
    }));
    let (jobs_c, hq, br, dir) = (jobs.to_vec(), w.hq.clone(), w.br.clone(), w.dir.clone());
    let cur_d = cur.clone();
    let driver = std::thread::spawn(move || -> Result<Outcome, String> {
        let w = World { hq, br, dir };
        let mut acked = 0;
        for job in &jobs_c {
            {
                let mut c = cur_d.lock().expect("lock");
                if c.stopped {
                    return Ok(Outcome {
                        acked,
                        interrupted: false,
                    });
                }
                c.child = Some(job.spawn(&w));
            }
            let status = loop {
                {
                    let mut c = cur_d.lock().expect("lock");
                    let child = c.child.as_mut().expect("running");
                    if let Some(st) = child.try_wait().expect("try_wait") {
                        if !st.success() && st.code().is_some() {
                            let mut err = String::new();
                            if let Some(mut e) = child.stderr.take() {
                                let _ = std::io::Read::read_to_string(&mut e, &mut err);
                            }
                            return Err(format!("{job:?} failed ({st}): {err}"));
                        }
                        // Reaped by try_wait: forget it, so that the killer has nothing to kill.
                        c.child = None;
                        break st;
                    }
                }
                std::thread::sleep(Duration::from_micros(500));
            };
            if status.success() {
                acked += 1;
            } else {
                return Ok(Outcome {
                    acked,
                    interrupted: true,
                });
            }
        }
        Ok(Outcome {
            acked,
            interrupted: false,
        })
    });
    std::thread::sleep(delay);
    {
        let mut c = cur.lock().expect("lock");
        c.stopped = true;
        if let Some(child) = c.child.as_mut() {
            let _ = child.kill(); // SIGKILL
        }
    }
    driver.join().expect("driver thread")
}

#[derive(Default)]
struct Stats {
    runs: u64,
    interrupted_before: u64,
    interrupted_after: u64,
    finished_first: u64,
    acked: u64,
    jobs: u64,
}

#[test]
fn jobs_killed_at_random_moments_lose_nothing_and_apply_nothing_by_half() {
    let t_start = Instant::now();
    let runs = env_u64("MIZANI_CRASH_RUNS").unwrap_or(20);
    let seed = env_u64("MIZANI_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    eprintln!("crash harness: MIZANI_CRASH_SEED={seed} MIZANI_CRASH_RUNS={runs}");
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let victim = World {
        hq: root.join("victim/hq.sqlite"),
        br: root.join("victim/br.sqlite"),
        dir: root.join("victim"),
    };
    std::fs::create_dir_all(&victim.dir).expect("dir");
    let files = root.join("files");
    std::fs::create_dir_all(&files).expect("dir");

    // Head office with two branches and some history; a branch site for BR01.
    ok(
        &victim.hq,
        &["init", "--org", "Crash MFI", "--currency", "XOF"],
    );
    for b in ["BR01", "BR02"] {
        ok(
            &victim.hq,
            &["branch", "add", b, "--name", b, "--region", "North"],
        );
    }
    let mut rng = Rng(seed);
    let start = files.join("start.csv");
    std::fs::write(
        &start,
        csv(&mut rng, "BR01", 200) + &csv(&mut rng, "BR02", 200)[28..],
    )
    .expect("csv");
    ok(&victim.hq, &["import", start.to_str().expect("p")]);
    let enrol = files.join("br01.mizenrol");
    ok(
        &victim.hq,
        &["site", "enrol", "BR01", "-o", enrol.to_str().expect("p")],
    );
    ok(&victim.br, &["site", "join", enrol.to_str().expect("p")]);
    let shadow = victim.copy_to(&root.join("shadow"));
    assert_eq!(
        data_dump(&victim.hq),
        data_dump(&shadow.hq),
        "the shadow is a copy"
    );

    // How long each kind of job takes: measured once on a scratch copy, then on the shadow
    // (moving average; package imports grow as head office accumulates changes).
    let mut est: std::collections::BTreeMap<Kind, Duration> = Default::default();
    let mut stats = Stats::default();
    let keep = |tmp: tempfile::TempDir, msg: String| -> ! {
        let kept = tmp.keep();
        panic!(
            "{msg}\n(MIZANI_CRASH_SEED={seed}; the databases are kept in {})",
            kept.display()
        )
    };
    {
        let scratch = shadow.copy_to(&root.join("scratch"));
        let mut crng = Rng(seed ^ 0xCA11);
        let mut cal = Vec::new();
        for (kind, branch, rows) in [
            (Kind::HqImportSmall, "BR02", 3),
            (Kind::HqImportBig, "BR02", 600),
            (Kind::BranchImportSmall, "BR01", 3),
            (Kind::BranchImportBig, "BR01", 600),
        ] {
            let f = files.join(format!("calibration-{kind:?}.csv"));
            std::fs::write(&f, csv(&mut crng, branch, rows)).expect("csv");
            cal.push(Job {
                kind,
                arg: f.to_str().expect("p").to_string(),
            });
        }
        for (kind, arg) in [
            (Kind::Objective, "Calibration"),
            (Kind::Mission, "Calibration"),
            (Kind::Action, "Calibration"),
            (Kind::Thresholds, "2.5"),
            (Kind::HqExport, ""),
            (Kind::BranchImportPackage, ""),
            (Kind::BranchExport, ""),
            (Kind::HqImportPackage, ""),
        ] {
            cal.push(Job {
                kind,
                arg: arg.to_string(),
            });
        }
        for j in &cal {
            match j.run_to_end(&scratch) {
                Ok(d) => {
                    est.insert(j.kind, d);
                }
                Err(e) => keep(tmp, format!("calibration: {e}")),
            }
        }
        let _ = std::fs::remove_dir_all(root.join("scratch"));
    }
    for r in 0..runs {
        let jobs = chain(&mut rng, &files, r);
        let expected: Duration = jobs.iter().map(|j| est[&j.kind]).sum();
        let frac = rng.frac();
        let delay = expected.mul_f64(frac);
        let outcome = match run_and_kill(&jobs, &victim, delay) {
            Ok(o) => o,
            Err(e) => keep(tmp, format!("run {r}: {e}")),
        };
        let what = format!(
            "run {r}: chain {:?}, killed after {delay:?} ({:.0} % of {expected:?}), {} job(s) acknowledged",
            jobs.iter().map(|j| j.kind).collect::<Vec<_>>(),
            frac * 100.0,
            outcome.acked
        );
        for db in [&victim.hq, &victim.br] {
            if let Err(e) = integrity(db) {
                keep(tmp, format!("{what}: {e}"));
            }
        }
        // The shadow runs every acknowledged job to the end: the victim must hold all of them.
        for j in &jobs[..outcome.acked] {
            match j.run_to_end(&shadow) {
                Ok(d) => {
                    let e = est.entry(j.kind).or_insert(d);
                    *e = (*e * 3 + d) / 4;
                }
                Err(e) => keep(tmp, format!("{what}: {e}")),
            }
        }
        let now = (data_dump(&victim.hq), data_dump(&victim.br));
        let mut same = now == (data_dump(&shadow.hq), data_dump(&shadow.br));
        if outcome.interrupted {
            if same {
                stats.interrupted_before += 1;
            } else {
                // Then the interrupted job must be there as a whole.
                let j = &jobs[outcome.acked];
                if let Err(e) = j.run_to_end(&shadow) {
                    keep(tmp, format!("{what}: {e}"));
                }
                let after = (data_dump(&shadow.hq), data_dump(&shadow.br));
                same = now == after;
                if !same {
                    let d = format!("{}\n{}", diff(&now.0, &after.0), diff(&now.1, &after.1));
                    keep(
                        tmp,
                        format!("{what}: the interrupted {:?} is half applied, or an acknowledged job is missing:\n{d}", j.kind),
                    );
                }
                stats.interrupted_after += 1;
            }
        } else {
            stats.finished_first += 1;
            if !same {
                let sh = (data_dump(&shadow.hq), data_dump(&shadow.br));
                let d = format!("{}\n{}", diff(&now.0, &sh.0), diff(&now.1, &sh.1));
                keep(tmp, format!("{what}: an acknowledged job is missing:\n{d}"));
            }
        }
        stats.runs += 1;
        stats.acked += outcome.acked as u64;
        stats.jobs += jobs.len() as u64;
    }
    for db in [&victim.hq, &victim.br] {
        let o = run(db, &["check"]);
        assert!(
            o.status.success(),
            "mizani check passes after the kills: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    eprintln!(
        "crash harness: seed {seed}: {} runs ({} jobs, {} acknowledged before the kill); kills during a job: {} left it out, {} found it complete; {} chains ended before the kill; {:.1} s",
        stats.runs,
        stats.jobs,
        stats.acked,
        stats.interrupted_before,
        stats.interrupted_after,
        stats.finished_first,
        t_start.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Full disk and read-only folder.

/// A head office with some data.
fn small_institution(dir: &Path) -> PathBuf {
    let db = dir.join("mfi.sqlite");
    ok(&db, &["init", "--org", "Careful MFI", "--currency", "XOF"]);
    ok(
        &db,
        &[
            "branch", "add", "BR01", "--name", "North", "--region", "North",
        ],
    );
    ok(&db, &["mission", "--mission", "Saved before the trouble"]);
    let csv = dir.join("saved.csv");
    std::fs::write(&csv, "branch,period,element,value\nBR01,2025-01,glp,1000\n").expect("csv");
    ok(&db, &["import", csv.to_str().expect("p")]);
    db
}

/// A CSV of `rows` values for BR01 (enough to need many database pages).
fn big_csv(dir: &Path, rows: usize) -> PathBuf {
    let mut rng = Rng(7);
    let f = dir.join("big.csv");
    let mut text = csv(&mut rng, "BR01", rows.min(ELEMENTS.len() * MONTHS as usize));
    text = text.replace("BR01,2025-01,glp", "BR01,2015-01,glp");
    std::fs::write(&f, text).expect("csv");
    f
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `mizani` under a file-size limit of `bytes` (prlimit, util-linux; no root needed).
fn limited(bytes: u64, db: &Path, args: &[&str]) -> std::process::Output {
    Command::new("prlimit")
        .arg(format!("--fsize={bytes}"))
        .arg(env!("CARGO_BIN_EXE_mizani"))
        .env_remove("MIZANI_DB")
        .env("MIZANI_USER", "tester")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("prlimit runs")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_disk_gives_a_clear_error_and_loses_nothing() {
    if !has("prlimit") {
        eprintln!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let db = small_institution(dir);
    let before = data_dump(&db);
    let big = big_csv(dir, 900);
    let size = std::fs::metadata(&db).expect("size").len();
    // The database file may stay as it is, but its write-ahead log cannot grow past 64 KiB,
    // and the import needs more: SQLite's write fails with EFBIG (a full disk gives ENOSPC;
    // both end the same way).
    let o = limited(64 * 1024, &db, &["import", big.to_str().expect("p")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a clear failure, not a process killed by SIGXFSZ (database of {size} bytes): {:?} {err}",
        o.status
    );
    assert!(
        err.starts_with("error: cannot save to the database ")
            && err.contains("mfi.sqlite")
            && err.contains("nothing was saved"),
        "the message names the database and says nothing was saved: {err}"
    );
    integrity(&db).expect("the database is intact");
    assert_eq!(
        data_dump(&db),
        before,
        "every saved value is still there, nothing half written"
    );
    // Space again: the same import goes through.
    ok(&db, &["import", big.to_str().expect("p")]);
    assert_ne!(data_dump(&db), before, "imported once there is room");

    // Output files: no partial file is left behind (reports, packages, backups, exports).
    let out = dir.join("out");
    std::fs::create_dir(&out).expect("dir");
    let pdf = out.join("pack.pdf");
    // (Above the 32 KiB that SQLite's shared-memory file needs, below the PDF's size.)
    let o = limited(
        36 * 1024,
        &db,
        &[
            "report",
            "--period",
            "2025-01",
            "-o",
            pdf.to_str().expect("p"),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{:?} {err}", o.status);
    assert!(
        err.contains("pack.pdf") && err.contains("the disk is full"),
        "the message names the file and the reason: {err}"
    );
    let backup = out.join("copy.sqlite");
    let o = limited(
        36 * 1024,
        &db,
        &["backup", "create", "-o", backup.to_str().expect("p")],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{:?} {err}", o.status);
    assert!(
        err.contains("copy.sqlite") && err.contains("no backup file was left"),
        "the backup failure is named: {err}"
    );
    assert_eq!(
        files_in(&out),
        Vec::<String>::new(),
        "no partial PDF, backup or temporary file is left"
    );
    integrity(&db).expect("still intact");
}

/// Runs `mizani` as a user who cannot write `db`'s folder: as root (who writes through file
/// modes), as `nobody` through `setpriv`; otherwise as ourselves with the folder made
/// read-only.
fn as_reader(db: &Path, args: &[&str]) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut c = if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_mizani"),
        ]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_mizani"))
    };
    c.env_remove("MIZANI_DB")
        .env("MIZANI_USER", "reader")
        .env("HOME", "/nonexistent")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("mizani runs")
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_read_only_database_folder_is_named_and_nothing_changes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Reachable by `nobody` (the temporary folder is private to us).
    chmod(tmp.path(), 0o755);
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).expect("dir");
    let db = small_institution(&dir);
    let before = data_dump(&db);
    let csv = tmp.path().join("more.csv");
    std::fs::write(&csv, "branch,period,element,value\nBR01,2025-02,glp,1100\n").expect("csv");
    chmod(&csv, 0o644);
    chmod(&db, 0o444);
    chmod(&dir, 0o555);
    let import = as_reader(&db, &["import", csv.to_str().expect("p")]);
    let mission = as_reader(&db, &["mission", "--mission", "Changed"]);
    let list = as_reader(&db, &["branch", "list"]);
    let create = as_reader(
        &dir.join("new.sqlite"),
        &["init", "--org", "New", "--currency", "XOF"],
    );
    chmod(&dir, 0o755);
    chmod(&db, 0o644);
    let folder = format!(
        "error: the database folder {} is read-only: ",
        dir.display()
    );
    for (what, o) in [
        ("an import", &import),
        ("an edit", &mission),
        (
            "a read (SQLite needs its journal files beside the database)",
            &list,
        ),
        ("a new database", &create),
    ] {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {:?} {err}", o.status);
        assert!(
            err.starts_with(&folder) && err.contains("nothing was changed"),
            "{what}: the message names the read-only folder: {err}"
        );
    }
    integrity(&db).expect("intact");
    assert_eq!(data_dump(&db), before, "nothing changed");
    assert_eq!(
        files_in(&dir),
        vec!["mfi.sqlite".to_string(), "saved.csv".to_string()],
        "nothing was left in the folder"
    );
    ok(&db, &["import", csv.to_str().expect("p")]);
}
