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
