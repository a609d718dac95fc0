//! One file per method; what several share is here: the `Depth` header, the `If-Match` /
//! `If-None-Match` condition, and the 207 answer.

pub mod copymove;
pub mod delete;
pub mod get;
pub mod mkcol;
pub mod options;
pub mod propfind;
pub mod proppatch;
pub mod put;

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::response::Multistatus;
use malt_store::EtagCondition;

use crate::DavRequest;
use crate::error::{DavError, DavResult, xml};

/// The `Depth` header (RFC 4918 §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
    Infinity,
}

/// The request's `Depth`, `default` when it has none.
pub fn depth(req: &DavRequest, default: Depth) -> DavResult<Depth> {
    match req.header("depth") {
        None => Ok(default),
        Some("0") => Ok(Depth::Zero),
        Some("1") => Ok(Depth::One),
        Some(d) if d.eq_ignore_ascii_case("infinity") => Ok(Depth::Infinity),
        Some(d) => Err(DavError::bad_request(format!(
            "Depth: {d} is not 0, 1 or infinity"
        ))),
    }
}

/// An entity tag of a header, without its quotes; `None` for a weak or malformed one (a strong
/// comparison never matches a weak tag, RFC 9110 §8.8.3.2).
fn strong_tag(s: &str) -> Option<&str> {
    s.trim().strip_prefix('"')?.strip_suffix('"')
}

/// The store condition of the request's `If-Match` / `If-None-Match` (RFC 9110 §13.1.1,
/// §13.1.2): `*` or one entity tag. A list of several tags is refused (400): no client sends one
/// for a resource it writes.
pub fn condition(req: &DavRequest) -> DavResult<EtagCondition> {
    let single = |v: &str| -> DavResult<Option<String>> {
        if v.contains(',') {
            return Err(DavError::bad_request("a list of entity tags is not supported"));
        }
        if v == "*" {
            return Ok(None);
        }
        // A tag that cannot be ours (weak, unquoted) matches nothing.
        Ok(Some(strong_tag(v).unwrap_or("\u{0}").to_owned()))
    };
    match (req.header("if-match"), req.header("if-none-match")) {
        (Some(_), Some(_)) => Err(DavError::bad_request("both If-Match and If-None-Match")),
        (Some(m), None) => Ok(match single(m)? {
            None => EtagCondition::Exists,
            Some(tag) => EtagCondition::Matches(tag),
        }),
        (None, Some(n)) => match single(n)? {
            None => Ok(EtagCondition::Absent),
            Some(_) => Err(DavError::bad_request(
                "If-None-Match with an entity tag on a write",
            )),
        },
        (None, None) => Ok(EtagCondition::Any),
    }
}

/// `207 Multi-Status` with `body`.
pub fn multistatus(body: &Multistatus) -> Response {
    xml(StatusCode::MULTI_STATUS, body.to_xml())
}
