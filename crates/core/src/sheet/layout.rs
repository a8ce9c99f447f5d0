//! Finding the header of a sheet (one or two rows, below any title rows) and matching each
//! header to what the column holds: branch, period, element, value, comment, a data
//! element's figures, or nothing to import.

use super::parse::fold;
use super::read::{Cell, Row, Sheet};
use super::{ColumnMapping, Role};
use crate::model::{DataElement, ElementUnit};
use std::collections::HashMap;

/// How many non-empty rows at the top of a sheet may hold titles and the header.
const HEADER_SCAN: usize = 30;

const BRANCH_WORDS: &[&str] = &[
    "branch",
    "branch code",
    "branch id",
    "code branch",
    "agence",
    "code agence",
    "agence code",
    "code de l agence",
    "agencia",
    "codigo agencia",
    "codigo de agencia",
    "sucursal",
    "codigo sucursal",
    "oficina",
    "office",
    "bureau",
    "succursale",
    "guichet",
    "point de service",
];
/// Branch names: a branch column only when no other column names the branch.
const BRANCH_NAME_WORDS: &[&str] = &[
    "branch name",
    "name",
    "nom",
    "nom agence",
    "nom de l agence",
    "nombre",
    "nombre agencia",
    "nombre de la agencia",
    "nombre sucursal",
];
const PERIOD_WORDS: &[&str] = &[
    "period",
    "month",
    "periode",
    "mois",
    "periodo",
    "mes",
    "date",
    "fecha",
    "month end",
    "fin de mois",
    "year month",
    "annee mois",
    "mois annee",
    "ano mes",
];
const ELEMENT_WORDS: &[&str] = &[
    "element",
    "data element",
    "element code",
    "code element",
    "elemento",
    "codigo elemento",
    "donnee",
    "code donnee",
    "variable",
    "item",
    "rubrique",
    "concepto",
];
const VALUE_WORDS: &[&str] = &[
    "value", "valeur", "valor", "montant", "amount", "monto", "figure", "chiffre", "cantidad",
];
const COMMENT_WORDS: &[&str] = &[
    "comment",
    "comments",
    "commentaire",
    "commentaires",
    "comentario",
    "comentarios",
    "note",
    "notes",
    "remarque",
    "remarques",
    "observation",
    "observations",
    "observacion",
    "observaciones",
];
/// Columns that never hold figures to import (ignored without asking).
const IGNORE_WORDS: &[&str] = &[
    "region",
    "region name",
    "zone",
    "zona",
    "province",
    "provincia",
    "departement",
    "ville",
    "city",
    "ciudad",
    "n",
    "no",
    "nr",
    "num",
    "numero",
    "id",
    "responsable",
    "manager",
    "gerant",
    "gerente",
    "total",
    "totaux",
    "total general",
    "sous total",
    "subtotal",
    "suma",
    "somme",
];

/// Branches and data elements as header and cell matching needs them.
pub struct Catalogue {
    pub elements: Vec<DataElement>,
    /// Folded code or name → (element index, how it matched).
    element_keys: HashMap<String, (usize, &'static str)>,
    pub branches: Vec<crate::model::Branch>,
    branch_codes: HashMap<String, usize>,
    branch_folded: HashMap<String, usize>,
}

impl Catalogue {
    pub fn load(conn: &rusqlite::Connection) -> crate::Result<Catalogue> {
        crate::repo::organisation(conn)?;
        let elements = crate::repo::elements(conn)?;
        let branches = crate::repo::branches(conn)?;
        Ok(Catalogue::new(elements, branches))
    }

    pub fn new(elements: Vec<DataElement>, branches: Vec<crate::model::Branch>) -> Catalogue {
        let mut element_keys = HashMap::new();
        // Codes first, so that a name never shadows another element's code.
        for (i, e) in elements.iter().enumerate() {
            element_keys.entry(fold(&e.code)).or_insert((i, "code"));
        }
        for (i, e) in elements.iter().enumerate() {
            element_keys
                .entry(fold(&e.name.en))
                .or_insert((i, "English name"));
            if let Some(n) = &e.name.fr {
                element_keys.entry(fold(n)).or_insert((i, "French name"));
            }
            if let Some(n) = &e.name.es {
                element_keys.entry(fold(n)).or_insert((i, "Spanish name"));
            }
        }
        element_keys.remove("");
        let mut branch_codes = HashMap::new();
        let mut branch_folded = HashMap::new();
        for (i, b) in branches.iter().enumerate() {
            branch_codes.insert(b.code.clone(), i);
            branch_folded.entry(fold(&b.code)).or_insert(i);
        }
        for (i, b) in branches.iter().enumerate() {
            branch_folded.entry(fold(&b.name)).or_insert(i);
        }
        branch_folded.remove("");
        Catalogue {
            elements,
            element_keys,
            branches,
            branch_codes,
            branch_folded,
        }
    }

