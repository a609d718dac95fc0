//! FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9).
//!
//! - Sections are cut from the blob with the offsets stored in the message metadata (no re-parse).
//! - A FETCH asking only for top-level header data, sizes, dates, flags and UIDs (what a client sends
//!   when it opens a folder: `RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (...)]`) is answered from the
//!   header blocks kept beside the metadata ([`malt_store::Store::message_headers`]): no metadata
//!   decoding, no blob read. A chunk with a message stored without one takes the general path.
//! - A non-PEEK body fetch sets `\Seen` (not in a read-only mailbox, nor without the `s` right, RFC 4314
//!   §4; the viewer's private `\Seen` in another account's mailbox) and the response carries FLAGS.
//! - UID FETCH always returns UID (RFC 9051 §6.4.9).
//! - Messages another session expunged (not yet announced, PITFALLS 2) are skipped: the tagged response
//!   is `OK [EXPUNGEISSUED]` then.
//! - FLAGS and MODSEQ are read from the store (the view keeps none), `META_CHUNK` messages per read,
//!   as the viewer sees them ([`access::Viewer`]: a non-owner's private `\Seen`); a keyword the
//!   client was not told yet is announced by `* FLAGS`/`PERMANENTFLAGS` first (PITFALLS 4).
//! - CONDSTORE (RFC 7162 §3.1.4): `MODSEQ` is read with the FLAGS it goes with, so the two always
//!   match. Once CONDSTORE is enabled every FETCH response carries it. `(CHANGEDSINCE n)` keeps only
//!   messages whose mod-sequence is above `n` (decided before `\Seen` is set) and implies MODSEQ.
//! - QRESYNC (RFC 7162 §3.2.6): `UID FETCH set (...) (CHANGEDSINCE n VANISHED)` first sends
//!   `* VANISHED (EARLIER)` with the UIDs of `set` expunged since `n`. VANISHED is BAD without UID,
//!   without CHANGEDSINCE, or unless QRESYNC was enabled.
//! - BINARY, BINARY.PEEK and BINARY.SIZE (RFC 3516 §4.2, RFC 9051 §6.4.5) send a part without its
//!   transfer encoding ([`crate::binary`]); a part in an encoding the server does not know fails the
//!   whole FETCH with `NO [UNKNOWN-CTE]` (RFC 3516 §4.3) before anything is sent for it. Decoded data
//!   with NUL is a literal8 `~{n}` (RFC 3516 §4.2). Non-PEEK BINARY sets `\Seen` like BODY[].

use std::collections::HashMap;

use malt_core::acl::Rights;
use malt_imap_proto::command::{DateTime, FetchArgs, FetchAttribute, Flag, Section, SectionText};
use malt_imap_proto::response::compress_ids;
use malt_imap_proto::{FetchItem, ResponseCode};
use malt_store::meta::BodyPart;
use malt_store::{FlagOp, Flags, Message, MessageSummary, Uid, UidSet, flag};

use crate::access;
use crate::binary::{Decoded, binary_section, unknown_cte};
use crate::objectid::{email_id, thread_id};
use crate::op::{date_time, imap_flags, store_error};
use crate::session::{Io, Outcome, Session};
use crate::state::State;
use crate::view::set_contains;

