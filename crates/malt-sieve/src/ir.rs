//! The compiled form of a Sieve script: what `compile` builds from the parse tree after checking
//! every command's arguments and every `require`, and what `run` interprets. Nothing here is
//! re-validated at run time except what only run time can know (a variable's value, a
//! regex built from a variable).
//!
//! Strings that may contain `${...}` (when `variables`, RFC 5229, is required) are kept as
//! [`Str`] templates, split once at compile time; `encoded-character` (RFC 5228 §2.4.2.4) is
//! already decoded in them.

use std::sync::Arc;

/// A compiled script.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The top-level commands, in order.
    pub commands: Vec<Command>,
    /// The extensions this script `require`s (RFC 5228 §3.2), checked against what the engine
    /// supports.
    pub extensions: Vec<Extension>,
    /// The script's name, for error messages ("vacation.sieve:12:3: ...").
    pub name: String,
}

/// A position in the script source, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One supported extension (the capability strings of RFC 5228 §3.2 and the RFCs named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Extension {
    /// `fileinto` (RFC 5228 §4.1).
    FileInto,
    /// `reject` (RFC 5429).
    Reject,
    /// `ereject` (RFC 5429).
    EReject,
    /// `envelope` (RFC 5228 §5.4).
    Envelope,
    /// `encoded-character` (RFC 5228 §2.4.2.4).
    EncodedCharacter,
    /// `comparator-i;octet` (always available, may be required).
    ComparatorOctet,
    /// `comparator-i;ascii-casemap` (always available, may be required).
    ComparatorAsciiCasemap,
    /// `comparator-i;ascii-numeric` (RFC 4790 §9.1; used with `relational`).
    ComparatorAsciiNumeric,
    /// `imap4flags` (RFC 5232).
    Imap4Flags,
    /// `variables` (RFC 5229).
    Variables,
    /// `relational` (RFC 5231).
    Relational,
    /// `subaddress` (RFC 5233).
    Subaddress,
    /// `body` (RFC 5173).
    Body,
    /// `vacation` (RFC 5230).
    Vacation,
    /// `vacation-seconds` (RFC 6131).
    VacationSeconds,
    /// `include` (RFC 6609).
    Include,
    /// `date` (RFC 5260).
    Date,
    /// `index` (RFC 5260).
    Index,
    /// `regex` (draft-ietf-sieve-regex-01).
    Regex,
    /// `editheader` (RFC 5293).
    EditHeader,
    /// `duplicate` (RFC 7352).
    Duplicate,
    /// `mime` (RFC 5703).
    Mime,
    /// `foreverypart` (RFC 5703).
    ForEveryPart,
    /// `extracttext` (RFC 5703 §7).
    ExtractText,
    /// `environment` (RFC 5183).
    Environment,
    /// `enotify` (RFC 5435), with the `mailto` method (RFC 5436).
    ENotify,
    /// `spamtest` (RFC 5235).
    SpamTest,
    /// `spamtestplus` (RFC 5235).
    SpamTestPlus,
    /// `virustest` (RFC 5235).
    VirusTest,
    /// `ihave` (RFC 5463).
    Ihave,
    /// `copy` (RFC 3894).
    Copy,
    /// `mailbox` (RFC 5490: `fileinto :create`, `mailboxexists`).
    Mailbox,
    /// `special-use` (RFC 8579).
    SpecialUse,
}

