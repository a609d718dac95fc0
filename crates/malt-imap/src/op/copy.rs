//! COPY/UID COPY (RFC 9051 §6.4.7) and MOVE/UID MOVE (RFC 6851), with `[COPYUID]` (RFC 4315 §3).
//!
//! - A missing destination (or one the user has no right on) is `NO [TRYCREATE]`; RFC 4314 §4: the
//!   destination needs `i` and a MOVE needs `t` and `e` on the source (`[NOPERM]`). In another
//!   account's mailboxes the operations run as the owner; between accounts see [`across`].
//! - MOVE sends `* OK [COPYUID ...]` untagged, then `* n EXPUNGE` for each moved message, then the tagged
//!   OK (RFC 6851 §4.3); with QRESYNC enabled one `* VANISHED uids` instead (RFC 7162 §3.2.10).
//!   MOVE in an EXAMINEd mailbox is refused with `[READ-ONLY]`.
//! - Copying into the selected mailbox marks the view dirty: `EXISTS` follows before the tagged OK.

use malt_core::MailCore;
use malt_core::acl::Rights;
use malt_imap_proto::command::SequenceSet;
use malt_imap_proto::response::compress_ids;
use malt_imap_proto::{ResponseCode, Status};
use malt_store::{AccountId, CopyResult, FlagOp, Flags, Mailbox, NewMessage, StoreError, Uid, UidSet, flag};

use crate::access::{self, Target};
use crate::op::append::allowed_flags;
use crate::op::{imap_flags, mailbox_name, store_error};
use crate::session::{Outcome, Session, announce_removed};
use crate::view::MailboxView;

