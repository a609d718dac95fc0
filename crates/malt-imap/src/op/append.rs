//! APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, UIDPLUS RFC 4315 §3): all messages in one transaction;
//! `[APPENDUID]` on success, `[TRYCREATE]` for a missing mailbox, `[OVERQUOTA]`, `[TOOBIG]`.
//! RFC 4314 §4: the target needs `i`; flags without their right (`s`, `t`, `w`) are dropped; in
//! another account's mailbox the message is the owner's (quota, modseq) and `\Seen` is set as
//! the appending user's private `\Seen`.
//! Appending to the selected mailbox marks the view dirty so `EXISTS` precedes the tagged OK.

use malt_core::AppendItem;
use malt_core::acl::Rights;
use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::AppendMessage;
use malt_imap_proto::command::Flag;
use malt_imap_proto::response::compress_ids;
use malt_store::{Flags, StoreError, UidSet};

use crate::access::{self, Target};
use crate::op::select::right_for;

use crate::op::{mailbox_name, store_error, store_flags};
use crate::session::{Outcome, Session};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, mailbox: &str, messages: Vec<AppendMessage>) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let target = match access::resolve(s, &name).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    if target.mailbox.is_none() || target.rights.is_empty() {
        return Outcome::no(Some(ResponseCode::TryCreate), "Mailbox does not exist");
    }
    // RFC 4314 §4: APPEND needs `i`; flags the user may not set are dropped.
    let mb = match target.need(Rights::INSERT) {
        Ok(mb) => mb.clone(),
        Err(o) => return o,
    };
    let (items, seen): (Vec<AppendItem>, Vec<bool>) = messages
        .into_iter()
        .map(|m| {
            let (flags, seen) = allowed_flags(&m.flags, &target);
            let item = AppendItem {
                mailbox_id: mb.id,
                raw: m.data,
                flags,
                internal_date: m.date.map(|d| d.to_unix()),
            };
            (item, seen)
        })
        .unzip();
    match s.core.append_many(target.owner, items).await {
        Ok(appended) => {
            if let State::Selected { view, .. } = &mut s.state
                && view.mailbox_id == mb.id
            {
                view.mark_dirty();
            }
            let uidvalidity = appended.first().map(|a| a.uidvalidity).unwrap_or(mb.uidvalidity);
            let uids: Vec<u32> = appended.iter().map(|a| a.uid).collect();
            let seen_uids: Vec<u32> = uids
                .iter()
                .zip(&seen)
                .filter(|(_, s)| **s)
                .map(|(u, _)| *u)
                .collect();
            if !seen_uids.is_empty() {
                let store = &s.core.storage().store;
                let set = UidSet::from_uids(seen_uids);
                if let Err(e) = store.private_seen_store(account, mb.id, &set, true).await {
                    return store_error(&e);
                }
            }
            Outcome::ok("APPEND completed").code(ResponseCode::AppendUid {
                uidvalidity,
                uids: compress_ids(&uids),
            })
        }
        Err(StoreError::Invalid {
            what: "message",
            reason,
        }) => Outcome::no(Some(ResponseCode::TooBig), reason),
        Err(e) => store_error(&e),
    }
}

/// The flags a message may be stored with in `target` (RFC 4314 §4: `\Seen` needs `s`,
/// `\Deleted` `t`, the others `w`), and whether the viewer's private `\Seen` must be set
/// (another account's mailbox: the row's `\Seen` is the owner's).
pub(crate) fn allowed_flags(flags: &[Flag], target: &Target) -> (Flags, bool) {
    let allowed: Vec<Flag> = flags
        .iter()
        .filter(|f| target.rights.contains(right_for(f)))
        .filter(|f| target.own || **f != Flag::Seen)
        .cloned()
        .collect();
    let seen = !target.own && target.rights.contains(Rights::SEEN) && flags.contains(&Flag::Seen);
    (store_flags(&allowed), seen)
}
