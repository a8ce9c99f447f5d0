//! mizani-report: renders the board pack and the branch one-pager to PDF from the core's
//! read-models (`mizani_core::boardpack`): the core computes every number, this crate only
//! lays them out.
//!
//! - `layout`: pages, text measured with the font and wrapped, tables across pages, blocks,
//!   columns, header and "page x of y" footer — no report content;
//! - `chart`: vector charts (sparklines, trends with target lines, bars);
//! - `sections`: the content of each section of the board pack and of the branch page;
//! - `i18n`: the report's strings (assets/i18n/report) and numbers, dates, periods per locale;
//! - `fonts`: the embedded Noto Sans faces (subset on save).

pub mod chart;
pub mod fonts;
pub mod i18n;
pub mod layout;
pub mod sections;

use layout::{Doc, Furniture, Measure};
use mizani_core::boardpack::{BoardPack, BranchPage};
use mizani_core::engine::Scope;
use mizani_core::model::Language;
use mizani_core::period::Period;
use mizani_core::{CoreError, ErrorCode, Store};
use std::path::Path;

/// Which sections of the board pack to print. A section without data is left out anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Sections {
    pub summary: bool,
    pub dual: bool,
    pub objectives: bool,
    /// Client-protection scores by principle and the open and overdue actions.
    pub client_protection: bool,
    pub branches: bool,
    /// Alignment gaps and the decisions taken and reviewed.
    pub decisions: bool,
    pub appendix: bool,
}

impl Default for Sections {
    fn default() -> Self {
        Sections {
            summary: true,
            dual: true,
            objectives: true,
            client_protection: true,
            branches: true,
            decisions: true,
            appendix: true,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportInfo {
    pub path: String,
    pub pages: u32,
    pub bytes: u64,
}

/// Errors of the renderer.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The PDF could not be built (font, layout).
    #[error("cannot build the PDF: {0}")]
    Render(String),
    /// The PDF could not be written.
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

impl From<ReportError> for CoreError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Write { .. } => CoreError::new(ErrorCode::Io, e.to_string()),
            ReportError::Render(_) => CoreError::invalid(e.to_string()),
        }
    }
}

/// Document metadata written into the PDF.
struct Meta {
    title: String,
    author: String,
    subject: String,
    lang: Language,
}

fn start() -> Result<(printpdf::PdfDocument, Doc), ReportError> {
    let fonts = fonts::fonts().map_err(ReportError::Render)?;
    let mut pdf = printpdf::PdfDocument::new("");
    let regular = pdf.add_font(&fonts.regular.parsed);
    let bold = pdf.add_font(&fonts.bold.parsed);
    Ok((pdf, Doc::new(Measure::new(fonts), [regular, bold])))
}

fn now() -> printpdf::OffsetDateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    printpdf::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or_else(|_| printpdf::PdfDocumentInfo::default().creation_date)
}

fn finish(
    mut pdf: printpdf::PdfDocument,
    doc: Doc,
    furniture: &Furniture,
    meta: Meta,
) -> Result<(Vec<u8>, u32), ReportError> {
    let pages = doc
        .finish(furniture)
        .map_err(|v| ReportError::Render(format!("layout rules broken: {}", v.join("; "))))?;
    let n = pages.len() as u32;
    let info = &mut pdf.metadata.info;
    info.document_title = meta.title;
    info.author = meta.author;
    info.subject = meta.subject;
    info.creator = "Mizani".to_string();
    info.producer = format!("Mizani {} (printpdf)", env!("CARGO_PKG_VERSION"));
    info.keywords = vec!["Mizani".to_string(), meta.lang.as_str().to_string()];
    let t = now();
    info.creation_date = t;
    info.modification_date = t;
    info.metadata_date = t;
    let pages = pages
        .into_iter()
        .map(|ops| printpdf::PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), ops))
        .collect();
    pdf.with_pages(pages);
    let opts = printpdf::PdfSaveOptions {
        subset_fonts: true,
        optimize: true,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&opts, &mut warnings);
    // The document's language, for screen readers and text extraction (printpdf has no
    // setting for it).
    if let Ok(catalog) = lo.catalog_mut() {
        catalog.set("Lang", lopdf::Object::string_literal(meta.lang.as_str()));
    }
    // printpdf marks every document as PDF/X in its Info dictionary; ours makes no such claim.
    if let Ok(info) = lo
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
    {
        if let Ok(dict) = lo.get_object_mut(info).and_then(lopdf::Object::as_dict_mut) {
            dict.remove(b"GTS_PDFXVersion");
        }
    }
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| ReportError::Render(format!("cannot serialise the PDF: {e}")))?;
    Ok((out, n))
}

fn furniture(
    lang: Language,
    left: String,
    right: String,
    footer: String,
    first_page: bool,
) -> Furniture {
    Furniture {
        header_left: left,
        header_right: right,
        footer_left: footer,
        page_label: Box::new(move |p, n| {
            i18n::trf(
                lang,
                "footer.page",
                &[("page", &p.to_string()), ("pages", &n.to_string())],
            )
        }),
        first_page,
    }
}

