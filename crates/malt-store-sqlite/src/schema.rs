//! The SQLite schema and its migrations.
//!
//! Migrations are numbered by their position in [`MIGRATIONS`]; `PRAGMA user_version` holds how
//! many have been applied. Each runs in its own `BEGIN IMMEDIATE` transaction that re-reads the
//! version first, so two processes opening the same file at once (server and CLI) apply each
//! migration exactly once. Migrations are append-only: never edit a released one.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order. Index `i` moves the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- Last UIDVALIDITY handed out; every mailbox creation takes a strictly greater one.
INSERT INTO counters (name, value) VALUES ('uidvalidity', 0);

CREATE TABLE domains (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    domain_id     INTEGER NOT NULL REFERENCES domains(id),
    address       TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    quota_bytes   INTEGER,
    used_bytes    INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    modseq        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX accounts_domain ON accounts(domain_id);

CREATE TABLE aliases (
    id        INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    address   TEXT NOT NULL,
    target    TEXT NOT NULL,
    UNIQUE (address, target)
);
CREATE INDEX aliases_domain ON aliases(domain_id);

CREATE TABLE mail_groups (
    id        INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    address   TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL
);
CREATE INDEX mail_groups_domain ON mail_groups(domain_id);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES mail_groups(id) ON DELETE CASCADE,
    member   TEXT NOT NULL,
    PRIMARY KEY (group_id, member)
) WITHOUT ROWID;

