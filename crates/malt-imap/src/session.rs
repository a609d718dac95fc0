//! One IMAP session: the read-parse-run-write loop.
//!
//! Invariants:
//! - Commands run one at a time in the order received (PITFALLS 1): the receive buffer is parsed for the
//!   next command only after the previous one has been answered, so a pipelined `LOGIN`+`SELECT`+`FETCH`
//!   behaves exactly as if sent one by one.
//! - Literals stay in the buffer until their command is complete (`malt-imap-proto` framing); the
//!   continuation `+` for a synchronising literal is sent once per literal.
//! - Every read goes through [`SessionContext::wait_input`]: idle timeout and shutdown end the session
//!   with `* BYE`.
//! - After each command in the selected state the view is synchronised ([`sync`]) before the tagged
//!   response, with `EXPUNGE` suppressed after FETCH/STORE/SEARCH (RFC 9051 §7.5.1) and SORT/THREAD,
//!   which also answer with sequence numbers.
//! - The view keeps no per-message flags or modseqs (`crate::view`, docs/architecture.md): a sync
//!   reads the changes since the view's modseq and announces the flags they carry, except the
//!   session's own changes; commands read flags from the store through `crate::access::Viewer`.
//! - With NOTIFY active (RFC 5465) and no command in progress (nothing of the next one received), the
//!   loop waits on the socket and the change feed at once (`notify::wait`) and sends the events as
//!   they come; during a command they wait for its sync point.
//! - The deletion of the selected mailbox (by anyone) ends the session with `* BYE` at the next sync
//!   point (RFC 9051 §7.1.5); a rename keeps it selected.
//! - STARTTLS (RFC 9051 §6.2.1): plaintext pipelined after the command is never processed; the
//!   connection is closed if there is any.

use std::io;
use std::net::IpAddr;

use malt_core::{Authenticator, MailCore};
use malt_imap_proto::response::compress_ids;
use malt_imap_proto::{
    CommandKind, FetchItem, Limits, ParseError, Parsed, ResponseCode, ResponseWriter, Status, parse_command,
};
use malt_server::{Connection, SessionContext, Wait};
use malt_store::{ChangeKind, JournalEntry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;
use tracing::Instrument;

use crate::deflate::Deflate;
use crate::op;
use crate::state::{Group, State, allowed, group};
use crate::view::Update;

/// Octets of room made in the receive buffer before a socket read in the middle of a command.
const READ_SIZE: usize = 4096;
/// Octets of room made for the first read of a command (what an idle session holds).
const IDLE_READ_SIZE: usize = 512;

/// Receive-buffer capacity a session keeps between commands (see [`Io::release_spare`]).
const KEEP_BUFFER: usize = 16 * 1024;

/// Bad commands tolerated before the connection is closed.
pub const MAX_BAD_COMMANDS: u32 = 20;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    Close,
    StartTls,
    /// COMPRESS=DEFLATE starts right after the tagged OK (RFC 4978 §3).
    Compress,
}

/// The tagged completion of a command.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: Status,
    pub code: Option<ResponseCode>,
    pub text: String,
    pub next: Next,
}

impl Outcome {
    pub fn ok(text: impl Into<String>) -> Self {
        Outcome {
            status: Status::Ok,
            code: None,
            text: text.into(),
            next: Next::Continue,
        }
    }
    pub fn no(code: Option<ResponseCode>, text: impl Into<String>) -> Self {
        Outcome {
            status: Status::No,
            code,
            text: text.into(),
            next: Next::Continue,
        }
    }
    pub fn bad(text: impl Into<String>) -> Self {
        Outcome {
            status: Status::Bad,
            code: None,
            text: text.into(),
            next: Next::Continue,
        }
    }
    /// The connection is gone or closing after an untagged BYE: no tagged response.
    pub fn drop_connection() -> Self {
        Outcome {
            status: Status::Bye,
            code: None,
            text: String::new(),
            next: Next::Close,
        }
    }
    pub fn code(mut self, code: ResponseCode) -> Self {
        self.code = Some(code);
        self
    }
    pub fn next(mut self, next: Next) -> Self {
        self.next = next;
        self
    }
}

