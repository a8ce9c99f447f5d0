// The only file that calls invoke(): typed wrappers over the Tauri commands of src-tauri,
// which are one-line adapters over mizani-core. Types come from ui/src/lib/bindings
// (generated from Rust by ts-rs; a Rust test fails when they drift).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AppState } from "./bindings/AppState";
import type { BackupInfo } from "./bindings/BackupInfo";
import type { BackupStatus } from "./bindings/BackupStatus";
import type { RestoreOutcome } from "./bindings/RestoreOutcome";
import type { Branch } from "./bindings/Branch";
import type { CheckReport } from "./bindings/CheckReport";
import type { Completeness } from "./bindings/Completeness";
import type { CoreError } from "./bindings/CoreError";
import type { Dashboard } from "./bindings/Dashboard";
import type { DataElement } from "./bindings/DataElement";
import type { DataRange } from "./bindings/DataRange";
import type { DbInfo } from "./bindings/DbInfo";
import type { EntryCell } from "./bindings/EntryCell";
import type { EntryGrid } from "./bindings/EntryGrid";
import type { EntrySaveReport } from "./bindings/EntrySaveReport";
import type { ImportReport } from "./bindings/ImportReport";
import type { Indicator } from "./bindings/Indicator";
import type { IndicatorDef } from "./bindings/IndicatorDef";
import type { IndicatorTile } from "./bindings/IndicatorTile";
import type { IndicatorValue } from "./bindings/IndicatorValue";
import type { InitRequest } from "./bindings/InitRequest";
import type { Language } from "./bindings/Language";
import type { NewObjective } from "./bindings/NewObjective";
import type { Objective } from "./bindings/Objective";
import type { OrgUpdate } from "./bindings/OrgUpdate";
import type { Organisation } from "./bindings/Organisation";
import type { Region } from "./bindings/Region";
import type { SpmOverview } from "./bindings/SpmOverview";
import type { AssessmentSummary } from "./bindings/AssessmentSummary";
import type { NewAssessment } from "./bindings/NewAssessment";
import type { Assessment } from "./bindings/Assessment";
import type { AssessmentView } from "./bindings/AssessmentView";
import type { AnswerInput } from "./bindings/AnswerInput";
import type { PracticeRow } from "./bindings/PracticeRow";
import type { AssessmentScore } from "./bindings/AssessmentScore";
import type { AssessmentComparison } from "./bindings/AssessmentComparison";
import type { AnswerImportReport } from "./bindings/AnswerImportReport";
import type { ActionFilter } from "./bindings/ActionFilter";
import type { Action } from "./bindings/Action";
import type { NewAction } from "./bindings/NewAction";
import type { ActionPatch } from "./bindings/ActionPatch";
import type { AlignmentMatrix } from "./bindings/AlignmentMatrix";
import type { AlignmentInput } from "./bindings/AlignmentInput";
import type { Decision } from "./bindings/Decision";
import type { NewDecision } from "./bindings/NewDecision";
import type { DecisionEffects } from "./bindings/DecisionEffects";
import type { DecisionReviewInput } from "./bindings/DecisionReviewInput";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { EncryptionReport } from "./bindings/EncryptionReport";
import type { SiteInfo } from "./bindings/SiteInfo";
import type { EnrolReport } from "./bindings/EnrolReport";
import type { PackageExportReport } from "./bindings/PackageExportReport";
import type { PackageImportReport } from "./bindings/PackageImportReport";
import type { FolderReport } from "./bindings/FolderReport";
import type { Conflict } from "./bindings/Conflict";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { ExportInfo } from "./bindings/ExportInfo";
import type { ExportKind } from "./bindings/ExportKind";
import type { ExportParams } from "./bindings/ExportParams";
import type { TemplateRequest } from "./bindings/TemplateRequest";
import type { ImportOptions } from "./bindings/ImportOptions";
import type { Inspection } from "./bindings/Inspection";
import type { Mapping } from "./bindings/Mapping";
import type { Preview } from "./bindings/Preview";
import type { SavedMapping } from "./bindings/SavedMapping";

/** Sections of the board pack (mizani_report::Sections; every one is printed by default). */
export type ReportSections = { summary: boolean; dual: boolean; objectives: boolean; branches: boolean; appendix: boolean };
/** A PDF written by mizani-report (mizani_report::ReportInfo). */
export type ReportInfo = { path: string; pages: number; bytes: number };

