//! Commands without arguments: CAPABILITY, NOOP, LOGOUT, STARTTLS, NAMESPACE, CHECK, CLOSE,
//! UNSELECT (RFC 9051 §6.1, §6.2.1, §6.3.10, §6.4.1-2, RFC 3691).

use super::PResult;
use crate::command::CommandKind;

pub(super) fn parse(name: &str) -> PResult<CommandKind> {
    Ok(match name {
        "CAPABILITY" => CommandKind::Capability,
        "NOOP" => CommandKind::Noop,
        "LOGOUT" => CommandKind::Logout,
        "STARTTLS" => CommandKind::StartTls,
        "NAMESPACE" => CommandKind::Namespace,
        "CHECK" => CommandKind::Check,
        "CLOSE" => CommandKind::Close,
        "UNSELECT" => CommandKind::Unselect,
        _ => return Err(format!("unknown command {name}")),
    })
}

#[cfg(test)]
mod tests {
    use crate::command::CommandKind;
    use crate::parser::test_util::*;

    #[test]
    fn table() {
        for (input, want) in [
            ("a CAPABILITY\r\n", CommandKind::Capability),
            ("a noop\r\n", CommandKind::Noop),
            ("a LOGOUT\r\n", CommandKind::Logout),
            ("a StartTLS\r\n", CommandKind::StartTls),
            ("a NAMESPACE\r\n", CommandKind::Namespace),
            ("a CHECK\r\n", CommandKind::Check),
            ("a CLOSE\r\n", CommandKind::Close),
            ("a UNSELECT\r\n", CommandKind::Unselect),
        ] {
            assert_eq!(parse_one(input), want);
        }
        parse_bad("a NOOP extra\r\n");
        parse_bad("a CAPABILITY \r\n");
    }
}
