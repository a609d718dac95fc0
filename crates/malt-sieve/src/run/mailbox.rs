//! `mailboxexists` (RFC 5490 §3.1) and `specialuse_exists` (RFC 8579 §4), answered by the
//! [`crate::input::Context`].

use super::{Frame, Interpreter};
use crate::ir::{Str, StringList};

impl Interpreter<'_> {
    /// True when every named mailbox exists.
    pub(super) fn mailbox_exists(&self, frame: &Frame<'_>, names: &StringList) -> bool {
        self.expand_list(frame, names)
            .iter()
            .all(|name| self.ctx.mailbox_exists(name))
    }

    /// True when every special use has a mailbox (that mailbox, when one is named).
    pub(super) fn special_use_exists(
        &self,
        frame: &Frame<'_>,
        mailbox: Option<&Str>,
        uses: &StringList,
    ) -> bool {
        let mailbox = mailbox.map(|m| self.expand(frame, m));
        self.expand_list(frame, uses).iter().all(|usage| {
            match (self.ctx.special_use_mailbox(usage), &mailbox) {
                (Some(found), Some(wanted)) => found == *wanted,
                (Some(_), None) => true,
                (None, _) => false,
            }
        })
    }
}
