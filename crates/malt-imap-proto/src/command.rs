//! The typed IMAP command: one `CommandKind` variant per command, carrying exactly its arguments.
//!
//! Invariants:
//! - Strings are decoded (quoting and literals removed). Mailbox names are given as the client sent
//!   them (modified UTF-7 or UTF-8, RFC 9051 §5.1 / RFC 6855), except that any case of `INBOX` is
//!   normalised to `INBOX` (RFC 9051 §5.1). The session decodes modified UTF-7 with
//!   [`crate::utf7::decode`] when UTF8=ACCEPT is not enabled.
//! - FETCH macros (ALL, FAST, FULL) are expanded to their items (RFC 9051 §6.4.5).
//! - A search program is one [`SearchKey`]; several top-level keys become [`SearchKey::And`].
//! - `UID` forms carry `uid: true` in the same variant as the plain form.

/// A parsed command: its tag and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub tag: String,
    pub kind: CommandKind,
}

/// A sequence number or UID in a sequence set; `*` is the largest one in use (RFC 9051 §9 seq-number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNum {
    Value(u32),
    Star,
}

/// `a:b` (or a single number when `start == end`). The order of the ends is as sent; `4:2` is `2:4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub start: SeqNum,
    pub end: SeqNum,
}

/// A sequence set (RFC 9051 §9 sequence-set), or `$`: the result saved by SEARCH RETURN (SAVE)
/// (RFC 5182).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceSet {
    /// Never empty.
    Ranges(Vec<SeqRange>),
    Saved,
}

/// A message flag (RFC 9051 §2.3.2). System flags are matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag {
    Seen,
    Answered,
    Flagged,
    Deleted,
    Draft,
    /// `\Recent` (IMAP4rev1 only; never stored by clients).
    Recent,
    /// Another `\Name` flag (flag-extension); holds the name without the backslash.
    Extension(String),
    /// A keyword (an atom), case as sent.
    Keyword(String),
}

/// RFC 9051 date-time: `"dd-Mon-yyyy hh:mm:ss +zzzz"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: u16,
    /// 1..=12
    pub month: u8,
    /// 1..=31
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from UTC in minutes (`+0130` is 90).
    pub zone_minutes: i16,
}

/// RFC 9051 date (SEARCH): `dd-Mon-yyyy`, optionally quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl DateTime {
    /// Seconds since the Unix epoch (UTC).
    pub fn to_unix(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
            - i64::from(self.zone_minutes) * 60
    }
}

impl Date {
    /// Seconds since the Unix epoch at 00:00 UTC of that day.
    pub fn to_unix(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * 86_400
    }
}

/// SELECT/EXAMINE arguments (RFC 9051 §6.3.2, RFC 7162 §3.1.8 CONDSTORE, §3.2.5 QRESYNC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectArgs {
    pub mailbox: String,
    pub condstore: bool,
    pub qresync: Option<QresyncParams>,
}

/// `QRESYNC (uidvalidity modseq [known-uids [(seq-match-seqs seq-match-uids)]])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QresyncParams {
    pub uidvalidity: u32,
    pub modseq: u64,
    pub known_uids: Option<SequenceSet>,
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// LIST selection options (RFC 5258 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSelect {
    Subscribed,
    Remote,
    RecursiveMatch,
    SpecialUse,
}

/// LIST return options (RFC 5258 §3, RFC 5819 STATUS, RFC 6154 SPECIAL-USE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListReturn {
    Subscribed,
    Children,
    SpecialUse,
    Status(Vec<StatusItem>),
}

/// LIST arguments. A basic LIST has no selection or return options and one pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListArgs {
    pub selection: Vec<ListSelect>,
    pub reference: String,
    /// At least one.
    pub patterns: Vec<String>,
    pub returns: Vec<ListReturn>,
}

/// STATUS data items (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC 7889, RFC 8474,
/// RFC 9208 DELETED-STORAGE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusItem {
    Messages,
    UidNext,
    UidValidity,
    Unseen,
    Deleted,
    Size,
    Recent,
    HighestModSeq,
    AppendLimit,
    MailboxId,
    /// RFC 9208 §4.2: octets (in units of 1024) that EXPUNGE would release.
    DeletedStorage,
}

