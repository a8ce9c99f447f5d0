//! The board pack's read-model on the demo institution: the same numbers as the engine, a
//! narrative that names the region behind a worsening indicator, and refusals of bad input.

use mizani_core::boardpack::{board_pack, branch_page};
use mizani_core::engine::{Rag, Scope};
use mizani_core::model::Language;
use mizani_core::period::Period;
use mizani_core::{api, demo, ErrorCode, Store};

fn demo_store() -> Store {
    let mut s = Store::open_in_memory().expect("in-memory store");
    demo::load_demo(&mut s).expect("demo loads");
    s
}

#[test]
fn board_pack_of_the_demo_tells_the_story() {
    let s = demo_store();
    let p = Period::parse("2026-Q3").expect("period");
    let bp = board_pack(&s, p, &Scope::Org, Language::Fr).expect("board pack");
    assert!(
        (8..=12).contains(&bp.key_figures.len()),
        "about ten key figures: {}",
        bp.key_figures.len()
    );
    let ranks: Vec<u8> = bp
        .key_figures
        .iter()
        .map(|t| t.current.status.rank())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "key figures reds first: {ranks:?}"
    );
    let par = bp
        .tiles
        .iter()
        .find(|t| t.current.code == "par30")
        .expect("par30 tile");
    let cli = api::indicators(&s, p, &Scope::Org, None).expect("indicators");
    let cli_par = cli.iter().find(|v| v.code == "par30").expect("par30");
    assert_eq!(
        par.current.value, cli_par.value,
        "the pack and the CLI use the same engine"
    );
    assert_eq!(
        par.current.name, "Portefeuille à risque > 30 jours",
        "names in the pack's language"
    );
    let fact = bp
        .narrative
        .iter()
        .find(|f| f.code == "par30")
        .expect("PAR30 is in the narrative: it rose");
    assert!(
        fact.worse,
        "PAR30 rose, which is worse for a lower-is-better indicator"
    );
    assert_eq!(
        fact.driver.as_ref().map(|d| d.region.as_str()),
        Some("North"),
        "the North drought drove it"
    );
    assert!(
        !bp.comparisons.is_empty(),
        "branch comparisons for key indicators"
    );
    let c = &bp.comparisons[0];
    assert_eq!(c.bars.len(), 12, "one bar per branch of the institution");
    assert!(
        c.bars
            .iter()
            .any(|b| b.branch == "N04" && b.value.is_none() && !b.missing.is_empty()),
        "N04 did not report September: missing, never 0"
    );
    assert_eq!(
        bp.completeness.months,
        vec!["2026-07", "2026-08", "2026-09"],
        "the quarter's months"
    );
    assert!(
        bp.comments.iter().any(|c| c.branch == "N01"),
        "the demo's drought comment is in the appendix"
    );
    assert_eq!(
        bp.indicators.len(),
        16,
        "every formula goes in the appendix"
    );
    assert!(
        bp.objectives.iter().all(|o| !o.indicators.is_empty()),
        "objectives with their indicators"
    );
    assert!(
        matches!(bp.key_figures[0].current.status, Rag::Red | Rag::Amber),
        "the first key figure needs attention"
    );
}

#[test]
fn branch_page_compares_with_the_institution() {
    let s = demo_store();
    let p = Period::parse("2026-Q3").expect("period");
    let bp = branch_page(&s, p, "N01", Language::En).expect("branch page");
    let par = bp
        .lines
        .iter()
        .find(|l| l.tile.current.code == "par30")
        .expect("par30");
    let org = api::indicators(&s, p, &Scope::Org, None).expect("org");
    assert_eq!(
        par.institution,
        org.iter().find(|v| v.code == "par30").and_then(|v| v.value),
        "institution value beside the branch's"
    );
    assert!(
        par.tile.current.value > par.institution,
        "N01 (North) has a higher PAR than the institution"
    );
    assert_eq!(
        par.tile.target,
        Some(4.0),
        "the branch's own PAR target (4 %) applies"
    );
    assert_eq!(
        bp.filled,
        vec![22, 22, 22],
        "N01 reported every element every month"
    );
}

#[test]
fn bad_periods_scopes_and_empty_periods_are_refused() {
    let s = demo_store();
    let e = board_pack(
        &s,
        Period::parse("2030-Q1").expect("period"),
        &Scope::Org,
        Language::En,
    )
    .expect_err("no data in 2030");
    assert_eq!(e.code, ErrorCode::NotFound, "a period with no data: {e}");
    assert!(e.message.contains("no data for 2030-Q1"), "{e}");
    let e = board_pack(
        &s,
        Period::parse("2026-Q3").expect("period"),
        &Scope::Region("Mars".into()),
        Language::En,
    )
    .expect_err("unknown region");
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    let e = branch_page(
        &s,
        Period::parse("2026-Q3").expect("period"),
        "ZZ",
        Language::En,
    )
    .expect_err("unknown branch");
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
}
