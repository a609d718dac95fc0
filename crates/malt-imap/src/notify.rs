//! What a NOTIFY SET (RFC 5465) asked for, and the delivery of the events it selects.
//!
//! The change feed says *that* something changed (a [`JournalEntry`] carries a mailbox id and a kind,
//! not names or entry names), so [`Notify`] keeps what it needs to say *what* changed: the account's
//! mailbox names by id (for `\NonExistent` and `OLDNAME`, §5.4), its subscriptions (§5.5) and the
//! metadata entries of the watched targets (§5.6, §5.7), taken at NOTIFY SET and diffed when the
//! feed reports a change.
//!
//! Invariants:
//! - [`Notify::observe`] only records (it runs inside the feed drain, which does not await); what it
//!   records is bounded by the number of the account's mailboxes: events of one mailbox coalesce
//!   into one `STATUS`, mailbox-name, subscription and metadata changes into one diff each. Past
//!   [`MAX_PENDING`] mailboxes, or when the feed lagged (changes were lost), the session tells the
//!   client `* OK [NOTIFICATIONOVERFLOW]` and behaves as after NOTIFY NONE (§5.8).
//! - Events of the selected mailbox never become `STATUS` (§5.2-§5.3): they reach the client through
//!   the view's usual sync (`EXISTS`/`EXPUNGE`/`FETCH`), with the `MessageNew` fetch attributes
//!   fetched after `EXISTS` (§5.2).
//! - Between commands, only when no command is in progress (nothing received yet of the next one:
//!   RFC 5465 §1, RFC 9051 §7), [`wait`] delivers events; `EXPUNGE`s of the selected mailbox are sent
//!   then only for SELECTED, never for SELECTED-DELAYED (§6.1.2), which keeps the usual deferral.
//! - Only the session's own account is watched (the personal namespace, §6.2); shared mailboxes of
//!   other accounts produce no events.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use malt_imap_proto::command::{FetchArgs, FetchAttribute, SeqNum, SeqRange, SequenceSet, StatusItem};
use malt_imap_proto::{ResponseCode, Status};
use malt_server::Wait;
use malt_store::{AccountId, HIERARCHY_SEPARATOR, JournalEntry, MailboxId, StoreError, Uid};
use tokio::sync::broadcast::error::RecvError;

use crate::session::{Input, Io, Session, observe, sync};
use crate::state::State;

/// Mailboxes with undelivered events past which notification stops (§5.8).
pub(crate) const MAX_PENDING: usize = 1000;

/// Message events for the selected mailbox: SELECTED or SELECTED-DELAYED (RFC 5465 §6.1).
#[derive(Debug, Clone)]
pub(crate) struct SelectedSpec {
    /// SELECTED-DELAYED (§6.1.2): expunges wait for a command that allows them.
    pub delayed: bool,
    /// MessageNew's fetch attributes (§5.2), fetched for each new message after `EXISTS`.
    pub fetch: Vec<FetchAttribute>,
    /// FlagChange (§5.1) asked for: flag changes are pushed too, not only at the next command.
    pub flags: bool,
}

/// A mailbox filter other than the selected ones (RFC 5465 §6.2-§6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// §6.3: the mailboxes mail is delivered to; Malt delivers to INBOX only.
    Inboxes,
    /// §6.2: every mailbox of the account.
    Personal,
    /// §6.4: the subscribed mailboxes, re-evaluated when subscriptions change.
    Subscribed,
    /// §6.5: the named mailboxes and everything below them.
    Subtree(Vec<String>),
    /// §6.6: exactly the named mailboxes (no wildcards; names that do not exist match nothing).
    Mailboxes(Vec<String>),
}

/// The events of one filter group (RFC 5465 §5). MessageNew and MessageExpunge always come
/// together (§5), hence one `message`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Events {
    pub message: bool,
    pub flags: bool,
    pub name: bool,
    pub subscription: bool,
    pub mailbox_metadata: bool,
    pub server_metadata: bool,
}

/// One `(filter events)` group.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    pub filter: Filter,
    pub events: Events,
}

