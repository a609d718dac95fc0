//! STATUS (RFC 9051 §6.3.11, STATUS=SIZE RFC 8438, DELETED-STORAGE RFC 9208 §4.2). Counts come from
//! the mailbox row; DELETED needs the message summaries, DELETED-STORAGE also the sizes of the
//! `\Deleted` messages. RECENT is always 0 (Malt has no \Recent).

use malt_imap_proto::command::StatusItem;
use malt_imap_proto::response::StatusData;
use malt_store::{Mailbox, StoreError, UidSet, flag};

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
    let mb = match s.core.mailbox(account, &name).await {
        Ok(Some(mb)) => mb,
        Ok(None) => {
            return Outcome::no(
                Some(malt_imap_proto::ResponseCode::NonExistent),
                "No such mailbox",
            );
        }
        Err(e) => return store_error(&e),
    };
    match items_of(s, &mb, items).await {
        Ok(data) => {
            s.out.status(&mb.name, &data);
            Outcome::ok("STATUS completed")
        }
        Err(e) => store_error(&e),
    }
}

/// The values of `items` for `mb`.
pub(crate) async fn items(
    s: &Session,
    mb: &Mailbox,
    items: &[StatusItem],
) -> Result<Vec<(StatusItem, StatusData)>, StoreError> {
    items_of(s, mb, items).await
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
) -> Result<Vec<(StatusItem, StatusData)>, StoreError> {
    let mut out = Vec::new();
    for &item in items {
        let n = |v: u64| StatusData::Number(v);
        let value = match item {
            StatusItem::Messages => n(u64::from(mb.message_count)),
            StatusItem::UidNext => n(u64::from(mb.uidnext)),
            StatusItem::UidValidity => n(u64::from(mb.uidvalidity)),
            StatusItem::Unseen => n(u64::from(mb.unseen_count)),
            StatusItem::Size => n(mb.total_size),
            StatusItem::Recent => n(0),
            StatusItem::HighestModSeq => n(mb.highest_modseq),
            StatusItem::AppendLimit => n(s.core.settings().max_message_size),
            StatusItem::MailboxId => StatusData::ObjectId(crate::objectid::mailbox_id(mb.id)),
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
