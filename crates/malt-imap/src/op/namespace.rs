//! NAMESPACE (RFC 2342 §5, RFC 9051 §6.3.10): the personal namespace `""`, the other users'
//! namespace `"Other Users/"` (mailboxes shared with the user, RFC 4314) and, when a shared account
//! is configured, the shared namespace `"Shared/"`; all with the delimiter `/`.

use malt_imap_proto::response::NamespaceEntry;
use malt_store::HIERARCHY_SEPARATOR;

use crate::access::{OTHER_USERS, SHARED};
use crate::session::{Outcome, Session};

pub(crate) fn run(s: &mut Session) -> Outcome {
    let entry = |prefix: String| NamespaceEntry {
        prefix,
        delimiter: Some(HIERARCHY_SEPARATOR),
    };
    let personal = [entry(String::new())];
    let other = [entry(format!("{OTHER_USERS}{HIERARCHY_SEPARATOR}"))];
    let shared: Vec<NamespaceEntry> = s
        .shared_account
        .iter()
        .map(|_| entry(format!("{SHARED}{HIERARCHY_SEPARATOR}")))
        .collect();
    s.out.namespace(&personal, &other, &shared);
    Outcome::ok("NAMESPACE completed")
}
