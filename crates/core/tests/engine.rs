//! Integration tests of the indicator engine through the public API, on real SQLite databases.
//! Every expected number is computed by hand in the comments next to it.

mod common;

use common::{assert_close, branches, custom, explain, listed, load, period, series, store};
use mizani_core::api::{self, NewLink, NewObjective, NewTarget};
use mizani_core::catalogue::IndicatorDef;
use mizani_core::dashboard::Outlook;
use mizani_core::engine::{rag, Rag, ReasonCode, Scope};
use mizani_core::model::{Direction, Names};
use mizani_core::{ErrorCode, Store};

/// One branch "A" with a year of figures:
/// glp (stock): 2024-12 = 500, then 2025-01..12 = 1000 × month number (1000 … 12000);
/// loans_written_off (flow): 2025-01..12 = month number (1 … 12, total 78);
/// par30_balance (stock): 2025-04..06 = 60, 60, 300.
fn one_branch_year() -> Store {
    let mut s = store(None);
    branches(&mut s, &[("A", "North")]);
    let glp: Vec<f64> = std::iter::once(500.0)
        .chain((1..=12).map(|m| 1000.0 * m as f64))
        .collect();
    let wo: Vec<f64> = (1..=12).map(|m| m as f64).collect();
    let mut rows = series("A", "glp", "2024-12", &glp);
    rows += &series("A", "loans_written_off", "2025-01", &wo);
    rows += &series("A", "par30_balance", "2025-04", &[60.0, 60.0, 300.0]);
    load(&mut s, &rows);
    for d in [
        custom("t_stock", "glp", "1", 1.0, false),
        custom("t_flow", "loans_written_off", "1", 1.0, false),
        custom("t_open", "opening(glp)", "1", 1.0, false),
        custom("t_avg", "avg(glp)", "1", 1.0, false),
    ] {
        api::define_indicator(&mut s, &d).expect("valid custom indicator is accepted");
    }
    s
}

#[test]
fn stock_takes_the_last_month_and_flow_sums_the_months() {
    let s = one_branch_year();
    let org = Scope::Org;

    let q2 = explain(&s, "t_stock", "2025-Q2", &org);
    assert_close(
        q2.value,
        6000.0,
        "a stock over 2025-Q2 is its value in June (6 × 1000)",
    );
    assert_ne!(
        q2.value,
        Some(15000.0),
        "a stock must not be summed over the quarter's months"
    );
    assert_ne!(
        q2.value,
        Some(5000.0),
        "a stock must not be averaged over the quarter's months"
    );
    assert_close(
        explain(&s, "t_stock", "2025", &org).value,
        12000.0,
        "a stock over a year is its December value",
    );
    assert_close(
        explain(&s, "t_stock", "2025-03", &org).value,
        3000.0,
        "a stock over a month is that month's value",
    );

    assert_close(
        explain(&s, "t_flow", "2025-Q2", &org).value,
        15.0,
        "a flow over 2025-Q2 is April + May + June = 4 + 5 + 6",
    );
    assert_close(
        explain(&s, "t_flow", "2025", &org).value,
        78.0,
        "a flow over a year is the sum of its 12 months = 1 + 2 + … + 12",
    );
    assert_close(
        explain(&s, "t_flow", "2025-03", &org).value,
        3.0,
        "a flow over a month is that month's value",
    );

    // Built-in PAR30: stock / stock, both at the quarter's last month: 300 / 6000 × 100.
    let par = explain(&s, "par30", "2025-Q2", &org);
    assert_close(
        par.value,
        5.0,
        "PAR30 over a quarter uses June's PAR and June's GLP",
    );
    assert_eq!(
        par.numerator,
        Some(300.0),
        "PAR balance is June's, not 60 + 60 + 300"
    );
    assert_eq!(par.denominator, Some(6000.0), "GLP is June's");
    assert!(
        !par.annualised,
        "PAR30 is a point-in-time ratio and is not annualised"
    );
}

