//! Receiving the message content: DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030 §2).
//!
//! Invariants:
//! - DATA ends at the first `CRLF . CRLF`, found across any split of the input into reads; the CRLF
//!   before the dot belongs to the message; a line starting with `.` loses that dot (RFC 5321 §4.5.2).
//!   The message's first line is treated as following a CRLF (so `.` alone on the first line ends an
//!   empty message). Bare LF and bare CR are not line ends for the terminator (the SMTP smuggling
//!   class of attacks: smtp-proto only ends on `CRLF.CRLF`).
//! - Memory is bounded: once the message exceeds `max` octets it is discarded as it arrives; the reader
//!   keeps consuming to the terminator (or to the end of the BDAT chunks) so the session stays in sync,
//!   and then reports [`DataStatus::TooLarge`] (the session answers `552 5.3.4`, RFC 1870 §6.3).
//! - BDAT chunks are taken byte for byte, no unstuffing, no line-end interpretation (RFC 3030 §2).

use smtp_proto::request::receiver::DataReceiver;

/// Where a message being received stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStatus {
    /// More input is needed.
    NeedMore,
    /// The message is complete and within the limit.
    Done,
    /// The message is complete (the input is in sync again) but was over the limit and was discarded.
    TooLarge,
}

/// Accumulates the message with the size limit shared by DATA and BDAT.
#[derive(Debug, Default)]
struct Sink {
    body: Vec<u8>,
    max: usize,
    overflow: bool,
}

impl Sink {
    fn check(&mut self) {
        if self.body.len() > self.max {
            self.overflow = true;
            self.body = Vec::new();
        }
    }

    fn status_done(&self) -> DataStatus {
        if self.overflow {
            DataStatus::TooLarge
        } else {
            DataStatus::Done
        }
    }
}

/// Receives a DATA message: dot-unstuffing, terminator detection, size limit.
pub struct DataReader {
    inner: DataReceiver,
    sink: Sink,
    done: bool,
}

impl std::fmt::Debug for DataReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataReader")
            .field("len", &self.sink.body.len())
            .field("overflow", &self.sink.overflow)
            .field("done", &self.done)
            .finish()
    }
}

impl DataReader {
    /// A reader for a message of at most `max` octets (after unstuffing).
    pub fn new(max: usize) -> Self {
        let mut inner = DataReceiver::new();
        // Prime the state as if a CRLF had just been seen: the first line may be "." or start with "..".
        let mut primer = Vec::new();
        let _ = inner.ingest(&mut b"\r\n".iter(), &mut primer);
        DataReader {
            inner,
            sink: Sink {
                body: Vec::new(),
                max,
                overflow: false,
            },
            done: false,
        }
    }

    /// Feeds `input`; returns how many octets were consumed (the rest, after the terminator, belongs to
    /// the next command) and the status. After `Done`/`TooLarge`, consumes nothing more.
    pub fn ingest(&mut self, input: &[u8]) -> (usize, DataStatus) {
        if self.done {
            return (0, self.sink.status_done());
        }
        let mut it = input.iter();
        let finished = if self.sink.overflow {
            let mut scratch = Vec::new();
            self.inner.ingest(&mut it, &mut scratch)
        } else {
            let f = self.inner.ingest(&mut it, &mut self.sink.body);
            self.sink.check();
            f
        };
        let consumed = input.len().saturating_sub(it.as_slice().len());
        if finished {
            self.done = true;
            (consumed, self.sink.status_done())
        } else {
            (consumed, DataStatus::NeedMore)
        }
    }

    /// The message received (empty if it was too large).
    pub fn into_body(self) -> Vec<u8> {
        self.sink.body
    }
}

/// Receives a message sent in BDAT chunks (RFC 3030 §2), with the size limit over all chunks.
#[derive(Debug, Default)]
pub struct BdatReader {
    sink: Sink,
    remaining: usize,
}

impl BdatReader {
    /// A reader for a message of at most `max` octets.
    pub fn new(max: usize) -> Self {
        BdatReader {
            sink: Sink {
                body: Vec::new(),
                max,
                overflow: false,
            },
            remaining: 0,
        }
    }

    /// Starts a chunk of `size` octets (from `BDAT size [LAST]`). If the whole message would exceed the
    /// limit, the chunk will be discarded as it arrives.
    pub fn start_chunk(&mut self, size: usize) {
        self.remaining = size;
        if self.sink.body.len().saturating_add(size) > self.sink.max {
            self.sink.overflow = true;
            self.sink.body = Vec::new();
        }
    }

    /// Feeds `input`; returns the octets consumed and whether the current chunk is complete.
    pub fn ingest(&mut self, input: &[u8]) -> (usize, bool) {
        let n = input.len().min(self.remaining);
        if !self.sink.overflow {
            self.sink
                .body
                .extend_from_slice(input.get(..n).unwrap_or_default());
        }
        self.remaining -= n;
        (n, self.remaining == 0)
    }

