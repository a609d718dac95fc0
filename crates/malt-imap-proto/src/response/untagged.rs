//! Untagged data responses: EXISTS, EXPUNGE, VANISHED, FLAGS, LIST/LSUB, STATUS, SEARCH, ESEARCH,
//! SORT, THREAD, ENABLED, QUOTA, QUOTAROOT, ACL, LISTRIGHTS, MYRIGHTS, METADATA, NAMESPACE, ID.

use super::{ResponseWriter, write_ranges};
use crate::command::{Flag, StatusItem};
use crate::encode::{
    write_astring, write_flag_list, write_literal, write_nstring, write_quoted, write_string,
};

/// The value of one STATUS item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusData {
    Number(u64),
    /// MAILBOXID (RFC 8474), written `(id)`.
    ObjectId(String),
}

/// Data of an ESEARCH response (RFC 9051 §7.3.4, RFC 5267 for ESORT).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EsearchData {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub count: Option<u32>,
    /// `ALL`: omitted when `None` or empty (RFC 9051: no ALL when nothing matched).
    pub all: Option<Vec<(u32, u32)>>,
    /// RFC 7162 §3.1.5: highest mod-sequence of the matches.
    pub modseq: Option<u64>,
}

/// One namespace: prefix and hierarchy delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceEntry {
    pub prefix: String,
    pub delimiter: Option<char>,
}

/// A THREAD tree node (RFC 5256 §4): messages in a chain, then the branches below its last message.
/// An empty `chain` is a missing parent whose `children` are siblings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thread {
    pub chain: Vec<u32>,
    pub children: Vec<Thread>,
}

fn status_name(item: StatusItem) -> &'static str {
    item.as_str()
}

impl ResponseWriter {
    fn mailbox(&mut self, name: &str) {
        let style = self.style();
        if self.utf8_accept {
            write_astring(&mut self.out, name.as_bytes(), style);
        } else {
            let encoded = crate::utf7::encode(name);
            write_astring(&mut self.out, encoded.as_bytes(), style);
        }
    }

    fn astr(&mut self, s: &str) {
        let style = self.style();
        write_astring(&mut self.out, s.as_bytes(), style);
    }

    /// `* n EXISTS`.
    pub fn exists(&mut self, n: u32) {
        self.raw(&format!("* {n} EXISTS\r\n"));
    }

    /// `* n RECENT` (IMAP4rev1 only).
    pub fn recent(&mut self, n: u32) {
        self.raw(&format!("* {n} RECENT\r\n"));
    }

    /// `* n EXPUNGE`.
    pub fn expunge(&mut self, seq: u32) {
        self.raw(&format!("* {seq} EXPUNGE\r\n"));
    }

    /// `* VANISHED [(EARLIER)] uids` (RFC 7162 §3.2.10). Nothing is written for an empty set.
    pub fn vanished(&mut self, earlier: bool, uids: &[(u32, u32)]) {
        if uids.is_empty() {
            return;
        }
        self.raw(if earlier {
            "* VANISHED (EARLIER) "
        } else {
            "* VANISHED "
        });
        write_ranges(&mut self.out, uids);
        self.crlf();
    }

    /// `* FLAGS (flags)`.
    pub fn flags(&mut self, flags: &[Flag]) {
        self.raw("* FLAGS ");
        write_flag_list(&mut self.out, flags);
        self.crlf();
    }

    /// `* LIST|LSUB (attributes) delimiter name [extended]` (RFC 9051 §7.3.1, RFC 5258 CHILDINFO,
    /// RFC 9051 OLDNAME). Attributes are written as given (e.g. `\HasNoChildren`).
    pub fn list(
        &mut self,
        lsub: bool,
        attributes: &[&str],
        delimiter: Option<char>,
        name: &str,
        child_info_subscribed: bool,
        old_name: Option<&str>,
    ) {
        self.raw(if lsub { "* LSUB (" } else { "* LIST (" });
        self.raw(&attributes.join(" "));
        self.raw(") ");
        match delimiter {
            Some(d) => {
                let mut buf = [0u8; 4];
                write_quoted(&mut self.out, d.encode_utf8(&mut buf).as_bytes());
            }
            None => self.raw("NIL"),
        }
        self.raw(" ");
        self.mailbox(name);
        let mut ext = Vec::new();
        if child_info_subscribed {
            ext.push("\"CHILDINFO\" (\"SUBSCRIBED\")".to_string());
        }
        if let Some(old) = old_name {
            let mut w = ResponseWriter::new(self.utf8_accept);
            w.raw("\"OLDNAME\" (");
            w.mailbox(old);
            w.raw(")");
            ext.push(String::from_utf8_lossy(&w.out).into_owned());
        }
        if !ext.is_empty() {
            self.raw(" (");
            self.raw(&ext.join(" "));
            self.raw(")");
        }
        self.crlf();
    }

