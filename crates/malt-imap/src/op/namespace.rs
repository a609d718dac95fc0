//! NAMESPACE (RFC 9051 §6.3.10): one personal namespace, prefix "" and delimiter `/`.

use malt_imap_proto::response::NamespaceEntry;
use malt_store::HIERARCHY_SEPARATOR;

use crate::session::{Outcome, Session};

pub(crate) fn run(s: &mut Session) -> Outcome {
    let personal = [NamespaceEntry {
        prefix: String::new(),
        delimiter: Some(HIERARCHY_SEPARATOR),
    }];
    s.out.namespace(&personal, &[], &[]);
    Outcome::ok("NAMESPACE completed")
}
