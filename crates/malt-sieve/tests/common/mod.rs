//! What the engine's tests and the benchmark share: a [`Context`] with nothing in it — no
//! special-use mailboxes, no includes, no duplicate memory — at a fixed time, and a run of a
//! message Alice sent to Bob.

use std::sync::Arc;

use malt_sieve::input::{Context, Envelope, EnvironmentInfo, RunInput, Scores};
use malt_sieve::ir::{Script, ScriptLocation};
use malt_sieve::limits::Limits;

use malt_sieve::outcome::{Outcome, RuntimeError};
use malt_sieve::run;

/// The envelope sender and recipient of [`run_alice_to_bob`].
#[allow(dead_code)] // not every test binary that includes this module uses them
pub const FROM: &str = "alice@example.com";
#[allow(dead_code)]
pub const TO: &str = "bob@example.org";

/// Runs `script` on `message`, sent by Alice to Bob (Bob's own address is the recipient), with
/// no environment items and no spam or virus scores.
#[allow(dead_code)]
pub fn run_alice_to_bob(
    script: &Script,
    message: &str,
    world: &dyn Context,
    limits: &Limits,
) -> Result<Outcome, RuntimeError> {
    let envelope = Envelope {
        from: FROM.into(),
        to: TO.into(),
        user_addresses: vec![TO.into()],
    };
    let environment = EnvironmentInfo::default();
    let input = RunInput {
        message: message.as_bytes(),
        envelope: &envelope,
        environment: &environment,
        scores: Scores::default(),
    };
    run(script, &input, world, limits)
}

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
