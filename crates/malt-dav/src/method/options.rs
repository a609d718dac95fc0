//! OPTIONS (RFC 9110 §9.3.7, RFC 4918 §10.1): the compliance classes and the methods, without
//! authentication (clients probe before they log in).
//!
//! `DAV: 1, 3` (RFC 4918 §18; no locking, so not class 2), `access-control` (RFC 3744 §7.2:
//! `current-user-privilege-set`), `calendar-access` (RFC 4791 §5.1), `addressbook`
//! (RFC 6352 §6.1), `extended-mkcol` (RFC 5689 §3.1), `calendar-auto-schedule` (RFC 6638 §2:
//! the server schedules implicitly), `calendarserver-sharing` (Apple's clients offer sharing
//! only where the server announces it; [`crate::sharing`]).

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use crate::empty;

/// The compliance classes.
pub const DAV_CLASSES: &str = "1, 3, access-control, calendar-access, calendar-auto-schedule, addressbook, extended-mkcol, calendarserver-sharing";
/// Every method the service answers (`ACL`, RFC 3744 §8.1, on the calendars and address books
/// the user owns: OPTIONS is answered before authentication, so the list is the same for every
/// path).
pub const ALLOW: &str =
    "OPTIONS, GET, HEAD, POST, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT, ACL";

pub fn handle() -> Response {
    let mut r = empty(StatusCode::OK);
    let h = r.headers_mut();
    h.insert("dav", HeaderValue::from_static(DAV_CLASSES));
    h.insert("allow", HeaderValue::from_static(ALLOW));
    h.insert("content-length", HeaderValue::from_static("0"));
    r
}