/// One response item with the data it owns.
enum Owned<'a> {
    Flags,
    Uid,
    Date(DateTime),
    Size(u64),
    Envelope(&'a Message),
    BodyStructure(&'a Message),
    Body(&'a Message),
    Section {
        section: &'a Section,
        origin: Option<u64>,
        data: Option<Vec<u8>>,
    },
    Binary {
        part: &'a [u32],
        origin: Option<u64>,
        data: Option<Vec<u8>>,
    },
    BinarySize {
        part: &'a [u32],
        size: u64,
    },
    Rfc822(Vec<u8>),
    Rfc822Header(Vec<u8>),
    Rfc822Text(Vec<u8>),
    ModSeq(u64),
    Preview(&'a str),
    EmailId(String),
    ThreadId(String),
    SaveDate(DateTime),
}

fn needs_meta(a: &FetchAttribute) -> bool {
    !matches!(
        a,
        FetchAttribute::Flags | FetchAttribute::Uid | FetchAttribute::ModSeq
    )
}

fn needs_blob(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::BodySection { .. }
            | FetchAttribute::Binary { .. }
            | FetchAttribute::BinarySize { .. }
            | FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Header
            | FetchAttribute::Rfc822Text
    )
}

/// Whether `a` can be answered from a kept header block and the message's size and date.
fn header_only(a: &FetchAttribute) -> bool {
    match a {
        FetchAttribute::Flags
        | FetchAttribute::Uid
        | FetchAttribute::ModSeq
        | FetchAttribute::Rfc822Size
        | FetchAttribute::InternalDate
        | FetchAttribute::Rfc822Header => true,
        FetchAttribute::BodySection { section, .. } => {
            section.part.is_empty()
                && matches!(
                    section.text,
                    Some(
                        SectionText::Header | SectionText::HeaderFields(_) | SectionText::HeaderFieldsNot(_)
                    )
                )
        }
        _ => false,
    }
}

/// The messages of `chunk` and their octets as far as a header-only FETCH needs them, from the kept
/// header blocks: each record's metadata knows only the extent of the top-level header (all that the
/// [`header_only`] items read). `None` when a message of the chunk has no kept block (stored before
/// blocks were kept) or is gone: the caller takes the general path.
async fn load_headers(
    store: &std::sync::Arc<dyn malt_store::Store>,
    mailbox: malt_store::MailboxId,
    chunk: &[(u32, Uid)],
) -> Result<Option<(HashMap<Uid, Message>, HashMap<Uid, Vec<u8>>)>, malt_store::StoreError> {
    let uids = UidSet::from_uids(chunk.iter().map(|(_, u)| *u));
    let blocks = store.message_headers(mailbox, &uids).await?;
    if blocks.len() != chunk.len() {
        return Ok(None);
    }
    let mut messages = HashMap::with_capacity(blocks.len());
    let mut raws = HashMap::with_capacity(blocks.len());
    for b in blocks {
        let mut meta = malt_store::MessageMeta::default();
        meta.body.body_start = b.header.len() as u64;
        meta.body.body_end = b.size;
        let m = Message {
            id: 0,
            mailbox_id: mailbox,
            uid: b.uid,
            flags: Flags::default(),
            modseq: 0,
            internal_date: b.internal_date,
            save_date: 0,
            size: b.size,
            blob_id: String::new(),
            prefix: None,
            thread_id: 0,
            meta,
        };
        messages.insert(b.uid, m);
        raws.insert(b.uid, b.header);
    }
    Ok(Some((messages, raws)))
}

/// Whether fetching `a` sets `\Seen` (RFC 9051 §6.4.5).
fn sets_seen(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::BodySection { peek: false, .. }
            | FetchAttribute::Binary { peek: false, .. }
            | FetchAttribute::Rfc822
            | FetchAttribute::Rfc822Text
    )
}

/// The part a section's part numbers name (RFC 9051 §6.4.5): part 1 of a non-multipart is its body; the
/// parts of a `message/rfc822` part are those of the encapsulated message.
pub(crate) fn find_part<'a>(root: &'a BodyPart, path: &[u32]) -> Option<&'a BodyPart> {
    let mut cur = root;
    for &n in path {
        let container = if cur.media_type == "message" && cur.subtype == "rfc822" {
            cur.parts.first()?
        } else {
            cur
        };
        cur = if container.media_type == "multipart" {
            container.parts.get(usize::try_from(n).ok()?.checked_sub(1)?)?
        } else if n == 1 {
            container
        } else {
            return None;
        };
    }
    Some(cur)
}

fn slice(raw: &[u8], from: u64, to: u64) -> Vec<u8> {
    crate::binary::octets(raw, from, to).to_vec()
}

