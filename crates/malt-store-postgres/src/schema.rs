//! Schema migrations, applied at open. `malt_schema_version` records applied versions; each
//! migration runs in its own transaction holding `pg_advisory_xact_lock` on a key derived from
//! the schema name, so two nodes starting together apply each migration exactly once (the second
//! waits, then sees the version recorded).
//!
//! Integers: UIDs, UIDVALIDITY and sizes are `bigint` (u32/u64 do not fit PostgreSQL's signed
//! `integer`). Deleting an account cascades to everything it owns.

use deadpool_postgres::Object;
use malt_store::Result;

use crate::pg_err;

/// Migrations in order; never edit a released one, add a new version instead.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, V1),
    (2, V2),
    (3, V3_ACL),
    (4, V4_QUEUE),
    (5, V5_HEADERS),
    (6, V6_PREFIX),
    (7, V7_SIEVE),
    (8, V8_DAV),
    (9, V9_SIEVE_DUPLICATES),
    (10, V10_DAV_SHARES),
    (11, V11_DAV_SHARE_NOTIFICATIONS),
    (12, V12_DAV_SHAREE_PROPS),
];

const V1: &str = r#"
CREATE SEQUENCE malt_uidvalidity AS bigint MINVALUE 1 MAXVALUE 4294967295;
-- UIDVALIDITY values start from the current Unix time, so a store rebuilt from scratch does
-- not reuse values a client may have cached (RFC 9051 section 2.3.1.1).
SELECT setval('malt_uidvalidity', GREATEST(1, extract(epoch FROM now())::bigint));

CREATE TABLE domains (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    domain_id bigint NOT NULL REFERENCES domains(id),
    address text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    quota_bytes bigint,
    used_bytes bigint NOT NULL DEFAULT 0,
    message_count bigint NOT NULL DEFAULT 0,
    modseq bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL
);

CREATE TABLE aliases (
    id bigserial PRIMARY KEY,
    domain_id bigint NOT NULL REFERENCES domains(id),
    address text NOT NULL,
    target text NOT NULL,
    UNIQUE (address, target)
);

