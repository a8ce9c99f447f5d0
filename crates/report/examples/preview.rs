//! Writes the demo's board pack (en, fr, es) and a branch one-pager per language to
//! `target/report-preview/`, with timings, so that the pages can be looked at:
//!
//! ```sh
//! cargo run --release -p mizani-report --example preview [-- PERIOD [BRANCH]]
//! pdftoppm -png -r 60 target/report-preview/board-pack-en.pdf target/report-preview/en
//! ```
use mizani_core::engine::Scope;
use mizani_core::model::Language;
use mizani_core::period::Period;
use mizani_core::{demo, Store};
use mizani_report::{write_board_pack, write_branch_page, Sections};
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let period = Period::parse(args.first().map(String::as_str).unwrap_or("2026-Q3"))?;
    let branch = args.get(1).map(String::as_str).unwrap_or("N01");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-preview");
    std::fs::create_dir_all(&out)?;
    let out = out.canonicalize()?;
    let mut store = Store::open_in_memory()?;
    demo::load_demo(&mut store)?;
    for lang in [Language::En, Language::Fr, Language::Es] {
        let path = out.join(format!("board-pack-{lang}.pdf"));
        let t = Instant::now();
        let info = write_board_pack(
            &store,
            period,
            &Scope::Org,
            lang,
            &Sections::default(),
            &path,
        )?;
        println!(
            "{}: {} pages, {} KB, {} ms",
            info.path,
            info.pages,
            info.bytes / 1024,
            t.elapsed().as_millis()
        );
        let path = out.join(format!("branch-{branch}-{lang}.pdf"));
        let t = Instant::now();
        let info = write_branch_page(&store, period, branch, lang, &path)?;
        println!(
            "{}: {} pages, {} KB, {} ms",
            info.path,
            info.pages,
            info.bytes / 1024,
            t.elapsed().as_millis()
        );
    }
    Ok(())
}