#[test]
fn opening_and_average_of_stocks() {
    let mut s = one_branch_year();
    let org = Scope::Org;

    assert_close(
        explain(&s, "t_open", "2025-Q2", &org).value,
        3000.0,
        "opening(glp) of 2025-Q2 is the stock at the end of March",
    );
    assert_close(
        explain(&s, "t_avg", "2025-Q2", &org).value,
        4500.0,
        "avg(glp) of 2025-Q2 is (March 3000 + June 6000) / 2",
    );
    assert_close(
        explain(&s, "t_open", "2025", &org).value,
        500.0,
        "opening(glp) of 2025 is the stock of December 2024",
    );
    assert_close(
        explain(&s, "t_avg", "2025", &org).value,
        6250.0,
        "avg(glp) of 2025 is (Dec 2024 500 + Dec 2025 12000) / 2",
    );
    assert_close(
        explain(&s, "t_avg", "2025-01", &org).value,
        750.0,
        "avg(glp) of January is (December 500 + January 1000) / 2",
    );

    // 2024-Q4: the closing stock (Dec 2024) exists but the opening one (Sep 2024) does not.
    assert_close(
        explain(&s, "t_stock", "2024-Q4", &org).value,
        500.0,
        "the closing stock of 2024-Q4 is December 2024",
    );
    let no_open = explain(&s, "t_avg", "2024-Q4", &org);
    assert_eq!(
        no_open.value, None,
        "avg() needs the opening stock of September 2024, which is missing"
    );
    assert_eq!(
        no_open.reason_code,
        Some(ReasonCode::NoData),
        "the only branch lacks the opening stock"
    );
    assert_eq!(
        no_open.contributions[0].missing,
        vec!["glp".to_string()],
        "explain names the element whose opening value is missing"
    );

    // Built-in write-off ratio = loans_written_off / avg(glp) × 100, annualised.
    let wo = explain(&s, "write_off_ratio", "2025-Q2", &org);
    assert_eq!(wo.numerator, Some(15.0), "write-offs are a flow: 4 + 5 + 6");
    assert_eq!(
        wo.denominator,
        Some(4500.0),
        "the denominator is the average GLP (3000 + 6000) / 2"
    );
    assert_close(
        wo.value,
        15.0 / 4500.0 * 100.0 * 4.0,
        "15 / 4500 × 100, × 4 to annualise a quarter",
    );
    assert_close(
        explain(&s, "write_off_ratio", "2025", &org).value,
        78.0 / 6250.0 * 100.0,
        "a year: 78 / ((500 + 12000) / 2) × 100 = 1.248, no annualisation factor",
    );

    // Built-in client retention = (active_clients − new_clients) / opening(active_clients) × 100.
    let rows = series(
        "A",
        "active_clients",
        "2025-03",
        &[100.0, 104.0, 107.0, 110.0],
    ) + &series("A", "new_clients", "2025-04", &[5.0, 6.0, 9.0]);
    load(&mut s, &rows);
    let ret = explain(&s, "client_retention", "2025-Q2", &org);
    assert_eq!(
        ret.numerator,
        Some(90.0),
        "June's 110 clients minus the 5 + 6 + 9 new in the quarter"
    );
    assert_eq!(
        ret.denominator,
        Some(100.0),
        "opening clients: the stock at the end of March"
    );
    assert_close(
        ret.value,
        90.0,
        "(110 − 20) / 100 × 100: 90 of the 100 opening clients stayed",
    );
}

#[test]
fn annualisation_scales_by_twelve_over_the_months_of_the_period() {
    let mut s = store(None);
    branches(&mut s, &[("A", "North")]);
    // total_assets and glp are flat from Dec 2024 to Dec 2025, so their average is constant.
    let flat_assets = vec![12000.0; 13];
    let flat_glp = vec![10000.0; 13];
    let net_income: Vec<f64> = (1..=12).map(|m| 10.0 * m as f64).collect();
    let rows = series("A", "total_assets", "2024-12", &flat_assets)
        + &series("A", "glp", "2024-12", &flat_glp)
        + &series("A", "net_income", "2025-01", &net_income)
        + &series("A", "operating_expense", "2025-01", &[100.0; 12]);
    load(&mut s, &rows);
    api::define_indicator(
        &mut s,
        &custom(
            "t_roa_plain",
            "net_income",
            "avg(total_assets)",
            100.0,
            false,
        ),
    )
    .expect("valid custom indicator");
    let org = Scope::Org;

    // ROA = net_income / avg(total_assets) × 100 × 12 / months.
    let m = explain(&s, "roa", "2025-05", &org);
    assert!(
        m.annualised,
        "ROA is an annualised indicator in the catalogue"
    );
    assert_close(m.value, 5.0, "May: 50 / 12000 × 100 × 12 = 5");
    let q = explain(&s, "roa", "2025-Q2", &org);
    assert_eq!(q.numerator, Some(150.0), "Q2 net income is 40 + 50 + 60");
    assert_close(q.value, 5.0, "Q2: 150 / 12000 × 100 × 4 = 5");
    let y = explain(&s, "roa", "2025", &org);
    assert_eq!(
        y.numerator,
        Some(780.0),
        "the year's net income is 10 × (1 + … + 12)"
    );
    assert_close(y.value, 6.5, "2025: 780 / 12000 × 100 × 1 = 6.5");

    for (p, k) in [("2025-05", 12.0), ("2025-Q2", 4.0), ("2025", 1.0)] {
        let plain = explain(&s, "t_roa_plain", p, &org)
            .value
            .expect("plain ratio has a value");
        let ann = explain(&s, "roa", p, &org).value.expect("ROA has a value");
        assert_close(
            Some(ann / plain),
            k,
            "annualising multiplies by 12 / months in the period",
        );
    }

    // Opex ratio with a constant 100 a month over a flat 10000 GLP: 12 % a year, whatever the
    // period, once annualised.
    for p in ["2025-05", "2025-Q2", "2025"] {
        assert_close(
            explain(&s, "opex_ratio", p, &org).value,
            12.0,
            "a constant monthly cost rate of 1 % annualises to 12 % for a month, a quarter or a year",
        );
    }
}

