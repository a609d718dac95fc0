//! `keep`, `discard`, `fileinto`, `redirect`, `reject`/`ereject`, and the list of actions a run
//! builds: duplicates merged (RFC 5228 §2.10.3), conflicts refused, the implicit keep tracked
//! (RFC 5228 §2.10.2) and the action limits enforced.
//!
//! Rules:
//! - one store per mailbox: a second `keep` (or `fileinto "INBOX"`) or `fileinto` of the same
//!   mailbox merges its flags into the first (RFC 5228 §2.10.3 "SHOULD NOT deliver twice");
//!   `INBOX` is case-insensitive (RFC 3501 §5.1), other names are not;
//! - one redirect per address (domain compared case-insensitively);
//! - `reject`/`ereject` (RFC 5429 §2.1.1) conflict with any store, redirect or vacation, before
//!   or after, and with another reject: a run-time error, as Pigeonhole reports it;
//! - `:copy` (RFC 3894) leaves the implicit keep as it was.

use super::{Frame, Interpreter};
use crate::address;
use crate::ir::{Str, StringList};
use crate::limits::Limits;
use crate::outcome::{Action, Notification, VacationResponse};

/// The actions taken so far.
#[derive(Debug)]
pub(super) struct ActionList {
    actions: Vec<Action>,
    implicit_keep: bool,
    discarded: bool,
    /// Vacation actions taken, including those that send nothing (the action was still taken:
    /// it counts against the limit and conflicts with `reject`, as in Pigeonhole).
    vacations: usize,
}

impl Default for ActionList {
    fn default() -> Self {
        ActionList {
            actions: Vec::new(),
            implicit_keep: true,
            discarded: false,
            vacations: 0,
        }
    }
}

impl ActionList {
    /// Store into INBOX (explicit `keep`, or `fileinto "INBOX"`).
    pub(super) fn keep(&mut self, flags: Vec<String>, limits: &Limits) -> Result<(), String> {
        self.refuse_after_reject("keep")?;
        self.implicit_keep = false;
        match self.existing_keep() {
            Some(existing) => {
                merge_flags(existing, flags);
                Ok(())
            }
            None => self.push(Action::Keep { flags }, limits),
        }
    }

    /// The flags of the keep already taken, if any.
    fn existing_keep(&mut self) -> Option<&mut Vec<String>> {
        self.actions.iter_mut().find_map(|action| match action {
            Action::Keep { flags } => Some(flags),
            _ => None,
        })
    }

    pub(super) fn file_into(
        &mut self,
        mailbox: String,
        flags: Vec<String>,
        create: bool,
        special_use: Option<String>,
        copy: bool,
        limits: &Limits,
    ) -> Result<(), String> {
        self.refuse_after_reject("fileinto")?;
        if special_use.is_none() && mailbox.eq_ignore_ascii_case("INBOX") {
            let keep_before = self.implicit_keep;
            self.keep(flags, limits)?;
            self.implicit_keep = keep_before && copy;
            return Ok(());
        }
        if !copy {
            self.implicit_keep = false;
        }
        for action in &mut self.actions {
            if let Action::FileInto {
                mailbox: existing,
                flags: existing_flags,
                create: existing_create,
                special_use: existing_use,
            } = action
                && *existing == mailbox
                && *existing_use == special_use
            {
                merge_flags(existing_flags, flags);
                *existing_create |= create;
                return Ok(());
            }
        }
        self.push(
            Action::FileInto {
                mailbox,
                flags,
                create,
                special_use,
            },
            limits,
        )
    }

    pub(super) fn redirect(&mut self, address: String, copy: bool, limits: &Limits) -> Result<(), String> {
        self.refuse_after_reject("redirect")?;
        if !copy {
            self.implicit_keep = false;
        }
        let already = self.actions.iter().any(|a| match a {
            Action::Redirect { address: existing } => same_address(existing, &address),
            _ => false,
        });
        if already {
            return Ok(());
        }
        let redirects = self
            .actions
            .iter()
            .filter(|a| matches!(a, Action::Redirect { .. }))
            .count();
        if redirects >= limits.max_redirects {
            return Err(format!(
                "too many redirect actions: at most {} are allowed",
                limits.max_redirects
            ));
        }
        self.push(Action::Redirect { address }, limits)
    }