/// The connection and its receive buffer.
pub(crate) struct Io {
    pub conn: Connection,
    /// Received octets not yet consumed (inflated already when COMPRESS is active).
    pub buf: Vec<u8>,
    /// COMPRESS=DEFLATE (RFC 4978) once active; `None` before.
    pub deflate: Option<Box<Deflate>>,
}

/// When an incomplete command is worth parsing again. The parser re-reads the command from its
/// start, so parsing after every read would cost O(n²) for a command trickled in byte by byte;
/// a command can only complete at a line end or once an awaited literal is whole. Past
/// `max_line` bytes without a line end the parser is called anyway, so that it refuses the line
/// (the buffer never grows without bound).
#[derive(Debug, Clone, Copy)]
enum Resume {
    /// Wait for a line feed after `from`.
    Newline { from: usize },
    /// Wait until the buffer holds `until` bytes (the whole literal).
    Bytes { until: usize },
}

impl Resume {
    fn ready(self, buf: &[u8], max_line: usize) -> bool {
        match self {
            Resume::Newline { from } => {
                let new = buf.get(from..).unwrap_or_default();
                new.contains(&b'\n') || new.len() > max_line
            }
            Resume::Bytes { until } => buf.len() >= until,
        }
    }
}

/// One read from the client.
pub(crate) enum Input {
    Data,
    Closed,
    Idle,
    Shutdown,
}

impl Io {
    /// Reads more bytes into the buffer, under the idle timeout and shutdown.
    pub async fn fill(&mut self, ctx: &SessionContext) -> Input {
        match ctx.wait_input(self.read_more()).await {
            Wait::Ready(Ok(0) | Err(_)) => Input::Closed,
            Wait::Ready(Ok(_)) => Input::Data,
            Wait::Idle => Input::Idle,
            Wait::Shutdown => Input::Shutdown,
        }
    }

    /// Adds at least one octet to `buf` (0: the connection ended). With COMPRESS active the octets
    /// are inflated first, from input already received when there is some (RFC 4978 §3: commands
    /// pipelined after COMPRESS are compressed). Cancel-safe: the only await is the socket read.
    pub async fn read_more(&mut self) -> io::Result<usize> {
        let Some(z) = self.deflate.as_mut() else {
            // Mid-command, room for a good piece of a literal per read instead of `read_buf`'s
            // growth from a few octets; between commands (an idle session waits here) only what
            // an ordinary command line needs, so an idle session holds little.
            self.buf.reserve(if self.buf.is_empty() {
                IDLE_READ_SIZE
            } else {
                READ_SIZE
            });
            return self.conn.read_buf(&mut self.buf).await;
        };
        loop {
            let n = z.inflate(&mut self.buf)?;
            if n > 0 {
                return Ok(n);
            }
            // `read_buf` fills spare capacity only: at most READ_CHUNK compressed octets wait.
            z.pending.reserve(crate::deflate::READ_CHUNK);
            if self.conn.read_buf(&mut z.pending).await? == 0 {
                return Ok(0);
            }
        }
    }

    /// Turns COMPRESS=DEFLATE on (RFC 4978 §3): what is buffered already came compressed.
    pub fn start_deflate(&mut self) {
        let pending = std::mem::take(&mut self.buf);
        self.deflate = Some(Box::new(Deflate::new(pending)));
    }

