//! The TypeScript types of the UI (ui/src/lib/bindings) are generated from the Rust types that
//! cross the IPC boundary. This test fails when the committed files drift from the Rust types;
//! `make bindings` (UPDATE_BINDINGS=1) rewrites them.

use mizani_core::api::{
    BackupInfo, CheckReport, DataRange, DbInfo, EncryptionReport, InitRequest, NewObjective,
    OrgUpdate,
};
use mizani_core::backup::{BackupStatus, DamagedDatabase, RestoreReport};
use mizani_core::boardpack::SpmSection;
use mizani_core::catalogue::IndicatorDef;
use mizani_core::dashboard::{Dashboard, IndicatorTile};
use mizani_core::demo::DemoSummary;
use mizani_core::engine::IndicatorValue;
use mizani_core::entry::{Completeness, EntryCell, EntryGrid, EntrySaveReport};
use mizani_core::export::{ExportFormat, ExportInfo, ExportKind, ExportParams, TemplateRequest};
use mizani_core::import::ImportReport;
use mizani_core::model::{Branch, DataElement, Indicator, Objective, Organisation, Region};
use mizani_core::session::{AppSettings, AppState, RestoreOutcome};
use mizani_core::sheet::{ImportOptions, Inspection, Mapping, Preview, SavedMapping};
use mizani_core::spm::{
    Action, ActionFilter, ActionPatch, AlignmentInput, AlignmentMatrix, AnswerImportReport,
    AnswerInput, Assessment, AssessmentComparison, AssessmentScore, AssessmentSummary,
    AssessmentView, Checklist, Decision, DecisionEffects, DecisionReviewInput, NewAction,
    NewAssessment, NewDecision, PracticeRow, SpmOverview,
};
use mizani_core::sync::{
    Conflict, EnrolReport, FolderReport, JoinReport, PackageExportReport, PackageImportReport,
    SiteInfo, SyncStatus,
};
use mizani_core::CoreError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! export {
        ($($t:ty),+ $(,)?) => { $( <$t>::export_all(&cfg).expect(concat!("export ", stringify!($t))); )+ };
    }
    export!(
        EncryptionReport,
        SyncStatus,
        SiteInfo,
        Conflict,
        PackageImportReport,
        PackageExportReport,
        FolderReport,
        EnrolReport,
        JoinReport,
        AppState,
        AppSettings,
        CoreError,
        Organisation,
        Region,
        Branch,
        DataElement,
        Indicator,
        Objective,
        IndicatorValue,
        Dashboard,
        ImportReport,
        ImportOptions,
        Mapping,
        Inspection,
        Preview,
        SavedMapping,
        DemoSummary,
        CheckReport,
        InitRequest,
        NewObjective,
        OrgUpdate,
        IndicatorDef,
        EntryGrid,
        EntryCell,
        EntrySaveReport,
        Completeness,
        BackupInfo,
        BackupStatus,
        RestoreOutcome,
        RestoreReport,
        DamagedDatabase,
        DbInfo,
        DataRange,
        IndicatorTile,
        Checklist,
        NewAssessment,
        Assessment,
        AnswerInput,
        PracticeRow,
        AssessmentView,
        AssessmentSummary,
        AssessmentScore,
        AssessmentComparison,
        AnswerImportReport,
        NewAction,
        ActionPatch,
        ActionFilter,
        Action,
        AlignmentInput,
        AlignmentMatrix,
        NewDecision,
        DecisionReviewInput,
        Decision,
        DecisionEffects,
        SpmOverview,
        SpmSection,
        ExportFormat,
        ExportKind,
        ExportParams,
        ExportInfo,
        TemplateRequest,
    );
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) == Some("ts") {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                out.insert(name, std::fs::read_to_string(&p).expect("read binding"));
            }
        }
    }
    out
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
    let tmp = tempfile::tempdir().expect("tempdir");
    export_all(tmp.path());
    let fresh = read_dir(tmp.path());
    assert!(
        fresh.len() > 20,
        "every IPC type and its dependencies were generated"
    );
    if std::env::var("UPDATE_BINDINGS").is_ok_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).expect("create bindings dir");
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).expect("write binding");
        }
        return;
    }
    let committed = read_dir(&committed_dir);
    let stale: Vec<&String> = fresh
        .iter()
        .filter(|(n, t)| committed.get(*n) != Some(t))
        .map(|(n, _)| n)
        .collect();
    let extra: Vec<&String> = committed
        .keys()
        .filter(|n| !fresh.contains_key(*n))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "ui/src/lib/bindings drifted from the Rust types (changed or missing: {stale:?}; no longer generated: {extra:?}); run `make bindings` and commit"
    );
}
