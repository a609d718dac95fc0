//! Reading a HAProxy PROXY protocol header (v1 text, v2 binary) at the start of a connection.
//!
//! Invariants (from the PROXY protocol specification, haproxy.org `proxy-protocol.txt`):
//! - The header is read without consuming a single byte past its end: v1 byte by byte up to CRLF (at most
//!   107 bytes, §2.1), v2 as its 16-byte fixed part then exactly the announced length (§2.2). Protocols where
//!   the server speaks first (SMTP, IMAP, POP3) would otherwise deadlock or lose client bytes.
//! - Parsing itself is the `ppp` crate's; anything it rejects is an error and the connection is closed.
//! - `LOCAL` (v2) and `UNKNOWN` (v1) headers carry no client address: the connection's own peer address is
//!   kept (these are the proxy's health checks).

use std::io;
use std::net::SocketAddr;

use malt_config::ProxyProtocol;
use tokio::io::{AsyncRead, AsyncReadExt};

/// v2 signature, §2.2.
const V2_SIG: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];
/// Longest v1 header including CRLF, §2.1.
const V1_MAX: usize = 107;

/// What the header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    /// The real client, if the header carried one.
    pub source: Option<SocketAddr>,
    /// The address the client connected to on the proxy, if the header carried one.
    pub destination: Option<SocketAddr>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads one PROXY header of an accepted version from `stream`. Errors mean: close the connection.
pub async fn read_header<S: AsyncRead + Unpin>(
    stream: &mut S,
    mode: ProxyProtocol,
) -> io::Result<ProxyHeader> {
    // Six bytes tell the versions apart: "PROXY " vs the start of the v2 signature. Both headers are at
    // least that long, so reading them never over-reads.
    let mut buf = vec![0u8; 6];
    stream.read_exact(&mut buf).await?;
    let v1 = buf.as_slice() == b"PROXY ";
    let v2 = buf.as_slice() == &V2_SIG[..6];
    match (mode, v1, v2) {
        (ProxyProtocol::V1 | ProxyProtocol::Any, true, _) => read_v1(stream, buf).await,
        (ProxyProtocol::V2 | ProxyProtocol::Any, _, true) => read_v2(stream, buf).await,
        (ProxyProtocol::Off, ..) => Err(bad("PROXY protocol is off")),
        _ => Err(bad("missing or unexpected PROXY protocol header")),
    }
}

async fn read_v1<S: AsyncRead + Unpin>(stream: &mut S, mut buf: Vec<u8>) -> io::Result<ProxyHeader> {
    while !buf.ends_with(b"\r\n") {
        if buf.len() >= V1_MAX {
            return Err(bad("PROXY v1 header longer than 107 bytes"));
        }
        buf.push(stream.read_u8().await?);
    }
    let header = ppp::v1::Header::try_from(buf.as_slice()).map_err(|e| bad(format!("PROXY v1: {e}")))?;
    Ok(match header.addresses {
        ppp::v1::Addresses::Unknown => ProxyHeader {
            source: None,
            destination: None,
        },
        ppp::v1::Addresses::Tcp4(a) => ProxyHeader {
            source: Some(SocketAddr::from((a.source_address, a.source_port))),
            destination: Some(SocketAddr::from((a.destination_address, a.destination_port))),
        },
        ppp::v1::Addresses::Tcp6(a) => ProxyHeader {
            source: Some(SocketAddr::from((a.source_address, a.source_port))),
            destination: Some(SocketAddr::from((a.destination_address, a.destination_port))),
        },
    })
}