    /// Takes one line (CRLF included) from the buffer, reading as needed; `Err` input when the
    /// connection ends first. Lines longer than `max` are an error (`Ok(None)`).
    pub async fn line(&mut self, ctx: &SessionContext, max: usize) -> Result<Option<Vec<u8>>, Input> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Ok((line.len() <= max).then_some(line));
            }
            if self.buf.len() > max {
                self.buf.clear();
                return Ok(None);
            }
            match self.fill(ctx).await {
                Input::Data => {}
                other => return Err(other),
            }
        }
    }

    /// After a big command (an APPEND literal of megabytes) the receive buffer keeps its capacity;
    /// an idle session must not (the per-session memory budget): give back what is above
    /// [`KEEP_BUFFER`] once the buffer holds less than that.
    /// Between commands an empty buffer is freed altogether: an idle session holds no receive
    /// buffer (the next read makes [`READ_SIZE`] of room again).
    pub fn release_spare(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        } else if self.buf.capacity() > KEEP_BUFFER && self.buf.len() <= KEEP_BUFFER / 2 {
            self.buf.shrink_to(KEEP_BUFFER / 2);
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self.deflate.as_mut() {
            Some(z) => {
                let packed = z.deflate(bytes)?;
                self.conn.write_all(&packed).await?;
            }
            None => self.conn.write_all(bytes).await?,
        }
        self.conn.flush().await
    }
}

/// Everything a session holds besides its connection.
pub(crate) struct Session {
    pub core: MailCore,
    pub auth: Authenticator,
    pub ctx: SessionContext,
    pub feed: broadcast::Receiver<JournalEntry>,
    pub state: State,
    pub remote: IpAddr,
    pub tls: bool,
    pub plaintext_ok: bool,
    /// ENABLE IMAP4rev2 (RFC 9051 §6.3.1): rev2 responses (no RECENT, no UNSEEN code...).
    pub rev2: bool,
    /// ENABLE UTF8=ACCEPT (RFC 6855).
    pub utf8: bool,
    /// CONDSTORE enabled (RFC 7162 §3.1): by ENABLE CONDSTORE/QRESYNC or any CONDSTORE-enabling
    /// command. Every FETCH response then carries MODSEQ.
    pub condstore: bool,
    /// ENABLE QRESYNC (RFC 7162 §3.2.3): expunges are reported as `VANISHED` (§3.2.10).
    pub qresync: bool,
    /// COMPRESS=DEFLATE is active (RFC 4978): a second COMPRESS is `NO [COMPRESSIONACTIVE]`.
    pub compressed: bool,
    pub out: ResponseWriter,
    pub limits: Limits,
    bad_commands: u32,
    /// NOTIFY SET in force (RFC 5465); `None` before any and after NOTIFY NONE.
    pub notify: Option<Box<crate::notify::Notify>>,
    /// The feed said the selected mailbox was deleted: the session ends with `* BYE` at its next
    /// sync point (RFC 9051 §7.1.5; Dovecot does the same).
    pub selected_deleted: bool,
    /// The feed said a mailbox of the account was renamed (maybe the selected one or a parent of it):
    /// the view takes its current name at the next sync (the mailbox id, the UIDs and UIDVALIDITY
    /// stay; it remains selected, as in Dovecot).
    pub selected_renamed: bool,
    /// The account whose mailboxes form the shared namespace `Shared/` (RFC 2342 §5), by address.
    pub shared_account: Option<String>,
    /// The owner and rights of the selected mailbox (RFC 4314); `Some` exactly while selected.
    pub access: Option<crate::access::Access>,
    /// The selected mailbox was deselected because the `r` right was withdrawn (RFC 4314 §4):
    /// selected-state commands are answered `NO [NOPERM]` until the next SELECT/EXAMINE.
    pub revoked: bool,
}

impl Session {
    fn refresh(&mut self, conn: &Connection) {
        self.remote = conn.remote.ip();
        self.tls = conn.is_tls();
        self.plaintext_ok = self.ctx.plaintext_auth_allowed(conn);
    }
}

