//! A DNS server for tests: serves a zone given as a list of [`Record`]s on 127.0.0.1, UDP and TCP on the same
//! port (chosen by the system), so code under test can be pointed at it (`[dns] servers`).
//!
//! Behaviour (RFC 1035 §4):
//! - A name with records of the asked type: those records, authoritative (AA set), `NOERROR`.
//! - A name with a CNAME (asked for another type): the CNAME, then the target's records of that type.
//! - A name that has records, but none of the asked type: `NOERROR` with no answer (NODATA).
//! - A name with no record at all: `NXDOMAIN`.
//! - A name marked with [`Record::servfail`]: `SERVFAIL` for every type (a broken zone, a temporary error).
//! - Names compare case-insensitively; a trailing dot is optional in the records given.
//! - Over UDP, an answer larger than the client's EDNS payload size (512 octets without EDNS, RFC 1035
//!   §4.2.1; RFC 6891 §6.2.3) is sent truncated (TC set), so the client retries over TCP (RFC 7766).
//!   TCP messages carry the two-octet length prefix (RFC 1035 §4.2.2).
//!
//! Every query is logged (name, type) for assertions ([`DnsServer::queries`]). The server runs until the
//! `DnsServer` is dropped.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// Time to live of every answer: short, tests never wait for it.
const TTL: u32 = 1;

/// One entry of the test zone.
#[derive(Debug, Clone)]
pub struct Record {
    name: Name,
    data: Entry,
}

#[derive(Debug, Clone)]
enum Entry {
    Data(RData),
    ServFail,
}

fn name(s: &str) -> Name {
    let fqdn = if s.ends_with('.') {
        s.to_owned()
    } else {
        format!("{s}.")
    };
    Name::from_ascii(&fqdn).unwrap_or_else(|e| panic!("bad DNS name {s:?}: {e}"))
}

impl Record {
    fn new(owner: &str, data: RData) -> Record {
        Record {
            name: name(owner),
            data: Entry::Data(data),
        }
    }

    /// `owner MX preference exchange`; an `exchange` of `"."` makes a null MX (RFC 7505).
    pub fn mx(owner: &str, preference: u16, exchange: &str) -> Record {
        let exchange = if exchange == "." {
            Name::root()
        } else {
            name(exchange)
        };
        Record::new(owner, RData::MX(MX::new(preference, exchange)))
    }

    /// The null MX of RFC 7505 §3: `owner MX 0 .` ("this domain accepts no mail").
    pub fn null_mx(owner: &str) -> Record {
        Record::mx(owner, 0, ".")
    }

    /// `owner A address`.
    pub fn a(owner: &str, address: &str) -> Record {
        let ip: Ipv4Addr = address
            .parse()
            .unwrap_or_else(|e| panic!("bad IPv4 {address:?}: {e}"));
        Record::new(owner, RData::A(A(ip)))
    }

    /// `owner AAAA address`.
    pub fn aaaa(owner: &str, address: &str) -> Record {
        let ip = address
            .parse()
            .unwrap_or_else(|e| panic!("bad IPv6 {address:?}: {e}"));
        Record::new(owner, RData::AAAA(AAAA(ip)))
    }

    /// `owner TXT "text"`; text longer than 255 octets is split into several character-strings (RFC 1035
    /// §3.3.14), which readers such as SPF and DKIM join again (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
    pub fn txt(owner: &str, text: &str) -> Record {
        let mut parts = Vec::new();
        let mut current = String::new();
        for c in text.chars() {
            if current.len() + c.len_utf8() > 255 {
                parts.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        parts.push(current);
        Record::new(owner, RData::TXT(TXT::new(parts)))
    }

    /// `owner CNAME target`.
    pub fn cname(owner: &str, target: &str) -> Record {
        Record::new(owner, RData::CNAME(CNAME(name(target))))
    }

    /// `owner PTR target` (e.g. `Record::ptr("1.0.0.127.in-addr.arpa", "mail.test")`).
    pub fn ptr(owner: &str, target: &str) -> Record {
        Record::new(owner, RData::PTR(PTR(name(target))))
    }

    /// Not a record: every query for `owner` is answered `SERVFAIL`.
    pub fn servfail(owner: &str) -> Record {
        Record {
            name: name(owner),
            data: Entry::ServFail,
        }
    }
}

#[derive(Default)]
struct Zone {
    records: Vec<Record>,
    queries: Vec<(String, RecordType)>,
}

/// A running test DNS server; stops when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl DnsServer {
    /// Starts serving `records` on 127.0.0.1, UDP and TCP on one port.
    pub async fn start(records: Vec<Record>) -> DnsServer {
        // Bind UDP first, then TCP on the same port; retry if that TCP port happens to be taken.
        for _ in 0..20 {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
            let addr = udp.local_addr().unwrap();
            let Ok(tcp) = TcpListener::bind(addr).await else {
                continue;
            };
            let zone = Arc::new(Mutex::new(Zone {
                records,
                queries: Vec::new(),
            }));
            let tasks = vec![
                tokio::spawn(serve_udp(udp, zone.clone())),
                tokio::spawn(serve_tcp(tcp, zone.clone())),
            ];
            return DnsServer { addr, zone, tasks };
        }
        panic!("could not bind UDP and TCP on one port");
    }

    /// The address to query (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds records to the zone while it runs.
    pub fn add(&self, records: impl IntoIterator<Item = Record>) {
        self.zone.lock().unwrap().records.extend(records);
    }

    /// Every query received so far: the name asked (lowercase, with the trailing dot) and its type.
    pub fn queries(&self) -> Vec<(String, RecordType)> {
        self.zone.lock().unwrap().queries.clone()
    }
}

async fn serve_udp(socket: UdpSocket, zone: Arc<Mutex<Zone>>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(reply) = answer(&buf[..n], &zone, true) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, zone: Arc<Mutex<Zone>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_tcp_conn(stream, zone.clone()));
    }
}

