//! SEARCH evaluation (RFC 9051 §6.4.4) over one message at a time.
//!
//! UIDs and sequence numbers come from the session's view, flags and mod-sequences from the store's
//! summaries (read with the candidates, never kept by the view); addresses, subject, dates and sizes
//! from the stored metadata; `HEADER`, `BODY` and `TEXT` read the raw message. This is the seam for a
//! later full-text index: [`needs_raw`] decides whether blobs are read, [`matches`] is the only matcher.
//!
//! String keys match case-insensitively as substrings (RFC 9051 §6.4.4). Dates compare by UTC day.
//!
//!
//! [`HeaderPrefilter`] rules messages out before their metadata is read: a key that must hold
//! (the key itself or a member of a top-level AND) and that tests a header field (SUBJECT, FROM,
//! TO, CC, BCC, HEADER) can only match when every word of its string occurs in the raw values of
//! that field in the message's top-level header block (kept by the store at append). The test is
//! made only when those raw values are ASCII, without RFC 2047 encoded words (`=?`) and without
//! quoted pairs (`\`), and every line of the block is a field or a continuation, so that every
//! word of the decoded value (subject, display names, mailboxes, hosts) occurs in them literally;
//! otherwise the message is simply not ruled out. Words are runs of ASCII letters, digits, `_`,
//! `+` and `-`, compared ASCII-case-insensitively: a substring of a value contains only whole or
//! partial such runs, and each occurs in the value.
//! Malt has no `\Recent`: `RECENT` and `NEW` match nothing, `OLD` everything.

use malt_imap_proto::command::{Date, SearchKey, SeqNum, SequenceSet};
use malt_store::meta::Address;
use malt_store::{Flags, Message, ModSeq, Uid, flag};

/// One message being tested.
pub struct Candidate<'a> {
    pub seq: u32,
    pub uid: Uid,
    pub flags: &'a Flags,
    /// The mod-sequence as the viewer sees it (RFC 7162 §3.1.5 `MODSEQ` key).
    pub modseq: ModSeq,
    pub msg: Option<&'a Message>,
    pub raw: Option<&'a [u8]>,
}

/// What the sets `*` stand for.
pub struct Bounds {
    pub exists: u32,
    pub max_uid: Uid,
}

/// Whether evaluating `key` needs the metadata of messages.
pub fn needs_meta(key: &SearchKey) -> bool {
    use SearchKey as K;
    match key {
        K::All
        | K::Answered
        | K::Deleted
        | K::Draft
        | K::Flagged
        | K::Keyword(_)
        | K::New
        | K::Old
        | K::Recent
        | K::Seen
        | K::Uid(_)
        | K::Unanswered
        | K::Undeleted
        | K::Undraft
        | K::Unflagged
        | K::Unkeyword(_)
        | K::Unseen
        | K::ModSeq { .. }
        | K::SequenceSet(_) => false,
        K::Not(k) => needs_meta(k),
        K::Or(a, b) => needs_meta(a) || needs_meta(b),
        K::And(v) => v.iter().any(needs_meta),
        _ => true,
    }
}

/// Whether evaluating `key` needs the raw message.
pub fn needs_raw(key: &SearchKey) -> bool {
    use SearchKey as K;
    match key {
        K::Body(_) | K::Text(_) | K::Header(..) => true,
        K::Not(k) => needs_raw(k),
        K::Or(a, b) => needs_raw(a) || needs_raw(b),
        K::And(v) => v.iter().any(needs_raw),
        _ => false,
    }
}

fn in_set(set: &SequenceSet, n: u32, star: u32) -> bool {
    let SequenceSet::Ranges(ranges) = set else {
        return false;
    };
    ranges.iter().any(|r| {
        let v = |x: SeqNum| match x {
            SeqNum::Value(v) => v,
            SeqNum::Star => star,
        };
        let (a, b) = (v(r.start), v(r.end));
        a.min(b) <= n && n <= a.max(b)
    })
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    contains(&String::from_utf8_lossy(haystack), needle)
}

fn addresses(list: &[Address]) -> String {
    let mut out = String::new();
    for a in list {
        if let Some(n) = &a.name {
            out.push_str(n);
            out.push(' ');
        }
        out.push('<');
        out.push_str(a.mailbox.as_deref().unwrap_or_default());
        out.push('@');
        out.push_str(a.host.as_deref().unwrap_or_default());
        out.push_str("> ");
    }
    out
}

fn day(unix: i64) -> i64 {
    unix.div_euclid(86_400)
}

fn date_day(d: &Date) -> i64 {
    day(d.to_unix())
}