async fn read_v2<S: AsyncRead + Unpin>(stream: &mut S, mut buf: Vec<u8>) -> io::Result<ProxyHeader> {
    buf.resize(16, 0);
    stream
        .read_exact(buf.get_mut(6..16).ok_or_else(|| bad("internal"))?)
        .await?;
    if buf.get(..12) != Some(&V2_SIG[..]) {
        return Err(bad("PROXY v2: bad signature"));
    }
    let len = match (buf.get(14), buf.get(15)) {
        (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
        _ => return Err(bad("PROXY v2: short header")),
    };
    buf.resize(16 + len, 0);
    stream
        .read_exact(buf.get_mut(16..).ok_or_else(|| bad("internal"))?)
        .await?;
    let header = ppp::v2::Header::try_from(buf.as_slice()).map_err(|e| bad(format!("PROXY v2: {e}")))?;
    if header.command == ppp::v2::Command::Local {
        return Ok(ProxyHeader {
            source: None,
            destination: None,
        });
    }
    Ok(match header.addresses {
        ppp::v2::Addresses::IPv4(a) => ProxyHeader {
            source: Some(SocketAddr::from((a.source_address, a.source_port))),
            destination: Some(SocketAddr::from((a.destination_address, a.destination_port))),
        },
        ppp::v2::Addresses::IPv6(a) => ProxyHeader {
            source: Some(SocketAddr::from((a.source_address, a.source_port))),
            destination: Some(SocketAddr::from((a.destination_address, a.destination_port))),
        },
        ppp::v2::Addresses::Unspecified | ppp::v2::Addresses::Unix(_) => ProxyHeader {
            source: None,
            destination: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8], mode: ProxyProtocol) -> (io::Result<ProxyHeader>, Vec<u8>) {
        let mut r = bytes;
        let res = read_header(&mut r, mode).await;
        (res, r.to_vec())
    }

    #[tokio::test]
    async fn v1_tcp4_and_rest_untouched() {
        let (h, rest) = parse(
            b"PROXY TCP4 192.0.2.1 198.51.100.2 5555 25\r\nEHLO",
            ProxyProtocol::Any,
        )
        .await;
        let h = h.unwrap();
        assert_eq!(h.source, Some("192.0.2.1:5555".parse().unwrap()));
        assert_eq!(h.destination, Some("198.51.100.2:25".parse().unwrap()));
        assert_eq!(rest, b"EHLO");
    }

    #[tokio::test]
    async fn v1_unknown_and_tcp6() {
        let (h, _) = parse(b"PROXY UNKNOWN\r\n", ProxyProtocol::V1).await;
        assert_eq!(h.unwrap().source, None);
        let (h, _) = parse(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", ProxyProtocol::V1).await;
        assert_eq!(h.unwrap().source, Some("[2001:db8::1]:1".parse().unwrap()));
    }

    #[tokio::test]
    async fn v2_proxy_and_local() {
        let src: SocketAddr = "203.0.113.9:4000".parse().unwrap();
        let dst: SocketAddr = "198.51.100.2:993".parse().unwrap();
        let mut bytes = ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Proxy,
            ppp::v2::Protocol::Stream,
            (src, dst),
        )
        .build()
        .unwrap();
        bytes.extend_from_slice(b"a1 LOGIN");
        let (h, rest) = parse(&bytes, ProxyProtocol::V2).await;
        assert_eq!(h.unwrap().source, Some(src));
        assert_eq!(rest, b"a1 LOGIN");

        let local = ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Local,
            ppp::v2::Protocol::Unspecified,
            ppp::v2::Addresses::Unspecified,
        )
        .build()
        .unwrap();
        assert_eq!(parse(&local, ProxyProtocol::Any).await.0.unwrap().source, None);
    }

    #[tokio::test]
    async fn rejects() {
        assert!(
            parse(b"EHLO example.com\r\n", ProxyProtocol::Any)
                .await
                .0
                .is_err()
        );
        assert!(
            parse(b"PROXY TCP4 1.2.3.4\r\n", ProxyProtocol::Any)
                .await
                .0
                .is_err()
        );
        assert!(
            parse(
                b"PROXY TCP4 192.0.2.1 198.51.100.2 5555 25\r\n",
                ProxyProtocol::V2
            )
            .await
            .0
            .is_err()
        );
        let long = format!("PROXY {}\r\n", "x".repeat(200));
        assert!(parse(long.as_bytes(), ProxyProtocol::V1).await.0.is_err());
        assert!(parse(b"PROXY", ProxyProtocol::V1).await.0.is_err());
    }
}
