//! STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): `FLAGS`, `+FLAGS`, `-FLAGS`, `.SILENT`.
//!
//! - Refused with `[READ-ONLY]` in an EXAMINEd mailbox.
//! - A keyword new to the client is announced by `* FLAGS`/`PERMANENTFLAGS` before any FETCH (PITFALLS 4).
//! - Unless `.SILENT`, every named message gets `* n FETCH (FLAGS ...)` (with UID for UID STORE): the
//!   changed ones with the flags and modseq the store gave them, the others read from the store (the
//!   view keeps no flags). The changes are recorded as the session's own so the next sync point does
//!   not announce them again.
//! - No EXPUNGE is sent (RFC 9051 §7.5.1); messages expunged meanwhile are skipped.
//! - CONDSTORE (RFC 7162 §3.1.3): `(UNCHANGEDSINCE n)` changes only messages whose mod-sequence is at
//!   most `n` (so `0` fails for every message); the others are listed in `OK [MODIFIED set]`, as
//!   sequence numbers or UIDs like the command, and get no FETCH. Once CONDSTORE is enabled the FETCH
//!   responses carry MODSEQ, and even with `.SILENT` each message this STORE changed gets
//!   `* n FETCH ([UID u] MODSEQ (m))` so the client's cached mod-sequence stays right.

use std::collections::{HashMap, HashSet};

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{StoreArgs, StoreMode};
use malt_imap_proto::{FetchItem, response::compress_ids};
use malt_store::{FlagOp, Uid, UidSet};

use malt_core::MailCore;
use malt_core::acl::Rights;
use malt_imap_proto::command::Flag;
use malt_store::{AccountId, FlagUpdate, Flags, MessageSummary, StoreError, flag};

use crate::access::{self, Access};
use crate::op::select::{right_for, write_flags};
use crate::op::{imap_flags, store_error, store_flags};
use crate::session::{Outcome, Session};
use crate::view::MailboxView;