/// The value of header `name` in the raw message (all occurrences, unfolded).
fn header_value(raw: &[u8], name: &str) -> String {
    let mut out = String::new();
    let mut current = false;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with([' ', '\t']) {
            if current {
                out.push_str(text.trim_end());
            }
            continue;
        }
        current = match text.split_once(':') {
            Some((n, v)) if n.trim().eq_ignore_ascii_case(name) => {
                out.push_str(v.trim());
                out.push(' ');
                true
            }
            _ => false,
        };
    }
    out
}

/// Words that must occur in header fields of a message for a key to match it (see the module docs).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HeaderPrefilter {
    /// (field name, lower-case words that must all occur in its raw values).
    fields: Vec<(String, Vec<Vec<u8>>)>,
}

impl HeaderPrefilter {
    /// The prefilter of `key`; `None` when the key says nothing about header words.
    pub fn of(key: &SearchKey) -> Option<HeaderPrefilter> {
        let required: &[SearchKey] = match key {
            SearchKey::And(v) => v,
            k => std::slice::from_ref(k),
        };
        let mut fields = Vec::new();
        for k in required {
            let (field, s) = match k {
                SearchKey::Subject(s) => ("subject", s),
                SearchKey::From(s) => ("from", s),
                SearchKey::To(s) => ("to", s),
                SearchKey::Cc(s) => ("cc", s),
                SearchKey::Bcc(s) => ("bcc", s),
                SearchKey::Header(name, s) => (name.as_str(), s),
                _ => continue,
            };
            let words: Vec<Vec<u8>> = s
                .as_bytes()
                .split(|b| !is_word_byte(*b))
                .filter(|w| !w.is_empty())
                .map(<[u8]>::to_ascii_lowercase)
                .collect();
            if !words.is_empty() {
                fields.push((field.to_owned(), words));
            }
        }
        (!fields.is_empty()).then_some(HeaderPrefilter { fields })
    }

    /// Whether the message whose top-level header block is `header` certainly does not match.
    pub fn rules_out(&self, header: &[u8]) -> bool {
        self.fields.iter().any(|(field, words)| {
            let Some(values) = raw_field_values(header, field) else {
                return false;
            };
            if !values.is_ascii() || values.contains(&b'\\') || values.windows(2).any(|w| w == b"=?") {
                return false;
            }
            let lower = values.to_ascii_lowercase();
            words.iter().any(|w| memchr::memmem::find(&lower, w).is_none())
        })
    }
}

/// The raw values (continuation lines included) of every `name` field of a header block, joined;
/// `None` when a line of the block is neither a field nor a continuation (a block a parser may read
/// differently).
fn raw_field_values(header: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut current = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if current {
                out.extend_from_slice(line);
            }
            continue;
        }
        let colon = line.iter().position(|&b| b == b':')?;
        let (field, value) = line.split_at(colon);
        current = field.trim_ascii().eq_ignore_ascii_case(name.as_bytes());
        if current {
            out.extend_from_slice(value);
        }
    }
    Some(out)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-')
}

