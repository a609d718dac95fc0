//! Calendars and address books (CalDAV RFC 4791, CardDAV RFC 6352) as the store keeps them:
//! collections of an account, the objects in them, and the pure rules both backends share
//! (names, ETags, preconditions, property patches, sync-collection pages).
//!
//! Invariants every backend keeps (the conformance suite checks them):
//! - A collection belongs to one account; its `name` (the URL segment) is unique per account.
//! - An object's `name` (the resource name, `abc.ics`) is unique per collection, and so is its
//!   UID when it has one (CalDAV `no-uid-conflict`, RFC 4791 §5.3.2.1; CardDAV RFC 6352
//!   §6.3.2.1).
//! - Content is stored inline, exactly as the client sent it (see `docs/dav.md` for why not in
//!   the blob store); the strong ETag is [`dav_etag`] of it, so equal content has equal ETags.
//! - Every change takes the account's next modseq and writes a journal entry naming the
//!   collection; the collection's `highest_modseq` is raised to it. That modseq is the
//!   collection's sync token and CTag.
//! - Deleting (or moving away) an object leaves a tombstone (name, modseq) until an object of
//!   that name exists again, so [`crate::Store::dav_changes`] can say what was deleted.
//! - Object sizes count against the account's quota (`used_bytes`) like messages do; they are
//!   not messages (`message_count` is untouched).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::types::{AccountId, ModSeq};

/// Row id of a DAV collection (unique across accounts; not a mailbox id).
pub type DavCollectionId = i64;
/// Row id of an object in a DAV collection.
pub type DavObjectId = i64;

/// Longest collection or object name (one URL path segment, decoded), in octets.
pub const DAV_NAME_MAX: usize = 512;
/// Longest UID an object may have, in octets.
pub const DAV_UID_MAX: usize = 1024;
/// Longest text of a collection property (display name, description, colour, time zone), and of
/// one dead property's value, in octets.
pub const DAV_PROPERTY_MAX: usize = 64 * 1024;
/// Most dead properties (properties with no meaning to the server, RFC 4918 §4.2) per collection.
pub const DAV_DEAD_PROPERTIES_MAX: usize = 64;

/// What a collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DavCollectionKind {
    /// A CalDAV calendar collection (RFC 4791 §4.2).
    Calendar,
    /// A CardDAV address book collection (RFC 6352 §5.2).
    AddressBook,
    /// A scheduling Inbox (RFC 6638 §2.2): the iTIP messages delivered to the account, in its
    /// calendar home. Its objects have no UID (several messages may be about one event).
    ScheduleInbox,
    /// A scheduling Outbox (RFC 6638 §2.1): where the account's client POSTs free-busy
    /// requests; it holds nothing.
    ScheduleOutbox,
}

impl DavCollectionKind {
    /// Stable name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DavCollectionKind::Calendar => "calendar",
            DavCollectionKind::AddressBook => "addressbook",
            DavCollectionKind::ScheduleInbox => "schedule-inbox",
            DavCollectionKind::ScheduleOutbox => "schedule-outbox",
        }
    }

    /// Whether collections of this kind live in the calendar home (a calendar, a scheduling
    /// inbox or outbox) rather than the address book home.
    pub fn in_calendar_home(self) -> bool {
        self != DavCollectionKind::AddressBook
    }

    /// Inverse of [`DavCollectionKind::as_str`].
    pub fn parse(s: &str) -> Option<DavCollectionKind> {
        match s {
            "calendar" => Some(DavCollectionKind::Calendar),
            "addressbook" => Some(DavCollectionKind::AddressBook),
            "schedule-inbox" => Some(DavCollectionKind::ScheduleInbox),
            "schedule-outbox" => Some(DavCollectionKind::ScheduleOutbox),
            _ => None,
        }
    }
}

/// The component an object holds: its main iCalendar component (RFC 5545 §3.6), or a vCard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DavComponent {
    Event,
    Todo,
    Journal,
    Card,
}

