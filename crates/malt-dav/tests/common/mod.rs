//! Shared by the integration tests: `malt-testkit`'s environment (real listeners on port 0, a
//! SQLite store, one account) serving the DAV router over HTTP, and a small HTTP/1.1 client
//! (hyper) that speaks to it through a real socket.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use malt_config::{Config, Protocol, TlsMode};
use malt_dav::{Dav, DavSettings};
use malt_dav_proto::response::{Multistatus, PropStat, parse_error_body, parse_multistatus};
use malt_dav_proto::{Element, Limits, Name};
use malt_server::Handler;
use malt_server::http::HttpHandler;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub mod meeting;

pub use malt_testkit::{PASS, USER};

malt_testkit::protocol_env!(Env, http, https);

/// The user's default calendar, task list and address book.
pub const CAL: &str = "/dav/calendars/alice@example.org/calendar/";
pub const TASKS: &str = "/dav/calendars/alice@example.org/tasks/";
/// The scheduling inbox and outbox (RFC 6638 §2).
pub const INBOX: &str = "/dav/calendars/alice@example.org/inbox/";
pub const OUTBOX: &str = "/dav/calendars/alice@example.org/outbox/";
pub const BOOK: &str = "/dav/addressbooks/alice@example.org/contacts/";
pub const CAL_HOME: &str = "/dav/calendars/alice@example.org/";
pub const BOOK_HOME: &str = "/dav/addressbooks/alice@example.org/";
pub const PRINCIPAL: &str = "/dav/principals/alice@example.org/";

pub async fn start() -> Env {
    start_with(DavSettings::default()).await
}

/// Starts the DAV service with `settings`: listener `http` plain, `https` implicit TLS,
/// `http-proxied` plain behind a PROXY header (a remote client).
pub async fn start_with(settings: DavSettings) -> Env {
    start_configured(settings, |_| {}).await
}

/// As [`start_with`], letting the test adjust the configuration too.
pub async fn start_configured(settings: DavSettings, adjust: impl FnOnce(&mut Config)) -> Env {
    let tweak = |c: &mut Config| {
        for l in &mut c.listeners {
            if l.tls == TlsMode::StartTls {
                l.tls = TlsMode::None;
            }
        }
        adjust(c);
    };
    let handler = async move |p: &malt_testkit::TestParts| {
        let dav = Dav::new(p.core.clone(), p.auth.clone(), settings);
        Arc::new(HttpHandler::new(malt_dav::router(dav))) as Arc<dyn Handler>
    };
    malt_testkit::start_with(Protocol::Http, tweak, handler)
        .await
        .into()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    /// The body as a multistatus; panics unless the status is 207.
    pub fn multistatus(&self) -> Multistatus {
        assert_eq!(self.status, 207, "{}", self.text());
        parse_multistatus(&self.body, &Limits::trusted()).unwrap()
    }

    /// The precondition elements of an error body.
    pub fn conditions(&self) -> Vec<Name> {
        parse_error_body(&self.body, &Limits::trusted())
            .unwrap_or_else(|e| panic!("not an error body ({e}): {}", self.text()))
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    /// Asserts the status and that the error body names `condition`.
    pub fn assert_condition(&self, status: u16, condition: Name) {
        assert_eq!(self.status, status, "{}", self.text());
        assert!(
            self.conditions().contains(&condition),
            "{condition} not in {}",
            self.text()
        );
    }
}

/// `user:password` for a Basic header.
pub fn basic(user: &str, password: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {b}")
}

/// Sends one request over a new connection to `addr` (after a PROXY v1 header claiming
/// `proxy_from` when given).
pub async fn send(
    addr: SocketAddr,
    proxy_from: Option<&str>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    if let Some(remote) = proxy_from {
        let header = format!("PROXY TCP4 {remote} 127.0.0.1 40000 80\r\n");
        stream.write_all(header.as_bytes()).await.unwrap();
    }
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "dav.test");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(30), sender.send_request(req))
        .await
        .expect("no answer within 30 s")
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

impl Env {
    /// A request as the test user, on the plain loopback listener.
    pub async fn dav(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let auth = basic(USER, PASS);
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        send(self.http, None, method, path, &all, body.as_bytes()).await
    }

    /// A request as `user` (password [`PASS`]), on the plain loopback listener.
    pub async fn dav_as(
        &self,
        user: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let auth = basic(user, PASS);
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        send(self.http, None, method, path, &all, body.as_bytes()).await
    }

    /// Creates another account in the test domain, with password [`PASS`].
    pub async fn add_user(&self, address: &str) -> malt_store::Account {
        use malt_core::auth::password::{PasswordHasherParams, hash_with};
        self.core
            .storage()
            .store
            .account_create(malt_store::NewAccount {
                address: address.to_owned(),
                password_hash: hash_with(PASS, &PasswordHasherParams::for_tests()).unwrap(),
                quota_bytes: None,
            })
            .await
            .unwrap()
    }

    /// PROPFIND of `props` (a `DAV:prop` body's inner XML, namespaces `D`, `C`, `CR`, `CS`,
    /// `I` declared) with `depth`.
    pub async fn propfind(&self, path: &str, depth: &str, props: &str) -> Multistatus {
        let body = format!(
            r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/" xmlns:I="http://apple.com/ns/ical/"><D:prop>{props}</D:prop></D:propfind>"#
        );
        self.dav("PROPFIND", path, &[("depth", depth)], &body)
            .await
            .multistatus()
    }

