//! SORT ordering (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO), pure: no I/O, only the metadata kept at
//! ingest ([`malt_store::meta::SortFields`], INTERNALDATE, size).
//!
//! Invariants:
//! - Strings compare with the `i;ascii-casemap` collation (RFC 4790 §9.2: ASCII letters folded to upper
//!   case, then octet order), the default collation of RFC 5256 §3.
//! - Each criterion compares in turn; `REVERSE` reverses only the criterion it precedes (RFC 5256 §3).
//! - Messages equal under every criterion are ordered by sequence number, ascending (RFC 5256 §3), so the
//!   result is a total, deterministic order.

use std::cmp::Ordering;

use malt_imap_proto::command::{SortCriterion, SortKey};
use malt_store::meta::SortFields;

/// One message to sort.
#[derive(Debug, Clone, Copy)]
pub struct SortItem<'a> {
    pub seq: u32,
    pub uid: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    /// RFC822.SIZE.
    pub size: u64,
    pub fields: &'a SortFields,
}

impl SortItem<'_> {
    /// RFC 5256 §2.2 sent date: the Date header, else INTERNALDATE (both as UTC seconds).
    pub fn sent_date(&self) -> i64 {
        self.fields.sent_date.unwrap_or(self.internal_date)
    }
}

/// `i;ascii-casemap` (RFC 4790 §9.2): compares after mapping `a`-`z` to `A`-`Z`.
pub fn ascii_casemap(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

/// The addr-mailbox (local part) of an `mailbox@host` address as kept at ingest (RFC 5256 §3 CC, FROM, TO).
fn addr_mailbox(addr: &str) -> &str {
    addr.rsplit_once('@').map_or(addr, |(mailbox, _)| mailbox)
}

fn compare_key(key: SortKey, a: &SortItem<'_>, b: &SortItem<'_>) -> Ordering {
    let (fa, fb) = (a.fields, b.fields);
    match key {
        SortKey::Arrival => a.internal_date.cmp(&b.internal_date),
        SortKey::Date => a.sent_date().cmp(&b.sent_date()),
        SortKey::Size => a.size.cmp(&b.size),
        SortKey::Subject => ascii_casemap(&fa.base_subject, &fb.base_subject),
        SortKey::From => ascii_casemap(addr_mailbox(&fa.from), addr_mailbox(&fb.from)),
        SortKey::To => ascii_casemap(addr_mailbox(&fa.to), addr_mailbox(&fb.to)),
        SortKey::Cc => ascii_casemap(addr_mailbox(&fa.cc), addr_mailbox(&fb.cc)),
        // RFC 5957 §3: the display name of the first address, else its addr-spec.
        SortKey::DisplayFrom => ascii_casemap(&fa.from_display, &fb.from_display),
        SortKey::DisplayTo => ascii_casemap(&fa.to_display, &fb.to_display),
    }
}

/// Compares two messages under `criteria`, then by sequence number.
pub fn compare(criteria: &[SortCriterion], a: &SortItem<'_>, b: &SortItem<'_>) -> Ordering {
    for c in criteria {
        let o = compare_key(c.key, a, b);
        let o = if c.reverse { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.seq.cmp(&b.seq)
}

/// Sorts `items` by `criteria` (RFC 5256 §3).
pub fn sort(items: &mut [SortItem<'_>], criteria: &[SortCriterion]) {
    items.sort_by(|a, b| compare(criteria, a, b));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn fields(subject: &str, from: &str, display: &str, sent: Option<i64>) -> SortFields {
        SortFields {
            sent_date: sent,
            subject: subject.to_owned(),
            base_subject: malt_core::ingest::base_subject(subject),
            from: from.to_owned(),
            from_display: display.to_owned(),
            ..SortFields::default()
        }
    }

    fn order(f: &[SortFields], criteria: &[SortCriterion]) -> Vec<u32> {
        let mut items: Vec<SortItem<'_>> = f
            .iter()
            .enumerate()
            .map(|(i, fields)| SortItem {
                seq: i as u32 + 1,
                uid: i as u32 + 10,
                internal_date: 1000 - i as i64,
                size: [300, 100, 200, 100][i % 4],
                fields,
            })
            .collect();
        sort(&mut items, criteria);
        items.iter().map(|i| i.seq).collect()
    }

    fn key(key: SortKey) -> SortCriterion {
        SortCriterion { reverse: false, key }
    }

    fn rev(key: SortKey) -> SortCriterion {
        SortCriterion { reverse: true, key }
    }

    #[test]
    fn collation_is_ascii_casemap() {
        assert_eq!(ascii_casemap("abc", "ABC"), Ordering::Equal);
        assert_eq!(ascii_casemap("a", "B"), Ordering::Less);
        // '_' (0x5F) sorts after 'Z' folded, before nothing else lower-case: upper-case folding.
        assert_eq!(ascii_casemap("_", "a"), Ordering::Greater);
        assert_eq!(ascii_casemap("ab", "a"), Ordering::Greater);
        assert_eq!(addr_mailbox("bob@example.net"), "bob");
        assert_eq!(addr_mailbox(""), "");
    }

    #[test]
    fn keys_reverse_and_ties() {
        let f = vec![
            fields("Re: beta", "carol@x", "Zed", Some(50)),
            fields("alpha", "Bob@y", "", None),
            fields("BETA", "alice@z", "Amy", Some(10)),
            fields("[list] Alpha", "bob@a", "amy", Some(10)),
        ];
        // SUBJECT uses the base subject; ties keep sequence order.
        assert_eq!(order(&f, &[key(SortKey::Subject)]), vec![2, 4, 1, 3]);
        assert_eq!(order(&f, &[rev(SortKey::Subject)]), vec![1, 3, 2, 4]);
        // FROM compares the mailbox part only.
        assert_eq!(order(&f, &[key(SortKey::From)]), vec![3, 2, 4, 1]);
        // DATE: message 2 has no Date, its INTERNALDATE (999) is used; 3 and 4 tie.
        assert_eq!(order(&f, &[key(SortKey::Date)]), vec![3, 4, 1, 2]);
        // ARRIVAL: INTERNALDATE descends with the sequence number here.
        assert_eq!(order(&f, &[key(SortKey::Arrival)]), vec![4, 3, 2, 1]);
        // SIZE 300,100,200,100 with ties by sequence; REVERSE SIZE keeps ties ascending.
        assert_eq!(order(&f, &[key(SortKey::Size)]), vec![2, 4, 3, 1]);
        assert_eq!(order(&f, &[rev(SortKey::Size)]), vec![1, 3, 2, 4]);
        // Multi-key: SIZE then REVERSE DATE.
        assert_eq!(
            order(&f, &[key(SortKey::Size), rev(SortKey::Date)]),
            vec![2, 4, 3, 1]
        );
        assert_eq!(
            order(&f, &[key(SortKey::Size), key(SortKey::Date)]),
            vec![4, 2, 3, 1]
        );
        // DISPLAYFROM: "" < "Amy" = "amy" < "Zed".
        assert_eq!(order(&f, &[key(SortKey::DisplayFrom)]), vec![2, 3, 4, 1]);
    }
}
