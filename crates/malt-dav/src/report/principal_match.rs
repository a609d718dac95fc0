//! `DAV:principal-match` (RFC 3744 §9.3): the resources, among the one the report is addressed
//! to and its members, that are the current user's principal (`DAV:self`) or whose given
//! property names it (`DAV:principal-property`, e.g. `DAV:owner`).
//!
//! Invariants: sent with `Depth: 0` (§9.3; a missing header means 0 here); members are looked
//! at one level deep (what PROPFIND `Depth: 1` lists), not at any depth. Every resource a user
//! reaches is their own, so on a home or a collection `DAV:owner` matches every member. Each
//! match is answered with the requested properties, or a bare 200 without `DAV:prop`.

use axum::response::Response;
use malt_dav_proto::Node;
use malt_dav_proto::name::DAV;
use malt_dav_proto::request::{PrincipalMatch, PrincipalMatchKind};
use malt_dav_proto::response::{Multistatus, Response as DavResponse};

use crate::error::{DavError, DavResult};
use crate::method::propfind::members;
use crate::method::{Depth, depth, multistatus};
use crate::path::principal_href;
use crate::props::{href, response, value};
use crate::resource::Resource;
use crate::{Ctx, DavRequest};

pub async fn handle(
    ctx: &Ctx,
    req: &DavRequest,
    resource: &Resource,
    m: &PrincipalMatch,
) -> DavResult<Response> {
    if depth(req, Depth::Zero)? != Depth::Zero {
        return Err(DavError::bad_request("principal-match is sent with Depth: 0"));
    }
    ctx.addresses().await?;
    let me = principal_href(&ctx.account.address);
    let mut candidates = vec![resource.clone()];
    candidates.extend(members(ctx, resource).await?);
    let matches = |r: &Resource| match &m.kind {
        PrincipalMatchKind::SelfPrincipal => matches!(r, Resource::Principal),
        PrincipalMatchKind::Property(name) => value(ctx, r, name).is_some_and(|v| {
            v.children
                .iter()
                .any(|c| matches!(c, Node::Element(e) if e.is(DAV, "href") && e.text().trim() == me))
        }),
    };
    let responses = candidates
        .iter()
        .filter(|r| matches(r))
        .map(|r| match &m.prop {
            Some(prop) => response(ctx, r, prop),
            None => DavResponse::status(href(ctx, r), 200),
        })
        .collect();
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}
