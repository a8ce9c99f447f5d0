//! The demo institution (assets/demo/demo.json): 3 regions, 12 branches, 36 months of
//! deterministic, plausible figures telling a story a board would notice, six objectives
//! covering the five SPM practices, and practices 2, 4 and 5 (self-assessments, actions, the
//! alignment matrix, decisions: see `spm::demo`). Everything is written through the same API and write path
//! as real data.

use crate::api::{self, InitRequest, NewObjective};
use crate::error::{CoreError, ErrorCode, Result};
use crate::import::Row;
use crate::period::Month;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

const DEMO_JSON: &str = include_str!("../../../assets/demo/demo.json");

#[derive(Deserialize, TS)]
struct DemoInstitution {
    name: String,
    country: String,
    currency: String,
    language: String,
    gni_per_capita: f64,
    mission: String,
    values: Vec<String>,
}

#[derive(Deserialize, TS)]
struct DemoBranch {
    code: String,
    name: String,
    region: String,
    profile: String,
    borrowers: f64,
    avg_loan: f64,
    #[serde(default)]
    missing_last_month: bool,
}

#[derive(Deserialize, TS)]
struct DemoFile {
    institution: DemoInstitution,
    first_month: String,
    months: i32,
    branches: Vec<DemoBranch>,
    objectives: Vec<NewObjective>,
    /// Practices 2, 4 and 5: assessments, actions, alignment, decisions.
    #[serde(default)]
    practices: crate::spm::demo::DemoPractices,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DemoSummary {
    pub institution: String,
    pub regions: usize,
    pub branches: usize,
    pub months: i32,
    pub first_month: String,
    pub last_month: String,
    pub measurements: usize,
    pub objectives: usize,
    pub assessments: usize,
    pub actions: usize,
    pub alignment_cells: usize,
    pub decisions: usize,
}

/// Deterministic pseudo-random numbers (SplitMix64): the demo must be identical on every
/// machine and every version, so no external generator whose stream may change.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-a, a].
    pub fn jitter(&mut self, a: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * a
    }
}

fn demo_file() -> Result<DemoFile> {
    serde_json::from_str(DEMO_JSON)
        .map_err(|e| CoreError::new(ErrorCode::Database, format!("built-in demo data: {e}")))
}

/// Monthly figures of one branch: (element code, month offset, value).
fn simulate(b: &DemoBranch, seed: u64, months: i32) -> Vec<(&'static str, i32, f64)> {
    let mut rng = SplitMix::new(seed);
    let mut out = Vec::new();
    let (growth, rural, women0, lo_ratio): (f64, f64, f64, f64) = match b.profile.as_str() {
        "north" => (0.006, 0.86, 0.58, 235.0),
        "coast" => (0.014, 0.12, 0.52, 290.0),
        _ => (0.008, 0.55, 0.60, 260.0),
    };
    let mut clients = b.borrowers * 1.25;
    let mut staff = (b.borrowers / lo_ratio * 1.6 + 4.0).round();
    let mut equity = b.borrowers * b.avg_loan * 0.30;
    for t in 0..months {
        let tf = t as f64;
        let borrowers = (b.borrowers * (1.0 + growth).powf(tf) * (1.0 + rng.jitter(0.01))).round();
        // Women's share: the group-lending product (from month 15) lifts it in North and Centre.
        let lift = if b.profile != "coast" && t >= 15 {
            (tf - 15.0) * 0.0045
        } else {
            (tf * 0.0008).min(0.02)
        };
        let women = (borrowers * (women0 + lift + rng.jitter(0.006)).min(0.9)).round();
        let rural_b = (borrowers * (rural + rng.jitter(0.01)).clamp(0.0, 1.0)).round();
        let avg_loan = b.avg_loan * (1.0 + 0.003 * tf) * (1.0 + rng.jitter(0.01));
        let glp = (borrowers * avg_loan).round();
        // PAR30: the North drought from month 27 (January 2026).
        let par_ratio = match b.profile.as_str() {
            "north" if t >= 27 => 0.025 + (tf - 26.0) * 0.0055,
            "north" => 0.024,
            "coast" => 0.030 + tf * 0.0002,
            _ => 0.021 - tf * 0.0001,
        } + rng.jitter(0.002);
        let par30 = (glp * par_ratio.max(0.0)).round();
        let write_off = (glp * par_ratio * 0.035 * (1.0 + rng.jitter(0.2))).round();
        let portfolio_revenue = (glp * 0.265 / 12.0 * (1.0 + rng.jitter(0.03))).round();
        let financial_revenue = (portfolio_revenue * 1.07).round();
        let financial_expense = (glp * 0.068 / 12.0).round();
        let impairment =
            (glp * (0.006 + par_ratio * 0.28) / 12.0 * (1.0 + rng.jitter(0.1))).round();
        let opex = (glp * 0.155 / 12.0 + 2_500_000.0 * (1.0 + rng.jitter(0.05))).round();
        let pre_tax = financial_revenue - financial_expense - impairment - opex;
        let net_income = if pre_tax > 0.0 {
            pre_tax * 0.75
        } else {
            pre_tax
        }
        .round();
        equity += net_income;
        let total_assets = (glp * 1.28 + 40_000_000.0).round();
        // Clients: churn, then new clients to grow.
        let churn = 0.013 + rng.jitter(0.002) + if b.profile == "coast" { 0.004 } else { 0.0 };
        let new_clients = (clients * (churn + growth) * (1.0 + rng.jitter(0.1)))
            .round()
            .max(0.0);
        clients = (clients * (1.0 - churn) + new_clients).round();
        let multi = match b.profile.as_str() {
            "coast" => 0.060 + tf * 0.0016,
            "north" => 0.025,
            _ => 0.035 - tf * 0.0002,
        } + rng.jitter(0.003);
        let loan_officers = (borrowers / lo_ratio).round().max(1.0);
        // Turnover falls once the new incentive scheme starts (month 18).
        let leave_rate = if t >= 18 { 0.0125 } else { 0.0165 };
        let left = if rng.unit() < staff * leave_rate {
            1.0
        } else {
            0.0
        };
        staff = (staff - left + if rng.unit() < 0.35 { left + 1.0 } else { left })
            .max(loan_officers + 3.0);
        let complaints = (borrowers * 0.0022 * (1.0 + rng.jitter(0.35))).round();
        let on_time_rate = match b.profile.as_str() {
            "centre" => 0.86 + tf * 0.003,
            "coast" => 0.80,
            _ => 0.88,
        };
        let resolved = (complaints * (on_time_rate + rng.jitter(0.04)).min(1.0))
            .round()
            .min(complaints);
        out.extend([
            ("glp", t, glp),
            ("par30_balance", t, par30),
            ("active_borrowers", t, borrowers),
            ("active_women_borrowers", t, women),
            ("active_rural_borrowers", t, rural_b),
            ("active_clients", t, clients),
            (
                "borrowers_3plus_lenders",
                t,
                (borrowers * multi.max(0.0)).round(),
            ),
            ("loan_officers", t, loan_officers),
            ("staff", t, staff),
            ("total_assets", t, total_assets),
            ("equity", t, equity.round()),
            ("new_clients", t, new_clients),
            ("loans_written_off", t, write_off.max(0.0)),
            ("financial_revenue", t, financial_revenue),
            ("portfolio_revenue", t, portfolio_revenue),
            ("financial_expense", t, financial_expense),
            ("impairment_expense", t, impairment),
            ("operating_expense", t, opex),
            ("net_income", t, net_income),
            ("staff_left", t, left),
            ("complaints_received", t, complaints),
            ("complaints_resolved_on_time", t, resolved),
        ]);
    }
    out
}

