//! The Tauri shell: the window, its capabilities and one-line command adapters over
//! mizani-core (the same API the `mizani` CLI calls). Every command runs off the UI thread
//! (`spawn_blocking`), so the window never freezes; long jobs emit `job` events.

use mizani_core::api::{
    self, BackupInfo, CheckReport, DataRange, DbInfo, InitRequest, NewObjective, OrgUpdate,
};
use mizani_core::backup::BackupStatus;
use mizani_core::catalogue::IndicatorDef;
use mizani_core::dashboard::{self as dash, Dashboard, IndicatorTile};
use mizani_core::engine::{IndicatorValue, Scope};
use mizani_core::entry::{self, Completeness, EntryCell, EntryGrid, EntrySaveReport};
use mizani_core::export::{
    self, ExportFormat, ExportInfo, ExportKind, ExportParams, TemplateRequest,
};
use mizani_core::import::ImportReport;
use mizani_core::model::{
    Branch, DataElement, Indicator, Language, Objective, Organisation, Region,
};
use mizani_core::period::Period;
use mizani_core::session::{AppState, RestoreOutcome, Session};
use mizani_core::sheet::{self, ImportOptions, Inspection, Mapping, Preview, SavedMapping};
use mizani_core::store::Store;
use mizani_core::{repo, spm, sync, CoreError, ErrorCode};
use mizani_report::{ReportInfo, Sections};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, State};

type R<T> = Result<T, CoreError>;

/// The open session, shared with the blocking worker threads.
pub struct AppSession(Arc<Mutex<Session>>);

/// Runs `f` on a blocking worker thread with the session locked.
async fn with<T: Send + 'static>(
    s: &State<'_, AppSession>,
    f: impl FnOnce(&mut Session) -> R<T> + Send + 'static,
) -> R<T> {
    let inner = s.0.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut g = inner.lock().map_err(|_| {
            CoreError::new(
                ErrorCode::Database,
                "an earlier task failed; restart Mizani",
            )
        })?;
        f(&mut g)
    })
    .await
    .map_err(|e| CoreError::new(ErrorCode::Database, format!("background task failed: {e}")))?
}

/// Like [`with`], announcing the job's start and end to the window (`job` events).
async fn job<T: Send + 'static>(
    app: &AppHandle,
    s: &State<'_, AppSession>,
    name: &'static str,
    f: impl FnOnce(&mut Session) -> R<T> + Send + 'static,
) -> R<T> {
    let _ = app.emit(
        "job",
        serde_json::json!({ "job": name, "state": "started" }),
    );
    let r = with(s, f).await;
    let _ = app.emit(
        "job",
        serde_json::json!({ "job": name, "state": "finished", "ok": r.is_ok() }),
    );
    r
}

fn parse_period(p: &str) -> R<Period> {
    Period::parse(p).map_err(|e| e.on_field("period"))
}

fn parse_scope(s: &str) -> R<Scope> {
    Scope::parse(s).map_err(|e| e.on_field("scope"))
}

#[tauri::command]
async fn app_state(s: State<'_, AppSession>) -> R<AppState> {
    with(&s, |x| x.state()).await
}

#[tauri::command]
async fn app_create(
    s: State<'_, AppSession>,
    req: InitRequest,
    path: Option<String>,
) -> R<AppState> {
    with(&s, move |x| x.create(&req, path.as_deref())).await
}

#[tauri::command]
async fn app_open_demo(app: AppHandle, s: State<'_, AppSession>) -> R<AppState> {
    job(&app, &s, "demo", |x| x.open_demo()).await
}

#[tauri::command]
async fn app_open(
    s: State<'_, AppSession>,
    path: String,
    passphrase: Option<String>,
) -> R<AppState> {
    with(&s, move |x| x.open(&path, passphrase.as_deref())).await
}

#[tauri::command]
async fn app_unlock(s: State<'_, AppSession>, passphrase: String) -> R<AppState> {
    with(&s, move |x| x.unlock(&passphrase)).await
}

#[tauri::command]
async fn db_encrypt(
    app: AppHandle,
    s: State<'_, AppSession>,
    passphrase: String,
) -> R<api::EncryptionReport> {
    job(&app, &s, "encrypt", move |x| x.encrypt(&passphrase)).await
}