/// Three branches for June 2025: A (North, large, PAR 1 %), B (North, small, PAR 10 %),
/// C (South, PAR 10 %).
fn three_branches() -> Store {
    let mut s = store(None);
    branches(&mut s, &[("A", "North"), ("B", "North"), ("C", "South")]);
    load(
        &mut s,
        "A,2025-06,par30_balance,100\nA,2025-06,glp,10000\n\
         B,2025-06,par30_balance,50\nB,2025-06,glp,500\n\
         C,2025-06,par30_balance,300\nC,2025-06,glp,3000\n",
    );
    s
}

#[test]
fn ratios_aggregate_as_sum_over_sum_not_mean_of_ratios() {
    let s = three_branches();
    let org = explain(&s, "par30", "2025-06", &Scope::Org);
    assert_eq!(
        org.numerator,
        Some(450.0),
        "org numerator is the sum of PAR balances 100 + 50 + 300"
    );
    assert_eq!(
        org.denominator,
        Some(13500.0),
        "org denominator is the sum of GLPs 10000 + 500 + 3000"
    );
    assert_close(
        org.value,
        450.0 / 13500.0 * 100.0,
        "org PAR30 = sum(PAR) / sum(GLP) × 100 = 3.33 %",
    );
    let branch_ratios: Vec<f64> = org
        .contributions
        .iter()
        .map(|c| c.value.expect("every branch reported"))
        .collect();
    assert_eq!(
        branch_ratios,
        vec![1.0, 10.0, 10.0],
        "branch ratios are 1 %, 10 %, 10 %"
    );
    let mean = branch_ratios.iter().sum::<f64>() / branch_ratios.len() as f64;
    assert_close(Some(mean), 7.0, "the mean of branch ratios is 7 %");
    let v = org.value.expect("org value");
    assert!(
        (v - mean).abs() > 1.0,
        "org PAR30 ({v}) must not be the average of branch ratios ({mean}): the large, healthy branch weighs more"
    );
    assert_eq!(
        (org.reported, org.expected),
        (3, 3),
        "all three branches reported"
    );

    let listed_org = listed(&s, "par30", "2025-06", &Scope::Org);
    assert_eq!(
        listed_org.value, org.value,
        "the indicator list and explain come from the same engine and must agree"
    );

    let north = explain(&s, "par30", "2025-06", &Scope::Region("North".into()));
    assert_eq!(
        (north.reported, north.expected),
        (2, 2),
        "region North has only A and B"
    );
    assert_eq!(
        north.denominator,
        Some(10500.0),
        "North's GLP is A's 10000 + B's 500, not C's"
    );
    assert_close(
        north.value,
        150.0 / 10500.0 * 100.0,
        "North PAR30 = (100 + 50) / (10000 + 500) × 100",
    );
    assert_ne!(
        north.value,
        Some(5.5),
        "North is not the mean of 1 % and 10 %"
    );
    let north_branches: Vec<&str> = north
        .contributions
        .iter()
        .map(|c| c.branch.as_str())
        .collect();
    assert_eq!(
        north_branches,
        vec!["A", "B"],
        "a region scope covers only its own branches"
    );

    let south = explain(&s, "par30", "2025-06", &Scope::Region("South".into()));
    assert_close(south.value, 10.0, "South has only C: 300 / 3000 × 100");
    let b = explain(&s, "par30", "2025-06", &Scope::Branch("B".into()));
    assert_close(b.value, 10.0, "branch scope B: 50 / 500 × 100");
}