CREATE TABLE groups (
    id bigserial PRIMARY KEY,
    domain_id bigint NOT NULL REFERENCES domains(id),
    address text NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE group_members (
    group_id bigint NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member text NOT NULL,
    PRIMARY KEY (group_id, member)
);

CREATE TABLE app_passwords (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name text NOT NULL,
    hash text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE mailboxes (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name text NOT NULL,
    role text,
    uidvalidity bigint NOT NULL,
    uidnext bigint NOT NULL DEFAULT 1,
    highest_modseq bigint NOT NULL DEFAULT 0,
    message_count bigint NOT NULL DEFAULT 0,
    unseen_count bigint NOT NULL DEFAULT 0,
    total_size bigint NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);

CREATE TABLE subscriptions (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name text NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid bigint NOT NULL,
    flags integer NOT NULL,
    keywords text NOT NULL,
    modseq bigint NOT NULL,
    internal_date bigint NOT NULL,
    save_date bigint NOT NULL,
    size bigint NOT NULL,
    blob_id text NOT NULL,
    thread_id bigint NOT NULL
);
-- Unique UIDs per mailbox; the INCLUDE columns let listings (UID, flags, modseq of a whole
-- mailbox) be answered from the index alone.
CREATE UNIQUE INDEX messages_mailbox_uid ON messages (mailbox_id, uid) INCLUDE (flags, keywords, modseq);
CREATE INDEX messages_mailbox_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_account ON messages (account_id);
CREATE INDEX messages_blob ON messages (blob_id);

-- Parsed metadata (JSON of `MessageMeta`), apart from the messages row so that flag updates and
-- listings touch small rows. Written once at append (and copied with COPY); MOVE keeps it.
CREATE TABLE message_meta (
    message_id bigint PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    meta text NOT NULL
);

CREATE TABLE tombstones (
    mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid bigint NOT NULL,
    modseq bigint NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX tombstones_modseq ON tombstones (mailbox_id, modseq);

-- mailbox_id has no foreign key: entries of deleted mailboxes stay in the journal.
CREATE TABLE journal (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    modseq bigint NOT NULL,
    mailbox_id bigint,
    kind text NOT NULL,
    uids text NOT NULL
);
CREATE INDEX journal_account ON journal (account_id);

-- Message-ID header (without angle brackets) -> thread of the first message that had it.
CREATE TABLE thread_map (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id text NOT NULL,
    thread_id bigint NOT NULL,
    PRIMARY KEY (account_id, message_id)
);
"#;

/// RFC 5464 metadata. `mailbox_id` NULL: a server entry of the account. Names are stored
/// lower-case (case-insensitive, RFC 5464 §3.2); mailbox ids start at 1, so COALESCE to 0 makes
/// server entries unique too.
const V2: &str = r#"
CREATE TABLE metadata (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id bigint REFERENCES mailboxes(id) ON DELETE CASCADE,
    name text NOT NULL,
    value bytea NOT NULL
);
CREATE UNIQUE INDEX metadata_entry ON metadata (account_id, COALESCE(mailbox_id, 0), name);
CREATE INDEX metadata_mailbox ON metadata (mailbox_id);
"#;

/// Access control lists (RFC 4314) and per-user \Seen on shared mailboxes.
const V3_ACL: &str = r#"
-- One row per (mailbox, identifier); identifiers are strings (addresses lower-cased, `anyone`,
-- `authenticated`, `-identifier`), rights the rights letters as given.
CREATE TABLE mailbox_acl (
    mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    identifier text NOT NULL,
    rights text NOT NULL,
    PRIMARY KEY (mailbox_id, identifier)
);
CREATE INDEX mailbox_acl_identifier ON mailbox_acl (identifier);

-- A viewer's private \Seen on another account's mailbox; `seen = false` rows record a clear
-- (for CONDSTORE). `modseq` comes from the mailbox owner's counter. Expunge and move delete
-- the rows of the UIDs they remove; reads join messages anyway.
CREATE TABLE private_seen (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid bigint NOT NULL,
    seen boolean NOT NULL,
    modseq bigint NOT NULL,
    PRIMARY KEY (account_id, mailbox_id, uid)
);
CREATE INDEX private_seen_mailbox ON private_seen (mailbox_id);
"#;

/// Outbound queue (RFC 5321 §4.5.4.1, RFC 3461), sending delegations, DKIM keys (RFC 6376) and
/// duplicate suppression by Message-ID.
const V4_QUEUE: &str = r#"
-- A queued outbound message. `next_due` is the earliest `next_attempt` of its Pending
-- recipients (NULL when none; the row is then deleted in the same transaction), kept by every
-- write that changes a recipient, so that claiming and the runner's sleep read one index.
-- `lease_until` is NULL when no node holds the message. Deleting the submitter's account keeps
-- the message (the mail still goes out) without a submitter.
CREATE TABLE queue_messages (
    id bigserial PRIMARY KEY,
    blob_id text NOT NULL,
    size bigint NOT NULL,
    return_path text NOT NULL,
    envid text,
    ret_full boolean NOT NULL,
    created_at bigint NOT NULL,
    submitter bigint REFERENCES accounts(id) ON DELETE SET NULL,
    held boolean NOT NULL DEFAULT false,
    next_due bigint,
    lease_until bigint
);
CREATE INDEX queue_messages_due ON queue_messages (next_due, id) WHERE held = false;
CREATE INDEX queue_messages_leased ON queue_messages (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX queue_messages_created ON queue_messages (created_at, id);
CREATE INDEX queue_messages_blob ON queue_messages (blob_id);
CREATE INDEX queue_messages_submitter ON queue_messages (submitter);

-- `status` is 'pending', 'delivered' or 'failed'; `notify` the RFC 3461 NOTIFY bits (NULL: not
-- given); `domain` the lower-case domain of `address`.
CREATE TABLE queue_recipients (
    id bigserial PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
    address text NOT NULL,
    domain text NOT NULL,
    orcpt text,
    notify bigint,
    status text NOT NULL,
    attempts bigint NOT NULL DEFAULT 0,
    next_attempt bigint NOT NULL,
    last_error text,
    delay_notified boolean NOT NULL DEFAULT false
);
CREATE INDEX queue_recipients_message ON queue_recipients (message_id, id);
-- Pending recipients by due time, per message: recomputing `next_due` reads only these.
CREATE INDEX queue_recipients_pending ON queue_recipients (message_id, next_attempt) WHERE status = 'pending';

-- `account_id` may send as / on behalf of `address` (lower-case); one kind per pair.
CREATE TABLE delegations (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address text NOT NULL,
    kind text NOT NULL,
    PRIMARY KEY (account_id, address)
);
CREATE INDEX delegations_address ON delegations (address);

-- DKIM signing keys (secrets: never logged). A replaced key is deleted and inserted again,
-- so `id` orders keys by when they were stored.
CREATE TABLE dkim_keys (
    id bigserial PRIMARY KEY,
    domain text NOT NULL,
    selector text NOT NULL,
    algorithm text NOT NULL,
    private_key_pem text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (domain, selector)
);

-- Message-IDs delivered to each account, for duplicate suppression.
CREATE TABLE dedup (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id text NOT NULL,
    seen_at bigint NOT NULL,
    PRIMARY KEY (account_id, message_id)
);
CREATE INDEX dedup_seen ON dedup (seen_at);
"#;

/// Each message's top-level header block, so that header fetches and header searches read small
/// rows instead of blobs. Messages stored before this have no row; readers fall back to the blob.
const V5_HEADERS: &str = r#"
CREATE TABLE message_headers (
    message_id bigint PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    header bytea NOT NULL
);
"#;

/// Each message's prefix (the per-recipient trace headers of a delivery), so that the recipients
/// of one delivery share one blob: the message is `prefix ++ blob`. Beside the metadata, which
/// full reads join already; the hot `messages` rows stay small. A nullable column without a
/// default: adding it rewrites no rows. NULL: none.
const V6_PREFIX: &str = r#"
ALTER TABLE message_meta ADD COLUMN prefix bytea;
"#;

/// Per-account Sieve scripts (RFC 5228, managed over ManageSieve, RFC 5804), at most one active
/// (a partial unique index, which is also the delivery's one-probe read of it), and the vacation
/// responder's memory (RFC 5230 §4.2): responses sent to `sender` (lower-case) for `handle`,
/// covering the period up to `expires_at`.
const V7_SIEVE: &str = r#"
CREATE TABLE sieve_scripts (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name text COLLATE "C" NOT NULL,
    source text NOT NULL,
    size bigint NOT NULL,
    active boolean NOT NULL DEFAULT false,
    updated_at bigint NOT NULL,
    PRIMARY KEY (account_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts (account_id) WHERE active;

CREATE TABLE vacation_sent (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    handle text NOT NULL,
    sender text NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (account_id, handle, sender)
);
CREATE INDEX vacation_sent_expires ON vacation_sent (expires_at);
"#;

/// Calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352); see `store_impl/dav.rs`.
/// `components`: the supported-calendar-component-set as `VEVENT,VTODO`; `dead_props`: JSON text
/// of the properties with no meaning to the server (Clark name -> XML text); `highest_modseq` is
/// the collection's sync token and CTag. Object content lives apart in `dav_object_content`, so
/// that listings and sync reports read small rows. `span` is the occurrence span as a box over
/// (collection, time) — x is the collection id, y from `first_start` to `last_end` (no end:
/// 9e18) — with a GiST index: a time-range query (RFC 4791 §9.9) finds its candidates with `&&`
/// on the index, then filters on the exact columns. Built-in types only (no btree_gist).
const V8_DAV: &str = r#"
CREATE TABLE dav_collections (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind text NOT NULL,
    name text NOT NULL,
    display_name text,
    description text,
    color text,
    sort_order bigint,
    components text NOT NULL,
    timezone text,
    dead_props text NOT NULL,
    created_at bigint NOT NULL,
    highest_modseq bigint NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE dav_objects (
    id bigserial PRIMARY KEY,
    collection_id bigint NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name text NOT NULL,
    uid text,
    etag text NOT NULL,
    component text NOT NULL,
    size bigint NOT NULL,
    first_start bigint,
    last_end bigint,
    modseq bigint NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    span box GENERATED ALWAYS AS (
        CASE WHEN first_start IS NULL THEN NULL
             ELSE box(point(collection_id, first_start), point(collection_id, COALESCE(last_end, 9e18)))
        END) STORED,
    UNIQUE (collection_id, name)
);
-- CalDAV no-uid-conflict (RFC 4791 section 5.3.2.1): NULLs are distinct, UID-less objects pass.
CREATE UNIQUE INDEX dav_objects_uid ON dav_objects (collection_id, uid);
CREATE INDEX dav_objects_modseq ON dav_objects (collection_id, modseq);
CREATE INDEX dav_objects_span ON dav_objects USING gist (span) WHERE span IS NOT NULL;

CREATE TABLE dav_object_content (
    object_id bigint PRIMARY KEY REFERENCES dav_objects(id) ON DELETE CASCADE,
    content bytea NOT NULL
);

-- Names deleted (or moved away), for sync-collection (RFC 6578); removed when the name is used
-- again.
CREATE TABLE dav_tombstones (
    collection_id bigint NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name text NOT NULL,
    modseq bigint NOT NULL,
    PRIMARY KEY (collection_id, name)
);
CREATE INDEX dav_tombstones_modseq ON dav_tombstones (collection_id, modseq);

-- The DAV collection of a `dav_*` journal entry.
ALTER TABLE journal ADD COLUMN collection_id bigint;
"#;

/// Sieve duplicate tracking (RFC 7352): the keys (a hash of handle and unique id) seen per
/// account, each until the end of its period.
const V9_SIEVE_DUPLICATES: &str = r#"
CREATE TABLE sieve_duplicates (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key text NOT NULL,
    until bigint NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX sieve_duplicates_until ON sieve_duplicates (until);
"#;

/// Sharing of calendars and address books (see `malt_store::dav_share`): the grants, and each
/// sharee account's answer.
const V10_DAV_SHARES: &str = r#"
CREATE TABLE dav_shares (
    collection_id bigint NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    sharee text NOT NULL,
    access text NOT NULL,
    created_at bigint NOT NULL,
    modseq bigint NOT NULL,
    PRIMARY KEY (collection_id, sharee)
);
CREATE INDEX dav_shares_sharee ON dav_shares (sharee);

CREATE TABLE dav_share_answers (
    collection_id bigint NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status text NOT NULL,
    display_name text,
    PRIMARY KEY (collection_id, account_id)
);
CREATE INDEX dav_share_answers_account ON dav_share_answers (account_id);
"#;

/// The owner's note with a share (`CS:summary`, `CS:common-name`), and what the notifications
/// need of answers: when given, whether the sharee dismissed its invite notification, whether
/// the owner dismissed the reply notification (answers from before count as seen). See
/// `malt_store::dav_share`.
const V11_DAV_SHARE_NOTIFICATIONS: &str = r#"
ALTER TABLE dav_shares ADD COLUMN summary text;
ALTER TABLE dav_shares ADD COLUMN common_name text;
ALTER TABLE dav_share_answers ADD COLUMN answered_at bigint NOT NULL DEFAULT 0;
ALTER TABLE dav_share_answers ADD COLUMN invite_dismissed boolean NOT NULL DEFAULT false;
ALTER TABLE dav_share_answers ADD COLUMN reply_dismissed boolean NOT NULL DEFAULT false;
UPDATE dav_share_answers SET reply_dismissed = true;
"#;

/// A sharee's own values of the properties of a collection shared with it (its name, colour and
/// order). See `malt_store::dav_share`.
const V12_DAV_SHAREE_PROPS: &str = r#"
CREATE TABLE dav_sharee_props (
    account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    collection_id bigint NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,
    name text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (account_id, collection_id, name)
);
CREATE INDEX dav_sharee_props_collection ON dav_sharee_props (collection_id);
"#;

/// Applies every migration not yet recorded.
pub(crate) async fn migrate(client: &mut Object) -> Result<()> {
    for &(version, sql) in MIGRATIONS {
        let tx = client.transaction().await.map_err(|e| pg_err(e, "migration"))?;
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(hashtext('malt_migrate:' || coalesce(current_schema(), '')));
             CREATE TABLE IF NOT EXISTS malt_schema_version (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )
        .await
        .map_err(|e| pg_err(e, "migration lock"))?;
        let done = tx
            .query_opt(
                "SELECT 1 FROM malt_schema_version WHERE version = $1",
                &[&version],
            )
            .await
            .map_err(|e| pg_err(e, "schema version"))?;
        if done.is_some() {
            tx.commit().await.map_err(|e| pg_err(e, "migration"))?;
            continue;
        }
        tx.batch_execute(sql).await.map_err(|e| pg_err(e, "migration"))?;
        tx.execute(
            "INSERT INTO malt_schema_version (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(|e| pg_err(e, "schema version"))?;
        tx.commit().await.map_err(|e| pg_err(e, "migration"))?;
        tracing::info!(version, "postgres schema migrated");
    }
    Ok(())
}