    /// PUT of `body` with `content_type`; returns the reply.
    pub async fn put(&self, path: &str, content_type: &str, body: &str) -> Reply {
        self.dav("PUT", path, &[("content-type", content_type)], body)
            .await
    }

    /// PUT of an event that must be created; returns its ETag.
    pub async fn put_event(&self, path: &str, body: &str) -> String {
        let r = self.put(path, "text/calendar", body).await;
        assert_eq!(r.status, 201, "{}", r.text());
        r.header("etag").unwrap()
    }

    /// REPORT on `path` with `body` and `depth`.
    pub async fn report(&self, path: &str, depth: &str, body: &str) -> Reply {
        self.dav("REPORT", path, &[("depth", depth)], body).await
    }
}

/// The event the sharing tests put in Alice's calendar ([`start_sharing`]).
pub const ALICE_EVENT: &str = "/dav/calendars/alice@example.org/calendar/e1.ics";

/// Starts the service with `settings`, the accounts `others`, and Alice's event
/// [`ALICE_EVENT`] ("Plan", 2026-03-10 10:00-11:00 UTC) in her calendar: what the sharing and
/// ACL tests start from.
pub async fn start_sharing(settings: DavSettings, others: &[&str]) -> Env {
    let env = start_with(settings).await;
    for other in others {
        env.add_user(other).await;
    }
    env.put_event(
        ALICE_EVENT,
        &event(
            "e1",
            "DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:Plan\r\n",
        ),
    )
    .await;
    env
}

/// Asserts that `r` is 403 `DAV:need-privileges` (RFC 3744 §7.1.1) naming a resource and
/// `privilege`.
pub fn assert_need_privileges(r: &Reply, privilege: &Name) {
    r.assert_condition(403, Name::dav("need-privileges"));
    let root = malt_dav_proto::parse_document(&r.body, &Limits::trusted()).unwrap();
    let need = root.child("DAV:", "need-privileges").unwrap();
    let resource = need.child("DAV:", "resource").unwrap();
    assert!(resource.child("DAV:", "href").is_some(), "{}", r.text());
    let p = resource.child("DAV:", "privilege").unwrap();
    assert!(
        p.elements().any(|e| &e.name == privilege),
        "{privilege} in {}",
        r.text()
    );
}

/// A VCALENDAR holding one VEVENT with `uid` and the extra `lines` (CRLF-separated); a
/// DTSTART on 2026-01-01 unless `lines` has one.
pub fn event(uid: &str, lines: &str) -> String {
    let start = if lines.contains("DTSTART") {
        ""
    } else {
        "DTSTART:20260101T100000Z\r\n"
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{start}{lines}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A VCALENDAR holding one VTODO.
pub fn todo(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// A vCard 3.0.
pub fn vcard(uid: &str, name: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEMAIL:{uid}@example.org\r\nEND:VCARD\r\n"
    )
}

/// The propstat of `response` with `status`, if any.
pub fn propstat(ms: &Multistatus, href: &str, status: u16) -> Option<PropStat> {
    let r = ms.responses.iter().find(|r| r.href == href)?;
    match &r.body {
        malt_dav_proto::response::ResponseBody::PropStats(ps) => {
            ps.iter().find(|p| p.status == status).cloned()
        }
        malt_dav_proto::response::ResponseBody::Status(_) => None,
    }
}

/// The value (element) of property `name` in the 200 propstat of `href`.
pub fn prop(ms: &Multistatus, href: &str, name: &Name) -> Option<Element> {
    propstat(ms, href, 200)?
        .props
        .into_iter()
        .find(|p| &p.name == name)
}

/// The status of a status-only response for `href`.
pub fn status_of(ms: &Multistatus, href: &str) -> Option<u16> {
    ms.responses
        .iter()
        .find(|r| r.href == href)
        .and_then(|r| match r.body {
            malt_dav_proto::response::ResponseBody::Status(s) => Some(s),
            malt_dav_proto::response::ResponseBody::PropStats(_) => None,
        })
}

/// The hrefs of a multistatus, in order.
pub fn hrefs(ms: &Multistatus) -> Vec<String> {
    ms.responses.iter().map(|r| r.href.clone()).collect()
}

pub fn dav(local: &str) -> Name {
    Name::dav(local)
}

pub fn caldav(local: &str) -> Name {
    Name::caldav(local)
}

pub fn carddav(local: &str) -> Name {
    Name::carddav(local)
}

pub fn cs(local: &str) -> Name {
    Name::new(malt_dav_proto::name::CALENDARSERVER, local)
}

/// The `Content-Type` of an XML request body.
pub const XML: (&str, &str) = ("content-type", "application/xml; charset=utf-8");

/// PROPFIND as `user` of `props` (inner XML of `DAV:prop`; namespaces `D`, `C`, `CS`).
pub async fn propfind_as(env: &Env, user: &str, path: &str, depth: &str, props: &str) -> Reply {
    let body = format!(
        r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>{props}</D:prop></D:propfind>"#
    );
    env.dav_as(user, "PROPFIND", path, &[("depth", depth)], &body)
        .await
}

/// The hrefs of the shared collections `user`'s home lists (resourcetype `CS:shared`).
pub async fn mounted(env: &Env, user: &str, home: &str) -> Vec<String> {
    let ms = propfind_as(env, user, home, "1", "<D:resourcetype/>")
        .await
        .multistatus();
    hrefs(&ms)
        .into_iter()
        .filter(|h| {
            prop(&ms, h, &dav("resourcetype"))
                .is_some_and(|t| t.child(malt_dav_proto::name::CALENDARSERVER, "shared").is_some())
        })
        .collect()
}