#[test]
fn a_branch_missing_an_element_is_left_out_of_both_sides() {
    let mut s = store(None);
    branches(&mut s, &[("A", "North"), ("B", "North"), ("C", "North")]);
    // C sent its GLP for June but not its PAR balance.
    load(
        &mut s,
        "A,2025-06,par30_balance,100\nA,2025-06,glp,10000\n\
         B,2025-06,par30_balance,50\nB,2025-06,glp,500\n\
         C,2025-06,glp,3000\n",
    );
    let v = explain(&s, "par30", "2025-06", &Scope::Org);
    assert_eq!(v.reported, 2, "A and B sent everything PAR30 needs");
    assert_eq!(
        v.expected, 3,
        "three active branches are expected to report"
    );
    assert_eq!(
        v.missing_branches,
        vec!["C".to_string()],
        "C lacks par30_balance"
    );
    assert_eq!(
        v.denominator,
        Some(10500.0),
        "C's GLP is left out of the denominator too, else PAR would be understated"
    );
    assert_close(
        v.value,
        150.0 / 10500.0 * 100.0,
        "(100 + 50) / (10000 + 500) × 100 over the reporting branches",
    );
    assert_ne!(
        v.value,
        Some(150.0 / 13500.0 * 100.0),
        "C's GLP without its PAR would dilute the ratio"
    );

    let c = v
        .contributions
        .iter()
        .find(|c| c.branch == "C")
        .expect("C has a contribution row");
    assert_eq!(
        c.missing,
        vec!["par30_balance".to_string()],
        "explain names the missing element"
    );
    assert_eq!(
        (c.numerator, c.denominator, c.value),
        (None, None, None),
        "a missing branch contributes nothing"
    );
    let a = v
        .contributions
        .iter()
        .find(|c| c.branch == "A")
        .expect("A has a contribution row");
    assert_eq!(
        (a.numerator, a.denominator, a.value),
        (Some(100.0), Some(10000.0), Some(1.0)),
        "A contributes 100 / 10000 = 1 %"
    );
    assert!(a.missing.is_empty(), "A lacks nothing");

    let l = listed(&s, "par30", "2025-06", &Scope::Org);
    assert_eq!(
        (l.reported, l.expected, l.missing_branches.clone()),
        (2, 3, vec!["C".to_string()]),
        "the indicator list reports the same completeness as explain"
    );

    // A flow needs every month: C lacks May's complaints_received, so it is left out of Q2.
    let rows = series("A", "complaints_received", "2025-04", &[10.0, 10.0, 10.0])
        + &series(
            "A",
            "complaints_resolved_on_time",
            "2025-04",
            &[9.0, 9.0, 9.0],
        )
        + &series("B", "complaints_received", "2025-04", &[20.0, 20.0, 20.0])
        + &series(
            "B",
            "complaints_resolved_on_time",
            "2025-04",
            &[10.0, 10.0, 10.0],
        )
        + "C,2025-04,complaints_received,5\nC,2025-06,complaints_received,5\n"
        + &series(
            "C",
            "complaints_resolved_on_time",
            "2025-04",
            &[5.0, 5.0, 5.0],
        );
    load(&mut s, &rows);
    let f = explain(&s, "complaints_resolved_pct", "2025-Q2", &Scope::Org);
    assert_eq!(
        (f.reported, f.expected),
        (2, 3),
        "C's quarter of complaints is incomplete"
    );
    assert_eq!(
        f.numerator,
        Some(57.0),
        "resolved: A 27 + B 30, without C's 15"
    );
    assert_eq!(
        f.denominator,
        Some(90.0),
        "received: A 30 + B 60, without C's partial 10"
    );
    assert_close(f.value, 57.0 / 90.0 * 100.0, "57 / 90 × 100 = 63.3 %");
    let fc = f
        .contributions
        .iter()
        .find(|c| c.branch == "C")
        .expect("C row");
    assert_eq!(
        fc.missing,
        vec!["complaints_received".to_string()],
        "C lacks a month of complaints received"
    );
}

#[test]
fn zero_denominator_and_no_data_give_no_value_never_zero() {
    let mut s = store(Some(500_000.0));
    branches(&mut s, &[("A", "North")]);
    load(
        &mut s,
        "A,2025-06,glp,0\nA,2025-06,par30_balance,0\nA,2025-06,active_borrowers,0\n\
         A,2025-07,glp,1000\nA,2025-07,par30_balance,0\n",
    );
    let org = Scope::Org;

    let z = explain(&s, "par30", "2025-06", &org);
    assert_eq!(
        z.value, None,
        "0 / 0 has no ratio; it must not be shown as 0 %"
    );
    assert_eq!(
        z.reason_code,
        Some(ReasonCode::ZeroDenominator),
        "the reason is the zero GLP"
    );
    let reason = z
        .reason
        .clone()
        .expect("a missing value always comes with a reason text");
    assert!(
        reason.contains("denominator is 0"),
        "the reason text says why: {reason}"
    );
    assert_eq!(z.status, Rag::Missing, "no value means no RAG colour");
    assert_eq!(
        (z.reported, z.expected),
        (1, 1),
        "the branch did report; the ratio is undefined"
    );

    let d = explain(&s, "depth_of_outreach", "2025-06", &org);
    assert_eq!(
        d.value, None,
        "no active borrowers: average loan per borrower is undefined"
    );
    assert_eq!(
        d.reason_code,
        Some(ReasonCode::ZeroDenominator),
        "active_borrowers × GNI is 0"
    );

    let real_zero = explain(&s, "par30", "2025-07", &org);
    assert_eq!(
        real_zero.value,
        Some(0.0),
        "a PAR balance of 0 over a positive GLP is a real 0 %"
    );
    assert_eq!(real_zero.reason_code, None, "a real value has no reason");

    let n = explain(&s, "par30", "2025-05", &org);
    assert_eq!(n.value, None, "nothing was entered for May 2025");
    assert_eq!(
        n.reason_code,
        Some(ReasonCode::NoData),
        "no branch reported"
    );
    assert_eq!((n.reported, n.expected), (0, 1), "0 of 1 branches reported");
    assert_eq!(n.numerator, None, "no numerator without data");
    let reason = n.reason.expect("no data has a reason text");
    assert!(
        reason.contains("glp") && reason.contains("par30_balance"),
        "the reason names what is missing: {reason}"
    );

    for v in api::indicators(&s, period("2025-05"), &org, None).expect("indicators compute") {
        assert_eq!(
            v.value, None,
            "{}: no data in May 2025 must give no value, never 0",
            v.code
        );
        assert_eq!(
            v.reason_code,
            Some(ReasonCode::NoData),
            "{}: the reason is the missing data",
            v.code
        );
    }

    // Without the institution's GNI per capita, depth of outreach cannot be computed.
    let mut s2 = store(None);
    branches(&mut s2, &[("A", "North")]);
    load(
        &mut s2,
        "A,2025-06,glp,1000000\nA,2025-06,active_borrowers,10\n",
    );
    let g = explain(&s2, "depth_of_outreach", "2025-06", &org);
    assert_eq!(g.value, None, "GNI per capita is not set");
    assert_eq!(
        g.reason_code,
        Some(ReasonCode::MissingGniPerCapita),
        "the reason points to the missing institution setting, not to the branch data"
    );
}