    /// The element a header or cell names (code, or name in any language; case and accents
    /// ignored; a unit in parentheses ignored).
    pub fn element(&self, text: &str) -> Option<(usize, &'static str)> {
        let t = text.trim();
        if let Some(i) = self.elements.iter().position(|e| e.code == t) {
            return Some((i, "code"));
        }
        for candidate in variants(t) {
            if let Some(&hit) = self.element_keys.get(&candidate) {
                return Some(hit);
            }
        }
        None
    }

    /// The branch a cell names: its code (exactly, then ignoring case) or its name.
    pub fn branch(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        if let Some(&i) = self.branch_codes.get(t) {
            return Some(i);
        }
        self.branch_folded.get(&fold(t)).copied()
    }

    pub fn element_by_code(&self, code: &str) -> Option<usize> {
        self.elements.iter().position(|e| e.code == code.trim())
    }

    pub fn is_count(&self, i: usize) -> bool {
        self.elements
            .get(i)
            .is_some_and(|e| e.unit == ElementUnit::Count)
    }
}

/// The folded header, without a parenthesised part, and the parenthesised part alone.
fn variants(text: &str) -> Vec<String> {
    let mut out = vec![fold(text)];
    if let (Some(open), Some(close)) = (text.find(['(', '[']), text.rfind([')', ']'])) {
        if open < close {
            let outside = format!("{}{}", &text[..open], text.get(close + 1..).unwrap_or(""));
            let inside = text.get(open + 1..close).unwrap_or("");
            out.push(fold(&outside));
            out.push(fold(inside));
        }
    }
    out.retain(|v| !v.is_empty());
    out
}

/// What a header names, and how we know.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub role: Role,
    pub element: Option<String>,
    pub how: String,
}

fn in_list(list: &[&str], folded: &str) -> bool {
    list.contains(&folded)
}

/// Matches one header text (already combined from two rows when there are two).
pub fn match_header(text: &str, cat: &Catalogue) -> Option<Matched> {
    let f = fold(text);
    if f.is_empty() {
        return None;
    }
    let role = |role: Role, how: &str| {
        Some(Matched {
            role,
            element: None,
            how: how.to_string(),
        })
    };
    if in_list(BRANCH_WORDS, &f) {
        return role(Role::Branch, "branch column");
    }
    if in_list(PERIOD_WORDS, &f) {
        return role(Role::Period, "period column");
    }
    if in_list(ELEMENT_WORDS, &f) {
        return role(Role::Element, "element column");
    }
    if in_list(VALUE_WORDS, &f) {
        return role(Role::Value, "value column");
    }
    if in_list(COMMENT_WORDS, &f) {
        return role(Role::Comment, "comment column");
    }
    if let Some((i, how)) = cat.element(text) {
        return Some(Matched {
            role: Role::Data,
            element: cat.elements.get(i).map(|e| e.code.clone()),
            how: format!("data element ({how})"),
        });
    }
    if in_list(BRANCH_NAME_WORDS, &f) {
        return role(Role::Branch, "branch name column");
    }
    if in_list(IGNORE_WORDS, &f) || f.starts_with("total") {
        return role(Role::Ignore, "not a figure column");
    }
    None
}

/// The header rows of a sheet.
#[derive(Debug, Clone)]
pub struct Header {
    /// Index in `sheet.rows` of the first header row.
    pub first: usize,
    /// 1 or 2 rows.
    pub depth: usize,
    /// One text per column (two rows joined with " / ").
    pub texts: Vec<String>,
    /// Per column, the text to match (the lower row's, else the upper's).
    pub keys: Vec<Vec<String>>,
}

impl Header {
    /// Index in `sheet.rows` of the first data row.
    pub fn data_start(&self) -> usize {
        self.first + self.depth
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        other => other.display(),
    }
}

