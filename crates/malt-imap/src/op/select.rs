//! SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3), CLOSE (§6.4.1), UNSELECT (RFC 3691).
//!
//! SELECT answers, in order: `* n EXISTS`, (rev1: `* 0 RECENT`), `* FLAGS`, `* OK [PERMANENTFLAGS]`,
//! (rev1: `* OK [UNSEEN n]`), `* OK [UIDVALIDITY]`, `* OK [UIDNEXT]`, `* OK [HIGHESTMODSEQ]`,
//! `* OK [MAILBOXID]` (RFC 8474 §4.2), (rev2: `* LIST`), then `OK [READ-WRITE]` or `[READ-ONLY]`.
//! Selecting while selected first sends `* OK [CLOSED]`; a failed SELECT leaves the session
//! authenticated (RFC 9051 §6.3.2).
//!
//! CONDSTORE/QRESYNC (RFC 7162): `[HIGHESTMODSEQ]` is always sent (every mailbox has mod-sequences, so
//! never `[NOMODSEQ]`). `(CONDSTORE)` enables CONDSTORE (§3.1.8). `(QRESYNC (uidvalidity modseq
//! [known-uids [seq-match]]))` is BAD unless QRESYNC was enabled (§3.2.5), and is checked before the
//! current mailbox is closed. When the UIDVALIDITY matches, after the usual responses come
//! `* VANISHED (EARLIER)` with the known UIDs expunged since the modseq, then `* n FETCH (UID FLAGS
//! MODSEQ)` for every message changed since it (§3.2.5). Expunged UIDs are kept for ever (tombstones),
//! so the seq-match data (§3.2.5.2) is accepted but not needed: the exact set is always sent.

use malt_imap_proto::command::{Flag, QresyncParams, SelectArgs};
use malt_imap_proto::response::compress_ids;
use malt_imap_proto::{FetchItem, ResponseCode, ResponseWriter, Status};
use malt_store::{Account, HIERARCHY_SEPARATOR, flag};

use malt_core::acl::Rights;

use crate::access::{self, Access, Target};
use crate::op::{imap_flags, mailbox_name, store_error};
use crate::session::{Outcome, Session};
use crate::state::State;
use crate::view::{MailboxView, set_contains};

fn system_flags() -> Vec<Flag> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

/// `* FLAGS` and `* OK [PERMANENTFLAGS]` with every keyword the view knows (PITFALLS 4).
/// PERMANENTFLAGS lists only the flags `rights` allow to change (RFC 4314 §4: `\Seen` needs `s`,
/// `\Deleted` needs `t`, the other flags and new keywords `w`).
pub(crate) fn write_flags(out: &mut ResponseWriter, view: &MailboxView, rights: Rights) {
    write_flags_as(out, view, rights, false);
}

/// As [`write_flags`]; a read-only (EXAMINEd) mailbox gets one `[PERMANENTFLAGS ()]` instead, since
/// no flag can be changed permanently in it (RFC 9051 §6.3.2, §7.1).
fn write_flags_as(out: &mut ResponseWriter, view: &MailboxView, rights: Rights, read_only: bool) {
    let mut flags = system_flags();
    flags.extend(view.keywords().iter().map(|k| Flag::Keyword(k.clone())));
    out.flags(&flags);
    let (code, text) = if read_only {
        let code = ResponseCode::PermanentFlags {
            flags: vec![],
            allow_new: false,
        };
        (code, "Read-only mailbox")
    } else {
        let permanent: Vec<Flag> = flags
            .into_iter()
            .filter(|f| rights.contains(right_for(f)))
            .collect();
        let code = ResponseCode::PermanentFlags {
            flags: permanent,
            allow_new: rights.contains(Rights::WRITE),
        };
        (code, "Flags permitted")
    };
    out.untagged(Status::Ok, Some(&code), text);
}

/// The right needed to change a flag (RFC 4314 §4, STORE).
pub(crate) fn right_for(f: &Flag) -> Rights {
    match f {
        Flag::Seen => Rights::SEEN,
        Flag::Deleted => Rights::DELETE_MESSAGES,
        _ => Rights::WRITE,
    }
}

/// Whether `rights` allow a read-write SELECT (RFC 4314 §4: without any of `s w i t e` the
/// mailbox is opened read-only, as nothing could be changed).
pub(crate) fn may_write(rights: Rights) -> bool {
    [
        Rights::SEEN,
        Rights::WRITE,
        Rights::INSERT,
        Rights::DELETE_MESSAGES,
        Rights::EXPUNGE,
    ]
    .into_iter()
    .any(|r| rights.contains(r))
}