    /// `* STATUS mailbox (item value ...)`.
    pub fn status(&mut self, mailbox: &str, items: &[(StatusItem, StatusData)]) {
        self.raw("* STATUS ");
        self.mailbox(mailbox);
        self.raw(" (");
        for (i, (item, value)) in items.iter().enumerate() {
            if i > 0 {
                self.raw(" ");
            }
            self.raw(status_name(*item));
            match value {
                StatusData::Number(n) => self.raw(&format!(" {n}")),
                StatusData::ObjectId(id) => self.raw(&format!(" ({id})")),
            }
        }
        self.raw(")");
        self.crlf();
    }

    /// `* SEARCH n... [(MODSEQ m)]` (IMAP4rev1 SEARCH; RFC 7162 §3.1.5 MODSEQ).
    pub fn search(&mut self, ids: &[u32], modseq: Option<u64>) {
        self.numbers("* SEARCH", ids, modseq);
    }

    /// `* SORT n...` (RFC 5256).
    pub fn sort(&mut self, ids: &[u32], modseq: Option<u64>) {
        self.numbers("* SORT", ids, modseq);
    }

    fn numbers(&mut self, head: &str, ids: &[u32], modseq: Option<u64>) {
        self.raw(head);
        for id in ids {
            self.raw(&format!(" {id}"));
        }
        if let Some(m) = modseq.filter(|_| !ids.is_empty()) {
            self.raw(&format!(" (MODSEQ {m})"));
        }
        self.crlf();
    }

    /// `* ESEARCH [(TAG "t")] [UID] data` (RFC 9051 §7.3.4).
    pub fn esearch(&mut self, tag: Option<&str>, uid: bool, data: &EsearchData) {
        self.raw("* ESEARCH");
        if let Some(tag) = tag {
            self.raw(" (TAG ");
            let style = self.style();
            write_string(&mut self.out, tag.as_bytes(), style);
            self.raw(")");
        }
        if uid {
            self.raw(" UID");
        }
        if let Some(n) = data.min {
            self.raw(&format!(" MIN {n}"));
        }
        if let Some(n) = data.max {
            self.raw(&format!(" MAX {n}"));
        }
        if let Some(n) = data.count {
            self.raw(&format!(" COUNT {n}"));
        }
        if let Some(all) = data.all.as_deref().filter(|a| !a.is_empty()) {
            self.raw(" ALL ");
            write_ranges(&mut self.out, all);
        }
        if let Some(m) = data.modseq {
            self.raw(&format!(" MODSEQ {m}"));
        }
        self.crlf();
    }

    /// `* THREAD (..)(..)` (RFC 5256 §4).
    pub fn thread(&mut self, threads: &[Thread]) {
        self.raw("* THREAD");
        if !threads.is_empty() {
            self.raw(" ");
        }
        for t in threads {
            write_thread(&mut self.out, t);
        }
        self.crlf();
    }

    /// `* ENABLED caps` (RFC 5161).
    pub fn enabled(&mut self, caps: &[&str]) {
        self.raw("* ENABLED");
        for c in caps {
            self.raw(" ");
            self.raw(c);
        }
        self.crlf();
    }

    /// `* QUOTA root (RESOURCE usage limit ...)` (RFC 9208 §5.1).
    pub fn quota(&mut self, root: &str, resources: &[(&str, u64, u64)]) {
        self.raw("* QUOTA ");
        self.astr(root);
        self.raw(" (");
        let parts: Vec<String> = resources.iter().map(|(r, u, l)| format!("{r} {u} {l}")).collect();
        self.raw(&parts.join(" "));
        self.raw(")");
        self.crlf();
    }

    /// `* QUOTAROOT mailbox root...` (RFC 9208 §5.2).
    pub fn quota_root(&mut self, mailbox: &str, roots: &[&str]) {
        self.raw("* QUOTAROOT ");
        self.mailbox(mailbox);
        for r in roots {
            self.raw(" ");
            self.astr(r);
        }
        self.crlf();
    }

    /// `* ACL mailbox identifier rights ...` (RFC 4314 §3.6).
    pub fn acl(&mut self, mailbox: &str, entries: &[(&str, &str)]) {
        self.raw("* ACL ");
        self.mailbox(mailbox);
        for (id, rights) in entries {
            self.raw(" ");
            self.astr(id);
            self.raw(" ");
            self.astr(rights);
        }
        self.crlf();
    }

    /// `* LISTRIGHTS mailbox identifier required optional...` (RFC 4314 §3.7).
    pub fn list_rights(&mut self, mailbox: &str, identifier: &str, required: &str, optional: &[&str]) {
        self.raw("* LISTRIGHTS ");
        self.mailbox(mailbox);
        self.raw(" ");
        self.astr(identifier);
        self.raw(" ");
        self.astr(required);
        for o in optional {
            self.raw(" ");
            self.astr(o);
        }
        self.crlf();
    }

