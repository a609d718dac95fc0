//! STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): `FLAGS`, `+FLAGS`, `-FLAGS`, `.SILENT`.
//!
//! - Refused with `[READ-ONLY]` in an EXAMINEd mailbox.
//! - A keyword new to the client is announced by `* FLAGS`/`PERMANENTFLAGS` before any FETCH (PITFALLS 4).
//! - Unless `.SILENT`, every named message gets `* n FETCH (FLAGS ...)` (with UID for UID STORE).
//! - No EXPUNGE is sent (RFC 9051 §7.5.1); messages expunged meanwhile are skipped.

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{StoreArgs, StoreMode};
use malt_imap_proto::{FetchItem, response::compress_ids};
use malt_store::{FlagOp, Uid, UidSet};

use crate::op::{imap_flags, select::write_flags, store_error, store_flags};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, uid_mode: bool, args: &StoreArgs) -> Outcome {
    let (account, view) = match s.state.selected(true) {
        Ok(sel) => sel,
        Err(o) => return o,
    };
    let targets = match view.resolve(&args.set, uid_mode) {
        Ok(t) => t,
        Err(e) => return Outcome::bad(e.0),
    };
    let targets: Vec<(u32, Uid)> = targets
        .into_iter()
        .filter(|(_, u)| !view.is_expunged(*u))
        .collect();
    if targets.is_empty() {
        return Outcome::ok("STORE completed");
    }
    let op = match args.mode {
        StoreMode::Replace => FlagOp::Set,
        StoreMode::Add => FlagOp::Add,
        StoreMode::Remove => FlagOp::Remove,
    };
    let flags = store_flags(&args.flags);
    let uids = UidSet::from_uids(targets.iter().map(|(_, u)| *u));
    let update = match s
        .core
        .store_flags(
            account.id,
            view.mailbox_id,
            &uids,
            op,
            &flags,
            args.unchanged_since,
        )
        .await
    {
        Ok(u) => u,
        Err(e) => return store_error(&e),
    };
    let mut new_keyword = false;
    for m in update.changed {
        new_keyword |= view.set_flags(m.uid, m.flags);
    }
    if new_keyword {
        write_flags(&mut s.out, view);
    }
    if !args.silent {
        for (seq, uid) in &targets {
            if update.modified.contains(uid) {
                continue;
            }
            let flags = view.flags_of(*uid).map(imap_flags).unwrap_or_default();
            if uid_mode {
                s.out
                    .fetch(*seq, &[FetchItem::Uid(*uid), FetchItem::Flags(&flags)]);
            } else {
                s.out.fetch(*seq, &[FetchItem::Flags(&flags)]);
            }
        }
    }
    if !update.modified.is_empty() {
        let ids: Vec<u32> = if uid_mode {
            update.modified.clone()
        } else {
            update.modified.iter().filter_map(|u| view.seq_of(*u)).collect()
        };
        return Outcome::ok("Conditional STORE failed for some messages")
            .code(ResponseCode::Modified(compress_ids(&ids)));
    }
    Outcome::ok("STORE completed")
}