/// The header fields of `header` whose names are (or, with `not`, are not) in `names`, followed by the
/// blank line (RFC 9051 §6.4.5 HEADER.FIELDS).
pub(crate) fn header_fields(header: &[u8], names: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            let name = String::from_utf8_lossy(name);
            let listed = names.iter().any(|n| n.eq_ignore_ascii_case(name.trim()));
            keep = listed != not;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The octets of `section` of the message `raw` with structure `root`; `None` for a missing part.
pub(crate) fn section_data(raw: &[u8], root: &BodyPart, section: &Section) -> Option<Vec<u8>> {
    let part = find_part(root, &section.part)?;
    // HEADER/TEXT of a message/rfc822 part refer to the encapsulated message.
    let msg = if !section.part.is_empty() && part.media_type == "message" && part.subtype == "rfc822" {
        part.parts.first()
    } else {
        Some(part)
    };
    Some(match &section.text {
        None if section.part.is_empty() => raw.to_vec(),
        None => slice(raw, part.body_start, part.body_end),
        Some(SectionText::Mime) => slice(raw, part.header_start, part.body_start),
        Some(SectionText::Header) => {
            let m = msg?;
            slice(raw, m.header_start, m.body_start)
        }
        Some(SectionText::Text) => {
            let m = msg?;
            slice(raw, m.body_start, m.body_end)
        }
        Some(SectionText::HeaderFields(names)) => {
            let m = msg?;
            header_fields(&slice(raw, m.header_start, m.body_start), names, false)
        }
        Some(SectionText::HeaderFieldsNot(names)) => {
            let m = msg?;
            header_fields(&slice(raw, m.header_start, m.body_start), names, true)
        }
    })
}

/// `NO [UNKNOWN-CTE]` (RFC 3516 §4.3).
fn unknown_cte_outcome(cte: &str) -> Outcome {
    Outcome::no(
        Some(ResponseCode::UnknownCte),
        format!("Cannot decode content-transfer-encoding {cte}"),
    )
}

/// The decoded content of `part` (`None`: no such part, NIL), or the failed FETCH's answer.
fn binary(raw: Option<&[u8]>, root: &BodyPart, part: &[u32]) -> Result<Option<Vec<u8>>, Outcome> {
    match binary_section(raw.unwrap_or_default(), root, part) {
        Decoded::Data(d) => Ok(Some(d)),
        Decoded::Missing => Ok(None),
        Decoded::UnknownCte(cte) => Err(unknown_cte_outcome(&cte)),
        Decoded::Corrupt(why) => Err(Outcome::no(None, format!("Cannot decode the part: {why}"))),
    }
}

fn partial(data: Vec<u8>, p: Option<(u64, u64)>) -> (Option<u64>, Vec<u8>) {
    match p {
        None => (None, data),
        Some((o, c)) => (Some(o), slice(&data, o, o.saturating_add(c))),
    }
}

/// Messages whose metadata one store read brings (FETCH works through the set in such chunks).
const META_CHUNK: usize = 500;

/// The records (with metadata) of the messages of `chunk`, by UID; one store read.
async fn load(
    store: &std::sync::Arc<dyn malt_store::Store>,
    mailbox: malt_store::MailboxId,
    chunk: &[(u32, Uid)],
) -> Result<HashMap<Uid, Message>, malt_store::StoreError> {
    if chunk.is_empty() {
        return Ok(HashMap::new());
    }
    let uids = UidSet::from_uids(chunk.iter().map(|(_, u)| *u));
    Ok(store
        .messages(mailbox, &uids)
        .await?
        .into_iter()
        .map(|m| (m.uid, m))
        .collect())
}

/// Messages whose octets one trip to the blocking pool reads at most, and the octets (by stored
/// size) after which a batch stops; a single larger message is read alone.
const BLOB_BATCH: usize = 32;
const BLOB_BATCH_OCTETS: u64 = 4 << 20;

/// The messages of `rest` (in order, from the one needed now) whose octets to read together.
/// Shared by FETCH and SEARCH.
pub(crate) fn read_ahead<'a>(rest: &[(u32, Uid)], messages: &'a HashMap<Uid, Message>) -> Vec<&'a Message> {
    let mut out = Vec::new();
    let mut octets = 0u64;
    for (_, uid) in rest {
        let Some(m) = messages.get(uid) else {
            continue;
        };
        if out.len() >= BLOB_BATCH || (!out.is_empty() && octets.saturating_add(m.size) > BLOB_BATCH_OCTETS) {
            break;
        }
        octets = octets.saturating_add(m.size);
        out.push(m);
    }
    out
}

