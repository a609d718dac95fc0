//! Incremental command framing and the shared grammar of RFC 9051 §9 (atoms, strings, literals,
//! sequence sets, flags, dates, mailbox names).
//!
//! # How a session uses it
//!
//! The session keeps a receive buffer and calls [`parse_command`] after each read:
//! - `Ok((Parsed::Command(c), n))`: drop `n` octets and run `c`; call again, more commands may be
//!   pipelined in the buffer.
//! - `Ok((Parsed::NeedLiteral { size }, 0))`: the buffer ends just after a line ending with a
//!   synchronising literal `{size}`; send `+ Ready` and read on (RFC 9051 §7.5). Returned while
//!   none of the literal's octets have arrived (the client sends none before `+`), so calling again
//!   only after new input arrives sees it once per literal.
//! - `Ok((Parsed::Incomplete, 0))`: read more.
//! - `Err(e)`: answer with `e` (BAD, or `NO [TOOBIG]`/BAD for [`ParseError::TooBig`]) and drop
//!   [`ParseError::consumed`] octets. After a `TooBig` with `non_sync: true` the client sends the
//!   literal anyway (RFC 7888 §4): the session must also discard `size` octets and the rest of that
//!   command, or (simpler, and what RFC 7888 §4 suggests for abuse) send BYE and close.
//!
//! # Literals and APPEND
//!
//! Literals are kept in the buffer and the whole command is parsed at once, so the parser never
//! waits in the middle of a grammar rule. APPEND messages can be big: in an APPEND command,
//! literals may be up to [`Limits::max_append_literal`] (the server's APPENDLIMIT) and do not count
//! toward [`Limits::max_command`]; every other literal is bounded by [`Limits::max_literal`].
//! All literals of one APPEND together are bounded by [`Limits::max_append_total`] (MULTIAPPEND).
//! The session must therefore let its buffer grow to `max_command + max_append_total` for APPEND
//! only; `TooBig` arrives before any octet of an oversized literal is buffered.
//!
//! # Bounds
//!
//! Framing scans each octet once per call (a command split over `k` reads is scanned `k` times,
//! bounded by `max_command`). Grammar rules recurse only through parenthesised search keys,
//! `NOT`/`OR` and nested lists, each bounded by [`Limits::max_depth`]; the number of arguments by
//! [`Limits::max_args`].

mod acl;
mod append;
mod authenticate;
mod compress;
mod copy;
mod create;
mod delete;
mod enable;
mod expunge;
mod fetch;
mod id;
mod idle;
mod list;
mod login;
mod metadata;
mod r#move;
mod notify;
mod quota;
mod rename;
mod search;
mod select;
mod simple;
mod sort;
mod status;
mod store;
mod subscribe;
mod thread;
mod uid;

pub use authenticate::parse_sasl_continuation;
pub use idle::is_idle_done;

use crate::command::{Command, CommandKind, Date, DateTime, Flag, SeqNum, SeqRange, SequenceSet};

/// Bounds on what a client may send (CONVENTIONS §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Octets of one line, CRLF excluded (default 8 KiB).
    pub max_line: usize,
    /// Octets of one literal outside APPEND.
    pub max_literal: u64,
    /// Octets of one APPEND message literal (the APPENDLIMIT, RFC 7889).
    pub max_append_literal: u64,
    /// Octets of all literals of one APPEND together (MULTIAPPEND, RFC 3502, is buffered whole).
    pub max_append_total: u64,
    /// Octets of one non-synchronising literal `{n+}`: `u64::MAX` with LITERAL+, 4096 when the
    /// server announces LITERAL- (RFC 7888 §5).
    pub max_nonsync_literal: u64,
    /// Octets of a whole command, APPEND literals excluded.
    pub max_command: usize,
    /// Number of arguments (atoms, strings, numbers, sequence ranges...).
    pub max_args: usize,
    /// Nesting depth of parenthesised lists and search keys.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 8 * 1024,
            max_literal: 64 * 1024,
            max_append_literal: 64 * 1024 * 1024,
            max_append_total: 256 * 1024 * 1024,
            max_nonsync_literal: u64::MAX,
            max_command: 64 * 1024,
            max_args: 4096,
            max_depth: 32,
        }
    }
}

/// What [`parse_command`] found in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A complete command.
    Command(Command),
    /// Need more input.
    Incomplete,
    /// The command so far ends with a synchronising literal `{size}`: the server must send `+ ...`,
    /// then the client sends `size` octets.
    NeedLiteral { size: u64 },
}