    /// Octets of the current chunk not yet received.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Whether the message so far has exceeded the limit.
    pub fn too_large(&self) -> bool {
        self.sink.overflow
    }

    /// Octets received so far (0 once over the limit).
    pub fn len(&self) -> usize {
        self.sink.body.len()
    }

    /// Whether nothing has been received (or the message was discarded).
    pub fn is_empty(&self) -> bool {
        self.sink.body.is_empty()
    }

    /// The message received (empty if it was too large).
    pub fn into_body(self) -> Vec<u8> {
        self.sink.body
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn feed(parts: &[&[u8]], max: usize) -> (Vec<u8>, DataStatus, usize) {
        let mut r = DataReader::new(max);
        let mut rest_total = 0;
        for p in parts {
            let (n, st) = r.ingest(p);
            if st != DataStatus::NeedMore {
                rest_total = p.len() - n;
                return (r.into_body(), st, rest_total);
            }
        }
        (r.into_body(), DataStatus::NeedMore, rest_total)
    }

    #[test]
    fn terminator_and_unstuffing() {
        let (b, st, rest) = feed(&[b"Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n"], 1000);
        assert_eq!(st, DataStatus::Done);
        assert_eq!(b, b"Subject: x\r\n\r\n.dot\r\n");
        assert_eq!(rest, 6);
        let (b, st, _) = feed(&[b".\r\n"], 1000);
        assert_eq!((b.as_slice(), st), (&b""[..], DataStatus::Done));
        let (b, st, _) = feed(&[b"..a\r\n.\r\n"], 1000);
        assert_eq!((b.as_slice(), st), (&b".a\r\n"[..], DataStatus::Done));
        // Bare LF dot is not the end.
        let (_, st, _) = feed(&[b"a\n.\nb\r\n"], 1000);
        assert_eq!(st, DataStatus::NeedMore);
    }

    #[test]
    fn too_large_stays_in_sync() {
        let big = vec![b'x'; 100];
        let (b, st, rest) = feed(&[&big, b"\r\n", b"more\r\n.\r\nNOOP\r\n"], 50);
        assert_eq!(st, DataStatus::TooLarge);
        assert!(b.is_empty());
        assert_eq!(rest, 6);
    }

    #[test]
    fn bdat_chunks() {
        let mut r = BdatReader::new(10);
        r.start_chunk(4);
        assert_eq!(r.ingest(b"ab"), (2, false));
        assert_eq!(r.ingest(b"cdNOOP"), (2, true));
        r.start_chunk(3);
        assert_eq!(r.ingest(b"efg"), (3, true));
        assert_eq!(r.into_body(), b"abcdefg");
        let mut r = BdatReader::new(5);
        r.start_chunk(6);
        assert!(r.too_large());
        assert_eq!(r.ingest(b"123456"), (6, true));
        assert!(r.into_body().is_empty());
    }

    /// RFC 5321 §4.5.2 stuffing as a sender does it.
    fn stuff(msg: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at_line_start = true;
        for &b in msg {
            if at_line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            at_line_start = b == b'\n' && out.len() >= 2 && out[out.len() - 2] == b'\r';
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    proptest! {
        /// unstuff(stuff(m)) == m for any message of CRLF-terminated lines, however the input is split.
        #[test]
        fn roundtrip(lines in proptest::collection::vec("[.a-z \\t]{0,20}", 0..20), split in 0usize..400) {
            let mut msg = Vec::new();
            for l in &lines {
                msg.extend_from_slice(l.as_bytes());
                msg.extend_from_slice(b"\r\n");
            }
            let wire = stuff(&msg);
            let cut = split.min(wire.len());
            let (a, b) = wire.split_at(cut);
            let mut r = DataReader::new(1 << 20);
            let (n1, st1) = r.ingest(a);
            let (body, st) = if st1 == DataStatus::NeedMore {
                let (n2, st2) = r.ingest(b);
                prop_assert_eq!(n2, b.len());
                (r.into_body(), st2)
            } else {
                prop_assert_eq!(n1, a.len());
                (r.into_body(), st1)
            };
            prop_assert_eq!(st, DataStatus::Done);
            prop_assert_eq!(body, msg);
        }

        /// Arbitrary bytes never panic, and memory stays within the limit.
        #[test]
        fn arbitrary(data in proptest::collection::vec(any::<u8>(), 0..2000), max in 0usize..500) {
            let mut r = DataReader::new(max);
            let mut off = 0;
            while off < data.len() {
                let end = (off + 37).min(data.len());
                let (n, st) = r.ingest(&data[off..end]);
                prop_assert!(r.sink.body.len() <= max);
                off += n;
                if st != DataStatus::NeedMore { break; }
            }
        }
    }
}
