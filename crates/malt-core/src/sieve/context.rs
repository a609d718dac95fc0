//! What a run may ask of the world ([`malt_sieve::input::Context`]), answered from data fetched
//! before the run: the account's mailboxes (RFC 5490 `mailboxexists`, RFC 8579 special uses),
//! the scripts `include` names (RFC 6609), the duplicate-tracking answers known so far (RFC 7352)
//! and the time.
//!
//! A run never waits for the store: `duplicate` ids are known only while the script runs, so
//! [`RunContext`] answers "not seen" for an id it was not given and notes it; the caller looks the
//! noted ids up and runs again (the engine is deterministic, so a run with every answer known is
//! the run that counts). Includes are found by walking the compiled scripts for `include` commands
//! (their names are constants, RFC 6609 §3.2).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use malt_sieve::input::Context;
use malt_sieve::ir::{Command, CommandKind, Script, ScriptLocation, Str};
use malt_store::{Mailbox, SpecialUse};

use crate::mail::validate_mailbox_name;

/// A script `include` may name, fetched before the run.
#[derive(Debug, Clone)]
pub(super) struct Included {
    pub location: ScriptLocation,
    pub name: String,
    pub script: Arc<Script>,
}

/// The [`Context`] of one run (see the module docs).
#[derive(Debug)]
pub(super) struct RunContext<'a> {
    pub mailboxes: &'a [Mailbox],
    pub includes: &'a [Included],
    /// Duplicate-tracking keys looked up so far, and whether each was seen.
    pub duplicates: &'a HashMap<String, bool>,
    /// Keys asked for but not in `duplicates`.
    pub unknown: RefCell<Vec<String>>,
    /// Unix seconds.
    pub now: i64,
}

impl Context for RunContext<'_> {
    fn mailbox_exists(&self, name: &str) -> bool {
        validate_mailbox_name(name).is_ok_and(|name| self.mailboxes.iter().any(|m| m.name == name))
    }

    fn special_use_mailbox(&self, special_use: &str) -> Option<String> {
        let wanted = SpecialUse::parse(special_use)?;
        self.mailboxes
            .iter()
            .find(|m| m.role == Some(wanted))
            .map(|m| m.name.clone())
    }

    fn duplicate_seen(&self, handle: &str, id: &str) -> bool {
        let key = duplicate_key(handle, id);
        match self.duplicates.get(&key) {
            Some(seen) => *seen,
            None => {
                let mut unknown = self.unknown.borrow_mut();
                if !unknown.contains(&key) {
                    unknown.push(key);
                }
                false
            }
        }
    }

    fn include(&self, location: ScriptLocation, name: &str) -> Option<Arc<Script>> {
        self.includes
            .iter()
            .find(|i| i.location == location && i.name == name)
            .map(|i| i.script.clone())
    }

    /// UTC: the server's own zone is not looked up (RFC 5260 `currentdate` without `:zone`
    /// answers in UTC).
    fn now(&self) -> (i64, i32) {
        (self.now, 0)
    }
}

/// The store key of a duplicate-tracking entry (RFC 7352 §3: handle and unique id together):
/// BLAKE3 of both, in hex, so any id fits the store's key.
pub(super) fn duplicate_key(handle: &str, id: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(handle.as_bytes());
    h.update(&[0]);
    h.update(id.as_bytes());
    format!("sieve-duplicate:{}", h.finalize().to_hex())
}

/// The scripts `script` includes: (location, name) of each `include`, in source order.
pub(super) fn include_refs(script: &Script) -> Vec<(ScriptLocation, String)> {
    let mut out = Vec::new();
    walk(&script.commands, &mut out);
    out
}

fn walk(commands: &[Command], out: &mut Vec<(ScriptLocation, String)>) {
    for c in commands {
        match &c.kind {
            CommandKind::Include {
                location,
                name: Str::Literal(name),
                ..
            } => out.push((*location, name.clone())),
            CommandKind::If { branches, otherwise } => {
                for (_, block) in branches {
                    walk(block, out);
                }
                if let Some(block) = otherwise {
                    walk(block, out);
                }
            }
            CommandKind::ForEveryPart { body, .. } => walk(body, out),
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use malt_sieve::limits::Limits;

    use super::*;

    fn mailbox(name: &str, role: Option<SpecialUse>) -> Mailbox {
        Mailbox {
            id: 1,
            account_id: 1,
            name: name.into(),
            role,
            uidvalidity: 1,
            uidnext: 1,
            highest_modseq: 1,
            message_count: 0,
            unseen_count: 0,
            total_size: 0,
        }
    }

    #[test]
    fn answers_from_what_was_fetched() {
        let mailboxes = [
            mailbox("INBOX", None),
            mailbox("Junk Mail", Some(SpecialUse::Junk)),
        ];
        let known = HashMap::from([(duplicate_key("h", "seen@x"), true)]);
        let ctx = RunContext {
            mailboxes: &mailboxes,
            includes: &[],
            duplicates: &known,
            unknown: RefCell::new(Vec::new()),
            now: 42,
        };
        assert!(ctx.mailbox_exists("inbox") && ctx.mailbox_exists("Junk Mail"));
        assert!(!ctx.mailbox_exists("Junk") && !ctx.mailbox_exists("a//b"));
        assert_eq!(ctx.special_use_mailbox("\\Junk").as_deref(), Some("Junk Mail"));
        assert_eq!(ctx.special_use_mailbox("\\Sent"), None);
        assert_eq!(ctx.special_use_mailbox("\\Bogus"), None);
        assert!(ctx.duplicate_seen("h", "seen@x"));
        assert!(!ctx.duplicate_seen("h", "new@x"));
        assert!(!ctx.duplicate_seen("h", "new@x"));
        assert!(
            !ctx.duplicate_seen("other", "seen@x"),
            "the handle is part of the key"
        );
        assert_eq!(ctx.unknown.borrow().len(), 2);
        assert_eq!(ctx.now(), (42, 0));
    }

    #[test]
    fn includes_are_found_in_every_block() {
        let source = r#"require ["include", "foreverypart", "mime"];
            include "a";
            if true { include :global "b"; } elsif false { include :once "c"; } else { include :optional "d"; }
            foreverypart { include "e"; }"#;
        let script = malt_sieve::compile("t", source, &Limits::default()).unwrap();
        let refs = include_refs(&script);
        let names: Vec<&str> = refs.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(refs[1].0, ScriptLocation::Global);
        assert_eq!(refs[0].0, ScriptLocation::Personal);
    }
}