pub(crate) async fn run(
    s: &mut Session,
    uid_mode: bool,
    set: &SequenceSet,
    mailbox: &str,
    is_move: bool,
) -> Outcome {
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let access = match access::selected(s) {
        Ok(a) => a,
        Err(o) => return o,
    };
    let dest = match access::resolve(s, &name).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    if dest.mailbox.is_none() || dest.rights.is_empty() {
        return Outcome::no(Some(ResponseCode::TryCreate), "Mailbox does not exist");
    }
    // RFC 4314 §4: the destination needs `i`; MOVE's expunge needs `t` and `e` on the source.
    let dest_mb = match dest.need(Rights::INSERT) {
        Ok(mb) => mb.clone(),
        Err(o) => return o,
    };
    if is_move && let Err(o) = access.need(Rights::DELETE_MESSAGES.union(Rights::EXPUNGE)) {
        return o;
    }
    let (account, view) = match s.state.selected(is_move) {
        Ok(sel) => sel,
        Err(o) => return o,
    };
    let targets = match view.resolve(set, uid_mode) {
        Ok(t) => t,
        Err(e) => return Outcome::bad(e.0),
    };
    let done = if is_move {
        "MOVE completed"
    } else {
        "COPY completed"
    };
    let uids: Vec<Uid> = targets
        .iter()
        .map(|(_, u)| *u)
        .filter(|u| !view.is_expunged(*u))
        .collect();
    if uids.is_empty() {
        return Outcome::ok(done);
    }
    let set = UidSet::from_uids(uids);
    let result = if access.owner != dest.owner {
        across(
            &s.core,
            (account.id, access.owner),
            view,
            &set,
            &dest,
            &dest_mb,
            is_move,
        )
        .await
    } else if is_move {
        s.core
            .move_messages(access.owner, view.mailbox_id, &set, dest_mb.id)
            .await
    } else {
        s.core.copy(access.owner, view.mailbox_id, &set, dest_mb.id).await
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    if dest_mb.id == view.mailbox_id {
        view.mark_dirty();
    }
    let code = (!result.mapping.is_empty()).then(|| {
        let source: Vec<Uid> = result.mapping.iter().map(|(a, _)| *a).collect();
        let dest_uids: Vec<Uid> = result.mapping.iter().map(|(_, b)| *b).collect();
        ResponseCode::CopyUid {
            uidvalidity: result.dest_uidvalidity,
            source: compress_ids(&source),
            dest: compress_ids(&dest_uids),
        }
    });
    if is_move {
        if let Some(code) = &code {
            s.out.untagged(Status::Ok, Some(code), "Moved UIDs");
        }
        let moved: Vec<Uid> = result.mapping.iter().map(|(a, _)| *a).collect();
        announce_removed(&mut s.out, view, &moved);
        return Outcome::ok(done);
    }
    match code {
        Some(code) => Outcome::ok(done).code(code),
        None => Outcome::ok(done),
    }
}

/// COPY/MOVE between mailboxes of different accounts (a mailbox shared with the user, RFC 4314):
/// the messages are appended to the destination as its owner's (the same blobs and prefixes, the
/// owner's quota), with the flags as the user sees them that the user may set there (see
/// [`allowed_flags`]). A MOVE then flags the source messages `\Deleted` and expunges them as the
/// source's owner: unlike a MOVE inside one account it is not one transaction (a failure after
/// the append leaves the copies and the originals).
async fn across(
    core: &MailCore,
    (viewer, source_owner): (AccountId, AccountId),
    view: &MailboxView,
    uids: &UidSet,
    dest: &Target,
    dest_mb: &Mailbox,
    is_move: bool,
) -> Result<CopyResult, StoreError> {
    let store = &core.storage().store;
    let source = store.messages(view.mailbox_id, uids).await?;
    if source.is_empty() {
        return Ok(CopyResult {
            dest_uidvalidity: dest_mb.uidvalidity,
            mapping: Vec::new(),
            modseq: 0,
        });
    }
    // The flags as the user sees them (its private `\Seen` in another account's mailbox).
    let viewed = crate::access::Viewer::load(store.as_ref(), viewer, view.mailbox_id, viewer == source_owner)
        .await?
        .summaries_in(store.as_ref(), view.mailbox_id, uids)
        .await?;
    // The kept header blocks go with the copies (header fetches in the destination stay fast).
    let mut headers: std::collections::HashMap<Uid, Vec<u8>> = store
        .message_headers(view.mailbox_id, uids)
        .await?
        .into_iter()
        .map(|h| (h.uid, h.header))
        .collect();
    let mut seen = Vec::new();
    let items: Vec<NewMessage> = source
        .iter()
        .map(|m| {
            let known = viewed
                .binary_search_by_key(&m.uid, |v| v.uid)
                .ok()
                .and_then(|i| viewed.get(i))
                .map(|v| imap_flags(&v.flags))
                .unwrap_or_default();
            let (flags, private) = allowed_flags(&known, dest);
            seen.push(private);
            NewMessage {
                mailbox_id: dest_mb.id,
                blob_id: m.blob_id.clone(),
                size: m.size,
                flags,
                internal_date: m.internal_date,
                meta: m.meta.clone(),
                header: headers.remove(&m.uid),
                prefix: m.prefix.clone(),
            }
        })
        .collect();
    let appended = store.append(dest.owner, items).await?;
    let mapping: Vec<(Uid, Uid)> = source
        .iter()
        .map(|m| m.uid)
        .zip(appended.iter().map(|a| a.uid))
        .collect();
    let seen_uids: Vec<Uid> = mapping
        .iter()
        .zip(&seen)
        .filter(|(_, s)| **s)
        .map(|((_, d), _)| *d)
        .collect();
    if !seen_uids.is_empty() {
        store
            .private_seen_store(viewer, dest_mb.id, &UidSet::from_uids(seen_uids), true)
            .await?;
    }
    if is_move {
        let moved = UidSet::from_uids(mapping.iter().map(|(a, _)| *a));
        let deleted = Flags::new(flag::DELETED, []);
        core.store_flags(source_owner, view.mailbox_id, &moved, FlagOp::Add, &deleted, None)
            .await?;
        core.expunge(source_owner, view.mailbox_id, Some(&moved)).await?;
    }
    Ok(CopyResult {
        dest_uidvalidity: appended.first().map_or(dest_mb.uidvalidity, |a| a.uidvalidity),
        mapping,
        modseq: 0,
    })
}
