-- Mizani schema v2: practices 2, 4 and 5 — client-protection self-assessments with action
-- plans, the alignment of business processes with objectives, and the dual-lens decision log.
-- Append-only: never edit a released migration, add a new file.

-- A self-assessment against the built-in checklist (assets/checklists). The checklist id and
-- version it was started with are kept; answers are keyed by practice code so that they
-- survive a new checklist version.
CREATE TABLE assessment (
    id                 INTEGER PRIMARY KEY,
    title              TEXT NOT NULL CHECK (length(trim(title)) > 0),
    assessed_on        TEXT NOT NULL,                -- YYYY-MM-DD
    assessor           TEXT NOT NULL CHECK (length(trim(assessor)) > 0),
    scope              TEXT NOT NULL DEFAULT 'org'   -- 'org' or 'branch:CODE'
                       CHECK (scope = 'org' OR scope LIKE 'branch:_%'),
    checklist_id       TEXT NOT NULL,
    checklist_version  INTEGER NOT NULL,
    created_at         INTEGER NOT NULL              -- unix seconds
);

CREATE TABLE assessment_answer (
    assessment_id   INTEGER NOT NULL REFERENCES assessment(id) ON DELETE CASCADE,
    practice        TEXT NOT NULL,                   -- checklist practice code, e.g. 4B.2
    answer          TEXT NOT NULL CHECK (answer IN ('yes', 'partial', 'no', 'na')),
    evidence        TEXT NOT NULL DEFAULT '',
    evidence_files  TEXT NOT NULL DEFAULT '[]',      -- JSON array of file references
    note            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment_id, practice)
) WITHOUT ROWID;

-- An action plan item: usually a gap (No / Partially) of an assessment to fix.
CREATE TABLE action (
    id             INTEGER PRIMARY KEY,
    description    TEXT NOT NULL CHECK (length(trim(description)) > 0),
    owner          TEXT NOT NULL CHECK (length(trim(owner)) > 0),
    due_date       TEXT NOT NULL,                    -- YYYY-MM-DD
    status         TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    practice       TEXT,                             -- checklist practice code
    assessment_id  INTEGER REFERENCES assessment(id) ON DELETE SET NULL,
    objective_id   INTEGER REFERENCES objective(id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,                 -- unix seconds
    closed_at      INTEGER,                          -- unix seconds, when done or dropped
    CHECK (assessment_id IS NULL OR practice IS NOT NULL)
);
CREATE INDEX action_assessment ON action(assessment_id, practice);
CREATE INDEX action_objective ON action(objective_id);

-- Practice 4: how each business process bears on each objective. No row = not rated yet.
CREATE TABLE alignment (
    objective_id  INTEGER NOT NULL REFERENCES objective(id) ON DELETE CASCADE,
    process       TEXT NOT NULL CHECK (process IN ('marketing', 'recruitment', 'staff_training',
                      'incentives', 'culture', 'governance', 'product_design', 'pricing')),
    rating        TEXT NOT NULL CHECK (rating IN ('supports', 'neutral', 'works_against')),
    evidence      TEXT NOT NULL DEFAULT '',
    action_id     INTEGER REFERENCES action(id) ON DELETE SET NULL,
    PRIMARY KEY (objective_id, process)
) WITHOUT ROWID;

-- Practice 5: significant decisions with their expected social and financial effects, and
-- what was observed at review.
CREATE TABLE decision (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL CHECK (length(trim(title)) > 0),
    decided_on          TEXT NOT NULL,               -- YYYY-MM-DD
    decided_by          TEXT NOT NULL,
    options_considered  TEXT NOT NULL DEFAULT '',
    expected_social     TEXT NOT NULL,
    expected_financial  TEXT NOT NULL,
    review_on           TEXT NOT NULL,               -- YYYY-MM-DD
    reviewed_on         TEXT,                        -- YYYY-MM-DD, NULL until reviewed
    reviewer            TEXT NOT NULL DEFAULT '',
    observed_social     TEXT NOT NULL DEFAULT '',
    observed_financial  TEXT NOT NULL DEFAULT '',
    CHECK (review_on >= decided_on),
    CHECK (reviewed_on IS NULL OR reviewed_on >= decided_on)
);

CREATE TABLE decision_indicator (
    decision_id   INTEGER NOT NULL REFERENCES decision(id) ON DELETE CASCADE,
    indicator_id  INTEGER NOT NULL REFERENCES indicator(id),
    lens          TEXT NOT NULL CHECK (lens IN ('social', 'financial')),
    expected      TEXT NOT NULL CHECK (expected IN ('up', 'down', 'stable')),
    PRIMARY KEY (decision_id, indicator_id)
) WITHOUT ROWID;
