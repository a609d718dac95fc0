//! The session's view of the selected mailbox: the sequence-number ↔ UID map (RFC 9051 §2.3.1.2) and
//! what must still be announced. It holds no per-message flags or mod-sequences: those are read from
//! the store whenever a command needs them (FETCH, STORE, SEARCH, the sync points), so an idle
//! session's view costs a few hundred bytes whatever the mailbox size (docs/architecture.md, IMAP).
//!
//! Invariants:
//! - `uids` is ascending, kept as runs of consecutive UIDs ([`UidRuns`]): message `n` is the `n`-th
//!   UID. It changes only through [`MailboxView::apply`] (other sessions' changes, at a sync point)
//!   and [`MailboxView::remove`] (this session's own EXPUNGE/MOVE, announced by the same command). So
//!   every sequence number the client is told about was announced by `EXISTS` first (PITFALLS 3).
//! - Expunges seen while expunges may not be announced (during FETCH/STORE/SEARCH, RFC 9051 §7.5.1) are
//!   kept in `pending_expunge`; the message keeps its number until a later sync point (PITFALLS 2).
//! - `keywords` is what the last untagged `FLAGS` announced; an update or a read that brings a
//!   keyword outside it yields `* FLAGS` before any `FETCH` showing it (PITFALLS 4,
//!   [`MailboxView::learn_keywords`]).
//! - `saved` is the SEARCHRES result variable (RFC 5182 §2.1): UIDs (runs), empty when the view is
//!   created (so it is reset by every SELECT/EXAMINE and gone after CLOSE/UNSELECT), and it loses
//!   every message removed from the view.
//! - `modseq`: every store change up to it has been applied. A flag change of a known message above
//!   it is announced as `FETCH (UID FLAGS [MODSEQ])` with the flags and mod-sequence read together
//!   from the store (RFC 7162 §3.1.4: the MODSEQ always belongs to the FLAGS sent with it), unless it
//!   is this session's own change at that mod-sequence, or one a FETCH already showed (`own`, filled
//!   by STORE, by FETCH setting `\Seen` and by FETCH FLAGS, whose responses told the client). `own` only holds changes above `modseq`: it
//!   is pruned at every [`MailboxView::apply`], so it is bounded by what the session itself changed
//!   since its last sync point.
//! - Applying the same store changes twice has no visible effect (UIDs are compared; a flag change at or
//!   below the modseq already read is not announced again).
//! - With `report_vanished` (QRESYNC enabled, RFC 7162 §3.2.10) expunges of other sessions come out as
//!   one [`Update::Vanished`] instead of [`Update::Expunge`]s, under the same deferral rules.

use std::collections::{BTreeSet, HashMap};

use malt_imap_proto::command::{SeqNum, SequenceSet};
use malt_store::{Flags, MailboxChanges, MailboxId, MessageSummary, ModSeq, Uid, UidSet};

