//! THREAD algorithms (RFC 5256 §3 ORDEREDSUBJECT and REFERENCES), pure: the input is the metadata kept
//! at ingest (base subject, sent date, Message-ID, In-Reply-To, References), the output the tree that
//! `* THREAD` prints (RFC 5256 §4).
//!
//! Invariants:
//! - Every input message appears exactly once in the output; dummies (missing parents) appear only as
//!   the empty-chain top of a thread with several children (RFC 5256 §3 REFERENCES step 3).
//! - Sent dates follow RFC 5256 §2.2 (Date header, else INTERNALDATE); equal dates are ordered by
//!   sequence number. Base subjects compare with `i;ascii-casemap`.
//! - No recursion over the tree: threads can be as deep as the mailbox is large, so every traversal
//!   uses an explicit stack.

use std::collections::HashMap;

use malt_imap_proto::response::Thread;

/// One message to thread.
#[derive(Debug, Clone)]
pub struct ThreadItem<'a> {
    /// What the response names the message by (sequence number, or UID for UID THREAD).
    pub id: u32,
    pub seq: u32,
    /// RFC 5256 §2.2 sent date (Unix seconds).
    pub sent_date: i64,
    /// RFC 5256 §2.1 base subject.
    pub base_subject: &'a str,
    /// The subject marks a reply or forward (RFC 5256 §3 REFERENCES step 5).
    pub refwd: bool,
    pub message_id: Option<&'a str>,
    pub in_reply_to: &'a [String],
    pub references: &'a [String],
}

fn subject_key(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn date_order(a: &ThreadItem<'_>, b: &ThreadItem<'_>) -> std::cmp::Ordering {
    (a.sent_date, a.seq).cmp(&(b.sent_date, b.seq))
}

/// ORDEREDSUBJECT (RFC 5256 §3): messages grouped by base subject, each group sorted by sent date, its
/// first message the parent of all the others (siblings); threads in the order of their first message's
/// sent date.
pub fn ordered_subject(items: &[ThreadItem<'_>]) -> Vec<Thread> {
    let mut sorted: Vec<(String, &ThreadItem<'_>)> = items
        .iter()
        .map(|it| (subject_key(it.base_subject), it))
        .collect();
    sorted.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| date_order(a, b)));
    let mut groups: Vec<(&ThreadItem<'_>, Vec<Thread>)> = Vec::new();
    let mut current: Option<String> = None;
    for (key, it) in sorted {
        match groups.last_mut() {
            Some((_, children)) if current.as_deref() == Some(key.as_str()) => children.push(Thread {
                chain: vec![it.id],
                children: Vec::new(),
            }),
            _ => {
                groups.push((it, Vec::new()));
                current = Some(key);
            }
        }
    }
    groups.sort_by(|(a, _), (b, _)| date_order(a, b));
    groups
        .into_iter()
        .map(|(first, children)| Thread {
            chain: vec![first.id],
            children,
        })
        .collect()
}

/// A container of the REFERENCES algorithm: a message (index into the items) or a dummy.
#[derive(Debug, Default)]
struct Node {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Forest<'a, 'b> {
    items: &'a [ThreadItem<'b>],
    nodes: Vec<Node>,
}

impl Forest<'_, '_> {
    fn new_node(&mut self, msg: Option<usize>) -> usize {
        self.nodes.push(Node {
            msg,
            ..Node::default()
        });
        self.nodes.len() - 1
    }

    fn node(&self, n: usize) -> Option<&Node> {
        self.nodes.get(n)
    }

    fn is_dummy(&self, n: usize) -> bool {
        self.node(n).is_none_or(|x| x.msg.is_none())
    }

    fn children(&self, n: usize) -> &[usize] {
        self.node(n).map(|x| x.children.as_slice()).unwrap_or_default()
    }

    fn parent(&self, n: usize) -> Option<usize> {
        self.node(n).and_then(|x| x.parent)
    }

    /// Whether `a` is `b` or an ancestor of it.
    fn is_ancestor(&self, a: usize, b: usize) -> bool {
        let mut cur = Some(b);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            steps += 1;
            if steps > self.nodes.len() {
                return true; // a cycle: never link further
            }
            cur = self.parent(c);
        }
        false
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.parent(child) {
            if let Some(pn) = self.nodes.get_mut(p) {
                pn.children.retain(|&c| c != child);
            }
            if let Some(cn) = self.nodes.get_mut(child) {
                cn.parent = None;
            }
        }
    }

    fn link(&mut self, parent: usize, child: usize) {
        self.unlink(child);
        if let Some(pn) = self.nodes.get_mut(parent) {
            pn.children.push(child);
        }
        if let Some(cn) = self.nodes.get_mut(child) {
            cn.parent = Some(parent);
        }
    }

    fn item(&self, n: usize) -> Option<&ThreadItem<'_>> {
        self.node(n).and_then(|x| x.msg).and_then(|i| self.items.get(i))
    }

    /// The message a dummy stands for in comparisons: its first real descendant along first children.
    fn representative(&self, n: usize) -> Option<&ThreadItem<'_>> {
        let mut cur = n;
        for _ in 0..=self.nodes.len() {
            if let Some(it) = self.item(cur) {
                return Some(it);
            }
            cur = *self.children(cur).first()?;
        }
        None
    }

    /// Nodes below `root` in post-order (children before their parent), without recursion.
    fn post_order(&self, root: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend_from_slice(self.children(n));
        }
        out.reverse();
        out
    }

    fn sort_children(&mut self, n: usize) {
        let mut kids = self.children(n).to_vec();
        kids.sort_by(|&a, &b| match (self.representative(a), self.representative(b)) {
            (Some(x), Some(y)) => date_order(x, y),
            _ => std::cmp::Ordering::Equal,
        });
        if let Some(node) = self.nodes.get_mut(n) {
            node.children = kids;
        }
    }
}

