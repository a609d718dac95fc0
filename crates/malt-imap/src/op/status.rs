//! STATUS (RFC 9051 §6.3.11, STATUS=SIZE RFC 8438, DELETED-STORAGE RFC 9208 §4.2). Counts come from
//! the mailbox row; DELETED needs the message summaries, DELETED-STORAGE also the sizes of the
//! `\Deleted` messages. RECENT is always 0 (Malt has no \Recent).
//! RFC 4314 §4: STATUS needs `r`; in another account's mailbox UNSEEN counts the user's private `\Seen`.

use malt_core::acl::Rights;
use malt_imap_proto::command::StatusItem;
use malt_imap_proto::response::StatusData;
use malt_store::{AccountId, Mailbox, StoreError, UidSet, flag};

use crate::access;
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, mailbox: &str, items: &[StatusItem]) -> Outcome {
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
    // RFC 4314 §4: STATUS needs `r`.
    let mb = match target.need(Rights::READ) {
        Ok(mb) => mb,
        Err(o) => return o,
    };
    let viewer = (!target.own).then_some(account);
    match items_of(s, mb, items, viewer).await {
        Ok(data) => {
            s.out.status(&target.display, &data);
            Outcome::ok("STATUS completed")
        }
        Err(e) => store_error(&e),
    }
}

/// The values of `items` for `mb`; `viewer` is the user when they do not own it (UNSEEN counts
/// their private `\Seen`, RFC 4314 §4).
pub(crate) async fn items(
    s: &Session,
    mb: &Mailbox,
    items: &[StatusItem],
    viewer: Option<AccountId>,
) -> Result<Vec<(StatusItem, StatusData)>, StoreError> {
    items_of(s, mb, items, viewer).await
}

/// RFC 9208 §4.2 DELETED-STORAGE: the size of the mailbox's `\Deleted` messages (what EXPUNGE
/// would release from the STORAGE resource), in units of 1024 octets like STORAGE (§5.1),
/// rounded up. Reads the full records of the `\Deleted` messages only.
async fn deleted_storage(s: &Session, mb: &Mailbox) -> Result<u64, StoreError> {
    let store = &s.core.storage().store;
    let all = store.message_summaries(mb.id).await?;
    let deleted = UidSet::from_uids(all.iter().filter(|m| m.flags.has(flag::DELETED)).map(|m| m.uid));
    if deleted.is_empty() {
        return Ok(0);
    }
    let octets: u64 = store
        .messages(mb.id, &deleted)
        .await?
        .iter()
        .map(|m| m.size)
        .sum();
    Ok(octets.div_ceil(1024))
}

async fn items_of(
    s: &Session,
    mb: &Mailbox,
    items: &[StatusItem],
    viewer: Option<AccountId>,
) -> Result<Vec<(StatusItem, StatusData)>, StoreError> {
    let mut out = Vec::new();
    for &item in items {
        let n = |v: u64| StatusData::Number(v);
        let value = match item {
            StatusItem::Messages => n(u64::from(mb.message_count)),
            StatusItem::UidNext => n(u64::from(mb.uidnext)),
            StatusItem::UidValidity => n(u64::from(mb.uidvalidity)),
            StatusItem::Unseen => match viewer {
                None => n(u64::from(mb.unseen_count)),
                Some(v) => n(u64::from(
                    s.core.storage().store.private_unseen_count(v, mb.id).await?,
                )),
            },
            StatusItem::Size => n(mb.total_size),
            StatusItem::Recent => n(0),
            StatusItem::HighestModSeq => n(mb.highest_modseq),
            StatusItem::AppendLimit => n(s.core.settings().max_message_size),
            StatusItem::MailboxId => StatusData::ObjectId(crate::objectid::mailbox_id(mb.uidvalidity)),
            StatusItem::Deleted => {
                let all = s.core.storage().store.message_summaries(mb.id).await?;
                n(all.iter().filter(|m| m.flags.has(flag::DELETED)).count() as u64)
            }
            StatusItem::DeletedStorage => n(deleted_storage(s, mb).await?),
        };
        out.push((item, value));
    }
    Ok(out)
}
