//! What the differential test and the benchmark share: a [`Context`] with nothing in it — no
//! special-use mailboxes, no includes, no duplicate memory — at a fixed time.

use std::sync::Arc;

use malt_sieve::input::Context;
use malt_sieve::ir::{Script, ScriptLocation};

/// An empty world; `mailboxes_exist` answers every `mailboxexists`.
pub struct EmptyWorld {
    pub mailboxes_exist: bool,
    /// Unix seconds and UTC offset in minutes, as [`Context::now`] gives them.
    pub now: (i64, i32),
}

impl Context for EmptyWorld {
    fn mailbox_exists(&self, _: &str) -> bool {
        self.mailboxes_exist
    }
    fn special_use_mailbox(&self, _: &str) -> Option<String> {
        None
    }
    fn duplicate_seen(&self, _: &str, _: &str) -> bool {
        false
    }
    fn include(&self, _: ScriptLocation, _: &str) -> Option<Arc<Script>> {
        None
    }
    fn now(&self) -> (i64, i32) {
        self.now
    }
}
