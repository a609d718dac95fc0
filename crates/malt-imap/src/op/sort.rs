//! SORT and UID SORT (RFC 5256 §3, §4; RFC 5957 DISPLAYFROM/DISPLAYTO): `* SORT n...` in sort order, or
//! with RETURN options an ESORT answer `* ESEARCH (TAG "t") [UID] ...` (RFC 5267 §3) whose MIN/MAX are the
//! first/last in sort order and whose ALL keeps the sort order; RETURN (SAVE) saves the result for `$`
//! (RFC 5182 §2.4). A MODSEQ search key adds the highest modseq of the result (RFC 7162 §3.1.5).
//!
//! Invariant: everything comes from the metadata kept at ingest, read in chunks by the search, each hit
//! keeping only its sort fields; no blob is read (unless the search key itself needs the raw message). No EXPUNGE is sent during SORT.

use malt_imap_proto::command::SortArgs;
use malt_store::meta::SortFields;

use crate::op::search::{Hit, answer_returns, checked_hits, has_modseq, highest_modseq};
use crate::session::{Outcome, Session};
use crate::sort::{SortItem, sort};

pub(crate) async fn run(s: &mut Session, tag: &str, uid_mode: bool, args: &SortArgs) -> Outcome {
    let hits = match checked_hits(s, Some(&args.charset), &args.key, true, args.returns.as_ref()).await {
        Ok(h) => h,
        Err(o) => return o,
    };
    let empty = SortFields::default();
    let mut items: Vec<(SortItem<'_>, &Hit)> = hits
        .iter()
        .map(|h| {
            let item = SortItem {
                seq: h.seq,
                uid: h.uid,
                internal_date: h.sort.as_ref().map_or(0, |d| d.internal_date),
                size: h.sort.as_ref().map_or(0, |d| d.size),
                fields: h.sort.as_ref().map_or(&empty, |d| &d.fields),
            };
            (item, h)
        })
        .collect();
    let mut order: Vec<SortItem<'_>> = items.iter().map(|(i, _)| *i).collect();
    sort(&mut order, &args.criteria);
    // Hits by sequence number are ascending: find each sorted item's hit by binary search.
    items.sort_by_key(|(i, _)| i.seq);
    let sorted: Vec<&Hit> = order
        .iter()
        .filter_map(|o| {
            let i = items.binary_search_by_key(&o.seq, |(i, _)| i.seq).ok()?;
            items.get(i).map(|(_, h)| *h)
        })
        .collect();
    let with_modseq = has_modseq(&args.key);
    match &args.returns {
        None => {
            let ids: Vec<u32> = sorted
                .iter()
                .map(|h| if uid_mode { h.uid } else { h.seq })
                .collect();
            let modseq = with_modseq
                .then(|| highest_modseq(sorted.iter().copied()))
                .flatten();
            s.out.sort(&ids, modseq);
        }
        Some(returns) => answer_returns(s, tag, uid_mode, returns, &sorted, with_modseq),
    }
    Outcome::ok("SORT completed")
}
