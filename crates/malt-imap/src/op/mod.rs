//! The commands: [`dispatch`] routes a parsed command to its file (named like the parser's file in
//! `malt-imap-proto`). Helpers shared by several commands live here: flag and date conversion, mailbox
//! name decoding, and the mapping of store errors to responses (CONVENTIONS §6).

pub(crate) mod acl;
pub(crate) mod append;
pub(crate) mod authenticate;
pub(crate) mod capability;
pub(crate) mod compress;
pub(crate) mod copy;
pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod enable;
pub(crate) mod expunge;
pub(crate) mod fetch;
pub(crate) mod id;
pub(crate) mod idle;
pub(crate) mod list;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod metadata;
pub(crate) mod namespace;
pub(crate) mod noop;
pub(crate) mod notify;
pub(crate) mod quota;
pub(crate) mod rename;
pub(crate) mod search;
pub(crate) mod select;
pub(crate) mod sort;
pub(crate) mod starttls;
pub(crate) mod status;
pub(crate) mod store;
pub(crate) mod subscribe;
pub(crate) mod thread;

use std::io;

use malt_imap_proto::command::{DateTime, Flag};
use malt_imap_proto::{CommandKind, ResponseCode};
use malt_store::{Flags, StoreError, flag};

use crate::session::{Io, Outcome, Session};

/// Runs one command that the state table allows.
pub(crate) async fn dispatch(
    s: &mut Session,
    io: &mut Io,
    tag: &str,
    kind: CommandKind,
) -> io::Result<Outcome> {
    use CommandKind as C;
    Ok(match kind {
        C::Capability => capability::run(s),
        C::Noop => noop::run(false),
        C::Check => noop::run(true),
        C::Logout => logout::run(s),
        C::StartTls => starttls::run(s),
        C::Login { username, password } => login::run(s, &username, &password).await,
        C::Authenticate { mechanism, initial } => authenticate::run(s, io, &mechanism, initial).await?,
        C::Enable { capabilities } => enable::run(s, &capabilities),
        C::Id(_) => id::run(s),
        C::Namespace => namespace::run(s),
        C::List(args) => list::run(s, args).await,
        C::Lsub { reference, pattern } => list::lsub(s, &reference, &pattern).await,
        C::Create { mailbox, special_use } => create::run(s, &mailbox, &special_use).await,
        C::Delete { mailbox } => delete::run(s, &mailbox).await,
        C::Rename { from, to } => rename::run(s, &from, &to).await,
        C::Subscribe { mailbox } => subscribe::run(s, &mailbox, true).await,
        C::Unsubscribe { mailbox } => subscribe::run(s, &mailbox, false).await,
        C::Status { mailbox, items } => status::run(s, &mailbox, &items).await,
        C::Append { mailbox, messages } => append::run(s, &mailbox, messages).await,
        C::Select(args) => select::run_args(s, &args, false).await,
        C::Examine(args) => select::run_args(s, &args, true).await,
        C::Close => select::close(s).await,
        C::Unselect => select::unselect(s),
        C::Idle => idle::run(s, io).await?,
        C::Fetch { uid, args } => fetch::run(s, io, uid, &args).await?,
        C::Store { uid, args } => store::run(s, uid, &args).await,
        C::Expunge => expunge::run(s, None).await,
        C::UidExpunge { set } => expunge::run(s, Some(&set)).await,
        C::Copy { uid, set, mailbox } => copy::run(s, uid, &set, &mailbox, false).await,
        C::Move { uid, set, mailbox } => copy::run(s, uid, &set, &mailbox, true).await,
        C::Search { uid, args } => search::run(s, tag, uid, &args).await,
        C::Compress { mechanism } => compress::run(s, &mechanism),
        C::Sort { uid, args } => sort::run(s, tag, uid, &args).await,
        C::Thread { uid, args } => thread::run(s, uid, &args).await,
        C::GetMetadata {
            options,
            mailbox,
            entries,
        } => metadata::get(s, options, &mailbox, &entries).await,
        C::SetMetadata { mailbox, entries } => metadata::set(s, &mailbox, &entries).await,
        C::GetQuota { root } => quota::get(s, &root).await,
        C::GetQuotaRoot { mailbox } => quota::get_root(s, &mailbox).await,
        C::SetQuota { .. } => quota::set(),
        C::Notify(set) => notify::run(s, set).await,
        C::SetAcl {
            mailbox,
            identifier,
            rights,
        } => acl::set(s, &mailbox, &identifier, &rights).await,
        C::DeleteAcl { mailbox, identifier } => acl::delete(s, &mailbox, &identifier).await,
        C::GetAcl { mailbox } => acl::get(s, &mailbox).await,
        C::ListRights { mailbox, identifier } => acl::list_rights(s, &mailbox, &identifier).await,
        C::MyRights { mailbox } => acl::my_rights(s, &mailbox).await,
    })
}

