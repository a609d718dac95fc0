//! What a request can end in other than success, and the HTTP response for each: a status with
//! a short text, or a status with a precondition element in a `DAV:error` body (RFC 4918 §16,
//! RFC 4791 §1.3, RFC 6352 §6.3.2.1).
//!
//! The three kinds of error (CONVENTIONS §6): the client's syntax ([`DavError::Xml`], 400/413),
//! a refusal (a status, often with a precondition), and the server's own fault (a store backend
//! failure: logged with context, answered `500` with a generic text).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use malt_dav_proto::response::error_body;
use malt_dav_proto::{DavXmlError, Element, Name};
use malt_store::StoreError;

/// A request that failed.
#[derive(Debug)]
pub enum DavError {
    /// A status with a text body for people.
    Status(StatusCode, String),
    /// A status with a `DAV:error` body naming the precondition that failed.
    Precondition(StatusCode, Element),
    /// `403` with a `DAV:error` body naming the precondition that failed and, in a
    /// `DAV:responsedescription` beside it, why (for people; clients read the element).
    Refused(Element, String),
    /// The request body is not the XML the method defines (400), or too large (413).
    Xml(DavXmlError),
    /// A store error, mapped by [`DavError::from`].
    Store(StoreError),
}

/// Result of a method handler.
pub type DavResult<T> = Result<T, DavError>;

impl DavError {
    pub fn status(code: StatusCode, text: impl Into<String>) -> DavError {
        DavError::Status(code, text.into())
    }

    pub fn not_found() -> DavError {
        DavError::status(StatusCode::NOT_FOUND, "no such resource")
    }

    pub fn forbidden(text: impl Into<String>) -> DavError {
        DavError::status(StatusCode::FORBIDDEN, text)
    }

    pub fn bad_request(text: impl Into<String>) -> DavError {
        DavError::status(StatusCode::BAD_REQUEST, text)
    }

    pub fn method_not_allowed(text: impl Into<String>) -> DavError {
        DavError::status(StatusCode::METHOD_NOT_ALLOWED, text)
    }

    pub fn conflict(text: impl Into<String>) -> DavError {
        DavError::status(StatusCode::CONFLICT, text)
    }

    /// `403` with `condition` (an empty element, e.g. `CALDAV:valid-calendar-data`).
    pub fn precondition(condition: Name) -> DavError {
        DavError::Precondition(StatusCode::FORBIDDEN, Element::new(condition))
    }

    /// `403` with `condition` and the `reason` it failed.
    pub fn refused(condition: Name, reason: impl Into<String>) -> DavError {
        DavError::Refused(Element::new(condition), reason.into())
    }

    /// `412 Precondition Failed` (If-Match, If-None-Match, Overwrite: F; RFC 9110 §13.1).
    pub fn precondition_failed() -> DavError {
        DavError::status(StatusCode::PRECONDITION_FAILED, "precondition failed")
    }
}

impl From<DavXmlError> for DavError {
    fn from(e: DavXmlError) -> DavError {
        DavError::Xml(e)
    }
}

impl From<StoreError> for DavError {
    fn from(e: StoreError) -> DavError {
        DavError::Store(e)
    }
}

fn text(code: StatusCode, text: &str) -> Response {
    let mut r = (code, format!("{text}\n")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// An XML response body with its status.
pub fn xml(code: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    r
}

impl IntoResponse for DavError {
    fn into_response(self) -> Response {
        match self {
            DavError::Status(code, t) => text(code, &t),
            DavError::Precondition(code, condition) => xml(code, error_body(&[condition])),
            DavError::Refused(condition, reason) => xml(
                StatusCode::FORBIDDEN,
                error_body(&[
                    condition,
                    Element::new(Name::dav("responsedescription")).with_text(reason),
                ]),
            ),
            DavError::Xml(e @ DavXmlError::TooLarge(_)) => {
                text(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string())
            }
            DavError::Xml(e) => text(StatusCode::BAD_REQUEST, &e.to_string()),
            DavError::Store(e) => store_error(e),
        }
    }
}

/// The answer to a store error that the handler did not map itself.
fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::NotFound(what) => text(StatusCode::NOT_FOUND, &format!("{what} not found")),
        StoreError::AlreadyExists(what) => {
            text(StatusCode::METHOD_NOT_ALLOWED, &format!("{what} already exists"))
        }
        StoreError::Conflict(why) => text(StatusCode::CONFLICT, &why),
        // RFC 4331 §6: DAV:quota-not-exceeded with 507.
        StoreError::OverQuota { .. } => xml(
            StatusCode::INSUFFICIENT_STORAGE,
            error_body(&[Element::new(Name::dav("quota-not-exceeded"))]),
        ),
        e @ StoreError::Invalid { .. } => text(StatusCode::FORBIDDEN, &e.to_string()),
        e @ (StoreError::BlobDamaged(_) | StoreError::Backend(_)) => {
            tracing::error!(error = %e, "DAV request failed in the store");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}