/// Fills an empty database with the demo institution. Refuses a database that already holds
/// an institution.
pub fn load_demo(store: &mut Store) -> Result<DemoSummary> {
    if crate::repo::is_initialised(store.conn())? {
        let org = crate::repo::organisation(store.conn())?;
        return Err(CoreError::conflict(format!(
            "this database already holds the institution '{}'; the demo only goes into an empty database (use another --db)",
            org.name
        )));
    }
    let demo = demo_file()?;
    let inst = &demo.institution;
    api::init(
        store,
        &InitRequest {
            name: inst.name.clone(),
            currency: inst.currency.clone(),
            country: Some(inst.country.clone()),
            language: Some(inst.language.clone()),
            gni_per_capita: Some(inst.gni_per_capita),
        },
    )?;
    api::set_mission(store, &inst.mission, &inst.values)?;
    for b in &demo.branches {
        api::branch_add(store, &b.code, &b.name, Some(&b.region))?;
    }
    let first = Month::parse(&demo.first_month)?;
    let branches = crate::repo::branches(store.conn())?;
    let elements = crate::repo::elements(store.conn())?;
    let mut rows = Vec::new();
    for (i, b) in demo.branches.iter().enumerate() {
        let bid = branches
            .iter()
            .find(|x| x.code == b.code)
            .map(|x| x.id)
            .unwrap_or_default();
        for (code, t, value) in simulate(b, 0x4D49_5A41_4E49 + i as u64 * 7919, demo.months) {
            if b.missing_last_month && t == demo.months - 1 {
                continue;
            }
            let Some(e) = elements.iter().find(|e| e.code == code) else {
                continue;
            };
            rows.push(Row {
                line: 0,
                branch_id: bid,
                branch: b.code.clone(),
                element_id: e.id,
                element: code.to_string(),
                month: first.plus(t),
                value,
                comment: None,
            });
        }
    }
    // A comment where a branch manager explains a figure.
    if let Some(r) = rows
        .iter_mut()
        .rev()
        .find(|r| r.branch == "N01" && r.element == "par30_balance")
    {
        r.comment = Some(
            "Drought: many farmers could not sell their harvest; rescheduling under way.".into(),
        );
    }
    let measurements = rows.len();
    crate::import::write_rows(store, "demo data", &rows)?;
    for o in &demo.objectives {
        api::objective_add(store, o)?;
    }
    let (assessments, actions, alignment_cells, decisions) =
        crate::spm::demo::load(store, &demo.practices)?;
    let regions = crate::repo::regions(store.conn())?.len();
    Ok(DemoSummary {
        institution: inst.name.clone(),
        regions,
        branches: demo.branches.len(),
        months: demo.months,
        first_month: first.to_string(),
        last_month: first.plus(demo.months - 1).to_string(),
        measurements,
        objectives: demo.objectives.len(),
        assessments,
        actions,
        alignment_cells,
        decisions,
    })
}