/** An error from the core: branch on `code`, show `message` (and `fields` next to inputs). */
export class IpcError extends Error {
  readonly code: CoreError["code"];
  readonly details: string[];
  readonly fields: CoreError["fields"];
  constructor(e: CoreError) {
    super(e.message);
    this.code = e.code;
    this.details = e.details ?? [];
    this.fields = e.fields ?? [];
  }
  /** The message for one form field, if the core named it. */
  field(name: string): string | undefined {
    return this.fields.find((f) => f.field === name)?.message;
  }
}

function isCoreError(e: unknown): e is CoreError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** The core writes its messages in English. In French or Spanish the message starts with
 *  what happened in the user's language (by error code), then the core's detail. */
function localised(e: CoreError): CoreError {
  if (i18n.lang === "en") return e;
  return { ...e, message: t("errors.detail", { head: t(`errors.code_${e.code}`), detail: e.message }) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isCoreError(e)) throw new IpcError(localised(e));
    throw new IpcError({ code: "io", message: String(e), details: [], fields: [] });
  }
}

export const ipc = {
  appState: () => call<AppState>("app_state"),
  appCreate: (req: InitRequest, path: string | null) => call<AppState>("app_create", { req, path }),
  appOpenDemo: () => call<AppState>("app_open_demo"),
  appOpen: (path: string, passphrase: string | null = null) => call<AppState>("app_open", { path, passphrase }),
  appUnlock: (passphrase: string) => call<AppState>("app_unlock", { passphrase }),
  dbEncrypt: (passphrase: string) => call<EncryptionReport>("db_encrypt", { passphrase }),
  dbDecrypt: () => call<EncryptionReport>("db_decrypt"),
  appClose: () => call<AppState>("app_close"),
  appSetLanguage: (lang: Language) => call<AppState>("app_set_language", { lang }),
  orgUpdate: (update: OrgUpdate) => call<Organisation>("org_update", { update }),
  missionSet: (mission: string, values: string[]) => call<Organisation>("mission_set", { mission, values }),
  branches: () => call<Branch[]>("branches_list"),
  regions: () => call<Region[]>("regions_list"),
  branchAdd: (code: string, name: string, region: string | null) =>
    call<Branch>("branch_add", { code, name, region }),
  elements: () => call<DataElement[]>("elements_list"),
  indicatorCatalogue: () => call<Indicator[]>("indicators_catalogue"),
  indicators: (period: string, scope: string) => call<IndicatorValue[]>("indicators_compute", { period, scope }),
  explain: (code: string, period: string, scope: string) =>
    call<IndicatorValue>("indicator_explain", { code, period, scope }),
  indicatorPreview: (def: IndicatorDef, period: string, scope: string) =>
    call<IndicatorValue>("indicator_preview", { def, period, scope }),
  indicatorSave: (def: IndicatorDef) => call<Indicator>("indicator_save", { def }),
  objectives: (includeArchived: boolean) => call<Objective[]>("objectives_list", { includeArchived }),
  objectiveAdd: (objective: NewObjective) => call<Objective>("objective_add", { objective }),
  objectiveUpdate: (id: number, objective: NewObjective) => call<Objective>("objective_update", { id, objective }),
  objectiveArchive: (id: number, archived: boolean) => call<null>("objective_archive", { id, archived }),
  dashboard: (period: string, scope: string) => call<Dashboard>("dashboard", { period, scope }),
  tiles: (period: string, scope: string) => call<IndicatorTile[]>("dashboard_tiles", { period, scope }),
  dataRange: () => call<DataRange>("data_range"),
  entryGrid: (branch: string, month: string) => call<EntryGrid>("entry_grid", { branch, month }),
  entrySave: (branch: string, month: string, cells: EntryCell[]) =>
    call<EntrySaveReport>("entry_save", { branch, month, cells }),
  completeness: (last: string, months: number) => call<Completeness>("completeness", { last, months }),
  // Spreadsheet import (XLSX, CSV; long or wide layout): inspect, preview, then all-or-nothing commit.
  /** Sheets, header, detected format and the mapping that applies (given, saved or suggested). */
  sheetInspect: (path: string, options: ImportOptions) => call<Inspection>("sheet_inspect", { path, options }),
  /** The parsed table with every problem on its cell, and what the import would change. */
  sheetPreview: (path: string, options: ImportOptions) => call<Preview>("sheet_preview", { path, options }),
  /** Imports the file (refused, with every problem, while errors remain). */
  sheetCommit: (path: string, options: ImportOptions) => call<ImportReport>("sheet_commit", { path, options }),
  mappingSave: (fileName: string, headers: string[], mapping: Mapping) =>
    call<SavedMapping>("mapping_save", { fileName, headers, mapping }),
  mappings: () => call<SavedMapping[]>("mapping_list"),
  mappingDelete: (id: number) => call<null>("mapping_delete", { id }),
  exportIndicatorsCsv: (period: string, scope: string, path: string) =>
    call<number>("export_indicators_csv", { period, scope, path }),
  /** An export (indicators, measurements, objectives, assessment, actions, decisions) as CSV or XLSX at `path`. */
  exportData: (kind: ExportKind, params: ExportParams, format: ExportFormat, path: string) =>
    call<ExportInfo>("export_data", { kind, params, format, path }),
  /** The XLSX data-entry template of a month at `path`: one sheet per branch (every active branch when none is named). */
  templateCreate: (request: TemplateRequest, path: string) => call<ExportInfo>("template_create", { request, path }),
  /** The board pack (or the branch one-pager) as PDF at `path`, or in the database's reports/ folder when null. */
  reportCreate: (period: string, scope: string, lang: Language, sections: ReportSections, branchPage: boolean, path: string | null) =>
    call<ReportInfo>("report_create", { period, scope, lang, sections, branchPage, path }),
  backupCreate: (path: string | null) => call<string>("backup_create", { path }),
  backups: () => call<BackupInfo[]>("backups_list"),
  /** Where backups go (the chosen folder or the default one) and which exist, newest first. */
  backupStatus: () => call<BackupStatus>("backup_status"),
  /** Chooses the backup folder of the open database (null: back to the default folder). */
  backupFolderSet: (folder: string | null) => call<BackupStatus>("backup_folder_set", { folder }),
  /** Replaces the database with a backup (the current state is backed up first). */
  backupRestore: (path: string) => call<RestoreOutcome>("backup_restore", { path }),
  /** Replaces the damaged database (app state `damaged`) with its newest good backup. */
  appRestoreDamaged: () => call<RestoreOutcome>("app_restore_damaged"),
  /** Leaves the damaged database as it is. */
  appDismissDamaged: () => call<AppState>("app_dismiss_damaged"),
  dbInfo: () => call<DbInfo>("db_info"),
  dbCheck: () => call<CheckReport>("db_check"),
  // Practices 2, 4 and 5 (self-assessment, actions, alignment, decisions).
  spmOverview: () => call<SpmOverview>("spm_overview"),
  assessments: () => call<AssessmentSummary[]>("assessment_list"),
  assessmentNew: (input: NewAssessment) => call<Assessment>("assessment_new", { input }),
  assessmentGet: (id: number) => call<AssessmentView>("assessment_get", { id }),
  assessmentAnswer: (id: number, input: AnswerInput) => call<PracticeRow>("assessment_answer", { id, input }),
  assessmentScore: (id: number) => call<AssessmentScore>("assessment_score", { id }),
  assessmentCompare: (before: number, after: number) =>
    call<AssessmentComparison>("assessment_compare", { before, after }),
  assessmentUpdate: (id: number, input: NewAssessment) => call<Assessment>("assessment_update", { id, input }),
  /** Removes one practice's answer (it becomes unanswered); false when there was none. */
  assessmentClearAnswer: (id: number, practice: string) => call<boolean>("assessment_clear_answer", { id, practice }),
  /** The answers as CSV at `path` (one row per practice); returns the number of bytes. */
  assessmentExportFile: (id: number, path: string) => call<number>("assessment_export_file", { id, path }),
  /** Answers from a CSV file (practice,answer[,evidence,note,evidence_files]), all or nothing. */
  assessmentImportFile: (id: number, path: string, dryRun: boolean) =>
    call<AnswerImportReport>("assessment_import_file", { id, path, dryRun }),
  actions: (filter: ActionFilter) => call<Action[]>("action_list", { filter }),
  actionAdd: (input: NewAction) => call<Action>("action_add", { input }),
  actionUpdate: (id: number, patch: ActionPatch) => call<Action>("action_update", { id, patch }),
  alignment: () => call<AlignmentMatrix>("alignment_get"),
  alignmentSet: (input: AlignmentInput) => call<AlignmentMatrix>("alignment_set", { input }),
  decisions: (dueOnly: boolean) => call<Decision[]>("decision_list", { dueOnly }),
  decisionAdd: (input: NewDecision) => call<Decision>("decision_add", { input }),
  decisionGet: (id: number) => call<DecisionEffects>("decision_get", { id }),
  decisionReview: (id: number, input: DecisionReviewInput) =>
    call<DecisionEffects>("decision_review", { id, input }),
  // Synchronisation between head office and branch sites (signed package files).
  appJoin: (enrolment: string, path: string | null) => call<AppState>("app_join", { enrolment, path }),
  syncStatus: () => call<SyncStatus>("sync_status"),
  /** Enrols a branch site; the file goes to `path`, or to the database's sites/ folder when null. */
  siteEnrol: (branches: string[], name: string | null, path: string | null) =>
    call<EnrolReport>("site_enrol", { branches, name, path }),
  siteRevoke: (site: string) => call<SiteInfo>("site_revoke", { site }),
  syncExport: (to: string | null, path: string) => call<PackageExportReport>("sync_export", { to, path }),
  syncImport: (path: string) => call<PackageImportReport>("sync_import", { path }),
  syncFolderSet: (folder: string | null) => call<string | null>("sync_folder_set", { folder }),
  syncNow: () => call<FolderReport | null>("sync_now"),
  syncConflicts: () => call<Conflict[]>("sync_conflicts"),
  conflictReapply: (id: number) => call<Conflict>("conflict_reapply", { id }),
};