/// Renders the board pack; returns the PDF bytes and its number of pages.
pub fn board_pack_pdf(bp: &BoardPack, sections: &Sections) -> Result<(Vec<u8>, u32), ReportError> {
    let lang = bp.lang;
    let (pdf, doc) = start()?;
    let mut ctx = sections::Ctx::new(doc, lang, &bp.org.currency);
    let included: Vec<sections::Section> = sections::Section::ALL
        .into_iter()
        .filter(|s| s.included(bp, sections))
        .collect();
    sections::cover::render(&mut ctx, bp, &included);
    for s in &included {
        s.render(&mut ctx, bp);
    }
    let period = i18n::period(bp.period, lang);
    let branch_name = bp
        .completeness
        .rows
        .iter()
        .find(|r| bp.scope.ends_with(&format!(":{}", r.branch)))
        .map(|r| r.name.as_str());
    let scope = sections::scope_label(lang, &bp.scope, &bp.scope_label, branch_name);
    let title = i18n::trf(lang, "cover.title", &[("period", &period)]);
    let f = furniture(
        lang,
        format!("{} · {title}", bp.org.name),
        scope.clone(),
        i18n::trf(
            lang,
            "footer.generated",
            &[("date", &i18n::date(&bp.generated_on, lang))],
        ),
        false,
    );
    let meta = Meta {
        title: format!("{title} — {}", bp.org.name),
        author: bp.org.name.clone(),
        subject: format!("{title} · {scope}"),
        lang,
    };
    finish(pdf, ctx.doc, &f, meta)
}

/// Renders the branch one-pager; returns the PDF bytes and its number of pages.
pub fn branch_page_pdf(page: &BranchPage) -> Result<(Vec<u8>, u32), ReportError> {
    let lang = page.lang;
    let (pdf, doc) = start()?;
    let mut ctx = sections::Ctx::new(doc, lang, &page.org.currency);
    sections::branch_page::render(&mut ctx, page);
    let period = i18n::period(page.period, lang);
    let title = i18n::trf(
        lang,
        "branch.title",
        &[
            (
                "branch",
                &format!("{} {}", page.branch.code, page.branch.name),
            ),
            ("period", &period),
        ],
    );
    let f = furniture(
        lang,
        page.org.name.clone(),
        title.clone(),
        i18n::trf(
            lang,
            "footer.generated",
            &[("date", &i18n::date(&page.generated_on, lang))],
        ),
        true,
    );
    let meta = Meta {
        title: format!("{title} — {}", page.org.name),
        author: page.org.name.clone(),
        subject: title,
        lang,
    };
    finish(pdf, ctx.doc, &f, meta)
}

fn write_pdf(out: &Path, bytes: &[u8], pages: u32) -> Result<ReportInfo, CoreError> {
    mizani_core::api::write_file_atomic(out, bytes)?;
    Ok(ReportInfo {
        path: out.display().to_string(),
        pages,
        bytes: bytes.len() as u64,
    })
}

/// Builds the read-model with the core and writes the PDF atomically (temp file in the same
/// folder, then rename; nothing left behind on error).
pub fn write_board_pack(
    store: &Store,
    period: Period,
    scope: &Scope,
    lang: Language,
    sections: &Sections,
    out: &Path,
) -> Result<ReportInfo, CoreError> {
    let bp = mizani_core::boardpack::board_pack(store, period, scope, lang)?;
    let (bytes, pages) = board_pack_pdf(&bp, sections)?;
    write_pdf(out, &bytes, pages)
}

/// Builds the branch one-pager with the core and writes the PDF atomically.
pub fn write_branch_page(
    store: &Store,
    period: Period,
    branch: &str,
    lang: Language,
    out: &Path,
) -> Result<ReportInfo, CoreError> {
    let page = mizani_core::boardpack::branch_page(store, period, branch, lang)?;
    let (bytes, pages) = branch_page_pdf(&page)?;
    write_pdf(out, &bytes, pages)
}

/// A value formatted exactly as the PDF prints it (locale of `lang`), for tests comparing
/// with the CLI.
pub fn format_value(v: Option<f64>, unit: &str, currency: &str, lang: Language) -> String {
    i18n::value(v, unit, currency, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_errors_become_core_errors_with_stable_codes() {
        let e: CoreError = ReportError::Write {
            path: "/x/pack.pdf".into(),
            message: "denied".into(),
        }
        .into();
        assert_eq!(
            e.code,
            ErrorCode::Io,
            "a write failure is `io` for the front ends"
        );
        assert!(
            e.message.contains("/x/pack.pdf"),
            "the message names the path: {}",
            e.message
        );
        let e: CoreError = ReportError::Render("layout".into()).into();
        assert_eq!(
            e.code,
            ErrorCode::InvalidInput,
            "anything else is `invalid_input`"
        );
    }

    #[test]
    fn sections_default_to_all_and_deserialise_partially() {
        let s = Sections::default();
        assert!(
            s.summary
                && s.dual
                && s.objectives
                && s.client_protection
                && s.branches
                && s.decisions
                && s.appendix,
            "every section by default"
        );
        let s: Sections = serde_json::from_str(r#"{"appendix": false}"#).expect("partial JSON");
        assert!(
            !s.appendix && s.summary && s.client_protection && s.decisions,
            "fields left out keep their default (on)"
        );
    }
}
