//! Unix domain socket listeners (a `[[listener]]` with `path`): binding the socket file, its mode, and
//! removing it again. This is how a local MTA delivers by LMTP (Postfix's `lmtp:unix:` transport, as
//! into Dovecot's `dovecot-lmtp` socket).
//!
//! Invariants:
//! - Only a socket is ever removed. At start, a socket file at `path` that nothing listens on any more
//!   (a connection to it is refused: its server is gone) is replaced; one that accepts a connection is
//!   "in use" and an error, and so is anything else at the path (a regular file, a directory, a
//!   symlink): it is never deleted.
//! - The socket file gets the listener's `mode` before the first connection is accepted. Between bind and
//!   chmod its permissions are `0777 & !umask`; a socket needs write permission to be connected to, so
//!   under the usual umask (022) nobody but the owner can connect in that moment.
//! - The file is removed when the listener is dropped (at shutdown, or when the server is dropped), but
//!   only if the path still names the socket this process bound (same device and inode): a socket
//!   another instance has put there since is left alone.
//! - A Unix socket peer has no IP address. The [`crate::Connection`] carries [`UNIX_PEER_ADDR`]
//!   (127.0.0.1, port 0) as `remote` and `local`, so everything that works from the client's address
//!   treats it as loopback: plaintext authentication is allowed, authentication rate limits count it
//!   under 127.0.0.1, and the trace header reads `Received: from HELO ([127.0.0.1])` (RFC 5321 §4.4:
//!   an address literal is well-formed `TCP-info`). The kernel's peer credentials ([`UnixPeer`]) are in
//!   the session span instead.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};

/// The `remote` and `local` address of a connection accepted on a Unix socket.
pub const UNIX_PEER_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// How long the stale-socket check waits for a connection to an existing socket file. A listening
/// server answers at once; a full backlog is as good as "in use".
const IN_USE_PROBE: Duration = Duration::from_secs(2);

/// The process at the other end of a Unix socket, as the kernel reports it (`SO_PEERCRED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixPeer {
    /// Its effective user id.
    pub uid: u32,
    /// Its effective group id.
    pub gid: u32,
    /// Its process id, when the platform gives it.
    pub pid: Option<i32>,
}

impl UnixPeer {
    /// The credentials of `stream`'s peer; `None` if the kernel would not say.
    pub fn of(stream: &UnixStream) -> Option<UnixPeer> {
        match stream.peer_cred() {
            Ok(c) => Some(UnixPeer {
                uid: c.uid(),
                gid: c.gid(),
                pid: c.pid(),
            }),
            Err(e) => {
                tracing::debug!("SO_PEERCRED: {e}");
                None
            }
        }
    }
}

impl fmt::Display for UnixPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uid={} gid={}", self.uid, self.gid)?;
        if let Some(pid) = self.pid {
            write!(f, " pid={pid}")?;
        }
        Ok(())
    }
}

/// The socket file of a bound listener; removes it on drop if it is still ours (see the module docs).
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        match std::fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_socket() && m.dev() == self.dev && m.ino() == self.ino => {
                if let Err(e) = std::fs::remove_file(&self.path) {
                    tracing::warn!(path = %self.path.display(), "cannot remove the socket file: {e}");
                }
            }
            Ok(_) => {
                tracing::info!(path = %self.path.display(), "socket file replaced by another; left in place");
            }
            Err(e) => tracing::debug!(path = %self.path.display(), "socket file already gone: {e}"),
        }
    }
}

/// Binds a listening Unix socket at `path` with permission bits `mode`, replacing a stale socket file
/// (see the module docs for what is never removed).
pub(crate) async fn bind(path: &Path, mode: u32) -> io::Result<(UnixListener, SocketFile)> {
    clear_stale(path).await?;
    let listener = UnixListener::bind(path)?;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            // Bound a moment ago: best effort not to leave the file behind.
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
    };
    // From here on the guard removes the file, also when chmod fails below.
    let file = SocketFile {
        path: path.to_path_buf(),
        dev: meta.dev(),
        ino: meta.ino(),
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok((listener, file))
}

/// Makes way for a new socket at `path`: nothing there is fine; a socket nobody listens on is removed;
/// anything else is an error naming what was found.
async fn clear_stale(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        let what = if meta.is_dir() {
            "a directory"
        } else if meta.file_type().is_symlink() {
            "a symbolic link"
        } else if meta.is_file() {
            "a regular file"
        } else {
            "not a socket"
        };
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("the path exists and is {what}; not removing it"),
        ));
    }
    match tokio::time::timeout(IN_USE_PROBE, UnixStream::connect(path)).await {
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing a stale socket file");
            std::fs::remove_file(path)
        }
        Ok(Err(e)) => Err(io::Error::new(
            e.kind(),
            format!("a socket file exists and cannot be probed ({e}); not removing it"),
        )),
        Ok(Ok(_)) | Err(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "a socket file exists and a server is listening on it",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_display() {
        let p = UnixPeer {
            uid: 107,
            gid: 113,
            pid: Some(4242),
        };
        assert_eq!(p.to_string(), "uid=107 gid=113 pid=4242");
        assert_eq!(UnixPeer { pid: None, ..p }.to_string(), "uid=107 gid=113");
    }

    #[tokio::test]
    async fn symlink_and_directory_are_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link.sock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = bind(&link, 0o660).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(e.to_string().contains("a symbolic link"), "{e}");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");

        let sub = dir.path().join("sub.sock");
        std::fs::create_dir(&sub).unwrap();
        let e = bind(&sub, 0o660).await.unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        assert!(sub.is_dir());
    }

    #[tokio::test]
    async fn a_replaced_socket_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let (listener, file) = bind(&path, 0o600).await.unwrap();
        // Another instance takes the path over (removes ours, binds its own).
        std::fs::remove_file(&path).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(file);
        drop(listener);
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_socket());
        drop(other);
    }
}