/// Builds the header texts of rows `rows` (one or two rows, the upper carried right over
/// empty cells as a merged cell would be).
fn header_of(rows: &[&Row]) -> (Vec<String>, Vec<Vec<String>>) {
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    match rows {
        [one] => {
            let texts: Vec<String> = (0..width).map(|c| cell_text(one.get(c))).collect();
            let keys = texts.iter().map(|t| vec![t.clone()]).collect();
            (texts, keys)
        }
        [upper, lower] => {
            let mut carried = String::new();
            let mut texts = Vec::with_capacity(width);
            let mut keys = Vec::with_capacity(width);
            for c in 0..width {
                let u = cell_text(upper.get(c));
                let l = cell_text(lower.get(c));
                if !u.is_empty() {
                    carried = u.clone();
                }
                // Carry the group name right only over columns that have a lower header.
                let up = if u.is_empty() && !l.is_empty() {
                    carried.clone()
                } else {
                    u
                };
                let (text, key) = match (up.is_empty(), l.is_empty()) {
                    (true, true) => (String::new(), vec![]),
                    (false, true) => (up.clone(), vec![up]),
                    (true, false) => (l.clone(), vec![l]),
                    (false, false) if fold(&up) == fold(&l) => (l.clone(), vec![l]),
                    (false, false) => (
                        format!("{up} / {l}"),
                        vec![l.clone(), format!("{up} {l}"), up],
                    ),
                };
                texts.push(text);
                keys.push(key);
            }
            (texts, keys)
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// Matches a column's header keys (tried in order).
pub fn match_keys(keys: &[String], cat: &Catalogue) -> Option<Matched> {
    keys.iter().find_map(|k| match_header(k, cat))
}

fn score(keys: &[Vec<String>], row_cells: &[&Row], cat: &Catalogue) -> i32 {
    let mut s = 0;
    let mut roles: Vec<Role> = Vec::new();
    for k in keys {
        if let Some(m) = match_keys(k, cat) {
            match m.role {
                Role::Data => s += 2,
                Role::Ignore => s += 1,
                r if !roles.contains(&r) => {
                    roles.push(r);
                    s += 3;
                }
                _ => {}
            }
        }
    }
    for r in row_cells {
        s -= r
            .cells
            .iter()
            .filter(|c| matches!(c, Cell::Number(_) | Cell::Date(..)))
            .count() as i32;
    }
    s
}

fn texty(r: &Row) -> bool {
    !r.cells.iter().any(|c| matches!(c, Cell::Number(_)))
}

/// Finds the header: the row (or pair of adjacent rows) among the first rows whose headers
/// match the most roles and data elements. `forced`: (first row number, depth) given by the
/// user.
pub fn find_header(sheet: &Sheet, cat: &Catalogue, forced: Option<(u32, u32)>) -> Option<Header> {
    if sheet.rows.is_empty() {
        return None;
    }
    let make = |first: usize, depth: usize| -> Header {
        let rows: Vec<&Row> = sheet.rows.iter().skip(first).take(depth).collect();
        let (texts, keys) = header_of(&rows);
        Header {
            first,
            depth: rows.len().max(1),
            texts,
            keys,
        }
    };
    if let Some((number, depth)) = forced {
        let first = sheet.rows.iter().position(|r| r.number >= number)?;
        let depth = (depth.clamp(1, 2)) as usize;
        let depth = if depth == 2
            && sheet
                .rows
                .get(first + 1)
                .is_some_and(|r| Some(r.number) == sheet.rows[first].number.checked_add(1))
        {
            2
        } else {
            1
        };
        return Some(make(first, depth));
    }
    let mut best: Option<(i32, usize, usize)> = None;
    let n = sheet.rows.len().min(HEADER_SCAN);
    for i in 0..n {
        let r = &sheet.rows[i];
        let (_, keys) = header_of(&[r]);
        let s = score(&keys, &[r], cat);
        if best.is_none_or(|b| s > b.0) {
            best = Some((s, i, 1));
        }
        if let Some(next) = sheet.rows.get(i + 1) {
            if Some(next.number) == r.number.checked_add(1) && texty(r) && texty(next) {
                let (_, keys) = header_of(&[r, next]);
                let s2 = score(&keys, &[r, next], cat);
                if best.is_none_or(|b| s2 > b.0) {
                    best = Some((s2, i, 2));
                }
            }
        }
    }
    match best {
        Some((s, i, d)) if s >= 2 => Some(make(i, d)),
        _ => Some(make(0, 1)),
    }
}

/// The automatic mapping of a header: every column matched on its own; of several branch or
/// period columns the first is used and the others ignored.
pub fn suggest(header: &Header, cat: &Catalogue) -> (Vec<ColumnMapping>, Vec<String>) {
    let mut out = Vec::new();
    let mut how = Vec::new();
    let mut has_branch_code = false;
    let matched: Vec<Option<Matched>> = header.keys.iter().map(|k| match_keys(k, cat)).collect();
    for m in matched.iter().flatten() {
        if m.role == Role::Branch && m.how == "branch column" {
            has_branch_code = true;
        }
    }
    let mut seen: Vec<Role> = Vec::new();
    for (text, m) in header.texts.iter().zip(matched) {
        let (role, element, h) = match m {
            None if text.trim().is_empty() => (Role::Ignore, None, "empty header".to_string()),
            None => (Role::Unmatched, None, "no match".to_string()),
            Some(m) => {
                let single = matches!(
                    m.role,
                    Role::Branch | Role::Period | Role::Element | Role::Value | Role::Comment
                );
                if m.role == Role::Branch && m.how == "branch name column" && has_branch_code {
                    (
                        Role::Ignore,
                        None,
                        "branch names (the codes are used)".to_string(),
                    )
                } else if single && seen.contains(&m.role) {
                    (
                        Role::Ignore,
                        None,
                        format!("second {} column", m.role.as_str()),
                    )
                } else {
                    if single {
                        seen.push(m.role);
                    }
                    (m.role, m.element, m.how)
                }
            }
        };
        out.push(ColumnMapping {
            header: text.clone(),
            role,
            element,
        });
        how.push(h);
    }
    (out, how)
}
