//! The client side: [`Command::to_bytes`] writes a command as a client would send it, with
//! non-synchronising literals (`{n+}`, RFC 7888) so the result parses in one piece. Used by the
//! property tests (`parse(to_bytes(c)) == c`), the fuzz cross-check and test clients.

use crate::command::*;
use crate::encode::{
    StringStyle, date_string, date_time_string, flag_str, write_astring, write_flag_list, write_list_mailbox,
    write_literal, write_nstring, write_section, write_sequence_set, write_string,
};

const STYLE: StringStyle = StringStyle {
    utf8: false,
    literal_plus: true,
};

struct W {
    out: Vec<u8>,
}

/// Ends a chain of writer calls.
fn z(_w: &mut W) {}

impl W {
    fn raw(&mut self, s: &str) -> &mut Self {
        self.out.extend_from_slice(s.as_bytes());
        self
    }
    fn sp(&mut self) -> &mut Self {
        self.out.push(b' ');
        self
    }
    fn astring(&mut self, s: &str) -> &mut Self {
        write_astring(&mut self.out, s.as_bytes(), STYLE);
        self
    }
    fn string(&mut self, s: &str) -> &mut Self {
        write_string(&mut self.out, s.as_bytes(), STYLE);
        self
    }
    fn set(&mut self, s: &SequenceSet) -> &mut Self {
        write_sequence_set(&mut self.out, s);
        self
    }
    fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.out.push(b'(');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b' ');
            }
            f(self, item);
        }
        self.out.push(b')');
        self
    }
}

fn status_item(i: StatusItem) -> &'static str {
    match i {
        StatusItem::Messages => "MESSAGES",
        StatusItem::UidNext => "UIDNEXT",
        StatusItem::UidValidity => "UIDVALIDITY",
        StatusItem::Unseen => "UNSEEN",
        StatusItem::Deleted => "DELETED",
        StatusItem::Size => "SIZE",
        StatusItem::Recent => "RECENT",
        StatusItem::HighestModSeq => "HIGHESTMODSEQ",
        StatusItem::AppendLimit => "APPENDLIMIT",
        StatusItem::MailboxId => "MAILBOXID",
        StatusItem::DeletedStorage => "DELETED-STORAGE",
    }
}

impl StatusItem {
    /// The item's name on the wire.
    pub fn as_str(self) -> &'static str {
        status_item(self)
    }
}

fn search_return(r: &SearchReturn) -> &'static str {
    match r {
        SearchReturn::Min => "MIN",
        SearchReturn::Max => "MAX",
        SearchReturn::All => "ALL",
        SearchReturn::Count => "COUNT",
        SearchReturn::Save => "SAVE",
    }
}