fn take_account(s: &mut Session) -> Option<Box<Account>> {
    s.access = None;
    let state = &mut s.state;
    match std::mem::replace(state, State::Logout) {
        State::Authenticated { account } | State::Selected { account, .. } => Some(account),
        other => {
            *state = other;
            None
        }
    }
}

/// SELECT/EXAMINE with their CONDSTORE/QRESYNC parameters (RFC 7162 §3.1.8, §3.2.5).
pub(crate) async fn run_args(s: &mut Session, args: &SelectArgs, read_only: bool) -> Outcome {
    if args.qresync.is_some() && !s.qresync {
        // RFC 7162 §3.2.5: QRESYNC parameter without ENABLE QRESYNC.
        return Outcome::bad("QRESYNC is not enabled");
    }
    let outcome = run(s, &args.mailbox, read_only).await;
    let State::Selected { view, .. } = &mut s.state else {
        return outcome;
    };
    view.set_report_vanished(s.qresync);
    if let Some(q) = &args.qresync
        && q.uidvalidity == view.uidvalidity
        && let Err(o) = resync(s, q).await
    {
        // A failed SELECT leaves the session authenticated (RFC 9051 §6.3.2).
        unselect(s);
        return o;
    }
    outcome
}

/// The QRESYNC answer (RFC 7162 §3.2.5): `VANISHED (EARLIER)` then the changed messages' FETCH.
async fn resync(s: &mut Session, q: &QresyncParams) -> Result<(), Outcome> {
    let State::Selected { view, .. } = &s.state else {
        return Ok(());
    };
    let changes = s
        .core
        .storage()
        .store
        .mailbox_changes(view.mailbox_id, q.modseq)
        .await
        .map_err(|e| store_error(&e))?;
    let vanished: Vec<u32> = changes
        .vanished
        .into_iter()
        .filter(|u| view.seq_of(*u).is_none())
        .filter(|u| {
            q.known_uids
                .as_ref()
                .is_none_or(|set| set_contains(set, *u, u32::MAX))
        })
        .collect();
    s.out.vanished(true, &compress_ids(&vanished));
    // The flags and modseqs are read once here (the view keeps none), as this viewer sees them.
    let (State::Selected { view, account, .. }, Some(access)) = (&mut s.state, s.access) else {
        return Ok(());
    };
    let store = s.core.storage().store.as_ref();
    let summaries = access::viewer_summaries(store, account.id, view.mailbox_id, access.own)
        .await
        .map_err(|e| store_error(&e))?;
    for m in summaries.iter().filter(|m| m.modseq > q.modseq) {
        let Some(seq) = view.seq_of(m.uid) else {
            continue;
        };
        // PITFALLS 4: a keyword set since SELECT read the keywords comes with `* FLAGS` first.
        if view.learn_keywords(&m.flags) {
            write_flags(&mut s.out, view, access.rights);
        }
        let flags = imap_flags(&m.flags);
        s.out.fetch(
            seq,
            &[
                FetchItem::Uid(m.uid),
                FetchItem::Flags(&flags),
                FetchItem::ModSeq(m.modseq),
            ],
        );
    }
    Ok(())
}

pub(crate) async fn run(s: &mut Session, mailbox: &str, read_only: bool) -> Outcome {
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let was_selected = matches!(s.state, State::Selected { .. });
    // RFC 4314 §4: SELECT and EXAMINE need `r`; resolved before the current mailbox is closed.
    let target = access::resolve(s, &name).await;
    let Some(account) = take_account(s) else {
        return Outcome::bad("Not authenticated");
    };
    s.revoked = false;
    if was_selected {
        s.out
            .untagged(Status::Ok, Some(&ResponseCode::Closed), "Previous mailbox closed");
    }
    let opened = match target {
        Ok(t) => open(s, &account, &t).await.map(|v| (v, t)),
        Err(o) => Err(o),
    };
    let (view, target) = match opened {
        Ok(v) => v,
        Err(o) => {
            s.state = State::Authenticated { account };
            return o;
        }
    };
    let examine = read_only;
    let read_only = read_only || !may_write(target.rights);
    let out = &mut s.out;
    out.exists(view.exists());
    if !s.rev2 {
        out.recent(0);
    }
    write_flags_as(out, &view, target.rights, read_only);
    if !s.rev2
        && let Some(seq) = view.first_unseen
    {
        out.untagged(Status::Ok, Some(&ResponseCode::Unseen(seq)), "First unseen");
    }
    let (uidvalidity, uidnext, modseq) = view_numbers(&view);
    out.untagged(
        Status::Ok,
        Some(&ResponseCode::UidValidity(uidvalidity)),
        "UIDs valid",
    );
    out.untagged(
        Status::Ok,
        Some(&ResponseCode::UidNext(uidnext)),
        "Predicted next UID",
    );
    out.untagged(Status::Ok, Some(&ResponseCode::HighestModSeq(modseq)), "Highest");
    // RFC 8474 §4.2: SELECT/EXAMINE report the mailbox's MAILBOXID.
    out.untagged(
        Status::Ok,
        Some(&ResponseCode::MailboxId(crate::objectid::mailbox_id(
            view.uidvalidity,
        ))),
        "Mailbox id",
    );
    if s.rev2 {
        out.list(
            false,
            &[],
            Some(HIERARCHY_SEPARATOR),
            &target.display,
            false,
            None,
        );
    }
    s.access = Some(Access {
        owner: target.owner,
        rights: target.rights,
        own: target.own,
        acl_changed: false,
    });
    s.state = State::Selected {
        account,
        view: Box::new(view.view),
        read_only,
    };
    let code = if read_only {
        ResponseCode::ReadOnly
    } else {
        ResponseCode::ReadWrite
    };
    Outcome::ok(if examine {
        "EXAMINE completed"
    } else {
        "SELECT completed"
    })
    .code(code)
}