/// Which message events of a non-selected mailbox are waiting (they coalesce into one STATUS).
const EV_MESSAGE: u8 = 1;
const EV_FLAGS: u8 = 2;

/// The NOTIFY state of a session.
#[derive(Debug, Default)]
pub(crate) struct Notify {
    pub account: AccountId,
    pub selected: Option<SelectedSpec>,
    pub watches: Vec<Watch>,
    /// The account's mailbox names by id, as last told.
    pub names: BTreeMap<MailboxId, String>,
    pub subscribed: BTreeSet<String>,
    /// Metadata snapshots by target (`None`: the server entries).
    pub metadata: BTreeMap<Option<MailboxId>, BTreeMap<String, Vec<u8>>>,
    pending_status: BTreeMap<MailboxId, u8>,
    names_dirty: bool,
    subscriptions_dirty: bool,
    metadata_dirty: BTreeSet<Option<MailboxId>>,
    /// A selected-mailbox event the client asked to have pushed arrived.
    selected_dirty: bool,
    overflow: bool,
}

impl Filter {
    /// Whether the filter selects the mailbox `name` (UTF-8, INBOX in upper case).
    fn matches(&self, name: &str, subscribed: &BTreeSet<String>) -> bool {
        match self {
            Filter::Inboxes => name == "INBOX",
            Filter::Personal => true,
            Filter::Subscribed => subscribed.contains(name),
            Filter::Subtree(roots) => roots.iter().any(|r| {
                name == r
                    || name
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with(HIERARCHY_SEPARATOR))
            }),
            Filter::Mailboxes(names) => names.iter().any(|n| n == name),
        }
    }
}

impl Notify {
    /// Nothing watched yet, for `account`.
    pub(crate) fn new(account: AccountId) -> Self {
        Notify {
            account,
            ..Notify::default()
        }
    }

    /// Whether some group selects mailbox `name` for an event `want` picks out.
    pub(crate) fn wants(&self, name: &str, want: impl Fn(&Events) -> bool) -> bool {
        self.watches
            .iter()
            .any(|w| want(&w.events) && w.filter.matches(name, &self.subscribed))
    }

    /// Records one feed entry (`selected`: the selected mailbox, if any, of the same account).
    pub(crate) fn observe(&mut self, e: &JournalEntry, selected: Option<MailboxId>) {
        use malt_store::ChangeKind as K;
        if e.account_id != self.account {
            return;
        }
        match (e.kind, e.mailbox_id) {
            (K::MessagesAdded | K::MessagesExpunged | K::FlagsChanged, Some(mb)) => {
                let bit = if e.kind == K::FlagsChanged {
                    EV_FLAGS
                } else {
                    EV_MESSAGE
                };
                if Some(mb) == selected {
                    if let Some(sel) = &self.selected
                        && (bit == EV_MESSAGE || sel.flags)
                    {
                        self.selected_dirty = true;
                    }
                    return;
                }
                if !self.pending_status.contains_key(&mb) && self.pending_status.len() >= MAX_PENDING {
                    self.overflow = true;
                    return;
                }
                *self.pending_status.entry(mb).or_default() |= bit;
            }
            (K::MailboxCreated | K::MailboxRenamed | K::MailboxDeleted, _) => self.names_dirty = true,
            (K::SubscriptionChanged, _) => self.subscriptions_dirty = true,
            (K::Metadata, target) => {
                self.metadata_dirty.insert(target);
            }
            _ => {}
        }
    }

    /// Changes were lost (the feed lagged): nothing reliable can be said any more (§5.8).
    pub(crate) fn lost(&mut self) {
        self.overflow = true;
    }

    /// Whether something waits to be told, not counting the selected mailbox.
    fn has_pending(&self) -> bool {
        self.overflow
            || self.names_dirty
            || self.subscriptions_dirty
            || !self.pending_status.is_empty()
            || !self.metadata_dirty.is_empty()
    }
}

