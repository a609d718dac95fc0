//! Who is asking: HTTP authentication (RFC 9110 §11) through the shared [`Authenticator`]
//! (main password or app password, its rate limits and cache).
//!
//! Invariants:
//! - Basic credentials (RFC 7617) are plaintext passwords: accepted only where IMAP and POP3
//!   accept them ([`Peer::plaintext_auth_allowed`]: TLS, loopback, or
//!   `auth.allow_plaintext_without_tls`); elsewhere the answer is 403 and the password is not
//!   checked (nor counted as a failure).
//! - A request without credentials, or with wrong ones, gets 401 with
//!   `WWW-Authenticate: Basic realm="..."`; a rate-limited one or a store failure gets 503 with
//!   `Retry-After` (the password is not checked while limited).
//! - [`Credentials::Bearer`] is the seam for OAuth tokens: parsed, refused with 401 until a
//!   token verifier exists.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use malt_core::{AuthResult, Authenticator};
use malt_server::http::Peer;
use malt_store::Account;

/// Longest `Authorization` header read, in octets (a user name, a password and base64).
const MAX_AUTHORIZATION: usize = 4096;

/// What an `Authorization` header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// RFC 7617: user name and password.
    Basic { user: String, password: String },
    /// RFC 6750 §2.1: a bearer token (not verified yet: the seam for OAuth).
    Bearer(String),
}

/// The credentials of `headers`; `None` when there is no `Authorization` header, `Err` with a
/// reason when it cannot be read.
pub fn credentials(headers: &HeaderMap) -> Result<Option<Credentials>, &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    if value.len() > MAX_AUTHORIZATION {
        return Err("Authorization header too long");
    }
    let value = value.to_str().map_err(|_| "Authorization header is not ASCII")?;
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or("Authorization header without credentials")?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| "Basic credentials are not base64")?;
        let text = String::from_utf8(decoded).map_err(|_| "Basic credentials are not UTF-8")?;
        let (user, password) = text.split_once(':').ok_or("Basic credentials without `:`")?;
        Ok(Some(Credentials::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        }))
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Ok(Some(Credentials::Bearer(rest.to_owned())))
    } else {
        Err("unsupported authentication scheme")
    }
}

/// `401` with the Basic challenge (RFC 7617 §2: realm and charset).
pub fn challenge(realm: &str, text: &str) -> Response {
    let mut r = (StatusCode::UNAUTHORIZED, format!("{text}\n")).into_response();
    let value = format!(
        "Basic realm=\"{}\", charset=\"UTF-8\"",
        realm.replace(['"', '\\'], "")
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// The account the request is made as, or the response that refuses it.
pub async fn authenticate(
    auth: &Authenticator,
    realm: &str,
    headers: &HeaderMap,
    peer: &Peer,
) -> Result<Account, Response> {
    let creds = match credentials(headers) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(challenge(realm, "authentication required")),
        Err(why) => return Err((StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()),
    };
    let (user, password) = match creds {
        Credentials::Basic { user, password } => (user, password),
        Credentials::Bearer(_) => return Err(challenge(realm, "bearer tokens are not accepted yet")),
    };
    if !peer.plaintext_auth_allowed {
        return Err((
            StatusCode::FORBIDDEN,
            "Basic authentication needs TLS: use https\n",
        )
            .into_response());
    }
    match auth.authenticate(&user, &password, peer.remote.ip()).await {
        AuthResult::Ok { account, .. } => Ok(account),
        AuthResult::Failed => Err(challenge(realm, "wrong user name or password")),
        AuthResult::TemporaryFailure => {
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many failed logins or the store is unavailable: try again later\n",
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            Err(r)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn reads_basic_and_bearer() {
        // RFC 7617 §2's example.
        assert_eq!(
            credentials(&with("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")),
            Ok(Some(Credentials::Basic {
                user: "Aladdin".into(),
                password: "open sesame".into()
            }))
        );
        assert_eq!(
            credentials(&with("bearer abc.def")),
            Ok(Some(Credentials::Bearer("abc.def".into())))
        );
        assert_eq!(credentials(&HeaderMap::new()), Ok(None));
        for bad in ["Basic", "Basic !!!", "Basic bm9jb2xvbg==", "Digest x=1"] {
            assert!(credentials(&with(bad)).is_err(), "{bad}");
        }
    }
}
