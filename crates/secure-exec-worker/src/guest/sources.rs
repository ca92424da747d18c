//! Module sources, shared by every session of the worker and keyed by the SHA-256 of their
//! bytes.
//!
//! Every session is a fresh isolate and loads its modules again, mostly the same files as the
//! session before. A source arrives from the host as UTF-8 bytes; decoded once here, it becomes
//! in every session an external V8 string over the same memory: no decoding, no copy onto the
//! session's heap (a 540 KB file is a megabyte of UTF-16 there, and allocating it set off a
//! collection), nothing for the collector to move. What the worker learns from a source once —
//! its digest, which keys its compiled code, and the literal `require('...')` calls in it,
//! which are fetched ahead — is not worked out again. The text is never written after it is
//! made and is exactly what the host sent for that digest, so sharing it passes nothing
//! between sessions but work.
//!
//! A session charges every distinct source it takes to its memory budget, once, and holds it
//! until it ends: what it holds is what it is charged for, however often it takes it.

use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::{Arc, OnceLock};

use sha2::{Digest as _, Sha256};

pub(crate) use super::digest_store::Digest;
use super::digest_store::DigestStore;

/// Sources shorter than this are made as ordinary strings: sharing saves little on them.
pub(crate) const MIN_SHARED: usize = 1024;
/// Bytes of source text the worker keeps shared; the oldest entries go first.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// At most this many literal requires are taken from one source (the guest fetches them ahead).
const MAX_REQUIRES: usize = 48;
/// Longest specifier the scan takes.
const MAX_SPECIFIER: usize = 512;
/// `require(` followed by a quote this many times in one source ends the scan: the work of a
/// scan stays linear in the source whatever the guest wrote (the scan runs in a native, where
/// a stop cannot interrupt it).
const MAX_ATTEMPTS: usize = 4096;

/// A decoded source.
#[derive(Debug)]
pub(crate) struct Source {
    digest: Digest,
    text: Text,
    requires: OnceLock<Vec<String>>,
}

/// V8 keeps a string one byte per character when every character fits in one (Latin-1).
#[derive(Debug)]
enum Text {
    Latin1(Arc<[u8]>),
    Utf16(Arc<[u16]>),
}

impl Source {
    fn decode(digest: Digest, bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes);
        let text = if text.chars().all(|c| u32::from(c) <= 0xFF) {
            // Each char is at most U+00FF, so the cast keeps it.
            Text::Latin1(text.chars().map(|c| u32::from(c) as u8).collect())
        } else {
            Text::Utf16(text.encode_utf16().collect())
        };
        Self { digest, text, requires: OnceLock::new() }
    }

    pub(crate) fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Characters (UTF-16 units), as the guest counts them.
    pub(crate) fn len(&self) -> usize {
        match &self.text {
            Text::Latin1(bytes) => bytes.len(),
            Text::Utf16(units) => units.len(),
        }
    }

    /// Bytes the text occupies (what a session is charged for holding it).
    pub(crate) fn size(&self) -> usize {
        match &self.text {
            Text::Latin1(bytes) => bytes.len(),
            Text::Utf16(units) => units.len() * 2,
        }
    }

    /// Where the text lives: the identity of this source's strings in a session.
    fn address(&self) -> usize {
        match &self.text {
            Text::Latin1(bytes) => bytes.as_ptr() as usize,
            Text::Utf16(units) => units.as_ptr() as usize,
        }
    }

    /// The literal `require('...')` calls in the source, scanned once.
    pub(crate) fn requires(&self) -> &[String] {
        self.requires.get_or_init(|| match &self.text {
            Text::Latin1(bytes) => literal_requires(bytes),
            Text::Utf16(units) => literal_requires(units),
        })
    }

    /// A V8 string over the shared text, which it keeps alive until V8 lets it go.
    fn to_v8<'s>(&self, scope: &mut v8::PinScope<'s, '_>) -> Option<v8::Local<'s, v8::String>> {
        match &self.text {
            Text::Latin1(bytes) => {
                let len = bytes.len();
                let data = Arc::into_raw(Arc::clone(bytes)) as *const u8 as *mut c_char;
                // SAFETY: `data` is a strong count of an `Arc<[u8]>` of `len` Latin-1 bytes,
                // never written; `release_latin1` gives the count back when V8 drops the
                // string (on collection or when the isolate is disposed).
                unsafe { v8::String::new_external_onebyte_raw(scope, data, len, release_latin1) }
            }
            Text::Utf16(units) => {
                let len = units.len();
                let data = Arc::into_raw(Arc::clone(units)) as *const u16 as *mut u16;
                // SAFETY: as above, for an `Arc<[u16]>` of `len` units.
                unsafe { v8::String::new_external_twobyte_raw(scope, data, len, release_utf16) }
            }
        }
    }
}

unsafe extern "C" fn release_latin1(data: *mut c_char, len: usize) {
    // SAFETY: `data` and `len` are what `to_v8` passed: a count of an `Arc<[u8]>` it leaked.
    drop(unsafe { Arc::from_raw(std::ptr::slice_from_raw_parts(data as *const u8, len)) });
}

unsafe extern "C" fn release_utf16(data: *mut u16, len: usize) {
    // SAFETY: as above, for an `Arc<[u16]>`.
    drop(unsafe { Arc::from_raw(std::ptr::slice_from_raw_parts(data as *const u16, len)) });
}

static STORE: DigestStore<Arc<Source>> = DigestStore::new(MAX_BYTES);

