//! Malt's CalDAV (RFC 4791) and CardDAV (RFC 6352) server on WebDAV (RFC 4918): an axum
//! [`Router`] the HTTP listeners serve beside `/healthz` and `/metrics`.
//!
//! - [`path`]: the URL space (`/dav/principals/<user>/`, `/dav/calendars/<user>/<cal>/<obj>`,
//!   `/dav/addressbooks/...`) and hrefs; [`resource`]: what a path names for the user.
//! - [`auth`]: HTTP Basic through the shared authenticator (a seam for Bearer).
//! - [`method`]: one file per method; [`report`]: one file per REPORT.
//! - [`props`]: live properties; [`content`]: what the server reads in iCalendar and vCard data.
//! - [`schedule`]: CalDAV scheduling (RFC 6638): implicit scheduling on PUT and DELETE,
//!   Schedule-Tag, free-busy POSTs to the outbox.
//! - [`access`]: who may do what with a collection (the owner, sharees), and how a collection
//!   of another account is addressed in this request; [`sharing`]: the sharing POSTs and
//!   properties, free-busy visibility; [`gal`]: the global address book; [`notifications`]:
//!   the notification collection (sharing invites and replies).
//! - [`error`]: statuses and precondition bodies.
//!
//! Invariants of every request:
//! - `/.well-known/caldav` and `/.well-known/carddav` redirect to `/dav/` (RFC 6764 §5) without
//!   authentication, with `307` so that the method and body are kept (a client library that
//!   follows a `301` drops the PROPFIND body, turning it into `allprop`); `OPTIONS` answers without authentication; everything else is authenticated
//!   first ([`auth`]), then the path is resolved for that user ([`resource`]): their own
//!   collections, and those of others they have access to ([`access`]; none: 404).
//! - The body is read only after authentication, and at most [`DavSettings::max_body`] octets
//!   (413 beyond); XML bodies are parsed with [`DavSettings::xml`]'s limits (400 with the
//!   reason when malformed).
//! - A handler never panics; store failures are logged and answered 500 ([`error`]).

pub mod access;
pub mod auth;
pub mod content;
pub mod error;
pub mod gal;
pub mod group;
pub mod method;
pub mod notifications;
pub mod path;
pub mod props;
pub mod report;
pub mod resource;
pub mod schedule;
pub mod sharee_props;
pub mod sharing;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use malt_core::{Authenticator, MailCore};
use malt_dav_proto::Limits;
use malt_server::http::Peer;
use malt_store::{Account, DavCollection, Store};
use tracing::Instrument;

use crate::error::{DavError, DavResult};
use crate::path::DavPath;

/// Settings of the DAV service.
#[derive(Debug, Clone)]
pub struct DavSettings {
    /// The `realm` of the Basic challenge.
    pub realm: String,
    /// Largest calendar object or vCard a PUT may store, in octets (`CALDAV:max-resource-size`,
    /// RFC 4791 §5.2.5; `CARDDAV:max-resource-size`, RFC 6352 §6.2.3).
    pub max_resource_size: u64,
    /// Largest request body read, in octets (a PUT's resource or an XML body; 413 beyond).
    pub max_body: usize,
    /// Limits of XML request bodies.
    pub xml: Limits,
    /// Most changes one sync-collection answer reports when the client sets no limit
    /// (RFC 6578 §3.6: the rest on the next request).
    pub sync_page: u32,
    /// Whether every user may see every other user's busy time over their opaque calendars
    /// (config `dav.public_free_busy`); when false, only over the calendars shared with the
    /// asker ([`sharing::visible_busy_time`]).
    pub public_free_busy: bool,
}

impl Default for DavSettings {
    fn default() -> DavSettings {
        DavSettings {
            realm: "Malt".to_owned(),
            max_resource_size: 1024 * 1024,
            max_body: 2 * 1024 * 1024,
            xml: Limits::default(),
            sync_page: 1000,
            public_free_busy: true,
        }
    }
}

struct Inner {
    core: MailCore,
    auth: Authenticator,
    settings: DavSettings,
}

/// The DAV service: the mail core (its store, and the queue scheduling mails through), the
/// authenticator and the settings. Cheap to clone.
#[derive(Clone)]
pub struct Dav {
    inner: Arc<Inner>,
}

impl Dav {
    pub fn new(core: MailCore, auth: Authenticator, settings: DavSettings) -> Dav {
        Dav {
            inner: Arc::new(Inner { core, auth, settings }),
        }
    }

    pub fn settings(&self) -> &DavSettings {
        &self.inner.settings
    }
}

/// What a handler gets besides its request: the service and the authenticated account, and
/// what one request reads of the account at most once (its collections, its calendar user
/// addresses).
pub struct Ctx {
    dav: Dav,
    pub account: Account,
    collections: OnceLock<Vec<DavCollection>>,
    addresses: OnceLock<Vec<String>>,
    identity: OnceLock<malt_core::acl::Identity>,
    /// How the collections of others reached in this request are addressed ([`access`]).
    views: access::Views,
}

impl Ctx {
    pub fn store(&self) -> &dyn Store {
        &*self.dav.inner.core.storage().store
    }

    pub fn core(&self) -> &MailCore {
        &self.dav.inner.core
    }