CREATE TABLE app_passwords (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE mailboxes (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    role           TEXT,
    uidvalidity    INTEGER NOT NULL,
    uidnext        INTEGER NOT NULL DEFAULT 1,
    highest_modseq INTEGER NOT NULL DEFAULT 0,
    message_count  INTEGER NOT NULL DEFAULT 0,
    unseen_count   INTEGER NOT NULL DEFAULT 0,
    total_size     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);

CREATE TABLE subscriptions (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL,
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid           INTEGER NOT NULL,
    flags         INTEGER NOT NULL,
    keywords      TEXT NOT NULL,
    modseq        INTEGER NOT NULL,
    internal_date INTEGER NOT NULL,
    save_date     INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    blob_id       TEXT NOT NULL,
    thread_id     INTEGER NOT NULL,
    UNIQUE (mailbox_id, uid)
);

-- Metadata computed at ingest (MessageMeta as JSON), apart from the message row so that flag
-- changes rewrite small rows only (a STORE over 100,000 messages stays cheap).
CREATE TABLE message_meta (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    meta       TEXT NOT NULL
);
CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
CREATE INDEX messages_blob ON messages(blob_id);
CREATE INDEX messages_account ON messages(account_id);

-- Expunged UIDs (RFC 7162 QRESYNC VANISHED).
CREATE TABLE tombstones (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid        INTEGER NOT NULL,
    modseq     INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX tombstones_modseq ON tombstones(mailbox_id, modseq);

-- Message-ID header -> thread id, per account (RFC 8474 THREADID grouping).
CREATE TABLE thread_refs (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    thread_id  INTEGER NOT NULL,
    PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;

-- AUTOINCREMENT: ids are never reused, even after an account's rows are deleted, so the change
-- tailer's cursor stays valid.
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    modseq     INTEGER NOT NULL,
    mailbox_id INTEGER,
    kind       TEXT NOT NULL,
    uids       TEXT NOT NULL
);
CREATE INDEX journal_account ON journal(account_id);
"#,
    // 2: RFC 5464 metadata. `mailbox_id` NULL: a server entry of the account. Names are stored
    // lower-case (case-insensitive, RFC 5464 §3.2); mailbox ids start at 1, so COALESCE to 0
    // makes server entries unique too.
    r#"
CREATE TABLE metadata (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id INTEGER REFERENCES mailboxes(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      BLOB NOT NULL
);
CREATE UNIQUE INDEX metadata_entry ON metadata(account_id, COALESCE(mailbox_id, 0), name);
CREATE INDEX metadata_mailbox ON metadata(mailbox_id);
"#,
    // 3: access control lists (RFC 4314) and per-user \Seen on shared mailboxes.
    r#"
-- One row per (mailbox, identifier). Identifiers are strings (addresses lower-cased, `anyone`,
-- `authenticated`, `-identifier`); rights are the rights letters as given.
CREATE TABLE mailbox_acl (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    rights     TEXT NOT NULL,
    PRIMARY KEY (mailbox_id, identifier)
) WITHOUT ROWID;
CREATE INDEX mailbox_acl_identifier ON mailbox_acl(identifier);

-- A viewer's private \Seen on another account's mailbox; `seen` 0 rows record a clear (for
-- CONDSTORE). `modseq` comes from the mailbox owner's counter. Expunge and move delete
-- the rows of the UIDs they remove; reads join messages anyway.
CREATE TABLE private_seen (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid        INTEGER NOT NULL,
    seen       INTEGER NOT NULL,
    modseq     INTEGER NOT NULL,
    PRIMARY KEY (account_id, mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX private_seen_mailbox ON private_seen(mailbox_id);
"#,
    // 4: outbound queue (RFC 5321 §4.5.4.1, RFC 3461), sending delegations, DKIM keys (RFC 6376)
    // and duplicate suppression by Message-ID.
    r#"
-- A queued outbound message. `next_due` is the earliest `next_attempt` of its Pending
-- recipients (NULL when none; the row is then deleted in the same transaction), kept by every
-- write that changes a recipient, so that claiming and the runner's sleep read one index.
-- `lease_until` is NULL when no node holds the message. Deleting the submitter's account keeps
-- the message (the mail still goes out) without a submitter.
CREATE TABLE queue_messages (
    id          INTEGER PRIMARY KEY,
    blob_id     TEXT NOT NULL,
    size        INTEGER NOT NULL,
    return_path TEXT NOT NULL,
    envid       TEXT,
    ret_full    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    submitter   INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    held        INTEGER NOT NULL DEFAULT 0,
    next_due    INTEGER,
    lease_until INTEGER
);
CREATE INDEX queue_messages_due ON queue_messages(next_due, id) WHERE held = 0;
CREATE INDEX queue_messages_leased ON queue_messages(lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX queue_messages_created ON queue_messages(created_at, id);
CREATE INDEX queue_messages_blob ON queue_messages(blob_id);
CREATE INDEX queue_messages_submitter ON queue_messages(submitter);

-- `status` is 'pending', 'delivered' or 'failed'; `notify` the RFC 3461 NOTIFY bits (NULL: not
-- given); `domain` the lower-case domain of `address`.
CREATE TABLE queue_recipients (
    id             INTEGER PRIMARY KEY,
    message_id     INTEGER NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
    address        TEXT NOT NULL,
    domain         TEXT NOT NULL,
    orcpt          TEXT,
    notify         INTEGER,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_attempt   INTEGER NOT NULL,
    last_error     TEXT,
    delay_notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_recipients_message ON queue_recipients(message_id, id);
-- Pending recipients by due time, per message: recomputing `next_due` reads only these.
CREATE INDEX queue_recipients_pending ON queue_recipients(message_id, next_attempt) WHERE status = 'pending';

-- `account_id` may send as / on behalf of `address` (lower-case); one kind per pair.
CREATE TABLE delegations (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;
CREATE INDEX delegations_address ON delegations(address);

-- DKIM signing keys (secrets: never logged). A replaced key is deleted and inserted again,
-- so `id` orders keys by when they were stored.
CREATE TABLE dkim_keys (
    id              INTEGER PRIMARY KEY,
    domain          TEXT NOT NULL,
    selector        TEXT NOT NULL,
    algorithm       TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (domain, selector)
);

-- Message-IDs delivered to each account, for duplicate suppression.
CREATE TABLE dedup (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE INDEX dedup_seen ON dedup(seen_at);
"#,
    // 5: each message's top-level header block, so that the header fetch a client sends when it
    // opens a folder (and header searches) read small rows instead of decompressing blobs. Messages
    // stored before this have no row; readers fall back to the blob.
    r#"
CREATE TABLE message_headers (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    header     BLOB NOT NULL
);
"#,
    // 6: each message's prefix (the per-recipient trace headers of a delivery), so that the
    // recipients of one delivery share one blob: the message is `prefix ++ blob`. Beside the
    // metadata, which full reads join already; the hot `messages` rows stay small. NULL: none.
    r#"
ALTER TABLE message_meta ADD COLUMN prefix BLOB;
"#,
    // 7: per-account Sieve scripts (RFC 5228, managed over ManageSieve, RFC 5804), at most one
    // active, and the vacation responder's memory (RFC 5230 §4.2).
    r#"
CREATE TABLE sieve_scripts (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    source     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
-- At most one active script per account; the delivery's read of it is one index probe.
CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts(account_id) WHERE active = 1;

-- Vacation responses sent: to `sender` (lower-case) for `handle`, covering the period up
-- to `expires_at`.
CREATE TABLE vacation_sent (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    handle     TEXT NOT NULL,
    sender     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, handle, sender)
) WITHOUT ROWID;
CREATE INDEX vacation_sent_expires ON vacation_sent(expires_at);
"#,
    // 8: calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352); see `dav.rs`.
    r#"
-- A collection of an account. `components`: the supported-calendar-component-set as
-- `VEVENT,VTODO` (empty for address books); `dead_props`: JSON object of the properties with no
-- meaning to the server, Clark name -> XML text. `highest_modseq` is the sync token and CTag.
CREATE TABLE dav_collections (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    display_name   TEXT,
    description    TEXT,
    color          TEXT,
    sort_order     INTEGER,
    components     TEXT NOT NULL,
    timezone       TEXT,
    dead_props     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    highest_modseq INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- An object (one iCalendar or vCard resource). Its content lives in `dav_object_content`, so
-- that listings, sync reports and span queries read small rows. `first_start`/`last_end` are
-- the occurrence span (NULL `first_start`: none; NULL `last_end`: no end).
CREATE TABLE dav_objects (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    uid           TEXT,
    etag          TEXT NOT NULL,
    component     TEXT NOT NULL,
    size          INTEGER NOT NULL,
    first_start   INTEGER,
    last_end      INTEGER,
    modseq        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (collection_id, name)
);
-- CalDAV no-uid-conflict (RFC 4791 §5.3.2.1): NULLs are distinct, so UID-less objects pass.
CREATE UNIQUE INDEX dav_objects_uid ON dav_objects(collection_id, uid);
CREATE INDEX dav_objects_modseq ON dav_objects(collection_id, modseq);

CREATE TABLE dav_object_content (
    object_id INTEGER PRIMARY KEY REFERENCES dav_objects(id) ON DELETE CASCADE,
    content   BLOB NOT NULL
);

-- Names deleted (or moved away), for sync-collection (RFC 6578); removed when the name is used
-- again.
CREATE TABLE dav_tombstones (
    collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    modseq        INTEGER NOT NULL,
    PRIMARY KEY (collection_id, name)
) WITHOUT ROWID;
CREATE INDEX dav_tombstones_modseq ON dav_tombstones(collection_id, modseq);

-- The span index (RFC 4791 §9.9 time-range queries): an R*Tree over (collection, time), one
-- entry per object with a span, keyed by the object's id. R*Tree coordinates are 32-bit floats
-- rounded outwards, so it finds a superset that the query then filters on the exact columns.
-- No end is 9e18 (past any i64 time a client can send). Kept by triggers, which also fire for
-- rows that foreign-key cascades delete.
CREATE VIRTUAL TABLE dav_spans USING rtree(id, collection_lo, collection_hi, start_lo, end_hi);
CREATE TRIGGER dav_spans_insert AFTER INSERT ON dav_objects WHEN NEW.first_start IS NOT NULL
BEGIN
    INSERT INTO dav_spans VALUES (NEW.id, NEW.collection_id, NEW.collection_id, NEW.first_start,
                                  COALESCE(NEW.last_end, 9e18));
END;
CREATE TRIGGER dav_spans_update AFTER UPDATE OF collection_id, first_start, last_end ON dav_objects
BEGIN
    DELETE FROM dav_spans WHERE id = OLD.id;
    INSERT INTO dav_spans SELECT NEW.id, NEW.collection_id, NEW.collection_id, NEW.first_start,
                                 COALESCE(NEW.last_end, 9e18)
                          WHERE NEW.first_start IS NOT NULL;
END;
CREATE TRIGGER dav_spans_delete AFTER DELETE ON dav_objects
BEGIN
    DELETE FROM dav_spans WHERE id = OLD.id;
END;

-- The DAV collection of a `dav_*` journal entry.
ALTER TABLE journal ADD COLUMN collection_id INTEGER;
"#,
    // 9: Sieve duplicate tracking (RFC 7352): the keys (a hash of handle and unique id) seen
    // per account, each until the end of its period.
    r#"
CREATE TABLE sieve_duplicates (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    until      INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
CREATE INDEX sieve_duplicates_until ON sieve_duplicates(until);
"#,
    // 10: sharing of calendars and address books; see `malt_store::dav_share`.
    r#"
-- A grant: `sharee` is the lower-case address of an account or a group, `access` one of
-- `free-busy`, `read`, `read-write`; `modseq` is the owner's of its last change.
CREATE TABLE dav_shares (
    collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    sharee        TEXT NOT NULL,
    access        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    modseq        INTEGER NOT NULL,
    PRIMARY KEY (collection_id, sharee)
) WITHOUT ROWID;
CREATE INDEX dav_shares_sharee ON dav_shares(sharee);

-- A sharee account's answer (`invited`, `accepted`, `declined`) and its own name for the
-- collection; no row: invited.
CREATE TABLE dav_share_answers (
    collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    display_name  TEXT,
    PRIMARY KEY (collection_id, account_id)
) WITHOUT ROWID;
CREATE INDEX dav_share_answers_account ON dav_share_answers(account_id);
"#,
    // 11: the owner's note with a share, and what the notifications need of answers; see
    // `malt_store::dav_share`.
    r#"
-- The owner's `CS:summary` and `CS:common-name` for the sharee.
ALTER TABLE dav_shares ADD COLUMN summary TEXT;
ALTER TABLE dav_shares ADD COLUMN common_name TEXT;
-- When the account answered (Unix seconds; 0 before this was kept), whether it dismissed its
-- invite notification (status `invited`), and whether the owner dismissed the reply
-- notification of the answer. Answers from before count as seen by the owner.
ALTER TABLE dav_share_answers ADD COLUMN answered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dav_share_answers ADD COLUMN invite_dismissed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dav_share_answers ADD COLUMN reply_dismissed INTEGER NOT NULL DEFAULT 0;
UPDATE dav_share_answers SET reply_dismissed = 1;
"#,
    // 12: a sharee's own values of the properties of a collection shared with it (its name,
    // colour and order); see `malt_store::dav_share`.
    r#"
CREATE TABLE dav_sharee_props (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (account_id, collection_id, name)
) WITHOUT ROWID;
CREATE INDEX dav_sharee_props_collection ON dav_sharee_props(collection_id);
"#,
];

/// Applies the pending migrations. Idempotent; safe against a concurrent opener.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version >= target {
            tx.finish()?;
            continue;
        }
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; `target` is an integer we computed.
        tx.execute_batch(&format!("PRAGMA user_version = {target}"))?;
        tx.commit()?;
    }
    Ok(())
}
