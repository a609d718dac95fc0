//! SEARCH and UID SEARCH (RFC 9051 §6.4.4): `* SEARCH` (IMAP4rev1 style), or `* ESEARCH` when the client
//! gave RETURN options or enabled IMAP4rev2 (RFC 4731 MIN MAX ALL COUNT, RFC 5182 SAVE). Charsets other
//! than UTF-8 and US-ASCII are `NO [BADCHARSET]`. No EXPUNGE is sent during SEARCH (RFC 9051 §7.5.1).
//!
//! Shared with SORT and THREAD: [`evaluate`] (the matching messages, `$` expanded, the mailbox read
//! `SEARCH_CHUNK` messages at a time: flags always, metadata only when needed, one hit keeping only
//! its sequence number, UID, modseq and, for SORT/THREAD, its sort fields), [`esearch_data`] and [`saved_subset`] (RETURN options over an ordered
//! result), [`highest_modseq`] (RFC 7162 §3.1.5: reported only when the key used MODSEQ).

use std::collections::{HashMap, HashSet};

use malt_imap_proto::ResponseCode;
use malt_imap_proto::command::{SearchArgs, SearchKey, SearchReturn, SeqNum, SeqRange, SequenceSet};
use malt_imap_proto::response::{EsearchData, compress_ids};
use malt_store::meta::SortFields;
use malt_store::{Message, MessageSummary, ModSeq, Uid, UidSet};

use crate::access::Viewer;
use crate::view::UidRuns;

use crate::op::store_error;
use crate::search::{Bounds, Candidate, HeaderPrefilter, matches, needs_meta, needs_raw};
use crate::session::{Outcome, Session};
use crate::state::State;

/// One matching message, with only what the answer needs.
pub(crate) struct Hit {
    pub seq: u32,
    pub uid: Uid,
    /// Its mod-sequence as the viewer sees it (RFC 7162 §3.1.5).
    pub modseq: ModSeq,
    /// What SORT and THREAD order by, when asked for (not the whole record).
    pub sort: Option<Box<SortData>>,
}

/// The fields of a hit SORT and THREAD use (RFC 5256): kept per hit instead of its whole metadata.
pub(crate) struct SortData {
    pub internal_date: i64,
    pub size: u64,
    pub fields: SortFields,
}

/// Messages read from the store per round trip while searching: a SEARCH over a whole large
/// mailbox never holds more than this many messages' metadata at once.
const SEARCH_CHUNK: usize = 500;

/// `NO [BADCHARSET]` unless the charset is absent, UTF-8 or US-ASCII (RFC 9051 §6.4.4, RFC 5256 §3).
fn check_charset(charset: Option<&str>) -> Result<(), Outcome> {
    match charset {
        Some(cs) if !cs.eq_ignore_ascii_case("UTF-8") && !cs.eq_ignore_ascii_case("US-ASCII") => {
            Err(Outcome::no(
                Some(ResponseCode::BadCharset(vec!["UTF-8".into(), "US-ASCII".into()])),
                "Unsupported charset",
            ))
        }
        _ => Ok(()),
    }
}

/// Whether the key uses `MODSEQ` (RFC 7162 §3.1.5: then the response carries the highest modseq).
pub(crate) fn has_modseq(key: &SearchKey) -> bool {
    match key {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(k) => has_modseq(k),
        SearchKey::Or(a, b) => has_modseq(a) || has_modseq(b),
        SearchKey::And(v) => v.iter().any(has_modseq),
        _ => false,
    }
}

/// The saved UIDs as a sequence set of UIDs; `None` when empty.
fn saved_set(saved: &UidRuns) -> Option<SequenceSet> {
    let ranges: Vec<SeqRange> = saved
        .ranges()
        .map(|(a, b)| SeqRange {
            start: SeqNum::Value(a),
            end: SeqNum::Value(b),
        })
        .collect();
    (!ranges.is_empty()).then_some(SequenceSet::Ranges(ranges))
}