impl DavComponent {
    /// The component name: `VEVENT`, `VTODO`, `VJOURNAL` or `VCARD` (also the stored form).
    pub fn name(self) -> &'static str {
        match self {
            DavComponent::Event => "VEVENT",
            DavComponent::Todo => "VTODO",
            DavComponent::Journal => "VJOURNAL",
            DavComponent::Card => "VCARD",
        }
    }

    /// Inverse of [`DavComponent::name`], case-insensitive (RFC 5545 names are).
    pub fn parse(s: &str) -> Option<DavComponent> {
        [
            DavComponent::Event,
            DavComponent::Todo,
            DavComponent::Journal,
            DavComponent::Card,
        ]
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(s))
    }

    /// The stored form of a component set: names joined by `,`, in [`Ord`] order, no repeats.
    pub fn set_to_text(set: &[DavComponent]) -> String {
        let mut v = set.to_vec();
        v.sort_unstable();
        v.dedup();
        v.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")
    }

    /// Inverse of [`DavComponent::set_to_text`]; unknown names are skipped.
    pub fn set_from_text(s: &str) -> Vec<DavComponent> {
        s.split(',').filter_map(DavComponent::parse).collect()
    }
}

/// The properties of a collection that a client sets (MKCOL, MKCALENDAR, PROPPATCH).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavCollectionProps {
    /// `DAV:displayname` (RFC 4918 §15.2).
    pub display_name: Option<String>,
    /// `calendar-description` (RFC 4791 §5.2.1) or `addressbook-description` (RFC 6352 §6.2.1).
    pub description: Option<String>,
    /// Apple's `calendar-color` (`#RRGGBB` or `#RRGGBBAA`, kept as given).
    pub color: Option<String>,
    /// Apple's `calendar-order`: where clients list the collection.
    pub order: Option<i64>,
    /// `supported-calendar-component-set` (RFC 4791 §5.2.3); empty for address books. Set at
    /// creation only.
    pub components: Vec<DavComponent>,
    /// `calendar-timezone` (RFC 4791 §5.2.2): a VCALENDAR text holding one VTIMEZONE.
    pub timezone: Option<String>,
    /// Every other property a client set (dead properties, RFC 4918 §4.2): Clark name
    /// (`{namespace}local`) to the property element's content as XML text.
    pub dead: BTreeMap<String, String>,
}

impl DavCollectionProps {
    /// Checks the limits both backends enforce: text properties and dead values at most
    /// [`DAV_PROPERTY_MAX`] octets, at most [`DAV_DEAD_PROPERTIES_MAX`] dead properties, dead
    /// property names in Clark notation with a local name.
    pub fn validate(&self) -> Result<()> {
        let texts = [&self.display_name, &self.description, &self.color, &self.timezone];
        if texts
            .iter()
            .any(|t| t.as_ref().is_some_and(|t| t.len() > DAV_PROPERTY_MAX))
        {
            return Err(invalid("collection property", "value too long"));
        }
        if self.dead.len() > DAV_DEAD_PROPERTIES_MAX {
            return Err(invalid(
                "collection property",
                format!("more than {DAV_DEAD_PROPERTIES_MAX} properties"),
            ));
        }
        for (name, value) in &self.dead {
            if !is_clark_name(name) {
                return Err(invalid(
                    "property name",
                    format!("`{name}` is not {{namespace}}name"),
                ));
            }
            if value.len() > DAV_PROPERTY_MAX {
                return Err(invalid("collection property", format!("`{name}` is too long")));
            }
        }
        Ok(())
    }

    /// The properties after a PROPPATCH (RFC 4918 §9.2: the instructions in document order).
    pub fn patched(&self, patch: &DavCollectionPatch) -> DavCollectionProps {
        let mut out = self.clone();
        let set = |field: &mut Option<String>, change: &Option<Option<String>>| {
            if let Some(v) = change {
                field.clone_from(v);
            }
        };
        set(&mut out.display_name, &patch.display_name);
        set(&mut out.description, &patch.description);
        set(&mut out.color, &patch.color);
        set(&mut out.timezone, &patch.timezone);
        if let Some(order) = patch.order {
            out.order = order;
        }
        for (name, value) in &patch.dead {
            match value {
                Some(v) => out.dead.insert(name.clone(), v.clone()),
                None => out.dead.remove(name),
            };
        }
        out
    }
}

