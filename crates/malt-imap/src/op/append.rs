//! APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, UIDPLUS RFC 4315 §3): all messages in one transaction;
//! `[APPENDUID]` on success, `[TRYCREATE]` for a missing mailbox, `[OVERQUOTA]`, `[TOOBIG]`.
//! Appending to the selected mailbox marks the view dirty so `EXISTS` precedes the tagged OK.

use malt_core::AppendItem;
use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::AppendMessage;
use malt_imap_proto::response::compress_ids;
use malt_store::StoreError;

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
    let mb = match s.core.mailbox(account, &name).await {
        Ok(Some(mb)) => mb,
        Ok(None) => return Outcome::no(Some(ResponseCode::TryCreate), "Mailbox does not exist"),
        Err(e) => return store_error(&e),
    };
    let items: Vec<AppendItem> = messages
        .into_iter()
        .map(|m| AppendItem {
            mailbox_id: mb.id,
            raw: m.data,
            flags: store_flags(&m.flags),
            internal_date: m.date.map(|d| d.to_unix()),
        })
        .collect();
    match s.core.append_many(account, items).await {
        Ok(appended) => {
            if let State::Selected { view, .. } = &mut s.state
                && view.mailbox_id == mb.id
            {
                view.mark_dirty();
            }
            let uidvalidity = appended.first().map(|a| a.uidvalidity).unwrap_or(mb.uidvalidity);
            let uids: Vec<u32> = appended.iter().map(|a| a.uid).collect();
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
