//! REPORT bodies: the report is named by the root element (RFC 3253 §3.6); the reports a
//! CalDAV/CardDAV server answers are parsed, any other is [`ReportRequest::Other`] (answered
//! with the `DAV:supported-report` precondition, RFC 3253 §3.6).

use crate::error::{DavXmlError, Result};
use crate::name::{CALDAV, CARDDAV, DAV, Name};
use crate::reader::{Limits, parse_document};
use crate::tree::Element;

use super::caldav::{
    CalendarMultiget, CalendarQuery, TimeRange, calendar_multiget, calendar_query, free_busy_query,
};
use super::carddav::{AddressbookMultiget, AddressbookQuery, addressbook_multiget, addressbook_query};
use super::nresults;
use super::principal::{PrincipalReport, principal_report};
use super::propfind::PropRequest;

/// A parsed REPORT body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportRequest {
    /// RFC 6578 §3.2.
    SyncCollection(SyncCollection),
    /// RFC 4791 §7.9.
    CalendarMultiget(CalendarMultiget),
    /// RFC 4791 §7.8.
    CalendarQuery(CalendarQuery),
    /// RFC 4791 §7.10: the range to report busy time in.
    FreeBusyQuery(TimeRange),
    /// RFC 6352 §8.7.
    AddressbookMultiget(AddressbookMultiget),
    /// RFC 6352 §8.6.
    AddressbookQuery(AddressbookQuery),
    /// RFC 3253 §3.8 expand-property, RFC 3744 §9.3–9.5 principal reports.
    Principal(PrincipalReport),
    /// Any other report (its root element's name), e.g. `DAV:version-tree`.
    Other(Name),
}

/// `DAV:sync-level` (RFC 6578 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLevel {
    /// `1`: the collection's members.
    One,
    /// `infinite`: every descendant.
    Infinite,
}

/// A `DAV:sync-collection` report (RFC 6578 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCollection {
    /// The token as the client sent it; empty for an initial sync (§3.4).
    pub sync_token: String,
    pub level: SyncLevel,
    /// `DAV:limit/DAV:nresults` (§3.7).
    pub limit: Option<u32>,
    pub prop: PropRequest,
}

fn sync_collection(e: &Element, limits: &Limits) -> Result<SyncCollection> {
    let what = "sync-collection";
    let sync_token = e
        .child(DAV, "sync-token")
        .ok_or_else(|| DavXmlError::invalid(what, "no sync-token"))?
        .text()
        .trim()
        .to_owned();
    // RFC 6578 §6.1 requires sync-level; clients written before it omit it and mean 1.
    let level = match e.child(DAV, "sync-level").map(|l| l.text()) {
        None => SyncLevel::One,
        Some(l) if l.trim() == "1" => SyncLevel::One,
        Some(l) if l.trim() == "infinite" => SyncLevel::Infinite,
        Some(l) => return Err(DavXmlError::invalid(what, format!("sync-level `{}`", l.trim()))),
    };
    let limit = e
        .child(DAV, "limit")
        .and_then(|l| l.child(DAV, "nresults"))
        .map(|n| nresults(n, "sync-collection limit"))
        .transpose()?;
    let prop = PropRequest::from_parent(e, limits)?.ok_or_else(|| DavXmlError::invalid(what, "no prop"))?;
    Ok(SyncCollection {
        sync_token,
        level,
        limit,
        prop,
    })
}

/// Parses a REPORT body (a body is required).
pub fn parse_report(body: &[u8], limits: &Limits) -> Result<ReportRequest> {
    let e = parse_document(body, limits)?;
    let n = &e.name;
    Ok(if n.is(DAV, "sync-collection") {
        ReportRequest::SyncCollection(sync_collection(&e, limits)?)
    } else if n.is(CALDAV, "calendar-multiget") {
        ReportRequest::CalendarMultiget(calendar_multiget(&e, limits)?)
    } else if n.is(CALDAV, "calendar-query") {
        ReportRequest::CalendarQuery(calendar_query(&e, limits)?)
    } else if n.is(CALDAV, "free-busy-query") {
        ReportRequest::FreeBusyQuery(free_busy_query(&e)?)
    } else if n.is(CARDDAV, "addressbook-multiget") {
        ReportRequest::AddressbookMultiget(addressbook_multiget(&e, limits)?)
    } else if n.is(CARDDAV, "addressbook-query") {
        ReportRequest::AddressbookQuery(addressbook_query(&e, limits)?)
    } else if let Some(p) = principal_report(&e, limits)? {
        ReportRequest::Principal(p)
    } else {
        ReportRequest::Other(e.name)
    })
}