/// One message of an APPEND (RFC 9051 §6.3.12; several with MULTIAPPEND, RFC 3502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    pub flags: Vec<Flag>,
    pub date: Option<DateTime>,
    pub data: Vec<u8>,
    /// Sent as a literal8 `~{n}` (RFC 3516): may contain NUL.
    pub binary: bool,
    /// Sent as `UTF8 (~{n})` (RFC 6855 §4).
    pub utf8: bool,
}

/// A body section spec (RFC 9051 §6.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Part numbers, each >= 1; empty for the whole message.
    pub part: Vec<u32>,
    pub text: Option<SectionText>,
}

/// The textual part of a section spec. `Mime` is only valid after a part number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionText {
    Header,
    /// Field names, as sent (never empty).
    HeaderFields(Vec<String>),
    HeaderFieldsNot(Vec<String>),
    Text,
    Mime,
}

/// `<offset.count>`.
pub type Partial = Option<(u64, u64)>;

/// FETCH data items (RFC 9051 §6.4.5 and extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttribute {
    Flags,
    Uid,
    InternalDate,
    Rfc822Size,
    Envelope,
    BodyStructure,
    /// `BODY` without a section: non-extensible BODYSTRUCTURE.
    Body,
    BodySection {
        peek: bool,
        section: Section,
        partial: Partial,
    },
    /// RFC 3516 `BINARY[part]`; `part` is the part number list.
    Binary {
        peek: bool,
        part: Vec<u32>,
        partial: Partial,
    },
    BinarySize {
        part: Vec<u32>,
    },
    Rfc822,
    Rfc822Header,
    Rfc822Text,
    /// RFC 7162.
    ModSeq,
    /// RFC 8970; `lazy` for `PREVIEW (LAZY)`.
    Preview {
        lazy: bool,
    },
    /// RFC 8474.
    EmailId,
    ThreadId,
    /// RFC 8514.
    SaveDate,
}

/// FETCH arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchArgs {
    pub set: SequenceSet,
    pub items: Vec<FetchAttribute>,
    /// `(CHANGEDSINCE n)` (RFC 7162 §3.1.4).
    pub changed_since: Option<u64>,
    /// `VANISHED` modifier (RFC 7162 §3.2.6, UID FETCH only).
    pub vanished: bool,
}

/// How STORE changes the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Replace,
    Add,
    Remove,
}

/// STORE arguments (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreArgs {
    pub set: SequenceSet,
    pub unchanged_since: Option<u64>,
    pub mode: StoreMode,
    pub silent: bool,
    pub flags: Vec<Flag>,
}

/// ESEARCH return options (RFC 9051 §6.4.4, RFC 5182 SAVE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReturn {
    Min,
    Max,
    All,
    Count,
    Save,
}

/// `MODSEQ` entry type (RFC 7162 §3.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    Private,
    Shared,
    All,
}

/// A search key (RFC 9051 §6.4.4 and extensions). Strings are UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    All,
    Answered,
    Bcc(String),
    Before(Date),
    Body(String),
    Cc(String),
    Deleted,
    Draft,
    Flagged,
    From(String),
    Header(String, String),
    Keyword(String),
    Larger(u64),
    New,
    Not(Box<SearchKey>),
    Old,
    On(Date),
    Or(Box<SearchKey>, Box<SearchKey>),
    Recent,
    Seen,
    SentBefore(Date),
    SentOn(Date),
    SentSince(Date),
    Since(Date),
    Smaller(u64),
    Subject(String),
    Text(String),
    To(String),
    Uid(SequenceSet),
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unkeyword(String),
    Unseen,
    SequenceSet(SequenceSet),
    /// A parenthesised list, or several top-level keys: all must match. At least two keys.
    And(Vec<SearchKey>),
    /// RFC 7162 §3.1.5: `MODSEQ ["entry" type] n`.
    ModSeq {
        entry: Option<(String, EntryType)>,
        modseq: u64,
    },
    /// RFC 8474.
    EmailId(String),
    ThreadId(String),
    /// RFC 8514.
    SavedBefore(Date),
    SavedOn(Date),
    SavedSince(Date),
    SaveDateSupported,
    /// RFC 5032 WITHIN.
    Older(u32),
    Younger(u32),
}

