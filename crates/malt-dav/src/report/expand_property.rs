//! `DAV:expand-property` (RFC 3253 §3.8): the listed properties of the resource the report is
//! addressed to; where a listed property names nested properties, each `DAV:href` in its value
//! is replaced by a `DAV:response` holding the named resource's nested properties (Apple
//! clients ask a principal this way for its addresses and homes at once).
//!
//! Invariants and limits:
//! - Nesting is bounded by the parser (`MAX_EXPAND_DEPTH` levels of `DAV:property`), and at
//!   most [`MAX_EXPANDED`] hrefs are expanded in one report; further hrefs are left as they
//!   are (RFC 3253 §3.8 leaves a property that is not expanded as its plain value).
//! - An href is resolved as a request's path is ([`crate::resource::resolve`]): the user's own
//!   resources, another user's principal (the properties every principal shows), collections
//!   shared with the user; anything else gets a response with the status that request would
//!   have had (`404` for another user's data).
//! - The report is answered for the request-URI only (`Depth` is not looked at).

use std::future::Future;
use std::pin::Pin;

use axum::response::Response;
use malt_dav_proto::request::ExpandProp;
use malt_dav_proto::response::{Multistatus, PropStat, Response as DavResponse, reason};
use malt_dav_proto::{Element, Name, Node};

use crate::Ctx;
use crate::error::DavResult;
use crate::method::multistatus;
use crate::props::{by_status, dead, href, value};
use crate::resource::Resource;

use super::resolve_href;

/// Most hrefs expanded in one report.
pub const MAX_EXPANDED: usize = 100;

pub async fn handle(ctx: &Ctx, resource: &Resource, props: &[ExpandProp]) -> DavResult<Response> {
    // The principal's calendar-user-address-set (props are computed without I/O).
    ctx.addresses().await?;
    let mut budget = MAX_EXPANDED;
    let propstats = expand(ctx, resource, props, &mut budget).await?;
    let body = Multistatus {
        responses: vec![DavResponse::propstats(href(ctx, resource), propstats)],
        ..Multistatus::default()
    };
    Ok(multistatus(&body))
}

/// The value of property `name` of `res`, live or dead.
fn lookup(ctx: &Ctx, res: &Resource, name: &Name) -> Option<Element> {
    value(ctx, res, name).or_else(|| dead(res).into_iter().find(|d| &d.name == name))
}

/// The propstats of `props` of `res`, hrefs of nested properties expanded.
fn expand<'a>(
    ctx: &'a Ctx,
    res: &'a Resource,
    props: &'a [ExpandProp],
    budget: &'a mut usize,
) -> Pin<Box<dyn Future<Output = DavResult<Vec<PropStat>>> + Send + 'a>> {
    Box::pin(async move {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for p in props {
            let Some(v) = lookup(ctx, res, &p.name) else {
                missing.push(Element::new(p.name.clone()));
                continue;
            };
            if p.expand.is_empty() {
                found.push(v);
                continue;
            }
            let mut out = Element::new(v.name.clone());
            out.attrs = v.attrs;
            for child in v.children {
                match child {
                    Node::Element(e) if e.is(malt_dav_proto::name::DAV, "href") && *budget > 0 => {
                        *budget -= 1;
                        let h = e.text();
                        let nested = match resolve_href(ctx, &h).await? {
                            Err(s) => DavResponse::status(h, s),
                            Ok(target) => {
                                DavResponse::propstats(h, expand(ctx, &target, &p.expand, budget).await?)
                            }
                        };
                        out.children.push(Node::Element(response_element(&nested)));
                    }
                    other => out.children.push(other),
                }
            }
            found.push(out);
        }
        Ok(by_status(found, missing))
    })
}

fn status_element(status: u16) -> Element {
    Element::new(Name::dav("status")).with_text(format!("HTTP/1.1 {status} {}", reason(status)))
}

/// A `DAV:response` as an element, to nest in a property value (RFC 3253 §3.8).
fn response_element(r: &DavResponse) -> Element {
    let mut e = Element::new(Name::dav("response")).with_child(Element::href(r.href.clone()));
    match &r.body {
        malt_dav_proto::response::ResponseBody::Status(s) => e = e.with_child(status_element(*s)),
        malt_dav_proto::response::ResponseBody::PropStats(ps) => {
            for p in ps {
                e = e.with_child(
                    Element::new(Name::dav("propstat"))
                        .with_child(Element::new(Name::dav("prop")).with_children(p.props.iter().cloned()))
                        .with_child(status_element(p.status)),
                );
            }
        }
    }
    e
}
