//! The ManageSieve codec (RFC 5804 §4): framing of commands with their literals, the command
//! grammar, and response writing. No I/O.
//!
//! # How a session uses it
//!
//! The session keeps a receive buffer and calls [`frame`] after each read:
//! - `Ok(Frame::Complete(n))`: the first `n` octets hold one whole command (its lines and
//!   literals); parse them with [`parse_command`] (or [`parse_sasl_response`] inside an
//!   AUTHENTICATE exchange), then drop them. More commands may follow (pipelining).
//! - `Ok(Frame::Incomplete { need })`: read until the buffer holds at least `need` octets. Inside
//!   a literal `need` is its end, so a large script is scanned once, not once per read.
//! - `Err(FrameError::LiteralTooBig { .. })`: answer `NO (QUOTA/MAXSIZE)`, drop the octets up to
//!   the literal, skip the literal's octets as they arrive (never buffered) and the rest of that
//!   line.
//! - `Err(FrameError::LineTooLong)`: answer `BYE` and close; the stream cannot be resynchronised.
//!
//! # Grammar (RFC 5804 §4)
//!
//! `command = command-name *(SP argument) CRLF`; command names are atoms, case-insensitive;
//! arguments are strings — `quoted` (at most [`MAX_QUOTED`] octets between the quotes, `\"` and
//! `\\` escapes, no CR, LF or NUL) or literals `{n+}` CRLF n-octets (the synchronising form `{n}`
//! is accepted the same way: ManageSieve has no continuation request) — and numbers (decimal,
//! below 2^32). Line ends may be CRLF or a bare LF. Names and scripts must be UTF-8.
//!
//! # Invariants
//!
//! - Nothing grows beyond [`Limits`]: a line (the octets between literals) is at most
//!   `max_line`, one literal at most `max_literal`, a command at most `max_args` arguments; a
//!   literal's size is checked before any of its octets is buffered.
//! - The grammar never panics and never recurses; every error is a [`ParseError`] that says what
//!   is wrong, answered with `NO` (ManageSieve has no `BAD`, RFC 5804 §1.3).

use std::fmt;

/// Longest quoted string, in octets between the quotes (RFC 5804 §4: `*1024QUOTED-CHAR`).
pub const MAX_QUOTED: usize = 1024;

/// Bounds on what a client may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Octets of one line (outside literals), line end included.
    pub max_line: usize,
    /// Octets of one literal: the largest script accepted.
    pub max_literal: usize,
    /// Arguments of one command (no command takes more than two).
    pub max_args: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 8 * 1024,
            max_literal: 1 << 20,
            max_args: 4,
        }
    }
}

/// What [`frame`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// One whole command of this many octets.
    Complete(usize),
    /// Read until the buffer holds at least `need` octets.
    Incomplete { need: usize },
}

/// A command that cannot be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A line without its end within `max_line` octets. The session closes the connection.
    #[error("line too long")]
    LineTooLong,
    /// A literal announced larger than `max_literal`. `header_end` octets (through the literal's
    /// line end) are buffered; the `size` octets of the literal follow.
    #[error("literal of {size} octets is too large")]
    LiteralTooBig { size: u64, header_end: usize },
}

/// The literal announced at the end of `line` (line end already removed): `{n+}` or `{n}`.
fn literal_at_end(line: &[u8]) -> Option<u64> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let inner = body.get(open + 1..)?;
    let digits = inner.strip_suffix(b"+").unwrap_or(inner);
    parse_number(digits)
}

/// A decimal number of at most 20 digits that fits a `u64`.
fn parse_number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// `line` without its line end (CRLF or LF).
fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Finds the end of the first command in `buf`. See the module documentation.
pub fn frame(buf: &[u8], limits: &Limits) -> Result<Frame, FrameError> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            if rest.len() >= limits.max_line {
                return Err(FrameError::LineTooLong);
            }
            return Ok(Frame::Incomplete { need: buf.len() + 1 });
        };
        if lf >= limits.max_line {
            return Err(FrameError::LineTooLong);
        }
        let line_end = pos + lf + 1;
        let line = strip_eol(rest.get(..=lf).unwrap_or_default());
        let Some(size) = literal_at_end(line) else {
            return Ok(Frame::Complete(line_end));
        };
        let too_big = || FrameError::LiteralTooBig {
            size,
            header_end: line_end,
        };
        let size_usize = usize::try_from(size).map_err(|_| too_big())?;
        if size_usize > limits.max_literal {
            return Err(too_big());
        }
        let literal_end = line_end.checked_add(size_usize).ok_or_else(too_big)?;
        if buf.len() < literal_end {
            return Ok(Frame::Incomplete { need: literal_end });
        }
        pos = literal_end;
    }
}

