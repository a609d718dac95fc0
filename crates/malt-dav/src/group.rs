//! Distribution groups as group principals (RFC 3744 §2: "a principal that represents a
//! group"), so that clients find a group where they find users — in principal searches for
//! sharee and attendee autocomplete — and can share with it by its principal URL.
//!
//! - A group of the directory is `/dav/principals/<group address>/` (the URL space of user
//!   principals; addresses of accounts and groups never collide, the directory keeps them
//!   apart). Any logged-in user reads it, as other users' principals
//!   ([`crate::sharing::principal_prop`]); nothing in it is writable.
//! - Properties: `DAV:resourcetype` (collection, principal), `DAV:displayname` (the group's
//!   name, or its address when it has none), `DAV:principal-URL`, `DAV:group-member-set` (RFC
//!   3744 §4.3: the principal URL of each member that is an account or a group of this server;
//!   outside addresses have no principal and are left out), `CALDAV:calendar-user-address-set`
//!   (`mailto:` the group's address) and `CALDAV:calendar-user-type` `GROUP` (RFC 6638 §2.4.2).
//! - Membership is the directory's at each request: the principal is built when its path is
//!   resolved or a search finds it, from one read of the accounts and one of the groups.

use malt_dav_proto::name::{CALDAV, DAV};
use malt_dav_proto::{Element, Name};
use malt_store::Group;

use crate::Ctx;
use crate::error::DavResult;
use crate::path::principal_href;

/// A group as a principal: its address, its name, and the principal URLs of its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPrincipal {
    /// Lower-case.
    pub address: String,
    pub name: String,
    /// Principal URLs of the members that are accounts or groups of this server, in the
    /// group's member order.
    pub member_hrefs: Vec<String>,
}

impl GroupPrincipal {
    /// `group` as a principal; `is_local` says whether a member address is an account or a
    /// group of this server.
    pub fn new(group: &Group, is_local: impl Fn(&str) -> bool) -> GroupPrincipal {
        GroupPrincipal {
            address: group.address.to_lowercase(),
            name: if group.name.trim().is_empty() {
                group.address.to_lowercase()
            } else {
                group.name.clone()
            },
            member_hrefs: group
                .members
                .iter()
                .filter(|m| is_local(m))
                .map(|m| principal_href(&m.to_lowercase()))
                .collect(),
        }
    }

    /// The value of property `name`, or `None` when a group principal has no such property.
    pub fn prop(&self, name: &Name) -> Option<Element> {
        let n = name;
        if n.is(DAV, "resourcetype") {
            Some(Element::new(n.clone()).with_children([
                Element::new(Name::dav("collection")),
                Element::new(Name::dav("principal")),
            ]))
        } else if n.is(DAV, "displayname") {
            Some(Element::new(n.clone()).with_text(self.name.clone()))
        } else if n.is(DAV, "principal-URL") {
            Some(Element::new(n.clone()).with_child(Element::href(principal_href(&self.address))))
        } else if n.is(DAV, "group-member-set") {
            Some(
                Element::new(n.clone())
                    .with_children(self.member_hrefs.iter().map(|h| Element::href(h.clone()))),
            )
        } else if n.is(CALDAV, "calendar-user-address-set") {
            Some(Element::new(n.clone()).with_child(Element::href(format!("mailto:{}", self.address))))
        } else if n.is(CALDAV, "calendar-user-type") {
            Some(Element::new(n.clone()).with_text("GROUP"))
        } else {
            None
        }
    }
}

/// The addresses of the server's accounts and groups, lower-case, sorted: what a member must
/// be to have a principal.
pub fn local_addresses(accounts: &[malt_store::Account], groups: &[Group]) -> Vec<String> {
    let mut all: Vec<String> = accounts
        .iter()
        .map(|a| a.address.to_lowercase())
        .chain(groups.iter().map(|g| g.address.to_lowercase()))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The group principal of `address`, if a group of the directory has that address.
pub async fn find(ctx: &Ctx, address: &str) -> DavResult<Option<GroupPrincipal>> {
    let store = ctx.store();
    let Some(group) = store.group_get(&address.to_lowercase()).await? else {
        return Ok(None);
    };
    let local = local_addresses(&store.account_list(None).await?, &store.group_list().await?);
    Ok(Some(GroupPrincipal::new(&group, |m| {
        local.binary_search(&m.to_lowercase()).is_ok()
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn members_without_a_principal_are_left_out() {
        let group = Group {
            id: 1,
            address: "Team@Example.org".into(),
            name: String::new(),
            members: vec![
                "bob@example.org".into(),
                "partner@elsewhere.test".into(),
                "Sub@example.org".into(),
            ],
        };
        let local = ["bob@example.org", "sub@example.org"];
        let p = GroupPrincipal::new(&group, |m| local.contains(&m.to_lowercase().as_str()));
        assert_eq!(p.address, "team@example.org");
        assert_eq!(p.name, "team@example.org", "no name: the address");
        assert_eq!(
            p.member_hrefs,
            [
                "/dav/principals/bob@example.org/",
                "/dav/principals/sub@example.org/"
            ]
        );
        let set = p.prop(&Name::dav("group-member-set")).unwrap();
        assert_eq!(set.elements().count(), 2);
        assert_eq!(
            p.prop(&Name::new(CALDAV, "calendar-user-type")).unwrap().text(),
            "GROUP"
        );
        assert!(p.prop(&Name::dav("getetag")).is_none());
    }
}
