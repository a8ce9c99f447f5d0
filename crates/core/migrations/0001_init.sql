-- Mizani schema v1. Append-only: never edit a released migration, add a new file.

CREATE TABLE organisation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    uid             TEXT NOT NULL,
    name            TEXT NOT NULL CHECK (length(trim(name)) > 0),
    country         TEXT,
    currency        TEXT NOT NULL,
    language        TEXT NOT NULL CHECK (language IN ('en', 'fr', 'es')),
    gni_per_capita  REAL CHECK (gni_per_capita IS NULL OR gni_per_capita > 0),
    mission         TEXT NOT NULL DEFAULT '',
    org_values      TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    created_at      INTEGER NOT NULL
);

CREATE TABLE region (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE branch (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    region_id  INTEGER REFERENCES region(id),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE data_element (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    name_fr         TEXT,
    name_es         TEXT,
    description     TEXT NOT NULL DEFAULT '',
    unit            TEXT NOT NULL CHECK (unit IN ('count', 'currency', 'number')),
    kind            TEXT NOT NULL CHECK (kind IN ('stock', 'flow')),
    allow_negative  INTEGER NOT NULL DEFAULT 0 CHECK (allow_negative IN (0, 1)),
    builtin         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE indicator (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    name_fr          TEXT,
    name_es          TEXT,
    description      TEXT NOT NULL DEFAULT '',
    numerator        TEXT NOT NULL,
    denominator      TEXT NOT NULL,
    factor           REAL NOT NULL DEFAULT 1,
    unit             TEXT NOT NULL,          -- '%', 'ratio', 'currency', 'count', 'number'
    direction        TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    green            REAL,                   -- threshold reaching green
    red              REAL,                   -- threshold past which it is red
    category         TEXT NOT NULL CHECK (category IN ('social', 'financial', 'client_protection', 'environmental')),
    annualise        INTEGER NOT NULL DEFAULT 0 CHECK (annualise IN (0, 1)),
    formula_version  INTEGER NOT NULL DEFAULT 1,
    builtin          INTEGER NOT NULL DEFAULT 0
);

-- Every formula an indicator ever had, so a value can always be explained.
CREATE TABLE indicator_formula (
    indicator_id  INTEGER NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    numerator     TEXT NOT NULL,
    denominator   TEXT NOT NULL,
    factor        REAL NOT NULL,
    annualise     INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL,
    changed_by    TEXT NOT NULL,
    PRIMARY KEY (indicator_id, version)
);

CREATE TABLE objective (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description  TEXT NOT NULL DEFAULT '',
    practice     INTEGER NOT NULL CHECK (practice BETWEEN 1 AND 5),
    dimension    TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    archived     INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    CHECK (end_date >= start_date)
);

CREATE TABLE objective_activity (
    id            INTEGER PRIMARY KEY,
    objective_id  INTEGER NOT NULL REFERENCES objective(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    text          TEXT NOT NULL
);
CREATE INDEX objective_activity_objective ON objective_activity(objective_id);

CREATE TABLE objective_indicator (
    id               INTEGER PRIMARY KEY,
    objective_id     INTEGER NOT NULL REFERENCES objective(id) ON DELETE CASCADE,
    indicator_id     INTEGER NOT NULL REFERENCES indicator(id),
    baseline_value   REAL,
    baseline_period  TEXT,
    UNIQUE (objective_id, indicator_id)
);

CREATE TABLE target (
    id                      INTEGER PRIMARY KEY,
    objective_indicator_id  INTEGER NOT NULL REFERENCES objective_indicator(id) ON DELETE CASCADE,
    period                  TEXT NOT NULL,
    branch_id               INTEGER REFERENCES branch(id),
    value                   REAL NOT NULL
);
CREATE UNIQUE INDEX target_unique ON target(objective_indicator_id, period, ifnull(branch_id, 0));

-- Monthly raw figures. Clustered by element then month so that the engine reads ranges.
CREATE TABLE measurement (
    element_id  INTEGER NOT NULL REFERENCES data_element(id),
    month       INTEGER NOT NULL,            -- year * 12 + month - 1
    branch_id   INTEGER NOT NULL REFERENCES branch(id),
    value       REAL NOT NULL,
    comment     TEXT,
    entered_by  TEXT NOT NULL,
    entered_at  INTEGER NOT NULL,            -- unix seconds
    PRIMARY KEY (element_id, month, branch_id)
) WITHOUT ROWID;
CREATE INDEX measurement_branch_month ON measurement(branch_id, month);

-- The audit trail: every write, through one path (store::WriteTx).
CREATE TABLE audit_batch (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,             -- unix seconds
    user_name  TEXT NOT NULL,
    action     TEXT NOT NULL
);
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES audit_batch(id),
    entity      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX audit_entity ON audit(entity, entity_key);