/// `key` with `$` (as a sequence set or in `UID $`) replaced by the saved UIDs (RFC 5182 §2.1); an
/// empty `$` matches nothing.
fn expand_saved(key: &SearchKey, saved: &UidRuns) -> SearchKey {
    let nothing = || SearchKey::Not(Box::new(SearchKey::All));
    match key {
        SearchKey::SequenceSet(SequenceSet::Saved) | SearchKey::Uid(SequenceSet::Saved) => {
            saved_set(saved).map_or_else(nothing, SearchKey::Uid)
        }
        SearchKey::Not(k) => SearchKey::Not(Box::new(expand_saved(k, saved))),
        SearchKey::Or(a, b) => {
            SearchKey::Or(Box::new(expand_saved(a, saved)), Box::new(expand_saved(b, saved)))
        }
        SearchKey::And(v) => SearchKey::And(v.iter().map(|k| expand_saved(k, saved)).collect()),
        other => other.clone(),
    }
}

/// The messages of the selected mailbox matching `key`, ascending. With `with_meta` (SORT, THREAD) every
/// hit carries its sort fields. The mailbox is read `SEARCH_CHUNK` messages at a time: the flags and
/// modseqs as the viewer sees them (one read per chunk), the metadata only when the key or the
/// caller needs it, blobs only for HEADER/BODY/TEXT keys; only the hits' answer data is kept. A key
/// on header words first rules out, from the kept header blocks, the messages that cannot match
/// ([`HeaderPrefilter`]): their metadata and octets are not read.
async fn evaluate(s: &Session, key: &SearchKey, with_meta: bool) -> Result<Vec<Hit>, Outcome> {
    let (State::Selected { view, account, .. }, Some(access)) = (&s.state, s.access) else {
        return Err(Outcome::bad("No mailbox selected"));
    };
    let key = expand_saved(key, view.saved());
    let raw_needed = needs_raw(&key);
    let meta = with_meta || needs_meta(&key) || raw_needed;
    let prefilter = HeaderPrefilter::of(&key);
    let store = s.core.storage().store.as_ref();
    let viewer = Viewer::load(store, account.id, view.mailbox_id, access.own)
        .await
        .map_err(|e| store_error(&e))?;
    let bounds = Bounds {
        exists: view.exists(),
        max_uid: view.max_uid(),
    };
    let mut hits = Vec::new();
    let total = view.exists();
    let mut from = 0u32;
    while from < total {
        let chunk: Vec<(u32, Uid)> = (from.saturating_add(1)..)
            .zip(view.uids().iter_from(from))
            .take(SEARCH_CHUNK)
            .filter(|(_, u)| !view.is_expunged(*u))
            .collect();
        from = from.saturating_add(u32::try_from(SEARCH_CHUNK).unwrap_or(u32::MAX));
        if chunk.is_empty() {
            continue;
        }
        let set = UidSet::from_uids(chunk.iter().map(|(_, u)| *u));
        let summaries: HashMap<Uid, MessageSummary> = viewer
            .summaries_in(store, view.mailbox_id, &set)
            .await
            .map_err(|e| store_error(&e))?
            .into_iter()
            .map(|m| (m.uid, m))
            .collect();
        let ruled_out: HashSet<Uid> = match &prefilter {
            Some(p) => store
                .message_headers(view.mailbox_id, &set)
                .await
                .map_err(|e| store_error(&e))?
                .into_iter()
                .filter(|h| p.rules_out(&h.header))
                .map(|h| h.uid)
                .collect(),
            None => HashSet::new(),
        };
        let set = if ruled_out.is_empty() {
            set
        } else {
            UidSet::from_uids(chunk.iter().map(|(_, u)| *u).filter(|u| !ruled_out.contains(u)))
        };
        let mut messages: HashMap<Uid, Message> = if meta && ruled_out.len() < chunk.len() {
            match store.messages(view.mailbox_id, &set).await {
                Ok(v) => v.into_iter().map(|m| (m.uid, m)).collect(),
                Err(e) => return Err(store_error(&e)),
            }
        } else {
            HashMap::new()
        };
        // Message octets, read ahead a few at a time as FETCH does; an unreadable one matches no
        // text key.
        let mut raws: HashMap<Uid, Vec<u8>> = HashMap::new();
        for (i, &(seq, uid)) in chunk.iter().enumerate() {
            // Expunged meanwhile (the store no longer has it), or cannot match.
            let Some(summary) = summaries.get(&uid) else {
                continue;
            };
            if ruled_out.contains(&uid) {
                continue;
            }
            if raw_needed && messages.contains_key(&uid) && !raws.contains_key(&uid) {
                let ahead = crate::op::fetch::read_ahead(chunk.get(i..).unwrap_or_default(), &messages);
                let uids: Vec<Uid> = ahead.iter().map(|m| m.uid).collect();
                if let Ok(read) = s.core.read_messages(&ahead).await {
                    raws.extend(uids.into_iter().zip(read).filter_map(|(u, r)| Some((u, r.ok()?))));
                }
            }
            let raw = raws.remove(&uid);
            let msg = messages.get(&uid);
            let c = Candidate {
                seq,
                uid,
                flags: &summary.flags,
                modseq: summary.modseq,
                msg,
                raw: raw.as_deref(),
            };
            if matches(&key, &c, &bounds) {
                let sort = if with_meta {
                    messages.remove(&uid).map(|m| {
                        Box::new(SortData {
                            internal_date: m.internal_date,
                            size: m.size,
                            fields: m.meta.sort,
                        })
                    })
                } else {
                    None
                };
                hits.push(Hit {
                    seq,
                    uid,
                    modseq: summary.modseq,
                    sort,
                });
            }
        }
    }
    hits.shrink_to_fit();
    Ok(hits)
}