/// `{namespace}local` with a non-empty local part (the namespace may be empty: `{}local`).
fn is_clark_name(name: &str) -> bool {
    name.strip_prefix('{')
        .and_then(|rest| rest.split_once('}'))
        .is_some_and(|(_, local)| !local.is_empty())
}

/// A PROPPATCH of a collection: `None` leaves a property alone, `Some(None)` removes it,
/// `Some(Some(v))` sets it. Applied atomically (RFC 4918 §9.2: all or nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DavCollectionPatch {
    pub display_name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub color: Option<Option<String>>,
    pub order: Option<Option<i64>>,
    pub timezone: Option<Option<String>>,
    /// Dead properties by Clark name, in document order: `Some` sets, `None` removes.
    pub dead: Vec<(String, Option<String>)>,
}

/// A calendar or address book of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavCollection {
    pub id: DavCollectionId,
    pub account_id: AccountId,
    pub kind: DavCollectionKind,
    /// The URL segment under the account's calendar or address book home.
    pub name: String,
    pub props: DavCollectionProps,
    /// Unix seconds.
    pub created_at: i64,
    /// The account modseq of the last change of the collection or of anything in it: its sync
    /// token (RFC 6578) and CTag.
    pub highest_modseq: ModSeq,
}

/// Input of [`crate::Store::dav_collection_create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDavCollection {
    pub kind: DavCollectionKind,
    pub name: String,
    pub props: DavCollectionProps,
}

impl NewDavCollection {
    /// Checks what both backends require ([`dav_name_check`], [`DavCollectionProps::validate`])
    /// and puts the component set in its stored order (sorted, no repeats).
    pub fn validate(&mut self) -> Result<()> {
        dav_name_check("collection name", &self.name)?;
        self.props.validate()?;
        self.props.components.sort_unstable();
        self.props.components.dedup();
        Ok(())
    }
}

/// One of the collections an account gets on first access ([`crate::Store::dav_ensure_defaults`]).
#[derive(Debug, Clone, Copy)]
pub struct DefaultDavCollection {
    pub kind: DavCollectionKind,
    pub name: &'static str,
    pub display_name: &'static str,
    pub components: &'static [DavComponent],
}

impl DefaultDavCollection {
    pub fn to_new(self) -> NewDavCollection {
        NewDavCollection {
            kind: self.kind,
            name: self.name.to_owned(),
            props: DavCollectionProps {
                display_name: Some(self.display_name.to_owned()),
                components: self.components.to_vec(),
                ..DavCollectionProps::default()
            },
        }
    }
}

/// The default collections: a calendar of events, a task list, an address book, and the
/// scheduling inbox and outbox (RFC 6638 §2.1, §2.2).
pub const DAV_DEFAULT_COLLECTIONS: &[DefaultDavCollection] = &[
    DefaultDavCollection {
        kind: DavCollectionKind::Calendar,
        name: "calendar",
        display_name: "Calendar",
        components: &[DavComponent::Event],
    },
    DefaultDavCollection {
        kind: DavCollectionKind::Calendar,
        name: "tasks",
        display_name: "Tasks",
        components: &[DavComponent::Todo],
    },
    DefaultDavCollection {
        kind: DavCollectionKind::AddressBook,
        name: "contacts",
        display_name: "Contacts",
        components: &[],
    },
    DefaultDavCollection {
        kind: DavCollectionKind::ScheduleInbox,
        name: "inbox",
        display_name: "Inbox",
        components: &[DavComponent::Event, DavComponent::Todo],
    },
    DefaultDavCollection {
        kind: DavCollectionKind::ScheduleOutbox,
        name: "outbox",
        display_name: "Outbox",
        components: &[DavComponent::Event, DavComponent::Todo],
    },
];

/// The defaults an account with these collections lacks: those of every kind it has no
/// collection of ([`crate::Store::dav_ensure_defaults`]), but for a name another collection
/// already has (a calendar a user named "inbox" before scheduling existed stays theirs).
pub fn dav_defaults_missing(existing: &[DavCollection]) -> Vec<NewDavCollection> {
    DAV_DEFAULT_COLLECTIONS
        .iter()
        .filter(|d| !existing.iter().any(|c| c.kind == d.kind || c.name == d.name))
        .map(|d| d.to_new())
        .collect()
}