async fn serve_tcp_conn(mut stream: TcpStream, zone: Arc<Mutex<Zone>>) {
    loop {
        let Ok(len) = stream.read_u16().await else {
            return;
        };
        let mut msg = vec![0u8; usize::from(len)];
        if stream.read_exact(&mut msg).await.is_err() {
            return;
        }
        let Some(reply) = answer(&msg, &zone, false) else {
            return;
        };
        let Ok(len) = u16::try_from(reply.len()) else {
            return;
        };
        if stream.write_u16(len).await.is_err() || stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// The wire answer to the wire query `raw`; `None` for something that is not a query.
fn answer(raw: &[u8], zone: &Mutex<Zone>, udp: bool) -> Option<Vec<u8>> {
    let query = Message::from_vec(raw).ok()?;
    if query.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.metadata.authoritative = true;
    reply.add_queries(query.queries.iter().cloned());
    if let Some(edns) = &query.edns {
        let mut e = Edns::new();
        e.set_max_payload(edns.max_payload().max(512));
        reply.set_edns(e);
    }
    match (query.metadata.op_code, query.queries.as_slice()) {
        (OpCode::Query, [q]) => {
            let mut zone = zone.lock().unwrap();
            zone.queries
                .push((q.name().to_lowercase().to_ascii(), q.query_type()));
            lookup(&zone.records, q.name(), q.query_type(), &mut reply);
        }
        _ => reply.metadata.response_code = ResponseCode::NotImp,
    }
    let bytes = reply.to_vec().ok()?;
    let limit = query
        .edns
        .as_ref()
        .map_or(512, |e| usize::from(e.max_payload().max(512)));
    if udp && bytes.len() > limit {
        return reply.truncate().to_vec().ok();
    }
    Some(bytes)
}

fn lookup(records: &[Record], qname: &Name, qtype: RecordType, reply: &mut Message) {
    fn at<'a>(records: &'a [Record], n: &'a Name) -> impl Iterator<Item = &'a Record> {
        records.iter().filter(move |r| r.name == *n)
    }
    if at(records, qname).next().is_none() {
        reply.metadata.response_code = ResponseCode::NXDomain;
        return;
    }
    if at(records, qname).any(|r| matches!(r.data, Entry::ServFail)) {
        reply.metadata.response_code = ResponseCode::ServFail;
        reply.metadata.authoritative = false;
        return;
    }
    let mut owner = qname.clone();
    // Follow at most a few CNAMEs (RFC 1034 §4.3.2 step 3a).
    for _ in 0..8 {
        let mut cname = None;
        for r in at(records, &owner) {
            let Entry::Data(data) = &r.data else { continue };
            if data.record_type() == qtype || qtype == RecordType::ANY {
                reply.add_answer(hickory_proto::rr::Record::from_rdata(
                    owner.clone(),
                    TTL,
                    data.clone(),
                ));
            } else if let RData::CNAME(target) = data {
                reply.add_answer(hickory_proto::rr::Record::from_rdata(
                    owner.clone(),
                    TTL,
                    data.clone(),
                ));
                cname = Some(target.0.clone());
            }
        }
        match cname {
            Some(target) => owner = target,
            None => return,
        }
    }
}