/// (version, numerator, denominator, factor, annualise) of each recorded formula.
type FormulaRow = (i64, String, String, f64, bool);

fn formula_rows(s: &Store, code: &str) -> Vec<FormulaRow> {
    let mut stmt = s
        .conn()
        .prepare(
            "SELECT f.version, f.numerator, f.denominator, f.factor, f.annualise FROM indicator_formula f \
             JOIN indicator i ON i.id = f.indicator_id WHERE i.code = ?1 ORDER BY f.version",
        )
        .expect("query prepares");
    stmt.query_map([code], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .expect("query runs")
    .collect::<rusqlite::Result<_>>()
    .expect("rows read")
}

#[test]
fn editing_a_formula_bumps_its_version_and_keeps_the_history() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("mizani.sqlite");
    let mut s = Store::open(&path).expect("file database opens");
    common::init(&mut s, None);
    branches(&mut s, &[("A", "North")]);
    load(
        &mut s,
        "A,2025-05,glp,900\nA,2025-06,glp,1000\nA,2025-06,par30_balance,50\n",
    );

    let mut def = custom("t_ver", "par30_balance", "glp", 100.0, false);
    let i = api::define_indicator(&mut s, &def).expect("new indicator");
    assert_eq!(
        i.formula_version, 1,
        "a new indicator starts at formula version 1"
    );
    assert_eq!(
        formula_rows(&s, "t_ver").len(),
        1,
        "version 1 is recorded in indicator_formula"
    );

    def.name = Names {
        en: "Renamed".into(),
        fr: Some("Renommé".into()),
        es: None,
    };
    def.description = "only words changed".into();
    def.green = Some(10.0);
    let i = api::define_indicator(&mut s, &def).expect("rename");
    assert_eq!(
        i.formula_version, 1,
        "a new name, description or threshold does not change the numbers"
    );
    assert_eq!(
        formula_rows(&s, "t_ver").len(),
        1,
        "no history row without a formula change"
    );

    def.numerator = " (par30_balance)".into();
    def.denominator = "glp ".into();
    let i = api::define_indicator(&mut s, &def).expect("same formula, other spelling");
    assert_eq!(
        i.formula_version, 1,
        "spaces and redundant parentheses are not a formula change (formulas are stored canonically)"
    );

    type Edit = fn(&mut IndicatorDef);
    let edits: [(&str, Edit); 4] = [
        ("numerator", |d| d.numerator = "glp - par30_balance".into()),
        ("denominator", |d| d.denominator = "avg(glp)".into()),
        ("factor", |d| d.factor = 1.0),
        ("annualise", |d| d.annualise = true),
    ];
    for (k, (what, edit)) in edits.iter().enumerate() {
        edit(&mut def);
        let i = api::define_indicator(&mut s, &def).expect("formula edit");
        let want = k as i64 + 2;
        assert_eq!(
            i.formula_version, want,
            "editing the {what} bumps the formula version"
        );
        assert_eq!(
            formula_rows(&s, "t_ver").len() as i64,
            want,
            "editing the {what} adds a history row"
        );
    }

    let rows = formula_rows(&s, "t_ver");
    let versions: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        versions,
        vec![1, 2, 3, 4, 5],
        "every formula version is kept"
    );
    assert_eq!(
        rows[0],
        (1, "par30_balance".into(), "glp".into(), 100.0, false),
        "version 1 keeps the original formula"
    );
    assert_eq!(
        rows[1].1, "glp - par30_balance",
        "version 2 records the new numerator"
    );
    assert_eq!(
        rows[2].2, "avg(glp)",
        "version 3 records the new denominator"
    );
    assert_eq!(rows[3].3, 1.0, "version 4 records the new factor");
    assert!(rows[4].4, "version 5 records annualisation");
    drop(s);

    let s = Store::open(&path).expect("reopens");
    let v = explain(&s, "t_ver", "2025-06", &Scope::Org);
    assert_eq!(
        v.formula_version, 5,
        "the value shows the formula version it was computed with"
    );
    assert_eq!(
        v.numerator_formula, "glp - par30_balance",
        "and the formula itself"
    );
    assert_close(
        v.value,
        950.0 / 950.0 * 12.0,
        "(1000 − 50) / ((900 + 1000) / 2) × 1 × 12",
    );
    let check = api::check(&s).expect("check runs");
    assert!(
        check.ok,
        "every formula version has its history entry: {:?}",
        check.problems
    );
}