/// When a calendar object occurs: from the start of its first occurrence to the end of its
/// last, Unix seconds; `end: None` for a recurrence without end. The index behind
/// [`crate::Store::dav_objects_in_span`] (RFC 4791 §9.9 time-range queries).
///
/// The caller computes it (recurrences expanded, time zones resolved). An object that overlaps
/// every range (a VTODO without any date, RFC 4791 §9.9) is `DavSpan { start: i64::MIN, end:
/// None }`; an object without a span (a vCard) is never a time-range candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavSpan {
    pub start: i64,
    pub end: Option<i64>,
}

impl DavSpan {
    /// Whether this span is a candidate for the range `[start, end)`: `self.start < end` and
    /// `self.end >= start`. The end is compared inclusively so that an instant at `start` (an
    /// event with DTEND = DTSTART) is found; an object that merely ends at `start` is found too,
    /// and the caller's exact RFC 4791 §9.9 test drops it.
    pub fn is_candidate(&self, start: i64, end: i64) -> bool {
        self.start < end && self.end.is_none_or(|e| e >= start)
    }
}

/// A stored object (one iCalendar or vCard resource) with its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavObject {
    pub id: DavObjectId,
    pub collection_id: DavCollectionId,
    /// Resource name, unique in the collection.
    pub name: String,
    /// The iCalendar / vCard UID, unique in the collection when present.
    pub uid: Option<String>,
    /// Strong ETag without quotes: [`dav_etag`] of `content`.
    pub etag: String,
    pub component: DavComponent,
    /// Octets of `content`.
    pub size: u64,
    pub span: Option<DavSpan>,
    /// Modseq of the last change of this object.
    pub modseq: ModSeq,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last PUT (`DAV:getlastmodified`).
    pub updated_at: i64,
    /// The resource exactly as the client sent it.
    pub content: Vec<u8>,
}

impl DavObject {
    /// Everything but the content.
    pub fn info(&self) -> DavObjectInfo {
        DavObjectInfo {
            name: self.name.clone(),
            etag: self.etag.clone(),
            component: self.component,
            size: self.size,
            modseq: self.modseq,
            updated_at: self.updated_at,
        }
    }
}

/// What a listing (PROPFIND depth 1) or a sync report needs of an object: no content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DavObjectInfo {
    pub name: String,
    pub etag: String,
    pub component: DavComponent,
    pub size: u64,
    pub modseq: ModSeq,
    pub updated_at: i64,
}

/// Input of [`crate::Store::dav_object_put`]: the resource the client sent, with what the
/// caller parsed out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDavObject {
    pub name: String,
    pub uid: Option<String>,
    pub component: DavComponent,
    pub span: Option<DavSpan>,
    pub content: Vec<u8>,
}

impl NewDavObject {
    /// Checks what both backends require: a valid name ([`dav_name_check`]) and a UID of at
    /// most [`DAV_UID_MAX`] octets (an empty UID is stored as none).
    pub fn validate(&mut self) -> Result<()> {
        dav_name_check("object name", &self.name)?;
        if self.uid.as_deref().is_some_and(str::is_empty) {
            self.uid = None;
        }
        if self.uid.as_deref().is_some_and(|u| u.len() > DAV_UID_MAX) {
            return Err(invalid("UID", "too long"));
        }
        Ok(())
    }
}

/// The precondition of a write, from the request's `If-Match` / `If-None-Match` (RFC 7232 §3.1,
/// §3.2), checked atomically with the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagCondition {
    /// No precondition.
    Any,
    /// `If-Match: *`: the resource must exist.
    Exists,
    /// `If-None-Match: *`: the resource must not exist (create only).
    Absent,
    /// `If-Match: "etag"`: the resource must exist with this ETag (given without quotes).
    Matches(String),
    /// `If-Match: "a", "b"` (RFC 9110 §13.1.1): the resource must exist with one of these ETags.
    MatchesOneOf(Vec<String>),
    /// `If-None-Match: "a", "b"` (RFC 9110 §13.1.2): the resource must not exist, or exist with
    /// none of these ETags.
    MatchesNoneOf(Vec<String>),
}