/// Something the client must be told, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// `* n EXPUNGE`, numbered at the time it is sent.
    Expunge(u32),
    /// `* FLAGS (...)` with every keyword now known.
    Flags,
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n FETCH (UID u FLAGS (...) [MODSEQ (m)])`: flags and mod-sequence as read together.
    FetchFlags {
        seq: u32,
        uid: Uid,
        flags: Flags,
        modseq: ModSeq,
    },
    /// `* VANISHED uids` (RFC 7162 §3.2.10), when QRESYNC is enabled; the UIDs ascending.
    Vanished(Vec<Uid>),
}

/// A sequence set that names a message the client does not have (RFC 9051 §9: BAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSet(pub String);

/// Ascending UIDs stored as runs of consecutive UIDs `(first, count)`: a mailbox with few expunge
/// gaps costs a few bytes. Index ↔ UID by binary search over the runs' start indexes.
///
/// Invariants: runs are ascending, disjoint and never adjacent (a run never continues the one
/// before it), every count is > 0, `starts[i]` is the number of UIDs in the runs before `i`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidRuns {
    runs: Vec<(Uid, u32)>,
    starts: Vec<u32>,
    len: u32,
}

/// The last UID of a run.
fn run_end(first: Uid, count: u32) -> Uid {
    first.saturating_add(count.saturating_sub(1))
}

impl UidRuns {
    /// From UIDs in any order (duplicates ignored).
    pub fn from_uids(uids: impl IntoIterator<Item = Uid>) -> Self {
        let mut v: Vec<Uid> = uids.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        let mut r = UidRuns::default();
        for u in v {
            r.push(u);
        }
        r.shrink();
        r
    }

    fn shrink(&mut self) {
        self.runs.shrink_to_fit();
        self.starts.shrink_to_fit();
    }

    /// Appends `uid` if it is above every UID held; returns whether it was added.
    pub fn push(&mut self, uid: Uid) -> bool {
        match self.runs.last_mut() {
            Some((first, count)) if run_end(*first, *count) >= uid => return false,
            Some((first, count)) if run_end(*first, *count).checked_add(1) == Some(uid) => *count += 1,
            _ => {
                self.runs.push((uid, 1));
                self.starts.push(self.len);
            }
        }
        self.len += 1;
        true
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn last(&self) -> Option<Uid> {
        self.runs.last().map(|&(f, c)| run_end(f, c))
    }

    /// The run holding `index` (0-based).
    fn run_at(&self, index: u32) -> Option<usize> {
        if index >= self.len {
            return None;
        }
        Some(self.starts.partition_point(|&s| s <= index).saturating_sub(1))
    }

    /// The `index`-th UID (0-based).
    pub fn get(&self, index: u32) -> Option<Uid> {
        let r = self.run_at(index)?;
        let (&(first, _), &start) = (self.runs.get(r)?, self.starts.get(r)?);
        first.checked_add(index - start)
    }

    /// How many UIDs are below `uid`.
    pub fn rank(&self, uid: Uid) -> u32 {
        let r = self.runs.partition_point(|&(f, _)| f <= uid);
        let Some(i) = r.checked_sub(1) else {
            return 0;
        };
        match (self.runs.get(i), self.starts.get(i)) {
            (Some(&(first, count)), Some(&start)) => start + (uid - first).min(count),
            _ => 0,
        }
    }

    /// The index (0-based) of `uid`.
    pub fn position(&self, uid: Uid) -> Option<u32> {
        let i = self.rank(uid);
        (self.get(i) == Some(uid)).then_some(i)
    }

    pub fn contains(&self, uid: Uid) -> bool {
        self.position(uid).is_some()
    }

    /// The UIDs from index `from` (0-based) on, ascending.
    pub fn iter_from(&self, from: u32) -> impl Iterator<Item = Uid> + '_ {
        let r = self.run_at(from).unwrap_or(self.runs.len());
        let skip = self.starts.get(r).map_or(0, |&s| from.saturating_sub(s));
        self.runs
            .iter()
            .skip(r)
            .enumerate()
            .flat_map(move |(k, &(first, count))| {
                let lo = if k == 0 { skip } else { 0 };
                (lo..count).map(move |j| first + j)
            })
    }

    pub fn iter(&self) -> impl Iterator<Item = Uid> + '_ {
        self.iter_from(0)
    }

    /// The runs as inclusive ranges, ascending.
    pub fn ranges(&self) -> impl Iterator<Item = (Uid, Uid)> + '_ {
        self.runs.iter().map(|&(f, c)| (f, run_end(f, c)))
    }

    /// All UIDs held, as a store set.
    pub fn to_set(&self) -> UidSet {
        UidSet::from_ranges(self.ranges())
    }

    /// Removes the UIDs of `gone` (ascending) in one pass over the runs: O(runs + removed).
    pub fn remove_sorted(&mut self, gone: &[Uid]) {
        if gone.is_empty() || self.runs.is_empty() {
            return;
        }
        let mut out: Vec<(Uid, u32)> = Vec::with_capacity(self.runs.len() + gone.len());
        let mut g = gone.iter().copied().peekable();
        for &(first, count) in &self.runs {
            let end = run_end(first, count);
            let mut start = first;
            let mut open = true;
            while let Some(&u) = g.peek() {
                if u > end {
                    break;
                }
                g.next();
                if u < start || !open {
                    continue;
                }
                if u > start {
                    out.push((start, u - start));
                }
                match u.checked_add(1) {
                    Some(n) if u < end => start = n,
                    _ => open = false,
                }
            }
            if open {
                out.push((start, end - start + 1));
            }
        }
        self.runs.clear();
        self.starts.clear();
        self.len = 0;
        for (first, count) in out {
            match self.runs.last_mut() {
                Some((f, c)) if run_end(*f, *c).checked_add(1) == Some(first) => *c += count,
                _ => {
                    self.runs.push((first, count));
                    self.starts.push(self.len);
                }
            }
            self.len += count;
        }
        self.shrink();
    }

    /// Heap bytes held (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<(Uid, u32)>()
            + self.starts.capacity() * std::mem::size_of::<u32>()
    }
}

/// The selected mailbox as this session's client knows it.
#[derive(Debug, Clone)]
pub struct MailboxView {
    pub mailbox_id: MailboxId,
    /// The name as selected (UTF-8).
    pub name: String,
    pub uidvalidity: u32,
    uids: UidRuns,
    /// Keywords announced by `FLAGS`, compared case-insensitively.
    keywords: Vec<String>,
    /// Changes up to this modseq have been read from the store.
    modseq: ModSeq,
    pending_expunge: BTreeSet<Uid>,
    /// The change feed mentioned this mailbox since the last read.
    dirty: bool,
    /// Expunges are announced as `VANISHED` (QRESYNC enabled, RFC 7162 §3.2.10).
    report_vanished: bool,
    /// While expunges are pending: a mod-sequence below theirs (the view's before they were read).
    pending_floor: ModSeq,
    /// The saved search result, `$` (RFC 5182).
    saved: UidRuns,
    /// This session's own flag changes above `modseq`: UID → the mod-sequence they got.
    own: HashMap<Uid, ModSeq>,
}

fn has_keyword(list: &[String], k: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(k))
}

impl MailboxView {
    /// A view of `summaries` read after `modseq` was the mailbox's highest modseq. Only their UIDs
    /// and keywords are kept.
    pub fn new(
        mailbox_id: MailboxId,
        name: String,
        uidvalidity: u32,
        modseq: ModSeq,
        summaries: &[MessageSummary],
    ) -> Self {
        let mut keywords: Vec<String> = Vec::new();
        for m in summaries {
            for k in &m.flags.keywords {
                if !has_keyword(&keywords, k) {
                    keywords.push(k.clone());
                }
            }
        }
        keywords.sort_by_key(|k| k.to_ascii_lowercase());
        keywords.shrink_to_fit();
        MailboxView {
            mailbox_id,
            name,
            uidvalidity,
            uids: UidRuns::from_uids(summaries.iter().map(|m| m.uid)),
            keywords,
            modseq,
            pending_expunge: BTreeSet::new(),
            dirty: false,
            report_vanished: false,
            pending_floor: 0,
            saved: UidRuns::default(),
            own: HashMap::new(),
        }
    }

    /// While expunges wait to be announced, a mod-sequence lower than theirs: what a QRESYNC client may
    /// be told as HIGHESTMODSEQ meanwhile (RFC 7162 §3.2), so it never resynchronises past them.
    pub fn pending_floor(&self) -> Option<ModSeq> {
        (!self.pending_expunge.is_empty()).then_some(self.pending_floor)
    }

    /// With QRESYNC enabled, other sessions' expunges are reported as [`Update::Vanished`]
    /// (RFC 7162 §3.2.10).
    pub fn set_report_vanished(&mut self, on: bool) {
        self.report_vanished = on;
    }

    pub fn reports_vanished(&self) -> bool {
        self.report_vanished
    }

    /// Records flags at `modseq` the client was just told: changed by this session itself (STORE,
    /// FETCH setting `\Seen`) or sent by a FETCH FLAGS; the next sync does not announce them again.
    /// Only changes above the view's modseq are kept (so a FETCH of unchanged messages adds nothing).
    pub fn record_own(&mut self, uid: Uid, modseq: ModSeq) {
        if modseq > self.modseq && self.uids.contains(uid) {
            let m = self.own.entry(uid).or_insert(modseq);
            *m = (*m).max(modseq);
        }
    }

    /// Adds the keywords of `flags` the client has not been told; returns whether there were any (then
    /// an untagged `FLAGS` must precede the `FETCH` showing them, PITFALLS 4).
    pub fn learn_keywords(&mut self, flags: &Flags) -> bool {
        let mut new_keyword = false;
        for k in &flags.keywords {
            if !has_keyword(&self.keywords, k) {
                self.keywords.push(k.clone());
                new_keyword = true;
            }
        }
        if new_keyword {
            self.keywords.sort_by_key(|k| k.to_ascii_lowercase());
        }
        new_keyword
    }

    /// `EXISTS` as the client knows it.
    pub fn exists(&self) -> u32 {
        self.uids.len()
    }

    /// The UIDs, ascending (message `n` is the `n`-th).
    pub fn uids(&self) -> &UidRuns {
        &self.uids
    }

    /// The highest UID the client knows (0 when empty).
    pub fn max_uid(&self) -> Uid {
        self.uids.last().unwrap_or(0)
    }

    pub fn modseq(&self) -> ModSeq {
        self.modseq
    }

    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub fn uid_of(&self, seq: u32) -> Option<Uid> {
        self.uids.get(seq.checked_sub(1)?)
    }

    pub fn seq_of(&self, uid: Uid) -> Option<u32> {
        self.uids.position(uid).map(|i| i + 1)
    }

    /// Whether another session expunged `uid` and the client has not been told yet.
    pub fn is_expunged(&self, uid: Uid) -> bool {
        self.pending_expunge.contains(&uid)
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty || !self.pending_expunge.is_empty()
    }

    /// Replaces the saved search result (RFC 5182 §2.1); only messages of the view are kept.
    pub fn save(&mut self, uids: impl IntoIterator<Item = Uid>) {
        let known = &self.uids;
        let kept: Vec<Uid> = uids.into_iter().filter(|u| known.contains(*u)).collect();
        self.saved = UidRuns::from_uids(kept);
    }

    /// The saved search result `$`, ascending UIDs (empty before any SAVE, RFC 5182 §2.1).
    pub fn saved(&self) -> &UidRuns {
        &self.saved
    }

    /// Heap bytes the view holds (capacities of its collections; `BTreeSet`/`HashMap` entries
    /// estimated with their key and value sizes): what a selected session costs beyond the struct.
    pub fn heap_bytes(&self) -> usize {
        self.name.capacity()
            + self.uids.heap_bytes()
            + self.saved.heap_bytes()
            + self.keywords.capacity() * std::mem::size_of::<String>()
            + self.keywords.iter().map(String::capacity).sum::<usize>()
            + self.pending_expunge.len() * 2 * std::mem::size_of::<Uid>()
            + self.own.capacity() * (std::mem::size_of::<(Uid, ModSeq)>() + 1)
    }

    /// Removes messages this session expunged itself; returns the `EXPUNGE` numbers to send, in
    /// order (highest first, RFC 9051 §7.5.1: each is numbered as of the moment it is sent). One pass
    /// over the runs for all of them.
    pub fn remove(&mut self, uids: &[Uid]) -> Vec<u32> {
        let mut sorted: Vec<Uid> = uids.iter().copied().filter(|u| self.uids.contains(*u)).collect();
        sorted.sort_unstable();
        sorted.dedup();
        // Positions before any removal; removing from the highest down keeps the lower ones valid.
        let out: Vec<u32> = sorted.iter().rev().filter_map(|&u| self.seq_of(u)).collect();
        self.uids.remove_sorted(&sorted);
        self.saved.remove_sorted(&sorted);
        for u in &sorted {
            self.pending_expunge.remove(u);
            self.own.remove(u);
        }
        out
    }

    /// Applies changes read from the store (flags already as this viewer sees them). `allow_expunge`:
    /// whether `EXPUNGE` may be sent now.
    pub fn apply(&mut self, changes: MailboxChanges, allow_expunge: bool) -> Vec<Update> {
        self.dirty = false;
        if self.pending_expunge.is_empty() {
            self.pending_floor = self.modseq;
        }
        let mut out = Vec::new();
        for uid in changes.vanished {
            if self.uids.contains(uid) {
                self.pending_expunge.insert(uid);
            }
        }
        if allow_expunge && !self.pending_expunge.is_empty() {
            let gone: Vec<Uid> = std::mem::take(&mut self.pending_expunge).into_iter().collect();
            let numbers = self.remove(&gone);
            if self.report_vanished {
                out.push(Update::Vanished(gone));
            } else {
                out.extend(numbers.into_iter().map(Update::Expunge));
            }
        }
        let mut new_keyword = false;
        let mut added = false;
        let mut flag_changes = Vec::new();
        let mut changed = changes.changed;
        changed.sort_by_key(|m| m.uid);
        let read_before = self.modseq;
        for m in changed {
            if self.pending_expunge.contains(&m.uid) {
                continue;
            }
            new_keyword |= self.learn_keywords(&m.flags);
            if let Some(seq) = self.seq_of(m.uid) {
                // A change applied before (re-read), or this session's own change: the client knows.
                if m.modseq <= read_before || self.own.get(&m.uid).is_some_and(|&mine| mine >= m.modseq) {
                    continue;
                }
                flag_changes.push(Update::FetchFlags {
                    seq,
                    uid: m.uid,
                    flags: m.flags,
                    modseq: m.modseq,
                });
            } else if self.uids.push(m.uid) {
                // UIDs only grow (RFC 9051 §2.3.1.1): a message we do not know is new unless it is
                // older than what we hold, which means we expunged it ourselves meanwhile.
                added = true;
            }
        }
        self.modseq = self.modseq.max(changes.highest_modseq);
        let floor = self.modseq;
        self.own.retain(|_, m| *m > floor);
        if self.own.is_empty() {
            self.own = HashMap::new();
        }
        if new_keyword {
            out.push(Update::Flags);
        }
        if added {
            out.push(Update::Exists(self.exists()));
        }
        out.extend(flag_changes);
        out
    }

    /// The messages a sequence set names, as `(seq, uid)` ascending. Sequence numbers beyond `EXISTS`
    /// are an error (RFC 9051 §9 seq-number); UIDs that do not exist are ignored, and `n:*` always
    /// includes the last message (RFC 9051 §9). `$` is the saved result in either mode (RFC 5182 §2.1:
    /// its UIDs at their current sequence numbers); an empty `$` names no message and is no error.
    pub fn resolve(&self, set: &SequenceSet, uid_mode: bool) -> Result<Vec<(u32, Uid)>, BadSet> {
        let ranges = match set {
            SequenceSet::Ranges(ranges) => ranges,
            SequenceSet::Saved => {
                return Ok(self
                    .saved
                    .iter()
                    .filter_map(|uid| Some((self.seq_of(uid)?, uid)))
                    .collect());
            }
        };
        let mut out: Vec<(u32, Uid)> = Vec::new();
        if uid_mode {
            let Some(max) = self.uids.last() else {
                return Ok(Vec::new());
            };
            for r in ranges {
                let v = |n: SeqNum| match n {
                    SeqNum::Value(v) => v,
                    SeqNum::Star => max,
                };
                let (a, b) = (v(r.start), v(r.end));
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let from = self.uids.rank(lo);
                let seqs = from.saturating_add(1)..;
                let found = self.uids.iter_from(from).take_while(|&u| u <= hi);
                out.extend(seqs.zip(found));
            }
        } else {
            let n = self.exists();
            for r in ranges {
                let v = |x: SeqNum| -> Result<Option<u32>, BadSet> {
                    match x {
                        SeqNum::Star => Ok((n > 0).then_some(n)),
                        SeqNum::Value(v) if v == 0 || v > n => {
                            Err(BadSet(format!("invalid message sequence number {v}")))
                        }
                        SeqNum::Value(v) => Ok(Some(v)),
                    }
                };
                let (Some(a), Some(b)) = (v(r.start)?, v(r.end)?) else {
                    continue;
                };
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                out.extend((lo..=hi).zip(self.uids.iter_from(lo - 1)));
            }
        }
        if ranges.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        Ok(out)
    }
}

/// Whether `set` names `n`, `*` standing for `star` (RFC 9051 §9 sequence-set). For UID sets outside
/// the view (QRESYNC known-uids, UID FETCH VANISHED: RFC 7162 §3.2.5, §3.2.6).
pub fn set_contains(set: &SequenceSet, n: u32, star: u32) -> bool {
    let SequenceSet::Ranges(ranges) = set else {
        return false;
    };
    let v = |x: SeqNum| match x {
        SeqNum::Value(v) => v,
        SeqNum::Star => star,
    };
    ranges.iter().any(|r| {
        let (a, b) = (v(r.start), v(r.end));
        a.min(b) <= n && n <= a.max(b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use malt_imap_proto::command::SeqRange;
    use malt_store::flag;

    fn summary(uid: Uid, kw: &[&str]) -> MessageSummary {
        MessageSummary {
            uid,
            flags: Flags::new(0, kw.iter().map(|s| s.to_string())),
            modseq: 1,
        }
    }

    fn set(a: SeqNum, b: SeqNum) -> SequenceSet {
        SequenceSet::Ranges(vec![SeqRange { start: a, end: b }])
    }

    fn uids(v: &MailboxView) -> Vec<Uid> {
        v.uids().iter().collect()
    }

    #[test]
    fn runs() {
        let mut r = UidRuns::from_uids([5, 1, 2, 3, 9, 10, 2]);
        assert_eq!(r.ranges().collect::<Vec<_>>(), vec![(1, 3), (5, 5), (9, 10)]);
        assert_eq!(r.len(), 6);
        assert_eq!(
            (r.get(0), r.get(3), r.get(5), r.get(6)),
            (Some(1), Some(5), Some(10), None)
        );
        assert_eq!(
            (r.position(9), r.position(4), r.position(11)),
            (Some(4), None, None)
        );
        assert_eq!((r.rank(0), r.rank(4), r.rank(9), r.rank(100)), (0, 3, 4, 6));
        assert_eq!(r.iter_from(2).collect::<Vec<_>>(), vec![3, 5, 9, 10]);
        assert_eq!(r.iter_from(6).count(), 0);
        assert!(!r.push(10) && r.push(11) && r.push(20));
        assert_eq!(
            r.ranges().collect::<Vec<_>>(),
            vec![(1, 3), (5, 5), (9, 11), (20, 20)]
        );
        // Removal splits runs and drops emptied ones; removing 5 joins nothing (4 is absent).
        r.remove_sorted(&[2, 5, 7, 9, 11, 20]);
        assert_eq!(r.ranges().collect::<Vec<_>>(), vec![(1, 1), (3, 3), (10, 10)]);
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![1, 3, 10]);
        let mut r = UidRuns::from_uids(1..=10);
        r.remove_sorted(&[1, 10]);
        assert_eq!(r.ranges().collect::<Vec<_>>(), vec![(2, 9)]);
        r.remove_sorted(&(2..=9).collect::<Vec<_>>());
        assert!(r.is_empty() && r.last().is_none());
        let mut r = UidRuns::from_uids([u32::MAX - 1, u32::MAX]);
        assert_eq!(r.get(1), Some(u32::MAX));
        r.remove_sorted(&[u32::MAX]);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![u32::MAX - 1]);
    }

    /// The design check behind "an idle selected session costs well under 16 KiB": a view of
    /// 100,000 messages with a few expunge gaps holds a few hundred bytes, not ~100 per message.
    #[test]
    fn view_of_a_large_mailbox_is_small() {
        let summaries: Vec<MessageSummary> = (1..=100_010)
            .filter(|u| u % 20_000 != 0)
            .map(|u| summary(u, if u == 7 { &["$Important"] } else { &[] }))
            .collect();
        let mut v = MailboxView::new(1, "INBOX".into(), 7, 5, &summaries);
        assert_eq!(v.exists(), 100_005);
        assert_eq!(v.uid_of(100_005), Some(100_010));
        assert_eq!(v.seq_of(20_001), Some(20_000));
        v.save(1..=100_010);
        let bytes = v.heap_bytes();
        assert!(bytes < 2048, "view of 100,000 messages holds {bytes} bytes");
        // A whole-mailbox expunge of every other message of a range stays linear in what it removes.
        let gone: Vec<Uid> = (1..=1000).step_by(2).collect();
        assert_eq!(v.remove(&gone).len(), 500);
        assert_eq!(v.exists(), 99_505);
        assert_eq!(v.saved().len(), 99_505);
    }

    #[test]
    fn resolve_and_updates() {
        let mut v = MailboxView::new(1, "INBOX".into(), 7, 5, &[summary(3, &[]), summary(5, &["a"])]);
        assert_eq!(v.exists(), 2);
        use SeqNum::*;
        assert_eq!(
            v.resolve(&set(Value(1), Star), false).unwrap(),
            vec![(1, 3), (2, 5)]
        );
        assert!(v.resolve(&set(Value(3), Value(3)), false).is_err());
        assert_eq!(v.resolve(&set(Value(9), Star), true).unwrap(), vec![(2, 5)]);
        assert_eq!(v.resolve(&set(Value(4), Value(4)), true).unwrap(), vec![]);
        assert_eq!(v.resolve(&set(Value(1), Value(4)), true).unwrap(), vec![(1, 3)]);
        let two = SequenceSet::Ranges(vec![
            SeqRange {
                start: Value(2),
                end: Value(2),
            },
            SeqRange {
                start: Value(1),
                end: Value(2),
            },
        ]);
        assert_eq!(v.resolve(&two, false).unwrap(), vec![(1, 3), (2, 5)]);

        // Another session expunges 3 and adds 8 with a new keyword, during a FETCH.
        let ch = MailboxChanges {
            changed: vec![summary(8, &["b"])],
            vanished: vec![3],
            highest_modseq: 9,
        };
        let u = v.apply(ch.clone(), false);
        assert_eq!(u, vec![Update::Flags, Update::Exists(3)]);
        assert!(v.is_expunged(3));
        assert_eq!(v.seq_of(8), Some(3));
        // Applying again shows nothing new; at a sync point the expunge is announced.
        let u = v.apply(ch, true);
        assert_eq!(u, vec![Update::Expunge(1)]);
        assert_eq!(uids(&v), vec![5, 8]);
        assert_eq!(v.modseq(), 9);
        assert!(v.keywords().iter().any(|k| k == "b"));
    }

    #[test]
    fn own_changes_and_vanished() {
        let mut v = MailboxView::new(1, "INBOX".into(), 7, 5, &[summary(3, &[]), summary(5, &[])]);
        v.set_report_vanished(true);
        // Our own STORE at modseq 6: read back at the next sync, it is not announced again.
        let mine = MessageSummary {
            uid: 5,
            flags: Flags::new(flag::SEEN, []),
            modseq: 6,
        };
        v.record_own(5, 6);
        let ch = MailboxChanges {
            changed: vec![mine],
            vanished: vec![3],
            highest_modseq: 7,
        };
        // During FETCH the expunge waits; at a sync point it is one VANISHED, not EXPUNGE.
        assert_eq!(v.apply(ch.clone(), false), vec![]);
        assert_eq!(v.pending_floor(), Some(5));
        assert_eq!(v.apply(ch, true), vec![Update::Vanished(vec![3])]);
        assert_eq!(v.pending_floor(), None);
        assert_eq!(uids(&v), vec![5]);
        assert!(
            v.own.is_empty(),
            "own changes at or below the view's modseq are dropped"
        );
        // Another session's flag change: the new modseq with the new flags, as read.
        let theirs = Flags::new(flag::FLAGGED, []);
        let ch = MailboxChanges {
            changed: vec![MessageSummary {
                uid: 5,
                flags: theirs.clone(),
                modseq: 9,
            }],
            vanished: vec![],
            highest_modseq: 9,
        };
        assert_eq!(
            v.apply(ch, true),
            vec![Update::FetchFlags {
                seq: 1,
                uid: 5,
                flags: theirs,
                modseq: 9
            }]
        );
        // Our change at 10 then theirs at 11: theirs is announced.
        v.record_own(5, 10);
        let ch = MailboxChanges {
            changed: vec![MessageSummary {
                uid: 5,
                flags: Flags::default(),
                modseq: 11,
            }],
            vanished: vec![],
            highest_modseq: 11,
        };
        assert_eq!(v.apply(ch, true).len(), 1);
    }

    #[test]
    fn set_contains_uids() {
        use SeqNum::*;
        let s = SequenceSet::Ranges(vec![
            SeqRange {
                start: Value(4),
                end: Value(2),
            },
            SeqRange {
                start: Value(9),
                end: Star,
            },
        ]);
        assert!(set_contains(&s, 2, 20) && set_contains(&s, 4, 20) && set_contains(&s, 20, 20));
        assert!(!set_contains(&s, 5, 20) && !set_contains(&s, 21, 20) && !set_contains(&s, 1, 20));
    }

    #[test]
    fn saved_result() {
        let mut v = MailboxView::new(
            1,
            "INBOX".into(),
            7,
            5,
            &[summary(3, &[]), summary(5, &[]), summary(9, &[])],
        );
        // Before any SAVE, `$` is empty (RFC 5182 §2.1), not an error.
        assert_eq!(v.resolve(&SequenceSet::Saved, false).unwrap(), vec![]);
        v.save([9, 3, 4]);
        assert_eq!(v.saved().iter().collect::<Vec<_>>(), vec![3, 9]);
        assert_eq!(
            v.resolve(&SequenceSet::Saved, false).unwrap(),
            vec![(1, 3), (3, 9)]
        );
        // Expunged messages leave `$`; the rest keep their UIDs at new numbers.
        assert_eq!(v.remove(&[3]), vec![1]);
        assert_eq!(v.resolve(&SequenceSet::Saved, true).unwrap(), vec![(2, 9)]);
    }
}