#[tauri::command]
async fn db_decrypt(app: AppHandle, s: State<'_, AppSession>) -> R<api::EncryptionReport> {
    job(&app, &s, "encrypt", |x| x.decrypt()).await
}

#[tauri::command]
async fn app_close(s: State<'_, AppSession>) -> R<AppState> {
    with(&s, |x| x.close()).await
}

#[tauri::command]
async fn app_set_language(s: State<'_, AppSession>, lang: Language) -> R<AppState> {
    with(&s, move |x| x.set_language(lang)).await
}

#[tauri::command]
async fn org_update(s: State<'_, AppSession>, update: OrgUpdate) -> R<Organisation> {
    with(&s, move |x| api::org_update(x.store_mut()?, &update)).await
}

#[tauri::command]
async fn mission_set(
    s: State<'_, AppSession>,
    mission: String,
    values: Vec<String>,
) -> R<Organisation> {
    with(&s, move |x| {
        api::set_mission(x.store_mut()?, &mission, &values)
    })
    .await
}

#[tauri::command]
async fn branches_list(s: State<'_, AppSession>) -> R<Vec<Branch>> {
    with(&s, |x| repo::branches(x.store()?.conn())).await
}

#[tauri::command]
async fn regions_list(s: State<'_, AppSession>) -> R<Vec<Region>> {
    with(&s, |x| api::regions(x.store()?)).await
}

#[tauri::command]
async fn branch_add(
    s: State<'_, AppSession>,
    code: String,
    name: String,
    region: Option<String>,
) -> R<Branch> {
    with(&s, move |x| {
        api::branch_add(x.store_mut()?, &code, &name, region.as_deref())
    })
    .await
}

#[tauri::command]
async fn elements_list(s: State<'_, AppSession>) -> R<Vec<DataElement>> {
    with(&s, |x| repo::elements(x.store()?.conn())).await
}

#[tauri::command]
async fn indicators_catalogue(s: State<'_, AppSession>) -> R<Vec<Indicator>> {
    with(&s, |x| repo::indicators(x.store()?.conn())).await
}

#[tauri::command]
async fn indicators_compute(
    s: State<'_, AppSession>,
    period: String,
    scope: String,
) -> R<Vec<IndicatorValue>> {
    with(&s, move |x| {
        api::indicators(
            x.store()?,
            parse_period(&period)?,
            &parse_scope(&scope)?,
            Some(x.lang()),
        )
    })
    .await
}

#[tauri::command]
async fn indicator_explain(
    s: State<'_, AppSession>,
    code: String,
    period: String,
    scope: String,
) -> R<IndicatorValue> {
    with(&s, move |x| {
        api::explain(
            x.store()?,
            &code,
            parse_period(&period)?,
            &parse_scope(&scope)?,
            Some(x.lang()),
        )
    })
    .await
}

#[tauri::command]
async fn indicator_preview(
    s: State<'_, AppSession>,
    def: IndicatorDef,
    period: String,
    scope: String,
) -> R<IndicatorValue> {
    with(&s, move |x| {
        api::indicator_preview(
            x.store()?,
            &def,
            parse_period(&period)?,
            &parse_scope(&scope)?,
        )
    })
    .await
}

#[tauri::command]
async fn indicator_save(s: State<'_, AppSession>, def: IndicatorDef) -> R<Indicator> {
    with(&s, move |x| api::define_indicator(x.store_mut()?, &def)).await
}

#[tauri::command]
async fn objectives_list(s: State<'_, AppSession>, include_archived: bool) -> R<Vec<Objective>> {
    with(&s, move |x| {
        repo::objectives(x.store()?.conn(), include_archived)
    })
    .await
}

#[tauri::command]
async fn objective_add(s: State<'_, AppSession>, objective: NewObjective) -> R<Objective> {
    with(&s, move |x| api::objective_add(x.store_mut()?, &objective)).await
}

#[tauri::command]
async fn objective_update(
    s: State<'_, AppSession>,
    id: i64,
    objective: NewObjective,
) -> R<Objective> {
    with(&s, move |x| {
        api::objective_update(x.store_mut()?, id, &objective)
    })
    .await
}

#[tauri::command]
async fn objective_archive(s: State<'_, AppSession>, id: i64, archived: bool) -> R<()> {
    with(&s, move |x| {
        api::objective_archive(x.store_mut()?, id, archived)
    })
    .await
}