/** Long jobs (import, export, report, backup, demo) announce their start and end. */
export type JobEvent = { job: string; state: "started" | "finished"; ok?: boolean };
export function onJob(handler: (e: JobEvent) => void): Promise<UnlistenFn> {
  return listen<JobEvent>("job", (ev) => handler(ev.payload));
}

/** The sync folder was synchronised in the background and packages came in or went out. */
export function onSync(handler: (r: FolderReport) => void): Promise<UnlistenFn> {
  return listen<FolderReport>("sync", (ev) => handler(ev.payload));
}
/** The app took an automatic backup. */
export function onBackup(handler: (b: BackupInfo) => void): Promise<UnlistenFn> {
  return listen<BackupInfo>("backup", (ev) => handler(ev.payload));
}

/** An automatic backup failed (disk nearly full, backup folder unreachable, …). */
export function onBackupError(handler: (e: CoreError) => void): Promise<UnlistenFn> {
  return listen<CoreError>("backup-error", (ev) => handler(localised(ev.payload)));
}

/** Background synchronisation failed (e.g. the folder became unreadable). */
export function onSyncError(handler: (e: CoreError) => void): Promise<UnlistenFn> {
  return listen<CoreError>("sync-error", (ev) => handler(ev.payload));
}

export { type AppState };