pub(crate) async fn run(s: &mut Session, uid_mode: bool, args: &StoreArgs) -> Outcome {
    let condstore = s.condstore;
    let access = match access::selected(s) {
        Ok(a) => a,
        Err(o) => return o,
    };
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
    // RFC 4314 §4: flags the user has no right to change are silently left alone.
    let allowed: Vec<Flag> = args
        .flags
        .iter()
        .filter(|f| access.rights.contains(right_for(f)))
        .cloned()
        .collect();
    let uids = UidSet::from_uids(targets.iter().map(|(_, u)| *u));
    let update = if access.own {
        let flags = store_flags(&allowed);
        s.core
            .store_flags(
                access.owner,
                view.mailbox_id,
                &uids,
                op,
                &flags,
                args.unchanged_since,
            )
            .await
    } else {
        let keywords = view.keywords().to_vec();
        let args = SharedStore {
            op,
            allowed: &allowed,
            keywords,
            unchanged_since: args.unchanged_since,
        };
        shared_store(&s.core, access, account.id, view, &uids, args).await
    };
    let update = match update {
        Ok(u) => u,
        Err(e) => return store_error(&e),
    };
    let mut new_keyword = false;
    let failed: HashSet<Uid> = update.modified.iter().copied().collect();
    // The responses' flags: the changed messages' from the update (flags and modseq the store gave
    // them together), the others' read from the store in one go (the view keeps no flags).
    let mut known: HashMap<Uid, MessageSummary> = HashMap::new();
    for m in update.changed {
        view.record_own(m.uid, m.modseq);
        known.insert(m.uid, m);
    }
    let changed: HashSet<Uid> = known.keys().copied().collect();
    if !args.silent {
        let rest = UidSet::from_uids(
            targets
                .iter()
                .map(|(_, u)| *u)
                .filter(|u| !changed.contains(u) && !failed.contains(u)),
        );
        if !rest.is_empty() {
            let store = s.core.storage().store.as_ref();
            let read = match access::Viewer::load(store, account.id, view.mailbox_id, access.own).await {
                Ok(v) => v.summaries_in(store, view.mailbox_id, &rest).await,
                Err(e) => Err(e),
            };
            match read {
                Ok(rows) => known.extend(rows.into_iter().map(|m| (m.uid, m))),
                Err(e) => return store_error(&e),
            }
        }
    }
    for m in known.values() {
        new_keyword |= view.learn_keywords(&m.flags);
    }
    if new_keyword {
        write_flags(&mut s.out, view, access.rights);
    }
    for (seq, uid) in &targets {
        if failed.contains(uid) {
            continue;
        }
        let silent_change = args.silent && condstore && changed.contains(uid);
        if args.silent && !silent_change {
            continue;
        }
        // Expunged meanwhile (the store no longer has it): nothing to say yet.
        let Some(m) = known.get(uid) else {
            continue;
        };
        let flags = imap_flags(&m.flags);
        let mut items = Vec::with_capacity(3);
        if uid_mode {
            items.push(FetchItem::Uid(*uid));
        }
        if !args.silent {
            items.push(FetchItem::Flags(&flags));
        }
        if condstore {
            items.push(FetchItem::ModSeq(m.modseq));
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

/// What [`shared_store`] changes.
struct SharedStore<'a> {
    op: FlagOp,
    /// The flags of the command the user may change.
    allowed: &'a [Flag],
    /// The keywords the view knows (a replacement removes those not given).
    keywords: Vec<String>,
    unchanged_since: Option<u64>,
}

/// STORE when the row's flags cannot simply be replaced: in another account's mailbox (RFC 4314
/// §4: the viewer's `\Seen` is private, the row's is the owner's) or when some flags of a
/// replacing STORE are not the user's to change. A replacement becomes a removal of the other
/// flags the user may change followed by an addition of the new ones, so flags outside the
/// user's rights (and the owner's `\Seen`) stay as they are. `\Seen` of a viewer goes to
/// `private_seen_store`. The returned summaries carry the flags as the viewer sees them, with
/// the larger of the row's and the private modseq; UNCHANGEDSINCE (RFC 7162 §3.1.3) is checked by
/// the first row change and the messages it reports as modified are left out of the rest.
async fn shared_store(
    core: &MailCore,
    access: Access,
    viewer: AccountId,
    view: &MailboxView,
    uids: &UidSet,
    args: SharedStore<'_>,
) -> Result<FlagUpdate, StoreError> {
    let SharedStore {
        op,
        allowed,
        keywords,
        unchanged_since,
    } = args;
    let mailbox = view.mailbox_id;
    let private_seen = !access.own;
    let row_flags: Vec<Flag> = allowed
        .iter()
        .filter(|f| !(private_seen && **f == Flag::Seen))
        .cloned()
        .collect();
    let wanted = store_flags(&row_flags);
    // (op, flags) applied to the row, in order.
    let mut steps: Vec<(FlagOp, Flags)> = Vec::new();
    match op {
        FlagOp::Set => {
            let mut system = 0;
            for (bit, f) in [
                (flag::SEEN, Flag::Seen),
                (flag::ANSWERED, Flag::Answered),
                (flag::FLAGGED, Flag::Flagged),
                (flag::DELETED, Flag::Deleted),
                (flag::DRAFT, Flag::Draft),
            ] {
                let mine = !(private_seen && bit == flag::SEEN);
                if mine && access.rights.contains(right_for(&f)) && !wanted.has(bit) {
                    system |= bit;
                }
            }
            let removable: Vec<String> = if access.rights.contains(Rights::WRITE) {
                keywords
                    .into_iter()
                    .filter(|k| !wanted.keywords.iter().any(|w| w.eq_ignore_ascii_case(k)))
                    .collect()
            } else {
                Vec::new()
            };
            steps.push((FlagOp::Remove, Flags::new(system, removable)));
            steps.push((FlagOp::Add, wanted));
        }
        other => steps.push((other, wanted)),
    }
    let mut modified: Vec<Uid> = Vec::new();
    let mut rows: std::collections::BTreeMap<Uid, MessageSummary> = Default::default();
    let mut remaining = uids.clone();
    let mut first = true;
    let mut modseq = 0;
    for (op, flags) in steps {
        if flags.system == 0 && flags.keywords.is_empty() && op != FlagOp::Set {
            continue;
        }
        let since = if first { unchanged_since } else { None };
        first = false;
        let u = core
            .store_flags(access.owner, mailbox, &remaining, op, &flags, since)
            .await?;
        if !u.modified.is_empty() {
            modified.extend(u.modified.iter().copied());
            let left: Vec<Uid> = remaining_uids(&remaining, view)
                .into_iter()
                .filter(|x| !u.modified.contains(x))
                .collect();
            remaining = UidSet::from_uids(left);
        }
        modseq = modseq.max(u.modseq);
        for m in u.changed {
            rows.insert(m.uid, m);
        }
    }
    // The viewer's `\Seen` (RFC 4314 §4), when asked for and allowed.
    let seen_change = match op {
        _ if !private_seen || !allowed.contains(&Flag::Seen) && op != FlagOp::Set => None,
        _ if !access.rights.contains(Rights::SEEN) => None,
        FlagOp::Set => Some(allowed.contains(&Flag::Seen)),
        FlagOp::Add => Some(true),
        FlagOp::Remove => Some(false),
    };
    let mut seen_set: std::collections::BTreeMap<Uid, (bool, u64)> = Default::default();
    if let Some(seen) = seen_change
        && !remaining.is_empty()
    {
        let u = core
            .storage()
            .store
            .private_seen_store(viewer, mailbox, &remaining, seen)
            .await?;
        modseq = modseq.max(u.modseq);
        for uid in u.changed {
            seen_set.insert(uid, (seen, u.modseq));
        }
    }
    // The touched messages as the viewer now sees them, read back in one go: the row flags with its
    // private `\Seen`, the larger of the two modseqs.
    let touched = UidSet::from_uids(rows.keys().chain(seen_set.keys()).copied());
    let changed = if touched.is_empty() {
        Vec::new()
    } else {
        let store = core.storage().store.as_ref();
        access::Viewer::load(store, viewer, mailbox, access.own)
            .await?
            .summaries_in(store, mailbox, &touched)
            .await?
    };
    modified.sort_unstable();
    modified.dedup();
    Ok(FlagUpdate {
        modseq,
        changed,
        modified,
    })
}

/// The UIDs of `set` that the view holds, ascending (a walk of the set's ranges, not of the view).
fn remaining_uids(set: &UidSet, view: &MailboxView) -> Vec<Uid> {
    let uids = view.uids();
    set.ranges()
        .iter()
        .flat_map(|&(a, b)| uids.iter_from(uids.rank(a)).take_while(move |&u| u <= b))
        .collect()
}