/// Runs a session to its end.
pub(crate) async fn run(
    conn: Connection,
    ctx: SessionContext,
    core: MailCore,
    auth: Authenticator,
    feed: broadcast::Receiver<JournalEntry>,
    shared_account: Option<String>,
) {
    let mut s = Session {
        core,
        auth,
        remote: conn.remote.ip(),
        tls: conn.is_tls(),
        plaintext_ok: ctx.plaintext_auth_allowed(&conn),
        ctx,
        feed,
        state: State::NotAuthenticated,
        rev2: false,
        utf8: false,
        condstore: false,
        qresync: false,
        compressed: false,
        out: ResponseWriter::new(false),
        limits: Limits::default(),
        bad_commands: 0,
        notify: None,
        selected_deleted: false,
        selected_renamed: false,
        shared_account,
        access: None,
        revoked: false,
    };
    // APPEND literals are bounded by the largest message the core accepts (RFC 7889 APPENDLIMIT).
    s.limits.max_append_literal = s.core.settings().max_message_size;
    s.limits.max_append_total = s.limits.max_append_total.max(s.limits.max_append_literal);
    let mut io = Io {
        conn,
        buf: Vec::new(),
        deflate: None,
    };
    // One expression: nothing of the greeting outlives it (a local would live as long as the session).
    s.out.untagged(
        Status::Ok,
        Some(&ResponseCode::Capability(op::capability::list(&s))),
        "Malt ready",
    );
    if io.send(&s.out.take()).await.is_err() {
        return;
    }
    // The buffer length at which `+` was last sent for a literal: at most once per literal.
    let mut continued_at: Option<usize> = None;
    // What must arrive before parsing again is worth it (see `Resume`).
    let mut resume: Option<Resume> = None;
    loop {
        let ready = resume.is_none_or(|r| r.ready(&io.buf, s.limits.max_line));
        // Only a complete command (or an error) is acted on without reading more first.
        let parsed = if ready {
            Some(parse_command(&io.buf, &s.limits))
        } else {
            None
        };
        let (next, read_more) = match parsed {
            None => (Next::Continue, true),
            Some(Ok((Parsed::Command(cmd), n))) => {
                io.buf.drain(..n.min(io.buf.len()));
                io.release_spare();
                continued_at = None;
                resume = None;
                let span = tracing::debug_span!("command", name = cmd.kind.name());
                match execute(&mut s, &mut io, cmd).instrument(span).await {
                    Ok(next) => (next, false),
                    Err(e) => {
                        tracing::debug!("connection error: {e}");
                        return;
                    }
                }
            }
            Some(Ok((Parsed::NeedLiteral { size }, _))) => {
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                resume = Some(Resume::Bytes {
                    until: io.buf.len().saturating_add(size),
                });
                if continued_at != Some(io.buf.len()) {
                    continued_at = Some(io.buf.len());
                    if io.send(b"+ Ready for literal data\r\n").await.is_err() {
                        return;
                    }
                }
                (Next::Continue, true)
            }
            Some(Ok((Parsed::Incomplete, _))) => {
                resume = Some(Resume::Newline { from: io.buf.len() });
                (Next::Continue, true)
            }
            Some(Err(e)) => {
                continued_at = None;
                resume = None;
                match parse_error(&mut s, &mut io, e).await {
                    Ok(n) => (n, false),
                    Err(_) => return,
                }
            }
        };
        match next {
            Next::Continue => {}
            Next::Compress => io.start_deflate(),
            Next::Close => {
                let _ = io.conn.shutdown().await;
                return;
            }
            Next::StartTls => {
                let pending = io.buf.len();
                let Some(conn) = s.ctx.upgrade(io.conn, pending, "STARTTLS").await else {
                    return;
                };
                s.refresh(&conn);
                s.state = State::NotAuthenticated;
                io = Io {
                    conn,
                    buf: Vec::new(),
                    deflate: None,
                };
                continue;
            }
        }
        if !read_more {
            continue;
        }
        // RFC 5465 §1: with NOTIFY active, events are sent while no command is in progress, i.e.
        // nothing of the next command has arrived yet.
        let input = if s.notify.is_some() && io.buf.is_empty() {
            crate::notify::wait(&mut s, &mut io).await
        } else {
            if !io.buf.is_empty() {
                // The client is in the middle of a command (a literal after `+`, its closing
                // CRLF): acknowledge at once, or a Nagle client waits for our delayed ACK.
                io.conn.quickack();
            }
            io.fill(&s.ctx).await
        };
        match input {
            Input::Data => {}
            Input::Closed => return,
            Input::Idle => {
                let _ = io.send(b"* BYE Autologout; idle for too long\r\n").await;
                return;
            }
            Input::Shutdown => {
                let _ = io.send(b"* BYE [UNAVAILABLE] Server shutting down\r\n").await;
                return;
            }
        }
    }
}

