//! IDLE (RFC 2177, RFC 9051 §6.3.13): `+ idling`, then changes of the selected mailbox are announced as
//! they happen (EXPUNGE included: IDLE is a sync point) until the client sends `DONE`. Any other line
//! ends IDLE with BAD. Idle timeout and shutdown end the session with `* BYE`, and so does the
//! deletion of the selected mailbox. With NOTIFY active its events are sent too (RFC 5465 §4).

use std::io;

use malt_imap_proto::{Status, is_idle_done};
use malt_server::Wait;
use tokio::sync::broadcast::error::RecvError;

use crate::session::{Io, Outcome, Session, observe, observe_lagged, sync, write_deleted_bye};

enum Event {
    Read(io::Result<usize>),
    Feed(Result<malt_store::JournalEntry, RecvError>),
}

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Outcome> {
    s.out.continuation("idling");
    sync(s, true, true).await;
    io.send(&s.out.take()).await?;
    let mut feed_open = true;
    loop {
        if let Some(i) = io.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = io.buf.drain(..=i).collect();
            return Ok(if is_idle_done(&line) {
                Outcome::ok("IDLE terminated")
            } else {
                Outcome::bad("Expected DONE")
            });
        }
        if io.buf.len() > 1024 {
            return Ok(Outcome::bad("Expected DONE"));
        }
        let ctx = &s.ctx;
        let feed = &mut s.feed;
        let wait = ctx
            .wait_input(async {
                tokio::select! {
                    r = io.read_more() => Event::Read(r),
                    e = feed.recv(), if feed_open => Event::Feed(e),
                }
            })
            .await;
        match wait {
            Wait::Ready(Event::Read(Ok(0) | Err(_))) => return Ok(Outcome::drop_connection()),
            Wait::Ready(Event::Read(Ok(_))) => {}
            Wait::Ready(Event::Feed(e)) => {
                let relevant = match &e {
                    Ok(entry) => observe(s, entry),
                    Err(RecvError::Lagged(_)) => {
                        observe_lagged(s);
                        true
                    }
                    Err(RecvError::Closed) => {
                        feed_open = false;
                        false
                    }
                };
                // RFC 5465 §4: during IDLE the events NOTIFY asked for are sent as well.
                if relevant || s.notify.is_some() {
                    let known = crate::notify::known_max_uid(s);
                    sync(s, true, false).await;
                    crate::notify::after_sync(s, io, known).await?;
                    if s.selected_deleted {
                        write_deleted_bye(s);
                        io.send(&s.out.take()).await?;
                        return Ok(Outcome::drop_connection());
                    }
                    io.send(&s.out.take()).await?;
                }
            }
            Wait::Idle => {
                s.out.untagged(Status::Bye, None, "Autologout; idle for too long");
                io.send(&s.out.take()).await?;
                return Ok(Outcome::drop_connection());
            }
            Wait::Shutdown => {
                s.out.untagged(Status::Bye, None, "Server shutting down");
                io.send(&s.out.take()).await?;
                return Ok(Outcome::drop_connection());
            }
        }
    }
}
