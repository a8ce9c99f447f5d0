//! `mizani import`: measurements from CSV or XLSX (long or wide layout) through the core's
//! spreadsheet import (`mizani_core::sheet`). Problems are printed as `Sheet!B7: message`
//! (`file.csv!B7: message` for CSV).

use crate::{open_existing, print_json};
use mizani_core::sheet::{self, ImportOptions, Role};
use mizani_core::{CoreError, ErrorCode};
use std::path::{Path, PathBuf};

/// How many warnings and skipped rows the text output lists (`--json` has them all).
const LISTED: usize = 20;

pub struct ImportArgs {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub mapping: Option<PathBuf>,
    pub period: Option<String>,
    pub write_mapping: Option<PathBuf>,
    pub dry_run: bool,
}

fn read_mapping(path: &Path) -> Result<sheet::Mapping, CoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CoreError::new(
            ErrorCode::Io,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    sheet::mapping_from_json(&text).map_err(|e| {
        CoreError::invalid(format!("{}: {}", path.display(), e.message)).on_field("mapping")
    })
}

pub fn import(db: &Path, json: bool, a: ImportArgs) -> Result<(), CoreError> {
    let mapping = a.mapping.as_deref().map(read_mapping).transpose()?;
    if let Some(out) = &a.write_mapping {
        crate::check_output(out)?;
    }
    let mut store = open_existing(db)?;
    let opts = ImportOptions {
        sheet: a.sheet,
        mapping,
        period: a.period,
        preview_rows: Some(0),
        save_mapping: None,
    };
    if let Some(out) = &a.write_mapping {
        let ins = sheet::inspect_file(&store, &a.file, &opts)?;
        let text = serde_json::to_string_pretty(&ins.mapping)
            .map_err(|e| CoreError::new(ErrorCode::Io, format!("cannot write JSON: {e}")))?;
        std::fs::write(out, format!("{text}\n")).map_err(|e| {
            CoreError::new(
                ErrorCode::Io,
                format!("cannot write {}: {e}", out.display()),
            )
        })?;
        if json {
            print_json(&ins)?;
        } else {
            let unmatched: Vec<&str> = ins
                .mapping
                .columns
                .iter()
                .filter(|c| c.role == Role::Unmatched)
                .map(|c| c.header.as_str())
                .collect();
            outln!(
                "Mapping of {} ({} columns) written to {}",
                ins.file,
                ins.mapping.columns.len(),
                out.display()
            );
            if !unmatched.is_empty() {
                outln!(
                    "  to map: {} (set \"role\": \"data\" with \"element\": CODE, or \"role\": \"ignore\"), then import with --mapping {}",
                    unmatched.join(", "),
                    out.display()
                );
            }
        }
        return Ok(());
    }
    let r = sheet::commit_file(&mut store, &a.file, &opts, a.dry_run)?;
    if json {
        return print_json(&r);
    }
    let wide = r
        .format
        .as_ref()
        .is_some_and(|f| f.layout == Some(sheet::Layout::Wide));
    outln!(
        "{} {}: {} {}, {} new, {} changed, {} unchanged",
        if a.dry_run {
            "Checked (nothing written)"
        } else {
            "Imported"
        },
        r.file,
        r.rows,
        if wide { "values" } else { "rows" },
        r.inserted,
        r.updated,
        r.unchanged
    );
    if let Some(f) = &r.format {
        let mut parts: Vec<String> = Vec::new();
        match &r.sheet {
            Some(s) => parts.push(format!("XLSX sheet '{s}'")),
            None => parts.push(format!(
                "CSV ({}, separator {})",
                f.encoding.as_deref().unwrap_or("?"),
                f.separator.as_deref().unwrap_or("?")
            )),
        }
        if let Some(l) = f.layout {
            parts.push(format!(
                "{} layout",
                match l {
                    sheet::Layout::Long => "long",
                    sheet::Layout::Wide => "wide",
                }
            ));
        }
        parts.push(if f.header_rows > 1 {
            format!(
                "header rows {}–{}",
                f.header_row,
                f.header_row.saturating_add(f.header_rows.saturating_sub(1))
            )
        } else {
            format!("header row {}", f.header_row)
        });
        parts.push(f.numbers.describe());
        if let (Some(p), Some(src)) = (&f.period, &f.period_source) {
            parts.push(format!("period {p} (from the {src})"));
        }
        outln!("  read as {}", parts.join(", "));
    }
    if r.mapping_saved {
        outln!(
            "  mapping saved: files like {} will be read the same way",
            r.file
        );
    }
    for n in &r.notices {
        outln!("  note: {n}");
    }
    for s in r.skipped.iter().take(LISTED) {
        outln!("  skipped {}: {}", s.cell, s.reason);
    }
    if r.skipped.len() > LISTED {
        outln!("  … and {} more skipped rows", r.skipped.len() - LISTED);
    }
    for w in r.warnings.iter().take(LISTED) {
        outln!("  warning {}: {}", w.cell, w.message);
    }
    let total = r.warnings_total as usize;
    if total > LISTED.min(r.warnings.len()) {
        outln!(
            "  … and {} more warnings (--json lists them)",
            total - LISTED.min(r.warnings.len())
        );
    }
    Ok(())
}