fn is_binary(a: &FetchAttribute) -> bool {
    matches!(
        a,
        FetchAttribute::Binary { .. } | FetchAttribute::BinarySize { .. }
    )
}

/// Responses are flushed to the client once this much is buffered, so a big FETCH does not hold the
/// whole answer in memory.
const FLUSH_AT: usize = 256 * 1024;

/// Reads the summaries of `chunk` as the viewer sees them, by UID (one store read).
async fn summaries(
    store: &std::sync::Arc<dyn malt_store::Store>,
    viewer: &access::Viewer,
    mailbox: malt_store::MailboxId,
    chunk: &[(u32, Uid)],
) -> Result<HashMap<Uid, MessageSummary>, malt_store::StoreError> {
    if chunk.is_empty() {
        return Ok(HashMap::new());
    }
    let uids = UidSet::from_uids(chunk.iter().map(|(_, u)| *u));
    Ok(viewer
        .summaries_in(store.as_ref(), mailbox, &uids)
        .await?
        .into_iter()
        .map(|m| (m.uid, m))
        .collect())
}

pub(crate) async fn run(
    s: &mut Session,
    io: &mut Io,
    uid_mode: bool,
    args: &FetchArgs,
) -> std::io::Result<Outcome> {
    Ok(fetch(s, io, uid_mode, args).await?.unwrap_or_else(|o| o))
}

