//! Response bodies: multistatus (RFC 4918 §13, §14.16) with propstats, a sync token
//! (RFC 6578 §6.4) and per-response errors; error bodies with preconditions (RFC 4918 §16);
//! MKCOL/MKCALENDAR responses (RFC 5689 §5.2, RFC 4791 §9.2).
//!
//! A multistatus can be written piece by piece ([`MultistatusWriter`], so a large report need
//! not be built in memory first) and read back ([`parse_multistatus`]): what the writer writes,
//! the reader returns unchanged (property tests check it).

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::{Limits, parse_document};
use crate::tree::Element;
use crate::writer::{self, Scope};

/// One `DAV:response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub href: String,
    pub body: ResponseBody,
    /// Preconditions or postconditions that failed (RFC 4918 §14.5 `DAV:error`).
    pub error: Vec<Element>,
    pub description: Option<String>,
}

/// A response's status for the whole resource, or its properties grouped by status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    Status(u16),
    PropStats(Vec<PropStat>),
}

/// Properties that share a status (RFC 4918 §14.22). Each property is an element whose
/// content is its value (empty for a 404, or for `propname`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropStat {
    pub props: Vec<Element>,
    pub status: u16,
    pub error: Vec<Element>,
    pub description: Option<String>,
}

/// A whole `DAV:multistatus` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multistatus {
    pub responses: Vec<Response>,
    /// RFC 6578 §6.4: the new token of a sync-collection report.
    pub sync_token: Option<String>,
    pub description: Option<String>,
}

impl Response {
    /// A response with properties by status.
    pub fn propstats(href: impl Into<String>, propstats: Vec<PropStat>) -> Response {
        Response {
            href: href.into(),
            body: ResponseBody::PropStats(propstats),
            error: Vec::new(),
            description: None,
        }
    }

    /// A response with one status for the resource (e.g. 404 for a missing multiget href).
    pub fn status(href: impl Into<String>, status: u16) -> Response {
        Response {
            href: href.into(),
            body: ResponseBody::Status(status),
            error: Vec::new(),
            description: None,
        }
    }
}

impl PropStat {
    pub fn new(status: u16, props: Vec<Element>) -> PropStat {
        PropStat {
            props,
            status,
            error: Vec::new(),
            description: None,
        }
    }
}

/// The reason phrase of a status code (RFC 9110 §15, RFC 4918 §11).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "Unknown",
    }
}

/// `<D:status>HTTP/1.1 <code> <reason></D:status>` (RFC 4918 §14.28), written in place (one
/// per response or propstat).
fn status_element(out: &mut Vec<u8>, status: u16) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "<D:status>HTTP/1.1 {status} {}</D:status>", reason(status));
}

/// The code of a `DAV:status` value (`HTTP/1.1 200 OK`, any version and reason).
pub fn parse_status_line(s: &str) -> Option<u16> {
    let mut parts = s.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (100..600).contains(c))
}

fn dav_text(out: &mut Vec<u8>, local: &str, text: &str) {
    out.extend_from_slice(b"<D:");
    out.extend_from_slice(local.as_bytes());
    out.push(b'>');
    writer::text(out, text);
    out.extend_from_slice(b"</D:");
    out.extend_from_slice(local.as_bytes());
    out.push(b'>');
}

fn error_element(out: &mut Vec<u8>, conditions: &[Element]) {
    if conditions.is_empty() {
        return;
    }
    out.extend_from_slice(b"<D:error>");
    for c in conditions {
        writer::element(out, c, Scope::ROOT, &[]);
    }
    out.extend_from_slice(b"</D:error>");
}

fn propstat(out: &mut Vec<u8>, p: &PropStat) {
    out.extend_from_slice(b"<D:propstat><D:prop>");
    for prop in &p.props {
        writer::element(out, prop, Scope::ROOT, &[]);
    }
    out.extend_from_slice(b"</D:prop>");
    status_element(out, p.status);
    error_element(out, &p.error);
    if let Some(d) = &p.description {
        dav_text(out, "responsedescription", d);
    }
    out.extend_from_slice(b"</D:propstat>");
}

/// Writes a multistatus body one response at a time.
#[derive(Debug)]
pub struct MultistatusWriter {
    out: Vec<u8>,
    root: String,
}

impl Default for MultistatusWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl MultistatusWriter {
    /// Starts the body: the XML declaration and the `DAV:multistatus` start tag.
    pub fn new() -> MultistatusWriter {
        let mut out = Vec::with_capacity(4096);
        let root = writer::open_root(&mut out, &Name::dav("multistatus"));
        MultistatusWriter { out, root }
    }