#[test]
fn invalid_formulas_are_refused_with_their_position() {
    let mut s = store(None);
    let cases = [
        // "glp + unknown_thing": 'u' is the 7th character.
        (
            custom("t_bad", "glp + unknown_thing", "1", 1.0, false),
            7,
            "'unknown_thing' is not a data element",
        ),
        // "opening(net_income)": the argument starts at character 9.
        (
            custom("t_bad", "glp", "opening(net_income)", 1.0, false),
            9,
            "opening() applies to stocks",
        ),
        // "2 * avg(loans_written_off)": the argument starts at character 9.
        (
            custom("t_bad", "2 * avg(loans_written_off)", "glp", 1.0, false),
            9,
            "avg() applies to stocks",
        ),
        // "glp *": the formula ends at character 5, so the missing operand is at 6.
        (
            custom("t_bad", "glp *", "1", 1.0, false),
            6,
            "ends too early",
        ),
    ];
    for (def, pos, what) in cases {
        let e = api::define_indicator(&mut s, &def).expect_err("an invalid formula is refused");
        assert_eq!(
            e.code,
            ErrorCode::InvalidFormula,
            "formula errors have their own code: {e}"
        );
        assert!(
            e.message.contains(&format!("position {pos}")) && e.message.contains(what),
            "the message points at position {pos} and says '{what}' so the UI can show it: {}",
            e.message
        );
    }
    let e =
        api::explain(&s, "t_bad", period("2025-06"), &Scope::Org, None).expect_err("not created");
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "a refused definition leaves no indicator behind"
    );
    let n: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM indicator_formula f JOIN indicator i ON i.id = f.indicator_id WHERE i.code = 't_bad'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(
        n, 0,
        "a refused definition leaves no formula history either"
    );
}

#[test]
fn rag_respects_direction_and_thresholds() {
    use Direction::{Higher, Lower};
    // Higher is better (women borrowers): green ≥ 60, red < 45.
    let hi = |v: f64| rag(Some(v), Higher, Some(60.0), Some(45.0));
    assert_eq!(hi(65.0), Rag::Green, "above the green threshold");
    assert_eq!(
        hi(60.0),
        Rag::Green,
        "exactly at the green threshold is green"
    );
    assert_eq!(hi(50.0), Rag::Amber, "between red and green");
    assert_eq!(
        hi(45.0),
        Rag::Amber,
        "exactly at the red threshold is not yet red"
    );
    assert_eq!(hi(44.9), Rag::Red, "below the red threshold");
    // Lower is better (PAR30): green ≤ 3, red > 5.
    let lo = |v: f64| rag(Some(v), Lower, Some(3.0), Some(5.0));
    assert_eq!(lo(2.0), Rag::Green, "below the green threshold");
    assert_eq!(
        lo(3.0),
        Rag::Green,
        "exactly at the green threshold is green"
    );
    assert_eq!(lo(4.0), Rag::Amber, "between green and red");
    assert_eq!(
        lo(5.0),
        Rag::Amber,
        "exactly at the red threshold is not yet red"
    );
    assert_eq!(lo(5.1), Rag::Red, "above the red threshold");
    // The same value reads opposite ways depending on direction.
    assert_eq!(
        rag(Some(6.0), Lower, Some(3.0), Some(5.0)),
        Rag::Red,
        "6 % PAR is bad"
    );
    assert_eq!(
        rag(Some(6.0), Higher, Some(5.0), Some(3.0)),
        Rag::Green,
        "6 % ROA is good"
    );
    assert_eq!(
        rag(None, Higher, Some(5.0), Some(3.0)),
        Rag::Missing,
        "no value, no colour"
    );
    assert_eq!(
        rag(Some(1.0), Higher, None, None),
        Rag::NoThreshold,
        "no thresholds, no colour"
    );
    assert_eq!(
        rag(Some(1.0), Higher, Some(5.0), None),
        Rag::Amber,
        "below green with no red set"
    );
    assert!(
        Rag::Red.rank() < Rag::Amber.rank(),
        "reds sort before ambers"
    );
    assert!(
        Rag::Amber.rank() < Rag::Green.rank(),
        "ambers sort before greens"
    );
}

