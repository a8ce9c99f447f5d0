//! The content of the reports, one module per section, laid out with `crate::layout` and
//! `crate::chart`. A section without data is left out (never printed blank).

pub mod appendix;
pub mod branch_page;
pub mod branches;
pub mod cover;
pub mod dual;
pub mod objectives;
pub mod spm;
pub mod summary;

use crate::i18n::{self, tr, trf};
use crate::layout::{colour, style, Doc, Measure, BODY_TOP, LEFT, RIGHT};
use mizani_core::boardpack::BoardPack;
use mizani_core::dashboard::Outlook;
use mizani_core::engine::{Rag, Scope};
use mizani_core::model::{Category, Dimension, Direction, Language};

/// How values are printed: the language and the currency.
#[derive(Debug, Clone)]
pub struct Fmt {
    pub lang: Language,
    pub currency: String,
}

impl Fmt {
    /// An indicator value as the report prints it.
    pub fn v(&self, v: Option<f64>, unit: &str) -> String {
        i18n::value(v, unit, &self.currency, self.lang)
    }
}

/// What every section needs: the document, the language and the currency.
pub struct Ctx {
    pub doc: Doc,
    pub lang: Language,
    pub f: Fmt,
}

impl Ctx {
    pub fn new(doc: Doc, lang: Language, currency: &str) -> Ctx {
        Ctx {
            doc,
            lang,
            f: Fmt {
                lang,
                currency: currency.to_string(),
            },
        }
    }

    /// An indicator value as the report prints it.
    pub fn v(&self, v: Option<f64>, unit: &str) -> String {
        self.f.v(v, unit)
    }

    pub fn m(&self) -> Measure {
        self.doc.measure()
    }

    /// Starts a section on a new page (unless the page is still empty): its heading, a
    /// rule, and a mark for the cover's contents.
    pub fn section(&mut self, title: &str, mark: &str, intro: Option<&str>) {
        if self.doc.y > BODY_TOP + 0.5 {
            self.doc.new_page();
        }
        self.doc.mark(mark);
        self.doc.heading(style::H1, title, 60.0);
        let y = self.doc.y + 2.0;
        self.doc.canvas().hline(LEFT, RIGHT, y, colour::BRAND, 1.2);
        self.doc.gap(8.0);
        if let Some(t) = intro {
            self.doc.paragraph(style::SMALL, t);
            self.doc.gap(6.0);
        }
    }

    /// A sub-heading kept with what follows.
    pub fn subheading(&mut self, title: &str, keep: f32) {
        self.doc.gap(6.0);
        self.doc.heading(style::H2, title, keep);
        self.doc.gap(3.0);
    }
}

/// The sections of the board pack, in order. `ClientProtection` and `Decisions` print only
/// when the read-model has practices 2, 4 and 5 data (`BoardPack::spm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Summary,
    Dual,
    Objectives,
    ClientProtection,
    Branches,
    Decisions,
    Appendix,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Summary,
        Section::Dual,
        Section::Objectives,
        Section::ClientProtection,
        Section::Branches,
        Section::Decisions,
        Section::Appendix,
    ];

    /// The mark (page reference) of the section.
    pub fn mark(self) -> &'static str {
        match self {
            Section::Summary => "summary",
            Section::Dual => "dual",
            Section::Objectives => "objectives",
            Section::ClientProtection => "client_protection",
            Section::Branches => "branches",
            Section::Decisions => "decisions",
            Section::Appendix => "appendix",
        }
    }

    pub fn title(self, lang: Language) -> &'static str {
        match self {
            Section::Summary => tr(lang, "section.summary"),
            Section::Dual => tr(lang, "section.dual"),
            Section::Objectives => tr(lang, "section.objectives"),
            Section::ClientProtection => tr(lang, "section.client_protection"),
            Section::Branches => tr(lang, "section.branches"),
            Section::Decisions => tr(lang, "section.decisions"),
            Section::Appendix => tr(lang, "section.appendix"),
        }
    }

    /// Whether the section is switched on and has something to show.
    pub fn included(self, bp: &BoardPack, on: &crate::Sections) -> bool {
        match self {
            Section::Summary => on.summary && !bp.key_figures.is_empty(),
            Section::Dual => on.dual && !bp.tiles.is_empty(),
            Section::Objectives => on.objectives && !bp.objectives.is_empty(),
            Section::ClientProtection => {
                on.client_protection && bp.spm.as_ref().is_some_and(|s| s.has_client_protection())
            }
            Section::Decisions => {
                on.decisions && bp.spm.as_ref().is_some_and(|s| s.has_decisions())
            }
            Section::Branches => {
                on.branches && (!bp.comparisons.is_empty() || !bp.completeness.rows.is_empty())
            }
            Section::Appendix => on.appendix && !bp.indicators.is_empty(),
        }
    }

    pub fn render(self, ctx: &mut Ctx, bp: &BoardPack) {
        match self {
            Section::Summary => summary::render(ctx, bp),
            Section::Dual => dual::render(ctx, bp),
            Section::Objectives => objectives::render(ctx, bp),
            Section::Branches => branches::render(ctx, bp),
            Section::Appendix => appendix::render(ctx, bp),
            Section::ClientProtection => spm::render_client_protection(ctx, bp),
            Section::Decisions => spm::render_decisions(ctx, bp),
        }
    }
}