/// The name of a fetch attribute as the client requests it, e.g. `BODY.PEEK[1.MIME]<0.10>`.
pub(crate) fn write_fetch_att(out: &mut Vec<u8>, att: &FetchAttribute, style: StringStyle, request: bool) {
    use FetchAttribute as F;
    let partial = |out: &mut Vec<u8>, p: &Partial| {
        if let Some((offset, count)) = p {
            if request {
                out.extend_from_slice(format!("<{offset}.{count}>").as_bytes());
            } else {
                // In a response only the origin octet is given (RFC 9051 §7.5.2).
                out.extend_from_slice(format!("<{offset}>").as_bytes());
            }
        }
    };
    match att {
        F::Flags => out.extend_from_slice(b"FLAGS"),
        F::Uid => out.extend_from_slice(b"UID"),
        F::InternalDate => out.extend_from_slice(b"INTERNALDATE"),
        F::Rfc822Size => out.extend_from_slice(b"RFC822.SIZE"),
        F::Envelope => out.extend_from_slice(b"ENVELOPE"),
        F::BodyStructure => out.extend_from_slice(b"BODYSTRUCTURE"),
        F::Body => out.extend_from_slice(b"BODY"),
        F::BodySection {
            peek,
            section,
            partial: p,
        } => {
            out.extend_from_slice(if *peek && request { b"BODY.PEEK[" } else { b"BODY[" });
            write_section(out, section, style);
            out.push(b']');
            partial(out, p);
        }
        F::Binary {
            peek,
            part,
            partial: p,
        } => {
            out.extend_from_slice(if *peek && request {
                b"BINARY.PEEK["
            } else {
                b"BINARY["
            });
            crate::encode::write_part(out, part);
            out.push(b']');
            partial(out, p);
        }
        F::BinarySize { part } => {
            out.extend_from_slice(b"BINARY.SIZE[");
            crate::encode::write_part(out, part);
            out.push(b']');
        }
        F::Rfc822 => out.extend_from_slice(b"RFC822"),
        F::Rfc822Header => out.extend_from_slice(b"RFC822.HEADER"),
        F::Rfc822Text => out.extend_from_slice(b"RFC822.TEXT"),
        F::ModSeq => out.extend_from_slice(b"MODSEQ"),
        F::Preview { lazy } => out.extend_from_slice(if *lazy && request {
            b"PREVIEW (LAZY)"
        } else {
            b"PREVIEW"
        }),
        F::EmailId => out.extend_from_slice(b"EMAILID"),
        F::ThreadId => out.extend_from_slice(b"THREADID"),
        F::SaveDate => out.extend_from_slice(b"SAVEDATE"),
    }
}

fn search_key(w: &mut W, key: &SearchKey, top: bool) {
    use SearchKey as K;
    let s = |w: &mut W, name: &str, v: &str| {
        w.raw(name).sp().astring(v);
    };
    let d = |w: &mut W, name: &str, v: &Date| {
        w.raw(name).sp().raw(&date_string(v));
    };
    match key {
        K::All => z(w.raw("ALL")),
        K::Answered => z(w.raw("ANSWERED")),
        K::Deleted => z(w.raw("DELETED")),
        K::Draft => z(w.raw("DRAFT")),
        K::Flagged => z(w.raw("FLAGGED")),
        K::New => z(w.raw("NEW")),
        K::Old => z(w.raw("OLD")),
        K::Recent => z(w.raw("RECENT")),
        K::Seen => z(w.raw("SEEN")),
        K::Unanswered => z(w.raw("UNANSWERED")),
        K::Undeleted => z(w.raw("UNDELETED")),
        K::Undraft => z(w.raw("UNDRAFT")),
        K::Unflagged => z(w.raw("UNFLAGGED")),
        K::Unseen => z(w.raw("UNSEEN")),
        K::SaveDateSupported => z(w.raw("SAVEDATESUPPORTED")),
        K::Bcc(v) => s(w, "BCC", v),
        K::Body(v) => s(w, "BODY", v),
        K::Cc(v) => s(w, "CC", v),
        K::From(v) => s(w, "FROM", v),
        K::Subject(v) => s(w, "SUBJECT", v),
        K::Text(v) => s(w, "TEXT", v),
        K::To(v) => s(w, "TO", v),
        // RFC 8474 §7: an objectid is an atom (the parser only accepts its characters); never a
        // quoted string, not even `NIL`.
        K::EmailId(v) => z(w.raw("EMAILID ").raw(v)),
        K::ThreadId(v) => z(w.raw("THREADID ").raw(v)),
        K::Keyword(v) => z(w.raw("KEYWORD ").raw(v)),
        K::Unkeyword(v) => z(w.raw("UNKEYWORD ").raw(v)),
        K::Header(f, v) => z(w.raw("HEADER ").astring(f).sp().astring(v)),
        K::Before(v) => d(w, "BEFORE", v),
        K::On(v) => d(w, "ON", v),
        K::Since(v) => d(w, "SINCE", v),
        K::SentBefore(v) => d(w, "SENTBEFORE", v),
        K::SentOn(v) => d(w, "SENTON", v),
        K::SentSince(v) => d(w, "SENTSINCE", v),
        K::SavedBefore(v) => d(w, "SAVEDBEFORE", v),
        K::SavedOn(v) => d(w, "SAVEDON", v),
        K::SavedSince(v) => d(w, "SAVEDSINCE", v),
        K::Larger(n) => z(w.raw(&format!("LARGER {n}"))),
        K::Smaller(n) => z(w.raw(&format!("SMALLER {n}"))),
        K::Older(n) => z(w.raw(&format!("OLDER {n}"))),
        K::Younger(n) => z(w.raw(&format!("YOUNGER {n}"))),
        K::Uid(set) => z(w.raw("UID ").set(set)),
        K::SequenceSet(set) => z(w.set(set)),
        K::Not(k) => {
            w.raw("NOT ");
            search_key(w, k, false);
        }
        K::Or(a, b) => {
            w.raw("OR ");
            search_key(w, a, false);
            w.sp();
            search_key(w, b, false);
        }
        K::And(keys) => {
            if !top {
                w.raw("(");
            }
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    w.sp();
                }
                search_key(w, k, false);
            }
            if !top {
                w.raw(")");
            }
        }
        K::ModSeq { entry, modseq } => {
            w.raw("MODSEQ ");
            if let Some((name, kind)) = entry {
                crate::encode::write_quoted(&mut w.out, name.as_bytes());
                w.raw(match kind {
                    EntryType::Private => " priv ",
                    EntryType::Shared => " shared ",
                    EntryType::All => " all ",
                });
            }
            w.raw(&modseq.to_string());
        }
    }
}

