//! From a path to what it names for the requesting user: the [`Target`] a method works on.
//!
//! Invariants:
//! - A user reaches only their own principal and homes: any path naming another user is `403`
//!   (whether or not that user exists), until sharing lands.
//! - The default collections exist before anything under a home is looked at
//!   (`Store::dav_ensure_defaults`, which writes nothing when they do), so a client's first
//!   PROPFIND of its home finds a calendar, a task list and an address book.
//! - A collection is found by name and kind: a calendar is never reached under
//!   `/dav/addressbooks/` (names are unique per account across both kinds).

use malt_store::{DavCollection, DavCollectionKind, DavObject, DavObjectInfo};

use crate::Ctx;
use crate::error::{DavError, DavResult};
use crate::path::DavPath;

/// Something that exists.
#[derive(Debug, Clone)]
pub enum Resource {
    /// `/` or `/dav/`.
    Root,
    /// `/dav/principals/`.
    Principals,
    /// The requesting user's principal.
    Principal,
    /// The requesting user's calendar or address book home.
    Home(DavCollectionKind),
    Collection(DavCollection),
    /// An object (without its content: GET reads that itself).
    Object(DavCollection, DavObjectInfo),
}

impl Resource {
    /// Whether this is a collection (RFC 4918 §5.2: its href ends with `/`).
    pub fn is_collection(&self) -> bool {
        !matches!(self, Resource::Object(..))
    }
}

/// What a request's path names.
#[derive(Debug, Clone)]
pub enum Target {
    Existing(Resource),
    /// No object of this name in an existing collection (a PUT creates it).
    NewObject(DavCollection, String),
    /// No collection of this name in a home (MKCOL or MKCALENDAR creates it).
    NewCollection(DavCollectionKind, String),
    /// Nothing, and no collection to create it in (RFC 4918 §9.7.1: PUT answers 409).
    NoParent,
}

impl Target {
    /// The resource, or 404.
    pub fn existing(self) -> DavResult<Resource> {
        match self {
            Target::Existing(r) => Ok(r),
            _ => Err(DavError::not_found()),
        }
    }
}

/// 403 unless `path` is the requesting user's (or no user's: the root, the principals).
fn check_user(ctx: &Ctx, path: &DavPath) -> DavResult<()> {
    match path.user() {
        Some(user) if !ctx.account.address.eq_ignore_ascii_case(user) => Err(DavError::forbidden(
            "only your own calendars and address books are reachable",
        )),
        _ => Ok(()),
    }
}

/// The collection `name` of kind `kind` of the requesting account (defaults created first).
pub async fn collection(ctx: &Ctx, kind: DavCollectionKind, name: &str) -> DavResult<Option<DavCollection>> {
    let all = ctx.store().dav_ensure_defaults(ctx.account.id).await?;
    Ok(all.into_iter().find(|c| c.kind == kind && c.name == name))
}

/// What `path` names for the requesting user.
pub async fn resolve(ctx: &Ctx, path: &DavPath) -> DavResult<Target> {
    check_user(ctx, path)?;
    Ok(match path {
        DavPath::Root => Target::Existing(Resource::Root),
        DavPath::Principals => Target::Existing(Resource::Principals),
        DavPath::Principal(_) => Target::Existing(Resource::Principal),
        DavPath::Home(kind, _) => Target::Existing(Resource::Home(*kind)),
        DavPath::Collection(kind, _, name) => match collection(ctx, *kind, name).await? {
            Some(c) => Target::Existing(Resource::Collection(c)),
            None => Target::NewCollection(*kind, name.clone()),
        },
        DavPath::Object(kind, _, c, name) => match collection(ctx, *kind, c).await? {
            None => Target::NoParent,
            Some(c) => match ctx.store().dav_object_get(c.id, name).await? {
                Some(o) => Target::Existing(Resource::Object(c, o.info())),
                None => Target::NewObject(c, name.clone()),
            },
        },
    })
}

/// The object `path` names, with its content (GET, COPY); 404 when there is none.
pub async fn object_with_content(ctx: &Ctx, path: &DavPath) -> DavResult<(DavCollection, DavObject)> {
    let DavPath::Object(kind, _, c, name) = path else {
        return Err(DavError::not_found());
    };
    check_user(ctx, path)?;
    let c = collection(ctx, *kind, c).await?.ok_or_else(DavError::not_found)?;
    let o = ctx
        .store()
        .dav_object_get(c.id, name)
        .await?
        .ok_or_else(DavError::not_found)?;
    Ok((c, o))
}
