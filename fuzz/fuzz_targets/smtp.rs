//! Any bytes given to the SMTP/LMTP codec: command lines are parsed or refused with a reply (never a
//! panic), and the same bytes as DATA content (split at an input-chosen point) and as BDAT chunks keep
//! memory within the limit and consume no more than they are given; DATA unstuffing never grows the
//! message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_smtp_proto::{BdatReader, DataReader, DataStatus, parse_command};

fuzz_target!(|data: &[u8]| {
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Err(e) = parse_command(line) {
            let reply = e.reply().to_bytes();
            assert!(reply.ends_with(b"\r\n"));
            assert_eq!(reply.iter().filter(|&&b| b == b'\n').count(), 1);
        }
    }
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let max = 1024;
    let mut reader = DataReader::new(max);
    let mut consumed = 0;
    for part in [&data[..split], &data[split..]] {
        let (n, status) = reader.ingest(part);
        assert!(n <= part.len());
        consumed += n;
        if status != DataStatus::NeedMore {
            break;
        }
    }
    let body = reader.into_body();
    assert!(body.len() <= max && body.len() <= consumed);

    let mut bdat = BdatReader::new(max);
    bdat.start_chunk(split);
    let (n, done) = bdat.ingest(data);
    assert_eq!(n, split);
    assert!(done);
    assert!(bdat.len() <= max);
});