/// UIDVALIDITY, UIDNEXT and the view's modseq; UIDNEXT is one past the highest UID the view holds
/// when the mailbox row was read before a concurrent append.
fn view_numbers(view: &ViewWithNext) -> (u32, u32, u64) {
    (view.uidvalidity, view.uidnext, view.modseq())
}

/// The view and the mailbox's UIDNEXT at SELECT time.
type ViewWithNext = Opened;

pub(crate) struct Opened {
    pub view: MailboxView,
    pub uidnext: u32,
    /// The sequence number of the first message without `\Seen`, for `[UNSEEN n]`.
    pub first_unseen: Option<u32>,
}

impl std::ops::Deref for Opened {
    type Target = MailboxView;
    fn deref(&self) -> &MailboxView {
        &self.view
    }
}

async fn open(s: &Session, account: &Account, target: &Target) -> Result<Opened, Outcome> {
    let mb = target.need(Rights::READ)?;
    // The modseq is read before the summaries: anything committed in between is re-read at the next
    // sync point and applied idempotently. Another account's mailbox shows the viewer's `\Seen`.
    let store = &s.core.storage().store;
    let summaries = match access::viewer_summaries(store.as_ref(), account.id, mb.id, target.own).await {
        Ok(v) => v,
        Err(e) => return Err(store_error(&e)),
    };
    let max_uid = summaries.iter().map(|m| m.uid).max().unwrap_or(0);
    let view = MailboxView::new(
        mb.id,
        target.display.clone(),
        mb.uidvalidity,
        mb.highest_modseq,
        &summaries,
    );
    // `[UNSEEN n]` (RFC 3501 §6.3.1) from the summaries, which are dropped after SELECT: the view
    // keeps no flags.
    let first_unseen = view
        .uids()
        .iter()
        .zip(1u32..)
        .find(|(u, _)| {
            summaries
                .binary_search_by_key(u, |m| m.uid)
                .ok()
                .and_then(|i| summaries.get(i))
                .is_some_and(|m| !m.flags.has(flag::SEEN))
        })
        .map(|(_, seq)| seq);
    Ok(Opened {
        view,
        uidnext: mb.uidnext.max(max_uid.saturating_add(1)),
        first_unseen,
    })
}

/// CLOSE: expunges `\Deleted` messages silently (not when read-only, nor without the `e` right,
/// RFC 4314 §4), then leaves the selected state.
pub(crate) async fn close(s: &mut Session) -> Outcome {
    let access = s.access.take();
    let State::Selected {
        account,
        view,
        read_only,
    } = std::mem::replace(&mut s.state, State::Logout)
    else {
        return Outcome::bad("No mailbox selected");
    };
    let result = match access {
        Some(a) if !read_only && a.rights.contains(Rights::EXPUNGE) => {
            s.core.expunge(a.owner, view.mailbox_id, None).await
        }
        _ => Ok(Vec::new()),
    };
    s.state = State::Authenticated { account };
    match result {
        Ok(_) => Outcome::ok("CLOSE completed"),
        Err(e) => store_error(&e),
    }
}

/// UNSELECT: leaves the selected state without expunging.
pub(crate) fn unselect(s: &mut Session) -> Outcome {
    if let Some(account) = take_account(s) {
        s.state = State::Authenticated { account };
    }
    Outcome::ok("UNSELECT completed")
}
