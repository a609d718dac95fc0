//! PROPFIND (RFC 4918 §9.1): the properties of a resource and, with `Depth: 1`, of its members.
//!
//! `Depth: infinity` (also what a request without `Depth` means) is refused with
//! `DAV:propfind-finite-depth` (RFC 4918 §9.1, §16): a home holds whole calendars. Members of
//! a collection are listed from the store's object rows, without reading any content — unless
//! `CALDAV:schedule-tag` is asked for by name (RFC 6638 §3.3): it is a hash of the content. A home
//! lists the user's collections, then the shares mounted in it ([`crate::access::mounts`]);
//! the calendar home the notification collection ([`crate::notifications`]), the address book
//! home the global address book ([`crate::gal`]). Collections and
//! objects need read access ([`crate::access::require`]).

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::request::parse_propfind;
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_store::DavCollectionKind;

use super::{Depth, depth, multistatus};
use crate::error::{DavError, DavResult};
use crate::path::home_of;
use crate::resource::{Resource, resolve};
use crate::{Ctx, DavRequest, props};

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let depth = depth(req, Depth::Infinity)?;
    if depth == Depth::Infinity {
        return Err(DavError::precondition(Name::dav("propfind-finite-depth")));
    }
    let request = parse_propfind(&req.body, &ctx.settings().xml)?;
    let resource = resolve(ctx, &req.path).await?.existing()?;
    if let Resource::Collection(c) | Resource::Object(c, _) = &resource {
        crate::access::require(ctx, c, malt_store::DavAccess::Read)?;
    }
    if matches!(resource, Resource::Principal) {
        // What the principal's calendar-user-address-set lists, and whether its
        // notification-URL is free (props are computed without I/O).
        ctx.addresses().await?;
        ctx.collections().await?;
    }
    let mut resources = vec![resource.clone()];
    if depth == Depth::One {
        resources.extend(members(ctx, &resource).await?);
    }
    crate::sharing::preload(ctx, &resources, &request).await?;
    crate::sharee_props::preload(ctx, &resources).await?;
    let tags = crate::schedule::schedule_tags(ctx, &resources, &request).await?;
    let mut responses: Vec<_> = resources
        .iter()
        .map(|r| match r {
            Resource::Object(c, o) => {
                let tag = tags.get(&(c.id, o.name.clone()));
                let data = |n: &Name| tag.filter(|_| crate::schedule::is_schedule_tag(n)).cloned();
                DavResponse::propstats(props::href(ctx, r), props::propstats(ctx, r, &request, &data))
            }
            _ => props::response(ctx, r, &request),
        })
        .collect();
    if depth == Depth::One
        && matches!(resource, Resource::Home(DavCollectionKind::AddressBook))
        && crate::resource::collection(ctx, DavCollectionKind::AddressBook, crate::gal::GAL_NAME)
            .await?
            .is_none()
    {
        responses.push(crate::gal::home_member(ctx, &request).await?);
    }
    if depth == Depth::One
        && matches!(resource, Resource::Home(DavCollectionKind::Calendar))
        && crate::notifications::url(ctx).is_some()
    {
        responses.push(crate::notifications::home_member(ctx, &request).await?);
    }
    let body = Multistatus {
        responses,
        ..Multistatus::default()
    };
    Ok(multistatus(&body))
}

/// The members of a collection (RFC 4918 §5.2), as `Depth: 1` lists them.
pub(crate) async fn members(ctx: &Ctx, resource: &Resource) -> DavResult<Vec<Resource>> {
    Ok(match resource {
        Resource::Root => vec![
            Resource::Principals,
            Resource::Home(DavCollectionKind::Calendar),
            Resource::Home(DavCollectionKind::AddressBook),
        ],
        Resource::Principals => vec![Resource::Principal],
        Resource::Principal
        | Resource::OtherPrincipal(..)
        | Resource::GroupPrincipal(_)
        | Resource::Object(..) => Vec::new(),
        Resource::Home(kind) => {
            let mut all: Vec<Resource> = ctx
                .collections()
                .await?
                .iter()
                .filter(|c| home_of(c.kind) == *kind)
                .cloned()
                .map(Resource::Collection)
                .collect();
            all.extend(
                crate::access::mounts(ctx, *kind)
                    .await?
                    .into_iter()
                    .map(Resource::Collection),
            );
            all
        }
        Resource::Collection(c) => ctx
            .store()
            .dav_object_list(c.id)
            .await?
            .into_iter()
            .map(|o| Resource::Object(c.clone(), o))
            .collect(),
    })
}