    pub(super) fn reject(&mut self, reason: String, extended: bool, limits: &Limits) -> Result<(), String> {
        let vacation = (self.vacations > 0).then_some("vacation");
        if let Some(other) = vacation.or_else(|| self.actions.iter().find_map(conflicts_with_reject)) {
            return Err(format!(
                "reject conflicts with the earlier {other} action (RFC 5429 §2.1.1)"
            ));
        }
        self.implicit_keep = false;
        self.push(Action::Reject { reason, extended }, limits)
    }

    pub(super) fn discard(&mut self) {
        self.implicit_keep = false;
        self.discarded = true;
    }

    pub(super) fn vacation(
        &mut self,
        response: Option<VacationResponse>,
        limits: &Limits,
    ) -> Result<(), String> {
        self.refuse_after_reject("vacation")?;
        if self.vacations >= limits.max_vacation_responses {
            return Err(format!(
                "too many vacation actions: at most {} allowed",
                limits.max_vacation_responses
            ));
        }
        self.vacations += 1;
        match response {
            Some(response) => self.push(Action::Vacation(response), limits),
            None => Ok(()),
        }
    }

    pub(super) fn notify(&mut self, notification: Notification, limits: &Limits) -> Result<(), String> {
        let mut sent = 0;
        for action in &self.actions {
            if let Action::Notify(existing) = action {
                // The same notification twice is sent once.
                if existing.method == notification.method && existing.message == notification.message {
                    return Ok(());
                }
                sent += 1;
            }
        }
        if sent >= limits.max_notifications {
            return Err(format!(
                "too many notify actions: at most {} allowed",
                limits.max_notifications
            ));
        }
        self.push(Action::Notify(notification), limits)
    }

    /// The final list: the implicit keep added (with the internal flags, RFC 5232 §3; it is
    /// not an action the script took, so no limit applies), a `Discard` only when nothing
    /// stores the message.
    pub(super) fn finish(mut self, flags: Vec<String>) -> Vec<Action> {
        if self.implicit_keep {
            match self.existing_keep() {
                Some(existing) => merge_flags(existing, flags),
                None => self.actions.push(Action::Keep { flags }),
            }
        }
        let stored = self
            .actions
            .iter()
            .any(|a| matches!(a, Action::Keep { .. } | Action::FileInto { .. }));
        if self.discarded && !stored {
            self.actions.push(Action::Discard);
        }
        self.actions
    }

    fn push(&mut self, action: Action, limits: &Limits) -> Result<(), String> {
        if self.actions.len() >= limits.max_actions {
            return Err(format!(
                "too many actions: at most {} are allowed",
                limits.max_actions
            ));
        }
        self.actions.push(action);
        Ok(())
    }

    fn refuse_after_reject(&self, what: &str) -> Result<(), String> {
        if self.actions.iter().any(|a| matches!(a, Action::Reject { .. })) {
            return Err(format!(
                "{what} conflicts with the earlier reject action (RFC 5429 §2.1.1)"
            ));
        }
        Ok(())
    }
}

/// The name of an action `reject` cannot be combined with.
fn conflicts_with_reject(action: &Action) -> Option<&'static str> {
    match action {
        Action::Keep { .. } => Some("keep"),
        Action::FileInto { .. } => Some("fileinto"),
        Action::Redirect { .. } => Some("redirect"),
        Action::Vacation(_) => Some("vacation"),
        Action::Reject { .. } => Some("reject"),
        Action::Notify(_) | Action::Discard => None,
    }
}

/// Add flags not already present (case-insensitively, RFC 5232 §3).
fn merge_flags(existing: &mut Vec<String>, more: Vec<String>) {
    for flag in more {
        if !existing.iter().any(|f| f.eq_ignore_ascii_case(&flag)) {
            existing.push(flag);
        }
    }
}

/// Same address: local parts equal, domains equal ignoring case.
fn same_address(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a == b,
    }
}

