//! THREAD and UID THREAD (RFC 5256 §3, §4): ORDEREDSUBJECT and REFERENCES over the messages matching
//! the search key, `* THREAD (..)(..)`; any other algorithm is BAD (RFC 5256 §3: the server advertises
//! the ones it supports). Charsets other than UTF-8 and US-ASCII are `NO [BADCHARSET]`.
//!
//! Invariant: everything comes from the metadata kept at ingest, read in chunks by the search, each hit
//! keeping only its sort fields; no blob is read (unless the search key itself needs the raw message). No EXPUNGE is sent during THREAD.

use malt_imap_proto::command::{ThreadAlgorithm, ThreadArgs};
use malt_store::meta::SortFields;

use crate::op::search::checked_hits;
use crate::session::{Outcome, Session};
use crate::thread::{ThreadItem, ordered_subject, references};

pub(crate) async fn run(s: &mut Session, uid_mode: bool, args: &ThreadArgs) -> Outcome {
    let algorithm: fn(&[ThreadItem<'_>]) -> Vec<_> = match &args.algorithm {
        ThreadAlgorithm::OrderedSubject => ordered_subject,
        ThreadAlgorithm::References => references,
        ThreadAlgorithm::Other(name) => {
            return Outcome::bad(format!("Unsupported threading algorithm {name}"));
        }
    };
    let hits = match checked_hits(s, Some(&args.charset), &args.key, true, None).await {
        Ok(h) => h,
        Err(o) => return o,
    };
    let empty = SortFields::default();
    let fields: Vec<(&SortFields, i64, bool)> = hits
        .iter()
        .map(|h| {
            let f = h.sort.as_ref().map_or(&empty, |d| &d.fields);
            let internal = h.sort.as_ref().map_or(0, |d| d.internal_date);
            let refwd = malt_core::ingest::base_subject_refwd(&f.subject).1;
            (f, f.sent_date.unwrap_or(internal), refwd)
        })
        .collect();
    let items: Vec<ThreadItem<'_>> = hits
        .iter()
        .zip(&fields)
        .map(|(h, &(f, sent_date, refwd))| ThreadItem {
            id: if uid_mode { h.uid } else { h.seq },
            seq: h.seq,
            sent_date,
            base_subject: &f.base_subject,
            refwd,
            message_id: f.message_id.as_deref(),
            in_reply_to: &f.in_reply_to,
            references: &f.references,
        })
        .collect();
    let threads = algorithm(&items);
    s.out.thread(&threads);
    crate::thread::dismantle(threads);
    Outcome::ok("THREAD completed")
}