impl EtagCondition {
    /// Whether the condition holds when the resource's current ETag is `current` (`None`: no
    /// such resource).
    pub fn holds(&self, current: Option<&str>) -> bool {
        match self {
            EtagCondition::Any => true,
            EtagCondition::Exists => current.is_some(),
            EtagCondition::Absent => current.is_none(),
            EtagCondition::Matches(e) => current == Some(e.as_str()),
            EtagCondition::MatchesOneOf(tags) => current.is_some_and(|c| tags.iter().any(|t| t == c)),
            EtagCondition::MatchesNoneOf(tags) => current.is_none_or(|c| tags.iter().all(|t| t != c)),
        }
    }
}

/// A write that took place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavStored {
    pub etag: String,
    pub modseq: ModSeq,
    /// No object had this name before (HTTP 201 rather than 204).
    pub created: bool,
}

/// Outcome of [`crate::Store::dav_object_put`] and [`crate::Store::dav_object_move`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavPutOutcome {
    Stored(DavStored),
    /// The [`EtagCondition`] did not hold (HTTP 412); nothing changed.
    PreconditionFailed,
    /// Another object of the collection has this UID (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1);
    /// nothing changed. `existing` is its name, for the `DAV:href` of the error.
    UidConflict {
        existing: String,
    },
}

/// Outcome of [`crate::Store::dav_object_delete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavDeleteOutcome {
    Deleted {
        modseq: ModSeq,
    },
    /// The [`EtagCondition`] did not hold (HTTP 412); nothing changed.
    PreconditionFailed,
}

/// What changed in a collection since a sync token (RFC 6578 §3.5), from
/// [`crate::Store::dav_changes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DavChanges {
    /// Objects created or changed after the token, by ascending modseq.
    pub changed: Vec<DavObjectInfo>,
    /// Names of objects deleted (or moved away) after the token and not re-created, by
    /// ascending modseq. Always empty for an initial sync (token 0, RFC 6578 §3.8).
    pub deleted: Vec<String>,
    /// The new sync token: the collection's `highest_modseq`, or, when `truncated`, the highest
    /// modseq every change of which is reported.
    pub modseq: ModSeq,
    /// More changes remain (RFC 6578 §3.6: the client asks again from `modseq`).
    pub truncated: bool,
}

/// Builds one page of [`DavChanges`] from the changes after `since`: `changed` and `deleted`
/// with their modseqs, in any order. At most `limit` entries, cut between two modseqs so that the
/// token covers everything reported; when the first modseq alone has more than `limit` entries,
/// all of them (an operation is never split). Both backends answer through this.
///
/// The backends need not read every change after `since`, only those up to the page's **read
/// bound**: the first modseq above that of the `limit + 1`-th change in modseq order (deletions
/// not counted for an initial sync, which reports none), or every change when there are no more
/// than `limit`. Those settle the cut and whether more follow, so the page is the same as from
/// every change, and a page costs its own size to read, not the collection's (an initial sync of
/// 10,000 objects in pages of 1,000 read 55,000 rows before).
pub fn dav_changes_page(
    since: ModSeq,
    highest: ModSeq,
    mut changed: Vec<DavObjectInfo>,
    mut deleted: Vec<(String, ModSeq)>,
    limit: usize,
) -> DavChanges {
    if since == 0 {
        deleted.clear();
    }
    changed.sort_by_key(|c| c.modseq);
    deleted.sort_by_key(|d| d.1);
    let mut modseqs: Vec<ModSeq> = changed
        .iter()
        .map(|c| c.modseq)
        .chain(deleted.iter().map(|d| d.1))
        .collect();
    modseqs.sort_unstable();
    let cut = match modseqs.get(limit) {
        None => None,
        Some(&first_left_out) => {
            // Everything below the first modseq left out fits; if nothing does, the whole first
            // operation goes in.
            let below = modseqs.partition_point(|&m| m < first_left_out);
            let boundary = if below > 0 {
                first_left_out.saturating_sub(1)
            } else {
                first_left_out
            };
            let more = modseqs.last().is_some_and(|&m| m > boundary);
            more.then_some(boundary)
        }
    };
    match cut {
        None => DavChanges {
            changed,
            deleted: deleted.into_iter().map(|d| d.0).collect(),
            modseq: highest,
            truncated: false,
        },
        Some(boundary) => DavChanges {
            changed: changed.into_iter().filter(|c| c.modseq <= boundary).collect(),
            deleted: deleted
                .into_iter()
                .filter(|d| d.1 <= boundary)
                .map(|d| d.0)
                .collect(),
            modseq: boundary,
            truncated: true,
        },
    }
}

