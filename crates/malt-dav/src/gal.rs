//! The global address book over CardDAV: a read-only address book named [`GAL_NAME`]
//! (`/dav/addressbooks/<user>/directory/`) in every user's address book home, served from
//! `malt_core::gal::build` for the user's domain at each request (one vCard 4.0 per account,
//! one `KIND:group` card with its `MEMBER`s per distribution group).
//!
//! - PROPFIND (depth 0 and 1), GET/HEAD, `addressbook-multiget`, `addressbook-query` and
//!   `sync-collection` read it; vCard 3.0 on request as for any address book.
//! - Sync: the book's token (also its CTag) is a hash of its entries, not a position in a
//!   history. The current token answers "no change"; the empty token is an initial sync (every
//!   entry); any other token is 403 `DAV:valid-sync-token` (RFC 6578 §3.2), after which clients
//!   sync again from the empty token.
//! - Writes (PUT, DELETE, PROPPATCH, COPY, MOVE, POST) are 403 `DAV:need-privileges`; MKCOL of
//!   the name is 405 (it exists). `current-user-privilege-set` is read-only.
//!
//! Invariant: the name is reserved in the address book home, but an address book of the user's
//! own of that name (made before the name was reserved) keeps it: then the GAL is not served
//! there. The synthetic collection has id [`GAL_ID`], which no stored collection has.

use axum::response::Response;
use malt_core::gal::{GalEntry, GlobalAddressBook};
use malt_dav_proto::name::{CALENDARSERVER, CARDDAV, DAV};
use malt_dav_proto::request::{PropRequest, ReportRequest, parse_propfind, parse_report};
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_dav_proto::{Element, Name};
use malt_store::{
    DavAccess, DavCollection, DavCollectionKind, DavCollectionProps, DavComponent, DavObject, DavObjectInfo,
};

use crate::access::{View, need_privileges};
use crate::error::{DavError, DavResult};
use crate::method::{Depth, depth, multistatus};
use crate::path::{DavPath, collection_href};
use crate::props::propstats;
use crate::report::{object_response, text};
use crate::resource::{Resource, collection, is_self};
use crate::{Ctx, DavRequest, content};

/// The global address book's name in every address book home.
pub const GAL_NAME: &str = "directory";
/// The id of the synthetic collection (stored ids start at 1).
pub const GAL_ID: i64 = 0;

/// Whether `path` names the global address book or one of its cards for the user.
pub async fn is_gal_path(ctx: &Ctx, path: &DavPath) -> DavResult<bool> {
    let (DavPath::Collection(DavCollectionKind::AddressBook, user, name)
    | DavPath::Object(DavCollectionKind::AddressBook, user, name, _)) = path
    else {
        return Ok(false);
    };
    if name != GAL_NAME || !is_self(ctx, user) {
        return Ok(false);
    }
    Ok(collection(ctx, DavCollectionKind::AddressBook, GAL_NAME)
        .await?
        .is_none())
}

/// The synthetic collection the properties and reports work on, recorded as read-only.
pub fn gal_collection(ctx: &Ctx) -> DavCollection {
    let c = DavCollection {
        id: GAL_ID,
        account_id: ctx.account.id,
        kind: DavCollectionKind::AddressBook,
        name: GAL_NAME.to_owned(),
        props: DavCollectionProps {
            display_name: Some("Global Address Book".to_owned()),
            description: Some("Every user and distribution group of the organisation".to_owned()),
            ..DavCollectionProps::default()
        },
        created_at: 0,
        highest_modseq: 0,
    };
    ctx.set_view(
        GAL_ID,
        View {
            owner: ctx.account.address.clone(),
            href: collection_href(c.kind, &ctx.account.address, GAL_NAME),
            access: DavAccess::Read,
            mount: None,
        },
    );
    c
}

/// The book for the user's domain.
pub async fn build(ctx: &Ctx) -> DavResult<GlobalAddressBook> {
    let domain = ctx.account.address.rsplit_once('@').map(|(_, d)| d);
    Ok(malt_core::gal::build(ctx.store(), domain).await?)
}

fn object(e: &GalEntry) -> DavObject {
    DavObject {
        id: 0,
        collection_id: GAL_ID,
        name: e.name.clone(),
        uid: Some(e.uid.clone()),
        etag: e.etag.clone(),
        component: DavComponent::Card,
        size: u64::try_from(e.content.len()).unwrap_or(u64::MAX),
        span: None,
        modseq: 0,
        created_at: 0,
        updated_at: 0,
        content: e.content.as_bytes().to_vec(),
    }
}

fn info(e: &GalEntry) -> DavObjectInfo {
    object(e).info()
}

