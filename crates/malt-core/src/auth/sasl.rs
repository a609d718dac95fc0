//! SASL (RFC 4422) as a codec: no I/O. The protocol (IMAP AUTHENTICATE, SMTP AUTH, POP3 AUTH,
//! ManageSieve) base64-decodes client responses, feeds them to a [`SaslExchange`] and
//! base64-encodes the challenges it returns; when the client sends `*` it calls
//! [`SaslExchange::cancel`] (or passes `b"*"` to [`SaslExchange::step`]).
//!
//! Mechanisms: PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login). Invariants:
//! - every response is at most [`MAX_RESPONSE`] octets; fields are UTF-8 without NUL;
//! - username and password are never empty;
//! - the authorisation identity is empty or equal (ASCII case-insensitively) to the
//!   authentication identity: no proxy authorisation yet;
//! - an exchange ends with exactly one `Done` or `Failed`; any step after that fails.
//!
//! Later mechanisms slot into [`Mechanism`] and the `State` machine: OAUTHBEARER (RFC 7628) and
//! XOAUTH2 yield a bearer token instead of a password, GSSAPI (RFC 4752) needs several rounds
//! with a Kerberos context. [`Credentials`] would then grow a token variant.

use std::fmt;

/// Longest client response accepted, in octets (after base64 decoding).
pub const MAX_RESPONSE: usize = 8192;

/// A SASL mechanism Malt offers.
///
/// Seam for later: `OAuthBearer` (RFC 7628), `XOAuth2`, `Gssapi` (RFC 4752).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// draft-murchison-sasl-login.
    Login,
}

impl Mechanism {
    /// Every mechanism, in the order servers advertise them.
    pub const ALL: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

    /// The mechanism named `name` (case-insensitive, RFC 4422 §3.1), if supported.
    pub fn parse(name: &str) -> Option<Mechanism> {
        if name.eq_ignore_ascii_case("PLAIN") {
            Some(Mechanism::Plain)
        } else if name.eq_ignore_ascii_case("LOGIN") {
            Some(Mechanism::Login)
        } else {
            None
        }
    }

    /// The registered name, upper-case.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
        }
    }
}

/// What a finished exchange yields. The password is redacted from `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Authorisation identity, when the client sent a non-empty one.
    pub authzid: Option<String>,
    /// Authentication identity (the login name, a full address).
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("authzid", &self.authzid)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The RFC 4616 PLAIN message for these credentials (what a client sends).
    pub fn encode_plain(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.authzid.as_deref().unwrap_or_default().as_bytes());
        out.push(0);
        out.extend_from_slice(self.username.as_bytes());
        out.push(0);
        out.extend_from_slice(self.password.as_bytes());
        out
    }
}

/// Why an exchange failed. Protocols answer all of these as an authentication failure
/// (IMAP `NO`/`BAD`, SMTP 501/535); `Cancelled` is IMAP `BAD` / SMTP 501.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    #[error("authentication cancelled by the client")]
    Cancelled,
    #[error("SASL response longer than {MAX_RESPONSE} octets")]
    TooLong,
    #[error("malformed SASL response: {0}")]
    Malformed(&'static str),
    #[error("authorisation identity must be empty or equal to the authentication identity")]
    AuthzidNotAllowed,
    #[error("the SASL exchange is already finished")]
    Finished,
}

/// One step of an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this challenge (raw; the protocol base64-encodes it) and call
    /// [`SaslExchange::step`] with the response.
    Challenge(Vec<u8>),
    Done(Credentials),
    Failed(SaslError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    PlainAwaiting,
    LoginAwaitingUser,
    LoginAwaitingPassword { username: String },
    Finished,
}

/// The server side of one SASL exchange.
#[derive(Debug, Clone)]
pub struct SaslExchange {
    mechanism: Mechanism,
    state: State,
}

/// LOGIN challenges (draft-murchison-sasl-login §2).
const LOGIN_USER: &[u8] = b"Username:";
const LOGIN_PASSWORD: &[u8] = b"Password:";

