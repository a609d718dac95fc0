//! The COMPRESS=DEFLATE layer of a session (RFC 4978 §4): once active, both directions are raw DEFLATE
//! (RFC 1951, no zlib header or checksum), and every burst the server writes ends with a sync flush
//! (an empty stored block, `00 00 FF FF`) so the client can decode all of it at once.
//!
//! Invariants:
//! - Memory per session is bounded: the compressor and decompressor states (miniz_oxide, fixed
//!   32 KiB window each) plus at most [`READ_CHUNK`] compressed octets waiting and at most
//!   [`INFLATE_CHUNK`] octets inflated per step, so a small "zip bomb" command cannot make one read
//!   produce more than that; the rest stays compressed until the parser asks for more.
//!   Cost, allocated only once COMPRESS is issued: about 300 KiB for the compressor (32 KiB
//!   dictionary, 2 × 64 KiB hash chains, 64 KiB LZ code buffer, 85 KiB output buffer) and about
//!   43 KiB for the decompressor (32 KiB window plus Huffman tables). miniz_oxide has no smaller
//!   window setting; zlib's `memLevel`/`windowBits` tuning would need the C backend.
//! - [`Deflate::inflate`] and [`Deflate::deflate`] never await: the only await points are the socket
//!   reads and writes of [`crate::session::Io`], so reading stays cancel-safe (IDLE selects on it).

use std::io;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Compressed octets read from the socket at once.
pub(crate) const READ_CHUNK: usize = 16 * 1024;
/// Inflated octets produced per step at most (RFC 4978 §4 leaves the decompressor's pace to us).
pub(crate) const INFLATE_CHUNK: usize = 64 * 1024;

/// Both directions' DEFLATE state.
pub(crate) struct Deflate {
    inflater: Decompress,
    deflater: Compress,
    /// Compressed octets received and not yet fed to the inflater.
    pub pending: Vec<u8>,
    /// The client's stream ended (a final block): anything after it is an error.
    finished: bool,
}

fn bad_data(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

impl Deflate {
    /// A fresh pair of raw DEFLATE streams; `pending` holds octets the client sent after its COMPRESS
    /// command (already compressed, RFC 4978 §3).
    pub fn new(pending: Vec<u8>) -> Self {
        Deflate {
            inflater: Decompress::new(false),
            // Level 6 (zlib's default), as RFC 4978 §4 suggests that the server picks.
            deflater: Compress::new(Compression::default(), false),
            pending,
            finished: false,
        }
    }

    /// Inflates pending input into `out`, at most [`INFLATE_CHUNK`] octets. Returns how many octets it
    /// added; 0 means more compressed input is needed.
    pub fn inflate(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        out.reserve(INFLATE_CHUNK);
        let limit = start.saturating_add(INFLATE_CHUNK);
        while !self.pending.is_empty() && out.len() < limit {
            if self.finished {
                return Err(bad_data("data after the end of the DEFLATE stream"));
            }
            // `decompress_vec` writes into the spare capacity only; cap it to the step's limit.
            let mut step = Vec::with_capacity(limit.saturating_sub(out.len()).min(INFLATE_CHUNK));
            let before = self.inflater.total_in();
            let status = self
                .inflater
                .decompress_vec(&self.pending, &mut step, FlushDecompress::Sync)
                .map_err(bad_data)?;
            let used = usize::try_from(self.inflater.total_in().saturating_sub(before)).unwrap_or(0);
            self.pending.drain(..used.min(self.pending.len()));
            out.extend_from_slice(&step);
            if status == Status::StreamEnd {
                self.finished = true;
            }
            if used == 0 && step.is_empty() {
                // Everything given was a partial block header: wait for more input.
                break;
            }
        }
        Ok(out.len().saturating_sub(start))
    }

    /// Compresses `data` and sync-flushes (RFC 4978 §4), returning the octets to write.
    pub fn deflate(&mut self, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut rest = data;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(rest.len() / 2 + 4096);
            }
            let before = self.deflater.total_in();
            self.deflater
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .map_err(bad_data)?;
            let used = usize::try_from(self.deflater.total_in().saturating_sub(before)).unwrap_or(0);
            rest = rest.get(used..).unwrap_or_default();
            // Done when all input is in and the flush did not fill the buffer (nothing left inside).
            if rest.is_empty() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A client side: raw DEFLATE with sync flush, like `zlib.compressobj(wbits=-15)`.
    fn client_pair() -> (Compress, Decompress) {
        (Compress::new(Compression::fast(), false), Decompress::new(false))
    }

    fn compress(c: &mut Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 1024);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        out
    }

    #[test]
    fn round_trip_in_both_directions_with_bounded_steps() {
        let (mut client_out, mut client_in) = client_pair();
        // A command followed by a highly compressible literal: one read must not inflate it whole.
        let mut cmd = b"a APPEND INBOX {300000}\r\n".to_vec();
        cmd.extend(std::iter::repeat_n(b'x', 300_000));
        let wire = compress(&mut client_out, &cmd);
        let (head, tail) = wire.split_at(7);
        let mut d = Deflate::new(head.to_vec());
        let mut buf = Vec::new();
        d.inflate(&mut buf).unwrap();
        d.pending.extend_from_slice(tail);
        loop {
            let n = d.inflate(&mut buf).unwrap();
            assert!(n <= INFLATE_CHUNK);
            if n == 0 {
                break;
            }
        }
        assert_eq!(buf, cmd);
        // Server to client: each burst decodes completely on its own thanks to the sync flush.
        for burst in [&b"* OK hi\r\n"[..], &[b'y'; 100_000][..], b"a OK done\r\n"] {
            let z = d.deflate(burst).unwrap();
            assert!(z.ends_with(&[0, 0, 0xff, 0xff]));
            let mut got = Vec::with_capacity(burst.len() + 64);
            client_in
                .decompress_vec(&z, &mut got, FlushDecompress::Sync)
                .unwrap();
            assert_eq!(got, burst);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut d = Deflate::new(vec![0xff; 64]);
        assert!(d.inflate(&mut Vec::new()).is_err());
    }
}