/// SEARCH arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchArgs {
    /// `RETURN (...)`: `Some` means an ESEARCH answer (an empty list means `ALL`).
    pub returns: Option<Vec<SearchReturn>>,
    pub charset: Option<String>,
    pub key: SearchKey,
}

/// SORT keys (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
    DisplayFrom,
    DisplayTo,
}

/// One sort criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortCriterion {
    pub reverse: bool,
    pub key: SortKey,
}

/// SORT arguments (RFC 5256; RETURN is RFC 5267 ESORT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortArgs {
    pub returns: Option<Vec<SearchReturn>>,
    /// At least one.
    pub criteria: Vec<SortCriterion>,
    pub charset: String,
    pub key: SearchKey,
}

/// THREAD algorithms (RFC 5256 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    OrderedSubject,
    References,
    /// Any other algorithm name, upper-cased; the server answers NO/BAD.
    Other(String),
}

/// THREAD arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadArgs {
    pub algorithm: ThreadAlgorithm,
    pub charset: String,
    pub key: SearchKey,
}

/// GETMETADATA `DEPTH` (RFC 5464 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataDepth {
    Zero,
    One,
    Infinity,
}

/// GETMETADATA options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetadataOptions {
    pub max_size: Option<u64>,
    pub depth: Option<MetadataDepth>,
}

/// NOTIFY mailbox filters (RFC 5465 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyFilter {
    Selected,
    SelectedDelayed,
    Inboxes,
    Personal,
    Subscribed,
    Subtree(Vec<String>),
    Mailboxes(Vec<String>),
}

/// NOTIFY events (RFC 5465 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyEvent {
    /// `MessageNew` with an optional fetch-att list.
    MessageNew(Vec<FetchAttribute>),
    MessageExpunge,
    FlagChange,
    AnnotationChange,
    MailboxName,
    SubscriptionChange,
    MailboxMetadataChange,
    ServerMetadataChange,
}

/// One `(filter events)` group; `events: None` is `NONE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyGroup {
    pub filter: NotifyFilter,
    pub events: Option<Vec<NotifyEvent>>,
}