/// REFERENCES (RFC 5256 §3): threads from Message-ID/References/In-Reply-To links, dummies for missing
/// parents, threads with the same base subject gathered, siblings sorted by sent date.
pub fn references(items: &[ThreadItem<'_>]) -> Vec<Thread> {
    let mut f = Forest {
        items,
        nodes: Vec::with_capacity(items.len() + 1),
    };
    let root = f.new_node(None);
    // Step 1: link messages by their references.
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut msg_node: Vec<usize> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        // A missing or duplicate Message-ID makes the message unique (step 1).
        let node = match it.message_id.filter(|m| !m.is_empty()) {
            Some(mid) => match ids.get(mid).copied() {
                Some(n) if f.is_dummy(n) => {
                    if let Some(x) = f.nodes.get_mut(n) {
                        x.msg = Some(i);
                    }
                    n
                }
                Some(_) => f.new_node(Some(i)),
                None => {
                    let n = f.new_node(Some(i));
                    ids.insert(mid, n);
                    n
                }
            },
            None => f.new_node(Some(i)),
        };
        msg_node.push(node);
        // References, or else the first In-Reply-To id.
        let refs: &[String] = if it.references.is_empty() {
            it.in_reply_to.get(..1).unwrap_or_default()
        } else {
            it.references
        };
        let mut prev: Option<usize> = None;
        for r in refs {
            let n = match ids.get(r.as_str()) {
                Some(&n) => n,
                None => {
                    let n = f.new_node(None);
                    ids.insert(r.as_str(), n);
                    n
                }
            };
            // Step 1.A: link consecutive references unless already parented or it would make a loop.
            if let Some(p) = prev
                && f.parent(n).is_none()
                && !f.is_ancestor(n, p)
                && !f.is_ancestor(p, n)
            {
                f.link(p, n);
            }
            prev = Some(n);
        }
        // Step 1.B: the last reference becomes the parent, replacing any earlier guess, unless it
        // would make a loop.
        if let Some(p) = prev
            && !f.is_ancestor(node, p)
        {
            f.link(p, node);
        }
    }
    // Step 2: the root set; step 3 (the id table is no longer needed) is implicit.
    for n in 1..f.nodes.len() {
        if f.parent(n).is_none() && n != root {
            f.link(root, n);
        }
    }
    // Step 3 (prune dummies), children before parents: a dummy without children goes; one with children
    // is replaced by them, except at the top level where only a single child is promoted.
    for n in f.post_order(root) {
        let kids = f.children(n).to_vec();
        let mut new_kids = Vec::with_capacity(kids.len());
        for c in kids {
            if !f.is_dummy(c) {
                new_kids.push(c);
                continue;
            }
            let grand = f.children(c).to_vec();
            if grand.is_empty() {
                continue;
            }
            if n != root || grand.len() == 1 {
                new_kids.extend(grand);
            } else {
                new_kids.push(c);
            }
        }
        for &c in &new_kids {
            if let Some(x) = f.nodes.get_mut(c) {
                x.parent = Some(n);
            }
        }
        if let Some(x) = f.nodes.get_mut(n) {
            x.children = new_kids;
        }
    }
    // Step 4: sort the top level by sent date (a dummy by its first child, its children sorted first).
    for c in f.children(root).to_vec() {
        if f.is_dummy(c) {
            f.sort_children(c);
        }
    }
    f.sort_children(root);
    // Step 5: gather threads with the same base subject.
    let subject_of = |f: &Forest<'_, '_>, n: usize| -> Option<(String, bool)> {
        let it = if f.is_dummy(n) {
            f.children(n).first().and_then(|&c| f.item(c))
        } else {
            f.item(n)
        }?;
        (!it.base_subject.is_empty()).then(|| (subject_key(it.base_subject), it.refwd))
    };
    let refwd = |f: &Forest<'_, '_>, n: usize| f.item(n).is_some_and(|it| it.refwd);
    // 5.B: one thread per subject, preferring a dummy, then a message that is not a reply/forward.
    let mut table: HashMap<String, usize> = HashMap::new();
    let top = f.children(root).to_vec();
    for &t in &top {
        let Some((subj, _)) = subject_of(&f, t) else {
            continue;
        };
        match table.get(&subj).copied() {
            None => {
                table.insert(subj, t);
            }
            Some(m) => {
                if !f.is_dummy(m) && (f.is_dummy(t) || (refwd(&f, m) && !refwd(&f, t))) {
                    table.insert(subj, t);
                }
            }
        }
    }
    // 5.C: merge each other thread into the table's.
    for &t in &top {
        let Some((subj, _)) = subject_of(&f, t) else {
            continue;
        };
        let Some(m) = table.get(&subj).copied() else {
            continue;
        };
        if m == t || f.parent(t) != Some(root) {
            continue;
        }
        match (f.is_dummy(m), f.is_dummy(t)) {
            (true, true) => {
                for c in f.children(t).to_vec() {
                    f.link(m, c);
                }
                f.unlink(t);
            }
            (true, false) => f.link(m, t),
            (false, _) if refwd(&f, t) && !refwd(&f, m) => f.link(m, t),
            (false, _) => {
                // A new dummy takes the table message's place, with both below it: the table node
                // becomes the dummy and its message moves to a new node.
                let moved = f.new_node(None);
                let (msg, kids) = match f.nodes.get_mut(m) {
                    Some(x) => (x.msg.take(), std::mem::take(&mut x.children)),
                    None => (None, Vec::new()),
                };
                if let Some(x) = f.nodes.get_mut(moved) {
                    x.msg = msg;
                    x.children = kids.clone();
                }
                for k in kids {
                    if let Some(x) = f.nodes.get_mut(k) {
                        x.parent = Some(moved);
                    }
                }
                f.link(m, moved);
                f.link(m, t);
            }
        }
    }
    // Step 6: sort every set of siblings by sent date, deepest first.
    for n in f.post_order(root) {
        f.sort_children(n);
    }
    to_threads(&f, root)
}

