//! Generated differential test against Pigeonhole's `sieve-test`: a seeded generator builds
//! random but valid scripts from a grammar of what both engines must agree on, and random
//! messages; every script runs on every message in both engines and the canonical action lists
//! (`common/pigeonhole.rs`) must be equal. On a mismatch the test prints the script, the message
//! and both lists.
//!
//! The grammar covers RFC 5228 (`if`/`elsif`/`else`, `allof`/`anyof`/`not`/`true`/`false`,
//! `header`, `address`, `envelope`, `exists`, `size`, `keep`, `discard`, `stop`, `fileinto`,
//! `redirect`, string lists, `:is`/`:contains`/`:matches` with `*`, `?` and `\` escapes, the
//! comparators of RFC 4790 §9 — `i;octet`, `i;ascii-casemap`, `i;ascii-numeric`), RFC 3894
//! (`:copy`), RFC 5229 (`set` with its modifiers, `${name}` and `${N}` match variables, the
//! `string` test, mailbox names built from captures), RFC 5231 (`:value`/`:count` with the six
//! relations), RFC 5232 (`setflag`/`addflag`/`removeflag`, `:flags`, `hasflag`), RFC 5233
//! (`:user`/`:detail`), RFC 5173 (`body` with `:raw`/`:text`/`:content`) and RFC 5260 §6
//! (`:index`/`:last`). Keys come from pools that mix text the messages hold and text they do
//! not, with case variations, wildcards, non-ASCII text, empty strings and numbers with leading
//! zeros, so that tests are sometimes true.
//!
//! The generator stays clear of the differences recorded in `docs/sieve.md` instead of
//! skipping scripts, each where it builds the construct: with imap4flags, every store goes to a
//! mailbox of its own; `:copy` is decided once per target; mailbox names from variables are
//! never empty nor hold a line break; `:value` with `i;ascii-casemap` has keys without letters;
//! `:is` with `i;ascii-numeric` keys that start with a digit; `:matches` keys avoid the `?`
//! Pigeonhole gets wrong; `:index` goes with one header name and never with `:count`, `:detail`
//! never with `:count`; `string` names its comparator; the case modifiers of `set` get ASCII
//! text; `body` keys have no white space at either end; `address` reads fields both engines
//! accept; the generated messages have no empty group and no entry that is not an address;
//! `true`/`false` only stand alone; there is no `date` and no `:regex` (another syntax).
//!
//! `MALT_SIEVE_DIFF_SEED` and `MALT_SIEVE_DIFF_N` (number of scripts) override the defaults,
//! for longer local runs; `MALT_SIEVE_DIFF_ONLY=<n>` runs script `n` of a report alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/pigeonhole.rs"]
mod pigeonhole;

use std::collections::BTreeSet;
use std::sync::Mutex;

use pigeonhole::{MESSAGES, Oracle, PIGEONHOLE_CRASHED, malt};

/// The seed and number of scripts CI runs.
const DEFAULT_SEED: u64 = 5228;
const DEFAULT_SCRIPTS: usize = 300;
/// Generated messages added to the five hand-written ones.
const GENERATED_MESSAGES: usize = 3;

// ---------------------------------------------------------------------------------------------
// A seeded PRNG (splitmix64): the same seed gives the same scripts on every machine.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True once in `n` times.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Pools

/// Header fields the messages have (in several cases) and some they do not.
const HEADER_NAMES: &[&str] = &[
    "subject",
    "Subject",
    "SUBJECT",
    "from",
    "to",
    "cc",
    "x-tag",
    "X-Tag",
    "x-priority",
    "x-spam-score",
    "x-num",
    "received",
    "message-id",
    "list-id",
    "content-type",
    "sender",
    "x-missing",
    "date",
];

/// Fields both engines let the `address` test read (each has its own list, RFC 5228 §5.1).
const ADDRESS_HEADERS: &[&str] = &[
    "from",
    "From",
    "to",
    "cc",
    "sender",
    "reply-to",
    "bcc",
    "resent-from",
];

/// Text found in the messages (or close to it), for keys and the sources of patterns.
const TEXTS: &[&str] = &[
    "Hello world: make money fast",
    "hello",
    "money",
    "make money fast",
    "Gr\u{fc}\u{df}e aus K\u{f6}ln",
    "Gr\u{fc}\u{df}e",
    "K\u{f6}ln",
    "J\u{f6}rg M\u{fc}ller",
    "M\u{fc}ller",
    "[dev] release 1.0 is out",
    "release 1.0",
    "parts",
    "Your report",
    "alice@example.com",
    "Alice Example <alice@example.com>",
    "alice",
    "bob@example.org",
    "bob",
    "carol@example.net",
    "dave+sieve@example.org",
    "dave",
    "sieve",
    "example.org",
    "example.net",
    "Example.NET",
    "erin@Example.NET",
    "joerg@example.de",
    "dev@lists.example.com",
    "lists.example.com",
    "robot@example.com",
    "a",
    "b",
    "c",
    "3",
    "12",
    "007",
    "slides",
    "coffees",
    "bold",
    "html part",
    "binary",
    "prologue",
    "Nightly report.",
    "Sch\u{f6}ne",
    "a*b?c\\d",
    "agents",
    "news",
];