pub fn rag_label(lang: Language, r: Rag) -> &'static str {
    match r {
        Rag::Red => tr(lang, "rag.red"),
        Rag::Amber => tr(lang, "rag.amber"),
        Rag::Green => tr(lang, "rag.green"),
        Rag::NoThreshold => tr(lang, "rag.no_threshold"),
        Rag::Missing => tr(lang, "rag.missing"),
    }
}

pub fn outlook_label(lang: Language, o: Outlook) -> &'static str {
    match o {
        Outlook::OnTrack => tr(lang, "outlook.on_track"),
        Outlook::AtRisk => tr(lang, "outlook.at_risk"),
        Outlook::OffTrack => tr(lang, "outlook.off_track"),
        Outlook::Unknown => tr(lang, "outlook.unknown"),
    }
}

pub fn outlook_colour(o: Outlook) -> crate::layout::Rgb3 {
    match o {
        Outlook::OnTrack => colour::GREEN,
        Outlook::AtRisk => colour::AMBER,
        Outlook::OffTrack => colour::RED,
        Outlook::Unknown => colour::NEUTRAL,
    }
}

pub fn category_label(lang: Language, c: Category) -> &'static str {
    match c {
        Category::Social => tr(lang, "category.social"),
        Category::Financial => tr(lang, "category.financial"),
        Category::ClientProtection => tr(lang, "category.client_protection"),
        Category::Environmental => tr(lang, "category.environmental"),
    }
}

pub fn dimension_label(lang: Language, d: Dimension) -> &'static str {
    match d {
        Dimension::SocialStrategy => tr(lang, "dimension.social_strategy"),
        Dimension::CommittedLeadership => tr(lang, "dimension.committed_leadership"),
        Dimension::ClientCentredProducts => tr(lang, "dimension.client_centred_products"),
        Dimension::ClientProtection => tr(lang, "dimension.client_protection"),
        Dimension::ResponsibleHr => tr(lang, "dimension.responsible_hr"),
        Dimension::ResponsibleGrowth => tr(lang, "dimension.responsible_growth"),
        Dimension::Environmental => tr(lang, "dimension.environmental"),
    }
}

pub fn practice_label(lang: Language, p: u8) -> &'static str {
    match p {
        1 => tr(lang, "practice.1"),
        2 => tr(lang, "practice.2"),
        3 => tr(lang, "practice.3"),
        4 => tr(lang, "practice.4"),
        _ => tr(lang, "practice.5"),
    }
}

pub fn direction_label(lang: Language, d: Direction) -> &'static str {
    match d {
        Direction::Higher => tr(lang, "direction.higher"),
        Direction::Lower => tr(lang, "direction.lower"),
    }
}

/// The scope in words: "Whole institution", "Region North", "Branch N01 Kalanga".
pub fn scope_label(lang: Language, scope: &str, label: &str, branch_name: Option<&str>) -> String {
    match Scope::parse(scope) {
        Ok(Scope::Org) | Err(_) => tr(lang, "scope.org").to_string(),
        Ok(Scope::Region(_)) => trf(lang, "scope.region", &[("name", label)]),
        Ok(Scope::Branch(code)) => {
            let name = match branch_name {
                Some(n) if !n.is_empty() => format!("{code} {n}"),
                _ => code,
            };
            trf(lang, "scope.branch", &[("name", &name)])
        }
    }
}

/// "11 of 12 branches reported".
pub fn reported(lang: Language, reported: u32, expected: u32) -> String {
    trf(
        lang,
        "common.reported",
        &[("n", &reported.to_string()), ("of", &expected.to_string())],
    )
}