/// Which command, without its arguments: what the state table ([`crate::state::allowed`]) is
/// about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    Authenticate,
    StartTls,
    Logout,
    Capability,
    HaveSpace,
    PutScript,
    ListScripts,
    SetActive,
    GetScript,
    DeleteScript,
    RenameScript,
    CheckScript,
    Noop,
    Unauthenticate,
}

impl CommandKind {
    /// Every command.
    pub const ALL: [CommandKind; 14] = [
        CommandKind::Authenticate,
        CommandKind::StartTls,
        CommandKind::Logout,
        CommandKind::Capability,
        CommandKind::HaveSpace,
        CommandKind::PutScript,
        CommandKind::ListScripts,
        CommandKind::SetActive,
        CommandKind::GetScript,
        CommandKind::DeleteScript,
        CommandKind::RenameScript,
        CommandKind::CheckScript,
        CommandKind::Noop,
        CommandKind::Unauthenticate,
    ];

    /// The command name, upper-case.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Authenticate => "AUTHENTICATE",
            CommandKind::StartTls => "STARTTLS",
            CommandKind::Logout => "LOGOUT",
            CommandKind::Capability => "CAPABILITY",
            CommandKind::HaveSpace => "HAVESPACE",
            CommandKind::PutScript => "PUTSCRIPT",
            CommandKind::ListScripts => "LISTSCRIPTS",
            CommandKind::SetActive => "SETACTIVE",
            CommandKind::GetScript => "GETSCRIPT",
            CommandKind::DeleteScript => "DELETESCRIPT",
            CommandKind::RenameScript => "RENAMESCRIPT",
            CommandKind::CheckScript => "CHECKSCRIPT",
            CommandKind::Noop => "NOOP",
            CommandKind::Unauthenticate => "UNAUTHENTICATE",
        }
    }

    /// The command named `name` (case-insensitive).
    pub fn parse(name: &[u8]) -> Option<CommandKind> {
        CommandKind::ALL
            .into_iter()
            .find(|k| k.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

/// One parsed command. The SASL initial response and scripts are left out of `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// RFC 5804 §2.1: a mechanism and an optional initial response (base64).
    Authenticate {
        mechanism: String,
        initial_response: Option<String>,
    },
    /// RFC 5804 §2.2.
    StartTls,
    /// RFC 5804 §2.3.
    Logout,
    /// RFC 5804 §2.4.
    Capability,
    /// RFC 5804 §2.5.
    HaveSpace { name: String, size: u64 },
    /// RFC 5804 §2.6.
    PutScript { name: String, script: String },
    /// RFC 5804 §2.7.
    ListScripts,
    /// RFC 5804 §2.8: the empty name deactivates.
    SetActive { name: String },
    /// RFC 5804 §2.9.
    GetScript { name: String },
    /// RFC 5804 §2.10.
    DeleteScript { name: String },
    /// RFC 5804 §2.11.
    RenameScript { from: String, to: String },
    /// RFC 5804 §2.12.
    CheckScript { script: String },
    /// RFC 5804 §2.13, with the tag echoed in `OK (TAG ...)`.
    Noop { tag: Option<String> },
    /// RFC 5804 §2.14.
    Unauthenticate,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Authenticate { mechanism, .. } => f
                .debug_struct("Authenticate")
                .field("mechanism", mechanism)
                .finish_non_exhaustive(),
            Command::HaveSpace { name, size } => f
                .debug_struct("HaveSpace")
                .field("name", name)
                .field("size", size)
                .finish(),
            Command::PutScript { name, script } => f
                .debug_struct("PutScript")
                .field("name", name)
                .field("octets", &script.len())
                .finish(),
            Command::SetActive { name } | Command::GetScript { name } | Command::DeleteScript { name } => {
                f.debug_struct(self.kind().name()).field("name", name).finish()
            }
            Command::RenameScript { from, to } => f
                .debug_struct("RenameScript")
                .field("from", from)
                .field("to", to)
                .finish(),
            Command::CheckScript { script } => f
                .debug_struct("CheckScript")
                .field("octets", &script.len())
                .finish(),
            Command::Noop { tag } => f.debug_struct("Noop").field("tag", tag).finish(),
            other => f.write_str(other.kind().name()),
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Authenticate { .. } => CommandKind::Authenticate,
            Command::StartTls => CommandKind::StartTls,
            Command::Logout => CommandKind::Logout,
            Command::Capability => CommandKind::Capability,
            Command::HaveSpace { .. } => CommandKind::HaveSpace,
            Command::PutScript { .. } => CommandKind::PutScript,
            Command::ListScripts => CommandKind::ListScripts,
            Command::SetActive { .. } => CommandKind::SetActive,
            Command::GetScript { .. } => CommandKind::GetScript,
            Command::DeleteScript { .. } => CommandKind::DeleteScript,
            Command::RenameScript { .. } => CommandKind::RenameScript,
            Command::CheckScript { .. } => CommandKind::CheckScript,
            Command::Noop { .. } => CommandKind::Noop,
            Command::Unauthenticate => CommandKind::Unauthenticate,
        }
    }
}