impl SaslExchange {
    /// Starts an exchange, with the client's initial response if it sent one (RFC 4422 §4;
    /// IMAP's `=` is an empty initial response, `Some(b"")`).
    pub fn start(mechanism: Mechanism, initial_response: Option<&[u8]>) -> (SaslExchange, Step) {
        let mut ex = SaslExchange {
            mechanism,
            state: match mechanism {
                Mechanism::Plain => State::PlainAwaiting,
                Mechanism::Login => State::LoginAwaitingUser,
            },
        };
        let step = match (mechanism, initial_response) {
            (Mechanism::Plain, None) => Step::Challenge(Vec::new()),
            (Mechanism::Login, None) => Step::Challenge(LOGIN_USER.to_vec()),
            // LOGIN with an initial response: clients that send one send the username.
            (_, Some(ir)) => ex.step(ir),
        };
        (ex, step)
    }

    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The client cancelled (sent `*`, RFC 4422 §3.5).
    pub fn cancel(&mut self) -> Step {
        self.state = State::Finished;
        Step::Failed(SaslError::Cancelled)
    }

    /// Feeds one (base64-decoded) client response.
    pub fn step(&mut self, response: &[u8]) -> Step {
        if self.state == State::Finished {
            return Step::Failed(SaslError::Finished);
        }
        if response == b"*" {
            return self.cancel();
        }
        let step = self.advance(response);
        if !matches!(step, Step::Challenge(_)) {
            self.state = State::Finished;
        }
        step
    }

    fn advance(&mut self, response: &[u8]) -> Step {
        if response.len() > MAX_RESPONSE {
            return Step::Failed(SaslError::TooLong);
        }
        match std::mem::replace(&mut self.state, State::Finished) {
            State::PlainAwaiting => match parse_plain(response) {
                Ok(c) => Step::Done(c),
                Err(e) => Step::Failed(e),
            },
            State::LoginAwaitingUser => match field(response, "empty username") {
                Ok(username) => {
                    self.state = State::LoginAwaitingPassword { username };
                    Step::Challenge(LOGIN_PASSWORD.to_vec())
                }
                Err(e) => Step::Failed(e),
            },
            State::LoginAwaitingPassword { username } => match field(response, "empty password") {
                Ok(password) => Step::Done(Credentials {
                    authzid: None,
                    username,
                    password,
                }),
                Err(e) => Step::Failed(e),
            },
            State::Finished => Step::Failed(SaslError::Finished),
        }
    }
}

/// One non-empty UTF-8 field without NUL.
fn field(bytes: &[u8], empty: &'static str) -> Result<String, SaslError> {
    if bytes.is_empty() {
        return Err(SaslError::Malformed(empty));
    }
    if bytes.contains(&0) {
        return Err(SaslError::Malformed("NUL in field"));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| SaslError::Malformed("not UTF-8"))
}