impl Extension {
    /// Every supported extension with its capability string, in the order the
    /// ManageSieve `SIEVE` capability lists them.
    pub const ALL: &'static [(Extension, &'static str)] = &[
        (Extension::FileInto, "fileinto"),
        (Extension::Reject, "reject"),
        (Extension::EReject, "ereject"),
        (Extension::Envelope, "envelope"),
        (Extension::EncodedCharacter, "encoded-character"),
        (Extension::ComparatorOctet, "comparator-i;octet"),
        (Extension::ComparatorAsciiCasemap, "comparator-i;ascii-casemap"),
        (Extension::ComparatorAsciiNumeric, "comparator-i;ascii-numeric"),
        (Extension::Imap4Flags, "imap4flags"),
        (Extension::Variables, "variables"),
        (Extension::Relational, "relational"),
        (Extension::Subaddress, "subaddress"),
        (Extension::Body, "body"),
        (Extension::Vacation, "vacation"),
        (Extension::VacationSeconds, "vacation-seconds"),
        (Extension::Include, "include"),
        (Extension::Date, "date"),
        (Extension::Index, "index"),
        (Extension::Regex, "regex"),
        (Extension::EditHeader, "editheader"),
        (Extension::Duplicate, "duplicate"),
        (Extension::Mime, "mime"),
        (Extension::ForEveryPart, "foreverypart"),
        (Extension::ExtractText, "extracttext"),
        (Extension::Environment, "environment"),
        (Extension::ENotify, "enotify"),
        (Extension::SpamTest, "spamtest"),
        (Extension::SpamTestPlus, "spamtestplus"),
        (Extension::VirusTest, "virustest"),
        (Extension::Ihave, "ihave"),
        (Extension::Copy, "copy"),
        (Extension::Mailbox, "mailbox"),
        (Extension::SpecialUse, "special-use"),
    ];

    /// The extension a capability string names, if supported.
    pub fn from_capability(name: &str) -> Option<Extension> {
        Extension::ALL.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
    }

    /// The capability string.
    pub fn capability(self) -> &'static str {
        Extension::ALL
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("", |(_, n)| n)
    }
}

/// A string argument: literal text, or a template with variable references (RFC 5229 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Str {
    /// No `${...}` in it (or `variables` not required): used as is.
    Literal(String),
    /// Pieces expanded at run time, concatenated.
    Template(Vec<StrPart>),
}

/// A piece of a [`Str::Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrPart {
    Text(String),
    /// `${name}` / `${namespace.name}`, lowercased (variable names are case-insensitive).
    Variable(String),
    /// `${0}` .. `${9}`: a match variable (RFC 5229 §3.2).
    Match(usize),
}

/// A string list argument (a single string is a one-element list).
pub type StringList = Vec<Str>;

/// A command with its source position.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub kind: CommandKind,
    pub pos: Position,
}

/// Every command of RFC 5228 and the supported extensions.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `if`/`elsif`/`else` (RFC 5228 §3.1): the first branch whose test is true runs.
    If {
        branches: Vec<(Test, Vec<Command>)>,
        otherwise: Option<Vec<Command>>,
    },
    /// `stop` (RFC 5228 §3.3).
    Stop,
    /// `keep` (RFC 5228 §4.3), with `:flags` (RFC 5232 §5).
    Keep { flags: Option<StringList> },
    /// `discard` (RFC 5228 §4.4).
    Discard,
    /// `fileinto` (RFC 5228 §4.1) with `:copy` (RFC 3894), `:create` (RFC 5490 §3.2),
    /// `:flags` (RFC 5232), `:specialuse` (RFC 8579).
    FileInto {
        mailbox: Str,
        flags: Option<StringList>,
        copy: bool,
        create: bool,
        special_use: Option<Str>,
    },
    /// `redirect` (RFC 5228 §4.2), with `:copy` (RFC 3894).
    Redirect { address: Str, copy: bool },
    /// `reject` / `ereject` (RFC 5429).
    Reject { reason: Str, extended: bool },
    /// `vacation` (RFC 5230, RFC 6131).
    Vacation(Box<Vacation>),
    /// `notify` (RFC 5435).
    Notify(Box<Notify>),
    /// `setflag` / `addflag` / `removeflag` (RFC 5232 §3), on the internal variable when
    /// `variable` is `None`.
    Flags {
        op: FlagOp,
        variable: Option<String>,
        flags: StringList,
    },
    /// `set` (RFC 5229 §4), modifiers in the order to apply (highest precedence first, §4.1).
    Set {
        name: String,
        value: Str,
        modifiers: Vec<Modifier>,
    },
    /// `include` (RFC 6609 §3.2).
    Include {
        location: ScriptLocation,
        once: bool,
        optional: bool,
        name: Str,
    },
    /// `return` (RFC 6609 §3.3).
    Return,
    /// `global` (RFC 6609 §3.4): names of variables shared with including/included scripts.
    Global { names: Vec<String> },
    /// `addheader` (RFC 5293 §4).
    AddHeader { last: bool, name: Str, value: Str },
    /// `deleteheader` (RFC 5293 §5).
    DeleteHeader {
        index: Option<Index>,
        spec: MatchSpec,
        name: Str,
        values: Option<StringList>,
    },
    /// `foreverypart` (RFC 5703 §3).
    ForEveryPart {
        name: Option<String>,
        body: Vec<Command>,
    },
    /// `break` (RFC 5703 §3.2).
    Break { name: Option<String> },
    /// `extracttext` (RFC 5703 §7).
    ExtractText {
        first: Option<u64>,
        modifiers: Vec<Modifier>,
        variable: String,
    },
    /// `error` (RFC 5463 §5): ends the run with a run-time error carrying this message.
    Error { message: Str },
}