/// `NOTIFY SET [STATUS] groups...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySet {
    pub status: bool,
    /// At least one.
    pub groups: Vec<NotifyGroup>,
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    Capability,
    Noop,
    Logout,
    StartTls,
    /// RFC 9051 §6.2.2, RFC 4959 SASL-IR: `initial` is `Some(vec![])` for `=`.
    Authenticate {
        mechanism: String,
        initial: Option<Vec<u8>>,
    },
    Login {
        username: String,
        password: String,
    },
    /// RFC 5161; capability names upper-cased.
    Enable {
        capabilities: Vec<String>,
    },
    Select(SelectArgs),
    Examine(SelectArgs),
    /// RFC 6154 CREATE-SPECIAL-USE: `USE (\Sent ...)`, names without the backslash.
    Create {
        mailbox: String,
        special_use: Vec<String>,
    },
    Delete {
        mailbox: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Subscribe {
        mailbox: String,
    },
    Unsubscribe {
        mailbox: String,
    },
    List(ListArgs),
    Lsub {
        reference: String,
        pattern: String,
    },
    Namespace,
    Status {
        mailbox: String,
        items: Vec<StatusItem>,
    },
    Append {
        mailbox: String,
        messages: Vec<AppendMessage>,
    },
    Idle,
    Check,
    Close,
    Unselect,
    Expunge,
    /// RFC 4315 `UID EXPUNGE set`.
    UidExpunge {
        set: SequenceSet,
    },
    Search {
        uid: bool,
        args: SearchArgs,
    },
    Fetch {
        uid: bool,
        args: FetchArgs,
    },
    Store {
        uid: bool,
        args: StoreArgs,
    },
    Copy {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
    Move {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
    Sort {
        uid: bool,
        args: SortArgs,
    },
    Thread {
        uid: bool,
        args: ThreadArgs,
    },
    GetQuota {
        root: String,
    },
    GetQuotaRoot {
        mailbox: String,
    },
    /// Resource names upper-cased.
    SetQuota {
        root: String,
        limits: Vec<(String, u64)>,
    },
    SetAcl {
        mailbox: String,
        identifier: String,
        rights: String,
    },
    DeleteAcl {
        mailbox: String,
        identifier: String,
    },
    GetAcl {
        mailbox: String,
    },
    ListRights {
        mailbox: String,
        identifier: String,
    },
    MyRights {
        mailbox: String,
    },
    /// `mailbox` is empty for server annotations (RFC 5464 §4.2).
    GetMetadata {
        options: MetadataOptions,
        mailbox: String,
        entries: Vec<String>,
    },
    /// A `None` value removes the entry.
    SetMetadata {
        mailbox: String,
        entries: Vec<(String, Option<Vec<u8>>)>,
    },
    /// `None` is `NOTIFY NONE`.
    Notify(Option<NotifySet>),
    /// RFC 4978; mechanism upper-cased.
    Compress {
        mechanism: String,
    },
    /// RFC 2971; `None` is `ID NIL`.
    Id(Option<Vec<(String, Option<String>)>>),
}

impl CommandKind {
    /// The command name as a client sends it (for logs and metrics).
    pub fn name(&self) -> &'static str {
        match self {
            CommandKind::Capability => "CAPABILITY",
            CommandKind::Noop => "NOOP",
            CommandKind::Logout => "LOGOUT",
            CommandKind::StartTls => "STARTTLS",
            CommandKind::Authenticate { .. } => "AUTHENTICATE",
            CommandKind::Login { .. } => "LOGIN",
            CommandKind::Enable { .. } => "ENABLE",
            CommandKind::Select(_) => "SELECT",
            CommandKind::Examine(_) => "EXAMINE",
            CommandKind::Create { .. } => "CREATE",
            CommandKind::Delete { .. } => "DELETE",
            CommandKind::Rename { .. } => "RENAME",
            CommandKind::Subscribe { .. } => "SUBSCRIBE",
            CommandKind::Unsubscribe { .. } => "UNSUBSCRIBE",
            CommandKind::List(_) => "LIST",
            CommandKind::Lsub { .. } => "LSUB",
            CommandKind::Namespace => "NAMESPACE",
            CommandKind::Status { .. } => "STATUS",
            CommandKind::Append { .. } => "APPEND",
            CommandKind::Idle => "IDLE",
            CommandKind::Check => "CHECK",
            CommandKind::Close => "CLOSE",
            CommandKind::Unselect => "UNSELECT",
            CommandKind::Expunge => "EXPUNGE",
            CommandKind::UidExpunge { .. } => "UID EXPUNGE",
            CommandKind::Search { .. } => "SEARCH",
            CommandKind::Fetch { .. } => "FETCH",
            CommandKind::Store { .. } => "STORE",
            CommandKind::Copy { .. } => "COPY",
            CommandKind::Move { .. } => "MOVE",
            CommandKind::Sort { .. } => "SORT",
            CommandKind::Thread { .. } => "THREAD",
            CommandKind::GetQuota { .. } => "GETQUOTA",
            CommandKind::GetQuotaRoot { .. } => "GETQUOTAROOT",
            CommandKind::SetQuota { .. } => "SETQUOTA",
            CommandKind::SetAcl { .. } => "SETACL",
            CommandKind::DeleteAcl { .. } => "DELETEACL",
            CommandKind::GetAcl { .. } => "GETACL",
            CommandKind::ListRights { .. } => "LISTRIGHTS",
            CommandKind::MyRights { .. } => "MYRIGHTS",
            CommandKind::GetMetadata { .. } => "GETMETADATA",
            CommandKind::SetMetadata { .. } => "SETMETADATA",
            CommandKind::Notify(_) => "NOTIFY",
            CommandKind::Compress { .. } => "COMPRESS",
            CommandKind::Id(_) => "ID",
        }
    }
}