/// The flags of a message as IMAP flags, system flags first.
pub(crate) fn imap_flags(f: &Flags) -> Vec<Flag> {
    let mut out = Vec::new();
    for (bit, fl) in [
        (flag::SEEN, Flag::Seen),
        (flag::ANSWERED, Flag::Answered),
        (flag::FLAGGED, Flag::Flagged),
        (flag::DELETED, Flag::Deleted),
        (flag::DRAFT, Flag::Draft),
    ] {
        if f.has(bit) {
            out.push(fl);
        }
    }
    out.extend(f.keywords.iter().map(|k| Flag::Keyword(k.clone())));
    out
}

/// Client flags as stored flags. `\Recent` and unknown `\Extension` flags cannot be stored and are
/// dropped (RFC 9051 §2.3.2: `\Recent` is not settable; PERMANENTFLAGS does not list extensions).
pub(crate) fn store_flags(flags: &[Flag]) -> Flags {
    let mut system = 0;
    let mut keywords = Vec::new();
    for f in flags {
        match f {
            Flag::Seen => system |= flag::SEEN,
            Flag::Answered => system |= flag::ANSWERED,
            Flag::Flagged => system |= flag::FLAGGED,
            Flag::Deleted => system |= flag::DELETED,
            Flag::Draft => system |= flag::DRAFT,
            Flag::Keyword(k) => keywords.push(k.clone()),
            Flag::Recent | Flag::Extension(_) => {}
        }
    }
    Flags::new(system, keywords)
}

/// Unix seconds as an IMAP date-time in UTC.
pub(crate) fn date_time(unix: i64) -> DateTime {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    DateTime {
        year: u16::try_from(y).unwrap_or(1970),
        month: m,
        day: d,
        hour: u8::try_from(secs / 3600).unwrap_or(0),
        minute: u8::try_from(secs / 60 % 60).unwrap_or(0),
        second: u8::try_from(secs % 60).unwrap_or(0),
        zone_minutes: 0,
    }
}

/// Howard Hinnant's civil-from-days: days since 1970-01-01 to (year, month, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, u8::try_from(m).unwrap_or(1), u8::try_from(d).unwrap_or(1))
}

/// The mailbox name as UTF-8: modified UTF-7 is decoded unless UTF8=ACCEPT is enabled (RFC 6855 §3).
pub(crate) fn mailbox_name(s: &Session, name: &str) -> Result<String, Outcome> {
    if s.utf8 {
        return Ok(name.to_owned());
    }
    malt_imap_proto::utf7::decode(name).map_err(|e| Outcome::bad(format!("invalid mailbox name: {}", e.0)))
}

/// A store error as the tagged response (RFC 9051 §7.1 codes). The server's own faults are logged and
/// answered generically.
pub(crate) fn store_error(e: &StoreError) -> Outcome {
    match e {
        StoreError::NotFound(what) => {
            Outcome::no(Some(ResponseCode::NonExistent), format!("{what} not found"))
        }
        StoreError::AlreadyExists(what) => Outcome::no(
            Some(ResponseCode::AlreadyExists),
            format!("{what} already exists"),
        ),
        StoreError::Conflict(why) => Outcome::no(Some(ResponseCode::Cannot), why.clone()),
        StoreError::OverQuota { .. } => Outcome::no(Some(ResponseCode::OverQuota), e.to_string()),
        StoreError::Invalid { .. } => Outcome::no(Some(ResponseCode::Cannot), e.to_string()),
        StoreError::BlobDamaged(_) | StoreError::Backend(_) => {
            tracing::warn!(error = %e, "store failure");
            Outcome::no(Some(ResponseCode::ServerBug), "Internal error, try again later")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_flags() {
        let d = date_time(0);
        assert_eq!((d.year, d.month, d.day, d.hour), (1970, 1, 1, 0));
        let d = date_time(1_700_000_000);
        assert_eq!(
            (d.year, d.month, d.day, d.hour, d.minute, d.second),
            (2023, 11, 14, 22, 13, 20)
        );
        let f = store_flags(&[Flag::Seen, Flag::Keyword("$Junk".into()), Flag::Recent]);
        assert_eq!(imap_flags(&f), vec![Flag::Seen, Flag::Keyword("$Junk".into())]);
    }
}