impl Command {
    /// The command as a client sends it, strings quoted or as literals: what [`parse_command`]
    /// reads back to the same command (the fuzz target and the property tests check it).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.kind().name().as_bytes().to_vec();
        let mut arg = |s: &str| {
            out.push(b' ');
            push_string(&mut out, s.as_bytes());
        };
        match self {
            Command::Authenticate {
                mechanism,
                initial_response,
            } => {
                arg(mechanism);
                if let Some(ir) = initial_response {
                    arg(ir);
                }
            }
            Command::HaveSpace { name, .. }
            | Command::SetActive { name }
            | Command::GetScript { name }
            | Command::DeleteScript { name } => arg(name),
            Command::PutScript { name, script } => {
                arg(name);
                arg(script);
            }
            Command::RenameScript { from, to } => {
                arg(from);
                arg(to);
            }
            Command::CheckScript { script } => arg(script),
            Command::Noop { tag: Some(tag) } => arg(tag),
            Command::Noop { tag: None }
            | Command::StartTls
            | Command::Logout
            | Command::Capability
            | Command::ListScripts
            | Command::Unauthenticate => {}
        }
        if let Command::HaveSpace { size, .. } = self {
            out.extend_from_slice(format!(" {size}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Why a framed command was refused. Answered with `NO` and counted as a bad command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty command")]
    Empty,
    /// Not a ManageSieve command Malt knows.
    #[error("unknown command")]
    Unknown,
    /// A known command with the wrong arguments, or malformed syntax.
    #[error("{0}")]
    Syntax(&'static str),
}

/// One argument as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    /// A quoted string or a literal.
    Str(Vec<u8>),
    /// Digits.
    Number(u64),
}

/// Reads the arguments of a framed command (or of a SASL response line).
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Whether only the final line end is left.
    fn at_end(&self) -> bool {
        matches!(self.buf.get(self.pos..), Some(b"\r\n" | b"\n" | b""))
    }

    /// Skips spaces; false if there were none.
    fn spaces(&mut self) -> bool {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos > start
    }

    /// A run of atom characters (letters for command names).
    fn atom(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            self.pos += 1;
        }
        self.buf.get(start..self.pos).unwrap_or_default()
    }

    fn arg(&mut self) -> Result<Arg, ParseError> {
        match self.peek() {
            Some(b'"') => self.quoted().map(Arg::Str),
            Some(b'{') => self.literal().map(Arg::Str),
            Some(b) if b.is_ascii_digit() => {
                let digits = self.atom();
                if !digits.iter().all(u8::is_ascii_digit) {
                    return Err(ParseError::Syntax("a number has only digits"));
                }
                parse_number(digits)
                    .filter(|&n| n <= u64::from(u32::MAX))
                    .map(Arg::Number)
                    .ok_or(ParseError::Syntax("number out of range (0 to 4294967295)"))
            }
            _ => Err(ParseError::Syntax(
                "expected a string (quoted or literal) or a number",
            )),
        }
    }

    /// `"..."` with `\"` and `\\` escapes (RFC 5804 §4 `quoted`).
    fn quoted(&mut self) -> Result<Vec<u8>, ParseError> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = self
                .peek()
                .ok_or(ParseError::Syntax("unterminated quoted string"))?;
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => match self.peek() {
                    Some(e @ (b'"' | b'\\')) => {
                        self.pos += 1;
                        out.push(e);
                    }
                    _ => return Err(ParseError::Syntax("only \\\" and \\\\ may be escaped")),
                },
                b'\r' | b'\n' | 0 => {
                    return Err(ParseError::Syntax(
                        "CR, LF and NUL are not allowed in a quoted string; use a literal",
                    ));
                }
                other => out.push(other),
            }
            if out.len() > MAX_QUOTED {
                return Err(ParseError::Syntax(
                    "quoted string longer than 1024 octets; use a literal",
                ));
            }
        }
    }

    /// `{n+}` CRLF n-octets (or `{n}`); the framer checked the size and that the octets are there.
    fn literal(&mut self) -> Result<Vec<u8>, ParseError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let lf = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(ParseError::Syntax("malformed literal"))?;
        let header = strip_eol(rest.get(..=lf).unwrap_or_default());
        let size = header
            .strip_prefix(b"{")
            .and_then(|h| h.strip_suffix(b"}"))
            .and_then(|digits| parse_number(digits.strip_suffix(b"+").unwrap_or(digits)))
            .ok_or(ParseError::Syntax(
                "malformed literal: expected {n+} and a line end",
            ))?;
        let start = self.pos + lf + 1;
        let end = usize::try_from(size)
            .ok()
            .and_then(|n| start.checked_add(n))
            .ok_or(ParseError::Syntax("malformed literal"))?;
        let data = self
            .buf
            .get(start..end)
            .ok_or(ParseError::Syntax("literal shorter than announced"))?;
        self.pos = end;
        Ok(data.to_vec())
    }

    /// The arguments up to the final line end, each preceded by spaces.
    fn args(&mut self, max: usize) -> Result<Vec<Arg>, ParseError> {
        let mut args = Vec::new();
        while !self.at_end() {
            if !self.spaces() {
                return Err(ParseError::Syntax("expected a space between arguments"));
            }
            if self.at_end() {
                break;
            }
            if args.len() == max {
                return Err(ParseError::Syntax("too many arguments"));
            }
            args.push(self.arg()?);
        }
        Ok(args)
    }
}

