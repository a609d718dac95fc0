//! Response codes (RFC 9051 §7.1 and the extensions' codes), written inside `[...]`.

use crate::command::Flag;
use crate::encode::{StringStyle, flag_str, write_astring};

/// A set of UIDs as ranges `(first, last)` with `first <= last`, written `1:3,7`.
pub type UidRanges = Vec<(u32, u32)>;

/// Writes ranges as a sequence set (`a:b` or `a`).
pub fn write_ranges(out: &mut Vec<u8>, ranges: &[(u32, u32)]) {
    for (i, &(a, b)) in ranges.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if a == b {
            out.extend_from_slice(a.to_string().as_bytes());
        } else {
            out.extend_from_slice(format!("{a}:{b}").as_bytes());
        }
    }
}

/// Collapses numbers (in the order given) into ranges of consecutive ascending runs.
pub fn compress_ids(ids: &[u32]) -> UidRanges {
    let mut out: UidRanges = Vec::new();
    for &id in ids {
        match out.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
            _ => out.push((id, id)),
        }
    }
    out
}

/// A response code. Data-carrying codes own their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCode {
    Alert,
    AlreadyExists,
    /// RFC 4315: `APPENDUID uidvalidity uid-set`.
    AppendUid {
        uidvalidity: u32,
        uids: UidRanges,
    },
    AuthenticationFailed,
    AuthorizationFailed,
    BadCharset(Vec<String>),
    Cannot,
    Capability(Vec<String>),
    ClientBug,
    Closed,
    CompressionActive,
    ContactAdmin,
    /// RFC 4315: `COPYUID uidvalidity source-uids dest-uids`.
    CopyUid {
        uidvalidity: u32,
        source: UidRanges,
        dest: UidRanges,
    },
    Corruption,
    Expired,
    ExpungeIssued,
    HasChildren,
    /// RFC 7162.
    HighestModSeq(u64),
    InUse,
    Limit,
    /// RFC 8474.
    MailboxId(String),
    /// RFC 7162 §3.1.3: UIDs or sequence numbers that failed UNCHANGEDSINCE.
    Modified(UidRanges),
    NoModSeq,
    NonExistent,
    NoPerm,
    /// RFC 5182 SEARCHRES: `$` could not be saved.
    NotSaved,
    OverQuota,
    Parse,
    /// `PERMANENTFLAGS (flags [\*])`.
    PermanentFlags {
        flags: Vec<Flag>,
        allow_new: bool,
    },
    PrivacyRequired,
    ReadOnly,
    ReadWrite,
    ServerBug,
    /// RFC 7889 / RFC 4469 style: literal or message too big.
    TooBig,
    TryCreate,
    UidNext(u32),
    UidNotSticky,
    UidValidity(u32),
    Unavailable,
    UnknownCte,
    /// IMAP4rev1 only.
    Unseen(u32),
    /// RFC 6154 §6: the special-use attribute is not supported.
    UseAttr,
    /// RFC 5464 METADATA `LONGENTRIES n`.
    MetadataLongEntries(u64),
    /// RFC 5464 `METADATA MAXSIZE n`.
    MetadataMaxSize(u64),
    /// RFC 5464 `METADATA TOOMANY`.
    MetadataTooMany,
    /// RFC 5464 `METADATA NOPRIVATE`.
    MetadataNoPrivate,
    /// RFC 5465 `NOTIFICATIONOVERFLOW`.
    NotificationOverflow,
    /// RFC 7162 `CLOSED` is [`ResponseCode::Closed`]; `UNKNOWN-CTE` above. Anything else: an atom
    /// and optional text.
    Other {
        name: String,
        text: Option<String>,
    },
}

