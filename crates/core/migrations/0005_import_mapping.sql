-- Mizani schema v5: spreadsheet import mappings, saved per source (crates/core/src/sheet).
-- Append-only: never edit a released migration, add a new file.

-- How the columns of a kind of file map to measurements, so that next month's file of the
-- same source imports without asking. A source is a file name pattern (lower case, every run
-- of digits as '*': "rapport-agences-*-*.xlsx") and the set of its headers (folded, sorted,
-- JSON array). Local to this database: not synchronised.
CREATE TABLE import_mapping (
    id          INTEGER PRIMARY KEY,
    pattern     TEXT NOT NULL,
    headers     TEXT NOT NULL,
    mapping     TEXT NOT NULL,              -- JSON of sheet::Mapping
    created_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL,
    UNIQUE (pattern, headers)
);
CREATE INDEX import_mapping_headers ON import_mapping(headers);
