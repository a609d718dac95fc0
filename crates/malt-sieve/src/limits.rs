//! Every bound the engine enforces, with defaults near Pigeonhole's (`sieve_max_script_size`,
//! `sieve_max_actions`, `sieve_max_redirects`, `sieve_include_max_nesting_depth`, ...). Malt's
//! `[sieve]` config section maps onto this struct one to one.

/// Bounds on compiling and running one script (and the scripts it includes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest script source accepted, in bytes.
    pub max_script_size: usize,
    /// Deepest nesting of blocks and tests (`if` in `if`, `not` in `anyof`, ...).
    pub max_nesting: usize,
    /// Longest string literal, in bytes (also bounds a variable's value, RFC 5229 §3: "at least 4000").
    pub max_string_len: usize,
    /// Most elements in one string list.
    pub max_list_len: usize,
    /// Most commands and tests executed in one run (includes, loops of `foreverypart` all count).
    pub max_instructions: u64,
    /// Most actions (keep, fileinto, redirect, vacation, notify, ...) one run may produce.
    pub max_actions: usize,
    /// Most `redirect` actions one run may produce.
    pub max_redirects: usize,
    /// Most vacation responses one run may produce (RFC 5230 allows one; kept configurable).
    pub max_vacation_responses: usize,
    /// Most `notify` actions one run may produce.
    pub max_notifications: usize,
    /// Deepest chain of `include` (RFC 6609 §3.2).
    pub max_include_depth: usize,
    /// Most distinct scripts included in one run.
    pub max_includes: usize,
    /// Most variables one run may define (RFC 5229 §6: "at least 128").
    pub max_variables: usize,
    /// Deepest `foreverypart` nesting / MIME depth examined (RFC 5703).
    pub max_mime_depth: usize,
    /// Largest message part a `body` or `mime` test decodes, in bytes; beyond it the test sees
    /// only this much.
    pub max_body_scan: usize,
    /// Smallest vacation `:days` / `:seconds` accepted; smaller values are raised to it (RFC 5230
    /// §4.1, RFC 6131 §2).
    pub min_vacation_seconds: u64,
    /// Largest vacation period accepted; larger values are lowered to it.
    pub max_vacation_seconds: u64,
    /// Most header edits (`addheader`/`deleteheader`) one run may make (RFC 5293).
    pub max_header_edits: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_script_size: 1 << 20,
            max_nesting: 32,
            max_string_len: 64 * 1024,
            max_list_len: 1024,
            max_instructions: 100_000,
            max_actions: 32,
            max_redirects: 4,
            max_vacation_responses: 1,
            max_notifications: 4,
            max_include_depth: 10,
            max_includes: 32,
            max_variables: 256,
            max_mime_depth: 16,
            max_body_scan: 1 << 20,
            min_vacation_seconds: 1,
            max_vacation_seconds: 90 * 86_400,
            max_header_edits: 64,
        }
    }
}