impl ResponseCode {
    /// Writes the code with its brackets.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        let simple = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
        match self {
            ResponseCode::Alert => simple(out, "ALERT"),
            ResponseCode::AlreadyExists => simple(out, "ALREADYEXISTS"),
            ResponseCode::AppendUid { uidvalidity, uids } => {
                simple(out, &format!("APPENDUID {uidvalidity} "));
                write_ranges(out, uids);
            }
            ResponseCode::AuthenticationFailed => simple(out, "AUTHENTICATIONFAILED"),
            ResponseCode::AuthorizationFailed => simple(out, "AUTHORIZATIONFAILED"),
            ResponseCode::BadCharset(list) => {
                simple(out, "BADCHARSET");
                if !list.is_empty() {
                    out.extend_from_slice(b" (");
                    for (i, c) in list.iter().enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        write_astring(
                            out,
                            c.as_bytes(),
                            StringStyle {
                                utf8: false,
                                literal_plus: false,
                            },
                        );
                    }
                    out.push(b')');
                }
            }
            ResponseCode::Cannot => simple(out, "CANNOT"),
            ResponseCode::Capability(caps) => {
                simple(out, "CAPABILITY");
                for c in caps {
                    out.push(b' ');
                    simple(out, c);
                }
            }
            ResponseCode::ClientBug => simple(out, "CLIENTBUG"),
            ResponseCode::Closed => simple(out, "CLOSED"),
            ResponseCode::CompressionActive => simple(out, "COMPRESSIONACTIVE"),
            ResponseCode::ContactAdmin => simple(out, "CONTACTADMIN"),
            ResponseCode::CopyUid {
                uidvalidity,
                source,
                dest,
            } => {
                simple(out, &format!("COPYUID {uidvalidity} "));
                write_ranges(out, source);
                out.push(b' ');
                write_ranges(out, dest);
            }
            ResponseCode::Corruption => simple(out, "CORRUPTION"),
            ResponseCode::Expired => simple(out, "EXPIRED"),
            ResponseCode::ExpungeIssued => simple(out, "EXPUNGEISSUED"),
            ResponseCode::HasChildren => simple(out, "HASCHILDREN"),
            ResponseCode::HighestModSeq(n) => simple(out, &format!("HIGHESTMODSEQ {n}")),
            ResponseCode::InUse => simple(out, "INUSE"),
            ResponseCode::Limit => simple(out, "LIMIT"),
            ResponseCode::MailboxId(id) => simple(out, &format!("MAILBOXID ({id})")),
            ResponseCode::Modified(set) => {
                simple(out, "MODIFIED ");
                write_ranges(out, set);
            }
            ResponseCode::NoModSeq => simple(out, "NOMODSEQ"),
            ResponseCode::NonExistent => simple(out, "NONEXISTENT"),
            ResponseCode::NoPerm => simple(out, "NOPERM"),
            ResponseCode::NotSaved => simple(out, "NOTSAVED"),
            ResponseCode::OverQuota => simple(out, "OVERQUOTA"),
            ResponseCode::Parse => simple(out, "PARSE"),
            ResponseCode::PermanentFlags { flags, allow_new } => {
                simple(out, "PERMANENTFLAGS (");
                let mut first = true;
                for f in flags {
                    if !first {
                        out.push(b' ');
                    }
                    first = false;
                    simple(out, &flag_str(f));
                }
                if *allow_new {
                    if !first {
                        out.push(b' ');
                    }
                    simple(out, "\\*");
                }
                out.push(b')');
            }
            ResponseCode::PrivacyRequired => simple(out, "PRIVACYREQUIRED"),
            ResponseCode::ReadOnly => simple(out, "READ-ONLY"),
            ResponseCode::ReadWrite => simple(out, "READ-WRITE"),
            ResponseCode::ServerBug => simple(out, "SERVERBUG"),
            ResponseCode::TooBig => simple(out, "TOOBIG"),
            ResponseCode::TryCreate => simple(out, "TRYCREATE"),
            ResponseCode::UidNext(n) => simple(out, &format!("UIDNEXT {n}")),
            ResponseCode::UidNotSticky => simple(out, "UIDNOTSTICKY"),
            ResponseCode::UidValidity(n) => simple(out, &format!("UIDVALIDITY {n}")),
            ResponseCode::Unavailable => simple(out, "UNAVAILABLE"),
            ResponseCode::UnknownCte => simple(out, "UNKNOWN-CTE"),
            ResponseCode::Unseen(n) => simple(out, &format!("UNSEEN {n}")),
            ResponseCode::UseAttr => simple(out, "USEATTR"),
            ResponseCode::MetadataLongEntries(n) => simple(out, &format!("METADATA LONGENTRIES {n}")),
            ResponseCode::MetadataMaxSize(n) => simple(out, &format!("METADATA MAXSIZE {n}")),
            ResponseCode::MetadataTooMany => simple(out, "METADATA TOOMANY"),
            ResponseCode::MetadataNoPrivate => simple(out, "METADATA NOPRIVATE"),
            ResponseCode::NotificationOverflow => simple(out, "NOTIFICATIONOVERFLOW"),
            ResponseCode::Other { name, text } => {
                // Only atom characters survive in the name; text loses `]`, CR and LF.
                let name: String = name
                    .chars()
                    .filter(|c| c.is_ascii() && crate::parser::is_atom_char(*c as u8))
                    .collect();
                simple(out, if name.is_empty() { "X" } else { &name });
                if let Some(t) = text {
                    out.push(b' ');
                    let t: String = t.chars().filter(|c| !matches!(c, ']' | '\r' | '\n')).collect();
                    simple(out, &t);
                }
            }
        }
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(c: ResponseCode) -> String {
        let mut v = Vec::new();
        c.write(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn codes() {
        assert_eq!(
            w(ResponseCode::AppendUid {
                uidvalidity: 38505,
                uids: vec![(3955, 3955)]
            }),
            "[APPENDUID 38505 3955]"
        );
        assert_eq!(
            w(ResponseCode::CopyUid {
                uidvalidity: 38505,
                source: vec![(304, 304), (319, 320)],
                dest: vec![(3956, 3958)]
            }),
            "[COPYUID 38505 304,319:320 3956:3958]"
        );
        assert_eq!(
            w(ResponseCode::PermanentFlags {
                flags: vec![Flag::Deleted, Flag::Seen],
                allow_new: true
            }),
            "[PERMANENTFLAGS (\\Deleted \\Seen \\*)]"
        );
        assert_eq!(
            w(ResponseCode::PermanentFlags {
                flags: vec![],
                allow_new: false
            }),
            "[PERMANENTFLAGS ()]"
        );
        assert_eq!(w(ResponseCode::ReadOnly), "[READ-ONLY]");
        assert_eq!(
            w(ResponseCode::MailboxId("F2212ea87".into())),
            "[MAILBOXID (F2212ea87)]"
        );
        assert_eq!(w(ResponseCode::Modified(vec![(7, 7), (9, 9)])), "[MODIFIED 7,9]");
        assert_eq!(
            w(ResponseCode::Other {
                name: "X]Y".into(),
                text: Some("a]b\r\n".into())
            }),
            "[XY ab]"
        );
        assert_eq!(compress_ids(&[1, 2, 3, 5, 7, 8]), vec![(1, 3), (5, 5), (7, 8)]);
    }
}