// Native dialogs and the system viewer (official Tauri plugins), kept here with the rest of IPC.
import { open as openDialog, save as saveDialog, ask as askDialog } from "@tauri-apps/plugin-dialog";
import { openPath } from "@tauri-apps/plugin-opener";
import { i18n, t } from "./i18n/i18n.svelte";

export const dialogs = {
  /** Choose a file to read; null when cancelled. */
  openFile: async (title: string, extensions: string[], filterName: string): Promise<string | null> => {
    const r = await openDialog({ title, multiple: false, directory: false, filters: [{ name: filterName, extensions }] });
    return typeof r === "string" ? r : null;
  },
  /** Choose a folder; null when cancelled. */
  openFolder: async (title: string): Promise<string | null> => {
    const r = await openDialog({ title, multiple: false, directory: true });
    return typeof r === "string" ? r : null;
  },
  /** Choose where to write a file; null when cancelled. */
  saveFile: async (title: string, defaultPath: string, extensions: string[], filterName: string): Promise<string | null> => {
    const r = await saveDialog({ title, defaultPath, filters: [{ name: filterName, extensions }] });
    return r ?? null;
  },
  /** Asks before something that cannot be undone; buttons in the user's language. */
  confirm: (message: string, title: string): Promise<boolean> =>
    askDialog(message, { title, kind: "warning", okLabel: t("common.confirm_ok"), cancelLabel: t("common.cancel") }),
  /** Opens a file Mizani wrote in the system's viewer. */
  openInViewer: (path: string): Promise<void> => openPath(path),
};