/// `vacation` arguments (RFC 5230 §4, RFC 6131 §2).
#[derive(Debug, Clone, PartialEq)]
pub struct Vacation {
    /// `:days` converted to seconds, or `:seconds`; `None`: the server default.
    pub period_seconds: Option<u64>,
    pub subject: Option<Str>,
    pub from: Option<Str>,
    pub addresses: StringList,
    pub mime: bool,
    pub handle: Option<Str>,
    pub reason: Str,
}

/// `notify` arguments (RFC 5435 §3).
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    pub from: Option<Str>,
    pub importance: Option<Str>,
    pub options: StringList,
    pub message: Option<Str>,
    pub method: Str,
}

/// The imap4flags operations (RFC 5232 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Set,
    Add,
    Remove,
}

/// `set` / `extracttext` modifiers (RFC 5229 §4.1, RFC 5435 §7 `:encodeurl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Modifier {
    Lower,
    Upper,
    LowerFirst,
    UpperFirst,
    QuoteWildcard,
    QuoteRegex,
    EncodeUrl,
    Length,
}

/// `include` locations (RFC 6609 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptLocation {
    /// `:personal` (the default): the user's own scripts.
    Personal,
    /// `:global`: the administrator's scripts.
    Global,
}

/// Comparator (RFC 5228 §2.7.3, RFC 4790).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comparator {
    /// `i;octet`.
    Octet,
    /// `i;ascii-casemap` (the default, RFC 5228 §2.7.3).
    #[default]
    AsciiCasemap,
    /// `i;ascii-numeric` (RFC 4790 §9.1).
    AsciiNumeric,
}

/// Relational operators (RFC 5231 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

/// Match type (RFC 5228 §2.7.1, RFC 5231, regex draft).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MatchType {
    #[default]
    Is,
    Contains,
    Matches,
    /// `:regex`; with literal keys the compiled pattern is cached by the interpreter.
    Regex,
    /// `:value "op"` (RFC 5231 §4.1).
    Value(RelOp),
    /// `:count "op"` (RFC 5231 §4.2).
    Count(RelOp),
}

/// Comparator plus match type, as every matching test carries them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatchSpec {
    pub comparator: Comparator,
    pub match_type: MatchType,
}

/// Address part (RFC 5228 §2.7.4, RFC 5233 `:user`/`:detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPart {
    #[default]
    All,
    LocalPart,
    Domain,
    User,
    Detail,
}

/// `:index N [:last]` (RFC 5260 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// 1-based.
    pub n: u64,
    pub last: bool,
}

/// `:mime` options of `header`/`address`/`exists` (RFC 5703 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimeOpts {
    /// `:anychild`: all parts below the current one, not only the current part.
    pub any_child: bool,
    pub option: MimeOption,
}

/// What `:mime` extracts (RFC 5703 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MimeOption {
    /// The whole header value (`:mime` alone).
    Value,
    /// `:type`
    Type,
    /// `:subtype`
    Subtype,
    /// `:contenttype`
    ContentType,
    /// `:param [names]`
    Param(StringList),
}

/// `body` transforms (RFC 5173 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyTransform {
    Raw,
    /// `:content [types]`
    Content(StringList),
    /// `:text` (the default).
    Text,
}