/// A string argument as UTF-8 text.
fn text(bytes: Vec<u8>) -> Result<String, ParseError> {
    String::from_utf8(bytes).map_err(|_| ParseError::Syntax("strings must be UTF-8"))
}

/// Parses one framed command (what [`frame`] delimited).
pub fn parse_command(command: &[u8], limits: &Limits) -> Result<Command, ParseError> {
    let mut c = Cursor { buf: command, pos: 0 };
    c.spaces();
    if c.at_end() {
        return Err(ParseError::Empty);
    }
    let kind = CommandKind::parse(c.atom()).ok_or(ParseError::Unknown)?;
    if !(c.at_end() || c.peek() == Some(b' ')) {
        return Err(ParseError::Unknown);
    }
    let args = c.args(limits.max_args)?;
    command_with(kind, args)
}

/// Builds `kind` from its arguments, checking their number and types.
fn command_with(kind: CommandKind, args: Vec<Arg>) -> Result<Command, ParseError> {
    use CommandKind as K;
    let mut it = args.into_iter();
    let (a, b, extra) = (it.next(), it.next(), it.next());
    if extra.is_some() {
        return Err(ParseError::Syntax("too many arguments"));
    }
    let one_string = "expects one string";
    let cmd = match (kind, a, b) {
        (K::StartTls, None, None) => Command::StartTls,
        (K::Logout, None, None) => Command::Logout,
        (K::Capability, None, None) => Command::Capability,
        (K::ListScripts, None, None) => Command::ListScripts,
        (K::Unauthenticate, None, None) => Command::Unauthenticate,
        (K::StartTls | K::Logout | K::Capability | K::ListScripts | K::Unauthenticate, _, _) => {
            return Err(ParseError::Syntax("takes no arguments"));
        }
        (K::Noop, None, None) => Command::Noop { tag: None },
        (K::Noop, Some(Arg::Str(tag)), None) => Command::Noop {
            tag: Some(text(tag)?),
        },
        (K::Noop, _, _) => return Err(ParseError::Syntax("takes at most one string")),
        (K::Authenticate, Some(Arg::Str(m)), ir) => Command::Authenticate {
            mechanism: text(m)?,
            initial_response: match ir {
                None => None,
                Some(Arg::Str(ir)) => Some(text(ir)?),
                Some(Arg::Number(_)) => return Err(ParseError::Syntax("the initial response is a string")),
            },
        },
        (K::Authenticate, _, _) => {
            return Err(ParseError::Syntax(
                "expects a mechanism name and an optional initial response, as strings",
            ));
        }
        (K::HaveSpace, Some(Arg::Str(name)), Some(Arg::Number(size))) => Command::HaveSpace {
            name: text(name)?,
            size,
        },
        (K::HaveSpace, _, _) => return Err(ParseError::Syntax("expects a script name and a size")),
        (K::PutScript, Some(Arg::Str(name)), Some(Arg::Str(script))) => Command::PutScript {
            name: text(name)?,
            script: text(script)?,
        },
        (K::PutScript, _, _) => return Err(ParseError::Syntax("expects a script name and a script")),
        (K::RenameScript, Some(Arg::Str(from)), Some(Arg::Str(to))) => Command::RenameScript {
            from: text(from)?,
            to: text(to)?,
        },
        (K::RenameScript, _, _) => return Err(ParseError::Syntax("expects the old and the new name")),
        (K::SetActive, Some(Arg::Str(name)), None) => Command::SetActive { name: text(name)? },
        (K::GetScript, Some(Arg::Str(name)), None) => Command::GetScript { name: text(name)? },
        (K::DeleteScript, Some(Arg::Str(name)), None) => Command::DeleteScript { name: text(name)? },
        (K::CheckScript, Some(Arg::Str(script)), None) => Command::CheckScript {
            script: text(script)?,
        },
        (K::SetActive | K::GetScript | K::DeleteScript | K::CheckScript, _, _) => {
            return Err(ParseError::Syntax(one_string));
        }
    };
    Ok(cmd)
}

