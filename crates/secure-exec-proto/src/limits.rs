//! The per-session limits both sides agree on: defaults for fields left at zero in
//! `v1::Limits`, and the ranges a value must fall in. The host rejects values outside them; the
//! worker clamps into them, so neither relies on the other having checked.

const MIB: u64 = 1024 * 1024;

/// Default memory budget (V8 heap plus ArrayBuffers and WebAssembly memory): 128 MiB.
pub const DEFAULT_MEMORY_BYTES: u64 = 128 * MIB;
/// Smallest and largest memory budget: 1 MiB to 16 GiB.
pub const MEMORY_BYTES: (u64, u64) = (MIB, 16 * 1024 * MIB);

/// Default wall-clock bound of a session: 30 s.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Longest CPU-time or wall-clock limit: 24 hours.
pub const MAX_TIME_MS: u64 = 24 * 60 * 60 * 1000;

/// Default capture per output stream: 1 MiB.
pub const DEFAULT_OUTPUT_BYTES: u64 = MIB;
/// Largest capture per output stream: 64 MiB.
pub const MAX_OUTPUT_BYTES: u64 = 64 * MIB;

/// Default cap on `run` exports as JSON: 4 MiB.
pub const DEFAULT_EXPORTS_BYTES: u64 = 4 * MIB;
/// Largest exports cap: exports travel in one frame, so leave room in the default 16 MiB frame
/// for the rest of the result.
pub const MAX_EXPORTS_BYTES: u64 = 15 * MIB;

/// Smallest frame limit either side agrees to: 1 MiB, room for a capped error message, an
/// output chunk and a result's fixed fields.
pub const MIN_FRAME_LEN: usize = MIB as usize;

/// Longest error message (with its stack) a result carries; longer ones are cut, with a marker.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest piece of console output one `Output` message carries; larger writes are split.
pub const OUTPUT_CHUNK_BYTES: usize = 256 * 1024;

/// Room in a result frame for everything but the exports: the capped error message, its
/// marker, the error code and the fixed fields.
pub const RESULT_OVERHEAD_BYTES: usize = MAX_ERROR_MESSAGE_BYTES + 64 * 1024;

/// Timers (`setTimeout`, `setInterval`, `setImmediate`) one session may keep pending; one more
/// ends the session with `ERR_TIMER_LIMIT`.
pub const MAX_PENDING_TIMERS: usize = 100_000;

/// Host calls one session may have in flight at once; the worker fails further ones with
/// `ERR_HOST_CALL_LIMIT` and the host refuses them the same way.
pub const MAX_HOST_CALLS_IN_FLIGHT: usize = 64;

/// The most bytes one read or write call moves: larger files move in several calls, so that
/// the replies a session has in flight stay small next to its memory budget.
pub const HOST_IO_CHUNK: usize = MIB as usize;

/// Room in a frame for a host reply's fields besides its data.
pub const HOST_REPLY_OVERHEAD_BYTES: usize = 64 * 1024;

/// The most data one host call carries either way (a read's bytes, a write's, a module's
/// source) for a frame limit of `frame_len`: larger files move in several calls.
pub fn host_data_cap(frame_len: usize) -> usize {
    frame_len.saturating_sub(HOST_REPLY_OVERHEAD_BYTES).min(8 * MIB as usize)
}

/// The frame limit both sides keep to: the smaller of what the host asked for (0: no wish)
/// and the worker's own, never below [`MIN_FRAME_LEN`].
pub fn agree_frame_len(host: u64, own: usize) -> usize {
    let host = usize::try_from(host).unwrap_or(usize::MAX);
    let agreed = if host == 0 { own } else { host.min(own) };
    agreed.max(MIN_FRAME_LEN)
}

/// The exports cap a session really gets: what it asked for, within what one result frame of
/// `frame_len` bytes can carry.
pub fn exports_cap(requested: u64, frame_len: usize) -> u64 {
    let room = frame_len.saturating_sub(RESULT_OVERHEAD_BYTES) as u64;
    requested.min(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smaller_frame_limit_wins_but_never_below_the_minimum() {
        assert_eq!(agree_frame_len(0, 16 * MIB as usize), 16 * MIB as usize);
        assert_eq!(agree_frame_len(2 * MIB, 16 * MIB as usize), 2 * MIB as usize);
        assert_eq!(agree_frame_len(64 * MIB, 16 * MIB as usize), 16 * MIB as usize);
        assert_eq!(agree_frame_len(1024, 16 * MIB as usize), MIN_FRAME_LEN);
    }

    #[test]
    fn exports_fit_in_a_result_frame() {
        let frame = 2 * MIB as usize;
        assert_eq!(exports_cap(MAX_EXPORTS_BYTES, frame), (frame - RESULT_OVERHEAD_BYTES) as u64);
        assert_eq!(exports_cap(10, frame), 10);
        assert!(
            exports_cap(MAX_EXPORTS_BYTES, crate::DEFAULT_MAX_FRAME_LEN) as usize
                + RESULT_OVERHEAD_BYTES
                <= crate::DEFAULT_MAX_FRAME_LEN
        );
    }
}