/// Whether `c` matches `key`.
pub fn matches(key: &SearchKey, c: &Candidate<'_>, b: &Bounds) -> bool {
    use SearchKey as K;
    let has = |bit| c.flags.has(bit);
    let kw = |k: &str| c.flags.keywords.iter().any(|x| x.eq_ignore_ascii_case(k));
    let env = c.msg.map(|m| &m.meta.envelope);
    let sent = c
        .msg
        .map(|m| day(m.meta.sort.sent_date.unwrap_or(m.internal_date)));
    let internal = c.msg.map(|m| day(m.internal_date));
    match key {
        K::All | K::Old => true,
        K::New | K::Recent => false,
        K::Answered => has(flag::ANSWERED),
        K::Deleted => has(flag::DELETED),
        K::Draft => has(flag::DRAFT),
        K::Flagged => has(flag::FLAGGED),
        K::Seen => has(flag::SEEN),
        K::Unanswered => !has(flag::ANSWERED),
        K::Undeleted => !has(flag::DELETED),
        K::Undraft => !has(flag::DRAFT),
        K::Unflagged => !has(flag::FLAGGED),
        K::Unseen => !has(flag::SEEN),
        K::Keyword(k) => kw(k),
        K::Unkeyword(k) => !kw(k),
        K::Uid(set) => in_set(set, c.uid, b.max_uid),
        K::SequenceSet(set) => in_set(set, c.seq, b.exists),
        K::Not(k) => !matches(k, c, b),
        K::Or(x, y) => matches(x, c, b) || matches(y, c, b),
        K::And(v) => v.iter().all(|k| matches(k, c, b)),
        K::From(s) => env.is_some_and(|e| contains(&addresses(&e.from), s)),
        K::To(s) => env.is_some_and(|e| contains(&addresses(&e.to), s)),
        K::Cc(s) => env.is_some_and(|e| contains(&addresses(&e.cc), s)),
        K::Bcc(s) => env.is_some_and(|e| contains(&addresses(&e.bcc), s)),
        K::Subject(s) => c.msg.is_some_and(|m| {
            contains(&m.meta.sort.subject, s)
                || m.meta.envelope.subject.as_deref().is_some_and(|x| contains(x, s))
        }),
        K::Header(name, value) => c.raw.is_some_and(|r| {
            let v = header_value(r, name);
            !v.is_empty() && (value.is_empty() || contains(&v, value))
        }),
        K::Body(s) => match (c.raw, c.msg) {
            (Some(r), Some(m)) => {
                let start = usize::try_from(m.meta.body.body_start).unwrap_or(0).min(r.len());
                contains_bytes(r.get(start..).unwrap_or_default(), s)
            }
            _ => false,
        },
        K::Text(s) => c.raw.is_some_and(|r| contains_bytes(r, s)),
        K::Larger(n) => c.msg.is_some_and(|m| m.size > *n),
        K::Smaller(n) => c.msg.is_some_and(|m| m.size < *n),
        K::Before(d) => internal.is_some_and(|x| x < date_day(d)),
        K::On(d) => internal.is_some_and(|x| x == date_day(d)),
        K::Since(d) => internal.is_some_and(|x| x >= date_day(d)),
        K::SentBefore(d) => sent.is_some_and(|x| x < date_day(d)),
        K::SentOn(d) => sent.is_some_and(|x| x == date_day(d)),
        K::SentSince(d) => sent.is_some_and(|x| x >= date_day(d)),
        K::ModSeq { modseq, .. } => c.modseq >= *modseq,
        K::EmailId(id) => c.msg.is_some_and(|m| crate::objectid::email_id(m) == *id),
        K::ThreadId(id) => c.msg.is_some_and(|m| crate::objectid::thread_id(m) == *id),
        K::SavedBefore(d) => c.msg.is_some_and(|m| day(m.save_date) < date_day(d)),
        K::SavedOn(d) => c.msg.is_some_and(|m| day(m.save_date) == date_day(d)),
        K::SavedSince(d) => c.msg.is_some_and(|m| day(m.save_date) >= date_day(d)),
        K::SaveDateSupported => true,
        K::Older(secs) => c.msg.is_some_and(|m| now() - m.internal_date >= i64::from(*secs)),
        K::Younger(secs) => c.msg.is_some_and(|m| now() - m.internal_date <= i64::from(*secs)),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use malt_imap_proto::command::SeqRange;

    /// Soundness of the header prefilter: for tricky header blocks, every substring of every decoded
    /// value that makes a key match leaves the message in (never ruled out), and words absent from
    /// the block do rule it out when the block qualifies.
    #[test]
    fn header_prefilter_never_rules_out_a_match() {
        let blocks: [&[u8]; 7] = [
            b"Subject: Plain words here\r\nFrom: Bob Smith <bob.smith@Example.NET>\r\nTo: a@b.c\r\n\r\n",
            b"Subject: folded\r\n   across  lines\r\nFrom: \"Smith, J.\" <j@x.org>\r\n\r\n",
            b"Subject: =?utf-8?q?caf=C3=A9_menu?=\r\nFrom: =?utf-8?b?SsO2cmc=?= <j@x.net>\r\n\r\n",
            b"Subject: quoted\r\nFrom: \"a\\bc\" <q@x.net>\r\n\r\n",
            b"Subject: obs\r\nFrom: bob @ example . net (Bob Comment)\r\nCc: undisclosed-recipients:;\r\n\r\n",
            "Subject: r\u{e4}w \u{212a}elvin\r\nFrom: z@x.org\r\n\r\n".as_bytes(),
            b"Subject: x\r\nBcc: Hidden <h+tag@x-y.org>\r\nX-Custom: Value_1 two\r\n\r\n",
        ];
        let flags = Flags::default();
        let b = Bounds {
            exists: 1,
            max_uid: 1,
        };
        for block in blocks {
            let mut raw = block.to_vec();
            raw.extend_from_slice(b"body\r\n");
            let meta = malt_core::parse_message(&raw);
            let msg = Message {
                id: 1,
                mailbox_id: 1,
                uid: 1,
                flags: Flags::default(),
                modseq: 1,
                internal_date: 0,
                save_date: 0,
                size: raw.len() as u64,
                blob_id: String::new(),
                prefix: None,
                thread_id: 1,
                meta,
            };
            let c = Candidate {
                seq: 1,
                uid: 1,
                flags: &flags,
                modseq: 1,
                msg: Some(&msg),
                raw: Some(&raw),
            };
            let env = &msg.meta.envelope;
            let values = [
                msg.meta.sort.subject.clone(),
                env.subject.clone().unwrap_or_default(),
                addresses(&env.from),
                addresses(&env.cc),
                addresses(&env.bcc),
                header_value(&raw, "x-custom"),
            ];
            for v in &values {
                let chars: Vec<char> = v.chars().collect();
                for len in 1..=chars.len().min(14) {
                    for start in 0..=chars.len() - len {
                        let needle: String = chars[start..start + len].iter().collect();
                        for key in [
                            SearchKey::Subject(needle.clone()),
                            SearchKey::From(needle.clone()),
                            SearchKey::Cc(needle.clone()),
                            SearchKey::Bcc(needle.clone()),
                            SearchKey::Header("X-Custom".into(), needle.clone()),
                            SearchKey::And(vec![SearchKey::All, SearchKey::Subject(needle.clone())]),
                        ] {
                            if matches(&key, &c, &b) {
                                let p = HeaderPrefilter::of(&key);
                                assert!(
                                    !p.is_some_and(|p| p.rules_out(block)),
                                    "{key:?} matches {:?} but was ruled out",
                                    String::from_utf8_lossy(block)
                                );
                            }
                        }
                    }
                }
            }
        }
        let p = HeaderPrefilter::of(&SearchKey::Subject("zebra words".into())).unwrap();
        assert!(
            p.rules_out(blocks[0]),
            "a word absent from a plain block rules it out"
        );
        assert!(!p.rules_out(blocks[2]), "encoded words: never ruled out");
        assert!(!p.rules_out(blocks[5]), "non-ASCII: never ruled out");
        let p = HeaderPrefilter::of(&SearchKey::Subject("bob".into())).unwrap();
        assert!(p.rules_out(blocks[0]), "a word of another field does not count");
        assert!(
            p.rules_out(b"Subject: plain\r\nFrom: =?utf-8?q?B=C3=B6b?= <bob@x.net>\r\n\r\n"),
            "encoded words in another field do not matter"
        );
        let p = HeaderPrefilter::of(&SearchKey::From("plain".into())).unwrap();
        assert!(p.rules_out(blocks[0]));
        assert!(
            !p.rules_out(b"From: a@b.c\r\nnot a field\r\n\r\n"),
            "odd block: never ruled out"
        );
        let p = HeaderPrefilter::of(&SearchKey::Cc("x".into())).unwrap();
        assert!(p.rules_out(blocks[0]), "no such field: no match");
        let p = HeaderPrefilter::of(&SearchKey::Or(
            Box::new(SearchKey::Subject("zebra".into())),
            Box::new(SearchKey::All),
        ));
        assert_eq!(p, None, "only keys that must hold filter");
        let p = HeaderPrefilter::of(&SearchKey::Not(Box::new(SearchKey::Subject("plain".into()))));
        assert_eq!(p, None);
    }

    #[test]
    fn flags_sets_and_headers() {
        let flags = Flags::new(flag::SEEN, ["$Work".to_string()]);
        let raw = b"Subject: Hello\r\nX-Tag: a\r\n b\r\n\r\nbody text";
        let c = Candidate {
            seq: 2,
            uid: 10,
            flags: &flags,
            modseq: 4,
            msg: None,
            raw: Some(raw),
        };
        let b = Bounds {
            exists: 3,
            max_uid: 12,
        };
        let set = |a, z| {
            SequenceSet::Ranges(vec![SeqRange {
                start: SeqNum::Value(a),
                end: z,
            }])
        };
        assert!(matches(&SearchKey::Seen, &c, &b));
        assert!(!matches(&SearchKey::Unseen, &c, &b));
        assert!(matches(&SearchKey::Keyword("$work".into()), &c, &b));
        assert!(!matches(&SearchKey::Uid(set(11, SeqNum::Star)), &c, &b));
        assert!(matches(&SearchKey::SequenceSet(set(2, SeqNum::Star)), &c, &b));
        assert!(matches(&SearchKey::Header("x-tag".into(), "b".into()), &c, &b));
        assert!(matches(&SearchKey::Text("BODY TEXT".into()), &c, &b));
        let or = SearchKey::Or(Box::new(SearchKey::Deleted), Box::new(SearchKey::All));
        assert!(!matches(&SearchKey::Not(Box::new(or)), &c, &b));
    }
}