/// Answers a command that could not be parsed.
async fn parse_error(s: &mut Session, io: &mut Io, e: ParseError) -> io::Result<Next> {
    let consumed = e.consumed().min(io.buf.len());
    let whole_unterminated = consumed == io.buf.len() && io.buf.last() != Some(&b'\n');
    io.buf.drain(..consumed);
    let tag = e.tag().map(str::to_owned);
    let text = e.to_string();
    let mut close = false;
    match (&e, tag) {
        (ParseError::TooBig { non_sync: true, .. }, _) => {
            // RFC 7888 §4: the octets follow anyway; rather than skip them, end the session.
            s.out
                .untagged(Status::Bye, Some(&ResponseCode::TooBig), "Literal too big");
            close = true;
        }
        (ParseError::TooBig { .. }, Some(tag)) => {
            s.out.tagged(&tag, Status::No, Some(&ResponseCode::TooBig), &text)
        }
        (_, Some(tag)) => s.out.tagged(&tag, Status::Bad, None, &text),
        (_, None) => s.out.untagged(Status::Bad, None, &text),
    }
    if whole_unterminated && consumed > 0 {
        s.out.untagged(Status::Bye, None, "Line too long");
        close = true;
    }
    s.bad_commands += 1;
    if !close && s.bad_commands >= MAX_BAD_COMMANDS {
        s.out.untagged(Status::Bye, None, "Too many bad commands");
        close = true;
    }
    io.send(&s.out.take()).await?;
    Ok(if close { Next::Close } else { Next::Continue })
}

/// Checks the state table, runs one command, synchronises the view, writes the tagged response.
async fn execute(s: &mut Session, io: &mut Io, cmd: malt_imap_proto::Command) -> io::Result<Next> {
    let tag = cmd.tag;
    let kind = cmd.kind;
    if matches!(s.state, State::Selected { .. }) {
        // Rights may have changed since the last command (RFC 4314): check them before it runs.
        drain_feed(s);
        crate::access::recheck(s, true).await;
    }
    if s.revoked && group(&kind) == Group::Selected && !matches!(s.state, State::Selected { .. }) {
        // RFC 4314 §4: the `r` right on the selected mailbox was withdrawn; it was deselected.
        s.out.tagged(
            &tag,
            Status::No,
            Some(&ResponseCode::NoPerm),
            "Access to the mailbox was withdrawn; it is no longer selected",
        );
        io.send(&s.out.take()).await?;
        return Ok(Next::Continue);
    }
    if !allowed(s.state.phase(), &kind) {
        let text = format!("{} is not allowed in this state", kind.name());
        s.bad_commands += 1;
        s.out.tagged(&tag, Status::Bad, None, &text);
        let close = s.bad_commands >= MAX_BAD_COMMANDS;
        if close {
            s.out.untagged(Status::Bye, None, "Too many bad commands");
        }
        io.send(&s.out.take()).await?;
        return Ok(if close { Next::Close } else { Next::Continue });
    }
    // PITFALLS 2: no EXPUNGE during or after commands that use sequence numbers to report.
    let allow_expunge = !matches!(
        kind,
        CommandKind::Fetch { .. }
            | CommandKind::Store { .. }
            | CommandKind::Search { .. }
            | CommandKind::Sort { .. }
            | CommandKind::Thread { .. }
    );
    // RFC 5465 §3.1: a successful NOTIFY SET is an implicit NOOP.
    let force = matches!(
        kind,
        CommandKind::Noop | CommandKind::Check | CommandKind::Notify(_)
    );
    if op::enable::enables_condstore(&kind) {
        s.condstore = true;
    }
    // Boxed: the commands' futures are large and live only while a command runs; the session's own
    // future (what an idle session costs) stays small.
    let outcome = Box::pin(op::dispatch(s, io, &tag, kind)).await?;
    let mut next = outcome.next;
    if matches!(outcome.next, Next::Continue | Next::Compress) && outcome.status != Status::Bad {
        let known = crate::notify::known_max_uid(s);
        sync(s, allow_expunge, force).await;
        crate::notify::after_sync(s, io, known).await?;
        if s.selected_deleted {
            // The command's own answer still follows; then the connection closes.
            write_deleted_bye(s);
            next = Next::Close;
        }
    }
    if outcome.status != Status::Bye {
        s.out
            .tagged(&tag, outcome.status, outcome.code.as_ref(), &outcome.text);
    }
    io.send(&s.out.take()).await?;
    Ok(next)
}