/// The STATUS items sent for a watched mailbox (RFC 5465 §3.1, §5.1-§5.3): MESSAGES, UIDNEXT,
/// UIDVALIDITY and UNSEEN, and HIGHESTMODSEQ once CONDSTORE is enabled.
pub(crate) fn status_items(condstore: bool) -> Vec<StatusItem> {
    let mut items = vec![
        StatusItem::Messages,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
    ];
    if condstore {
        items.push(StatusItem::HighestModSeq);
    }
    items
}

/// Writes `* STATUS` for mailbox `id` (nothing when it is gone).
pub(crate) async fn write_status(s: &mut Session, id: MailboxId) -> Result<(), StoreError> {
    let Some(mb) = s.core.storage().store.mailbox_by_id(id).await? else {
        return Ok(());
    };
    let items = status_items(s.condstore);
    let data = crate::op::status::items(s, &mb, &items, None).await?;
    s.out.status(&mb.name, &data);
    Ok(())
}

/// `\HasChildren` or `\HasNoChildren` (RFC 5465 §5.4 SHOULD, RFC 9051 §7.3.1).
fn children_attr(names: &BTreeMap<MailboxId, String>, name: &str) -> &'static str {
    let prefix = format!("{name}{HIERARCHY_SEPARATOR}");
    if names.values().any(|n| n.starts_with(&prefix)) {
        "\\HasChildren"
    } else {
        "\\HasNoChildren"
    }
}

/// The metadata of `target` as a map, for diffing.
pub(crate) async fn metadata_snapshot(
    s: &Session,
    account: AccountId,
    target: Option<MailboxId>,
) -> Result<BTreeMap<String, Vec<u8>>, StoreError> {
    let entries = s.core.storage().store.metadata_get(account, target).await?;
    Ok(entries.into_iter().map(|e| (e.name, e.value)).collect())
}

/// Writes what waits for mailboxes other than the selected one: `LIST` for created, deleted and
/// renamed mailboxes (§5.4) and subscription changes (§5.5), `STATUS` (§5.1-§5.3), `METADATA`
/// (§5.6, §5.7); or, after an overflow, `* OK [NOTIFICATIONOVERFLOW]` and NOTIFY is off (§5.8).
pub(crate) async fn write_pending(s: &mut Session) {
    let Some(mut n) = s.notify.take() else {
        return;
    };
    if n.overflow {
        s.out.untagged(
            Status::Ok,
            Some(&ResponseCode::NotificationOverflow),
            "Too many changes; NOTIFY is off",
        );
        return;
    }
    if let Err(e) = write_changes(s, &mut n).await {
        tracing::debug!(error = %e, "NOTIFY delivery failed");
    }
    s.notify = Some(n);
}

async fn write_changes(s: &mut Session, n: &mut Notify) -> Result<(), StoreError> {
    let store = s.core.storage().store.clone();
    if std::mem::take(&mut n.names_dirty) {
        let now: BTreeMap<MailboxId, String> = store
            .mailbox_list(n.account)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        let sep = Some(HIERARCHY_SEPARATOR);
        for (id, old) in &n.names {
            if !now.contains_key(id) && n.wants(old, |e| e.name) {
                s.out.list(false, &["\\NonExistent"], sep, old, false, None);
            }
        }
        for (id, name) in &now {
            let old = n.names.get(id);
            if old == Some(name)
                || !(n.wants(name, |e| e.name) || old.is_some_and(|o| n.wants(o, |e| e.name)))
            {
                continue;
            }
            let attrs = [children_attr(&now, name)];
            s.out
                .list(false, &attrs, sep, name, false, old.map(String::as_str));
        }
        n.names = now;
    }
    if std::mem::take(&mut n.subscriptions_dirty) {
        let now: BTreeSet<String> = store.subscription_list(n.account).await?.into_iter().collect();
        let changed: Vec<&String> = now.symmetric_difference(&n.subscribed).collect();
        for name in changed {
            // The old and the new subscription list both count for SUBSCRIBED (§6.4).
            let wanted = n.watches.iter().any(|w| {
                w.events.subscription
                    && (w.filter.matches(name, &n.subscribed) || w.filter.matches(name, &now))
            });
            if !wanted {
                continue;
            }
            let mut attrs = Vec::new();
            if !n.names.values().any(|m| m == name) {
                attrs.push("\\NonExistent");
            }
            if now.contains(name) {
                attrs.push("\\Subscribed");
            }
            s.out
                .list(false, &attrs, Some(HIERARCHY_SEPARATOR), name, false, None);
        }
        n.subscribed = now;
    }
    let selected = selected_id(s);
    for (id, bits) in std::mem::take(&mut n.pending_status) {
        let Some(name) = n.names.get(&id) else {
            continue;
        };
        let wanted = Some(id) != selected
            && n.wants(name, |e| {
                (bits & EV_MESSAGE != 0 && e.message) || (bits & EV_FLAGS != 0 && e.flags)
            });
        if wanted {
            write_status(s, id).await?;
        }
    }
    for target in std::mem::take(&mut n.metadata_dirty) {
        let name = match target {
            None if n.watches.iter().any(|w| w.events.server_metadata) => String::new(),
            Some(id) => match n.names.get(&id) {
                Some(name) if n.wants(name, |e| e.mailbox_metadata) => name.clone(),
                _ => continue,
            },
            None => continue,
        };
        let now = metadata_snapshot(s, n.account, target).await?;
        let before = n.metadata.remove(&target).unwrap_or_default();
        let mut changed: Vec<&str> = now
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(v))
            .map(|(k, _)| k.as_str())
            .collect();
        changed.extend(
            before
                .keys()
                .filter(|k| !now.contains_key(*k))
                .map(String::as_str),
        );
        if !changed.is_empty() {
            s.out.metadata_changed(&name, &changed);
        }
        n.metadata.insert(target, now);
    }
    Ok(())
}

