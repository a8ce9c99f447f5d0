//! The six table exports: indicators, measurements, objectives, a self-assessment, actions and
//! decisions. Each reads the API the screens read and writes one table (the assessment's XLSX
//! adds a sheet of scores).

use super::table::{Cell, Table};
use super::{kind_title, tr, write_tables, ExportFormat, ExportInfo, ExportKind, ExportParams};
use crate::engine::{Rag, Scope};
use crate::error::{CoreError, Result};
use crate::model::{Category, Dimension, ElementUnit, Language};
use crate::period::{Month, Period};
use crate::spm::{self, ActionFilter, ActionStatus, Answer, GroupScore, Lens, Movement};
use crate::Store;
use std::path::Path;

fn lang_of(store: &Store, p: &ExportParams) -> Result<Language> {
    match p.lang {
        Some(l) => Ok(l),
        None => Ok(crate::repo::organisation(store.conn())?.language),
    }
}

fn period_of(p: &ExportParams, what: &str) -> Result<Period> {
    let raw = p
        .period
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CoreError::field(
                "period",
                format!("the {what} export needs a period (2026-09, 2026-Q3 or 2026)"),
            )
        })?;
    Period::parse(raw).map_err(|e| e.on_field("period"))
}

fn scope_of(p: &ExportParams) -> Result<Scope> {
    Scope::parse(p.scope.as_deref().unwrap_or("org")).map_err(|e| e.on_field("scope"))
}

fn h(lang: Language, words: &[[&'static str; 3]]) -> Vec<String> {
    words.iter().map(|w| tr(lang, *w).to_string()).collect()
}

fn yes_no(lang: Language, b: bool) -> Cell {
    Cell::text(tr(
        lang,
        if b {
            ["yes", "oui", "sí"]
        } else {
            ["no", "non", "no"]
        },
    ))
}

/// A flag shown only when set ("yes"), empty otherwise.
fn flag(lang: Language, b: bool) -> Cell {
    if b {
        yes_no(lang, true)
    } else {
        Cell::Empty
    }
}

pub(crate) fn rag_word(lang: Language, r: Rag) -> &'static str {
    tr(
        lang,
        match r {
            Rag::Red => ["red", "rouge", "rojo"],
            Rag::Amber => ["amber", "orange", "ámbar"],
            Rag::Green => ["green", "vert", "verde"],
            Rag::NoThreshold => ["no threshold", "sans seuil", "sin umbral"],
            Rag::Missing => ["no data", "pas de données", "sin datos"],
        },
    )
}

fn outlook_word(lang: Language, o: crate::dashboard::Outlook) -> &'static str {
    use crate::dashboard::Outlook;
    tr(
        lang,
        match o {
            Outlook::OnTrack => ["on track", "en bonne voie", "en camino"],
            Outlook::AtRisk => ["at risk", "à risque", "en riesgo"],
            Outlook::OffTrack => ["off track", "hors trajectoire", "desviado"],
            Outlook::Unknown => [
                "not enough data",
                "données insuffisantes",
                "datos insuficientes",
            ],
        },
    )
}

fn category_word(lang: Language, c: Category) -> &'static str {
    tr(
        lang,
        match c {
            Category::Social => ["social", "social", "social"],
            Category::Financial => ["financial", "financier", "financiero"],
            Category::ClientProtection => [
                "client protection",
                "protection des clients",
                "protección al cliente",
            ],
            Category::Environmental => ["environmental", "environnemental", "ambiental"],
        },
    )
}

fn status_word(lang: Language, s: ActionStatus) -> &'static str {
    tr(
        lang,
        match s {
            ActionStatus::Open => ["open", "ouverte", "abierta"],
            ActionStatus::InProgress => ["in progress", "en cours", "en curso"],
            ActionStatus::Done => ["done", "terminée", "terminada"],
            ActionStatus::Dropped => ["dropped", "abandonnée", "descartada"],
        },
    )
}