/// `* BYE` for a selected mailbox that was deleted (RFC 9051 §7.1.5: the server closes the
/// connection; Dovecot's wording).
pub(crate) fn write_deleted_bye(s: &mut Session) {
    s.out.untagged(
        Status::Bye,
        None,
        "Selected mailbox was deleted, have to disconnect",
    );
}

/// Drains the change feed into [`observe`].
pub(crate) fn drain_feed(s: &mut Session) {
    loop {
        match s.feed.try_recv() {
            Ok(e) => {
                observe(s, &e);
            }
            Err(broadcast::error::TryRecvError::Lagged(_)) => observe_lagged(s),
            Err(_) => return,
        }
    }
}

/// Takes one feed entry: marks the view dirty when it concerns the selected mailbox (returned),
/// notes its deletion or renaming, and hands it to NOTIFY.
pub(crate) fn observe(s: &mut Session, e: &JournalEntry) -> bool {
    let mut selected = None;
    let mut hit = false;
    // The selected mailbox may be another account's (RFC 4314): its OWNER's entries count.
    // Calendar and address book changes (`collection_id`) are none of IMAP's business.
    if let (State::Selected { view, .. }, Some(access)) = (&mut s.state, s.access.as_mut())
        && e.account_id == access.owner
        && e.collection_id.is_none()
    {
        selected = Some(view.mailbox_id);
        if e.mailbox_id.is_none_or(|m| m == view.mailbox_id) {
            // An ACL change of the mailbox: rights are checked again at the next sync point.
            if e.kind == ChangeKind::AclChanged {
                access.acl_changed = true;
            }
            view.mark_dirty();
            hit = true;
        }
        match e.kind {
            ChangeKind::MailboxDeleted if e.mailbox_id == Some(view.mailbox_id) => {
                s.selected_deleted = true;
            }
            // Renaming a parent renames its children under the parent's entry: any rename may
            // have renamed the selected mailbox.
            ChangeKind::MailboxRenamed => s.selected_renamed = true,
            _ => {}
        }
    }
    if let Some(n) = s.notify.as_mut() {
        n.observe(e, selected);
    }
    hit
}

/// The feed lagged: this session missed entries.
pub(crate) fn observe_lagged(s: &mut Session) {
    if let State::Selected { view, .. } = &mut s.state {
        view.mark_dirty();
    }
    if let Some(a) = s.access.as_mut() {
        a.acl_changed = true;
    }
    if let Some(n) = s.notify.as_mut() {
        n.lost();
    }
}

