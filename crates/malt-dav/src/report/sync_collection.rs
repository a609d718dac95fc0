//! `DAV:sync-collection` (RFC 6578): what changed in a collection since a token.
//!
//! Tokens are `urn:x-malt:sync:<collection id>:<modseq>`: the collection's id makes a token of
//! another collection, or of a deleted and re-created one, invalid, and the modseq is the store's
//! (`DavCollection::highest_modseq`). A token that is not one of ours, names another collection,
//! or is above the collection's modseq is 403 `DAV:valid-sync-token` (RFC 6578 §3.2); the empty
//! token is an initial sync (§3.4). Changed members come with their requested properties,
//! deleted ones as 404 (§3.5); a cut page ends with a 507 response for the collection with
//! `DAV:number-of-matches-within-limits` (§3.6) and the token of what was reported. Only
//! `Depth: 0` is allowed on the request (§3.2). A request that names `calendar-data` or
//! `address-data` gets the changed objects' data too (read in one store call).

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::request::{PropRequest, SyncCollection};
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_store::{DavCollection, DavCollectionKind, ModSeq};

use crate::error::{DavError, DavResult};
use crate::method::{Depth, depth, multistatus};
use crate::props::{href, propstats};
use crate::report::{cut, object_response, text};
use crate::resource::Resource;
use crate::{Ctx, DavRequest};

const TOKEN_PREFIX: &str = "urn:x-malt:sync:";

/// The property that carries an object's data in a collection of `kind`.
fn data_property(kind: DavCollectionKind) -> Name {
    match kind {
        DavCollectionKind::AddressBook => Name::carddav("address-data"),
        _ => Name::caldav("calendar-data"),
    }
}

/// The token of a collection as it is now (`DAV:sync-token`).
pub fn sync_token(c: &DavCollection) -> String {
    token(c, c.highest_modseq)
}

fn token(c: &DavCollection, modseq: ModSeq) -> String {
    format!("{TOKEN_PREFIX}{}:{modseq}", c.id)
}

/// The modseq a client's token stands for in `c`; `None` when it is not a valid token of `c`.
pub fn parse_token(c: &DavCollection, t: &str) -> Option<ModSeq> {
    if t.is_empty() {
        return Some(0);
    }
    let (id, modseq) = t.strip_prefix(TOKEN_PREFIX)?.split_once(':')?;
    let modseq: ModSeq = modseq.parse().ok()?;
    (id.parse::<i64>().ok()? == c.id && modseq <= c.highest_modseq).then_some(modseq)
}

pub async fn handle(
    ctx: &Ctx,
    req: &DavRequest,
    c: &DavCollection,
    s: &SyncCollection,
) -> DavResult<Response> {
    if depth(req, Depth::Zero)? != Depth::Zero {
        return Err(DavError::bad_request("sync-collection is sent with Depth: 0"));
    }
    let since =
        parse_token(c, &s.sync_token).ok_or_else(|| DavError::precondition(Name::dav("valid-sync-token")))?;
    let limit = s
        .limit
        .unwrap_or(ctx.settings().sync_page)
        .min(ctx.settings().sync_page);
    let changes = ctx.store().dav_changes(c.id, since, limit).await?;
    let data_name = data_property(c.kind);
    let wants_data = matches!(&s.prop, PropRequest::Prop(names) if names.contains(&data_name));
    let mut responses: Vec<DavResponse> = if wants_data {
        // Some clients fetch the changed data in the sync report itself: one read for all.
        let names: Vec<String> = changes.changed.into_iter().map(|i| i.name).collect();
        let objects = ctx.store().dav_object_multiget(c.id, &names).await?;
        objects
            .iter()
            .map(|o| object_response(ctx, c, o, Some(&s.prop), Some((&data_name, text(o)))))
            .collect()
    } else {
        changes
            .changed
            .into_iter()
            .map(|info| {
                let res = Resource::Object(c.clone(), info);
                DavResponse::propstats(href(ctx, &res), propstats(ctx, &res, &s.prop, &|_| None))
            })
            .collect()
    };
    responses.extend(
        changes
            .deleted
            .iter()
            .map(|name| DavResponse::status(ctx.object_href(c, name), 404)),
    );
    if changes.truncated {
        responses.push(cut(href(ctx, &Resource::Collection(c.clone()))));
    }
    let body = Multistatus {
        responses,
        sync_token: Some(token(c, changes.modseq)),
        description: None,
    };
    Ok(multistatus(&body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use malt_store::{DavCollectionKind, DavCollectionProps};

    #[test]
    fn tokens() {
        let c = DavCollection {
            id: 7,
            account_id: 1,
            kind: DavCollectionKind::Calendar,
            name: "c".into(),
            props: DavCollectionProps::default(),
            created_at: 0,
            highest_modseq: 40,
        };
        assert_eq!(parse_token(&c, &sync_token(&c)), Some(40));
        assert_eq!(parse_token(&c, ""), Some(0));
        assert_eq!(parse_token(&c, &token(&c, 3)), Some(3));
        for bad in [
            "urn:x-malt:sync:8:3",
            "urn:x-malt:sync:7:41",
            "urn:x-malt:sync:7:x",
            "http://x/7:3",
        ] {
            assert_eq!(parse_token(&c, bad), None, "{bad}");
        }
    }
}
