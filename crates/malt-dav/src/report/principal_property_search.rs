//! `DAV:principal-property-search` (RFC 3744 §9.4): the principals of the server's accounts
//! and distribution groups whose properties contain the given texts, for attendee and sharee
//! autocomplete.
//!
//! Invariants:
//! - Addressed to the principal collection, or to any resource with
//!   `DAV:apply-to-principal-collection-set` (§9.4); anywhere else it is 403
//!   `DAV:supported-report`.
//! - The directory is the server's accounts (every account in the store is of this server),
//!   each with its calendar user addresses (the account's address and its aliases), and its
//!   groups as group principals ([`crate::group`]), each with its address.
//! - Searchable ([`SEARCHABLE`], what `principal-search-property-set` lists): `DAV:displayname`
//!   (an account's address; a group's name and address), `CALDAV:calendar-user-address-set`
//!   (`mailto:` URIs) and `CS:email-address-set` (the addresses). A match is a case-insensitive substring (§9.4:
//!   the server chooses the comparison); a property that is not searchable matches nothing.
//!   `test="allof"` (the default) needs every `DAV:property-search` to match, `anyof` one.
//! - Each principal found answers as PROPFIND on it would: another user's principal only the
//!   properties every principal shows (`sharing::principal_prop`), the others 404.
//! - At most [`MAX_RESULTS`] principals, in address order; when more match, the answer ends
//!   with a 507 response for the request-URI carrying `DAV:number-of-matches-within-limits`
//!   (RFC 5323 §5.17 in the style of RFC 6578 §3.6).

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::name::{CALDAV, CALENDARSERVER, DAV};
use malt_dav_proto::request::{PrincipalPropertySearch, PropertySearch, SearchTest};
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_store::Alias;

use super::{cut, unsupported};
use crate::Ctx;
use crate::error::DavResult;
use crate::group::{GroupPrincipal, local_addresses};
use crate::method::multistatus;
use crate::props::{href, response};
use crate::resource::Resource;

/// Most principals one search answers.
pub const MAX_RESULTS: usize = 50;

/// The properties a search may look in (RFC 3744 §9.5), with their description.
pub const SEARCHABLE: &[(&str, &str, &str)] = &[
    (DAV, "displayname", "Display name"),
    (CALDAV, "calendar-user-address-set", "Calendar user address"),
    (CALENDARSERVER, "email-address-set", "Email address"),
];

/// An account's or a group's principal, as a search compares it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub address: String,
    /// Its calendar user addresses (RFC 6638 §2.4.1), lowercase, its own first.
    pub addresses: Vec<String>,
    /// The group, when it is a group's.
    pub group: Option<GroupPrincipal>,
}

impl Principal {
    fn new(address: &str, aliases: &[Alias]) -> Principal {
        let mut addresses = vec![address.to_lowercase()];
        for a in aliases {
            let alias = a.address.to_lowercase();
            if a.target.eq_ignore_ascii_case(address)
                && !alias.starts_with('@')
                && !addresses.contains(&alias)
            {
                addresses.push(alias);
            }
        }
        Principal {
            address: address.to_owned(),
            addresses,
            group: None,
        }
    }

    fn of_group(group: GroupPrincipal) -> Principal {
        Principal {
            address: group.address.clone(),
            addresses: vec![group.address.clone()],
            group: Some(group),
        }
    }

    /// The texts a search compares for property `name` (empty when it is not searchable).
    fn texts(&self, name: &Name) -> Vec<String> {
        if name.is(DAV, "displayname") {
            match &self.group {
                Some(g) => vec![g.name.clone(), self.address.clone()],
                None => vec![self.address.clone()],
            }
        } else if name.is(CALDAV, "calendar-user-address-set") {
            self.addresses.iter().map(|a| format!("mailto:{a}")).collect()
        } else if name.is(CALENDARSERVER, "email-address-set") {
            self.addresses.clone()
        } else {
            Vec::new()
        }
    }

    fn matches(&self, search: &PropertySearch) -> bool {
        let needle = search.text.to_lowercase();
        search
            .props
            .iter()
            .any(|p| self.texts(p).iter().any(|t| t.to_lowercase().contains(&needle)))
    }
}

/// Every account's and every group's principal, in address order.
async fn directory(ctx: &Ctx) -> DavResult<Vec<Principal>> {
    let store = ctx.store();
    let aliases = store.alias_list(None).await?;
    let accounts = store.account_list(None).await?;
    let groups = store.group_list().await?;
    let local = local_addresses(&accounts, &groups);
    let is_local = |m: &str| local.binary_search(&m.to_lowercase()).is_ok();
    let mut all: Vec<Principal> = accounts
        .iter()
        .map(|a| Principal::new(&a.address, &aliases))
        .chain(
            groups
                .iter()
                .map(|g| Principal::of_group(GroupPrincipal::new(g, is_local))),
        )
        .collect();
    all.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(all)
}

pub async fn handle(ctx: &Ctx, resource: &Resource, s: &PrincipalPropertySearch) -> DavResult<Response> {
    if !matches!(resource, Resource::Principals) && !s.apply_to_principal_collection_set {
        return Err(unsupported());
    }
    // The own principal's calendar-user-address-set (props are computed without I/O).
    ctx.addresses().await?;
    let mut found = directory(ctx).await?.into_iter().filter(|p| match s.test {
        SearchTest::AllOf => s.searches.iter().all(|q| p.matches(q)),
        SearchTest::AnyOf => s.searches.iter().any(|q| p.matches(q)),
    });
    let mut responses: Vec<DavResponse> = found
        .by_ref()
        .take(MAX_RESULTS)
        .map(|p| {
            let res = match p.group {
                Some(g) => Resource::GroupPrincipal(g),
                None if p.address.eq_ignore_ascii_case(&ctx.account.address) => Resource::Principal,
                None => Resource::OtherPrincipal(p.address, p.addresses),
            };
            match &s.prop {
                Some(prop) => response(ctx, &res, prop),
                None => DavResponse::status(href(ctx, &res), 200),
            }
        })
        .collect();
    if found.next().is_some() {
        responses.push(cut(href(ctx, resource)));
    }
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}
