//! From a path to what it names for the requesting user: the [`Target`] a method works on.
//!
//! Invariants:
//! - A user reaches their own principal and homes, the principal of any other user (read-only,
//!   so clients can show sharees), and the collections of others they have access to, at the
//!   owner's URL or mounted in their own home ([`crate::access`]). Anything else naming
//!   another user is `404`, whether or not it exists.
//! - The default collections exist before anything under a home is looked at
//!   (`Store::dav_ensure_defaults`, which writes nothing when they do), so a client's first
//!   PROPFIND of its home finds a calendar, a task list and an address book.
//! - A collection is found by name and home: a calendar is never reached under
//!   `/dav/addressbooks/` (names are unique per account across every kind); the scheduling
//!   inbox and outbox are in the calendar home.

use malt_store::{DavCollection, DavCollectionKind, DavObject, DavObjectInfo};

use crate::Ctx;
use crate::error::{DavError, DavResult};
use crate::path::{DavPath, home_of};

/// Something that exists.
#[derive(Debug, Clone)]
pub enum Resource {
    /// `/` or `/dav/`.
    Root,
    /// `/dav/principals/`.
    Principals,
    /// The requesting user's principal.
    Principal,
    /// Another user's principal: their address and calendar user addresses.
    OtherPrincipal(String, Vec<String>),
    /// A distribution group's principal ([`crate::group`]).
    GroupPrincipal(crate::group::GroupPrincipal),
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

/// Whether `user` (a path's) is the requesting user.
pub fn is_self(ctx: &Ctx, user: &str) -> bool {
    ctx.account.address.eq_ignore_ascii_case(user)
}

/// The collection `name` in the `home` (a path's kind: [`crate::path::home_of`]) of the
/// requesting account (defaults created first).
pub async fn collection(ctx: &Ctx, home: DavCollectionKind, name: &str) -> DavResult<Option<DavCollection>> {
    Ok(ctx
        .collections()
        .await?
        .iter()
        .find(|c| home_of(c.kind) == home && c.name == name)
        .cloned())
}

/// The collection `name` of `user`'s `home` that the requesting user can reach: their own, a
/// share mounted in their home, or another user's they have access to.
pub async fn find_collection(
    ctx: &Ctx,
    home: DavCollectionKind,
    user: &str,
    name: &str,
) -> DavResult<Option<DavCollection>> {
    if !is_self(ctx, user) {
        return crate::access::foreign_collection(ctx, home, user, name).await;
    }
    if let Some(c) = collection(ctx, home, name).await? {
        return Ok(Some(c));
    }
    crate::access::mount(ctx, home, name).await
}

/// What `path` names for the requesting user.
pub async fn resolve(ctx: &Ctx, path: &DavPath) -> DavResult<Target> {
    if let Some(user) = path.user().filter(|u| !is_self(ctx, u)) {
        return resolve_foreign(ctx, path, user).await;
    }
    Ok(match path {
        DavPath::Root => Target::Existing(Resource::Root),
        DavPath::Principals => Target::Existing(Resource::Principals),
        DavPath::Principal(_) => Target::Existing(Resource::Principal),
        DavPath::Home(kind, _) => Target::Existing(Resource::Home(*kind)),
        DavPath::Collection(kind, user, name) => match find_collection(ctx, *kind, user, name).await? {
            Some(c) => Target::Existing(Resource::Collection(c)),
            None => Target::NewCollection(*kind, name.clone()),
        },
        DavPath::Object(kind, user, c, name) => match find_collection(ctx, *kind, user, c).await? {
            None => Target::NoParent,
            Some(c) => match ctx.store().dav_object_get(c.id, name).await? {
                Some(o) => Target::Existing(Resource::Object(c, o.info())),
                None => Target::NewObject(c, name.clone()),
            },
        },
    })
}

/// A path naming another user: their principal, or a collection of theirs (and its objects)
/// the requesting user has access to; anything else is 404.
async fn resolve_foreign(ctx: &Ctx, path: &DavPath, user: &str) -> DavResult<Target> {
    match path {
        DavPath::Principal(_) => {
            let Some(account) = ctx.store().account_by_address(user).await? else {
                return crate::group::find(ctx, user)
                    .await?
                    .map(|g| Target::Existing(Resource::GroupPrincipal(g)))
                    .ok_or_else(DavError::not_found);
            };
            let addresses = ctx.core().calendar_user_addresses(&account).await?;
            Ok(Target::Existing(Resource::OtherPrincipal(
                account.address,
                addresses,
            )))
        }
        DavPath::Collection(kind, _, name) => find_collection(ctx, *kind, user, name)
            .await?
            .map(|c| Target::Existing(Resource::Collection(c)))
            .ok_or_else(DavError::not_found),
        DavPath::Object(kind, _, c, name) => {
            let c = find_collection(ctx, *kind, user, c)
                .await?
                .ok_or_else(DavError::not_found)?;
            Ok(match ctx.store().dav_object_get(c.id, name).await? {
                Some(o) => Target::Existing(Resource::Object(c, o.info())),
                None => Target::NewObject(c, name.clone()),
            })
        }
        _ => Err(DavError::not_found()),
    }
}

/// The object `path` names, with its content (GET, COPY); 404 when there is none, 403
/// `need-privileges` when the user may not read it.
pub async fn object_with_content(ctx: &Ctx, path: &DavPath) -> DavResult<(DavCollection, DavObject)> {
    let DavPath::Object(kind, user, c, name) = path else {
        return Err(DavError::not_found());
    };
    let c = find_collection(ctx, *kind, user, c)
        .await?
        .ok_or_else(DavError::not_found)?;
    crate::access::require(ctx, &c, malt_store::DavAccess::Read)?;
    let o = ctx
        .store()
        .dav_object_get(c.id, name)
        .await?
        .ok_or_else(DavError::not_found)?;
    Ok((c, o))
}