/// The shared source of `bytes`: decoded the first time these bytes are seen. `digest` is
/// their SHA-256 when the host gave it (a frozen directory's file, hashed once there).
fn shared(bytes: &[u8], digest: Option<Digest>) -> Arc<Source> {
    let digest: Digest = digest.unwrap_or_else(|| Sha256::digest(bytes).into());
    if let Some(source) = STORE.get(&digest) {
        return source;
    }
    let source = Arc::new(Source::decode(digest, bytes));
    let size = source.size();
    STORE.insert(digest, source, size)
}

/// The sources a session took, by the address of their text.
#[derive(Debug, Default)]
pub(crate) struct SessionSources {
    held: HashMap<usize, Arc<Source>>,
}

/// Why a source could not be made a string.
pub(crate) enum Refused {
    /// The session's memory budget cannot hold it (the session is being stopped).
    Memory,
    /// Longer than V8 allows a string to be.
    TooLong,
}

/// `bytes` (a module's source from the host, with its SHA-256 if the host gave it) as a
/// string over the shared text.
pub(crate) fn take<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: &[u8],
    digest: Option<Digest>,
) -> Result<v8::Local<'s, v8::String>, Refused> {
    let source = shared(bytes, digest);
    if source.len() > v8::String::MAX_LENGTH {
        return Err(Refused::TooLong);
    }
    if !super::state(scope).sources.held.contains_key(&source.address()) {
        if !super::hold(scope, source.size()) {
            return Err(Refused::Memory);
        }
        super::state(scope).sources.held.insert(source.address(), Arc::clone(&source));
    }
    source.to_v8(scope).ok_or(Refused::TooLong)
}

/// The shared source `text` is a string over, if it is one this session took.
pub(crate) fn known(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
) -> Option<Arc<Source>> {
    if !text.is_external() {
        return None;
    }
    let (address, len) = {
        let view = v8::ValueView::new(scope, text);
        match view.data() {
            v8::ValueViewData::OneByte(bytes) => (bytes.as_ptr() as usize, bytes.len()),
            v8::ValueViewData::TwoByte(units) => (units.as_ptr() as usize, units.len()),
        }
    };
    // The session holds every source it took, so no other text can be at that address.
    let source = super::state(scope).sources.held.get(&address)?;
    (source.len() == len).then(|| Arc::clone(source))
}

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    super::set_function(scope, natives, "literalRequires", literal_requires_native);
}

/// `literalRequires(source)`: the specifiers of the literal `require('...')` calls in it.
fn literal_requires_native(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(text) = v8::Local::<v8::String>::try_from(args.get(0)) else { return };
    let found = match known(scope, text) {
        Some(source) => source.requires().to_vec(),
        None => {
            let view = v8::ValueView::new(scope, text);
            match view.data() {
                v8::ValueViewData::OneByte(bytes) => literal_requires(bytes),
                v8::ValueViewData::TwoByte(units) => literal_requires(units),
            }
        }
    };
    let mut names = Vec::with_capacity(found.len());
    for name in &found {
        let Ok(name) = super::new_string(scope, name) else { return };
        names.push(name.into());
    }
    rv.set(v8::Array::new_with_elements(scope, &names).into());
}

/// The literal `require('...')` calls in `text`, as the regular expression
/// `/\brequire\s*\(\s*(['"])([^'"\\\n]{1,512})\1\s*\)/g` finds them, at most [`MAX_REQUIRES`]
/// (and no more after [`MAX_ATTEMPTS`] candidates).
/// A scan, not a parse: what it finds is only fetched ahead, so a miss costs nothing.
pub(crate) fn literal_requires<T: Copy + Into<u32>>(text: &[T]) -> Vec<String> {
    const WORD: &[u8] = b"require";
    let at = |i: usize| text.get(i).map(|&c| c.into());
    let is_word = |c: u32| {
        c == u32::from(b'_') || char::from_u32(c).is_some_and(|c| c.is_ascii_alphanumeric())
    };
    let skip_space = |mut i: usize| {
        while at(i).is_some_and(is_js_space) {
            i += 1;
        }
        i
    };
    let mut found = Vec::new();
    let mut attempts = 0;
    let mut i = 0;
    while i + WORD.len() <= text.len() && found.len() < MAX_REQUIRES {
        let starts = WORD.iter().enumerate().all(|(k, &b)| at(i + k) == Some(u32::from(b)));
        if !starts || (i > 0 && at(i - 1).is_some_and(is_word)) {
            i += 1;
            continue;
        }
        let mut j = skip_space(i + WORD.len());
        if at(j) != Some(u32::from(b'(')) {
            i += 1;
            continue;
        }
        j = skip_space(j + 1);
        let quote = match at(j) {
            Some(q) if q == u32::from(b'\'') || q == u32::from(b'"') => q,
            _ => {
                i += 1;
                continue;
            }
        };
        attempts += 1;
        if attempts > MAX_ATTEMPTS {
            break;
        }
        // At most one character past the longest specifier: hostile text of nested
        // `require('` cannot make the scan quadratic.
        let start = j + 1;
        let mut end = start;
        while let Some(c) = at(end) {
            if end - start > MAX_SPECIFIER
                || [b'\'', b'"', b'\\', b'\n'].iter().any(|&stop| c == u32::from(stop))
            {
                break;
            }
            end += 1;
        }
        let len = end - start;
        let close = skip_space(end + 1);
        if (1..=MAX_SPECIFIER).contains(&len)
            && at(end) == Some(quote)
            && at(close) == Some(u32::from(b')'))
        {
            let units: Vec<u16> =
                text[start..end].iter().map(|&c| c.into()).map(|c| c as u16).collect();
            found.push(String::from_utf16_lossy(&units));
            i = close + 1;
        } else {
            i += 1;
        }
    }
    found
}

/// JavaScript's `\s`: white space and line terminators.
fn is_js_space(c: u32) -> bool {
    matches!(
        c,
        0x09..=0x0D
            | 0x20
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            | 0xFEFF
    )
}