/// A command that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A syntax error: answer `BAD` (tagged when the tag is known, else untagged `* BAD`).
    #[error("{reason}")]
    Bad {
        tag: Option<String>,
        reason: String,
        /// Octets to drop: the whole command when it was framed, else up to the offending line's
        /// end; for a line longer than `max_line` without its end yet, the whole buffer (the session
        /// should then close the connection).
        consumed: usize,
    },
    /// A literal larger than the limits: answer `NO [TOOBIG]` (APPEND) or `BAD`, and for a
    /// synchronising literal never send `+`. For a non-synchronising one (`{n+}`, RFC 7888 §4) the
    /// octets follow anyway and must be skipped.
    #[error("literal of {size} octets is too big")]
    TooBig {
        tag: Option<String>,
        size: u64,
        non_sync: bool,
        consumed: usize,
    },
}

impl ParseError {
    /// The command's tag, when it could be read.
    pub fn tag(&self) -> Option<&str> {
        match self {
            ParseError::Bad { tag, .. } | ParseError::TooBig { tag, .. } => tag.as_deref(),
        }
    }

    /// Octets of the buffer to drop before parsing again.
    pub fn consumed(&self) -> usize {
        match self {
            ParseError::Bad { consumed, .. } | ParseError::TooBig { consumed, .. } => *consumed,
        }
    }
}

/// A literal announced at the end of a line: its size, whether it is non-synchronising
/// (`{n+}` or `{n-}`) and whether it is a literal8 (`~{n}`).
struct LiteralHeader {
    size: u64,
    non_sync: bool,
}

/// Reads `{n}`, `{n+}`, `{n-}` or `~{n}` at the end of `line` (CR already removed).
fn literal_at_end(line: &[u8]) -> Result<Option<LiteralHeader>, String> {
    let Some(body) = line.strip_suffix(b"}") else {
        return Ok(None);
    };
    let Some(open) = body.iter().rposition(|&b| b == b'{') else {
        return Ok(None);
    };
    let inner = body.get(open + 1..).unwrap_or_default();
    let (digits, non_sync) = match inner.last() {
        Some(b'+') | Some(b'-') => (inner.get(..inner.len() - 1).unwrap_or_default(), true),
        _ => (inner, false),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        // Not a literal announcement (e.g. `{` inside a quoted string); let the grammar decide.
        return Ok(None);
    }
    let size = parse_u64(digits).ok_or_else(|| "literal size out of range".to_string())?;
    Ok(Some(LiteralHeader { size, non_sync }))
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// The tag at the start of a command, when it is well-formed.
fn leading_tag(buf: &[u8]) -> Option<String> {
    let end = buf
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(buf.len());
    let tag = buf.get(..end)?;
    if !tag.is_empty() && tag.iter().all(|&b| is_astring_char(b) && b != b'+') {
        String::from_utf8(tag.to_vec()).ok()
    } else {
        None
    }
}

/// Whether the command in `first_line` is APPEND.
fn is_append(first_line: &[u8]) -> bool {
    let mut words = first_line.split(|&b| b == b' ');
    let _tag = words.next();
    words.next().is_some_and(|w| w.eq_ignore_ascii_case(b"APPEND"))
}

/// Parses one command from the start of `buf`. See the module documentation for the protocol.
pub fn parse_command(buf: &[u8], limits: &Limits) -> Result<(Parsed, usize), ParseError> {
    let end = match frame(buf, limits)? {
        Framed::Complete(end) => end,
        Framed::Incomplete => return Ok((Parsed::Incomplete, 0)),
        Framed::NeedLiteral(size) => return Ok((Parsed::NeedLiteral { size }, 0)),
    };
    let command_bytes = buf.get(..end).unwrap_or_default();
    let tag = leading_tag(command_bytes);
    let mut cursor = Cursor::new(command_bytes, limits);
    match parse_framed(&mut cursor) {
        Ok(command) => Ok((Parsed::Command(command), end)),
        Err(reason) => Err(ParseError::Bad {
            tag,
            reason,
            consumed: end,
        }),
    }
}

enum Framed {
    Complete(usize),
    Incomplete,
    NeedLiteral(u64),
}

/// Finds the end of the first command in `buf`: lines, each possibly ending with a literal whose
/// octets follow. Checks every limit before anything is allocated.
fn frame(buf: &[u8], limits: &Limits) -> Result<Framed, ParseError> {
    let mut pos = 0usize;
    // Octets counted toward max_command.
    let mut counted = 0usize;
    let mut append: Option<bool> = None;
    // Octets of APPEND literals so far.
    let mut append_total = 0u64;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            if rest.len() > limits.max_line {
                return Err(ParseError::Bad {
                    tag: leading_tag(buf),
                    reason: "line too long".into(),
                    consumed: buf.len(),
                });
            }
            if counted + rest.len() > limits.max_command {
                return Err(ParseError::Bad {
                    tag: leading_tag(buf),
                    reason: "command too long".into(),
                    consumed: buf.len(),
                });
            }
            return Ok(Framed::Incomplete);
        };
        let line_end = pos + lf + 1;
        let line = rest.get(..lf).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let bad = |reason: &str| ParseError::Bad {
            tag: leading_tag(buf),
            reason: reason.to_string(),
            consumed: line_end,
        };
        if line.len() > limits.max_line {
            return Err(bad("line too long"));
        }
        counted += lf + 1;
        if counted > limits.max_command {
            return Err(bad("command too long"));
        }
        let is_append_cmd = *append.get_or_insert_with(|| is_append(line));
        let header = literal_at_end(line).map_err(|r| bad(&r))?;
        let Some(header) = header else {
            return Ok(Framed::Complete(line_end));
        };
        let max = if is_append_cmd {
            limits.max_append_literal.max(limits.max_literal)
        } else {
            limits.max_literal
        };
        if is_append_cmd {
            append_total = append_total.saturating_add(header.size);
        }
        if header.size > max
            || (header.non_sync && header.size > limits.max_nonsync_literal)
            || append_total > limits.max_append_total
        {
            return Err(ParseError::TooBig {
                tag: leading_tag(buf),
                size: header.size,
                non_sync: header.non_sync,
                consumed: line_end,
            });
        }
        // APPEND literals (messages, and the rare literal mailbox name) never count toward
        // max_command, so a MULTIAPPEND of many small messages is not refused.
        if !is_append_cmd {
            counted = counted.saturating_add(usize::try_from(header.size).unwrap_or(usize::MAX));
            if counted > limits.max_command {
                return Err(bad("command too long"));
            }
        }
        let size = usize::try_from(header.size).map_err(|_| bad("literal too big"))?;
        let available = buf.len() - line_end;
        if available < size {
            // Even `{0}` waits for the continuation (RFC 9051 §4.3).
            if available == 0 && !header.non_sync {
                return Ok(Framed::NeedLiteral(header.size));
            }
            return Ok(Framed::Incomplete);
        }
        pos = line_end + size;
    }
}