fn objective(title: &str, practice: u8, dimension: &str, link: NewLink) -> NewObjective {
    NewObjective {
        title: title.into(),
        description: String::new(),
        practice,
        dimension: dimension.into(),
        owner: "SPM officer".into(),
        start_date: "2025-07-01".into(),
        end_date: "2026-12-31".into(),
        activities: vec!["do the work".into()],
        indicators: vec![link],
    }
}

fn link(indicator: &str, baseline: (Option<f64>, Option<&str>), target: f64) -> NewLink {
    NewLink {
        indicator: indicator.into(),
        baseline_value: baseline.0,
        baseline_period: baseline.1.map(str::to_string),
        targets: vec![NewTarget {
            period: "2026-12".into(),
            branch: None,
            value: target,
        }],
    }
}

#[test]
fn dashboard_lists_reds_first_with_trend_baseline_target_and_forecast() {
    let mut s = store(None);
    branches(&mut s, &[("A", "North")]);
    // 12 months, July 2025 to June 2026. Women's share climbs 1 point a month: 50 % … 61 %.
    // Rural share flat at 40 % (amber); PAR30 flat at 6 % (red).
    let women: Vec<f64> = (0..12).map(|k| 500.0 + 10.0 * k as f64).collect();
    let rows = series("A", "active_borrowers", "2025-07", &[1000.0; 12])
        + &series("A", "active_women_borrowers", "2025-07", &women)
        + &series("A", "active_rural_borrowers", "2025-07", &[400.0; 12])
        + &series("A", "glp", "2025-07", &[10000.0; 12])
        + &series("A", "par30_balance", "2025-07", &[600.0; 12]);
    load(&mut s, &rows);
    // Created green, amber, red: the dashboard must reorder them.
    let women_obj = api::objective_add(
        &mut s,
        &objective(
            "Reach women",
            1,
            "social_strategy",
            link("women_borrowers_pct", (None, Some("2025-07")), 66.0),
        ),
    )
    .expect("objective with computed baseline");
    assert_eq!(
        women_obj.indicators[0].baseline_value,
        Some(50.0),
        "a baseline given by period is computed by the engine: 500 / 1000 in July 2025"
    );
    let rural_obj = api::objective_add(
        &mut s,
        &objective(
            "Reach rural clients",
            3,
            "client_centred_products",
            link("rural_borrowers_pct", (Some(40.0), None), 50.0),
        ),
    )
    .expect("objective with given baseline");
    let par_obj = api::objective_add(
        &mut s,
        &objective(
            "Prevent over-indebtedness",
            2,
            "client_protection",
            link("par30", (None, Some("2025-07")), 3.0),
        ),
    )
    .expect("objective");

    let d = api::dashboard(s.conn(), period("2026-06"), &Scope::Org, None).expect("dashboard");
    let order: Vec<i64> = d.objectives.iter().map(|o| o.id).collect();
    assert_eq!(
        order,
        vec![par_obj.id, rural_obj.id, women_obj.id],
        "reds first (PAR30 6 % > 5), then amber (rural 40 % between 30 and 50), then green (women 61 % ≥ 60)"
    );
    let statuses: Vec<Rag> = d.objectives.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        vec![Rag::Red, Rag::Amber, Rag::Green],
        "objective status is its indicator's RAG"
    );

    let w = &d.objectives[2].indicators[0];
    assert_eq!(
        w.current.code, "women_borrowers_pct",
        "the green objective carries the women indicator"
    );
    assert_close(w.current.value, 61.0, "June 2026: 610 / 1000 × 100");
    assert_eq!(
        w.trend.len(),
        12,
        "the trend has 12 periods, the current one included"
    );
    assert_eq!(
        w.trend[0].period,
        period("2025-07"),
        "the trend starts 11 months before June 2026"
    );
    assert_eq!(
        w.trend[11].period,
        period("2026-06"),
        "the trend ends at the dashboard's period"
    );
    for (k, t) in w.trend.iter().enumerate() {
        assert_close(
            t.value,
            50.0 + k as f64,
            "the trend rises one point a month from 50 %",
        );
    }
    assert_eq!(
        w.trend[11].value,
        listed(&s, "women_borrowers_pct", "2026-06", &Scope::Org).value,
        "the dashboard's number is the engine's number"
    );
    assert_eq!(w.baseline_value, Some(50.0), "baseline from July 2025");
    assert_eq!(
        w.baseline_period.as_deref(),
        Some("2025-07"),
        "baseline period kept"
    );
    assert_eq!(w.target, Some(66.0), "next milestone: the 2026-12 target");
    assert_eq!(
        w.target_period.as_deref(),
        Some("2026-12"),
        "milestone period"
    );
    assert_close(
        w.progress,
        68.75,
        "(61 − 50) / (66 − 50) × 100 of the way to the target",
    );
    // Least squares on (0, 50) … (11, 61): slope 1, intercept 50; December 2026 is x = 17.
    assert_close(
        w.forecast,
        67.0,
        "the straight line reaches 67 % by the end of 2026",
    );
    assert_eq!(
        w.forecast_period,
        Some(period("2026-12")),
        "forecast at the objective's end"
    );
    assert_eq!(
        w.outlook,
        Outlook::OnTrack,
        "67 % forecast beats the 66 % target"
    );

    let p = &d.objectives[0].indicators[0];
    assert_eq!(p.current.code, "par30", "the red objective carries PAR30");
    assert_close(p.forecast, 6.0, "a flat 6 % stays at 6 %");
    assert_eq!(
        p.outlook,
        Outlook::OffTrack,
        "6 % is far from the 3 % target"
    );
    assert_eq!(
        d.objectives[0].outlook,
        Outlook::OffTrack,
        "the objective takes its worst outlook"
    );
}