/// Keys that occur nowhere, and awkward ones.
const STRANGERS: &[&str] = &[
    "",
    " ",
    "zebra",
    "nobody@nowhere.invalid",
    "\u{e9}t\u{e9}",
    "\u{65e5}\u{672c}",
    "*",
    "?",
    "\\",
    "x-y",
    "0",
    "00",
    "-1",
    "99999999999999999999",
    "${",
    "$",
];

/// Numbers for `:value`/`:count` and `i;ascii-numeric`.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "03",
    "007",
    "7",
    "10",
    "12",
    "012",
    "42",
    "100",
    "",
    "abc",
    "3a",
    " 3",
    "99999999999999999999",
];

/// Keys for `:value` with `i;ascii-casemap`: no letters, see [`Generator::match_tags`].
const DIGITS: &[&str] = &["", "0", "03", "1", "10", "12", "007", "99999999999999999999"];

/// Keys for `:is` with `i;ascii-numeric`: each starts with a digit, see
/// [`Generator::match_tags`].
const NUMERIC_KEYS: &[&str] = &[
    "0",
    "1",
    "3",
    "03",
    "007",
    "10",
    "12",
    "3a",
    "42",
    "99999999999999999999",
];

const RELATIONS: &[&str] = &["gt", "ge", "lt", "le", "eq", "ne"];

const SIZES: &[&str] = &[
    "0", "1", "10", "100", "250", "300", "400", "500", "0400", "700", "1000", "1K", "2K", "1M",
];

const VARIABLES: &[&str] = &["v1", "v2", "V1", "v3"];

/// Strings that read variables (with `variables` required; literal text without).
const REFERENCES: &[&str] = &[
    "${1}",
    "${0}",
    "${2}",
    "x-${1}",
    "${1}${2}",
    "${v1}",
    "${V2}",
    "${v1}-${1}",
    "${unknown}",
    "${1",
    "$${1}}",
    "${ 1}",
    "${09}",
];

const FLAGS: &[&str] = &[
    "\\Seen",
    "\\seen",
    "\\Flagged",
    "\\Answered",
    "\\Deleted",
    "\\Draft",
    "$Work",
    "Junk",
    "a b",
    "\\Seen $Work",
    "",
];

const REDIRECTS: &[&str] = &[
    "carol@example.net",
    "carol@EXAMPLE.NET",
    "dave+x@example.org",
    "Erin@example.net",
];

/// Mailboxes of scripts without imap4flags (in scripts with it, each store gets a new name).
const MAILBOXES: &[&str] = &[
    "Work",
    "work",
    "INBOX",
    "inbox",
    "Lists",
    "Gr\u{fc}\u{df}e",
    "a.b",
    "Spam",
];

/// Mailbox names built from variables.
/// Mailbox names built from variables: never empty, and the variables never hold a line
/// break (`set` values are not `text:`, and `body :matches` is only generated in scripts
/// without variables): Malt refuses such names, Pigeonhole does not (docs/sieve.md).
const MAILBOX_REFERENCES: &[&str] = &["x-${1}", "${0}.", "[${2}]", "v-${v1}", "m-${v2}", "${1}${2}-"];

// ---------------------------------------------------------------------------------------------
// Script generation

struct Generator<'r> {
    rng: &'r mut Rng,
    require: BTreeSet<&'static str>,
    /// `variables` may be required: strings may read variables, `set` and `string` appear.
    variables: bool,
    /// imap4flags is used: every store goes to a new mailbox (docs/sieve.md, the first
    /// deliberate difference), `keep` at most once.
    flags: bool,
    mailboxes: usize,
    kept: bool,
    /// Varies which targets take `:copy` from script to script.
    copy_salt: usize,
    /// Keys for `body` are being made: no white space at either end, no `text:` (HTML turned
    /// into text differs in white space, docs/sieve.md).
    body_keys: bool,
}

