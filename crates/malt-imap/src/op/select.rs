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
pub(crate) fn write_flags(out: &mut ResponseWriter, view: &MailboxView) {
    write_flags_as(out, view, false);
}

/// As [`write_flags`]; a read-only (EXAMINEd) mailbox gets one `[PERMANENTFLAGS ()]` instead, since
/// no flag can be changed permanently in it (RFC 9051 §6.3.2, §7.1).
fn write_flags_as(out: &mut ResponseWriter, view: &MailboxView, read_only: bool) {
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
        let code = ResponseCode::PermanentFlags {
            flags,
            allow_new: true,
        };
        (code, "Flags permitted")
    };
    out.untagged(Status::Ok, Some(&code), text);
}

fn take_account(state: &mut State) -> Option<Box<Account>> {
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
    for (i, &uid) in view.uids().iter().enumerate() {
        let modseq = view.modseq_of(uid);
        if modseq <= q.modseq {
            continue;
        }
        let flags = view.flags_of(uid).map(imap_flags).unwrap_or_default();
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        s.out.fetch(
            seq,
            &[
                FetchItem::Uid(uid),
                FetchItem::Flags(&flags),
                FetchItem::ModSeq(modseq),
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
    let Some(account) = take_account(&mut s.state) else {
        return Outcome::bad("Not authenticated");
    };
    if was_selected {
        s.out
            .untagged(Status::Ok, Some(&ResponseCode::Closed), "Previous mailbox closed");
    }
    let opened = open(s, &account, &name).await;
    let view = match opened {
        Ok(v) => v,
        Err(o) => {
            s.state = State::Authenticated { account };
            return o;
        }
    };
    let out = &mut s.out;
    out.exists(view.exists());
    if !s.rev2 {
        out.recent(0);
    }
    write_flags_as(out, &view, read_only);
    if !s.rev2
        && let Some(seq) = view
            .uids()
            .iter()
            .position(|u| view.flags_of(*u).is_some_and(|f| !f.has(flag::SEEN)))
    {
        let seq = u32::try_from(seq + 1).unwrap_or(u32::MAX);
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
            view.mailbox_id,
        ))),
        "Mailbox id",
    );
    if s.rev2 {
        out.list(false, &[], Some(HIERARCHY_SEPARATOR), &view.name, false, None);
    }
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
    Outcome::ok(if read_only {
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
}

impl std::ops::Deref for Opened {
    type Target = MailboxView;
    fn deref(&self) -> &MailboxView {
        &self.view
    }
}

async fn open(s: &Session, account: &Account, name: &str) -> Result<Opened, Outcome> {
    let mb = match s.core.mailbox(account.id, name).await {
        Ok(Some(mb)) => mb,
        Ok(None) => return Err(Outcome::no(Some(ResponseCode::NonExistent), "No such mailbox")),
        Err(e) => return Err(store_error(&e)),
    };
    // The modseq is read before the summaries: anything committed in between is re-read at the next
    // sync point and applied idempotently.
    let summaries = match s.core.storage().store.message_summaries(mb.id).await {
        Ok(v) => v,
        Err(e) => return Err(store_error(&e)),
    };
    let max_uid = summaries.iter().map(|m| m.uid).max().unwrap_or(0);
    let view = MailboxView::new(
        mb.id,
        mb.name.clone(),
        mb.uidvalidity,
        mb.highest_modseq,
        summaries,
    );
    Ok(Opened {
        view,
        uidnext: mb.uidnext.max(max_uid.saturating_add(1)),
    })
}

/// CLOSE: expunges `\Deleted` messages silently (not when read-only), then leaves the selected state.
pub(crate) async fn close(s: &mut Session) -> Outcome {
    let State::Selected {
        account,
        view,
        read_only,
    } = std::mem::replace(&mut s.state, State::Logout)
    else {
        return Outcome::bad("No mailbox selected");
    };
    let result = if read_only {
        Ok(Vec::new())
    } else {
        s.core.expunge(account.id, view.mailbox_id, None).await
    };
    s.state = State::Authenticated { account };
    match result {
        Ok(_) => Outcome::ok("CLOSE completed"),
        Err(e) => store_error(&e),
    }
}

/// UNSELECT: leaves the selected state without expunging.
pub(crate) fn unselect(s: &mut Session) -> Outcome {
    if let Some(account) = take_account(&mut s.state) {
        s.state = State::Authenticated { account };
    }
    Outcome::ok("UNSELECT completed")
}