fn selected_id(s: &Session) -> Option<MailboxId> {
    match &s.state {
        State::Selected { view, .. } => Some(view.mailbox_id),
        _ => None,
    }
}

/// The highest UID the client knows in the selected mailbox (0 when none or none selected).
pub(crate) fn known_max_uid(s: &Session) -> Uid {
    match &s.state {
        State::Selected { view, .. } => view.max_uid(),
        _ => 0,
    }
}

/// After a sync point: the pending events of other mailboxes, and for MessageNew with fetch
/// attributes on the selected mailbox a `FETCH` of each message announced since `known_max`
/// (RFC 5465 §5.2: after the `EXISTS`).
pub(crate) async fn after_sync(s: &mut Session, io: &mut Io, known_max: Uid) -> io::Result<()> {
    let Some(n) = &s.notify else {
        return Ok(());
    };
    let fetch = n
        .selected
        .as_ref()
        .map(|sel| sel.fetch.clone())
        .unwrap_or_default();
    if !fetch.is_empty() {
        let newest = known_max_uid(s);
        if newest > known_max {
            let args = FetchArgs {
                set: SequenceSet::Ranges(vec![SeqRange {
                    start: SeqNum::Value(known_max.saturating_add(1)),
                    end: SeqNum::Value(newest),
                }]),
                items: fetch,
                changed_since: None,
                vanished: false,
            };
            let outcome = crate::op::fetch::run(s, io, true, &args).await?;
            if outcome.status != Status::Ok {
                tracing::debug!(text = %outcome.text, "NOTIFY MessageNew fetch failed");
            }
        }
    }
    write_pending(s).await;
    Ok(())
}

/// Delivers what waits now that no command is in progress: the selected mailbox's changes when the
/// client asked for them (expunges only for SELECTED, §6.1.2), then the other mailboxes'.
async fn deliver(s: &mut Session, io: &mut Io) -> io::Result<()> {
    let (selected_due, delayed) = match s.notify.as_mut() {
        Some(n) => (
            std::mem::take(&mut n.selected_dirty),
            n.selected.as_ref().is_some_and(|sel| sel.delayed),
        ),
        None => return Ok(()),
    };
    let known = known_max_uid(s);
    if selected_due {
        sync(s, !delayed, false).await;
    }
    after_sync(s, io, known).await?;
    io.send(&s.out.take()).await
}

enum Event {
    Read(io::Result<usize>),
    Feed(Result<JournalEntry, RecvError>),
}

