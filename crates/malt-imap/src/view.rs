//! The session's view of the selected mailbox: the sequence-number ↔ UID map and the flags as the client
//! knows them (RFC 9051 §2.3.1.2), plus the changes of other sessions waiting to be announced.
//!
//! Invariants:
//! - `uids` is ascending; message `n` is `uids[n - 1]`. It changes only through [`MailboxView::apply`]
//!   (other sessions' changes, at a sync point) and [`MailboxView::remove`] (this session's own
//!   EXPUNGE/MOVE, announced by the same command). So every sequence number the client is told about was
//!   announced by `EXISTS` first (PITFALLS 3).
//! - Expunges seen while expunges may not be announced (during FETCH/STORE/SEARCH, RFC 9051 §7.5.1) are
//!   kept in `pending_expunge`; the message keeps its number until a later sync point (PITFALLS 2).
//! - `keywords` is what the last untagged `FLAGS` announced; an update that brings a keyword outside it
//!   yields [`Update::Flags`] before any `FETCH` (PITFALLS 4).
//! - `saved` is the SEARCHRES result variable (RFC 5182 §2.1): UIDs, empty when the view is created (so
//!   it is reset by every SELECT/EXAMINE and gone after CLOSE/UNSELECT), and it loses every message
//!   removed from the view.
//! - Applying the same store changes twice has no visible effect (changes are compared, not replayed), so
//!   re-reading from a lower modseq is always safe.
//! - `modseqs` holds, per message, the mod-sequence of the flags in `flags` (RFC 7162 §3.1): a `MODSEQ`
//!   sent to the client always belongs to the flags the client was told, never to a newer change that
//!   has not been announced yet.
//! - With `report_vanished` (QRESYNC enabled, RFC 7162 §3.2.10) expunges of other sessions come out as
//!   one [`Update::Vanished`] instead of [`Update::Expunge`]s, under the same deferral rules.

use std::collections::{BTreeSet, HashMap};

use malt_imap_proto::command::{SeqNum, SequenceSet};
use malt_store::{Flags, MailboxChanges, MailboxId, MessageSummary, ModSeq, Uid};