/// The highest modseq of `hits` (RFC 7162 §3.1.5); `None` when nothing matched.
pub(crate) fn highest_modseq<'a>(hits: impl IntoIterator<Item = &'a Hit>) -> Option<u64> {
    hits.into_iter().map(|h| h.modseq).max()
}

/// Indexes into an ordered result that RETURN reports or saves: everything with ALL or COUNT (or no
/// option but SAVE), else only the MIN and MAX entries (RFC 5182 §2.4).
pub(crate) fn saved_subset(returns: &[SearchReturn], len: usize) -> Vec<usize> {
    let has = |r| returns.contains(&r);
    let whole = has(SearchReturn::All)
        || has(SearchReturn::Count)
        || !(has(SearchReturn::Min) || has(SearchReturn::Max));
    if whole {
        return (0..len).collect();
    }
    let mut out = Vec::new();
    if len > 0 && has(SearchReturn::Min) {
        out.push(0);
    }
    if len > 1 && has(SearchReturn::Max) {
        out.push(len - 1);
    }
    if len == 1 && out.is_empty() && has(SearchReturn::Max) {
        out.push(0);
    }
    out
}

/// ESEARCH data for `ids` in result order (ascending for SEARCH, sort order for ESORT, RFC 5267 §3.1):
/// MIN/MAX are the first/last and are omitted when nothing matched, COUNT is always given when asked
/// for, `RETURN ()` means ALL (RFC 4731 §3.1), ALL keeps the order.
pub(crate) fn esearch_data(returns: &[SearchReturn], ids: &[u32], modseq: Option<u64>) -> EsearchData {
    let has = |r| returns.contains(&r);
    let all = returns.is_empty() || has(SearchReturn::All);
    EsearchData {
        min: has(SearchReturn::Min).then(|| ids.first().copied()).flatten(),
        max: has(SearchReturn::Max).then(|| ids.last().copied()).flatten(),
        count: has(SearchReturn::Count).then(|| u32::try_from(ids.len()).unwrap_or(u32::MAX)),
        all: (all && !ids.is_empty()).then(|| compress_ids(ids)),
        modseq: modseq.filter(|_| !ids.is_empty()),
    }
}

/// Writes the answer to SEARCH or SORT with RETURN options and applies SAVE (RFC 5182 §2.4): `ids` and
/// `hits` in result order. A RETURN with only SAVE sends no ESEARCH.
pub(crate) fn answer_returns(
    s: &mut Session,
    tag: &str,
    uid_mode: bool,
    returns: &[SearchReturn],
    hits: &[&Hit],
    with_modseq: bool,
) {
    let ids: Vec<u32> = hits
        .iter()
        .map(|h| if uid_mode { h.uid } else { h.seq })
        .collect();
    let reported = saved_subset(returns, hits.len());
    let modseq = with_modseq
        .then(|| highest_modseq(reported.iter().filter_map(|&i| hits.get(i).copied())))
        .flatten();
    let save = returns.contains(&SearchReturn::Save);
    let others: Vec<SearchReturn> = returns
        .iter()
        .copied()
        .filter(|r| *r != SearchReturn::Save)
        .collect();
    if !save || !others.is_empty() {
        let data = esearch_data(&others, &ids, modseq);
        s.out.esearch(Some(tag), uid_mode, &data);
    }
    if save && let State::Selected { view, .. } = &mut s.state {
        view.save(reported.iter().filter_map(|&i| hits.get(i)).map(|h| h.uid));
    }
}