/// A sync point: reads the selected mailbox's changes from the store since the view's modseq (when
/// the feed said something changed, or `force`) — for a non-owner with its private `\Seen` changes —
/// and writes the untagged updates: expunges (or deferred), `EXISTS` for new UIDs, and
/// `FETCH (UID FLAGS [MODSEQ])` for known messages changed by others (the view keeps no flags; the
/// changes carry them, RFC 9051 §7.4.2, RFC 7162 §3.1.4).
pub(crate) async fn sync(s: &mut Session, allow_expunge: bool, force: bool) {
    drain_feed(s);
    if s.selected_deleted {
        return;
    }
    if !crate::access::recheck(s, false).await {
        return;
    }
    let Some(access) = s.access else {
        return;
    };
    let State::Selected { view, account, .. } = &mut s.state else {
        return;
    };
    if std::mem::take(&mut s.selected_renamed)
        && let Ok(Some(mb)) = s.core.storage().store.mailbox_by_id(view.mailbox_id).await
    {
        view.name = mb.name;
    }
    if !force && !view.is_dirty() {
        return;
    }
    let store = &s.core.storage().store;
    let changes = match store.mailbox_changes(view.mailbox_id, view.modseq()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "reading mailbox changes failed");
            return;
        }
    };
    let changes = if access.own {
        changes
    } else {
        match crate::access::private_changes(store.as_ref(), account.id, view, changes).await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "reading private \\Seen changes failed");
                return;
            }
        }
    };
    let updates = view.apply(changes, allow_expunge);
    write_updates(&mut s.out, view, &updates, s.rev2, s.condstore, access.rights);
    // RFC 7162 §3.2: MODSEQs were (or may have been) sent while an expunge waits; a QRESYNC client is
    // told a HIGHESTMODSEQ below that expunge so it never resynchronises past it.
    if s.qresync
        && let Some(floor) = view.pending_floor()
    {
        s.out.untagged(
            Status::Ok,
            Some(&ResponseCode::HighestModSeq(floor)),
            "Expunges pending",
        );
    }
}

/// Writes updates from [`crate::view::MailboxView::apply`]. With CONDSTORE enabled the unsolicited
/// FETCH carries MODSEQ (RFC 7162 §3.1.4), the one read from the store with the FLAGS it sends; expunges come as `VANISHED` when the view reports them so
/// (QRESYNC, RFC 7162 §3.2.10).
pub(crate) fn write_updates(
    out: &mut ResponseWriter,
    view: &crate::view::MailboxView,
    updates: &[Update],
    _rev2: bool,
    condstore: bool,
    rights: malt_core::acl::Rights,
) {
    for u in updates {
        match u {
            Update::Expunge(n) => out.expunge(*n),
            Update::Vanished(uids) => out.vanished(false, &compress_ids(uids)),
            Update::Exists(n) => out.exists(*n),
            Update::Flags => op::select::write_flags(out, view, rights),
            Update::FetchFlags {
                seq,
                uid,
                flags,
                modseq,
            } => {
                let flags = op::imap_flags(flags);
                let mut items = vec![FetchItem::Uid(*uid), FetchItem::Flags(&flags)];
                if condstore {
                    items.push(FetchItem::ModSeq(*modseq));
                }
                out.fetch(*seq, &items);
            }
        }
    }
}

/// Announces messages this session removed itself (EXPUNGE, UID EXPUNGE, MOVE): `* n EXPUNGE` each,
/// numbered as of when it is sent (RFC 9051 §7.5.1), or one `* VANISHED uids` when QRESYNC is enabled
/// (RFC 7162 §3.2.10).
pub(crate) fn announce_removed(
    out: &mut ResponseWriter,
    view: &mut crate::view::MailboxView,
    uids: &[malt_store::Uid],
) {
    let mut gone: Vec<malt_store::Uid> = uids
        .iter()
        .copied()
        .filter(|u| view.seq_of(*u).is_some())
        .collect();
    gone.sort_unstable();
    gone.dedup();
    let numbers = view.remove(&gone);
    if view.reports_vanished() {
        out.vanished(false, &compress_ids(&gone));
    } else {
        for seq in numbers {
            out.expunge(seq);
        }
    }
}