impl Interpreter<'_> {
    pub(super) fn keep(&mut self, frame: &Frame<'_>, flags: Option<&StringList>) -> Result<(), String> {
        let flags = self.action_flags(frame, flags);
        self.actions.keep(flags, self.limits)
    }

    pub(super) fn file_into(
        &mut self,
        frame: &Frame<'_>,
        mailbox: &Str,
        flags: Option<&StringList>,
        copy: bool,
        create: bool,
        special_use: Option<&Str>,
    ) -> Result<(), String> {
        let mailbox = self.expand(frame, mailbox);
        if mailbox.is_empty() || mailbox.chars().any(char::is_control) {
            return Err(format!("invalid mailbox name {mailbox:?}"));
        }
        let special_use = special_use.map(|s| self.expand(frame, s));
        let flags = self.action_flags(frame, flags);
        self.actions
            .file_into(mailbox, flags, create, special_use, copy, self.limits)
    }

    /// RFC 5228 §4.2: the address must be a valid mailbox.
    pub(super) fn redirect(&mut self, frame: &Frame<'_>, address: &Str, copy: bool) -> Result<(), String> {
        let text = self.expand(frame, address);
        let Some(mailbox) = address::parse_single(&text) else {
            return Err(format!("redirect address {text:?} is not a valid address"));
        };
        self.actions.redirect(mailbox.all(), copy, self.limits)
    }

    pub(super) fn reject(&mut self, frame: &Frame<'_>, reason: &Str, extended: bool) -> Result<(), String> {
        let reason = self.expand(frame, reason);
        self.actions.reject(reason, extended, self.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn stores_merge_and_cancel_the_implicit_keep() {
        let mut list = ActionList::default();
        list.file_into("A".into(), vec!["x".into()], false, None, false, &limits())
            .unwrap();
        list.file_into(
            "A".into(),
            vec!["X".into(), "y".into()],
            true,
            None,
            false,
            &limits(),
        )
        .unwrap();
        list.file_into("a".into(), vec![], false, None, false, &limits())
            .unwrap();
        let actions = list.finish(vec![]);
        assert_eq!(
            actions,
            [
                Action::FileInto {
                    mailbox: "A".into(),
                    flags: vec!["x".into(), "y".into()],
                    create: true,
                    special_use: None
                },
                Action::FileInto {
                    mailbox: "a".into(),
                    flags: vec![],
                    create: false,
                    special_use: None
                },
            ]
        );
    }

    #[test]
    fn copy_keeps_the_implicit_keep_and_inbox_is_keep() {
        let mut list = ActionList::default();
        list.file_into("inbox".into(), vec![], false, None, true, &limits())
            .unwrap();
        list.redirect("a@b.c".into(), true, &limits()).unwrap();
        list.redirect("a@B.C".into(), true, &limits()).unwrap();
        let actions = list.finish(vec!["\\Seen".into()]);
        assert_eq!(
            actions,
            [
                Action::Keep {
                    flags: vec!["\\Seen".into()]
                },
                Action::Redirect {
                    address: "a@b.c".into()
                },
            ]
        );
    }

    #[test]
    fn reject_conflicts_both_ways() {
        let mut list = ActionList::default();
        list.keep(vec![], &limits()).unwrap();
        assert!(list.reject("no".into(), false, &limits()).is_err());
        let mut list = ActionList::default();
        list.reject("no".into(), false, &limits()).unwrap();
        assert!(list.redirect("a@b.c".into(), true, &limits()).is_err());
        assert!(list.reject("again".into(), true, &limits()).is_err());
        list.discard();
        assert_eq!(
            list.finish(vec![]),
            [
                Action::Reject {
                    reason: "no".into(),
                    extended: false
                },
                Action::Discard
            ]
        );
    }

    #[test]
    fn limits_are_errors() {
        let small = Limits {
            max_redirects: 1,
            max_actions: 2,
            ..Limits::default()
        };
        let mut list = ActionList::default();
        list.redirect("a@b.c".into(), false, &small).unwrap();
        assert!(list.redirect("d@b.c".into(), false, &small).is_err());
        list.file_into("A".into(), vec![], false, None, false, &small)
            .unwrap();
        assert!(
            list.file_into("B".into(), vec![], false, None, false, &small)
                .is_err()
        );
    }
}