    /// The account's collections, the defaults created first (`Store::dav_ensure_defaults`);
    /// read once per request.
    pub async fn collections(&self) -> DavResult<&[DavCollection]> {
        if self.collections.get().is_none() {
            let all = self.store().dav_ensure_defaults(self.account.id).await?;
            let _ = self.collections.set(all);
        }
        Ok(self.collections.get().map(Vec::as_slice).unwrap_or_default())
    }

    /// The collections if [`Ctx::collections`] read them already in this request.
    pub fn collections_read(&self) -> Option<&[DavCollection]> {
        self.collections.get().map(Vec::as_slice)
    }

    /// The account's calendar user addresses (RFC 6638 §2.4.1); read once per request.
    pub async fn addresses(&self) -> DavResult<&[String]> {
        if self.addresses.get().is_none() {
            let all = self.core().calendar_user_addresses(&self.account).await?;
            let _ = self.addresses.set(all);
        }
        Ok(self.addresses.get().map(Vec::as_slice).unwrap_or_default())
    }

    /// The addresses if [`Ctx::addresses`] read them already, else the account's own.
    pub fn addresses_read(&self) -> Vec<String> {
        self.addresses
            .get()
            .cloned()
            .unwrap_or_else(|| vec![self.account.address.to_lowercase()])
    }

    pub fn settings(&self) -> &DavSettings {
        &self.dav.inner.settings
    }

    /// Who the account is for sharing (its address and groups, `malt_core::acl::Identity`);
    /// read once per request, when a shared collection is looked at.
    pub async fn identity(&self) -> DavResult<&malt_core::acl::Identity> {
        if self.identity.get().is_none() {
            let id = malt_core::acl::Identity::load(self.store(), self.account.id).await?;
            let _ = self.identity.set(id);
        }
        self.identity
            .get()
            .ok_or_else(|| DavError::status(StatusCode::INTERNAL_SERVER_ERROR, "no identity"))
    }
}

/// One request, its body read.
pub struct DavRequest {
    pub method: Method,
    pub path: DavPath,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl DavRequest {
    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    }
}

/// The router: the well-known redirects and every other path to the DAV methods. Merge it with
/// the `/healthz` and `/metrics` router (it has a fallback, that one has not).
pub fn router(dav: Dav) -> Router {
    Router::new()
        .route("/.well-known/caldav", axum::routing::any(well_known))
        .route("/.well-known/caldav/", axum::routing::any(well_known))
        .route("/.well-known/carddav", axum::routing::any(well_known))
        .route("/.well-known/carddav/", axum::routing::any(well_known))
        .fallback(serve)
        .with_state(dav)
}

/// RFC 6764 §5: the context path of the service, by a redirect that keeps method and body.
async fn well_known() -> Response {
    let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(path::DAV_ROOT));
    r
}

async fn serve(State(dav): State<Dav>, req: Request) -> Response {
    let span = tracing::debug_span!("dav", method = %req.method(), path = %req.uri().path());
    async move {
        let response = serve_request(dav, req).await;
        tracing::debug!(status = response.status().as_u16(), "answered");
        response
    }
    .instrument(span)
    .await
}

async fn serve_request(dav: Dav, req: Request) -> Response {
    let Some(peer) = req.extensions().get::<Peer>().copied() else {
        tracing::error!("a DAV request without connection information");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (parts, body) = req.into_parts();
    let Some(path) = DavPath::parse(parts.uri.path()) else {
        return DavError::not_found().into_response();
    };
    if parts.method == Method::OPTIONS {
        return method::options::handle();
    }
    let inner = &dav.inner;
    let account = match auth::authenticate(&inner.auth, &inner.settings.realm, &parts.headers, &peer).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let body = match axum::body::to_bytes(body, inner.settings.max_body).await {
        Ok(b) => b,
        Err(_) => {
            return DavError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than {} octets", inner.settings.max_body),
            )
            .into_response();
        }
    };
    let ctx = Ctx {
        dav: dav.clone(),
        account,
        collections: OnceLock::new(),
        addresses: OnceLock::new(),
        identity: OnceLock::new(),
        views: access::Views::default(),
    };
    let request = DavRequest {
        method: parts.method,
        path,
        headers: parts.headers,
        body,
    };
    dispatch(&ctx, &request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn dispatch(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    if gal::is_gal_path(ctx, &req.path).await? {
        return gal::handle(ctx, req).await;
    }
    if notifications::is_notification_path(ctx, &req.path).await? {
        return notifications::handle(ctx, req).await;
    }
    match req.method.as_str() {
        "PROPFIND" => method::propfind::handle(ctx, req).await,
        "PROPPATCH" => method::proppatch::handle(ctx, req).await,
        "MKCOL" | "MKCALENDAR" => method::mkcol::handle(ctx, req).await,
        "GET" | "HEAD" => method::get::handle(ctx, req).await,
        "PUT" => method::put::handle(ctx, req).await,
        "DELETE" => method::delete::handle(ctx, req).await,
        "COPY" | "MOVE" => method::copymove::handle(ctx, req).await,
        "REPORT" => report::handle(ctx, req).await,
        "POST" => sharing::post(ctx, req).await,
        "ACL" => method::acl::handle(ctx, req).await,
        _ => Err(DavError::status(
            StatusCode::NOT_IMPLEMENTED,
            format!("{} is not supported", req.method),
        )),
    }
}

/// An empty response with `status`.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}
