-- Mizani schema v4: branch <-> head-office synchronisation by signed packages (crates/core/src/sync).
-- Append-only: never edit a released migration, add a new file.

-- Every database that takes part in synchronisation is a site with its own ed25519 key pair.
-- This database's own site is the row with is_self = 1 (its secret key is kept only there).
-- Sites learnt from relayed changes (other branches, seen through head office) have no key.
CREATE TABLE site (
    id          INTEGER PRIMARY KEY,           -- local number, used by the change log
    uid         TEXT NOT NULL UNIQUE,          -- 16 hex digits: the key's fingerprint
    role        TEXT NOT NULL CHECK (role IN ('hq', 'branch')),
    name        TEXT NOT NULL DEFAULT '',
    public_key  BLOB CHECK (public_key IS NULL OR length(public_key) = 32),
    secret_key  BLOB CHECK (secret_key IS NULL OR length(secret_key) = 32),
    is_self     INTEGER NOT NULL DEFAULT 0 CHECK (is_self IN (0, 1)),
    enrolled_at INTEGER,                       -- unix seconds (at head office)
    revoked_at  INTEGER,                       -- unix seconds; packages refused after
    last_sent_at     INTEGER,
    last_received_at INTEGER,
    sent_acks        TEXT                      -- JSON {origin uid: seq} last told to this peer
);
CREATE UNIQUE INDEX site_self ON site(is_self) WHERE is_self = 1;

-- The branches a branch site owns (their measurements and comments).
CREATE TABLE site_branch (
    site_id    INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,
    branch_id  INTEGER NOT NULL REFERENCES branch(id),
    PRIMARY KEY (site_id, branch_id)
) WITHOUT ROWID;

-- The change log: one row per changed field (col = column name), per created row (col = '+',
-- val = JSON object of every column) or per deleted row (col = '-'). lsn is the local order in
-- which changes were made or applied here, which respects causality; (origin, seq) identifies
-- a change everywhere; hlc is its hybrid logical clock (ms << 16 | counter). prev_* is the
-- version of the field the change overwrote where it was made (to detect concurrent edits).
CREATE TABLE change (
    lsn          INTEGER PRIMARY KEY,
    origin       INTEGER NOT NULL REFERENCES site(id),
    seq          INTEGER NOT NULL,
    hlc          INTEGER NOT NULL,
    tbl          TEXT NOT NULL,
    key          TEXT NOT NULL,                -- JSON array of the key's values
    col          TEXT NOT NULL,
    val          TEXT,                         -- JSON
    prev_hlc     INTEGER,
    prev_origin  INTEGER REFERENCES site(id),
    UNIQUE (origin, seq)
);
CREATE INDEX change_row ON change(tbl, key);

-- What this site has of each origin's changes (highest seq, contiguous).
CREATE TABLE site_seen (
    origin  INTEGER PRIMARY KEY REFERENCES site(id),
    seq     INTEGER NOT NULL
);

-- What a peer has acknowledged of each origin's changes (from the peer's packages).
CREATE TABLE peer_ack (
    peer    INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,
    origin  INTEGER NOT NULL REFERENCES site(id),
    seq     INTEGER NOT NULL,
    PRIMARY KEY (peer, origin)
) WITHOUT ROWID;

-- Concurrent edits of the same field: both versions are kept; the winner is applied.
CREATE TABLE sync_conflict (
    id              INTEGER PRIMARY KEY,
    detected_at     INTEGER NOT NULL,
    tbl             TEXT NOT NULL,
    key             TEXT NOT NULL,
    col             TEXT NOT NULL,
    label           TEXT NOT NULL,             -- readable: "measurement BR01 2026-09 loans_disbursed"
    winner_val      TEXT,
    winner_site     TEXT NOT NULL,
    winner_hlc      INTEGER NOT NULL,
    loser_val       TEXT,
    loser_site      TEXT NOT NULL,
    loser_hlc       INTEGER NOT NULL,
    reapplied_at    INTEGER,
    UNIQUE (tbl, key, col, winner_site, winner_hlc, loser_site, loser_hlc)
);

-- Packages refused, and why (the data itself is unchanged).
CREATE TABLE sync_refusal (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    file     TEXT NOT NULL,
    sender   TEXT,
    code     TEXT NOT NULL,
    reason   TEXT NOT NULL
);

-- Settings of this site's synchronisation (one row).
CREATE TABLE sync_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    hlc          INTEGER NOT NULL DEFAULT 0,    -- last clock value issued or seen
    sync_folder  TEXT
);
