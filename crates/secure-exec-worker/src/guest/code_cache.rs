//! Compiled code of guest modules, shared by every session of the worker and keyed by the
//! SHA-256 of the source (with what kind of compile it was).
//!
//! Every session is a fresh isolate, so without this each one would parse and compile every
//! module it loads again. V8's code cache holds bytecode and the literals of the source, never
//! values a session computed, and it is looked up by the whole source's hash: a session gets
//! cached code only for the very source it asked to compile, so nothing passes between
//! sessions but work. (V8 itself checks only the source's length, which is why the key is a
//! cryptographic hash.)
//!
//! Caches are made from what a session compiled after its result is sent, before its isolate
//! is disposed, so that they also hold the functions its run compiled lazily; making them is
//! off every session's latency path.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::digest_store::DigestStore;
use crate::state::SessionState;

/// Bytes of cached code the worker keeps; the oldest entries go first.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Sources shorter than this compile faster than a cache is looked up.
const MIN_SOURCE: usize = 64;

/// What a cache entry was compiled as: the same source compiled as a CommonJS function and as
/// a module gives different code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Function,
    Module,
}

pub(crate) type Key = super::digest_store::Digest;

static STORE: DigestStore<Arc<[u8]>> = DigestStore::new(MAX_BYTES);

/// Something a session compiled without a cache entry, to make one from.
#[derive(Debug)]
pub(crate) enum Compiled {
    Function(v8::Global<v8::Function>),
    Module(v8::Global<v8::UnboundModuleScript>),
}

/// The key of `source` compiled as `kind`, or `None` for sources too small to be worth one.
/// A module source the session took from the worker's shared sources is keyed by the digest
/// it already has; any other string is hashed whole.
pub(crate) fn key_of(
    scope: &mut v8::PinScope<'_, '_>,
    kind: Kind,
    source: v8::Local<'_, v8::String>,
) -> Option<Key> {
    if let Some(shared) = super::sources::known(scope, source) {
        return Some(key(kind, &[SHARED_MARK], shared.digest()));
    }
    let text = source.to_rust_string_lossy(scope);
    (text.len() >= MIN_SOURCE).then(|| key(kind, &[], text.as_bytes()))
}

/// Marks a key made from a source's digest rather than its text: the byte never occurs in
/// UTF-8, so no text's key can equal a digest's.
const SHARED_MARK: u8 = 0xFF;

fn key(kind: Kind, mark: &[u8], bytes: &[u8]) -> Key {
    let mut hash = Sha256::new();
    hash.update([kind as u8]);
    hash.update(mark);
    hash.update(bytes);
    hash.finalize().into()
}

/// The source to compile `text` from, with `cached` code if there is some, and the compile
/// option that goes with it.
pub(crate) fn source(
    text: v8::Local<'_, v8::String>,
    origin: &v8::ScriptOrigin<'_>,
    cached: Option<&[u8]>,
) -> (v8::script_compiler::Source, v8::script_compiler::CompileOptions) {
    use v8::script_compiler::{CachedData, CompileOptions, Source};
    match cached {
        Some(bytes) => (
            Source::new_with_cached_data(text, Some(origin), CachedData::new(bytes)),
            CompileOptions::ConsumeCodeCache,
        ),
        None => (Source::new(text, Some(origin)), CompileOptions::NoCompileOptions),
    }
}

/// Keeps what a session compiled for an entry to be made after its result, unless the cache
/// already served it (V8 accepted the cached code).
pub(crate) fn remember(
    scope: &mut v8::PinScope<'_, '_>,
    key: Option<Key>,
    consumed: bool,
    source: &v8::script_compiler::Source,
    compiled: impl FnOnce(&mut v8::PinScope<'_, '_>) -> Compiled,
) {
    let rejected = source.get_cached_data().is_some_and(|data| data.rejected());
    if let Some(key) = key.filter(|_| !consumed || rejected) {
        let compiled = compiled(scope);
        if let Some(state) = scope.get_slot_mut::<SessionState>() {
            state.uncached.push((key, compiled));
        }
    }
}

pub(crate) fn get(key: &Key) -> Option<Arc<[u8]>> {
    STORE.get(key)
}

fn put(key: Key, data: &[u8]) {
    if STORE.get(&key).is_none() {
        STORE.insert(key, Arc::from(data), data.len());
    }
}

/// Makes cache entries of what the session compiled without one. Called once its result is
/// out; the isolate must no longer be terminating.
pub(crate) fn fill(isolate: &mut v8::OwnedIsolate) {
    let (pending, scripts) = match isolate.get_slot_mut::<SessionState>() {
        Some(state) => {
            (std::mem::take(&mut state.uncached), std::mem::take(&mut state.script_caches))
        }
        None => return,
    };
    if pending.is_empty() && scripts.is_empty() {
        return;
    }
    v8::scope!(let scope, isolate);
    for (script, cache) in scripts {
        if cache.get().is_none() {
            if let Some(data) = v8::Local::new(scope, script).create_code_cache() {
                let _ = cache.set(data.to_vec());
            }
        }
    }
    for (key, compiled) in pending {
        let data = match compiled {
            Compiled::Function(function) => v8::Local::new(scope, function).create_code_cache(),
            Compiled::Module(script) => v8::Local::new(scope, script).create_code_cache(),
        };
        if let Some(data) = data {
            put(key, &data);
        }
    }
}