/// `Err` carries an early answer; the outer `Result` is the connection's.
async fn fetch(
    s: &mut Session,
    io: &mut Io,
    uid_mode: bool,
    args: &FetchArgs,
) -> std::io::Result<Result<Outcome, Outcome>> {
    if args.vanished {
        // RFC 7162 §3.2.6.
        if !uid_mode {
            return Ok(Err(Outcome::bad("VANISHED is only allowed with UID FETCH")));
        }
        if !s.qresync {
            return Ok(Err(Outcome::bad("VANISHED requires ENABLE QRESYNC")));
        }
        if args.changed_since.is_none() {
            return Ok(Err(Outcome::bad("VANISHED requires CHANGEDSINCE")));
        }
    }
    let with_modseq = s.condstore || args.changed_since.is_some();
    let access = match access::selected(s) {
        Ok(a) => a,
        Err(o) => return Ok(Err(o)),
    };
    // RFC 4314 §4: a body fetch sets `\Seen` only with the `s` right (and never when read-only).
    let may_set_seen = access.rights.contains(Rights::SEEN);
    let State::Selected {
        account,
        view,
        read_only,
    } = &mut s.state
    else {
        return Ok(Err(Outcome::bad("No mailbox selected")));
    };
    let targets = match view.resolve(&args.set, uid_mode) {
        Ok(t) => t,
        Err(e) => return Ok(Err(Outcome::bad(e.0))),
    };
    let mut expunged_skipped = false;
    let targets: Vec<(u32, Uid)> = targets
        .into_iter()
        .filter(|(_, uid)| {
            let gone = view.is_expunged(*uid);
            expunged_skipped |= gone;
            !gone
        })
        .collect();
    let store = s.core.storage().store.clone();
    let include_flags_asked = args.items.contains(&FetchAttribute::Flags);
    let seen_asked = args.items.iter().any(sets_seen);
    // Flags and mod-sequences are read from the store (the view keeps none), as this viewer sees them.
    let mut viewer = if include_flags_asked || seen_asked || with_modseq {
        match access::Viewer::load(store.as_ref(), account.id, view.mailbox_id, access.own).await {
            Ok(v) => Some(v),
            Err(e) => return Ok(Err(store_error(&e))),
        }
    } else {
        None
    };
    // RFC 7162 §3.1.4.1: CHANGEDSINCE keeps the messages whose mod-sequence is above it, decided
    // before any `\Seen` is set (read a chunk at a time).
    let targets = match (args.changed_since, &viewer) {
        (Some(n), Some(v)) => {
            let mut kept = Vec::new();
            for chunk in targets.chunks(META_CHUNK) {
                let sums = match summaries(&store, v, view.mailbox_id, chunk).await {
                    Ok(m) => m,
                    Err(e) => return Ok(Err(store_error(&e))),
                };
                kept.extend(
                    chunk
                        .iter()
                        .filter(|(_, u)| sums.get(u).is_some_and(|m| m.modseq > n)),
                );
            }
            kept
        }
        _ => targets,
    };
    if args.vanished
        && let Some(since) = args.changed_since
    {
        let changes = match store.mailbox_changes(view.mailbox_id, since).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(store_error(&e))),
        };
        let gone: Vec<Uid> = changes
            .vanished
            .into_iter()
            .filter(|u| view.seq_of(*u).is_none() || view.is_expunged(*u))
            .filter(|u| set_contains(&args.set, *u, u32::MAX))
            .collect();
        s.out.vanished(true, &compress_ids(&gone));
    }
    let want_meta = args.items.iter().any(needs_meta);
    let want_blob = args.items.iter().any(needs_blob);
    let headers_suffice = want_meta && args.items.iter().all(header_only);
    // RFC 3516 §4.3: an encoding this server cannot remove fails the FETCH before \Seen changes.
    if args.items.iter().any(is_binary) {
        for chunk in targets.chunks(META_CHUNK) {
            let messages = match load(&store, view.mailbox_id, chunk).await {
                Ok(m) => m,
                Err(e) => return Ok(Err(store_error(&e))),
            };
            for m in messages.values() {
                for a in &args.items {
                    if let FetchAttribute::Binary { part, .. } | FetchAttribute::BinarySize { part } = a
                        && let Some(cte) = unknown_cte(&m.meta.body, part)
                    {
                        return Ok(Err(unknown_cte_outcome(&cte)));
                    }
                }
            }
        }
    }
    // \Seen first, so the FLAGS in the response are the new ones (RFC 9051 §6.4.5).
    let may_set_seen = may_set_seen && !*read_only;
    if may_set_seen && seen_asked && !targets.is_empty() {
        // The store changes only the messages without `\Seen`; their new modseqs are recorded so
        // the next sync does not announce this session's own change again.
        let all = UidSet::from_uids(targets.iter().map(|(_, u)| *u));
        let changed: Result<Vec<(Uid, u64)>, _> = if access.own {
            let seen = Flags::new(flag::SEEN, []);
            s.core
                .store_flags(access.owner, view.mailbox_id, &all, FlagOp::Add, &seen, None)
                .await
                .map(|u| u.changed.into_iter().map(|m| (m.uid, m.modseq)).collect())
        } else {
            // Another account's mailbox: the viewer's own `\Seen` (RFC 4314 §4).
            store
                .private_seen_store(account.id, view.mailbox_id, &all, true)
                .await
                .map(|u| u.changed.into_iter().map(|uid| (uid, u.modseq)).collect())
        };
        match changed {
            Ok(changed) => {
                // A non-owner's private `\Seen` changed: what the viewer sees is read again.
                if !access.own && !changed.is_empty() {
                    match access::Viewer::load(store.as_ref(), account.id, view.mailbox_id, false).await {
                        Ok(v) => viewer = Some(v),
                        Err(e) => return Ok(Err(store_error(&e))),
                    }
                }
                for (uid, modseq) in changed {
                    view.record_own(uid, modseq);
                }
            }
            Err(e) => return Ok(Err(store_error(&e))),
        }
    }
    let seen_added = may_set_seen && seen_asked;
    let include_flags = include_flags_asked || seen_added;
    let include_uid = uid_mode || args.items.contains(&FetchAttribute::Uid);
    // Metadata is read a chunk at a time: a FETCH over a whole large mailbox never holds more than
    // META_CHUNK messages' metadata (and BLOB_BATCH_OCTETS of message octets, or one message) at once.
    for chunk in targets.chunks(META_CHUNK) {
        let light = if headers_suffice {
            match load_headers(&store, view.mailbox_id, chunk).await {
                Ok(l) => l,
                Err(e) => return Ok(Err(store_error(&e))),
            }
        } else {
            None
        };
        // Message octets, read ahead a few messages at a time (see `BLOB_BATCH`).
        let (messages, mut raws) = match light {
            Some(l) => l,
            None if want_meta => match load(&store, view.mailbox_id, chunk).await {
                Ok(m) => (m, HashMap::new()),
                Err(e) => return Ok(Err(store_error(&e))),
            },
            None => (HashMap::new(), HashMap::new()),
        };
        let sums = match &viewer {
            Some(v) if include_flags || with_modseq => {
                match summaries(&store, v, view.mailbox_id, chunk).await {
                    Ok(m) => m,
                    Err(e) => return Ok(Err(store_error(&e))),
                }
            }
            _ => HashMap::new(),
        };
        for (i, &(seq, uid)) in chunk.iter().enumerate() {
            let msg = messages.get(&uid);
            let sum = sums.get(&uid);
            let gone_meta = want_meta && msg.is_none();
            let gone_flags = (include_flags || with_modseq) && sum.is_none();
            if gone_meta || gone_flags {
                // Expunged meanwhile (the store no longer has it): nothing to say yet.
                expunged_skipped = true;
                continue;
            }
            // PITFALLS 4: a keyword the client was not told yet comes with `* FLAGS` first.
            if include_flags
                && let Some(m) = sum
                && view.learn_keywords(&m.flags)
            {
                crate::op::select::write_flags(&mut s.out, view, access.rights);
            }
            let modseq = sum.map_or(0, |m| m.modseq);
            // The client is told these flags now: the sync point need not announce them again.
            if include_flags && sum.is_some() {
                view.record_own(uid, modseq);
            }
            if want_blob && msg.is_some() && !raws.contains_key(&uid) {
                let ahead = read_ahead(chunk.get(i..).unwrap_or_default(), &messages);
                let uids: Vec<Uid> = ahead.iter().map(|m| m.uid).collect();
                let read = match s.core.read_messages(&ahead).await {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(store_error(&e))),
                };
                for (u, r) in uids.into_iter().zip(read) {
                    match r {
                        Ok(raw) => raws.insert(u, raw),
                        Err(e) => return Ok(Err(store_error(&e))),
                    };
                }
            }
            let raw = if want_blob { raws.remove(&uid) } else { None };
            let mut owned: Vec<Owned<'_>> = Vec::new();
            if include_uid {
                owned.push(Owned::Uid);
            }
            if include_flags {
                owned.push(Owned::Flags);
            }
            for a in &args.items {
                let item = match (a, msg) {
                    (FetchAttribute::Flags | FetchAttribute::Uid, _) => continue,
                    (FetchAttribute::ModSeq, _) => Owned::ModSeq(modseq),
                    (_, None) => continue,
                    (FetchAttribute::InternalDate, Some(m)) => Owned::Date(date_time(m.internal_date)),
                    (FetchAttribute::Rfc822Size, Some(m)) => Owned::Size(m.size),
                    (FetchAttribute::Envelope, Some(m)) => Owned::Envelope(m),
                    (FetchAttribute::BodyStructure, Some(m)) => Owned::BodyStructure(m),
                    (FetchAttribute::Body, Some(m)) => Owned::Body(m),
                    (
                        FetchAttribute::BodySection {
                            section, partial: p, ..
                        },
                        Some(m),
                    ) => {
                        let data = raw
                            .as_deref()
                            .and_then(|r| section_data(r, &m.meta.body, section));
                        match data {
                            Some(d) => {
                                let (origin, d) = partial(d, *p);
                                Owned::Section {
                                    section,
                                    origin,
                                    data: Some(d),
                                }
                            }
                            None => Owned::Section {
                                section,
                                origin: p.map(|(o, _)| o),
                                data: None,
                            },
                        }
                    }
                    (FetchAttribute::Rfc822, _) => Owned::Rfc822(raw.clone().unwrap_or_default()),
                    (FetchAttribute::Rfc822Header, Some(m)) => Owned::Rfc822Header(
                        raw.as_deref()
                            .map(|r| slice(r, m.meta.body.header_start, m.meta.body.body_start))
                            .unwrap_or_default(),
                    ),
                    (FetchAttribute::Rfc822Text, Some(m)) => Owned::Rfc822Text(
                        raw.as_deref()
                            .map(|r| slice(r, m.meta.body.body_start, m.meta.body.body_end))
                            .unwrap_or_default(),
                    ),
                    (FetchAttribute::Preview { .. }, Some(m)) => Owned::Preview(&m.meta.preview),
                    (FetchAttribute::EmailId, Some(m)) => Owned::EmailId(email_id(m)),
                    (FetchAttribute::ThreadId, Some(m)) => Owned::ThreadId(thread_id(m)),
                    (FetchAttribute::SaveDate, Some(m)) => Owned::SaveDate(date_time(m.save_date)),
                    (FetchAttribute::Binary { part, partial: p, .. }, Some(m)) => {
                        match binary(raw.as_deref(), &m.meta.body, part) {
                            Ok(Some(d)) => {
                                let (origin, d) = partial(d, *p);
                                Owned::Binary {
                                    part,
                                    origin,
                                    data: Some(d),
                                }
                            }
                            Ok(None) => Owned::Binary {
                                part,
                                origin: p.map(|(o, _)| o),
                                data: None,
                            },
                            Err(o) => return Ok(Err(o)),
                        }
                    }
                    (FetchAttribute::BinarySize { part }, Some(m)) => {
                        match binary(raw.as_deref(), &m.meta.body, part) {
                            Ok(d) => Owned::BinarySize {
                                part,
                                size: d.map_or(0, |d| d.len() as u64),
                            },
                            Err(o) => return Ok(Err(o)),
                        }
                    }
                };
                owned.push(item);
            }
            if with_modseq && !args.items.contains(&FetchAttribute::ModSeq) {
                owned.push(Owned::ModSeq(modseq));
            }
            let flags: Vec<Flag> = sum.map(|m| imap_flags(&m.flags)).unwrap_or_default();
            let items: Vec<FetchItem<'_>> = owned
                .iter()
                .map(|o| match o {
                    Owned::Flags => FetchItem::Flags(&flags),
                    Owned::Uid => FetchItem::Uid(uid),
                    Owned::Date(d) => FetchItem::InternalDate(*d),
                    Owned::Size(n) => FetchItem::Rfc822Size(*n),
                    Owned::Envelope(m) => FetchItem::Envelope(&m.meta.envelope),
                    Owned::BodyStructure(m) => FetchItem::BodyStructure(&m.meta.body),
                    Owned::Body(m) => FetchItem::Body(&m.meta.body),
                    Owned::Section {
                        section,
                        origin,
                        data,
                    } => FetchItem::BodySection {
                        section,
                        origin: *origin,
                        data: data.as_deref(),
                    },
                    Owned::Binary { part, origin, data } => FetchItem::Binary {
                        part,
                        origin: *origin,
                        data: data.as_deref(),
                    },
                    Owned::BinarySize { part, size } => FetchItem::BinarySize { part, size: *size },
                    Owned::Rfc822(d) => FetchItem::Rfc822(d),
                    Owned::Rfc822Header(d) => FetchItem::Rfc822Header(d),
                    Owned::Rfc822Text(d) => FetchItem::Rfc822Text(d),
                    Owned::ModSeq(n) => FetchItem::ModSeq(*n),
                    Owned::Preview(p) => FetchItem::Preview(Some(p)),
                    Owned::EmailId(id) => FetchItem::EmailId(id),
                    Owned::ThreadId(id) => FetchItem::ThreadId(Some(id)),
                    Owned::SaveDate(d) => FetchItem::SaveDate(Some(*d)),
                })
                .collect();
            s.out.fetch(seq, &items);
            if s.out.as_bytes().len() >= FLUSH_AT {
                io.send(&s.out.take()).await?;
            }
        }
    }
    if expunged_skipped {
        return Ok(Ok(
            Outcome::ok("Some messages were expunged meanwhile").code(ResponseCode::ExpungeIssued)
        ));
    }
    Ok(Ok(Outcome::ok("FETCH completed")))
}
