//! SEARCH and UID SEARCH (RFC 9051 §6.4.4): `* SEARCH` (IMAP4rev1 style), or `* ESEARCH` when the client
//! gave RETURN options or enabled IMAP4rev2 (MIN MAX ALL COUNT; SAVE is not supported). Charsets other than UTF-8 and
//! US-ASCII are `NO [BADCHARSET]`. No EXPUNGE is sent during SEARCH (RFC 9051 §7.5.1).

use std::collections::HashMap;

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{SearchArgs, SearchReturn};
use malt_imap_proto::response::{EsearchData, compress_ids};
use malt_store::{Message, Uid, UidSet};

use crate::op::store_error;
use crate::search::{Bounds, Candidate, matches, needs_meta, needs_raw};
use crate::session::{Outcome, Session};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, tag: &str, uid_mode: bool, args: &SearchArgs) -> Outcome {
    if let Some(cs) = &args.charset
        && !cs.eq_ignore_ascii_case("UTF-8")
        && !cs.eq_ignore_ascii_case("US-ASCII")
    {
        return Outcome::no(
            Some(ResponseCode::BadCharset(vec!["UTF-8".into(), "US-ASCII".into()])),
            "Unsupported charset",
        );
    }
    if let Some(r) = &args.returns
        && r.contains(&SearchReturn::Save)
    {
        return Outcome::bad("SEARCH RETURN (SAVE) is not supported");
    }
    let State::Selected { view, .. } = &s.state else {
        return Outcome::bad("No mailbox selected");
    };
    let meta = needs_meta(&args.key) || needs_raw(&args.key);
    let messages: HashMap<Uid, Message> = if meta && view.exists() > 0 {
        match s
            .core
            .storage()
            .store
            .messages(view.mailbox_id, &UidSet::from_uids(view.uids().iter().copied()))
            .await
        {
            Ok(v) => v.into_iter().map(|m| (m.uid, m)).collect(),
            Err(e) => return store_error(&e),
        }
    } else {
        HashMap::new()
    };
    let bounds = Bounds {
        exists: view.exists(),
        max_uid: view.uids().last().copied().unwrap_or(0),
    };
    let mut hits: Vec<u32> = Vec::new();
    let default_flags = malt_store::Flags::default();
    for (i, &uid) in view.uids().iter().enumerate() {
        if view.is_expunged(uid) {
            continue;
        }
        let msg = messages.get(&uid);
        let raw = match (needs_raw(&args.key), msg) {
            (true, Some(m)) => s.core.read_message(&m.blob_id).await.ok(),
            _ => None,
        };
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let c = Candidate {
            seq,
            uid,
            flags: view.flags_of(uid).unwrap_or(&default_flags),
            msg,
            raw: raw.as_deref(),
        };
        if matches(&args.key, &c, &bounds) {
            hits.push(if uid_mode { uid } else { seq });
        }
    }
    // RFC 9051 §7.3.4: an IMAP4rev2 client gets ESEARCH even without RETURN (meaning RETURN (ALL)).
    let rev2_all = Vec::new();
    let returns = match &args.returns {
        None if s.rev2 => Some(&rev2_all),
        other => other.as_ref(),
    };
    match returns {
        None => s.out.search(&hits, None),
        Some(returns) => {
            let all = returns.is_empty() || returns.contains(&SearchReturn::All);
            let data = EsearchData {
                min: returns
                    .contains(&SearchReturn::Min)
                    .then(|| hits.first().copied())
                    .flatten(),
                max: returns
                    .contains(&SearchReturn::Max)
                    .then(|| hits.last().copied())
                    .flatten(),
                count: returns
                    .contains(&SearchReturn::Count)
                    .then(|| u32::try_from(hits.len()).unwrap_or(u32::MAX)),
                all: (all && !hits.is_empty()).then(|| compress_ids(&hits)),
                modseq: None,
            };
            s.out.esearch(Some(tag), uid_mode, &data);
        }
    }
    Outcome::ok("SEARCH completed")
}