    /// `* MYRIGHTS mailbox rights` (RFC 4314 §3.8).
    pub fn my_rights(&mut self, mailbox: &str, rights: &str) {
        self.raw("* MYRIGHTS ");
        self.mailbox(mailbox);
        self.raw(" ");
        self.astr(rights);
        self.crlf();
    }

    /// `* METADATA mailbox (entry value ...)` (RFC 5464 §4.4.1); `mailbox` is empty for server
    /// entries. Values with NUL are literal8.
    pub fn metadata(&mut self, mailbox: &str, entries: &[(&str, Option<&[u8]>)]) {
        self.raw("* METADATA ");
        if mailbox.is_empty() {
            self.raw("\"\"");
        } else {
            self.mailbox(mailbox);
        }
        self.raw(" (");
        let style = self.style();
        for (i, (entry, value)) in entries.iter().enumerate() {
            if i > 0 {
                self.raw(" ");
            }
            self.astr(entry);
            self.raw(" ");
            match value {
                Some(v) if v.contains(&0) => write_literal(&mut self.out, v, style, true),
                v => write_nstring(&mut self.out, *v, style),
            }
        }
        self.raw(")");
        self.crlf();
    }

    /// The unsolicited `* METADATA mailbox entry...` (RFC 5464 §4.4.2 entry-list: names without
    /// values, telling the client which entries changed); `mailbox` is empty for server entries.
    pub fn metadata_changed(&mut self, mailbox: &str, entries: &[&str]) {
        self.raw("* METADATA ");
        if mailbox.is_empty() {
            self.raw("\"\"");
        } else {
            self.mailbox(mailbox);
        }
        for entry in entries {
            self.raw(" ");
            self.astr(entry);
        }
        self.crlf();
    }

    /// `* NAMESPACE personal other shared` (RFC 9051 §7.3.5); an empty list is NIL.
    pub fn namespace(
        &mut self,
        personal: &[NamespaceEntry],
        other: &[NamespaceEntry],
        shared: &[NamespaceEntry],
    ) {
        self.raw("* NAMESPACE");
        for list in [personal, other, shared] {
            self.raw(" ");
            if list.is_empty() {
                self.raw("NIL");
                continue;
            }
            self.raw("(");
            for ns in list {
                self.raw("(");
                let style = self.style();
                let prefix = if self.utf8_accept {
                    ns.prefix.clone()
                } else {
                    crate::utf7::encode(&ns.prefix)
                };
                write_string(&mut self.out, prefix.as_bytes(), style);
                self.raw(" ");
                match ns.delimiter {
                    Some(d) => {
                        let mut buf = [0u8; 4];
                        write_quoted(&mut self.out, d.encode_utf8(&mut buf).as_bytes());
                    }
                    None => self.raw("NIL"),
                }
                self.raw(")");
            }
            self.raw(")");
        }
        self.crlf();
    }

    /// `* ID (field value ...)` or `* ID NIL` (RFC 2971).
    pub fn id(&mut self, fields: Option<&[(&str, Option<&str>)]>) {
        self.raw("* ID ");
        let style = self.style();
        match fields {
            None | Some([]) => self.raw("NIL"),
            Some(fields) => {
                self.raw("(");
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        self.raw(" ");
                    }
                    write_string(&mut self.out, k.as_bytes(), style);
                    self.raw(" ");
                    write_nstring(&mut self.out, v.map(str::as_bytes), style);
                }
                self.raw(")");
            }
        }
        self.crlf();
    }
}

/// Writes one thread as `(a b (c)(d))`, merging single branches into the chain (RFC 5256 §4: a
/// nested list needs two or more threads). Iterative, so deep trees cannot exhaust the stack.
fn write_thread(out: &mut Vec<u8>, t: &Thread) {
    enum Step<'a> {
        Node(&'a Thread),
        Close,
    }
    let mut stack = vec![Step::Node(t)];
    while let Some(step) = stack.pop() {
        let Step::Node(t) = step else {
            out.push(b')');
            continue;
        };
        out.push(b'(');
        let mut first = true;
        let mut node = t;
        loop {
            for id in &node.chain {
                if !first {
                    out.push(b' ');
                }
                first = false;
                out.extend_from_slice(id.to_string().as_bytes());
            }
            match node.children.as_slice() {
                [only] => node = only,
                [] => {
                    out.push(b')');
                    break;
                }
                children => {
                    if !first {
                        out.push(b' ');
                    }
                    stack.push(Step::Close);
                    stack.extend(children.iter().rev().map(Step::Node));
                    break;
                }
            }
        }
    }
}