/// Drops threads without recursion: a tree that branches at every level is as deep as the mailbox is
/// large, and the default drop would recurse once per level.
pub fn dismantle(threads: Vec<Thread>) {
    let mut stack = threads;
    while let Some(mut t) = stack.pop() {
        stack.append(&mut t.children);
    }
}

/// The tree below `root` as response threads, built bottom-up without recursion. A message with a
/// single child continues its chain (RFC 5256 §4: `(3 6 (4 23)(44 7 96))`).
fn to_threads(f: &Forest<'_, '_>, root: usize) -> Vec<Thread> {
    let mut built: Vec<Option<Thread>> = Vec::new();
    built.resize_with(f.nodes.len(), || None);
    for n in f.post_order(root) {
        let mut children: Vec<Thread> = f
            .children(n)
            .iter()
            .filter_map(|&c| built.get_mut(c).and_then(Option::take))
            .collect();
        let mut chain: Vec<u32> = f.item(n).map(|it| it.id).into_iter().collect();
        if !chain.is_empty()
            && children.len() == 1
            && let Some(only) = children.pop()
        {
            if only.chain.is_empty() {
                children.push(only);
            } else {
                chain.extend(only.chain);
                children = only.children;
            }
        }
        if let Some(slot) = built.get_mut(n) {
            *slot = Some(Thread { chain, children });
        }
    }
    built
        .get_mut(root)
        .and_then(Option::take)
        .map(|t| t.children)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use malt_imap_proto::ResponseWriter;

    struct Msg {
        subject: &'static str,
        date: i64,
        id: &'static str,
        refs: Vec<String>,
        irt: Vec<String>,
    }

    fn m(subject: &'static str, date: i64, id: &'static str, refs: &[&str]) -> Msg {
        Msg {
            subject,
            date,
            id,
            refs: refs.iter().map(|s| s.to_string()).collect(),
            irt: Vec::new(),
        }
    }

    fn items(msgs: &[Msg]) -> (Vec<String>, Vec<bool>) {
        msgs.iter()
            .map(|x| malt_core::ingest::base_subject_refwd(x.subject))
            .unzip()
    }

    fn render(threads: &[Thread]) -> String {
        let mut w = ResponseWriter::new(false);
        w.thread(threads);
        String::from_utf8(w.take()).unwrap().trim_end().to_owned()
    }

    fn run(msgs: &[Msg], algo: fn(&[ThreadItem<'_>]) -> Vec<Thread>) -> String {
        let (subjects, refwd) = items(msgs);
        let its: Vec<ThreadItem<'_>> = msgs
            .iter()
            .enumerate()
            .map(|(i, x)| ThreadItem {
                id: i as u32 + 1,
                seq: i as u32 + 1,
                sent_date: x.date,
                base_subject: &subjects[i],
                refwd: refwd[i],
                message_id: (!x.id.is_empty()).then_some(x.id),
                in_reply_to: &x.irt,
                references: &x.refs,
            })
            .collect();
        render(&algo(&its))
    }

    #[test]
    fn ordered_subject_groups_and_orders() {
        let msgs = [
            m("Lunch", 30, "a", &[]),
            m("Re: lunch", 10, "b", &[]),
            m("Plan", 20, "c", &[]),
            m("RE: Lunch", 40, "d", &[]),
            m("Other", 5, "e", &[]),
        ];
        // "lunch" group sorted by date: 2 (10), 1 (30), 4 (40); threads by first date: 5, 2, 3.
        assert_eq!(run(&msgs, ordered_subject), "* THREAD (5)(2 (1)(4))(3)");
        assert_eq!(run(&msgs[..2], ordered_subject), "* THREAD (2 1)");
        assert_eq!(run(&[], ordered_subject), "* THREAD");
    }

    #[test]
    fn references_reply_tree_with_dummy() {
        let msgs = [
            m("Plan", 10, "p1", &[]),
            m("Re: Plan", 20, "p2", &["p1"]),
            m("Re: Plan", 30, "p3", &["p1", "p2"]),
            m("Re: Plan", 25, "p4", &["p1"]),
            // Replies to a message we do not have: a dummy parent with two children at the top.
            m("Re: Trip", 50, "t2", &["t1"]),
            m("Re: Trip", 40, "t3", &["t1"]),
            // A reply to a missing message with one child only: the child is promoted.
            m("Re: Solo", 5, "s2", &["s0", "s1"]),
            // Same subject as "Plan" but unlinked and a reply: gathered under the Plan thread.
            m("Re: plan", 60, "x1", &[]),
        ];
        assert_eq!(run(&msgs, references), "* THREAD (7)(1 (2 3)(4)(8))((6)(5))");
    }

    #[test]
    fn references_subject_gathering_and_loops() {
        // Two unrelated non-reply messages with one subject get a dummy parent.
        let msgs = [m("Hello", 20, "a", &[]), m("hello", 10, "b", &[])];
        assert_eq!(run(&msgs, references), "* THREAD ((2)(1))");
        // A reference loop (a refs b, b refs a: the second link is refused) and a self reference do
        // not lose messages.
        let msgs = [
            m("x", 1, "a", &["b"]),
            m("y", 2, "b", &["a"]),
            m("z", 3, "c", &["c"]),
        ];
        assert_eq!(run(&msgs, references), "* THREAD (2 1)(3)");
        // Duplicate Message-IDs: both messages stay; In-Reply-To is used without References.
        let mut dup = m("q", 2, "a", &[]);
        dup.irt = vec!["r".into()];
        let msgs = [m("r", 1, "r", &[]), dup, m("s", 3, "a", &[])];
        assert_eq!(run(&msgs, references), "* THREAD (1 2)(3)");
        // Empty subjects are never gathered.
        let msgs = [m("", 1, "a", &[]), m("", 2, "b", &[])];
        assert_eq!(run(&msgs, references), "* THREAD (1)(2)");
    }

    #[test]
    fn deep_chain_without_recursion() {
        let ids: Vec<String> = (0..5_000).map(|i| format!("m{i}")).collect();
        let refs: Vec<Vec<String>> = (0..5_000)
            .map(|i| if i == 0 { vec![] } else { vec![ids[i - 1].clone()] })
            .collect();
        let its: Vec<ThreadItem<'_>> = (0..5_000)
            .map(|i| ThreadItem {
                id: i as u32 + 1,
                seq: i as u32 + 1,
                sent_date: i as i64,
                base_subject: "s",
                refwd: i > 0,
                message_id: Some(&ids[i]),
                in_reply_to: &[],
                references: &refs[i],
            })
            .collect();
        let t = references(&its);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].chain.len(), 5_000);
        dismantle(t);
    }

    #[test]
    fn deep_branching_tree() {
        // Level i: a_i and b_i both reply to a_(i-1): the tree branches at every level.
        const LEVELS: usize = 5_000;
        let ids: Vec<String> = (0..LEVELS).map(|i| format!("a{i}")).collect();
        let bids: Vec<String> = (0..LEVELS).map(|i| format!("b{i}")).collect();
        let refs: Vec<Vec<String>> = (0..LEVELS)
            .map(|i| if i == 0 { vec![] } else { vec![ids[i - 1].clone()] })
            .collect();
        let mut its = Vec::new();
        for i in 0..LEVELS {
            for (k, id) in [(0, &ids[i]), (1, &bids[i])] {
                let n = (2 * i + k) as u32 + 1;
                its.push(ThreadItem {
                    id: n,
                    seq: n,
                    sent_date: n as i64,
                    base_subject: "s",
                    refwd: n > 1,
                    message_id: Some(id.as_str()),
                    in_reply_to: &[],
                    references: &refs[i],
                });
            }
        }
        let t = references(&its);
        let mut w = ResponseWriter::new(false);
        w.thread(&t);
        let out = String::from_utf8(w.take()).unwrap();
        assert!(out.starts_with("* THREAD (1 (2)(3 (5 (7 (9 "), "{}", &out[..40]);
        assert!(out.ends_with("(6))(4))\r\n"), "{}", &out[out.len() - 40..]);
        let deepest = out.find("(9997 ").unwrap();
        assert_eq!(&out[deepest..deepest + 26], "(9997 (9999)(10000))(9998)");
        dismantle(t);
    }
}
