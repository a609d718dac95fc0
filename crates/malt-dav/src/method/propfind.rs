//! PROPFIND (RFC 4918 §9.1): the properties of a resource and, with `Depth: 1`, of its members.
//!
//! `Depth: infinity` (also what a request without `Depth` means) is refused with
//! `DAV:propfind-finite-depth` (RFC 4918 §9.1, §16): a home holds whole calendars. Members of
//! a collection are listed from the store's object rows, without reading any content.

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::request::parse_propfind;
use malt_dav_proto::response::Multistatus;
use malt_store::DavCollectionKind;

use super::{Depth, depth, multistatus};
use crate::error::{DavError, DavResult};
use crate::resource::{Resource, resolve};
use crate::{Ctx, DavRequest, props};

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let depth = depth(req, Depth::Infinity)?;
    if depth == Depth::Infinity {
        return Err(DavError::precondition(Name::dav("propfind-finite-depth")));
    }
    let request = parse_propfind(&req.body, &ctx.settings().xml)?;
    let resource = resolve(ctx, &req.path).await?.existing()?;
    let mut resources = vec![resource.clone()];
    if depth == Depth::One {
        resources.extend(members(ctx, &resource).await?);
    }
    let body = Multistatus {
        responses: resources
            .iter()
            .map(|r| props::response(ctx, r, &request))
            .collect(),
        ..Multistatus::default()
    };
    Ok(multistatus(&body))
}

/// The members of a collection (RFC 4918 §5.2), as `Depth: 1` lists them.
async fn members(ctx: &Ctx, resource: &Resource) -> DavResult<Vec<Resource>> {
    Ok(match resource {
        Resource::Root => vec![
            Resource::Principals,
            Resource::Home(DavCollectionKind::Calendar),
            Resource::Home(DavCollectionKind::AddressBook),
        ],
        Resource::Principals => vec![Resource::Principal],
        Resource::Principal | Resource::Object(..) => Vec::new(),
        Resource::Home(kind) => ctx
            .store()
            .dav_ensure_defaults(ctx.account.id)
            .await?
            .into_iter()
            .filter(|c| c.kind == *kind)
            .map(Resource::Collection)
            .collect(),
        Resource::Collection(c) => ctx
            .store()
            .dav_object_list(c.id)
            .await?
            .into_iter()
            .map(|o| Resource::Object(c.clone(), o))
            .collect(),
    })
}
