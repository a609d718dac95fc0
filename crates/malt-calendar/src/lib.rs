//! The iCalendar and vCard model behind Malt's CalDAV (RFC 4791) and CardDAV (RFC 6352)
//! service, with no I/O: parsing is calcard's (Apache-2.0 OR MIT), this crate adds what a
//! server decides with it.
//!
//! - [`object`]: a calendar object resource parsed and checked (RFC 4791 §4.1), with the
//!   precondition to report when it is refused;
//! - [`when`]: DATE / DATE-TIME values, time zones (VTIMEZONE by id, IANA ids), floating times;
//! - [`recur`]: recurrence expansion (RRULE, RDATE, EXDATE, overridden instances, bounded) and
//!   the occurrence span the store indexes;
//! - [`timerange`]: time ranges and the overlap table of RFC 4791 §9.9;
//! - [`filter`]: `calendar-query` filters (comp-filter, prop-filter, param-filter, text-match)
//!   and their evaluation;
//! - [`text`]: collations and text matching shared by CalDAV and CardDAV;
//! - [`output`]: `expand` and `limit-recurrence-set` (RFC 4791 §9.6.5, §9.6.6);
//! - [`select`]: partial retrieval, the `comp` / `prop` selection of `calendar-data` and the
//!   `prop` selection of `address-data` (RFC 4791 §9.6.1, RFC 6352 §10.4.2), and
//!   `limit-freebusy-set` (RFC 4791 §9.6.7);
//! - [`freebusy`]: free-busy computation (RFC 4791 §7.10);
//! - [`itip`]: scheduling (iTIP RFC 5546 as CalDAV scheduling RFC 6638 uses it): the messages an
//!   organiser's or attendee's change sends, and messages applied to copies;
//! - [`imip`]: iTIP by email (RFC 6047): composing the message for an external calendar user,
//!   reading one that arrives;
//! - [`vcard`]: vCard parsing and checks, 3.0 ⇄ 4.0 conversion and `addressbook-query`
//!   filters (RFC 6352).
//!
//! Invariants: no function panics on any input; every loop over input is bounded by a
//! documented constant ([`object::MAX_OBJECT_BYTES`], [`recur::MAX_INSTANCES`], ...).

pub mod filter;
pub mod freebusy;
pub mod imip;
pub mod itip;
pub mod object;
pub mod output;
pub mod recur;
pub mod select;
pub mod text;
pub mod timerange;
pub mod vcard;
pub mod when;

pub use calcard::common::timezone::Tz;
pub use object::{CalendarObject, ComponentKind, ObjectError, Precondition};
pub use recur::{Expansion, Occurrence, expand, expand_window, occurrence_span};
pub use timerange::{Span, TimeRange, TimeTest};