/// RFC 4616 §2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`.
pub fn parse_plain(message: &[u8]) -> Result<Credentials, SaslError> {
    if message.len() > MAX_RESPONSE {
        return Err(SaslError::TooLong);
    }
    let mut fields = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(passwd), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(SaslError::Malformed(
            "PLAIN needs exactly three NUL-separated fields",
        ));
    };
    let username = field(authcid, "empty authentication identity")?;
    let password = field(passwd, "empty password")?;
    let authzid = if authzid.is_empty() {
        None
    } else {
        let z = String::from_utf8(authzid.to_vec()).map_err(|_| SaslError::Malformed("not UTF-8"))?;
        if !z.eq_ignore_ascii_case(&username) {
            return Err(SaslError::AuthzidNotAllowed);
        }
        Some(z)
    };
    Ok(Credentials {
        authzid,
        username,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn creds(z: Option<&str>, u: &str, p: &str) -> Credentials {
        Credentials {
            authzid: z.map(str::to_owned),
            username: u.to_owned(),
            password: p.to_owned(),
        }
    }

    #[test]
    fn mechanism_names() {
        assert_eq!(Mechanism::parse("plain"), Some(Mechanism::Plain));
        assert_eq!(Mechanism::parse("LOGIN"), Some(Mechanism::Login));
        assert_eq!(Mechanism::parse("CRAM-MD5"), None);
        assert_eq!(Mechanism::Plain.name(), "PLAIN");
    }

    #[test]
    fn plain_table() {
        let ok = [
            (
                &b"\0alice@example.org\0secret"[..],
                creds(None, "alice@example.org", "secret"),
            ),
            (
                b"alice@example.org\0alice@example.org\0pw",
                creds(Some("alice@example.org"), "alice@example.org", "pw"),
            ),
            (
                b"ALICE@example.org\0alice@example.org\0p w",
                creds(Some("ALICE@example.org"), "alice@example.org", "p w"),
            ),
            (
                "\0jörg@example.org\0pässwörd".as_bytes(),
                creds(None, "jörg@example.org", "pässwörd"),
            ),
        ];
        for (input, want) in ok {
            assert_eq!(parse_plain(input), Ok(want));
        }
        let bad: [(&[u8], SaslError); 7] = [
            (
                b"",
                SaslError::Malformed("PLAIN needs exactly three NUL-separated fields"),
            ),
            (b"\0alice\0", SaslError::Malformed("empty password")),
            (b"\0\0pw", SaslError::Malformed("empty authentication identity")),
            (
                b"\0alice\0pw\0extra",
                SaslError::Malformed("PLAIN needs exactly three NUL-separated fields"),
            ),
            (
                b"alice\0pw",
                SaslError::Malformed("PLAIN needs exactly three NUL-separated fields"),
            ),
            (b"bob\0alice\0pw", SaslError::AuthzidNotAllowed),
            (b"\0alice\0\xff\xfe", SaslError::Malformed("not UTF-8")),
        ];
        for (input, want) in bad {
            assert_eq!(parse_plain(input), Err(want), "{input:?}");
        }
        let long = [b"\0alice\0".to_vec(), vec![b'x'; MAX_RESPONSE]].concat();
        assert_eq!(parse_plain(&long), Err(SaslError::TooLong));
    }

    #[test]
    fn plain_exchange_with_and_without_initial_response() {
        let (_, step) = SaslExchange::start(Mechanism::Plain, Some(b"\0u@x\0pw"));
        assert_eq!(step, Step::Done(creds(None, "u@x", "pw")));

        let (mut ex, step) = SaslExchange::start(Mechanism::Plain, None);
        assert_eq!(step, Step::Challenge(Vec::new()));
        assert_eq!(ex.step(b"\0u@x\0pw"), Step::Done(creds(None, "u@x", "pw")));
        assert_eq!(ex.step(b"\0u@x\0pw"), Step::Failed(SaslError::Finished));

        // IMAP "=": an empty initial response is a malformed PLAIN message.
        let (_, step) = SaslExchange::start(Mechanism::Plain, Some(b""));
        assert!(matches!(step, Step::Failed(SaslError::Malformed(_))));
    }

    #[test]
    fn login_exchange() {
        let (mut ex, step) = SaslExchange::start(Mechanism::Login, None);
        assert_eq!(step, Step::Challenge(b"Username:".to_vec()));
        assert_eq!(ex.step(b"u@x"), Step::Challenge(b"Password:".to_vec()));
        assert_eq!(ex.step(b"pw"), Step::Done(creds(None, "u@x", "pw")));

        let (mut ex, step) = SaslExchange::start(Mechanism::Login, Some(b"u@x"));
        assert_eq!(step, Step::Challenge(b"Password:".to_vec()));
        assert_eq!(ex.step(b"pw"), Step::Done(creds(None, "u@x", "pw")));

        let (mut ex, _) = SaslExchange::start(Mechanism::Login, None);
        assert!(matches!(ex.step(b""), Step::Failed(SaslError::Malformed(_))));
        let (mut ex, _) = SaslExchange::start(Mechanism::Login, None);
        assert!(matches!(ex.step(b"u\0x"), Step::Failed(SaslError::Malformed(_))));
        let (mut ex, _) = SaslExchange::start(Mechanism::Login, None);
        assert_eq!(
            ex.step(&vec![b'a'; MAX_RESPONSE + 1]),
            Step::Failed(SaslError::TooLong)
        );
    }

    #[test]
    fn cancel() {
        let (mut ex, _) = SaslExchange::start(Mechanism::Login, None);
        ex.step(b"u@x");
        assert_eq!(ex.step(b"*"), Step::Failed(SaslError::Cancelled));
        assert_eq!(ex.step(b"pw"), Step::Failed(SaslError::Finished));
        let (mut ex, _) = SaslExchange::start(Mechanism::Plain, None);
        assert_eq!(ex.cancel(), Step::Failed(SaslError::Cancelled));
    }

    #[test]
    fn debug_redacts_password() {
        let s = format!("{:?}", creds(None, "u@x", "hunter2"));
        assert!(!s.contains("hunter2"));
        assert!(s.contains("u@x"));
    }

    proptest! {
        #[test]
        fn plain_roundtrip(
            user in "[^\u{0}]{1,40}",
            pass in "[^\u{0}]{1,40}",
            with_authzid in any::<bool>(),
        ) {
            let c = Credentials {
                authzid: with_authzid.then(|| user.clone()),
                username: user,
                password: pass,
            };
            let (_, step) = SaslExchange::start(Mechanism::Plain, Some(&c.encode_plain()));
            prop_assert_eq!(step, Step::Done(c));
        }

        #[test]
        fn plain_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_plain(&bytes);
        }
    }
}