/// The book's own properties the stored-collection code cannot know: its token.
fn token_prop(book: &GlobalAddressBook, name: &Name) -> Option<Element> {
    (name.is(DAV, "sync-token") || name.is(CALENDARSERVER, "getctag"))
        .then(|| Element::new(name.clone()).with_text(book.token.clone()))
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let c = gal_collection(ctx);
    let card = match &req.path {
        DavPath::Object(_, _, _, name) => Some(name.as_str()),
        _ => None,
    };
    match req.method.as_str() {
        "PROPFIND" => propfind(ctx, req, &c, card).await,
        "GET" | "HEAD" => get(ctx, req, card).await,
        "REPORT" => report(ctx, req, &c).await,
        "MKCOL" | "MKCALENDAR" => Err(DavError::method_not_allowed(
            "the global address book exists already",
        )),
        "PROPPATCH" | "ACL" => Err(need_privileges(ctx.collection_href(&c), DavAccess::Owner)),
        _ => Err(need_privileges(
            match card {
                Some(name) => ctx.object_href(&c, name),
                None => ctx.collection_href(&c),
            },
            DavAccess::ReadWrite,
        )),
    }
}

async fn propfind(ctx: &Ctx, req: &DavRequest, c: &DavCollection, card: Option<&str>) -> DavResult<Response> {
    let depth = depth(req, Depth::Infinity)?;
    if depth == Depth::Infinity {
        return Err(DavError::precondition(Name::dav("propfind-finite-depth")));
    }
    let request = parse_propfind(&req.body, &ctx.settings().xml)?;
    let book = build(ctx).await?;
    let mut resources = Vec::new();
    match card {
        Some(name) => {
            let e = book.get(name).ok_or_else(DavError::not_found)?;
            resources.push(Resource::Object(c.clone(), info(e)));
        }
        None => {
            resources.push(Resource::Collection(c.clone()));
            if depth == Depth::One {
                resources.extend(book.entries.iter().map(|e| Resource::Object(c.clone(), info(e))));
            }
        }
    }
    let data = |n: &Name| token_prop(&book, n);
    let responses = resources
        .iter()
        .map(|r| {
            let data: &dyn Fn(&Name) -> Option<Element> = match r {
                Resource::Collection(_) => &data,
                _ => &|_| None,
            };
            DavResponse::propstats(crate::props::href(ctx, r), propstats(ctx, r, &request, data))
        })
        .collect();
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}

/// The GAL's collection response in a `Depth: 1` listing of the address book home.
pub async fn home_member(ctx: &Ctx, request: &PropRequest) -> DavResult<DavResponse> {
    let c = gal_collection(ctx);
    let book = build(ctx).await?;
    let r = Resource::Collection(c);
    Ok(DavResponse::propstats(
        crate::props::href(ctx, &r),
        propstats(ctx, &r, request, &|n| token_prop(&book, n)),
    ))
}

async fn get(ctx: &Ctx, req: &DavRequest, card: Option<&str>) -> DavResult<Response> {
    let Some(name) = card else {
        return Err(DavError::method_not_allowed("a collection has no content to GET"));
    };
    let book = build(ctx).await?;
    let e = book.get(name).ok_or_else(DavError::not_found)?;
    Ok(crate::method::get::answer(req, object(e), None))
}

async fn report(ctx: &Ctx, req: &DavRequest, c: &DavCollection) -> DavResult<Response> {
    let report = parse_report(&req.body, &ctx.settings().xml)?;
    if matches!(req.path, DavPath::Object(..)) {
        return Err(DavError::precondition(Name::dav("supported-report")));
    }
    let book = build(ctx).await?;
    let data_name = Name::new(CARDDAV, "address-data");
    let mut sync_token = None;
    let responses: Vec<DavResponse> = match report {
        ReportRequest::AddressbookMultiget(m) => m
            .hrefs
            .iter()
            .map(|h| {
                let found = crate::report::multiget::name_in(ctx, c, h).and_then(|n| book.get(&n));
                match found {
                    Some(e) => {
                        let o = object(e);
                        let data = m.address_data.as_ref().map(|d| {
                            (
                                &data_name,
                                content::address_data(&o, d).unwrap_or_else(|| text(&o)),
                            )
                        });
                        object_response(ctx, c, &o, m.prop.as_ref(), data)
                    }
                    None => DavResponse::status(h.clone(), 404),
                }
            })
            .collect(),
        ReportRequest::AddressbookQuery(q) => {
            let objects: Vec<DavObject> = book.entries.iter().map(object).collect();
            crate::report::addressbook_query::responses(ctx, c, &objects, &q)?
        }
        ReportRequest::SyncCollection(s) => {
            if depth(req, Depth::Zero)? != Depth::Zero {
                return Err(DavError::bad_request("sync-collection is sent with Depth: 0"));
            }
            sync_token = Some(book.token.clone());
            if s.sync_token == book.token {
                Vec::new()
            } else if s.sync_token.is_empty() {
                let wants_data = matches!(&s.prop, PropRequest::Prop(names) if names.contains(&data_name));
                book.entries
                    .iter()
                    .map(|e| {
                        let o = object(e);
                        let data = wants_data.then(|| (&data_name, text(&o)));
                        object_response(ctx, c, &o, Some(&s.prop), data)
                    })
                    .collect()
            } else {
                return Err(DavError::precondition(Name::dav("valid-sync-token")));
            }
        }
        _ => return Err(DavError::precondition(Name::dav("supported-report"))),
    };
    Ok(multistatus(&Multistatus {
        responses,
        sync_token,
        description: None,
    }))
}