/// Empties `$` after a failed command that had SAVE (RFC 5182 §2.1).
fn clear_saved(s: &mut Session, returns: Option<&Vec<SearchReturn>>) {
    if returns.is_some_and(|r| r.contains(&SearchReturn::Save))
        && let State::Selected { view, .. } = &mut s.state
    {
        view.save([]);
    }
}

/// Checks the charset and evaluates `key` (with the sort fields when `sorted`); on failure the saved
/// result is cleared as RFC 5182 §2.1 asks and the tagged answer returned. Shared by SEARCH and SORT.
pub(crate) async fn checked_hits(
    s: &mut Session,
    charset: Option<&str>,
    key: &SearchKey,
    sorted: bool,
    returns: Option<&Vec<SearchReturn>>,
) -> Result<Vec<Hit>, Outcome> {
    let hits = match check_charset(charset) {
        Ok(()) => evaluate(s, key, sorted).await,
        Err(o) => Err(o),
    };
    if hits.is_err() {
        clear_saved(s, returns);
    }
    hits
}

pub(crate) async fn run(s: &mut Session, tag: &str, uid_mode: bool, args: &SearchArgs) -> Outcome {
    let hits = match checked_hits(
        s,
        args.charset.as_deref(),
        &args.key,
        false,
        args.returns.as_ref(),
    )
    .await
    {
        Ok(h) => h,
        Err(o) => return o,
    };
    let with_modseq = has_modseq(&args.key);
    // RFC 9051 §7.3.4: an IMAP4rev2 client gets ESEARCH even without RETURN (meaning RETURN (ALL)).
    let rev2_all = Vec::new();
    let returns = match &args.returns {
        None if s.rev2 => Some(&rev2_all),
        other => other.as_ref(),
    };
    match returns {
        None => {
            let ids: Vec<u32> = hits
                .iter()
                .map(|h| if uid_mode { h.uid } else { h.seq })
                .collect();
            let modseq = with_modseq.then(|| highest_modseq(&hits)).flatten();
            s.out.search(&ids, modseq);
        }
        Some(returns) => {
            let refs: Vec<&Hit> = hits.iter().collect();
            answer_returns(s, tag, uid_mode, returns, &refs, with_modseq);
        }
    }
    Outcome::ok("SEARCH completed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_options() {
        use SearchReturn::*;
        assert_eq!(saved_subset(&[Save], 3), vec![0, 1, 2]);
        assert_eq!(saved_subset(&[Save, Min], 3), vec![0]);
        assert_eq!(saved_subset(&[Save, Min, Max], 3), vec![0, 2]);
        assert_eq!(saved_subset(&[Save, Max], 1), vec![0]);
        assert_eq!(saved_subset(&[Save, Min, Count], 3), vec![0, 1, 2]);
        assert_eq!(saved_subset(&[Save, Min], 0), Vec::<usize>::new());
        let d = esearch_data(&[], &[3, 1, 2], Some(9));
        assert_eq!(d.all, Some(vec![(3, 3), (1, 2)]));
        assert_eq!(d.modseq, Some(9));
        let d = esearch_data(&[Min, Max, Count], &[], Some(9));
        assert_eq!((d.min, d.max, d.count, d.modseq), (None, None, Some(0), None));
        let d = esearch_data(&[Min, Max], &[7, 2, 5], None);
        assert_eq!((d.min, d.max, d.all), (Some(7), Some(5), None));
    }

    #[test]
    fn saved_marker_expands() {
        let saved = UidRuns::from_uids([3, 4, 5, 9]);
        let k = expand_saved(&SearchKey::SequenceSet(SequenceSet::Saved), &saved);
        let want = SequenceSet::Ranges(vec![
            SeqRange {
                start: SeqNum::Value(3),
                end: SeqNum::Value(5),
            },
            SeqRange {
                start: SeqNum::Value(9),
                end: SeqNum::Value(9),
            },
        ]);
        assert_eq!(k, SearchKey::Uid(want));
        let k = expand_saved(
            &SearchKey::Not(Box::new(SearchKey::Uid(SequenceSet::Saved))),
            &UidRuns::default(),
        );
        assert_eq!(
            k,
            SearchKey::Not(Box::new(SearchKey::Not(Box::new(SearchKey::All))))
        );
        assert!(has_modseq(&SearchKey::Or(
            Box::new(SearchKey::All),
            Box::new(SearchKey::ModSeq {
                entry: None,
                modseq: 1
            })
        )));
    }
}
