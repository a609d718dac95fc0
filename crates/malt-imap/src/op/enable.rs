//! ENABLE (RFC 5161, RFC 9051 §6.3.1): IMAP4rev2 and UTF8=ACCEPT (RFC 6855). Unknown capabilities are
//! ignored; `* ENABLED` lists what this command newly enabled.

use crate::session::{Outcome, Session};

pub(crate) fn run(s: &mut Session, capabilities: &[String]) -> Outcome {
    let mut enabled = Vec::new();
    for c in capabilities {
        match c.to_ascii_uppercase().as_str() {
            "IMAP4REV2" if !s.rev2 => {
                s.rev2 = true;
                enabled.push("IMAP4rev2");
            }
            "UTF8=ACCEPT" if !s.utf8 => {
                s.utf8 = true;
                s.out.utf8_accept = true;
                enabled.push("UTF8=ACCEPT");
            }
            _ => {}
        }
    }
    s.out.enabled(&enabled);
    Outcome::ok("ENABLE completed")
}