    /// Appends one `DAV:response`.
    pub fn response(&mut self, r: &Response) {
        let out = &mut self.out;
        out.extend_from_slice(b"<D:response>");
        dav_text(out, "href", &r.href);
        match &r.body {
            ResponseBody::Status(s) => status_element(out, *s),
            ResponseBody::PropStats(ps) => {
                for p in ps {
                    propstat(out, p);
                }
            }
        }
        error_element(out, &r.error);
        if let Some(d) = &r.description {
            dav_text(out, "responsedescription", d);
        }
        out.extend_from_slice(b"</D:response>");
    }

    /// The bytes written so far, taken out (to send while more responses are written).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Ends the body with the sync token and the description, if any; returns what was not
    /// taken yet.
    pub fn finish(mut self, sync_token: Option<&str>, description: Option<&str>) -> Vec<u8> {
        if let Some(t) = sync_token {
            dav_text(&mut self.out, "sync-token", t);
        }
        if let Some(d) = description {
            dav_text(&mut self.out, "responsedescription", d);
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(self.root.as_bytes());
        self.out.push(b'>');
        self.out
    }
}

impl Multistatus {
    /// The whole body.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = MultistatusWriter::new();
        for r in &self.responses {
            w.response(r);
        }
        w.finish(self.sync_token.as_deref(), self.description.as_deref())
    }
}

/// An error body (RFC 4918 §16): `DAV:error` holding the conditions that failed, e.g.
/// `CALDAV:no-uid-conflict` with the `DAV:href` of the conflicting resource.
pub fn error_body(conditions: &[Element]) -> Vec<u8> {
    writer::document(&Element::new(Name::dav("error")).with_children(conditions.iter().cloned()))
}

/// The body of a MKCOL (`DAV:mkcol-response`, RFC 5689 §5.2) or MKCALENDAR
/// (`CALDAV:mkcalendar-response`, RFC 4791 §9.2) response: the properties that could or could
/// not be set, by status.
pub fn propstat_body(root: Name, propstats: &[PropStat]) -> Vec<u8> {
    let mut out = Vec::new();
    let qname = writer::open_root(&mut out, &root);
    for p in propstats {
        propstat(&mut out, p);
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(qname.as_bytes());
    out.push(b'>');
    out
}

// ---- Reading ------------------------------------------------------------------------------

fn status_of(e: &Element) -> Result<u16> {
    let text = e.text();
    parse_status_line(text.trim()).ok_or_else(|| {
        DavXmlError::invalid("status", format!("`{}` is not an HTTP status line", text.trim()))
    })
}

fn conditions(e: &Element) -> Vec<Element> {
    e.child(DAV, "error")
        .map(|err| err.elements().cloned().collect())
        .unwrap_or_default()
}

fn description(e: &Element) -> Option<String> {
    e.child(DAV, "responsedescription").map(Element::text)
}

fn read_propstat(e: &Element) -> Result<PropStat> {
    let status = e
        .child(DAV, "status")
        .ok_or_else(|| DavXmlError::invalid("propstat", "no status"))?;
    Ok(PropStat {
        props: e
            .child(DAV, "prop")
            .map(|p| p.elements().cloned().collect())
            .unwrap_or_default(),
        status: status_of(status)?,
        error: conditions(e),
        description: description(e),
    })
}

fn read_response(e: &Element) -> Result<Response> {
    let href = e
        .child(DAV, "href")
        .ok_or_else(|| DavXmlError::invalid("response", "no href"))?
        .text();
    let propstats: Vec<PropStat> = e
        .children_named(DAV, "propstat")
        .map(read_propstat)
        .collect::<Result<_>>()?;
    let body = match e.child(DAV, "status") {
        Some(s) if propstats.is_empty() => ResponseBody::Status(status_of(s)?),
        _ => ResponseBody::PropStats(propstats),
    };
    Ok(Response {
        href,
        body,
        error: conditions(e),
        description: description(e),
    })
}

/// Reads a multistatus body (a client's view; the server's tests use it). Extra hrefs of a
/// status response (RFC 4918 §14.24 `href*`) and `DAV:location` are not kept.
pub fn parse_multistatus(body: &[u8], limits: &Limits) -> Result<Multistatus> {
    let e = parse_document(body, limits)?;
    if !e.is(DAV, "multistatus") {
        return Err(DavXmlError::invalid(
            "multistatus",
            format!("the root element is {}", e.name),
        ));
    }
    Ok(Multistatus {
        responses: e
            .children_named(DAV, "response")
            .map(read_response)
            .collect::<Result<_>>()?,
        sync_token: e.child(DAV, "sync-token").map(Element::text),
        description: description(&e),
    })
}

/// The conditions of an error body (RFC 4918 §16).
pub fn parse_error_body(body: &[u8], limits: &Limits) -> Result<Vec<Element>> {
    let e = parse_document(body, limits)?;
    if !e.is(DAV, "error") {
        return Err(DavXmlError::invalid(
            "error body",
            format!("the root element is {}", e.name),
        ));
    }
    Ok(e.elements().cloned().collect())
}
