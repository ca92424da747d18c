//! Named protocol versions.
//!
//! Each change to the protocol gets the next number here and a note in the `.proto` file on the
//! fields it introduced. The host sends [`CURRENT`] in `Hello`; a worker that does not speak it
//! answers with its own version and the host refuses to go on, naming both.

/// The first protocol: sessions, output chunks, results, cancel, stats, ping, shutdown.
pub const INITIAL: u32 = 1;

/// The frame limit is agreed in the handshake (`Hello.max_frame_len`, `HelloAck.max_frame_len`).
pub const FRAME_LIMIT_AGREED: u32 = 2;

/// Sessions ask the host for files and modules (`HostCall`, `HostReply`).
pub const HOST_CALLS: u32 = 3;

/// Sessions ask the host to make network requests for them (`NetCall`).
pub const NET_CALLS: u32 = 4;

/// Files' modes and times can be set (`FS_OP_CHMOD`, `FS_OP_UTIMES`, `FsCall.mode`,
/// `FsCall.atime_ms`, `FsCall.mtime_ms`).
pub const MODES_AND_TIMES: u32 = 5;

/// Sessions name the world they run in (`OpenSession.world`), so that the worker keeps what
/// it learns about a world's modules for that world's sessions only.
pub const WORLDS: u32 = 6;

/// Sessions make symbolic links (`FS_OP_SYMLINK`).
pub const SYMLINKS: u32 = 7;

/// Module sources from a frozen directory come with their SHA-256 (`HostReply.digest`).
pub const SOURCE_DIGESTS: u32 = 8;

/// The version this build speaks.
pub const CURRENT: u32 = SOURCE_DIGESTS;

/// Whether a peer speaking `version` can talk to this build.
///
/// Only identical versions are compatible: host and worker ship together, so a mismatch means a
/// stale binary, and it is better reported at once than discovered as a decode error later.
pub fn is_compatible(version: u32) -> bool {
    version == CURRENT
}