/// A client's answer to a SASL challenge (RFC 5804 §2.1).
#[derive(Clone, PartialEq, Eq)]
pub enum SaslResponse {
    /// The base64 text.
    Data(String),
    /// `"*"`: the client gives up.
    Cancel,
}

impl fmt::Debug for SaslResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaslResponse::Data(_) => f.write_str("Data(<redacted>)"),
            SaslResponse::Cancel => f.write_str("Cancel"),
        }
    }
}

/// Parses a framed SASL response: one string (quoted or literal) and the line end.
pub fn parse_sasl_response(line: &[u8]) -> Result<SaslResponse, ParseError> {
    let mut c = Cursor { buf: line, pos: 0 };
    let data = match c.arg()? {
        Arg::Str(data) => text(data)?,
        Arg::Number(_) => return Err(ParseError::Syntax("expected a string")),
    };
    if !c.at_end() {
        return Err(ParseError::Syntax("expected one string"));
    }
    Ok(if data == "*" {
        SaslResponse::Cancel
    } else {
        SaslResponse::Data(data)
    })
}

// ---- Responses ------------------------------------------------------------------------------

/// Response codes (RFC 5804 §1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// The mechanism needs an encrypted connection.
    EncryptNeeded,
    /// Over the quota (RFC 5804 §1.3 `QUOTA`), or one of its refinements.
    Quota,
    QuotaMaxScripts,
    QuotaMaxSize,
    /// A temporary failure: try again later.
    TryLater,
    /// The script is active (DELETESCRIPT).
    Active,
    /// No such script.
    Nonexistent,
    /// The name is taken (RENAMESCRIPT).
    AlreadyExists,
    /// The script was stored, with warnings (RFC 5804 §2.6).
    Warnings,
    /// The NOOP tag echoed (RFC 5804 §2.13).
    Tag(String),
}

impl Code {
    fn write(&self, out: &mut Vec<u8>) {
        let name: &[u8] = match self {
            Code::EncryptNeeded => b"ENCRYPT-NEEDED",
            Code::Quota => b"QUOTA",
            Code::QuotaMaxScripts => b"QUOTA/MAXSCRIPTS",
            Code::QuotaMaxSize => b"QUOTA/MAXSIZE",
            Code::TryLater => b"TRYLATER",
            Code::Active => b"ACTIVE",
            Code::Nonexistent => b"NONEXISTENT",
            Code::AlreadyExists => b"ALREADYEXISTS",
            Code::Warnings => b"WARNINGS",
            Code::Tag(tag) => {
                out.extend_from_slice(b"TAG ");
                push_string(out, tag.as_bytes());
                return;
            }
        };
        out.extend_from_slice(name);
    }
}

/// `OK [(code)] "text"`.
pub fn ok(code: Option<&Code>, text: &str) -> Vec<u8> {
    status("OK", code, text)
}

/// `NO [(code)] "text"`.
pub fn no(code: Option<&Code>, text: &str) -> Vec<u8> {
    status("NO", code, text)
}

/// `BYE [(code)] "text"`: the server closes the connection after it.
pub fn bye(code: Option<&Code>, text: &str) -> Vec<u8> {
    status("BYE", code, text)
}