/// Parses tag, command name and arguments of a framed command.
fn parse_framed(c: &mut Cursor<'_>) -> PResult<Command> {
    let tag = c.tag()?;
    c.sp()?;
    let name = c.atom_upper()?;
    let kind = dispatch(c, &name, false)?;
    c.end()?;
    Ok(Command { tag, kind })
}

/// Parses the arguments of command `name`; `uid` is set under `UID`.
pub(crate) fn dispatch(c: &mut Cursor<'_>, name: &str, uid: bool) -> PResult<CommandKind> {
    if uid {
        return match name {
            "FETCH" => fetch::parse(c, true),
            "STORE" => store::parse(c, true),
            "SEARCH" => search::parse(c, true),
            "COPY" => copy::parse(c, true),
            "MOVE" => r#move::parse(c, true),
            "SORT" => sort::parse(c, true),
            "THREAD" => thread::parse(c, true),
            "EXPUNGE" => expunge::parse_uid(c),
            _ => Err(format!("unknown UID command {name}")),
        };
    }
    match name {
        "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS" | "NAMESPACE" | "CHECK" | "CLOSE" | "UNSELECT" => {
            simple::parse(name)
        }
        "IDLE" => idle::parse(c),
        "EXPUNGE" => expunge::parse(c),
        "AUTHENTICATE" => authenticate::parse(c),
        "LOGIN" => login::parse(c),
        "ENABLE" => enable::parse(c),
        "SELECT" => select::parse(c, false),
        "EXAMINE" => select::parse(c, true),
        "CREATE" => create::parse(c),
        "DELETE" => delete::parse(c),
        "RENAME" => rename::parse(c),
        "SUBSCRIBE" => subscribe::parse(c, true),
        "UNSUBSCRIBE" => subscribe::parse(c, false),
        "LIST" => list::parse(c),
        "LSUB" => list::parse_lsub(c),
        "STATUS" => status::parse(c),
        "APPEND" => append::parse(c),
        "SEARCH" => search::parse(c, false),
        "FETCH" => fetch::parse(c, false),
        "STORE" => store::parse(c, false),
        "COPY" => copy::parse(c, false),
        "MOVE" => r#move::parse(c, false),
        "UID" => uid::parse(c),
        "SORT" => sort::parse(c, false),
        "THREAD" => thread::parse(c, false),
        "GETQUOTA" | "GETQUOTAROOT" | "SETQUOTA" => quota::parse(c, name),
        "SETACL" | "DELETEACL" | "GETACL" | "LISTRIGHTS" | "MYRIGHTS" => acl::parse(c, name),
        "GETMETADATA" => metadata::parse_get(c),
        "SETMETADATA" => metadata::parse_set(c),
        "NOTIFY" => notify::parse(c),
        "COMPRESS" => compress::parse(c),
        "ID" => id::parse(c),
        _ => Err(format!("unknown command {name}")),
    }
}

