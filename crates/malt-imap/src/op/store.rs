//! STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): `FLAGS`, `+FLAGS`, `-FLAGS`, `.SILENT`.
//!
//! - Refused with `[READ-ONLY]` in an EXAMINEd mailbox.
//! - A keyword new to the client is announced by `* FLAGS`/`PERMANENTFLAGS` before any FETCH (PITFALLS 4).
//! - Unless `.SILENT`, every named message gets `* n FETCH (FLAGS ...)` (with UID for UID STORE).
//! - No EXPUNGE is sent (RFC 9051 §7.5.1); messages expunged meanwhile are skipped.
//! - CONDSTORE (RFC 7162 §3.1.3): `(UNCHANGEDSINCE n)` changes only messages whose mod-sequence is at
//!   most `n` (so `0` fails for every message); the others are listed in `OK [MODIFIED set]`, as
//!   sequence numbers or UIDs like the command, and get no FETCH. Once CONDSTORE is enabled the FETCH
//!   responses carry MODSEQ, and even with `.SILENT` each message this STORE changed gets
//!   `* n FETCH ([UID u] MODSEQ (m))` so the client's cached mod-sequence stays right.

use std::collections::HashSet;

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{StoreArgs, StoreMode};
use malt_imap_proto::{FetchItem, response::compress_ids};
use malt_store::{FlagOp, Uid, UidSet};

use crate::op::{imap_flags, select::write_flags, store_error, store_flags};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, uid_mode: bool, args: &StoreArgs) -> Outcome {
    let condstore = s.condstore;
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
    let changed: HashSet<Uid> = update.changed.iter().map(|m| m.uid).collect();
    let failed: HashSet<Uid> = update.modified.iter().copied().collect();
    for m in update.changed {
        new_keyword |= view.set_summary(m);
    }
    if new_keyword {
        write_flags(&mut s.out, view);
    }
    for (seq, uid) in &targets {
        if failed.contains(uid) {
            continue;
        }
        let silent_change = args.silent && condstore && changed.contains(uid);
        if args.silent && !silent_change {
            continue;
        }
        let flags = view.flags_of(*uid).map(imap_flags).unwrap_or_default();
        let mut items = Vec::with_capacity(3);
        if uid_mode {
            items.push(FetchItem::Uid(*uid));
        }
        if !args.silent {
            items.push(FetchItem::Flags(&flags));
        }
        if condstore {
            items.push(FetchItem::ModSeq(view.modseq_of(*uid)));
        }
        s.out.fetch(*seq, &items);
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