impl Generator<'_> {
    fn script(rng: &mut Rng) -> String {
        let variables = !rng.one_in(3);
        let flags = rng.one_in(3);
        let rng_salt = rng.below(3);
        let mut g = Generator {
            rng,
            require: BTreeSet::new(),
            variables,
            flags,
            mailboxes: 0,
            kept: false,
            copy_salt: rng_salt,
            body_keys: false,
        };
        let mut body = String::new();
        for _ in 0..1 + g.rng.below(4) {
            body.push_str(&g.command(0));
            body.push('\n');
        }
        let require = match g.require.len() {
            0 => String::new(),
            1 => format!("require {};\n", quote(g.require.first().unwrap())),
            _ => format!(
                "require [{}];\n",
                g.require.iter().map(|r| quote(r)).collect::<Vec<_>>().join(", ")
            ),
        };
        format!("{require}{body}")
    }

    fn command(&mut self, depth: usize) -> String {
        let pad = "  ".repeat(depth);
        let text = loop {
            let text = match self.rng.below(20) {
                0..=5 if depth < 3 => self.if_chain(depth),
                6 | 7 if self.variables => self.set(),
                8 if self.flags => self.flag_command(),
                9..=12 => self.fileinto(),
                13 if !self.flags || !self.kept => self.keep(),
                14 => self.redirect(),
                15 => "discard;".to_string(),
                16 if self.rng.one_in(3) => "stop;".to_string(),
                17 => {
                    // A comment between commands: the lexer skips it.
                    let comment = if self.rng.one_in(2) {
                        "# note \u{e9}"
                    } else {
                        "/* a * b */"
                    };
                    format!("{comment}\n{pad}{}", self.redirect())
                }
                _ => continue,
            };
            break text;
        };
        format!("{pad}{text}")
    }

    fn block(&mut self, depth: usize) -> String {
        let mut out = String::from("{\n");
        for _ in 0..1 + self.rng.below(3) {
            out.push_str(&self.command(depth + 1));
            out.push('\n');
        }
        out.push_str(&"  ".repeat(depth));
        out.push('}');
        out
    }

    fn if_chain(&mut self, depth: usize) -> String {
        let mut out = format!("if {} {}", self.test(0), self.block(depth));
        for _ in 0..self.rng.below(3).saturating_sub(1) {
            out.push_str(&format!(" elsif {} {}", self.test(0), self.block(depth)));
        }
        if self.rng.one_in(3) {
            out.push_str(&format!(" else {}", self.block(depth)));
        }
        out
    }

    fn test(&mut self, depth: usize) -> String {
        loop {
            let text = match self.rng.below(22) {
                // Inside allof/anyof Pigeonhole drops the tests a constant decides, and their
                // match variables with them (docs/sieve.md): constants only at the top.
                0 if depth == 0 => self.rng.pick(&["true", "false"]).to_string(),
                1 | 2 if depth < 3 => format!("not {}", self.test(depth + 1)),
                3 | 4 if depth < 3 => {
                    let name = self.rng.pick(&["allof", "anyof"]);
                    let tests: Vec<String> =
                        (0..1 + self.rng.below(3)).map(|_| self.test(depth + 1)).collect();
                    format!("{name}({})", tests.join(", "))
                }
                5..=8 => self.header_test(),
                9..=11 => self.address_test(),
                12 => self.envelope_test(),
                13 => {
                    let names = self.list_of(HEADER_NAMES, 3);
                    format!("exists {names}")
                }
                14 => {
                    let over = self.rng.pick(&[":over", ":under"]);
                    format!("size {over} {}", self.rng.pick(SIZES))
                }
                15 | 16 => self.body_test(),
                17 | 18 if self.variables => self.string_test(),
                19 | 20 if self.flags => self.hasflag_test(),
                _ => continue,
            };
            return text;
        }
    }

    /// `[:index N [:last]]` (RFC 5260 §6), sometimes.
    fn index(&mut self) -> Option<String> {
        if !self.rng.one_in(5) {
            return None;
        }
        self.require.insert("index");
        let mut out = format!(":index {}", 1 + self.rng.below(4));
        if self.rng.one_in(2) {
            out.push_str(" :last");
        }
        Some(out)
    }

    /// Header names, sometimes one with `:index`: Pigeonhole counts the fields of several
    /// names together, Malt each name's own (docs/sieve.md). `tags`: the match tags so far.
    fn names_with_index(&mut self, tags: &mut Vec<String>, pool: &[&str]) -> String {
        // Pigeonhole's :count with :index finds no field when the one picked is the last
        // (docs/sieve.md): no :index with :count.
        let count = tags.iter().any(|t| t.starts_with(":count"));
        match self.index().filter(|_| !count) {
            Some(index) => {
                tags.push(index);
                let name = self.rng.pick(pool);
                self.string(name, false)
            }
            None => self.list_of(pool, 2),
        }
    }

    fn header_test(&mut self) -> String {
        let mut tags = Vec::new();
        let keys = self.match_tags(&mut tags, false);
        let names = self.names_with_index(&mut tags, HEADER_NAMES);
        format!("header {} {names} {keys}", self.shuffle(tags))
    }

    fn address_test(&mut self) -> String {
        let mut tags = Vec::new();
        let keys = self.match_tags(&mut tags, false);
        tags.extend(self.address_part(&tags));
        let names = self.names_with_index(&mut tags, ADDRESS_HEADERS);
        format!("address {} {names} {keys}", self.shuffle(tags))
    }

    fn envelope_test(&mut self) -> String {
        self.require.insert("envelope");
        let mut tags = Vec::new();
        let keys = self.match_tags(&mut tags, false);
        tags.extend(self.address_part(&tags));
        let parts = self
            .rng
            .pick(&["\"from\"", "\"to\"", "[\"from\", \"to\"]", "\"FROM\""]);
        format!("envelope {} {parts} {keys}", self.shuffle(tags))
    }

    fn body_test(&mut self) -> String {
        self.require.insert("body");
        let mut tags = Vec::new();
        self.body_keys = true;
        let keys = self.match_tags(&mut tags, true);
        self.body_keys = false;
        match self.rng.below(4) {
            0 => tags.push(":raw".into()),
            1 => tags.push(":text".into()),
            2 => tags.push(format!(
                ":content {}",
                self.rng.pick(&["\"text\"", "\"text/plain\"", "\"\""])
            )),
            _ => {}
        }
        format!("body {} {keys}", self.shuffle(tags))
    }

    fn string_test(&mut self) -> String {
        self.require.insert("variables");
        let mut tags = Vec::new();
        let keys = self.match_tags(&mut tags, false);
        // Pigeonhole's string test defaults to i;octet (docs/sieve.md): always name one.
        if !tags.iter().any(|t| t.starts_with(":comparator")) {
            tags.push(":comparator \"i;ascii-casemap\"".to_string());
        }
        // Single-line sources: a capture of a line break would reach a mailbox name.
        let n = 1 + self.rng.below(3);
        let mut sources = Vec::with_capacity(n);
        for _ in 0..n {
            let value = self.value();
            sources.push(self.string(&value, false));
        }
        let sources = format!("[{}]", sources.join(", "));
        format!("string {} {sources} {keys}", self.shuffle(tags))
    }

    fn hasflag_test(&mut self) -> String {
        self.require.insert("imap4flags");
        let mut tags = Vec::new();
        let keys = self.match_tags(&mut tags, false);
        let variables = if self.variables && self.rng.one_in(3) {
            self.require.insert("variables");
            format!(" {}", self.list_of(VARIABLES, 2))
        } else {
            String::new()
        };
        format!("hasflag {}{variables} {keys}", self.shuffle(tags))
    }

    /// `:all`, `:localpart`, `:domain`, `:user`, `:detail` (RFC 5233), or none; not `:detail`
    /// with `:count` (in `tags`): Pigeonhole counts the addresses without a detail, Malt does
    /// not (docs/sieve.md).
    fn address_part(&mut self, tags: &[String]) -> Option<String> {
        let count = tags.iter().any(|t| t.starts_with(":count"));
        let part = loop {
            let part = self
                .rng
                .pick(&["", "", ":all", ":localpart", ":domain", ":user", ":detail"]);
            if !(count && part == ":detail") {
                break part;
            }
        };
        if part.is_empty() {
            return None;
        }
        if part == ":user" || part == ":detail" {
            self.require.insert("subaddress");
        }
        Some(part.to_string())
    }

    /// Push a comparator and a match type (each sometimes left to its default) and return the
    /// key list to go with them; `body`: for the `body` test.
    fn match_tags(&mut self, tags: &mut Vec<String>, body: bool) -> String {
        let comparator = self
            .rng
            .pick(&["", "", "i;ascii-casemap", "i;octet", "i;octet", "i;ascii-numeric"]);
        let numeric = comparator == "i;ascii-numeric";
        let match_type = loop {
            let kind = self.rng.pick(&[
                "",
                ":is",
                ":contains",
                ":contains",
                ":matches",
                ":matches",
                ":value",
                ":count",
            ]);
            // i;ascii-numeric has no substring operation (RFC 4790 §9.1).
            if numeric && matches!(kind, ":contains" | ":matches") {
                continue;
            }
            // RFC 5173 has no relational body test; a `body :matches` capture can hold a line
            // break, which a mailbox name built from it must not (MAILBOX_REFERENCES).
            if body && (matches!(kind, ":value" | ":count") || kind == ":matches" && self.variables) {
                continue;
            }
            break kind;
        };
        if !comparator.is_empty() {
            if numeric {
                self.require.insert("comparator-i;ascii-numeric");
            }
            tags.push(format!(":comparator {}", quote(comparator)));
        }
        match match_type {
            ":value" | ":count" => {
                self.require.insert("relational");
                tags.push(format!("{match_type} {}", quote(self.rng.pick(RELATIONS))));
            }
            "" => {}
            other => tags.push(other.to_string()),
        }
        match match_type {
            ":count" => self.list_with(2, |g| g.rng.pick(NUMBERS).to_string()),
            // i;ascii-casemap orders after mapping to upper case in Malt (RFC 4790 §9.2), to
            // lower case in Pigeonhole (docs/sieve.md): they disagree where one side has one of
            // [\]^_` and the other a letter. Digits sort below both in either mapping.
            ":value" if comparator != "i;octet" && !numeric => {
                self.list_with(3, |g| g.rng.pick(DIGITS).to_string())
            }
            ":matches" => self.list_with(3, |g| g.pattern()),
            ":value" if numeric => self.list_with(3, |g| g.rng.pick(NUMBERS).to_string()),
            // Pigeonhole's :is finds an empty value unequal to a non-empty key before asking
            // the comparator, for which both are infinity (docs/sieve.md): keys with a digit.
            _ if numeric => self.list_with(3, |g| g.rng.pick(NUMERIC_KEYS).to_string()),
            _ => self.list_with(3, |g| g.key()),
        }
    }

    /// Tagged arguments in a random order (RFC 5228 §2.6.2 allows any).
    fn shuffle(&mut self, mut tags: Vec<String>) -> String {
        for i in (1..tags.len()).rev() {
            let j = self.rng.below(i + 1);
            tags.swap(i, j);
        }
        tags.join(" ")
    }

    /// A string list of up to `most` names from `pool` (one string, or a bracketed list).
    fn list_of(&mut self, pool: &[&str], most: usize) -> String {
        let n = 1 + self.rng.below(most);
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let value = self.rng.pick(pool);
            items.push(self.string(value, false));
        }
        if n == 1 && self.rng.one_in(2) {
            items.concat()
        } else {
            format!("[{}]", items.join(", "))
        }
    }

    /// A string list of up to `most` strings made by `make`, quoted.
    fn list_with(&mut self, most: usize, make: impl Fn(&mut Self) -> String) -> String {
        let n = 1 + self.rng.below(most);
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let value = make(self);
            let multiline = !self.body_keys;
            items.push(self.string(&value, multiline));
        }
        if n == 1 && self.rng.one_in(2) {
            items.concat()
        } else {
            format!("[{}]", items.join(", "))
        }
    }

    /// A Sieve string for `value`: usually quoted, sometimes with a needless escape; with
    /// `multiline`, sometimes a multi-line `text:` (whose value ends with CRLF).
    fn string(&mut self, value: &str, multiline: bool) -> String {
        if multiline && self.rng.one_in(25) {
            let stuffed = if value.starts_with('.') {
                format!(".{value}")
            } else {
                value.to_string()
            };
            return format!("text:\r\n{stuffed}\r\n.\r\n");
        }
        let mut out = String::from("\"");
        for c in value.chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                // RFC 5228 §2.4.2: a backslash before another character stands for it.
                'a'..='z' if self.rng.one_in(30) => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// A key: text from the messages (often varied), a stranger, or a variable reference.
    fn key(&mut self) -> String {
        let key = self.any_key();
        if self.body_keys {
            key.trim().to_string()
        } else {
            key
        }
    }

    fn any_key(&mut self) -> String {
        match self.rng.below(10) {
            0 | 1 => self.rng.pick(STRANGERS).to_string(),
            2 if self.variables => self.reference(),
            3 | 4 => {
                let text = self.rng.pick(TEXTS);
                self.substring(text)
            }
            _ => {
                let text = self.rng.pick(TEXTS);
                self.vary_case(text)
            }
        }
    }

    /// A value for `set`, `string` sources: keys and references.
    fn value(&mut self) -> String {
        if self.variables && self.rng.one_in(2) {
            self.reference()
        } else {
            self.key()
        }
    }

    fn reference(&mut self) -> String {
        self.require.insert("variables");
        self.rng.pick(REFERENCES).to_string()
    }

    /// A `:matches` pattern made from text the messages hold: pieces replaced by `*` or `?`,
    /// wildcards escaped, case varied.
    fn pattern(&mut self) -> String {
        if self.rng.one_in(8) {
            let pattern = self.rng.pick(&["*", "?", "", "*?*", "\\*", "*\\?*", "**", "?*?"]);
            return avoid_pigeonhole_question_marks(pattern);
        }
        let text = if self.variables && self.rng.one_in(10) {
            self.reference()
        } else {
            self.rng.pick(TEXTS).to_string()
        };
        let text = self.vary_case(&text);
        let mut out = String::new();
        if self.rng.one_in(2) {
            out.push('*');
        }
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match self.rng.below(12) {
                0 => out.push('?'),
                1 => {
                    out.push('*');
                    // Let the star stand for a few characters.
                    for _ in 0..self.rng.below(4) {
                        chars.next();
                    }
                }
                _ if matches!(c, '*' | '?' | '\\') => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        if self.rng.one_in(2) {
            out.push('*');
        }
        avoid_pigeonhole_question_marks(&out)
    }

    /// A piece of `text` (by characters).
    fn substring(&mut self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let start = self.rng.below(chars.len() + 1);
        let len = self.rng.below(chars.len() - start + 1);
        chars[start..start + len].iter().collect()
    }

    /// `text` as is, upper case, lower case, or with random letters' case swapped.
    fn vary_case(&mut self, text: &str) -> String {
        match self.rng.below(6) {
            0 => text.to_uppercase(),
            1 => text.to_lowercase(),
            2 => text
                .chars()
                .map(|c| if self.rng.one_in(3) { swap_case(c) } else { c })
                .collect(),
            _ => text.to_string(),
        }
    }

    fn set(&mut self) -> String {
        self.require.insert("variables");
        // At most one modifier of each precedence (RFC 5229 §4.1).
        let mut modifiers = Vec::new();
        for group in [
            &[":lower", ":upper"][..],
            &[":lowerfirst", ":upperfirst"],
            &[":quotewildcard"],
            &[":length"],
        ] {
            if self.rng.one_in(4) {
                modifiers.push(self.rng.pick(group).to_string());
            }
        }
        let name = self.rng.pick(VARIABLES);
        // Pigeonhole changes the case of ASCII letters only (docs/sieve.md): the case modifiers
        // get ASCII text, and no variable that could hold other text.
        let value = if modifiers.iter().any(|m| m.contains("ower") || m.contains("pper")) {
            loop {
                let key = self.rng.pick(TEXTS);
                if key.is_ascii() {
                    break self.vary_case(key);
                }
            }
        } else {
            self.value()
        };
        let value = self.string(&value, false);
        let modifiers = self.shuffle(modifiers);
        format!("set {modifiers} {} {value};", quote(name))
    }

    fn flag_command(&mut self) -> String {
        self.require.insert("imap4flags");
        let command = self.rng.pick(&["setflag", "addflag", "removeflag"]);
        let variable = if self.variables && self.rng.one_in(3) {
            self.require.insert("variables");
            format!(" {}", quote(self.rng.pick(VARIABLES)))
        } else {
            String::new()
        };
        let flags = self.list_of(FLAGS, 3);
        format!("{command}{variable} {flags};")
    }

    /// `:flags` (imap4flags scripts only), sometimes.
    fn flags_tag(&mut self) -> Option<String> {
        if !self.flags || self.rng.one_in(2) {
            return None;
        }
        self.require.insert("imap4flags");
        Some(format!(":flags {}", self.list_of(FLAGS, 3)))
    }

    fn fileinto(&mut self) -> String {
        self.require.insert("fileinto");
        let mut tags = Vec::new();
        tags.extend(self.flags_tag());
        let mailbox = if self.flags {
            // One store per mailbox: never the same one twice, never INBOX.
            self.mailboxes += 1;
            format!("F{}", self.mailboxes)
        } else if self.variables && self.rng.one_in(3) {
            self.require.insert("variables");
            self.rng.pick(MAILBOX_REFERENCES).to_string()
        } else {
            self.rng.pick(MAILBOXES).to_string()
        };
        if self.copy(&mailbox) {
            tags.push(":copy".to_string());
        }
        let mailbox = self.string(&mailbox, false);
        let tags = self.shuffle(tags);
        format!("fileinto {tags} {mailbox};")
    }

    fn keep(&mut self) -> String {
        self.kept = true;
        match self.flags_tag() {
            Some(flags) => format!("keep {flags};"),
            None => "keep;".to_string(),
        }
    }

    /// Whether the actions on `target` take `:copy` (RFC 3894): decided once per target and
    /// script, since Pigeonhole merges `fileinto :copy "X"; fileinto "X";` into one action
    /// that keeps the implicit keep (docs/sieve.md).
    fn copy(&mut self, target: &str) -> bool {
        let sum: usize = target.to_ascii_lowercase().bytes().map(usize::from).sum();
        let copy = (sum + self.copy_salt).is_multiple_of(3);
        if copy {
            self.require.insert("copy");
        }
        copy
    }

    fn redirect(&mut self) -> String {
        let address = self.rng.pick(REDIRECTS);
        let copy = if self.copy(address) { ":copy " } else { "" };
        format!("redirect {copy}{};", self.string(address, false))
    }
}

/// Pigeonhole's `:matches` gets two kinds of keys wrong (docs/sieve.md), against RFC 5228
/// §2.7.1: a `?` before any `*` followed by text and a `*` matches whatever the text
/// (`"?ZZ*"` matches `"robot"`), and `?` right after a `*` can fail (`"*?*"` does not match
/// `"c"`). In the first case the run of `?` becomes a `*`, in the second it is dropped.
fn avoid_pigeonhole_question_marks(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut seen_star = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                out.extend(chars.get(i..i + 2).unwrap_or(&chars[i..]));
                i += 2;
            }
            '?' => {
                let run = chars[i..].iter().take_while(|&&c| c == '?').count();
                let next = chars.get(i + run);
                if out.ends_with('*') && !out.ends_with("\\*") {
                    // Dropped.
                } else if !seen_star && next.is_some_and(|&c| c != '*') && chars[i + run..].contains(&'*') {
                    out.push('*');
                    seen_star = true;
                } else {
                    out.extend(&chars[i..i + run]);
                }
                i += run;
            }
            c => {
                seen_star |= c == '*';
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn swap_case(c: char) -> char {
    if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c.to_ascii_uppercase()
    }
}

/// A plain quoted string.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------------------------------------
// Message generation: header fields from pools, in a random order, and a body.

const FROMS: &[&str] = &[
    "Alice Example <alice@example.com>",
    "\"Doe, John\" <JOHN.DOE@Example.COM>",
    "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg+news@example.de>",
    "robot@example.com",
    "dave+sieve@example.org (Dave)",
];

const TOS: &[&str] = &[
    "bob@example.org",
    "Bob <bob@example.org>, carol@example.net",
    "bob+lists@example.org",
    "Friends: carol@example.net, Erin <erin@Example.NET>;",
    "\"Bob B.\" <BOB@EXAMPLE.ORG>",
];

const SUBJECTS: &[&str] = &[
    "Hello world: make money fast",
    "[dev] release 1.0 is out",
    "=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=",
    "007 agents",
    "",
    "a*b?c\\d",
    "Re: [dev] hello",
    "Your report",
    "  spaced   out  ",
];

const TAGS: &[&str] = &["a", "b", "A", "007", "7", "", "c d"];

const NUMS: &[&str] = &["007", "12", "abc", "-3", "", "3", "99999999999999999999"];

const BODIES: &[&str] = &[
    "Hi Bob,\r\nthe meeting is at 10. Bring the *slides* and 42 coffees.\r\n",
    "Sch\u{f6}ne Gr\u{fc}\u{df}e\r\n",
    "\r\n",
    "hello\r\n.\r\nmoney\r\n",
    "Nightly report.\r\nMONEY back\r\n",
];

fn generated_message(rng: &mut Rng) -> String {
    let mut fields = vec![
        format!("From: {}", rng.pick(FROMS)),
        format!("To: {}", rng.pick(TOS)),
        format!("Message-ID: <gen-{}@example.com>", rng.below(1000)),
    ];
    if !rng.one_in(4) {
        fields.push(format!("Subject: {}", rng.pick(SUBJECTS)));
    }
    if rng.one_in(2) {
        fields.push(format!("Cc: {}", rng.pick(TOS)));
    }
    if rng.one_in(3) {
        fields.push(format!("Sender: {}", rng.pick(FROMS)));
    }
    for _ in 0..rng.below(4) {
        fields.push(format!("X-Tag: {}", rng.pick(TAGS)));
    }
    for _ in 0..rng.below(3) {
        fields.push(format!("X-Num: {}", rng.pick(NUMS)));
    }
    if rng.one_in(2) {
        fields.push("X-Priority: 03".to_string());
    }
    for i in (1..fields.len()).rev() {
        let j = rng.below(i + 1);
        fields.swap(i, j);
    }
    let mut message = fields.join("\r\n");
    if rng.one_in(3) {
        message.push_str(
            "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"gb\"\r\n\r\n\
             --gb\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
        );
        message.push_str(rng.pick(BODIES));
        message.push_str("--gb\r\nContent-Type: text/html\r\n\r\n<p>html <b>money</b></p>\r\n--gb--\r\n");
    } else {
        message.push_str("\r\n\r\n");
        message.push_str(rng.pick(BODIES));
    }
    message
}

// ---------------------------------------------------------------------------------------------
// Running

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// The detailed report of the first failing run of each of the first `most` failing scripts.
fn first_per_script(failures: &[(usize, usize, String, String)], most: usize) -> String {
    let mut seen = BTreeSet::new();
    failures
        .iter()
        .filter(|f| seen.insert(f.0))
        .take(most)
        .map(|f| f.2.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn malt_and_pigeonhole_agree_on_generated_scripts() {
    let seed = setting("MALT_SIEVE_DIFF_SEED", DEFAULT_SEED);
    let count = setting("MALT_SIEVE_DIFF_N", DEFAULT_SCRIPTS);
    // One script of the run (its number in a report), to look at it alone.
    let only = setting("MALT_SIEVE_DIFF_ONLY", usize::MAX);
    let mut rng = Rng(seed);
    let mut messages: Vec<(String, String)> = MESSAGES
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    for i in 0..GENERATED_MESSAGES {
        messages.push((format!("generated-{i}"), generated_message(&mut rng)));
    }
    let scripts: Vec<String> = (0..count).map(|_| Generator::script(&mut rng)).collect();

    let oracle = Oracle::new();
    let failures = Mutex::new(Vec::new());
    let crashes = Mutex::new(Vec::new());
    // Outcomes seen, to check that the generated tests are sometimes true.
    let outcomes = Mutex::new(BTreeSet::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (oracle, messages, scripts, failures, outcomes, crashes) =
                (&oracle, &messages, &scripts, &failures, &outcomes, &crashes);
            scope.spawn(move || {
                for (i, script) in scripts.iter().enumerate().skip(worker).step_by(workers) {
                    if only != usize::MAX && i != only {
                        continue;
                    }
                    for (j, (name, message)) in messages.iter().enumerate() {
                        let pigeonhole = oracle.run(i * messages.len() + j, script, message);
                        let ours = malt(script, message);
                        if let Ok(actions) = &ours {
                            outcomes.lock().unwrap().insert(actions.clone());
                        }
                        // Pigeonhole 0.5 aborts (a failed assertion in its :matches, seen
                        // with "*00?*" on a value ending in "00"): counted and listed, not
                        // compared (docs/sieve.md).
                        if pigeonhole.as_ref().is_ok_and(|a| a.iter().any(|x| x == PIGEONHOLE_CRASHED)) {
                            crashes.lock().unwrap().push(format!("#{i} on {name}"));
                            continue;
                        }
                        if pigeonhole != ours {
                            let detail = format!(
                                "script #{i} on {name}:\n{script}\n--- message:\n{message}\n--- pigeonhole: {pigeonhole:?}\n--- malt:       {ours:?}\n"
                            );
                            let short = |r: &Result<Vec<String>, String>| match r {
                                Ok(actions) => format!("{actions:?}"),
                                Err(e) => format!("compile error {:?}", e.lines().next().unwrap_or("")),
                            };
                            let line = format!("#{i} on {name}: pigeonhole {}, malt {}", short(&pigeonhole), short(&ours));
                            failures.lock().unwrap().push((i, j, detail, line));
                        }
                    }
                }
            });
        }
    });
    let runs = scripts.len() * messages.len();
    let outcomes = outcomes.into_inner().unwrap();
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let crashes = crashes.into_inner().unwrap();
    eprintln!(
        "seed {seed}: {} scripts x {} messages = {runs} runs, {} distinct outcomes, {} differ, \
         {} not compared (sieve-test aborted: {})",
        scripts.len(),
        messages.len(),
        outcomes.len(),
        failures.len(),
        crashes.len(),
        crashes.join(", ")
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {runs} runs differ; the first of the first 10 scripts:\n{}\nall of them (at most 300):\n{}",
        failures.len(),
        first_per_script(&failures, 10),
        failures
            .iter()
            .take(300)
            .map(|f| f.3.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    // A generator whose tests were never true would compare nothing of interest: 300 scripts
    // give about 160 distinct action lists, 3000 about 1250.
    assert!(
        count < 300 || outcomes.len() >= 100,
        "only {} distinct outcomes from {count} scripts",
        outcomes.len()
    );
}

#[test]
fn question_marks_pigeonhole_gets_wrong_are_rewritten() {
    for (pattern, expected) in [
        ("?ZZ*", "*ZZ*"),
        ("??ab*", "*ab*"),
        ("?*", "?*"),
        ("??", "??"),
        ("a?b", "a?b"),
        ("*?*", "**"),
        ("x*??b", "x*b"),
        ("*a?b*", "*a?b*"),
        ("\\*?x", "\\*?x"),
        ("\\??x*", "\\?*x*"),
    ] {
        assert_eq!(avoid_pigeonhole_question_marks(pattern), expected, "{pattern}");
    }
}