/// `date`/`currentdate` zone (RFC 5260 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// Neither given: the local zone of the server (`currentdate`) or UTC.
    Local,
    /// `:zone "+0100"`, in minutes east of UTC.
    Offset(i32),
    /// `:originalzone` (`date` only): the zone written in the header.
    Original,
}

/// Every test of RFC 5228 and the supported extensions.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `address` (RFC 5228 §5.1), `:index` (RFC 5260), `:mime` (RFC 5703).
    Address {
        spec: MatchSpec,
        part: AddressPart,
        index: Option<Index>,
        mime: Option<MimeOpts>,
        headers: StringList,
        keys: StringList,
    },
    /// `envelope` (RFC 5228 §5.4): parts `from`, `to` (lowercased at compile time).
    Envelope {
        spec: MatchSpec,
        part: AddressPart,
        parts: StringList,
        keys: StringList,
    },
    /// `header` (RFC 5228 §5.7).
    Header {
        spec: MatchSpec,
        index: Option<Index>,
        mime: Option<MimeOpts>,
        names: StringList,
        keys: StringList,
    },
    /// `exists` (RFC 5228 §5.5).
    Exists {
        mime: Option<MimeOpts>,
        names: StringList,
    },
    /// `size :over|:under` (RFC 5228 §5.9).
    Size {
        over: bool,
        limit: u64,
    },
    AllOf(Vec<Test>),
    AnyOf(Vec<Test>),
    Not(Box<Test>),
    True,
    False,
    /// `body` (RFC 5173).
    Body {
        spec: MatchSpec,
        transform: BodyTransform,
        keys: StringList,
    },
    /// `date` (RFC 5260 §4).
    Date {
        spec: MatchSpec,
        index: Option<Index>,
        zone: Zone,
        header: Str,
        part: Str,
        keys: StringList,
    },
    /// `currentdate` (RFC 5260 §5).
    CurrentDate {
        spec: MatchSpec,
        zone: Zone,
        part: Str,
        keys: StringList,
    },
    /// `string` (RFC 5229 §5).
    String {
        spec: MatchSpec,
        sources: StringList,
        keys: StringList,
    },
    /// `hasflag` (RFC 5232 §4).
    HasFlag {
        spec: MatchSpec,
        variables: Vec<String>,
        keys: StringList,
    },
    /// `environment` (RFC 5183).
    Environment {
        spec: MatchSpec,
        name: Str,
        keys: StringList,
    },
    /// `duplicate` (RFC 7352).
    Duplicate {
        handle: Option<Str>,
        /// `:header name` or `:uniqueid value`; neither: Message-ID.
        source: DuplicateSource,
        /// `:seconds`; `None`: the server default.
        seconds: Option<u64>,
        last: bool,
    },
    /// `spamtest` (RFC 5235 §3.2), `:percent` with spamtestplus.
    SpamTest {
        spec: MatchSpec,
        percent: bool,
        value: Str,
    },
    /// `virustest` (RFC 5235 §3.3).
    VirusTest {
        spec: MatchSpec,
        value: Str,
    },
    /// `mailboxexists` (RFC 5490 §3.1).
    MailboxExists {
        names: StringList,
    },
    /// `specialuse_exists` (RFC 8579 §4).
    SpecialUseExists {
        mailbox: Option<Str>,
        uses: StringList,
    },
    /// `valid_notify_method` (RFC 5435 §5).
    ValidNotifyMethod {
        uris: StringList,
    },
    /// `notify_method_capability` (RFC 5435 §6).
    NotifyMethodCapability {
        spec: MatchSpec,
        uri: Str,
        capability: Str,
        keys: StringList,
    },
    /// `ihave` (RFC 5463 §4): true when every capability is supported. When one is not,
    /// `compile` does not check the block the test guards (it may use commands this engine does
    /// not know, §4) and replaces it with an empty block.
    Ihave {
        capabilities: Vec<String>,
    },
}

/// Where `duplicate` takes its unique id from (RFC 7352 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuplicateSource {
    MessageId,
    Header(Str),
    UniqueId(Str),
}

/// A compiled script shared between runs and threads.
pub type SharedScript = Arc<Script>;
