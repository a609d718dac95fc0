//! `DAV:acl-principal-prop-set` (RFC 3744 §9.2): for each principal the `DAV:acl` of the
//! request-URI names by href, the requested properties, as a PROPFIND of that principal would
//! answer them (clients show the people an ACL names by their display names).
//!
//! Invariants:
//! - Sent with `Depth: 0` (§9.2: any other value is 400; a missing header means 0 here).
//! - Addressed to a calendar or address book with an ACL ([`crate::access::shareable_collection`]); anywhere
//!   else 403 `DAV:supported-report`. The ACL is read as `DAV:acl` shows it
//!   ([`crate::sharing::collection_prop`]): the owner's ACE and one per share. Only the owner
//!   reads the ACL, so a sharee gets 403 `DAV:need-privileges` with `DAV:read-acl` (§9.2's
//!   precondition).
//! - A principal named twice is answered once (§9.2), in the order of the ACL. A group's href
//!   is its group principal ([`crate::group`]); an href that names no principal (an account or
//!   a group deleted since it was granted) gets the status its PROPFIND would (404).
//! - Without a `DAV:prop`, each principal is a bare 200.

use axum::response::Response;
use malt_dav_proto::name::DAV;
use malt_dav_proto::request::PropRequest;
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_dav_proto::{Element, Name};
use malt_store::DavAccess;

use super::{resolve_href, unsupported};
use crate::access::{need_privilege, shareable_collection};
use crate::error::{DavError, DavResult};
use crate::method::{Depth, depth, multistatus};
use crate::props::{href, response, value};
use crate::resource::Resource;
use crate::sharing::preload;
use crate::{Ctx, DavRequest};

pub async fn handle(
    ctx: &Ctx,
    req: &DavRequest,
    resource: &Resource,
    prop: Option<&PropRequest>,
) -> DavResult<Response> {
    if depth(req, Depth::Zero)? != Depth::Zero {
        return Err(DavError::bad_request(
            "acl-principal-prop-set is sent with Depth: 0",
        ));
    }
    let Resource::Collection(c) = resource else {
        return Err(unsupported());
    };
    if !shareable_collection(c) {
        return Err(unsupported());
    }
    if ctx.access(c) != DavAccess::Owner {
        return Err(need_privilege(href(ctx, resource), Name::dav("read-acl")));
    }
    let acl_name = Name::dav("acl");
    preload(
        ctx,
        std::slice::from_ref(resource),
        &PropRequest::Prop(vec![acl_name.clone()]),
    )
    .await?;
    // The user's own principal's calendar-user-address-set (props are computed without I/O).
    ctx.addresses().await?;
    let acl = value(ctx, resource, &acl_name).unwrap_or_else(|| Element::new(acl_name));
    let mut principals: Vec<String> = Vec::new();
    for ace in acl.children_named(DAV, "ace") {
        let Some(h) = ace
            .child(DAV, "principal")
            .and_then(|p| p.child(DAV, "href"))
            .map(|h| h.text())
        else {
            continue;
        };
        if !principals.contains(&h) {
            principals.push(h);
        }
    }
    let mut responses = Vec::with_capacity(principals.len());
    for h in principals {
        responses.push(match resolve_href(ctx, &h).await? {
            Ok(r @ (Resource::Principal | Resource::OtherPrincipal(..) | Resource::GroupPrincipal(_))) => {
                match prop {
                    Some(prop) => response(ctx, &r, prop),
                    None => DavResponse::status(href(ctx, &r), 200),
                }
            }
            Ok(_) => DavResponse::status(h, 404),
            Err(status) => DavResponse::status(h, status),
        });
    }
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}