#[tauri::command]
async fn dashboard(s: State<'_, AppSession>, period: String, scope: String) -> R<Dashboard> {
    with(&s, move |x| {
        api::dashboard(
            x.store()?.conn(),
            parse_period(&period)?,
            &parse_scope(&scope)?,
            Some(x.lang()),
        )
    })
    .await
}

#[tauri::command]
async fn dashboard_tiles(
    s: State<'_, AppSession>,
    period: String,
    scope: String,
) -> R<Vec<IndicatorTile>> {
    with(&s, move |x| {
        dash::tiles(
            x.store()?.conn(),
            parse_period(&period)?,
            &parse_scope(&scope)?,
            Some(x.lang()),
        )
    })
    .await
}

#[tauri::command]
async fn data_range(s: State<'_, AppSession>) -> R<DataRange> {
    with(&s, |x| api::data_range(x.store()?)).await
}

#[tauri::command]
async fn entry_grid(s: State<'_, AppSession>, branch: String, month: String) -> R<EntryGrid> {
    with(&s, move |x| entry::entry_grid(x.store()?, &branch, &month)).await
}

#[tauri::command]
async fn entry_save(
    s: State<'_, AppSession>,
    branch: String,
    month: String,
    cells: Vec<EntryCell>,
) -> R<EntrySaveReport> {
    with(&s, move |x| {
        entry::entry_save(x.store_mut()?, &branch, &month, &cells)
    })
    .await
}

#[tauri::command]
async fn completeness(s: State<'_, AppSession>, last: String, months: u32) -> R<Completeness> {
    with(&s, move |x| entry::completeness(x.store()?, &last, months)).await
}

// Spreadsheet import (XLSX, CSV): the wizard of the Data entry page.

#[tauri::command]
async fn sheet_inspect(
    s: State<'_, AppSession>,
    path: String,
    options: ImportOptions,
) -> R<Inspection> {
    with(&s, move |x| {
        sheet::inspect_file(x.store()?, Path::new(&path), &options)
    })
    .await
}

#[tauri::command]
async fn sheet_preview(
    app: AppHandle,
    s: State<'_, AppSession>,
    path: String,
    options: ImportOptions,
) -> R<Preview> {
    job(&app, &s, "import", move |x| {
        sheet::preview_file(x.store()?, Path::new(&path), &options)
    })
    .await
}

#[tauri::command]
async fn sheet_commit(
    app: AppHandle,
    s: State<'_, AppSession>,
    path: String,
    options: ImportOptions,
) -> R<ImportReport> {
    job(&app, &s, "import", move |x| {
        sheet::commit_file(x.store_mut()?, Path::new(&path), &options, false)
    })
    .await
}

#[tauri::command]
async fn mapping_save(
    s: State<'_, AppSession>,
    file_name: String,
    headers: Vec<String>,
    mapping: Mapping,
) -> R<SavedMapping> {
    with(&s, move |x| {
        sheet::mapping_save(x.store_mut()?, &file_name, &headers, &mapping)
    })
    .await
}

#[tauri::command]
async fn mapping_list(s: State<'_, AppSession>) -> R<Vec<SavedMapping>> {
    with(&s, |x| sheet::mapping_list(x.store()?)).await
}

#[tauri::command]
async fn mapping_delete(s: State<'_, AppSession>, id: i64) -> R<()> {
    with(&s, move |x| sheet::mapping_delete(x.store_mut()?, id)).await
}

#[tauri::command]
async fn export_indicators_csv(
    app: AppHandle,
    s: State<'_, AppSession>,
    period: String,
    scope: String,
    path: String,
) -> R<u64> {
    job(&app, &s, "export", move |x| {
        api::export_indicators_csv(
            x.store()?,
            parse_period(&period)?,
            &parse_scope(&scope)?,
            Some(x.lang()),
            Path::new(&path),
        )
    })
    .await
}

#[tauri::command]
async fn export_data(
    app: AppHandle,
    s: State<'_, AppSession>,
    kind: ExportKind,
    params: ExportParams,
    format: ExportFormat,
    path: String,
) -> R<ExportInfo> {
    job(&app, &s, "export", move |x| {
        export::export(x.store()?, kind, &params, format, Path::new(&path))
    })
    .await
}

#[tauri::command]
async fn template_create(
    app: AppHandle,
    s: State<'_, AppSession>,
    request: TemplateRequest,
    path: String,
) -> R<ExportInfo> {
    job(&app, &s, "export", move |x| {
        export::export_template(x.store()?, &request, Path::new(&path))
    })
    .await
}