/// Something the client must be told, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// `* n EXPUNGE`, numbered at the time it is sent.
    Expunge(u32),
    /// `* FLAGS (...)` with every keyword now known.
    Flags,
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n FETCH (UID u FLAGS (...))`.
    FetchFlags { seq: u32, uid: Uid },
    /// `* VANISHED uids` (RFC 7162 §3.2.10), when QRESYNC is enabled; the UIDs ascending.
    Vanished(Vec<Uid>),
}

/// A sequence set that names a message the client does not have (RFC 9051 §9: BAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSet(pub String);

/// The selected mailbox as this session's client knows it.
#[derive(Debug, Clone)]
pub struct MailboxView {
    pub mailbox_id: MailboxId,
    /// The name as selected (UTF-8).
    pub name: String,
    pub uidvalidity: u32,
    uids: Vec<Uid>,
    flags: HashMap<Uid, Flags>,
    /// Keywords announced by `FLAGS`, compared case-insensitively.
    keywords: Vec<String>,
    /// Changes up to this modseq have been read from the store.
    modseq: ModSeq,
    pending_expunge: BTreeSet<Uid>,
    /// The change feed mentioned this mailbox since the last read.
    dirty: bool,
    /// Mod-sequence of each message's flags as the client knows them (RFC 7162 §3.1).
    modseqs: HashMap<Uid, ModSeq>,
    /// Expunges are announced as `VANISHED` (QRESYNC enabled, RFC 7162 §3.2.10).
    report_vanished: bool,
    /// While expunges are pending: a mod-sequence below theirs (the view's before they were read).
    pending_floor: ModSeq,
    /// The saved search result, `$` (RFC 5182).
    saved: BTreeSet<Uid>,
}

fn has_keyword(list: &[String], k: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(k))
}

impl MailboxView {
    /// A view of `summaries` read after `modseq` was the mailbox's highest modseq.
    pub fn new(
        mailbox_id: MailboxId,
        name: String,
        uidvalidity: u32,
        modseq: ModSeq,
        mut summaries: Vec<MessageSummary>,
    ) -> Self {
        summaries.sort_by_key(|m| m.uid);
        let mut keywords: Vec<String> = Vec::new();
        for m in &summaries {
            for k in &m.flags.keywords {
                if !has_keyword(&keywords, k) {
                    keywords.push(k.clone());
                }
            }
        }
        keywords.sort_by_key(|k| k.to_ascii_lowercase());
        MailboxView {
            mailbox_id,
            name,
            uidvalidity,
            uids: summaries.iter().map(|m| m.uid).collect(),
            modseqs: summaries.iter().map(|m| (m.uid, m.modseq)).collect(),
            flags: summaries.into_iter().map(|m| (m.uid, m.flags)).collect(),
            keywords,
            modseq,
            pending_expunge: BTreeSet::new(),
            dirty: false,
            report_vanished: false,
            pending_floor: 0,
            saved: BTreeSet::new(),
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

    /// The mod-sequence of `uid`'s flags as the client knows them (RFC 7162 §3.1); 0 if unknown.
    pub fn modseq_of(&self, uid: Uid) -> ModSeq {
        self.modseqs.get(&uid).copied().unwrap_or(0)
    }

    /// Records flags and mod-sequence this session changed itself (STORE, FETCH setting `\Seen`);
    /// returns whether a keyword is new to the client, as [`MailboxView::set_flags`].
    pub fn set_summary(&mut self, m: MessageSummary) -> bool {
        if self.flags.contains_key(&m.uid) {
            self.modseqs.insert(m.uid, m.modseq);
        }
        self.set_flags(m.uid, m.flags)
    }

    /// `EXISTS` as the client knows it.
    pub fn exists(&self) -> u32 {
        u32::try_from(self.uids.len()).unwrap_or(u32::MAX)
    }

    pub fn uids(&self) -> &[Uid] {
        &self.uids
    }

    pub fn modseq(&self) -> ModSeq {
        self.modseq
    }

    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub fn uid_of(&self, seq: u32) -> Option<Uid> {
        let i = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.uids.get(i).copied()
    }

    pub fn seq_of(&self, uid: Uid) -> Option<u32> {
        let i = self.uids.binary_search(&uid).ok()?;
        u32::try_from(i + 1).ok()
    }

    pub fn flags_of(&self, uid: Uid) -> Option<&Flags> {
        self.flags.get(&uid)
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
        self.saved = uids.into_iter().filter(|u| self.flags.contains_key(u)).collect();
    }

    /// The saved search result `$`, ascending UIDs (empty before any SAVE, RFC 5182 §2.1).
    pub fn saved(&self) -> &BTreeSet<Uid> {
        &self.saved
    }

    /// Records flags this session set itself; returns whether a keyword is new to the client (then an
    /// untagged `FLAGS` must precede the `FETCH`).
    pub fn set_flags(&mut self, uid: Uid, flags: Flags) -> bool {
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
        if self.flags.contains_key(&uid) {
            self.flags.insert(uid, flags);
        }
        new_keyword
    }

    /// Removes messages this session expunged itself; returns the `EXPUNGE` numbers to send, in order.
    pub fn remove(&mut self, uids: &[Uid]) -> Vec<u32> {
        let mut out = Vec::new();
        let mut sorted: Vec<Uid> = uids.to_vec();
        sorted.sort_unstable();
        // Descending removal keeps the numbers of the remaining ones valid; RFC 9051 §7.5.1 numbers each
        // EXPUNGE as of the moment it is sent, so send them highest first.
        for uid in sorted.into_iter().rev() {
            if let Ok(i) = self.uids.binary_search(&uid) {
                self.uids.remove(i);
                self.flags.remove(&uid);
                self.modseqs.remove(&uid);
                self.pending_expunge.remove(&uid);
                self.saved.remove(&uid);
                out.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        out
    }

    /// Applies changes read from the store. `allow_expunge`: whether `EXPUNGE` may be sent now.
    pub fn apply(&mut self, changes: MailboxChanges, allow_expunge: bool) -> Vec<Update> {
        self.dirty = false;
        if self.pending_expunge.is_empty() {
            self.pending_floor = self.modseq;
        }
        self.modseq = self.modseq.max(changes.highest_modseq);
        let mut out = Vec::new();
        for uid in changes.vanished {
            if self.flags.contains_key(&uid) {
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
        for m in changed {
            if self.pending_expunge.contains(&m.uid) {
                continue;
            }
            for k in &m.flags.keywords {
                if !has_keyword(&self.keywords, k) {
                    self.keywords.push(k.clone());
                    new_keyword = true;
                }
            }
            match self.flags.get(&m.uid) {
                Some(f) if *f == m.flags => {
                    // Flags the client already knows (its own STORE): the modseq stays the one it
                    // was told with them, unless the store's is newer for the same flags.
                    let known = self.modseqs.entry(m.uid).or_insert(m.modseq);
                    *known = (*known).max(m.modseq);
                }
                Some(_) => {
                    self.flags.insert(m.uid, m.flags);
                    self.modseqs.insert(m.uid, m.modseq);
                    flag_changes.push(m.uid);
                }
                None => {
                    // UIDs only grow (RFC 9051 §2.3.1.1): a message we do not know is new unless it is
                    // older than what we hold, which means we expunged it ourselves meanwhile.
                    if self.uids.last().is_none_or(|&last| m.uid > last) {
                        self.uids.push(m.uid);
                        self.modseqs.insert(m.uid, m.modseq);
                        self.flags.insert(m.uid, m.flags);
                        added = true;
                    }
                }
            }
        }
        if new_keyword {
            self.keywords.sort_by_key(|k| k.to_ascii_lowercase());
            out.push(Update::Flags);
        }
        if added {
            out.push(Update::Exists(self.exists()));
        }
        for uid in flag_changes {
            if let Some(seq) = self.seq_of(uid) {
                out.push(Update::FetchFlags { seq, uid });
            }
        }
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
                    .filter_map(|&uid| Some((self.seq_of(uid)?, uid)))
                    .collect());
            }
        };
        let mut out: BTreeSet<(u32, Uid)> = BTreeSet::new();
        if uid_mode {
            let Some(&max) = self.uids.last() else {
                return Ok(Vec::new());
            };
            for r in ranges {
                let v = |n: SeqNum| match n {
                    SeqNum::Value(v) => v,
                    SeqNum::Star => max,
                };
                let (a, b) = (v(r.start), v(r.end));
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let from = self.uids.partition_point(|&u| u < lo);
                let to = self.uids.partition_point(|&u| u <= hi);
                for (i, &uid) in self.uids.iter().enumerate().take(to).skip(from) {
                    out.insert((u32::try_from(i + 1).unwrap_or(u32::MAX), uid));
                }
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
                for seq in lo..=hi {
                    if let Some(uid) = self.uid_of(seq) {
                        out.insert((seq, uid));
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
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

    #[test]
    fn resolve_and_updates() {
        let mut v = MailboxView::new(1, "INBOX".into(), 7, 5, vec![summary(3, &[]), summary(5, &["a"])]);
        assert_eq!(v.exists(), 2);
        use SeqNum::*;
        assert_eq!(
            v.resolve(&set(Value(1), Star), false).unwrap(),
            vec![(1, 3), (2, 5)]
        );
        assert!(v.resolve(&set(Value(3), Value(3)), false).is_err());
        assert_eq!(v.resolve(&set(Value(9), Star), true).unwrap(), vec![(2, 5)]);
        assert_eq!(v.resolve(&set(Value(4), Value(4)), true).unwrap(), vec![]);

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
        assert_eq!(v.uids(), &[5, 8]);
        assert_eq!(v.modseq(), 9);
        assert!(v.keywords().iter().any(|k| k == "b"));
    }

    #[test]
    fn modseqs_and_vanished() {
        let mut v = MailboxView::new(1, "INBOX".into(), 7, 5, vec![summary(3, &[]), summary(5, &[])]);
        v.set_report_vanished(true);
        assert_eq!(v.modseq_of(3), 1);
        // Our own STORE: flags and modseq recorded; the same change read back shows nothing.
        let mine = MessageSummary {
            uid: 5,
            flags: Flags::new(flag::SEEN, []),
            modseq: 6,
        };
        assert!(!v.set_summary(mine.clone()));
        assert_eq!(v.modseq_of(5), 6);
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
        assert_eq!(v.uids(), &[5]);
        assert_eq!(v.modseq_of(3), 0);
        // Another session's flag change: the new modseq with the new flags.
        let ch = MailboxChanges {
            changed: vec![MessageSummary {
                uid: 5,
                flags: Flags::new(flag::FLAGGED, []),
                modseq: 9,
            }],
            vanished: vec![],
            highest_modseq: 9,
        };
        assert_eq!(v.apply(ch, true), vec![Update::FetchFlags { seq: 1, uid: 5 }]);
        assert_eq!(v.modseq_of(5), 9);
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
            vec![summary(3, &[]), summary(5, &[]), summary(9, &[])],
        );
        // Before any SAVE, `$` is empty (RFC 5182 §2.1), not an error.
        assert_eq!(v.resolve(&SequenceSet::Saved, false).unwrap(), vec![]);
        v.save([9, 3, 4]);
        assert_eq!(v.saved().iter().copied().collect::<Vec<_>>(), vec![3, 9]);
        assert_eq!(
            v.resolve(&SequenceSet::Saved, false).unwrap(),
            vec![(1, 3), (3, 9)]
        );
        // Expunged messages leave `$`; the rest keep their UIDs at new numbers.
        assert_eq!(v.remove(&[3]), vec![1]);
        assert_eq!(v.resolve(&SequenceSet::Saved, true).unwrap(), vec![(2, 9)]);
    }
}
