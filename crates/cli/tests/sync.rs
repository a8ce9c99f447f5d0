//! `mizani site …` and `mizani sync …` with the real binary on real database files: enrolment,
//! join, packages through files and a sync folder, status and conflicts as JSON, bad input,
//! and an import killed at random moments (the database is as before or fully after).

mod common;

use common::{dump, fails_with, json, ok, run};
use std::path::Path;
use std::time::Duration;

/// Every table except the refusal log (a refused package is logged there, nothing else).
fn data_dump(db: &Path) -> String {
    let d = dump(db);
    let mut out = String::new();
    let mut skip = false;
    for line in d.lines() {
        if line.starts_with("## ") {
            skip = line == "## sync_refusal";
        }
        if !skip {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The institution's data, the change log and what the site has seen: what an import changes
/// (not its times, which differ from run to run).
fn state_dump(db: &Path) -> String {
    let keep = [
        "measurement",
        "organisation",
        "branch",
        "data_element",
        "indicator",
        "objective",
        "target",
        "change",
        "site_seen",
        "peer_ack",
        "sync_conflict",
    ];
    let d = dump(db);
    let mut out = String::new();
    let mut on = false;
    for line in d.lines() {
        if let Some(t) = line.strip_prefix("## ") {
            on = keep.contains(&t);
        }
        if on {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn head_office(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("hq.sqlite");
    ok(&db, &["init", "--org", "Sync MFI", "--currency", "XOF"]);
    for b in ["BR01", "BR02"] {
        ok(
            &db,
            &[
                "branch",
                "add",
                b,
                "--name",
                &format!("Branch {b}"),
                "--region",
                "North",
            ],
        );
    }
    let csv = dir.join("start.csv");
    std::fs::write(
        &csv,
        "branch,period,element,value\nBR01,2025-01,glp,1000\nBR02,2025-01,glp,2000\n",
    )
    .expect("csv");
    ok(&db, &["import", csv.to_str().expect("path")]);
    db
}

#[test]
fn enrol_join_exchange_through_a_folder_and_report_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hq = head_office(dir.path());
    let enrol = dir.path().join("br01.mizenrol");
    let e = json(
        &hq,
        &[
            "site",
            "enrol",
            "BR01",
            "--name",
            "North office",
            "-o",
            enrol.to_str().expect("path"),
        ],
    );
    assert_eq!(e["site"]["branches"][0], "BR01", "the site owns BR01: {e}");
    let site_uid = e["site"]["uid"].as_str().expect("uid").to_string();

    let br = dir.path().join("br01.sqlite");
    let j = json(&br, &["site", "join", enrol.to_str().expect("path")]);
    assert_eq!(
        j["institution"], "Sync MFI",
        "the branch joined the institution: {j}"
    );
    assert_eq!(j["site"]["uid"], site_uid.as_str(), "as the enrolled site");
    let sites = json(&br, &["site", "list"]);
    assert_eq!(
        sites.as_array().map(Vec::len),
        Some(2),
        "the branch knows itself and head office: {sites}"
    );

    // The branch enters February; the folder carries it.
    let csv = dir.path().join("feb.csv");
    std::fs::write(&csv, "branch,period,element,value\nBR01,2025-02,glp,1100\n").expect("csv");
    ok(&br, &["import", csv.to_str().expect("path")]);
    let refused = fails_with(
        &br,
        &[
            "import",
            "--dry-run",
            dir.path().join("none.csv").to_str().expect("p"),
        ],
        None,
    );
    assert!(
        refused.contains("none.csv"),
        "an unreadable file is named: {refused}"
    );
    let folder = dir.path().join("shared");
    std::fs::create_dir(&folder).expect("folder");
    let f = folder.to_str().expect("path");
    let out = json(&br, &["sync", "folder", f]);
    assert_eq!(
        out["exported"].as_array().map(Vec::len),
        Some(1),
        "one package for head office: {out}"
    );
    let status = json(&br, &["sync", "status"]);
    assert_eq!(status["site"]["role"], "branch", "{status}");
    assert_eq!(
        status["peers"][0]["pending"], 1,
        "one change not yet acknowledged by head office"
    );

    let got = json(&hq, &["sync", "folder", f]);
    assert_eq!(
        got["imported"][0]["applied"], 1,
        "head office imported the value: {got}"
    );
    let v = json(
        &hq,
        &[
            "indicators",
            "--period",
            "2025-02",
            "--scope",
            "branch:BR01",
        ],
    );
    assert!(v.is_array(), "head office computes the branch's February");
    let row: f64 = rusqlite::Connection::open(&hq)
        .expect("open")
        .query_row(
            "SELECT value FROM measurement WHERE month = 2025 * 12 + 1",
            [],
            |r| r.get(0),
        )
        .expect("the value is at head office");
    assert_eq!(row, 1100.0, "exactly the branch's value");
    // Head office's acknowledgement goes back; the branch has nothing pending afterwards.
    json(&br, &["sync", "folder", f]);
    let status = json(&br, &["sync", "status"]);
    assert_eq!(
        status["peers"][0]["pending"], 0,
        "head office acknowledged it: {status}"
    );
    // Quiet: nothing more is written.
    let quiet = json(&hq, &["sync", "folder", f]);
    assert_eq!(
        quiet["exported"].as_array().map(Vec::len),
        Some(0),
        "no empty ping-pong: {quiet}"
    );

    // A conflict: both change BR01 January, then exchange by files.
    let hcsv = dir.path().join("h.csv");
    std::fs::write(
        &hcsv,
        "branch,period,element,value\nBR01,2025-01,glp,1001\n",
    )
    .expect("csv");
    let bcsv = dir.path().join("b.csv");
    std::fs::write(&bcsv, "branch,period,element,value\nBR01,2025-01,glp,999\n").expect("csv");
    ok(&br, &["import", bcsv.to_str().expect("p")]);
    std::thread::sleep(Duration::from_millis(5));
    ok(&hq, &["import", hcsv.to_str().expect("p")]);
    let p1 = dir.path().join("b-to-h.mizpkg");
    ok(&br, &["sync", "export", "-o", p1.to_str().expect("p")]);
    let r = json(&hq, &["sync", "import", p1.to_str().expect("p")]);
    assert_eq!(
        r["conflicts"], 1,
        "head office sees the concurrent edit: {r}"
    );
    let c = json(&hq, &["sync", "conflicts"]);
    assert_eq!(c[0]["label"], "BR01 2025-01 glp", "{c}");
    assert_eq!(
        c[0]["winner_value"], "1001.0",
        "head office's later value is kept"
    );
    assert_eq!(
        c[0]["loser_value"], "999.0",
        "the branch's value is in the log"
    );
    let text = ok(&hq, &["sync", "conflicts"]);
    assert!(
        text.contains("999.0"),
        "the table shows both values: {text}"
    );
    let id = c[0]["id"].as_i64().expect("id").to_string();
    ok(&hq, &["sync", "conflicts", "--reapply", &id]);
    let p2 = dir.path().join("h-to-b.mizpkg");
    ok(
        &hq,
        &[
            "sync",
            "export",
            "-o",
            p2.to_str().expect("p"),
            "--to",
            &site_uid[..6],
        ],
    );
    ok(&br, &["sync", "import", p2.to_str().expect("p")]);
    let v: f64 = rusqlite::Connection::open(&br)
        .expect("open")
        .query_row(
            "SELECT value FROM measurement WHERE month = 2025 * 12 AND branch_id = 1",
            [],
            |r| r.get(0),
        )
        .expect("value");
    assert_eq!(v, 999.0, "the re-applied value won at the branch too");
}

#[test]
fn bad_input_is_refused_with_a_reason_and_the_data_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hq = head_office(dir.path());
    let p = |n: &str| dir.path().join(n).to_str().expect("path").to_string();
    let before = data_dump(&hq);
    let e = fails_with(
        &hq,
        &["site", "enrol", "NOPE", "-o", &p("x.mizenrol")],
        Some(2),
    );
    assert!(e.contains("no branch 'NOPE'"), "{e}");
    let e = fails_with(
        &hq,
        &["site", "enrol", "BR01", "-o", &p("missing/x.mizenrol")],
        Some(2),
    );
    assert!(e.contains("does not exist"), "{e}");
    let e = fails_with(&hq, &["sync", "export", "-o", &p("x.mizpkg")], Some(2));
    assert!(e.contains("no peer yet"), "{e}");
    std::fs::write(p("junk.mizpkg"), b"not a package").expect("junk");
    let e = fails_with(&hq, &["sync", "import", &p("junk.mizpkg")], Some(2));
    assert!(e.contains("not a Mizani sync package"), "{e}");
    let e = fails_with(&hq, &["sync", "import", &p("absent.mizpkg")], Some(1));
    assert!(e.contains("absent.mizpkg"), "{e}");
    let e = fails_with(&hq, &["sync", "folder", &p("no-such-folder")], Some(2));
    assert!(e.contains("not a folder"), "{e}");
    let e = fails_with(&hq, &["site", "revoke", "ffff"], Some(2));
    assert!(e.contains("no site 'ffff'"), "{e}");
    assert_eq!(data_dump(&hq), before, "nothing changed");
    let st = json(&hq, &["sync", "status"]);
    assert_eq!(
        st["refusals"][0]["file"]
            .as_str()
            .map(|f| f.ends_with("junk.mizpkg")),
        Some(true),
        "the refusal is logged: {st}"
    );

    // Joining needs an empty database; enrolling twice the same branch is refused.
    let enrol = p("br01.mizenrol");
    ok(&hq, &["site", "enrol", "BR01", "-o", &enrol]);
    let e = fails_with(
        &hq,
        &["site", "enrol", "BR01", "-o", &p("again.mizenrol")],
        Some(2),
    );
    assert!(e.contains("already belongs"), "{e}");
    let e = fails_with(&hq, &["site", "join", &enrol], Some(2));
    assert!(e.contains("already holds"), "{e}");
    let br = dir.path().join("br.sqlite");
    let e = fails_with(&br, &["site", "join", &p("junk.mizpkg")], Some(2));
    assert!(e.contains("not a Mizani enrolment file"), "{e}");
    ok(&br, &["site", "join", &enrol]);
    // A branch site cannot change head office's data.
    let e = fails_with(&br, &["mission", "--mission", "Ours"], Some(2));
    assert!(e.contains("head office"), "{e}");
    let csv = dir.path().join("br02.csv");
    std::fs::write(&csv, "branch,period,element,value\nBR02,2025-02,glp,5\n").expect("csv");
    let e = fails_with(&br, &["import", csv.to_str().expect("p")], Some(2));
    assert!(
        e.contains("BR02"),
        "entering another branch's data is refused: {e}"
    );
}

/// Kills `mizani sync import` at random moments: every time, the database passes the integrity
/// check and holds either none or all of the package.
#[test]
fn an_import_killed_at_any_moment_leaves_the_database_before_or_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hq = head_office(dir.path());
    let enrol = dir.path().join("b.mizenrol");
    ok(
        &hq,
        &["site", "enrol", "BR01", "-o", enrol.to_str().expect("p")],
    );
    let br = dir.path().join("br.sqlite");
    ok(&br, &["site", "join", enrol.to_str().expect("p")]);
    // Head office corrects a lot of BR01's history: a large package.
    let mut csv = String::from("branch,period,element,value\n");
    for m in 0..120 {
        let (y, mo) = (2015 + m / 12, m % 12 + 1);
        for e in [
            "glp",
            "par30_balance",
            "active_borrowers",
            "active_clients",
            "staff",
            "loan_officers",
            "total_assets",
            "equity",
        ] {
            csv.push_str(&format!("BR01,{y}-{mo:02},{e},{}\n", 100 + m));
        }
    }
    let big = dir.path().join("big.csv");
    std::fs::write(&big, csv).expect("csv");
    ok(&hq, &["import", big.to_str().expect("p")]);
    let pkg = dir.path().join("big.mizpkg");
    ok(&hq, &["sync", "export", "-o", pkg.to_str().expect("p")]);
    let pristine = dir.path().join("pristine.sqlite");
    std::fs::copy(&br, &pristine).expect("copy");
    let before = state_dump(&br);
    // The state after a complete import, for comparison.
    let t0 = std::time::Instant::now();
    ok(&br, &["sync", "import", pkg.to_str().expect("p")]);
    let full = t0.elapsed();
    let after = state_dump(&br);
    assert_ne!(before, after, "the package changes the branch");
    let runs: u64 = std::env::var("MIZANI_KILL_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let mut seed = 0x5eed_u64;
    let (mut was_before, mut was_after) = (0, 0);
    for i in 0..runs {
        std::fs::copy(&pristine, &br).expect("restore");
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", br.display()));
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % (full.as_micros() as u64 + 1));
        let mut child = common::bin()
            .arg("--db")
            .arg(&br)
            .args(["sync", "import", pkg.to_str().expect("p")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let c = rusqlite::Connection::open(&br).expect("open after kill");
        let integrity: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(
            integrity, "ok",
            "run {i} (killed after {delay:?}): the file is intact"
        );
        drop(c);
        let now = state_dump(&br);
        if now == before {
            was_before += 1;
        } else if now == after {
            was_after += 1;
        } else {
            panic!("run {i} (killed after {delay:?}): the package is half applied");
        }
    }
    eprintln!("killed {runs} imports: {was_before} left as before, {was_after} complete");
    let st = run(&br, &["check"]);
    assert!(st.status.success(), "mizani check passes after the kills");
}