/// The strong ETag of a resource (without quotes): the first 128 bits of its BLAKE3 hash, hex.
pub fn dav_etag(content: &[u8]) -> String {
    let hash = blake3::hash(content).to_hex();
    hash.as_str().get(..32).unwrap_or(hash.as_str()).to_owned()
}

/// Checks a collection or object name: one URL path segment (decoded) of 1 to [`DAV_NAME_MAX`]
/// octets, without `/` or control characters, and not `.` or `..`.
pub fn dav_name_check(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() || name.len() > DAV_NAME_MAX {
        "empty or too long"
    } else if name == "." || name == ".." {
        "`.` and `..` are not names"
    } else if name.chars().any(|c| c == '/' || c.is_control()) {
        "contains `/` or a control character"
    } else {
        return Ok(());
    };
    Err(invalid(what, reason))
}

fn invalid(what: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        what,
        reason: reason.into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn info(name: &str, modseq: ModSeq) -> DavObjectInfo {
        DavObjectInfo {
            name: name.into(),
            etag: "e".into(),
            component: DavComponent::Event,
            size: 1,
            modseq,
            updated_at: 0,
        }
    }

    fn names(c: &DavChanges) -> (Vec<&str>, Vec<&str>) {
        (
            c.changed.iter().map(|i| i.name.as_str()).collect(),
            c.deleted.iter().map(String::as_str).collect(),
        )
    }

    #[test]
    fn a_page_is_cut_between_modseqs() {
        let changed = vec![info("c", 7), info("a", 5), info("b", 6), info("d", 7)];
        let deleted = vec![("x".to_owned(), 6)];
        let all = dav_changes_page(4, 9, changed.clone(), deleted.clone(), 10);
        assert!(!all.truncated);
        assert_eq!(all.modseq, 9);
        assert_eq!(names(&all), (vec!["a", "b", "c", "d"], vec!["x"]));

        // Three fit (5, 6, 6); the fourth is modseq 7, which has two entries: cut at 6.
        let page = dav_changes_page(4, 9, changed.clone(), deleted.clone(), 3);
        assert!(page.truncated);
        assert_eq!(page.modseq, 6);
        assert_eq!(names(&page), (vec!["a", "b"], vec!["x"]));

        // Limit 4: the first left out is the second entry of modseq 7: cut below 7.
        let page = dav_changes_page(4, 9, changed.clone(), deleted.clone(), 4);
        assert_eq!((page.modseq, page.truncated), (6, true));

        // Limit 1 with two entries at the first modseq: the whole operation goes in.
        let page = dav_changes_page(6, 9, vec![info("c", 7), info("d", 7)], vec![], 1);
        assert_eq!(names(&page), (vec!["c", "d"], vec![]));
        assert_eq!((page.modseq, page.truncated), (9, false));
        let page = dav_changes_page(6, 9, vec![info("c", 7), info("d", 7), info("e", 8)], vec![], 1);
        assert_eq!(names(&page), (vec!["c", "d"], vec![]));
        assert_eq!((page.modseq, page.truncated), (7, true));

        // Initial sync: no deletions.
        let initial = dav_changes_page(0, 9, changed, deleted, 10);
        assert!(initial.deleted.is_empty());
    }

    #[test]
    fn conditions_and_names() {
        use EtagCondition::*;
        assert!(Any.holds(None) && Any.holds(Some("a")));
        assert!(Exists.holds(Some("a")) && !Exists.holds(None));
        assert!(Absent.holds(None) && !Absent.holds(Some("a")));
        assert!(Matches("a".into()).holds(Some("a")));
        assert!(!Matches("a".into()).holds(Some("b")) && !Matches("a".into()).holds(None));
        let list = || vec!["a".to_string(), "b".to_string()];
        assert!(MatchesOneOf(list()).holds(Some("b")) && !MatchesOneOf(list()).holds(Some("c")));
        assert!(!MatchesOneOf(list()).holds(None) && !MatchesOneOf(vec![]).holds(Some("a")));
        assert!(MatchesNoneOf(list()).holds(None) && MatchesNoneOf(list()).holds(Some("c")));
        assert!(!MatchesNoneOf(list()).holds(Some("a")));
        for bad in ["", ".", "..", "a/b", "a\nb", &"x".repeat(DAV_NAME_MAX + 1)] {
            assert!(dav_name_check("name", bad).is_err(), "{bad:?}");
        }
        for good in ["a.ics", "Ümlaut cal", "..x", &"x".repeat(DAV_NAME_MAX)] {
            dav_name_check("name", good).unwrap();
        }
        assert_eq!(dav_etag(b"x").len(), 32);
        assert_ne!(dav_etag(b"x"), dav_etag(b"y"));
    }

    #[test]
    fn components_round_trip() {
        let set = [DavComponent::Todo, DavComponent::Event, DavComponent::Todo];
        let text = DavComponent::set_to_text(&set);
        assert_eq!(text, "VEVENT,VTODO");
        assert_eq!(
            DavComponent::set_from_text(&text),
            vec![DavComponent::Event, DavComponent::Todo]
        );
        assert_eq!(DavComponent::set_from_text(""), vec![]);
        assert_eq!(DavComponent::parse("vjournal"), Some(DavComponent::Journal));
        for k in [
            DavCollectionKind::Calendar,
            DavCollectionKind::AddressBook,
            DavCollectionKind::ScheduleInbox,
            DavCollectionKind::ScheduleOutbox,
        ] {
            assert_eq!(DavCollectionKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn patches_and_limits() {
        let props = DavCollectionProps {
            display_name: Some("A".into()),
            color: Some("#ff0000".into()),
            ..Default::default()
        };
        let patch = DavCollectionPatch {
            display_name: Some(Some("B".into())),
            color: Some(None),
            order: Some(Some(3)),
            dead: vec![
                ("{urn:x}a".into(), Some("<v/>".into())),
                ("{urn:x}b".into(), Some("1".into())),
                ("{urn:x}b".into(), None),
            ],
            ..Default::default()
        };
        let p = props.patched(&patch);
        assert_eq!(p.display_name.as_deref(), Some("B"));
        assert_eq!((p.color.as_deref(), p.order), (None, Some(3)));
        assert_eq!(p.dead.keys().collect::<Vec<_>>(), vec!["{urn:x}a"]);
        p.validate().unwrap();

        let mut bad = p.clone();
        bad.dead.insert("nobrace".into(), String::new());
        assert!(bad.validate().is_err());
        let mut bad = p.clone();
        bad.description = Some("x".repeat(DAV_PROPERTY_MAX + 1));
        assert!(bad.validate().is_err());
        let mut bad = p;
        for i in 0..=DAV_DEAD_PROPERTIES_MAX {
            bad.dead.insert(format!("{{}}p{i}"), String::new());
        }
        assert!(bad.validate().is_err());
    }

    #[test]
    fn span_candidates() {
        let s = DavSpan {
            start: 100,
            end: Some(200),
        };
        assert!(s.is_candidate(150, 160) && s.is_candidate(0, 101) && s.is_candidate(200, 300));
        assert!(!s.is_candidate(0, 100) && !s.is_candidate(201, 300));
        let instant = DavSpan {
            start: 100,
            end: Some(100),
        };
        assert!(instant.is_candidate(100, 101) && !instant.is_candidate(50, 100));
        let endless = DavSpan {
            start: 100,
            end: None,
        };
        assert!(endless.is_candidate(1_000_000, 1_000_001) && !endless.is_candidate(0, 100));
    }
}