/// Result of a grammar rule; the error is the reason given in BAD.
pub(crate) type PResult<T> = Result<T, String>;

/// ATOM-CHAR (RFC 9051 §9): any CHAR except atom-specials.
pub(crate) fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// ASTRING-CHAR: ATOM-CHAR or `]`.
pub(crate) fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// list-char: ATOM-CHAR, list-wildcards or `]`.
pub(crate) fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// Octets of a command with position, argument count and nesting depth.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    args: usize,
    depth: usize,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], limits: &'a Limits) -> Self {
        Cursor {
            buf,
            pos: 0,
            limits,
            args: 0,
            depth: 0,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Counts one argument against `max_args`.
    fn arg(&mut self) -> PResult<()> {
        self.args += 1;
        if self.args > self.limits.max_args {
            Err("too many arguments".into())
        } else {
            Ok(())
        }
    }

    /// Enters a nested list or key; pair with [`Cursor::leave`].
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            Err("nesting too deep".into())
        } else {
            Ok(())
        }
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, b: u8) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected '{}'", char::from(b)))
        }
    }

    pub(crate) fn sp(&mut self) -> PResult<()> {
        self.expect(b' ')
    }

    /// Whether the command ends here (CRLF or LF next).
    pub(crate) fn at_end(&self) -> bool {
        matches!(self.rest(), b"\r\n" | b"\n")
    }

    /// Expects the end of the command.
    pub(crate) fn end(&mut self) -> PResult<()> {
        if self.at_end() {
            self.pos = self.buf.len();
            Ok(())
        } else {
            Err("unexpected characters at end of command".into())
        }
    }

    /// Consumes the keyword `kw` (case-insensitive) if the next atom is exactly it.
    pub(crate) fn eat_keyword(&mut self, kw: &str) -> bool {
        let rest = self.rest();
        let n = kw.len();
        match rest.get(..n) {
            Some(head) if head.eq_ignore_ascii_case(kw.as_bytes()) => {
                let next = rest.get(n).copied();
                if next.is_none_or(|b| !is_atom_char(b)) {
                    self.pos += n;
                    true
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    pub(crate) fn tag(&mut self) -> PResult<String> {
        let start = self.pos;
        while self.peek().is_some_and(|b| is_astring_char(b) && b != b'+') {
            self.pos += 1;
        }
        if self.pos == start {
            return Err("missing tag".into());
        }
        self.text(start)
    }

    fn text(&self, start: usize) -> PResult<String> {
        let bytes = self.buf.get(start..self.pos).unwrap_or_default();
        String::from_utf8(bytes.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }

    /// 1*ATOM-CHAR.
    pub(crate) fn atom(&mut self) -> PResult<String> {
        self.arg()?;
        let start = self.pos;
        while self.peek().is_some_and(is_atom_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err("expected an atom".into());
        }
        self.text(start)
    }

    pub(crate) fn atom_upper(&mut self) -> PResult<String> {
        Ok(self.atom()?.to_ascii_uppercase())
    }

    /// number (u32).
    pub(crate) fn number(&mut self) -> PResult<u32> {
        let v = self.number64()?;
        u32::try_from(v).map_err(|_| "number out of range".to_string())
    }

    /// nz-number.
    pub(crate) fn nz_number(&mut self) -> PResult<u32> {
        match self.number()? {
            0 => Err("zero is not allowed here".into()),
            n => Ok(n),
        }
    }

    /// number64 (RFC 9051): at most 2^63-1.
    pub(crate) fn number64(&mut self) -> PResult<u64> {
        self.arg()?;
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.buf.get(start..self.pos).unwrap_or_default();
        match parse_u64(digits) {
            Some(v) if v <= i64::MAX as u64 => Ok(v),
            _ => Err("expected a number".into()),
        }
    }

    /// quoted: `"` with `\"` and `\\` escapes; no CR/LF. RFC 9051 allows UTF-8 inside.
    pub(crate) fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.arg()?;
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') | Some(0) => return Err("unterminated quoted string".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(b);
                            self.pos += 1;
                        }
                        _ => return Err("invalid escape in quoted string".into()),
                    }
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// literal or literal8: `{n}`/`{n+}`/`{n-}`/`~{n}` CRLF octets. Returns the octets and whether
    /// it was a literal8. A plain literal must not contain NUL (RFC 9051 §4.3).
    pub(crate) fn literal(&mut self) -> PResult<(Vec<u8>, bool)> {
        self.arg()?;
        let binary = self.eat(b'~');
        self.expect(b'{')?;
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let size = parse_u64(self.buf.get(start..self.pos).unwrap_or_default())
            .ok_or_else(|| "invalid literal size".to_string())?;
        if !self.eat(b'+') {
            let _ = self.eat(b'-');
        }
        self.expect(b'}')?;
        let _ = self.eat(b'\r');
        self.expect(b'\n')?;
        let size = usize::try_from(size).map_err(|_| "literal too big".to_string())?;
        let end = self
            .pos
            .checked_add(size)
            .ok_or_else(|| "literal too big".to_string())?;
        let data = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| "truncated literal".to_string())?;
        if !binary && data.contains(&0) {
            return Err("NUL in literal (use literal8)".into());
        }
        self.pos = end;
        Ok((data.to_vec(), binary))
    }

    /// string: quoted or literal (a literal8 is accepted where 8-bit data is meaningful only via
    /// [`Cursor::literal`] directly).
    pub(crate) fn string_bytes(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal()?.0),
            _ => Err("expected a string".into()),
        }
    }

    pub(crate) fn string(&mut self) -> PResult<String> {
        String::from_utf8(self.string_bytes()?).map_err(|_| "invalid UTF-8 in string".to_string())
    }

    /// astring: 1*ASTRING-CHAR or string.
    pub(crate) fn astring(&mut self) -> PResult<String> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                self.arg()?;
                let start = self.pos;
                while self.peek().is_some_and(|b| is_astring_char(b) || b >= 0x80) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err("expected an astring".into());
                }
                self.text(start)
            }
        }
    }

    /// nstring: NIL or string.
    pub(crate) fn nstring(&mut self) -> PResult<Option<Vec<u8>>> {
        if self.eat_keyword("NIL") {
            self.arg()?;
            Ok(None)
        } else {
            Ok(Some(self.string_bytes()?))
        }
    }

    /// mailbox: `INBOX` (any case) or astring.
    pub(crate) fn mailbox(&mut self) -> PResult<String> {
        let name = self.astring()?;
        if name.eq_ignore_ascii_case("INBOX") {
            Ok("INBOX".into())
        } else {
            Ok(name)
        }
    }

    /// list-mailbox: 1*list-char or string.
    pub(crate) fn list_mailbox(&mut self) -> PResult<String> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                self.arg()?;
                let start = self.pos;
                while self.peek().is_some_and(|b| is_list_char(b) || b >= 0x80) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err("expected a mailbox pattern".into());
                }
                self.text(start)
            }
        }
    }

    fn seq_number(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') {
            Ok(SeqNum::Star)
        } else {
            Ok(SeqNum::Value(self.nz_number()?))
        }
    }

    /// sequence-set or `$` (RFC 5182).
    pub(crate) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        if self.eat(b'$') {
            self.arg()?;
            return Ok(SequenceSet::Saved);
        }
        let mut ranges = Vec::new();
        loop {
            let start = self.seq_number()?;
            let end = if self.eat(b':') { self.seq_number()? } else { start };
            ranges.push(SeqRange { start, end });
            if !self.eat(b',') {
                break;
            }
        }
        Ok(SequenceSet::Ranges(ranges))
    }

    /// flag: `\Name` or keyword atom.
    pub(crate) fn flag(&mut self) -> PResult<Flag> {
        if self.eat(b'\\') {
            let name = self.atom()?;
            Ok(match name.to_ascii_uppercase().as_str() {
                "SEEN" => Flag::Seen,
                "ANSWERED" => Flag::Answered,
                "FLAGGED" => Flag::Flagged,
                "DELETED" => Flag::Deleted,
                "DRAFT" => Flag::Draft,
                "RECENT" => Flag::Recent,
                _ => Flag::Extension(name),
            })
        } else {
            Ok(Flag::Keyword(self.atom()?))
        }
    }

    /// flag-list: `(` [flag *(SP flag)] `)`.
    pub(crate) fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.expect(b'(')?;
        let mut flags = Vec::new();
        if self.eat(b')') {
            return Ok(flags);
        }
        loop {
            flags.push(self.flag()?);
            if self.eat(b')') {
                return Ok(flags);
            }
            self.sp()?;
        }
    }

    /// Flags with or without parentheses (STORE allows both).
    pub(crate) fn flags_maybe_list(&mut self) -> PResult<Vec<Flag>> {
        if self.peek() == Some(b'(') {
            return self.flag_list();
        }
        let mut flags = vec![self.flag()?];
        while self.peek() == Some(b' ') && !self.at_end() {
            self.sp()?;
            flags.push(self.flag()?);
        }
        Ok(flags)
    }

    fn digits(&mut self, min: usize, max: usize) -> PResult<u32> {
        let start = self.pos;
        while self.pos - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let n = self.pos - start;
        if n < min {
            return Err("bad date".into());
        }
        let mut v = 0u32;
        for &d in self.buf.get(start..self.pos).unwrap_or_default() {
            v = v * 10 + u32::from(d - b'0');
        }
        Ok(v)
    }

    fn month(&mut self) -> PResult<u8> {
        let name = self.rest().get(..3).ok_or_else(|| "bad month".to_string())?;
        let idx = MONTHS
            .iter()
            .position(|m| m.as_bytes().eq_ignore_ascii_case(name))
            .ok_or_else(|| "bad month".to_string())?;
        self.pos += 3;
        u8::try_from(idx + 1).map_err(|_| "bad month".to_string())
    }

    fn check_day(year: u32, month: u8, day: u32) -> PResult<u8> {
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let max = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day == 0 || day > max {
            return Err("bad day".into());
        }
        u8::try_from(day).map_err(|_| "bad day".to_string())
    }

    /// date: `d-Mon-yyyy`, optionally quoted.
    pub(crate) fn date(&mut self) -> PResult<Date> {
        self.arg()?;
        let quoted = self.eat(b'"');
        let day = self.digits(1, 2)?;
        self.expect(b'-')?;
        let month = self.month()?;
        self.expect(b'-')?;
        let year = self.digits(4, 4)?;
        if quoted {
            self.expect(b'"')?;
        }
        let day = Self::check_day(year, month, day)?;
        Ok(Date {
            year: u16::try_from(year).map_err(|_| "bad year".to_string())?,
            month,
            day,
        })
    }

    /// date-time: `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day may be space-padded).
    pub(crate) fn date_time(&mut self) -> PResult<DateTime> {
        self.arg()?;
        self.expect(b'"')?;
        let _ = self.eat(b' ');
        let day = self.digits(1, 2)?;
        self.expect(b'-')?;
        let month = self.month()?;
        self.expect(b'-')?;
        let year = self.digits(4, 4)?;
        self.sp()?;
        let hour = self.digits(2, 2)?;
        self.expect(b':')?;
        let minute = self.digits(2, 2)?;
        self.expect(b':')?;
        let second = self.digits(2, 2)?;
        self.sp()?;
        let sign: i16 = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Err("bad zone".into());
        };
        let zh = self.digits(2, 2)?;
        let zm = self.digits(2, 2)?;
        self.expect(b'"')?;
        if hour > 23 || minute > 59 || second > 60 || zh > 23 || zm > 59 {
            return Err("bad time".into());
        }
        let day = Self::check_day(year, month, day)?;
        let to8 = |v: u32| u8::try_from(v).map_err(|_| "bad time".to_string());
        Ok(DateTime {
            year: u16::try_from(year).map_err(|_| "bad year".to_string())?,
            month,
            day,
            hour: to8(hour)?,
            minute: to8(minute)?,
            second: to8(second)?,
            zone_minutes: sign * i16::try_from(zh * 60 + zm).map_err(|_| "bad zone".to_string())?,
        })
    }

    /// A parenthesised, space-separated list of items; `(` `)` included. Empty lists allowed when
    /// `allow_empty`.
    pub(crate) fn paren_list<T>(
        &mut self,
        allow_empty: bool,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.expect(b'(')?;
        self.enter()?;
        let mut out = Vec::new();
        if self.eat(b')') {
            self.leave();
            return if allow_empty {
                Ok(out)
            } else {
                Err("empty list".into())
            };
        }
        loop {
            out.push(item(self)?);
            if self.eat(b')') {
                self.leave();
                return Ok(out);
            }
            self.sp()?;
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Parses exactly one command that fills `input`.
    pub fn parse_one(input: &str) -> CommandKind {
        let limits = Limits::default();
        match parse_command(input.as_bytes(), &limits) {
            Ok((Parsed::Command(c), n)) => {
                assert_eq!(n, input.len(), "consumed for {input:?}");
                c.kind
            }
            other => panic!("{input:?} -> {other:?}"),
        }
    }

    /// Expects a BAD for `input`.
    pub fn parse_bad(input: &str) {
        let limits = Limits::default();
        match parse_command(input.as_bytes(), &limits) {
            Err(ParseError::Bad { .. }) => {}
            other => panic!("{input:?} should be BAD, got {other:?}"),
        }
    }

    pub fn set(ranges: &[(u32, u32)]) -> SequenceSet {
        SequenceSet::Ranges(
            ranges
                .iter()
                .map(|&(a, b)| SeqRange {
                    start: SeqNum::Value(a),
                    end: SeqNum::Value(b),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn sequence_sets() {
        let limits = Limits::default();
        let mut c = Cursor::new(b"1:3,5,*,7:*", &limits);
        let s = c.sequence_set().unwrap();
        assert_eq!(
            s,
            SequenceSet::Ranges(vec![
                SeqRange {
                    start: SeqNum::Value(1),
                    end: SeqNum::Value(3)
                },
                SeqRange {
                    start: SeqNum::Value(5),
                    end: SeqNum::Value(5)
                },
                SeqRange {
                    start: SeqNum::Star,
                    end: SeqNum::Star
                },
                SeqRange {
                    start: SeqNum::Value(7),
                    end: SeqNum::Star
                },
            ])
        );
        for bad in [
            "a1 FETCH 0 FLAGS\r\n",
            "a1 FETCH 1: FLAGS\r\n",
            "a1 FETCH 1,,2 FLAGS\r\n",
            "a1 FETCH x FLAGS\r\n",
        ] {
            parse_bad(bad);
        }
        assert!(matches!(
            parse_one("a FETCH $ FLAGS\r\n"),
            CommandKind::Fetch { .. }
        ));
    }

    #[test]
    fn quoted_escapes_and_literals() {
        assert_eq!(
            parse_one("a LOGIN \"us\\\"er\" {3}\r\np\\w\r\n"),
            CommandKind::Login {
                username: "us\"er".into(),
                password: "p\\w".into()
            }
        );
        parse_bad("a LOGIN \"bad\\x\" pw\r\n");
        parse_bad("a LOGIN \"unterminated pw\r\n");
    }

    #[test]
    fn dates() {
        let limits = Limits::default();
        let mut c = Cursor::new(b"\" 1-Feb-2024 13:05:09 -0130\"", &limits);
        let d = c.date_time().unwrap();
        assert_eq!(
            (d.day, d.month, d.year, d.hour, d.zone_minutes),
            (1, 2, 2024, 13, -90)
        );
        let mut c = Cursor::new(b"30-Feb-2024", &limits);
        assert!(c.date().is_err());
        let mut c = Cursor::new(b"\"29-feb-2024\"", &limits);
        assert_eq!(
            c.date().unwrap(),
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(
            DateTime {
                year: 1970,
                month: 1,
                day: 2,
                hour: 0,
                minute: 0,
                second: 0,
                zone_minutes: 60
            }
            .to_unix(),
            86_400 - 3600
        );
    }

    #[test]
    fn framing_incomplete_and_literals() {
        let limits = Limits::default();
        assert_eq!(
            parse_command(b"a NOOP", &limits).unwrap(),
            (Parsed::Incomplete, 0)
        );
        assert_eq!(parse_command(b"", &limits).unwrap(), (Parsed::Incomplete, 0));
        assert_eq!(
            parse_command(b"a LOGIN {4}\r\n", &limits).unwrap(),
            (Parsed::NeedLiteral { size: 4 }, 0)
        );
        assert_eq!(
            parse_command(b"a LOGIN {4}\r\nus", &limits).unwrap(),
            (Parsed::Incomplete, 0)
        );
        assert_eq!(
            parse_command(b"a LOGIN {4+}\r\n", &limits).unwrap(),
            (Parsed::Incomplete, 0)
        );
        assert_eq!(
            parse_command(b"a LOGIN {4}\r\nuser", &limits).unwrap(),
            (Parsed::Incomplete, 0)
        );
        let (p, n) = parse_command(b"a LOGIN {4}\r\nuser pw\r\n", &limits).unwrap();
        assert_eq!(n, 22);
        assert!(matches!(p, Parsed::Command(_)));
    }

    #[test]
    fn pipelined() {
        let limits = Limits::default();
        let buf = b"a1 LOGIN u p\r\na2 SELECT INBOX\r\na3 FETCH 1 FLAGS\r\na4 NOO";
        let mut pos = 0;
        let mut tags = Vec::new();
        loop {
            match parse_command(&buf[pos..], &limits).unwrap() {
                (Parsed::Command(c), n) => {
                    tags.push(c.tag);
                    pos += n;
                }
                (Parsed::Incomplete, 0) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(tags, ["a1", "a2", "a3"]);
        assert_eq!(&buf[pos..], b"a4 NOO");
    }

    #[test]
    fn limits_enforced() {
        let limits = Limits {
            max_literal: 10,
            max_append_literal: 100,
            ..Limits::default()
        };
        assert_eq!(
            parse_command(b"t LOGIN {11}\r\n", &limits).unwrap_err(),
            ParseError::TooBig {
                tag: Some("t".into()),
                size: 11,
                non_sync: false,
                consumed: 14
            }
        );
        assert_eq!(
            parse_command(b"t LOGIN {11+}\r\nhello", &limits).unwrap_err(),
            ParseError::TooBig {
                tag: Some("t".into()),
                size: 11,
                non_sync: true,
                consumed: 15
            }
        );
        // APPEND literals have their own bound.
        assert_eq!(
            parse_command(b"t APPEND INBOX {50}\r\n", &limits).unwrap(),
            (Parsed::NeedLiteral { size: 50 }, 0)
        );
        assert!(matches!(
            parse_command(b"t APPEND INBOX {101}\r\n", &limits),
            Err(ParseError::TooBig { size: 101, .. })
        ));
        // LITERAL- (RFC 7888 §5): non-synchronising literals over 4096 octets are refused.
        let minus = Limits {
            max_nonsync_literal: 4096,
            ..Limits::default()
        };
        assert!(matches!(
            parse_command(b"t APPEND INBOX {4097+}\r\n", &minus),
            Err(ParseError::TooBig {
                size: 4097,
                non_sync: true,
                ..
            })
        ));
        assert_eq!(
            parse_command(b"t APPEND INBOX {4097}\r\n", &minus).unwrap(),
            (Parsed::NeedLiteral { size: 4097 }, 0)
        );
        // MULTIAPPEND literals do not add up toward max_command.
        let small = Limits {
            max_command: 100,
            max_literal: 100,
            ..Limits::default()
        };
        let mut multi = b"t APPEND INBOX".to_vec();
        for _ in 0..5 {
            multi.extend_from_slice(b" {80+}\r\n");
            multi.extend_from_slice(&[b'x'; 80]);
        }
        multi.extend_from_slice(b"\r\n");
        assert!(matches!(parse_command(&multi, &small), Ok((Parsed::Command(_), n)) if n == multi.len()));
        let capped = Limits {
            max_append_total: 200,
            ..small
        };
        assert!(matches!(
            parse_command(&multi, &capped),
            Err(ParseError::TooBig { size: 80, .. })
        ));
        // Huge sizes do not overflow.
        assert!(matches!(
            parse_command(b"t LOGIN {99999999999999999999999}\r\n", &limits),
            Err(ParseError::Bad { .. })
        ));
        // Line too long without CRLF.
        let long = vec![b'a'; 9000];
        let err = parse_command(&long, &Limits::default()).unwrap_err();
        assert!(matches!(err, ParseError::Bad { consumed: 9000, .. }));
        // Too many arguments.
        let small = Limits {
            max_args: 5,
            ..Limits::default()
        };
        assert!(parse_command(b"t FETCH 1,2,3,4,5,6 FLAGS\r\n", &small).is_err());
        // Command too long over several literals.
        let small = Limits {
            max_command: 40,
            ..Limits::default()
        };
        assert!(parse_command(b"t LOGIN {30}\r\n012345678901234567890123456789 x\r\n", &small).is_err());
    }

    #[test]
    fn depth_limit() {
        let limits = Limits {
            max_depth: 5,
            ..Limits::default()
        };
        let deep = format!("t SEARCH {}ALL{}\r\n", "(".repeat(10), ")".repeat(10));
        assert!(matches!(
            parse_command(deep.as_bytes(), &limits),
            Err(ParseError::Bad { .. })
        ));
        let nots = format!("t SEARCH {}ALL\r\n", "NOT ".repeat(10));
        assert!(matches!(
            parse_command(nots.as_bytes(), &limits),
            Err(ParseError::Bad { .. })
        ));
        let ok = format!("t SEARCH {}ALL{}\r\n", "(".repeat(3), ")".repeat(3));
        assert!(parse_command(ok.as_bytes(), &limits).is_ok());
        // A very deep input does not overflow the stack with the default limit.
        let huge = format!("t SEARCH {}ALL{}\r\n", "(".repeat(3000), ")".repeat(3000));
        assert!(parse_command(huge.as_bytes(), &Limits::default()).is_err());
    }

    #[test]
    fn errors_carry_tag() {
        let limits = Limits::default();
        match parse_command(b"x1 BOGUS\r\n", &limits) {
            Err(ParseError::Bad { tag, consumed, .. }) => {
                assert_eq!(tag.as_deref(), Some("x1"));
                assert_eq!(consumed, 10);
            }
            other => panic!("{other:?}"),
        }
        parse_bad("a SEARCH (ALL\r\n");
        parse_bad("a SEARCH ALL)\r\n");
        parse_bad("a FETCH 1 (FLAGS\r\n");
        match parse_command(b"+bad NOOP\r\n", &limits) {
            Err(ParseError::Bad { tag: None, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bare_lf_accepted() {
        assert_eq!(parse_one("a NOOP\n"), CommandKind::Noop);
    }
}