/// Waits for input while NOTIFY is active and no command is in progress (the receive buffer is
/// empty), delivering events as the feed brings them. Cancel-safe on both sides: `read_more` only
/// awaits the socket and `recv` loses nothing when dropped. Ends like [`Io::fill`].
pub(crate) async fn wait(s: &mut Session, io: &mut Io) -> Input {
    loop {
        // What earlier commands left (their entries were drained at their sync point).
        if s.notify
            .as_ref()
            .is_some_and(|n| n.has_pending() || n.selected_dirty)
            && deliver(s, io).await.is_err()
        {
            return Input::Closed;
        }
        if s.selected_deleted {
            crate::session::write_deleted_bye(s);
            let _ = io.send(&s.out.take()).await;
            return Input::Closed;
        }
        if s.notify.is_none() {
            return io.fill(&s.ctx).await;
        }
        let ctx = &s.ctx;
        let feed = &mut s.feed;
        let got = ctx
            .wait_input(async {
                tokio::select! {
                    r = io.read_more() => Event::Read(r),
                    e = feed.recv() => Event::Feed(e),
                }
            })
            .await;
        match got {
            Wait::Ready(Event::Read(Ok(0) | Err(_))) => return Input::Closed,
            Wait::Ready(Event::Read(Ok(_))) => return Input::Data,
            Wait::Ready(Event::Feed(Ok(e))) => {
                observe(s, &e);
            }
            Wait::Ready(Event::Feed(Err(RecvError::Lagged(_)))) => crate::session::observe_lagged(s),
            Wait::Ready(Event::Feed(Err(RecvError::Closed))) => return io.fill(&s.ctx).await,
            Wait::Idle => return Input::Idle,
            Wait::Shutdown => return Input::Shutdown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malt_store::{ChangeKind, UidSet};

    fn entry(account: AccountId, mailbox: Option<MailboxId>, kind: ChangeKind) -> JournalEntry {
        JournalEntry {
            id: 1,
            account_id: account,
            modseq: 1,
            mailbox_id: mailbox,
            kind,
            uids: UidSet::default(),
            collection_id: None,
        }
    }

    #[test]
    fn filters() {
        let subs: BTreeSet<String> = ["Lists/a".to_owned()].into();
        let t = Filter::Subtree(vec!["Lists".into()]);
        assert!(t.matches("Lists", &subs) && t.matches("Lists/x/y", &subs));
        assert!(!t.matches("Listsx", &subs) && !t.matches("INBOX", &subs));
        assert!(Filter::Inboxes.matches("INBOX", &subs) && !Filter::Inboxes.matches("Sent", &subs));
        assert!(Filter::Subscribed.matches("Lists/a", &subs) && !Filter::Subscribed.matches("Lists", &subs));
        let m = Filter::Mailboxes(vec!["A".into()]);
        assert!(m.matches("A", &subs) && !m.matches("A/b", &subs));
    }

    #[test]
    fn observe_coalesces_and_overflows() {
        let mut n = Notify {
            account: 7,
            selected: Some(SelectedSpec {
                delayed: false,
                fetch: vec![],
                flags: false,
            }),
            ..Notify::default()
        };
        n.observe(&entry(8, Some(1), ChangeKind::MessagesAdded), None);
        assert!(!n.has_pending(), "another account's change is not ours");
        n.observe(&entry(7, Some(1), ChangeKind::MessagesAdded), None);
        n.observe(&entry(7, Some(1), ChangeKind::FlagsChanged), None);
        assert_eq!(n.pending_status.get(&1), Some(&(EV_MESSAGE | EV_FLAGS)));
        n.observe(&entry(7, Some(2), ChangeKind::FlagsChanged), Some(2));
        assert!(
            !n.selected_dirty,
            "FlagChange was not asked for the selected mailbox"
        );
        n.observe(&entry(7, Some(2), ChangeKind::MessagesExpunged), Some(2));
        assert!(n.selected_dirty && !n.pending_status.contains_key(&2));
        for id in 100..100 + MAX_PENDING as i64 {
            n.observe(&entry(7, Some(id), ChangeKind::MessagesAdded), None);
        }
        assert!(n.overflow);
    }
}
