//! One file per method; what several share is here: the `Depth` header, the `If-Match` /
//! `If-None-Match` condition, and the 207 answer.

pub mod acl;
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
pub(crate) fn strong_tag(s: &str) -> Option<&str> {
    s.trim().strip_prefix('"')?.strip_suffix('"')
}

/// The entity tags of an `If-Match` / `If-None-Match` value (RFC 9110 §13.1.1-2): `None` for
/// `*`, else the list (`#entity-tag`, empty members ignored). A tag that cannot be ours (weak,
/// unquoted) stands as one that matches nothing. At most [`MAX_TAGS`] tags (400 beyond).
fn tag_list(value: &str) -> DavResult<Option<Vec<String>>> {
    if value.trim() == "*" {
        return Ok(None);
    }
    let tags: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| strong_tag(t).unwrap_or("\u{0}").to_owned())
        .collect();
    if tags.len() > MAX_TAGS {
        return Err(DavError::bad_request(format!("more than {MAX_TAGS} entity tags")));
    }
    Ok(Some(tags))
}

/// Most entity tags one `If-Match` / `If-None-Match` may list.
pub const MAX_TAGS: usize = 100;

/// The store condition of the request's `If-Match` / `If-None-Match` (RFC 9110 §13.1.1,
/// §13.1.2): `*`, one entity tag or a list. The store checks it in the transaction of the
/// write, so the compare-and-swap stays atomic; a write whose `If-None-Match` lists the current
/// tag fails with 412 (§13.1.2: not 304, which is for GET and HEAD only).
pub fn condition(req: &DavRequest) -> DavResult<EtagCondition> {
    match (req.header("if-match"), req.header("if-none-match")) {
        (Some(_), Some(_)) => Err(DavError::bad_request("both If-Match and If-None-Match")),
        (Some(m), None) => Ok(match tag_list(m)? {
            None => EtagCondition::Exists,
            Some(mut tags) if tags.len() == 1 => EtagCondition::Matches(tags.pop().unwrap_or_default()),
            Some(tags) => EtagCondition::MatchesOneOf(tags),
        }),
        (None, Some(n)) => Ok(match tag_list(n)? {
            None => EtagCondition::Absent,
            Some(tags) => EtagCondition::MatchesNoneOf(tags),
        }),
        (None, None) => Ok(EtagCondition::Any),
    }
}

/// `207 Multi-Status` with `body`.
pub fn multistatus(body: &Multistatus) -> Response {
    xml(StatusCode::MULTI_STATUS, body.to_xml())
}
