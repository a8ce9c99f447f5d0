//! Helpers shared by the CLI tests: run the real `mizani` binary on a temporary database, and
//! dump every table to prove that a refusal changed nothing.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mizani"));
    c.env_remove("MIZANI_DB").env("MIZANI_USER", "tester");
    c
}

pub fn run(db: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("the binary runs")
}

pub fn ok(db: &Path, args: &[&str]) -> String {
    let o = run(db, args);
    assert!(
        o.status.success(),
        "`mizani {}` should succeed; stderr: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("stdout is UTF-8")
}

pub fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(db, &a)).expect("--json prints JSON")
}

/// A canonical dump of every data table, to prove a refusal changed nothing.
pub fn dump(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).expect("open");
    let mut out = String::new();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2"))
            .expect("select");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).expect("cell")))
                    .collect();
                Ok(cells.join("|"))
            })
            .expect("query");
        for row in rows {
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
    }
    out
}

/// Runs a command that must fail (with `code` when given); returns its stderr, whose first line
/// is the reason.
pub fn fails_with(db: &Path, args: &[&str], code: Option<i32>) -> String {
    let o = run(db, args);
    assert!(
        !o.status.success(),
        "`mizani {}` should fail",
        args.join(" ")
    );
    if let Some(c) = code {
        assert_eq!(
            o.status.code(),
            Some(c),
            "`mizani {}` should exit {c}; stderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(
        o.stdout.is_empty() || args.contains(&"check"),
        "a failure prints nothing on stdout"
    );
    let err = String::from_utf8(o.stderr).expect("stderr is UTF-8");
    assert!(
        err.starts_with("error: "),
        "the reason comes first on stderr: {err}"
    );
    err
}