fn answer_word(lang: Language, a: Answer) -> &'static str {
    // Words the assessment import also accepts.
    tr(
        lang,
        match a {
            Answer::Yes => ["yes", "oui", "sí"],
            Answer::Partial => ["partially", "partiellement", "parcialmente"],
            Answer::No => ["no", "non", "no"],
            Answer::Na => ["n/a", "sans objet", "no aplica"],
        },
    )
}

fn dimension_name(lang: Language, d: Dimension) -> String {
    spm::checklist::current()
        .ok()
        .and_then(|c| c.dimensions.iter().find(|x| x.key == d))
        .map(|x| x.name.get(lang).to_string())
        .unwrap_or_else(|| d.as_str().to_string())
}

fn unit_word(lang: Language, u: ElementUnit, currency: &str) -> String {
    match u {
        ElementUnit::Currency => currency.to_string(),
        ElementUnit::Count => tr(lang, ["count", "nombre", "cantidad"]).to_string(),
        ElementUnit::Number => tr(lang, ["number", "valeur", "valor"]).to_string(),
    }
}

/// Every indicator of the catalogue for a period and scope: value, numerator, denominator,
/// status, reporting branches, formula version and the reason of a missing value.
pub fn export_indicators(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let period = period_of(params, "indicators")?;
    let scope = scope_of(params)?;
    let values = crate::api::indicators(store, period, &scope, Some(lang))?;
    let mut t = Table::new(
        kind_title(ExportKind::Indicators, lang),
        h(
            lang,
            &[
                ["Period", "Période", "Periodo"],
                ["Scope", "Périmètre", "Ámbito"],
                ["Code", "Code", "Código"],
                ["Indicator", "Indicateur", "Indicador"],
                ["Category", "Catégorie", "Categoría"],
                ["Value", "Valeur", "Valor"],
                ["Unit", "Unité", "Unidad"],
                ["Numerator", "Numérateur", "Numerador"],
                ["Denominator", "Dénominateur", "Denominador"],
                ["Status", "Statut", "Estado"],
                [
                    "Branches reported",
                    "Agences ayant déclaré",
                    "Sucursales que reportaron",
                ],
                [
                    "Branches expected",
                    "Agences attendues",
                    "Sucursales esperadas",
                ],
                [
                    "Formula version",
                    "Version de la formule",
                    "Versión de la fórmula",
                ],
                [
                    "Why no value",
                    "Raison de l'absence de valeur",
                    "Motivo sin valor",
                ],
            ],
        ),
    );
    for v in &values {
        t.push(vec![
            Cell::text(v.period.to_string()),
            Cell::text(scope.to_string()),
            Cell::text(&v.code),
            Cell::text(&v.name),
            Cell::text(category_word(lang, v.category)),
            Cell::num(v.value),
            Cell::text(&v.unit),
            Cell::num(v.numerator),
            Cell::num(v.denominator),
            Cell::text(rag_word(lang, v.status)),
            Cell::Int(v.reported.into()),
            Cell::Int(v.expected.into()),
            Cell::Int(v.formula_version),
            Cell::opt_text(v.reason.as_deref()),
        ]);
    }
    write_tables(store, ExportKind::Indicators, &[t], format, path, lang)
}

/// The months `period` … `to` (default: `period`'s months).
fn month_range(p: &ExportParams) -> Result<(Month, Month)> {
    let from = period_of(p, "measurements")?;
    let to = match p.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Period::parse(s).map_err(|e| e.on_field("to"))?,
        None => from,
    };
    let (a, b) = (from.first_month(), to.last_month());
    if b < a {
        return Err(CoreError::field(
            "to",
            format!("the range ends ({to}) before it starts ({from})"),
        ));
    }
    Ok((a, b))
}