#[tauri::command]
async fn backup_create(
    app: AppHandle,
    s: State<'_, AppSession>,
    path: Option<String>,
) -> R<String> {
    job(&app, &s, "backup", move |x| {
        api::backup_create(x.store()?, path.as_deref().map(Path::new))
            .map(|p| p.display().to_string())
    })
    .await
}

/// The board pack (or, with `branch_page`, the one-pager of the scope's branch) as a PDF at
/// `path`, or at `<database folder>/reports/…` when `path` is None.
fn create_report(
    store: &Store,
    period: &str,
    scope: &str,
    lang: Language,
    sections: &Sections,
    branch_page: bool,
    path: Option<String>,
) -> R<ReportInfo> {
    let (period, scope) = (parse_period(period)?, parse_scope(scope)?);
    let branch = match (&scope, branch_page) {
        (Scope::Branch(code), true) => Some(code.clone()),
        (_, true) => {
            return Err(
                CoreError::invalid("a branch one-pager needs a branch scope").on_field("scope"),
            )
        }
        _ => None,
    };
    let out = match path {
        Some(p) => PathBuf::from(p),
        None => api::default_report_path(store, period, &scope, lang, branch_page)?,
    };
    match branch {
        Some(code) => mizani_report::write_branch_page(store, period, &code, lang, &out),
        None => mizani_report::write_board_pack(store, period, &scope, lang, sections, &out),
    }
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
async fn report_create(
    app: AppHandle,
    s: State<'_, AppSession>,
    period: String,
    scope: String,
    lang: Language,
    sections: Sections,
    branch_page: bool,
    path: Option<String>,
) -> R<ReportInfo> {
    job(&app, &s, "report", move |x| {
        create_report(
            x.store()?,
            &period,
            &scope,
            lang,
            &sections,
            branch_page,
            path,
        )
    })
    .await
}

#[tauri::command]
async fn backups_list(s: State<'_, AppSession>) -> R<Vec<BackupInfo>> {
    with(&s, |x| api::backups_list(x.store()?)).await
}

#[tauri::command]
async fn backup_status(s: State<'_, AppSession>) -> R<BackupStatus> {
    with(&s, |x| x.backup_status()).await
}

#[tauri::command]
async fn backup_folder_set(s: State<'_, AppSession>, folder: Option<String>) -> R<BackupStatus> {
    with(&s, move |x| x.set_backup_folder(folder.as_deref())).await
}

#[tauri::command]
async fn backup_restore(
    app: AppHandle,
    s: State<'_, AppSession>,
    path: String,
) -> R<RestoreOutcome> {
    job(&app, &s, "restore", move |x| x.restore(&path)).await
}

#[tauri::command]
async fn app_restore_damaged(app: AppHandle, s: State<'_, AppSession>) -> R<RestoreOutcome> {
    job(&app, &s, "restore", |x| x.restore_damaged()).await
}

#[tauri::command]
async fn app_dismiss_damaged(s: State<'_, AppSession>) -> R<AppState> {
    with(&s, |x| x.dismiss_damaged()).await
}

#[tauri::command]
async fn db_info(s: State<'_, AppSession>) -> R<DbInfo> {
    with(&s, |x| api::db_info(x.store()?)).await
}

#[tauri::command]
async fn db_check(s: State<'_, AppSession>) -> R<CheckReport> {
    with(&s, |x| api::check(x.store()?)).await
}

// Practices 2, 4 and 5: self-assessment, actions, alignment, decisions (mizani_core::spm).

#[tauri::command]
async fn spm_overview(s: State<'_, AppSession>) -> R<spm::SpmOverview> {
    with(&s, |x| spm::spm_overview(x.store()?, None, Some(x.lang()))).await
}

#[tauri::command]
async fn assessment_list(s: State<'_, AppSession>) -> R<Vec<spm::AssessmentSummary>> {
    with(&s, |x| spm::assessment_list(x.store()?)).await
}

#[tauri::command]
async fn assessment_new(s: State<'_, AppSession>, input: spm::NewAssessment) -> R<spm::Assessment> {
    with(&s, move |x| spm::assessment_new(x.store_mut()?, &input)).await
}

#[tauri::command]
async fn assessment_get(s: State<'_, AppSession>, id: i64) -> R<spm::AssessmentView> {
    with(&s, move |x| {
        spm::assessment_get(x.store()?, id, Some(x.lang()))
    })
    .await
}

#[tauri::command]
async fn assessment_answer(
    s: State<'_, AppSession>,
    id: i64,
    input: spm::AnswerInput,
) -> R<spm::PracticeRow> {
    with(&s, move |x| {
        x.store_mut_lang()
            .and_then(|(st, l)| spm::assessment_answer(st, id, &input, Some(l)))
    })
    .await
}

#[tauri::command]
async fn assessment_score(s: State<'_, AppSession>, id: i64) -> R<spm::AssessmentScore> {
    with(&s, move |x| {
        spm::assessment_score(x.store()?, id, Some(x.lang()))
    })
    .await
}

#[tauri::command]
async fn assessment_compare(
    s: State<'_, AppSession>,
    before: i64,
    after: i64,
) -> R<spm::AssessmentComparison> {
    with(&s, move |x| {
        spm::assessment_compare(x.store()?, before, after, Some(x.lang()))
    })
    .await
}

#[tauri::command]
async fn assessment_update(
    s: State<'_, AppSession>,
    id: i64,
    input: spm::NewAssessment,
) -> R<spm::Assessment> {
    with(&s, move |x| {
        spm::assessment_update(x.store_mut()?, id, &input)
    })
    .await
}

#[tauri::command]
async fn assessment_clear_answer(s: State<'_, AppSession>, id: i64, practice: String) -> R<bool> {
    with(&s, move |x| {
        spm::assessment_clear_answer(x.store_mut()?, id, &practice)
    })
    .await
}

#[tauri::command]
async fn assessment_export_file(
    app: AppHandle,
    s: State<'_, AppSession>,
    id: i64,
    path: String,
) -> R<u64> {
    job(&app, &s, "export", move |x| {
        spm::assessment_export_file(x.store()?, id, Some(x.lang()), Path::new(&path))
    })
    .await
}

#[tauri::command]
async fn assessment_import_file(
    app: AppHandle,
    s: State<'_, AppSession>,
    id: i64,
    path: String,
    dry_run: bool,
) -> R<spm::AnswerImportReport> {
    job(&app, &s, "import", move |x| {
        spm::assessment_import_file(x.store_mut()?, id, Path::new(&path), dry_run)
    })
    .await
}

#[tauri::command]
async fn action_list(s: State<'_, AppSession>, filter: spm::ActionFilter) -> R<Vec<spm::Action>> {
    with(&s, move |x| spm::action_list(x.store()?, &filter, None)).await
}

#[tauri::command]
async fn action_add(s: State<'_, AppSession>, input: spm::NewAction) -> R<spm::Action> {
    with(&s, move |x| spm::action_add(x.store_mut()?, &input, None)).await
}

#[tauri::command]
async fn action_update(
    s: State<'_, AppSession>,
    id: i64,
    patch: spm::ActionPatch,
) -> R<spm::Action> {
    with(&s, move |x| {
        spm::action_update(x.store_mut()?, id, &patch, None)
    })
    .await
}

#[tauri::command]
async fn alignment_get(s: State<'_, AppSession>) -> R<spm::AlignmentMatrix> {
    with(&s, |x| spm::alignment_get(x.store()?, Some(x.lang()))).await
}

#[tauri::command]
async fn alignment_set(
    s: State<'_, AppSession>,
    input: spm::AlignmentInput,
) -> R<spm::AlignmentMatrix> {
    with(&s, move |x| {
        x.store_mut_lang()
            .and_then(|(st, l)| spm::alignment_set(st, &input, Some(l)))
    })
    .await
}

#[tauri::command]
async fn decision_list(s: State<'_, AppSession>, due_only: bool) -> R<Vec<spm::Decision>> {
    with(&s, move |x| {
        spm::decision_list(x.store()?, due_only, None, Some(x.lang()))
    })
    .await
}

#[tauri::command]
async fn decision_add(s: State<'_, AppSession>, input: spm::NewDecision) -> R<spm::Decision> {
    with(&s, move |x| {
        x.store_mut_lang()
            .and_then(|(st, l)| spm::decision_add(st, &input, None, Some(l)))
    })
    .await
}

#[tauri::command]
async fn decision_get(s: State<'_, AppSession>, id: i64) -> R<spm::DecisionEffects> {
    with(&s, move |x| {
        spm::decision_get(x.store()?, id, None, Some(x.lang()))
    })
    .await
}

#[tauri::command]
async fn decision_review(
    s: State<'_, AppSession>,
    id: i64,
    input: spm::DecisionReviewInput,
) -> R<spm::DecisionEffects> {
    with(&s, move |x| {
        x.store_mut_lang()
            .and_then(|(st, l)| spm::decision_review(st, id, &input, None, Some(l)))
    })
    .await
}

// Synchronisation between head office and branch sites (crates/core/src/sync).

#[tauri::command]
async fn app_join(
    s: State<'_, AppSession>,
    enrolment: String,
    path: Option<String>,
) -> R<AppState> {
    with(&s, move |x| x.join(&enrolment, path.as_deref())).await
}

#[tauri::command]
async fn sync_status(s: State<'_, AppSession>) -> R<sync::SyncStatus> {
    with(&s, |x| sync::sync_status(x.store_mut()?)).await
}

/// `<database folder>/sites/enrol-<codes>.mizenrol`, creating the folder.
fn default_enrol_path(store: &Store, branches: &[String]) -> R<PathBuf> {
    let db = store
        .path()
        .ok_or_else(|| CoreError::invalid("choose where to write the file"))?;
    let dir = db.parent().unwrap_or(Path::new(".")).join("sites");
    std::fs::create_dir_all(&dir).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let codes: Vec<String> = branches
        .iter()
        .map(|c| {
            c.trim()
                .to_uppercase()
                .replace(|c: char| !c.is_alphanumeric(), "_")
        })
        .collect();
    Ok(dir.join(format!("enrol-{}.{}", codes.join("-"), sync::ENROLMENT_EXT)))
}

/// Enrols a branch site; writes its enrolment file to `path`, or to the database's `sites/`
/// folder when None.
#[tauri::command]
async fn site_enrol(
    app: AppHandle,
    s: State<'_, AppSession>,
    branches: Vec<String>,
    name: Option<String>,
    path: Option<String>,
) -> R<sync::EnrolReport> {
    job(&app, &s, "enrol", move |x| {
        let out = match path {
            Some(p) => PathBuf::from(p),
            None if branches.is_empty() => PathBuf::new(), // the core names the missing codes
            None => default_enrol_path(x.store()?, &branches)?,
        };
        sync::site_enrol(x.store_mut()?, &branches, name.as_deref(), &out)
    })
    .await
}

#[tauri::command]
async fn site_revoke(s: State<'_, AppSession>, site: String) -> R<sync::SiteInfo> {
    with(&s, move |x| sync::site_revoke(x.store_mut()?, &site)).await
}

#[tauri::command]
async fn sync_export(
    app: AppHandle,
    s: State<'_, AppSession>,
    to: Option<String>,
    path: String,
) -> R<sync::PackageExportReport> {
    job(&app, &s, "sync", move |x| {
        sync::sync_export(x.store_mut()?, to.as_deref(), Path::new(&path))
    })
    .await
}

#[tauri::command]
async fn sync_import(
    app: AppHandle,
    s: State<'_, AppSession>,
    path: String,
) -> R<sync::PackageImportReport> {
    job(&app, &s, "sync", move |x| {
        sync::sync_import(x.store_mut()?, Path::new(&path))
    })
    .await
}

#[tauri::command]
async fn sync_folder_set(s: State<'_, AppSession>, folder: Option<String>) -> R<Option<String>> {
    with(&s, move |x| {
        sync::set_sync_folder(x.store_mut()?, folder.as_deref().map(Path::new))
    })
    .await
}

#[tauri::command]
async fn sync_now(app: AppHandle, s: State<'_, AppSession>) -> R<Option<sync::FolderReport>> {
    job(&app, &s, "sync", |x| x.sync_tick()).await
}

#[tauri::command]
async fn sync_conflicts(s: State<'_, AppSession>) -> R<Vec<sync::Conflict>> {
    with(&s, |x| sync::sync_conflicts(x.store()?)).await
}

#[tauri::command]
async fn conflict_reapply(s: State<'_, AppSession>, id: i64) -> R<sync::Conflict> {
    with(&s, move |x| sync::conflict_reapply(x.store_mut()?, id)).await
}

/// Synchronises through the configured sync folder every few seconds (`MIZANI_SYNC_INTERVAL_MS`,
/// default 30 s) while the app runs; tells the window (`sync` event) when packages came in or
/// went out. Skips a round when the session is busy with the user's own work.
fn watch_sync_folder(app: AppHandle, session: Arc<Mutex<Session>>) {
    let every = std::env::var("MIZANI_SYNC_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(30_000)
        .max(200);
    let _ = std::thread::Builder::new()
        .name("sync-folder".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(every));
            let r = match session.try_lock() {
                Ok(mut g) => g.sync_tick(),
                Err(_) => Ok(None),
            };
            match r {
                Ok(Some(rep))
                    if !rep.imported.is_empty()
                        || !rep.exported.is_empty()
                        || !rep.refused.is_empty() =>
                {
                    let _ = app.emit("sync", &rep);
                }
                Err(e) => {
                    let _ = app.emit("sync-error", &e);
                }
                _ => {}
            }
        });
}