fn status(word: &str, code: Option<&Code>, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(word.len() + text.len() + 24);
    out.extend_from_slice(word.as_bytes());
    if let Some(code) = code {
        out.extend_from_slice(b" (");
        code.write(&mut out);
        out.push(b')');
    }
    if !text.is_empty() {
        out.push(b' ');
        push_string(&mut out, text.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends `s` as a quoted string when it can be one (at most [`MAX_QUOTED`] octets, no CR, LF
/// or NUL), else as a literal `{n}` CRLF octets (RFC 5804 §4 `literal-s2c`).
pub fn push_string(out: &mut Vec<u8>, s: &[u8]) {
    let quotable = s.len() <= MAX_QUOTED && !s.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0));
    if quotable {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        push_literal(out, s);
    }
}

/// Appends `s` as a literal `{n}` CRLF octets.
pub fn push_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// One capability line: `"NAME"` or `"NAME" "value"` (RFC 5804 §1.7).
pub fn capability(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
    push_string(out, name.as_bytes());
    if let Some(value) = value {
        out.push(b' ');
        push_string(out, value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    fn parse(input: &str) -> Result<Command, ParseError> {
        let limits = Limits::default();
        match frame(input.as_bytes(), &limits) {
            Ok(Frame::Complete(n)) => {
                assert_eq!(n, input.len(), "one command: {input:?}");
                parse_command(input.as_bytes(), &limits)
            }
            other => panic!("{input:?} did not frame: {other:?}"),
        }
    }

    #[test]
    fn commands_table() {
        let s = |v: &str| v.to_owned();
        let ok = [
            ("CAPABILITY\r\n", Command::Capability),
            ("capability\n", Command::Capability),
            ("STARTTLS\r\n", Command::StartTls),
            ("LOGOUT  \r\n", Command::Logout),
            ("LISTSCRIPTS\r\n", Command::ListScripts),
            ("UNAUTHENTICATE\r\n", Command::Unauthenticate),
            ("NOOP\r\n", Command::Noop { tag: None }),
            (
                "NOOP \"STARTTLS-SYNC-42\"\r\n",
                Command::Noop {
                    tag: Some(s("STARTTLS-SYNC-42")),
                },
            ),
            (
                "AUTHENTICATE \"PLAIN\"\r\n",
                Command::Authenticate {
                    mechanism: s("PLAIN"),
                    initial_response: None,
                },
            ),
            (
                "Authenticate \"PLAIN\" {8+}\r\nAGEAYgBj\r\n",
                Command::Authenticate {
                    mechanism: s("PLAIN"),
                    initial_response: Some(s("AGEAYgBj")),
                },
            ),
            (
                "HAVESPACE \"myscript\" 999999\r\n",
                Command::HaveSpace {
                    name: s("myscript"),
                    size: 999_999,
                },
            ),
            (
                "HAVESPACE \"x\" 4294967295\r\n",
                Command::HaveSpace {
                    name: s("x"),
                    size: u64::from(u32::MAX),
                },
            ),
            (
                "PUTSCRIPT \"foo\" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n",
                Command::PutScript {
                    name: s("foo"),
                    script: s("#comment\r\nInvalidSieveCommand\r\n"),
                },
            ),
            (
                "PUTSCRIPT {4+}\r\na\"b\\ {6}\r\nkeep;\n\r\n",
                Command::PutScript {
                    name: s("a\"b\\"),
                    script: s("keep;\n"),
                },
            ),
            (
                "PUTSCRIPT \"q\\\"uo\\\\te\" \"keep;\"\r\n",
                Command::PutScript {
                    name: s("q\"uo\\te"),
                    script: s("keep;"),
                },
            ),
            (
                "PUTSCRIPT \"empty\" {0+}\r\n\r\n",
                Command::PutScript {
                    name: s("empty"),
                    script: s(""),
                },
            ),
            ("SETACTIVE \"\"\r\n", Command::SetActive { name: s("") }),
            (
                "SETACTIVE \"vacation\"\r\n",
                Command::SetActive { name: s("vacation") },
            ),
            ("GETSCRIPT \"Grüße\"\r\n", Command::GetScript { name: s("Grüße") }),
            (
                "DELETESCRIPT {3+}\r\nfoo\r\n",
                Command::DeleteScript { name: s("foo") },
            ),
            (
                "RENAMESCRIPT \"a\" \"b\"\r\n",
                Command::RenameScript {
                    from: s("a"),
                    to: s("b"),
                },
            ),
            (
                "CHECKSCRIPT {5+}\r\nkeep;\r\n",
                Command::CheckScript { script: s("keep;") },
            ),
        ];
        for (input, want) in ok {
            assert_eq!(parse(input), Ok(want), "{input:?}");
        }
        let bad = [
            ("\r\n", ParseError::Empty),
            ("   \r\n", ParseError::Empty),
            ("XYZZY\r\n", ParseError::Unknown),
            ("LOGIN \"a\" \"b\"\r\n", ParseError::Unknown),
            ("NOOP2\r\n", ParseError::Unknown),
            ("CAPABILITY \"x\"\r\n", ParseError::Syntax("takes no arguments")),
            ("NOOP 5\r\n", ParseError::Syntax("takes at most one string")),
            ("GETSCRIPT\r\n", ParseError::Syntax("expects one string")),
            (
                "GETSCRIPT foo\r\n",
                ParseError::Syntax("expected a string (quoted or literal) or a number"),
            ),
            (
                "GETSCRIPT \"a\" \"b\"\r\n",
                ParseError::Syntax("expects one string"),
            ),
            (
                "HAVESPACE \"a\" \"b\"\r\n",
                ParseError::Syntax("expects a script name and a size"),
            ),
            (
                "HAVESPACE \"a\" 4294967296\r\n",
                ParseError::Syntax("number out of range (0 to 4294967295)"),
            ),
            (
                "HAVESPACE \"a\" 12ab\r\n",
                ParseError::Syntax("a number has only digits"),
            ),
            (
                "PUTSCRIPT \"a\"\r\n",
                ParseError::Syntax("expects a script name and a script"),
            ),
            (
                "RENAMESCRIPT \"a\"\r\n",
                ParseError::Syntax("expects the old and the new name"),
            ),
            (
                "AUTHENTICATE\r\n",
                ParseError::Syntax("expects a mechanism name and an optional initial response, as strings"),
            ),
            (
                "AUTHENTICATE PLAIN\r\n",
                ParseError::Syntax("expected a string (quoted or literal) or a number"),
            ),
            (
                "GETSCRIPT \"abc\r\n",
                ParseError::Syntax("CR, LF and NUL are not allowed in a quoted string; use a literal"),
            ),
            (
                "GETSCRIPT \"a\\nb\"\r\n",
                ParseError::Syntax("only \\\" and \\\\ may be escaped"),
            ),
            (
                "GETSCRIPT \"a\"\"b\"\r\n",
                ParseError::Syntax("expected a space between arguments"),
            ),
            (
                "RENAMESCRIPT \"a\" \"b\" \"c\" \"d\" \"e\"\r\n",
                ParseError::Syntax("too many arguments"),
            ),
        ];
        for (input, want) in bad {
            let limits = Limits::default();
            let bytes = input.as_bytes();
            assert!(
                matches!(frame(bytes, &limits), Ok(Frame::Complete(_))),
                "{input:?}"
            );
            assert_eq!(parse_command(bytes, &limits), Err(want), "{input:?}");
        }
        assert_eq!(
            parse_command(b"GETSCRIPT {2+}\r\n\xff\xfe\r\n", &Limits::default()),
            Err(ParseError::Syntax("strings must be UTF-8"))
        );
        let long = format!("GETSCRIPT \"{}\"\r\n", "a".repeat(MAX_QUOTED + 1));
        assert_eq!(
            parse(&long),
            Err(ParseError::Syntax(
                "quoted string longer than 1024 octets; use a literal"
            ))
        );
        assert!(parse(&format!("GETSCRIPT \"{}\"\r\n", "a".repeat(MAX_QUOTED))).is_ok());
    }

    #[test]
    fn framing() {
        let limits = Limits {
            max_line: 64,
            max_literal: 100,
            max_args: 4,
        };
        // Incomplete line, then inside a literal: `need` is the literal's end.
        assert_eq!(frame(b"PUTSCRIPT", &limits), Ok(Frame::Incomplete { need: 10 }));
        let head = b"PUTSCRIPT \"a\" {10+}\r\nkeep";
        assert_eq!(
            frame(head, &limits),
            Ok(Frame::Incomplete {
                need: head.len() - 4 + 10
            })
        );
        // Two pipelined commands: the first is framed alone.
        let two = b"CHECKSCRIPT {5+}\r\nkeep;\r\nNOOP\r\n";
        assert_eq!(frame(two, &limits), Ok(Frame::Complete(two.len() - 6)));
        // A literal whose octets contain what looks like a literal header.
        let tricky = b"CHECKSCRIPT {5+}\r\n{99}\n\r\n";
        assert_eq!(frame(tricky, &limits), Ok(Frame::Complete(tricky.len())));
        assert!(parse_command(tricky, &limits).is_ok());
        // Limits.
        assert_eq!(frame(&[b'a'; 64], &limits), Err(FrameError::LineTooLong));
        let header = b"PUTSCRIPT \"a\" {101+}\r\n";
        assert_eq!(
            frame(header, &limits),
            Err(FrameError::LiteralTooBig {
                size: 101,
                header_end: header.len()
            })
        );
        let huge = b"PUTSCRIPT \"a\" {99999999999999999999999+}\r\n";
        assert_eq!(
            frame(huge, &limits),
            Ok(Frame::Complete(huge.len())),
            "not a number: no literal, the grammar refuses it"
        );
        assert!(parse_command(b"PUTSCRIPT \"a\" {99999999999999999999999+}\r\n", &limits).is_err());
    }

    #[test]
    fn sasl_responses() {
        assert_eq!(
            parse_sasl_response(b"\"AGEAYgBj\"\r\n"),
            Ok(SaslResponse::Data("AGEAYgBj".into()))
        );
        assert_eq!(
            parse_sasl_response(b"{8+}\r\nAGEAYgBj\r\n"),
            Ok(SaslResponse::Data("AGEAYgBj".into()))
        );
        assert_eq!(
            parse_sasl_response(b"\"\"\r\n"),
            Ok(SaslResponse::Data(String::new()))
        );
        assert_eq!(parse_sasl_response(b"\"*\"\r\n"), Ok(SaslResponse::Cancel));
        assert!(parse_sasl_response(b"AGEA\r\n").is_err());
        assert!(parse_sasl_response(b"\"a\" \"b\"\r\n").is_err());
        assert!(!format!("{:?}", SaslResponse::Data("secret".into())).contains("secret"));
    }

    #[test]
    fn debug_hides_secrets_and_scripts() {
        let c = parse("AUTHENTICATE \"PLAIN\" \"c2VjcmV0\"\r\n").unwrap();
        assert!(!format!("{c:?}").contains("c2VjcmV0"));
        let c = parse("PUTSCRIPT \"n\" \"secret plan\"\r\n").unwrap();
        assert!(!format!("{c:?}").contains("secret plan"));
    }

    #[test]
    fn responses() {
        assert_eq!(ok(None, "Done"), b"OK \"Done\"\r\n");
        assert_eq!(
            ok(Some(&Code::Tag("STARTTLS-SYNC-42".into())), "Done"),
            b"OK (TAG \"STARTTLS-SYNC-42\") \"Done\"\r\n"
        );
        assert_eq!(
            no(Some(&Code::QuotaMaxSize), "Quota exceeded"),
            b"NO (QUOTA/MAXSIZE) \"Quota exceeded\"\r\n"
        );
        assert_eq!(no(Some(&Code::Nonexistent), ""), b"NO (NONEXISTENT)\r\n");
        assert_eq!(
            no(None, "line 1: \"x\" \\ y"),
            b"NO \"line 1: \\\"x\\\" \\\\ y\"\r\n"
        );
        assert_eq!(
            no(None, "line 1: a\nline 2: b"),
            b"NO {19}\r\nline 1: a\nline 2: b\r\n"
        );
        assert_eq!(bye(Some(&Code::TryLater), "bye"), b"BYE (TRYLATER) \"bye\"\r\n");
        let mut out = Vec::new();
        capability(&mut out, "SIEVE", Some("fileinto vacation"));
        capability(&mut out, "STARTTLS", None);
        assert_eq!(out, b"\"SIEVE\" \"fileinto vacation\"\r\n\"STARTTLS\"\r\n");
        let mut out = Vec::new();
        push_string(&mut out, "x".repeat(MAX_QUOTED + 1).as_bytes());
        assert!(out.starts_with(b"{1025}\r\nxx"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let limits = Limits { max_line: 128, max_literal: 64, max_args: 4 };
            if let Ok(Frame::Complete(n)) = frame(&bytes, &limits) {
                if let Ok(cmd) = parse_command(&bytes[..n], &limits) {
                    let again = cmd.to_bytes();
                    prop_assert_eq!(parse_command(&again, &Limits::default()), Ok(cmd));
                }
                let _ = parse_sasl_response(&bytes[..n]);
            }
        }

        #[test]
        fn commands_round_trip(a in "\\PC{0,30}|[\r\n\"\\\\]{0,5}", b in "\\PC{0,30}", size in any::<u32>()) {
            let commands = [
                Command::Authenticate { mechanism: a.clone(), initial_response: Some(b.clone()) },
                Command::HaveSpace { name: a.clone(), size: u64::from(size) },
                Command::PutScript { name: a.clone(), script: b.clone() },
                Command::RenameScript { from: b.clone(), to: a.clone() },
                Command::CheckScript { script: a.clone() },
                Command::SetActive { name: a.clone() },
                Command::Noop { tag: Some(b.clone()) },
                Command::Noop { tag: None },
            ];
            let limits = Limits::default();
            for cmd in commands {
                let bytes = cmd.to_bytes();
                prop_assert_eq!(frame(&bytes, &limits), Ok(Frame::Complete(bytes.len())));
                prop_assert_eq!(parse_command(&bytes, &limits), Ok(cmd));
            }
        }

        #[test]
        fn strings_round_trip(s in "\\PC{0,40}", name in "[a-zA-Z0-9 \"\\\\]{1,20}") {
            // What the server writes as a string, its own parser reads back (quoted or literal).
            let mut cmd = b"PUTSCRIPT ".to_vec();
            push_string(&mut cmd, name.as_bytes());
            cmd.push(b' ');
            push_literal(&mut cmd, s.as_bytes());
            cmd.extend_from_slice(b"\r\n");
            let limits = Limits::default();
            prop_assert_eq!(frame(&cmd, &limits), Ok(Frame::Complete(cmd.len())));
            prop_assert_eq!(
                parse_command(&cmd, &limits),
                Ok(Command::PutScript { name: name.clone(), script: s.clone() })
            );
        }
    }
}
