//! `environment` (RFC 5183), `spamtest` and `virustest` (RFC 5235): tests on values the caller
//! gives with the run.
//!
//! Invariants: an environment item the caller left empty is unavailable (the test is false,
//! RFC 5183 §4); an untested message scores `"0"` (RFC 5235 §3.2-§3.3).

use super::{Frame, Interpreter};
use crate::ir::{MatchSpec, Str, StringList};

impl Interpreter<'_> {
    pub(super) fn environment_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        name: &Str,
        keys: &StringList,
    ) -> Result<bool, String> {
        let name = self.expand(frame, name).to_ascii_lowercase();
        let env = self.input.environment;
        let value = match name.as_str() {
            "domain" => &env.domain,
            "host" => &env.host,
            "location" => &env.location,
            "phase" => &env.phase,
            "remote-host" => &env.remote_host,
            "remote-ip" => &env.remote_ip,
            "name" => &env.name,
            "version" => &env.version,
            _ => return Ok(false),
        };
        if value.is_empty() {
            return Ok(false);
        }
        let values = [value.clone()];
        self.match_values(frame, spec, &values, 1, keys)
    }

    /// `spamtest` (RFC 5235 §3.2): `"0"` untested, else 1-10, or 0-100 with `:percent`
    /// (spamtestplus).
    pub(super) fn spam_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        percent: bool,
        value: &Str,
    ) -> Result<bool, String> {
        let scores = self.input.scores;
        let score = if percent {
            scores.spam_percent.map(|p| p.min(100))
        } else {
            scores.spam.map(|s| s.clamp(1, 10))
        };
        self.score_test(frame, spec, score, value)
    }

    /// `virustest` (RFC 5235 §3.3): `"0"` untested, else 1-5.
    pub(super) fn virus_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        value: &Str,
    ) -> Result<bool, String> {
        let score = self.input.scores.virus.map(|v| v.clamp(1, 5));
        self.score_test(frame, spec, score, value)
    }

    fn score_test(
        &mut self,
        frame: &mut Frame<'_>,
        spec: &MatchSpec,
        score: Option<u8>,
        value: &Str,
    ) -> Result<bool, String> {
        let values = [score.unwrap_or(0).to_string()];
        self.match_values(frame, spec, &values, 1, &vec![value.clone()])
    }
}