/// The monthly figures of the scope's branches over a range of months, one row per branch,
/// month and element (long layout), with the element's name, unit, comment and who entered it.
pub fn export_measurements(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let (first, last) = month_range(params)?;
    let scope = scope_of(params)?;
    let conn = store.conn();
    let org = crate::repo::organisation(conn)?;
    let sb = crate::engine::resolve_scope(conn, &scope)?;
    let branches = crate::repo::branches(conn)?;
    let elements = crate::repo::elements(conn)?;
    let mut t = Table::new(
        kind_title(ExportKind::Measurements, lang),
        h(
            lang,
            &[
                ["Branch", "Agence", "Sucursal"],
                ["Branch name", "Nom de l'agence", "Nombre de la sucursal"],
                ["Region", "Région", "Región"],
                ["Month", "Mois", "Mes"],
                ["Element", "Élément", "Elemento"],
                ["Name", "Nom", "Nombre"],
                ["Unit", "Unité", "Unidad"],
                ["Value", "Valeur", "Valor"],
                ["Comment", "Commentaire", "Comentario"],
                ["Entered by", "Saisi par", "Registrado por"],
                ["Entered at (UTC)", "Saisi le (UTC)", "Registrado el (UTC)"],
            ],
        ),
    );
    let mut stmt = conn.prepare_cached(
        "SELECT m.month, m.element_id, m.value, m.comment, m.entered_by, m.entered_at
         FROM measurement m JOIN data_element e ON e.id = m.element_id
         WHERE m.branch_id = ?1 AND m.month BETWEEN ?2 AND ?3
         ORDER BY m.month, e.id",
    )?;
    for (bid, code) in &sb.branches {
        let b = branches.iter().find(|b| b.id == *bid);
        let rows = stmt
            .query_map(rusqlite::params![bid, first.0, last.0], |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (month, eid, value, comment, by, at) in rows {
            let e = elements.iter().find(|e| e.id == eid);
            t.push(vec![
                Cell::text(code),
                Cell::opt_text(b.map(|b| b.name.as_str())),
                Cell::opt_text(b.and_then(|b| b.region.as_deref())),
                Cell::text(Month(month).to_string()),
                Cell::opt_text(e.map(|e| e.code.as_str())),
                Cell::opt_text(e.map(|e| e.name.get(lang))),
                Cell::opt_text(e.map(|e| unit_word(lang, e.unit, &org.currency))),
                Cell::Num(value),
                Cell::opt_text(comment),
                Cell::opt_text(by),
                Cell::time(at),
            ]);
        }
    }
    write_tables(store, ExportKind::Measurements, &[t], format, path, lang)
}

/// The dashboard's objectives for a period and scope: one row per objective and linked
/// indicator with value, baseline, next and final target, progress, forecast and outlook.
pub fn export_objectives(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let period = period_of(params, "objectives")?;
    let scope = scope_of(params)?;
    let d = crate::dashboard::dashboard(store.conn(), period, &scope, Some(lang))?;
    let mut t = Table::new(
        kind_title(ExportKind::Objectives, lang),
        h(
            lang,
            &[
                ["Objective no.", "N° d'objectif", "N.º de objetivo"],
                ["Objective", "Objectif", "Objetivo"],
                ["SPM practice", "Pratique GPS", "Práctica GDS"],
                ["Dimension", "Dimension", "Dimensión"],
                ["Owner", "Responsable", "Responsable"],
                ["Start", "Début", "Inicio"],
                ["End", "Fin", "Fin"],
                [
                    "Objective status",
                    "Statut de l'objectif",
                    "Estado del objetivo",
                ],
                [
                    "Objective outlook",
                    "Tendance de l'objectif",
                    "Proyección del objetivo",
                ],
                ["Indicator", "Indicateur", "Indicador"],
                [
                    "Indicator name",
                    "Nom de l'indicateur",
                    "Nombre del indicador",
                ],
                ["Unit", "Unité", "Unidad"],
                ["Period", "Période", "Periodo"],
                ["Scope", "Périmètre", "Ámbito"],
                ["Value", "Valeur", "Valor"],
                ["Status", "Statut", "Estado"],
                ["Baseline", "Référence", "Línea de base"],
                ["Baseline period", "Période de référence", "Periodo de base"],
                ["Next target", "Prochaine cible", "Próxima meta"],
                [
                    "Next target period",
                    "Période de la prochaine cible",
                    "Periodo de la próxima meta",
                ],
                ["Final target", "Cible finale", "Meta final"],
                [
                    "Final target period",
                    "Période de la cible finale",
                    "Periodo de la meta final",
                ],
                ["Progress (%)", "Progrès (%)", "Avance (%)"],
                ["Forecast", "Prévision", "Pronóstico"],
                [
                    "Forecast period",
                    "Période de la prévision",
                    "Periodo del pronóstico",
                ],
                ["Outlook", "Tendance", "Proyección"],
                [
                    "Branches reported",
                    "Agences ayant déclaré",
                    "Sucursales que reportaron",
                ],
                [
                    "Branches expected",
                    "Agences attendues",
                    "Sucursales esperadas",
                ],
            ],
        ),
    );
    for o in &d.objectives {
        let head = vec![
            Cell::Int(o.id),
            Cell::text(&o.title),
            Cell::Int(o.practice.into()),
            Cell::text(dimension_name(lang, o.dimension)),
            Cell::text(&o.owner),
            Cell::date(Some(&o.start_date)),
            Cell::date(Some(&o.end_date)),
            Cell::text(rag_word(lang, o.status)),
            Cell::text(outlook_word(lang, o.outlook)),
        ];
        if o.indicators.is_empty() {
            let mut row = head;
            row.extend(std::iter::repeat_n(Cell::Empty, 3));
            row.push(Cell::text(period.to_string()));
            row.push(Cell::text(scope.to_string()));
            row.extend(std::iter::repeat_n(Cell::Empty, 14));
            t.push(row);
            continue;
        }
        for i in &o.indicators {
            let mut row = head.clone();
            row.extend([
                Cell::text(&i.current.code),
                Cell::text(&i.current.name),
                Cell::text(&i.current.unit),
                Cell::text(i.current.period.to_string()),
                Cell::text(scope.to_string()),
                Cell::num(i.current.value),
                Cell::text(rag_word(lang, i.current.status)),
                Cell::num(i.baseline_value),
                Cell::opt_text(i.baseline_period.as_deref()),
                Cell::num(i.target),
                Cell::opt_text(i.target_period.as_deref()),
                Cell::num(i.final_target),
                Cell::opt_text(i.final_target_period.as_deref()),
                Cell::num(i.progress),
                Cell::num(i.forecast),
                Cell::opt_text(i.forecast_period.map(|p| p.to_string())),
                Cell::text(outlook_word(lang, i.outlook)),
                Cell::Int(i.current.reported.into()),
                Cell::Int(i.current.expected.into()),
            ]);
            t.push(row);
        }
    }
    write_tables(store, ExportKind::Objectives, &[t], format, path, lang)
}

/// A self-assessment (default: the latest): every practice of the current checklist with its
/// answer, evidence, note and flags. The XLSX file adds a sheet with the raw and
/// evidence-aware scores overall, per dimension, standard and principle.
pub fn export_assessment(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let id = match params.assessment {
        Some(id) => id,
        None => spm::assessment_list(store)?
            .first()
            .map(|a| a.id)
            .ok_or_else(|| {
                CoreError::not_found("there is no self-assessment yet to export")
                    .on_field("assessment")
            })?,
    };
    let v = spm::assessment_get(store, id, Some(lang)).map_err(|e| e.on_field("assessment"))?;
    let cl = spm::checklist::current()?;
    let mut answers = Table::new(
        kind_title(ExportKind::Assessment, lang),
        h(
            lang,
            &[
                ["Practice", "Pratique", "Práctica"],
                ["Dimension", "Dimension", "Dimensión"],
                [
                    "Dimension name",
                    "Nom de la dimension",
                    "Nombre de la dimensión",
                ],
                ["Standard", "Norme", "Estándar"],
                ["Question", "Question", "Pregunta"],
                ["Answer", "Réponse", "Respuesta"],
                ["Evidence", "Justificatif", "Evidencia"],
                [
                    "Evidence files",
                    "Fichiers justificatifs",
                    "Archivos de evidencia",
                ],
                ["Note", "Note", "Nota"],
                [
                    "Yes without evidence",
                    "Oui sans justificatif",
                    "Sí sin evidencia",
                ],
                ["Gap", "Lacune", "Brecha"],
                ["Actions", "Actions", "Acciones"],
            ],
        ),
    );
    for p in &v.practices {
        let dim = cl
            .dimensions
            .iter()
            .find(|d| d.code == p.dimension)
            .map(|d| d.name.get(lang).to_string());
        answers.push(vec![
            Cell::text(&p.code),
            Cell::text(&p.dimension),
            Cell::opt_text(dim),
            Cell::text(&p.standard),
            Cell::text(&p.question),
            Cell::opt_text(p.answer.map(|a| answer_word(lang, a))),
            Cell::text(&p.evidence),
            Cell::text(p.evidence_files.join(" | ")),
            Cell::text(&p.note),
            flag(lang, p.yes_without_evidence),
            flag(lang, p.gap),
            Cell::text(
                p.actions
                    .iter()
                    .map(|a| a.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    let mut scores = Table::new(
        tr(lang, ["Scores", "Scores", "Puntuaciones"]),
        h(
            lang,
            &[
                ["Level", "Niveau", "Nivel"],
                ["Code", "Code", "Código"],
                ["Name", "Nom", "Nombre"],
                ["Practices", "Pratiques", "Prácticas"],
                ["Yes", "Oui", "Sí"],
                ["Partially", "Partiellement", "Parcialmente"],
                ["No", "Non", "No"],
                ["N/A", "Sans objet", "No aplica"],
                ["Unanswered", "Sans réponse", "Sin respuesta"],
                [
                    "Yes without evidence",
                    "Oui sans justificatif",
                    "Sí sin evidencia",
                ],
                ["Score (%)", "Score (%)", "Puntuación (%)"],
                [
                    "Evidence-aware score (%)",
                    "Score avec justificatifs (%)",
                    "Puntuación con evidencia (%)",
                ],
            ],
        ),
    );
    let s = &v.score;
    let levels: [(&[GroupScore], [&'static str; 3]); 4] = [
        (
            std::slice::from_ref(&s.overall),
            ["overall", "global", "global"],
        ),
        (&s.dimensions, ["dimension", "dimension", "dimensión"]),
        (&s.standards, ["standard", "norme", "estándar"]),
        (&s.principles, ["principle", "principe", "principio"]),
    ];
    for (groups, level) in levels {
        for g in groups {
            scores.push(vec![
                Cell::text(tr(lang, level)),
                Cell::text(&g.code),
                Cell::text(&g.name),
                Cell::Int(g.practices.into()),
                Cell::Int(g.yes.into()),
                Cell::Int(g.partial.into()),
                Cell::Int(g.no.into()),
                Cell::Int(g.na.into()),
                Cell::Int(g.unanswered.into()),
                Cell::Int(g.yes_without_evidence.into()),
                Cell::num(g.score),
                Cell::num(g.evidence_score),
            ]);
        }
    }
    write_tables(
        store,
        ExportKind::Assessment,
        &[answers, scores],
        format,
        path,
        lang,
    )
}

/// Every action (open and in progress first, overdue ones first).
pub fn export_actions(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let list = spm::action_list(store, &ActionFilter::default(), params.today.as_deref())?;
    let mut t = Table::new(
        kind_title(ExportKind::Actions, lang),
        h(
            lang,
            &[
                ["No.", "N°", "N.º"],
                ["Action", "Action", "Acción"],
                ["Owner", "Responsable", "Responsable"],
                ["Due", "Échéance", "Vencimiento"],
                ["Status", "Statut", "Estado"],
                ["Overdue", "En retard", "Vencida"],
                ["Days overdue", "Jours de retard", "Días de retraso"],
                ["Practice", "Pratique", "Práctica"],
                ["Assessment", "Auto-évaluation", "Autoevaluación"],
                ["Objective", "Objectif", "Objetivo"],
                ["Created (UTC)", "Créée le (UTC)", "Creada el (UTC)"],
                ["Closed (UTC)", "Clôturée le (UTC)", "Cerrada el (UTC)"],
            ],
        ),
    );
    for a in &list {
        t.push(vec![
            Cell::Int(a.id),
            Cell::text(&a.description),
            Cell::text(&a.owner),
            Cell::date(Some(&a.due_date)),
            Cell::text(status_word(lang, a.status)),
            flag(lang, a.overdue),
            Cell::int(a.days_overdue),
            Cell::opt_text(a.practice.as_deref()),
            Cell::opt_text(a.assessment_title.as_deref()),
            Cell::opt_text(a.objective_title.as_deref()),
            Cell::Time(a.created_at),
            Cell::time(a.closed_at),
        ]);
    }
    write_tables(store, ExportKind::Actions, &[t], format, path, lang)
}

/// The decision log: decisions due for review first, then the others by review date.
pub fn export_decisions(
    store: &Store,
    params: &ExportParams,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportInfo> {
    let lang = lang_of(store, params)?;
    let list = spm::decision_list(store, false, params.today.as_deref(), Some(lang))?;
    let mut t = Table::new(
        kind_title(ExportKind::Decisions, lang),
        h(
            lang,
            &[
                ["No.", "N°", "N.º"],
                ["Decision", "Décision", "Decisión"],
                ["Decided on", "Décidée le", "Decidida el"],
                ["Decided by", "Décidée par", "Decidida por"],
                [
                    "Options considered",
                    "Options envisagées",
                    "Opciones consideradas",
                ],
                [
                    "Expected social effect",
                    "Effet social attendu",
                    "Efecto social esperado",
                ],
                [
                    "Expected financial effect",
                    "Effet financier attendu",
                    "Efecto financiero esperado",
                ],
                [
                    "Linked indicators",
                    "Indicateurs liés",
                    "Indicadores vinculados",
                ],
                ["Review on", "Revue le", "Revisión el"],
                ["Review status", "État de la revue", "Estado de la revisión"],
                ["Reviewed on", "Revue faite le", "Revisada el"],
                ["Reviewer", "Revue par", "Revisada por"],
                [
                    "Observed social effect",
                    "Effet social observé",
                    "Efecto social observado",
                ],
                [
                    "Observed financial effect",
                    "Effet financier observé",
                    "Efecto financiero observado",
                ],
            ],
        ),
    );
    for d in &list {
        let inds: Vec<String> = d
            .indicators
            .iter()
            .map(|i| {
                let lens = tr(
                    lang,
                    match i.lens {
                        Lens::Social => ["social", "social", "social"],
                        Lens::Financial => ["financial", "financier", "financiero"],
                    },
                );
                let mv = tr(
                    lang,
                    match i.expected {
                        Movement::Up => ["up", "hausse", "sube"],
                        Movement::Down => ["down", "baisse", "baja"],
                        Movement::Stable => ["stable", "stable", "estable"],
                    },
                );
                format!("{} ({lens}, {mv})", i.indicator)
            })
            .collect();
        let status = tr(
            lang,
            if d.reviewed {
                ["reviewed", "revue faite", "revisada"]
            } else if d.due_for_review {
                ["due for review", "revue à faire", "revisión pendiente"]
            } else {
                ["not yet due", "pas encore due", "aún no vence"]
            },
        );
        t.push(vec![
            Cell::Int(d.id),
            Cell::text(&d.title),
            Cell::date(Some(&d.decided_on)),
            Cell::text(&d.decided_by),
            Cell::text(&d.options_considered),
            Cell::text(&d.expected_social),
            Cell::text(&d.expected_financial),
            Cell::text(inds.join("; ")),
            Cell::date(Some(&d.review_on)),
            Cell::text(status),
            Cell::date(d.reviewed_on.as_deref()),
            Cell::text(&d.reviewer),
            Cell::text(&d.observed_social),
            Cell::text(&d.observed_financial),
        ]);
    }
    write_tables(store, ExportKind::Decisions, &[t], format, path, lang)
}