#[test]
fn demo_institution_tells_its_story() {
    let mut s = Store::open_in_memory().expect("in-memory database");
    let summary = mizani_core::demo::load_demo(&mut s).expect("demo loads into an empty database");
    assert_eq!(summary.regions, 3, "the demo has three regions");
    assert_eq!(summary.branches, 12, "the demo has twelve branches");
    let conn = s.conn();
    assert_eq!(
        mizani_core::repo::regions(conn).expect("regions").len(),
        3,
        "three regions stored"
    );
    assert_eq!(
        mizani_core::repo::branches(conn).expect("branches").len(),
        12,
        "twelve branches stored"
    );
    let objectives = mizani_core::repo::objectives(conn, false).expect("objectives");
    assert!(
        objectives.len() >= 6,
        "at least six objectives, got {}",
        objectives.len()
    );
    for practice in 1..=5u8 {
        assert!(
            objectives.iter().any(|o| o.practice == practice),
            "an objective serves SPM practice {practice}"
        );
    }

    let par = explain(&s, "par30", "2026-Q3", &Scope::Org);
    assert_eq!(
        (par.reported, par.expected),
        (11, 12),
        "N04 did not send September 2026"
    );
    assert_eq!(
        par.missing_branches,
        vec!["N04".to_string()],
        "the missing branch is named"
    );
    assert!(
        par.value.is_some(),
        "the 11 reporting branches still give a PAR30"
    );
    let n04 = par
        .contributions
        .iter()
        .find(|c| c.branch == "N04")
        .expect("N04 row");
    assert!(
        n04.missing.contains(&"par30_balance".to_string())
            && n04.missing.contains(&"glp".to_string()),
        "N04 lacks both PAR30 elements for September: {:?}",
        n04.missing
    );

    let north = Scope::Region("North".into());
    let now = explain(&s, "par30", "2026-Q3", &north)
        .value
        .expect("North PAR30 2026-Q3");
    let before = explain(&s, "par30", "2025-Q3", &north)
        .value
        .expect("North PAR30 2025-Q3");
    assert!(
        now > before,
        "the North drought raised PAR30: {before} in 2025-Q3 → {now} in 2026-Q3"
    );

    let w_now = explain(&s, "women_borrowers_pct", "2026-Q3", &Scope::Org)
        .value
        .expect("women 2026-Q3");
    let w_then = explain(&s, "women_borrowers_pct", "2025-Q1", &Scope::Org)
        .value
        .expect("women 2025-Q1");
    assert!(
        w_now > w_then,
        "the group-lending product lifted women's share: {w_then} → {w_now}"
    );

    let d = api::dashboard(conn, period("2026-Q3"), &Scope::Org, None).expect("demo dashboard");
    assert_eq!(
        d.objectives.len(),
        objectives.len(),
        "every active objective is on the dashboard"
    );
    let ranks: Vec<u8> = d.objectives.iter().map(|o| o.status.rank()).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "objectives are listed reds first: {ranks:?}"
    );

    let e = mizani_core::demo::load_demo(&mut s).expect_err("a second demo load is refused");
    assert_eq!(
        e.code,
        ErrorCode::Conflict,
        "the demo only goes into an empty database"
    );
    assert_eq!(
        mizani_core::repo::branches(s.conn())
            .expect("branches")
            .len(),
        12,
        "the refused second load changed nothing"
    );
}
