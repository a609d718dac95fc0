//! COPY/UID COPY (RFC 9051 §6.4.7) and MOVE/UID MOVE (RFC 6851), with `[COPYUID]` (RFC 4315 §3).
//!
//! - A missing destination is `NO [TRYCREATE]`.
//! - MOVE sends `* OK [COPYUID ...]` untagged, then `* n EXPUNGE` for each moved message, then the tagged
//!   OK (RFC 6851 §4.3); with QRESYNC enabled one `* VANISHED uids` instead (RFC 7162 §3.2.10).
//!   MOVE in an EXAMINEd mailbox is refused with `[READ-ONLY]`.
//! - Copying into the selected mailbox marks the view dirty: `EXISTS` follows before the tagged OK.

use malt_imap_proto::command::SequenceSet;
use malt_imap_proto::response::compress_ids;
use malt_imap_proto::{ResponseCode, Status};
use malt_store::{Uid, UidSet};

use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session, announce_removed};

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
    let (account, view) = match s.state.selected(is_move) {
        Ok(sel) => sel,
        Err(o) => return o,
    };
    let targets = match view.resolve(set, uid_mode) {
        Ok(t) => t,
        Err(e) => return Outcome::bad(e.0),
    };
    let dest = match s.core.mailbox(account.id, &name).await {
        Ok(Some(mb)) => mb,
        Ok(None) => return Outcome::no(Some(ResponseCode::TryCreate), "Mailbox does not exist"),
        Err(e) => return store_error(&e),
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
    let result = if is_move {
        s.core
            .move_messages(account.id, view.mailbox_id, &set, dest.id)
            .await
    } else {
        s.core.copy(account.id, view.mailbox_id, &set, dest.id).await
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    if dest.id == view.mailbox_id {
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