fn returns(w: &mut W, r: &Option<Vec<SearchReturn>>) {
    if let Some(r) = r {
        w.raw("RETURN ").list(r, |w, r| z(w.raw(search_return(r)))).sp();
    }
}

fn fetch_atts(w: &mut W, atts: &[FetchAttribute]) {
    w.list(atts, |w, a| write_fetch_att(&mut w.out, a, STYLE, true));
}

fn sort_key(k: SortKey) -> &'static str {
    match k {
        SortKey::Arrival => "ARRIVAL",
        SortKey::Cc => "CC",
        SortKey::Date => "DATE",
        SortKey::From => "FROM",
        SortKey::Size => "SIZE",
        SortKey::Subject => "SUBJECT",
        SortKey::To => "TO",
        SortKey::DisplayFrom => "DISPLAYFROM",
        SortKey::DisplayTo => "DISPLAYTO",
    }
}

impl Command {
    /// The command as a client sends it, CRLF included, literals non-synchronising.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = W { out: Vec::new() };
        w.raw(&self.tag).sp();
        let uid = |w: &mut W, uid: bool| {
            if uid {
                w.raw("UID ");
            }
        };
        match &self.kind {
            CommandKind::Capability
            | CommandKind::Noop
            | CommandKind::Logout
            | CommandKind::StartTls
            | CommandKind::Namespace
            | CommandKind::Idle
            | CommandKind::Check
            | CommandKind::Close
            | CommandKind::Unselect
            | CommandKind::Expunge => z(w.raw(self.kind.name())),
            CommandKind::Authenticate { mechanism, initial } => {
                w.raw("AUTHENTICATE ").raw(mechanism);
                if let Some(ir) = initial {
                    use base64::Engine;
                    if ir.is_empty() {
                        w.raw(" =");
                    } else {
                        w.sp().raw(&base64::engine::general_purpose::STANDARD.encode(ir));
                    }
                }
            }
            CommandKind::Login { username, password } => {
                z(w.raw("LOGIN ").astring(username).sp().astring(password))
            }
            CommandKind::Enable { capabilities } => {
                w.raw("ENABLE");
                for c in capabilities {
                    w.sp().raw(c);
                }
            }
            CommandKind::Select(a) | CommandKind::Examine(a) => {
                w.raw(self.kind.name()).sp().astring(&a.mailbox);
                let mut params: Vec<Vec<u8>> = Vec::new();
                if a.condstore {
                    params.push(b"CONDSTORE".to_vec());
                }
                if let Some(q) = &a.qresync {
                    let mut p = W { out: Vec::new() };
                    p.raw(&format!("QRESYNC ({} {}", q.uidvalidity, q.modseq));
                    if let Some(k) = &q.known_uids {
                        p.sp().set(k);
                    }
                    if let Some((s, u)) = &q.seq_match {
                        p.raw(" (").set(s).sp().set(u).raw(")");
                    }
                    p.raw(")");
                    params.push(p.out);
                }
                if !params.is_empty() {
                    w.sp().list(&params, |w, p| w.out.extend_from_slice(p));
                }
            }
            CommandKind::Create { mailbox, special_use } => {
                w.raw("CREATE ").astring(mailbox);
                if !special_use.is_empty() {
                    w.raw(" (USE ")
                        .list(special_use, |w, u| z(w.raw("\\").raw(u)))
                        .raw(")");
                }
            }
            CommandKind::Delete { mailbox } => z(w.raw("DELETE ").astring(mailbox)),
            CommandKind::Rename { from, to } => z(w.raw("RENAME ").astring(from).sp().astring(to)),
            CommandKind::Subscribe { mailbox } => z(w.raw("SUBSCRIBE ").astring(mailbox)),
            CommandKind::Unsubscribe { mailbox } => z(w.raw("UNSUBSCRIBE ").astring(mailbox)),
            CommandKind::List(a) => {
                w.raw("LIST ");
                if !a.selection.is_empty() {
                    w.list(&a.selection, |w, s| {
                        w.raw(match s {
                            ListSelect::Subscribed => "SUBSCRIBED",
                            ListSelect::Remote => "REMOTE",
                            ListSelect::RecursiveMatch => "RECURSIVEMATCH",
                            ListSelect::SpecialUse => "SPECIAL-USE",
                        });
                    })
                    .sp();
                }
                w.astring(&a.reference).sp();
                if a.patterns.len() == 1 {
                    for p in &a.patterns {
                        write_list_mailbox(&mut w.out, p.as_bytes(), STYLE);
                    }
                } else {
                    w.list(&a.patterns, |w, p| {
                        write_list_mailbox(&mut w.out, p.as_bytes(), STYLE)
                    });
                }
                if !a.returns.is_empty() {
                    w.raw(" RETURN ").list(&a.returns, |w, r| match r {
                        ListReturn::Subscribed => z(w.raw("SUBSCRIBED")),
                        ListReturn::Children => z(w.raw("CHILDREN")),
                        ListReturn::SpecialUse => z(w.raw("SPECIAL-USE")),
                        ListReturn::Status(items) => {
                            w.raw("STATUS ").list(items, |w, i| z(w.raw(status_item(*i))));
                        }
                    });
                }
            }
            CommandKind::Lsub { reference, pattern } => {
                w.raw("LSUB ").astring(reference).sp();
                write_list_mailbox(&mut w.out, pattern.as_bytes(), STYLE);
            }
            CommandKind::Status { mailbox, items } => {
                w.raw("STATUS ")
                    .astring(mailbox)
                    .sp()
                    .list(items, |w, i| z(w.raw(status_item(*i))));
            }
            CommandKind::Append { mailbox, messages } => {
                w.raw("APPEND ").astring(mailbox);
                for m in messages {
                    w.sp();
                    if !m.flags.is_empty() {
                        write_flag_list(&mut w.out, &m.flags);
                        w.sp();
                    }
                    if let Some(d) = &m.date {
                        w.raw(&date_time_string(d)).sp();
                    }
                    if m.utf8 {
                        w.raw("UTF8 (");
                        write_literal(&mut w.out, &m.data, STYLE, true);
                        w.raw(")");
                    } else {
                        write_literal(&mut w.out, &m.data, STYLE, m.binary);
                    }
                }
            }
            CommandKind::UidExpunge { set } => z(w.raw("UID EXPUNGE ").set(set)),
            CommandKind::Search { uid: u, args } => {
                uid(&mut w, *u);
                w.raw("SEARCH ");
                returns(&mut w, &args.returns);
                if let Some(c) = &args.charset {
                    w.raw("CHARSET ").astring(c).sp();
                }
                search_key(&mut w, &args.key, true);
            }
            CommandKind::Fetch { uid: u, args } => {
                uid(&mut w, *u);
                w.raw("FETCH ").set(&args.set).sp();
                fetch_atts(&mut w, &args.items);
                let mut mods = Vec::new();
                if let Some(n) = args.changed_since {
                    mods.push(format!("CHANGEDSINCE {n}"));
                }
                if args.vanished {
                    mods.push("VANISHED".to_string());
                }
                if !mods.is_empty() {
                    w.sp().list(&mods, |w, m| z(w.raw(m)));
                }
            }
            CommandKind::Store { uid: u, args } => {
                uid(&mut w, *u);
                w.raw("STORE ").set(&args.set).sp();
                if let Some(n) = args.unchanged_since {
                    w.raw(&format!("(UNCHANGEDSINCE {n}) "));
                }
                w.raw(match args.mode {
                    StoreMode::Replace => "",
                    StoreMode::Add => "+",
                    StoreMode::Remove => "-",
                });
                w.raw(if args.silent { "FLAGS.SILENT " } else { "FLAGS " });
                write_flag_list(&mut w.out, &args.flags);
            }
            CommandKind::Copy { uid: u, set, mailbox } | CommandKind::Move { uid: u, set, mailbox } => {
                uid(&mut w, *u);
                w.raw(self.kind.name()).sp().set(set).sp().astring(mailbox);
            }
            CommandKind::Sort { uid: u, args } => {
                uid(&mut w, *u);
                w.raw("SORT ");
                returns(&mut w, &args.returns);
                w.list(&args.criteria, |w, c| {
                    if c.reverse {
                        w.raw("REVERSE ");
                    }
                    w.raw(sort_key(c.key));
                });
                w.sp().astring(&args.charset).sp();
                search_key(&mut w, &args.key, true);
            }
            CommandKind::Thread { uid: u, args } => {
                uid(&mut w, *u);
                w.raw("THREAD ").raw(match &args.algorithm {
                    ThreadAlgorithm::OrderedSubject => "ORDEREDSUBJECT",
                    ThreadAlgorithm::References => "REFERENCES",
                    ThreadAlgorithm::Other(a) => a,
                });
                w.sp().astring(&args.charset).sp();
                search_key(&mut w, &args.key, true);
            }
            CommandKind::GetQuota { root } => z(w.raw("GETQUOTA ").astring(root)),
            CommandKind::GetQuotaRoot { mailbox } => z(w.raw("GETQUOTAROOT ").astring(mailbox)),
            CommandKind::SetQuota { root, limits } => {
                w.raw("SETQUOTA ")
                    .astring(root)
                    .sp()
                    .list(limits, |w, (r, n)| z(w.raw(&format!("{r} {n}"))));
            }
            CommandKind::SetAcl {
                mailbox,
                identifier,
                rights,
            } => {
                w.raw("SETACL ")
                    .astring(mailbox)
                    .sp()
                    .astring(identifier)
                    .sp()
                    .astring(rights);
            }
            CommandKind::DeleteAcl { mailbox, identifier } => {
                w.raw("DELETEACL ").astring(mailbox).sp().astring(identifier);
            }
            CommandKind::GetAcl { mailbox } => z(w.raw("GETACL ").astring(mailbox)),
            CommandKind::ListRights { mailbox, identifier } => {
                w.raw("LISTRIGHTS ").astring(mailbox).sp().astring(identifier);
            }
            CommandKind::MyRights { mailbox } => z(w.raw("MYRIGHTS ").astring(mailbox)),
            CommandKind::GetMetadata {
                options,
                mailbox,
                entries,
            } => {
                w.raw("GETMETADATA ");
                let mut opts = Vec::new();
                if let Some(n) = options.max_size {
                    opts.push(format!("MAXSIZE {n}"));
                }
                if let Some(d) = options.depth {
                    opts.push(
                        match d {
                            MetadataDepth::Zero => "DEPTH 0",
                            MetadataDepth::One => "DEPTH 1",
                            MetadataDepth::Infinity => "DEPTH infinity",
                        }
                        .to_string(),
                    );
                }
                if !opts.is_empty() {
                    w.list(&opts, |w, o| z(w.raw(o))).sp();
                }
                w.astring(mailbox).sp().list(entries, |w, e| z(w.astring(e)));
            }
            CommandKind::SetMetadata { mailbox, entries } => {
                w.raw("SETMETADATA ")
                    .astring(mailbox)
                    .sp()
                    .list(entries, |w, (e, v)| {
                        w.astring(e).sp();
                        match v {
                            Some(v) if v.contains(&0) => write_literal(&mut w.out, v, STYLE, true),
                            v => write_nstring(&mut w.out, v.as_deref(), STYLE),
                        }
                    });
            }
            CommandKind::Notify(None) => z(w.raw("NOTIFY NONE")),
            CommandKind::Notify(Some(set)) => {
                w.raw("NOTIFY SET");
                if set.status {
                    w.raw(" STATUS");
                }
                for g in &set.groups {
                    w.raw(" (");
                    let boxes = |w: &mut W, name: &str, b: &[String]| {
                        w.raw(name).sp().list(b, |w, m| z(w.astring(m)));
                    };
                    match &g.filter {
                        NotifyFilter::Selected => z(w.raw("SELECTED")),
                        NotifyFilter::SelectedDelayed => z(w.raw("SELECTED-DELAYED")),
                        NotifyFilter::Inboxes => z(w.raw("INBOXES")),
                        NotifyFilter::Personal => z(w.raw("PERSONAL")),
                        NotifyFilter::Subscribed => z(w.raw("SUBSCRIBED")),
                        NotifyFilter::Subtree(b) => boxes(&mut w, "SUBTREE", b),
                        NotifyFilter::Mailboxes(b) => boxes(&mut w, "MAILBOXES", b),
                    }
                    w.sp();
                    match &g.events {
                        None => z(w.raw("NONE")),
                        Some(events) => z(w.list(events, |w, e| match e {
                            NotifyEvent::MessageNew(atts) => {
                                w.raw("MessageNew");
                                if !atts.is_empty() {
                                    w.sp();
                                    fetch_atts(w, atts);
                                }
                            }
                            NotifyEvent::MessageExpunge => z(w.raw("MessageExpunge")),
                            NotifyEvent::FlagChange => z(w.raw("FlagChange")),
                            NotifyEvent::AnnotationChange => z(w.raw("AnnotationChange")),
                            NotifyEvent::MailboxName => z(w.raw("MailboxName")),
                            NotifyEvent::SubscriptionChange => z(w.raw("SubscriptionChange")),
                            NotifyEvent::MailboxMetadataChange => z(w.raw("MailboxMetadataChange")),
                            NotifyEvent::ServerMetadataChange => z(w.raw("ServerMetadataChange")),
                        })),
                    }
                    w.raw(")");
                }
            }
            CommandKind::Compress { mechanism } => z(w.raw("COMPRESS ").raw(mechanism)),
            CommandKind::Id(None) => z(w.raw("ID NIL")),
            CommandKind::Id(Some(pairs)) => {
                w.raw("ID ").list(pairs, |w, (k, v)| {
                    w.string(k).sp();
                    write_nstring(&mut w.out, v.as_deref().map(str::as_bytes), STYLE);
                });
            }
        }
        w.raw("\r\n");
        w.out
    }
}

/// Convenience for logs: the flag as text.
pub fn flag_to_string(flag: &Flag) -> String {
    flag_str(flag).into_owned()
}