/// Backs the open database up every 15 minutes (`MIZANI_BACKUP_INTERVAL_MS`) when something
/// changed since the last backup, and prunes old backups; tells the window (`backup` event,
/// or `backup-error`). Skips a round when the session is busy with the user's own work, and
/// copies the database on a connection of its own, so the user's work never waits for it.
fn watch_backups(app: AppHandle, session: Arc<Mutex<Session>>) {
    let every = mizani_core::backup::interval_ms();
    let _ = std::thread::Builder::new()
        .name("backups".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(every));
            // Decide under the session (quick); copy and check without it (seconds for a
            // large database), then record it.
            let job = match session.try_lock() {
                Ok(mut g) => g.backup_prepare(),
                Err(_) => Ok(None),
            };
            let r = match job {
                Ok(Some(job)) => job
                    .run()
                    .inspect(|b| {
                        if let Ok(mut g) = session.lock() {
                            g.backup_finish(&job, b);
                        }
                    })
                    .map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match r {
                Ok(Some(b)) => {
                    let _ = app.emit("backup", &b);
                }
                Err(e) => {
                    let _ = app.emit("backup-error", &e);
                }
                Ok(None) => {}
            }
        });
}

/// Starts the desktop app.
pub fn run() {
    mizani_core::store::handle_file_size_signal();
    let shared = Arc::new(Mutex::new(Session::start()));
    let session = AppSession(shared.clone());
    let result = tauri::Builder::default()
        .setup(move |app| {
            watch_sync_folder(app.handle().clone(), shared.clone());
            watch_backups(app.handle().clone(), shared);
            Ok(())
        })
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(session)
        .invoke_handler(tauri::generate_handler![
            app_state,
            app_create,
            app_open_demo,
            app_open,
            app_unlock,
            db_encrypt,
            db_decrypt,
            app_close,
            app_set_language,
            org_update,
            mission_set,
            branches_list,
            regions_list,
            branch_add,
            elements_list,
            indicators_catalogue,
            indicators_compute,
            indicator_explain,
            indicator_preview,
            indicator_save,
            objectives_list,
            objective_add,
            objective_update,
            objective_archive,
            dashboard,
            dashboard_tiles,
            data_range,
            entry_grid,
            entry_save,
            completeness,
            sheet_inspect,
            sheet_preview,
            sheet_commit,
            mapping_save,
            mapping_list,
            mapping_delete,
            export_indicators_csv,
            export_data,
            template_create,
            backup_create,
            report_create,
            backups_list,
            backup_status,
            backup_folder_set,
            backup_restore,
            app_restore_damaged,
            app_dismiss_damaged,
            db_info,
            db_check,
            spm_overview,
            assessment_list,
            assessment_new,
            assessment_get,
            assessment_answer,
            assessment_score,
            assessment_compare,
            assessment_update,
            assessment_clear_answer,
            assessment_export_file,
            assessment_import_file,
            action_list,
            action_add,
            action_update,
            alignment_get,
            alignment_set,
            decision_list,
            decision_add,
            decision_get,
            decision_review,
            app_join,
            sync_status,
            site_enrol,
            site_revoke,
            sync_export,
            sync_import,
            sync_folder_set,
            sync_now,
            sync_conflicts,
            conflict_reapply,
        ])
        .run(tauri::generate_context!("tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("Mizani could not start: {e}");
        std::process::exit(1);
    }
}
