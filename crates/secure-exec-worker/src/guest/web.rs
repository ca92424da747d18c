//! Natives behind the web platform globals of `web.js`: UTF-8 and UTF-16 coding, WHATWG URL
//! parsing (the `url` crate), form encoding, random bytes, digests (RustCrypto) and the
//! session clock.
//!
//! None of them allocates a JavaScript buffer: an `ArrayBuffer` made from a native is a fatal
//! out-of-memory when the session's allocator refuses it, whereas one made by JavaScript fails
//! with a catchable error (or the session's memory limit). So `web.js` allocates every result
//! buffer and these natives fill it. Every argument is checked: the guest can call them with
//! anything.

use super::{new_string, set_function, state};

/// Longest URL or form string handed to the `url` crate; longer inputs are refused, so that a
/// guest cannot make the worker copy unbounded text outside its memory budget.
const MAX_URL_BYTES: usize = 16 * 1024 * 1024;

/// Work a native does between checks of whether its session was stopped. A native cannot be
/// terminated mid-call, and one that ran past the stop grace would abort the whole worker, so
/// every native whose cost grows with its input works in pieces of this size.
const CHUNK: usize = 1024 * 1024;

/// `performance.now()` resolution: coarse enough to blunt timing attacks, as browsers do.
const CLOCK_RESOLUTION_US: u128 = 100;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "utf8Length", utf8_length);
    set_function(scope, natives, "utf8Write", utf8_write);
    set_function(scope, natives, "decode", decode);
    set_function(scope, natives, "urlParse", url_parse);
    set_function(scope, natives, "urlSet", url_set);
    set_function(scope, natives, "formParse", form_parse);
    set_function(scope, natives, "formSerialize", form_serialize);
    set_function(scope, natives, "randomFill", random_fill);
    set_function(scope, natives, "digest", digest);
    set_function(scope, natives, "now", now);
    set_function(scope, natives, "usage", usage);
    for (key, value) in
        [("v8Version", v8::V8::get_version()), ("workerVersion", env!("CARGO_PKG_VERSION"))]
    {
        if let (Ok(key), Ok(value)) = (new_string(scope, key), new_string(scope, value)) {
            natives.set(scope, key.into(), value.into());
        }
    }
}

/// Whether the session has been stopped (a limit, a cancel), callable while the session's
/// bytes are borrowed: a native working in pieces asks between them.
pub(super) fn stop_check(scope: &mut v8::PinScope<'_, '_>) -> impl Fn() -> bool + use<> {
    let control = std::sync::Arc::clone(&state(scope).control);
    move || control.stopped().is_some()
}

pub(super) fn throw_type_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    if let Ok(text) = new_string(scope, message) {
        let error = v8::Exception::type_error(scope, text);
        scope.throw_exception(error);
    }
}

pub(super) fn throw_range_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    if let Ok(text) = new_string(scope, message) {
        let error = v8::Exception::range_error(scope, text);
        scope.throw_exception(error);
    }
}

/// The bytes of a typed array or DataView, copied; `None` (TypeError thrown) if `value` is not
/// one. For small inputs a native keeps (keys, IVs, salts).
pub(super) fn owned_bytes(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'_, v8::Value>,
) -> Option<Vec<u8>> {
    let view = view(scope, value)?;
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    Some(view.get_contents(&mut storage).to_vec())
}

/// A native's small output (a key, a signature, a shared secret: a few kilobytes) as a
/// Uint8Array over the bytes themselves, outside the session's budget as its inputs are.
pub(super) fn small_bytes_value<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: Vec<u8>,
) -> v8::Local<'s, v8::Value> {
    let length = bytes.len();
    let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
    let buffer = v8::ArrayBuffer::with_backing_store(scope, &store);
    v8::Uint8Array::new(scope, buffer, 0, length)
        .map_or_else(|| v8::undefined(scope).into(), Into::into)
}

/// The bytes of a typed array or DataView, or `None` (with a TypeError thrown).
pub(super) fn view<'v>(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'v, v8::Value>,
) -> Option<v8::Local<'v, v8::ArrayBufferView>> {
    match v8::Local::<v8::ArrayBufferView>::try_from(value) {
        Ok(view) => Some(view),
        Err(_) => {
            throw_type_error(scope, "expected an ArrayBuffer view (a typed array or DataView)");
            None
        }
    }
}

/// The writable bytes of `view`. The view is moved off the V8 heap first (small typed arrays
/// live on it, where a GC could move them), so the slice stays valid while no JavaScript runs.
pub(super) fn bytes_mut<'a>(
    scope: &mut v8::PinScope<'_, '_>,
    view: v8::Local<'a, v8::ArrayBufferView>,
) -> &'a mut [u8] {
    let _ = view.buffer(scope);
    let len = view.byte_length();
    let data = view.data().cast::<u8>();
    if len == 0 || data.is_null() {
        return &mut [];
    }
    // SAFETY: `data` points at `len` bytes of the view's off-heap backing store, which the
    // view keeps alive; nothing else touches them while this native runs (no JavaScript runs
    // and the session's isolate belongs to this thread alone).
    unsafe { std::slice::from_raw_parts_mut(data, len) }
}

/// The bytes of `view`, read-only; as [`bytes_mut`], for natives that read two views that may
/// share their memory.
pub(super) fn bytes<'a>(
    scope: &mut v8::PinScope<'_, '_>,
    view: v8::Local<'a, v8::ArrayBufferView>,
) -> &'a [u8] {
    let _ = view.buffer(scope);
    let len = view.byte_length();
    let data = view.data().cast::<u8>().cast_const();
    if len == 0 || data.is_null() {
        return &[];
    }
    // SAFETY: as in `bytes_mut`; the slice is only read while this native runs.
    unsafe { std::slice::from_raw_parts(data, len) }
}

/// `utf8Length(string)`: the string's length in UTF-8, lone surrogates counted as U+FFFD.
fn utf8_length(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(text) = args.get(0).to_string(scope) else { return };
    rv.set_double(text.utf8_length(scope) as f64);
}

/// `utf8Write(string, view)`: writes as much of the string as fits, whole characters only;
/// returns `[UTF-16 units read, bytes written]` (`TextEncoder.encodeInto`).
fn utf8_write(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(text) = args.get(0).to_string(scope) else { return };
    let Some(target) = view(scope, args.get(1)) else { return };
    let buffer = bytes_mut(scope, target);
    let mut read = 0;
    let written =
        text.write_utf8_v2(scope, buffer, v8::WriteFlags::kReplaceInvalidUtf8, Some(&mut read));
    let read = v8::Number::new(scope, read as f64);
    let written = v8::Number::new(scope, written as f64);
    let pair = v8::Array::new_with_elements(scope, &[read.into(), written.into()]);
    rv.set(pair.into());
}

/// `decode(encoding, view, fatal, stream)`: `[text, bytes consumed]`. With `stream`, an
/// incomplete character at the end is left unconsumed for the next call. `fatal` makes
/// malformed input a TypeError; otherwise each maximal malformed sequence becomes U+FFFD.
fn decode(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let encoding = args.get(0).to_rust_string_lossy(scope);
    let Some(source) = view(scope, args.get(1)) else { return };
    let fatal = args.get(2).boolean_value(scope);
    let stream = args.get(3).boolean_value(scope);
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let bytes = source.get_contents(&mut storage);
    let halted = stop_check(scope);
    if encoding == "utf-8" {
        return decode_utf8(scope, bytes, fatal, stream, &halted, rv);
    }
    let decoded = match encoding.as_str() {
        "utf-16le" => decode_utf16le(bytes, fatal, stream, &halted),
        other => Err(Some(format!("the {other:?} encoding is not supported"))),
    };
    let (text, consumed) = match decoded {
        Ok(decoded) => decoded,
        Err(Some(message)) => return throw_type_error(scope, &message),
        // Stopped: the session's termination takes over once this returns.
        Err(None) => return,
    };
    if !admit_string(scope, &text) {
        return;
    }
    let Some(text) = v8::String::new_from_utf8(scope, text.as_bytes(), v8::NewStringType::Normal)
    else {
        return throw_range_error(scope, "the decoded text is longer than a string may be");
    };
    let consumed = v8::Number::new(scope, consumed as f64);
    let pair = v8::Array::new_with_elements(scope, &[text.into(), consumed.into()]);
    rv.set(pair.into());
}

/// Whether the V8 string for `text` fits the session's memory budget; if not, the session is
/// stopped (`ERR_MEMORY_LIMIT`) and the caller must not create it.
pub(super) fn admit_string(scope: &mut v8::PinScope<'_, '_>, text: &str) -> bool {
    if text.len() < CHUNK {
        return true;
    }
    // V8 keeps a string one byte per character if every character fits in one, else two per
    // UTF-16 unit.
    let (mut units, mut wide) = (0usize, false);
    for c in text.chars() {
        units += c.len_utf16();
        wide |= u32::from(c) > 0xFF;
    }
    admit_bytes(scope, if wide { units * 2 } else { units })
}

/// Whether `bytes` more (a string a native is about to create, memory it is about to take)
/// fit the session's memory budget; if not, the session is stopped (`ERR_MEMORY_LIMIT`) and
/// the caller must not go on. As in [`hold`](super::hold), garbage is collected before a
/// refusal: buffers and strings the session no longer holds count until V8 collects them.
pub(super) fn admit_bytes(scope: &mut v8::PinScope<'_, '_>, bytes: usize) -> bool {
    if bytes < CHUNK {
        return true;
    }
    let budget = std::sync::Arc::clone(&state(scope).budget);
    if budget.fits(scope.get_heap_statistics().used_heap_size(), bytes) {
        return true;
    }
    scope.low_memory_notification();
    budget.admit(scope.get_heap_statistics().used_heap_size(), bytes)
}

/// Where a trailing, incomplete UTF-8 sequence starts (`bytes.len()` if there is none).
pub(super) fn complete_utf8_prefix(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let at = bytes.len() - back;
        let byte = bytes[at];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let needed = match byte {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return bytes.len(),
        };
        return if back < needed { at } else { bytes.len() };
    }
    bytes.len()
}

/// Where the piece of `bytes` that starts at `at` ends: `chunk` bytes on, cut back to a UTF-8
/// character boundary when `utf8` (inside malformed input, where cutting changes nothing, by
/// at least one byte), so that every piece decodes on its own.
pub(super) fn piece_end(bytes: &[u8], at: usize, chunk: usize, utf8: bool) -> usize {
    let stop = bytes.len().min(at + chunk);
    if utf8 && stop < bytes.len() {
        at + complete_utf8_prefix(&bytes[at..stop]).max(1)
    } else {
        stop
    }
}

/// `decode` for UTF-8: V8 makes the string (as Node's `TextDecoder` does), after a check that
/// the input is well-formed when `fatal`.
fn decode_utf8(
    scope: &mut v8::PinScope<'_, '_>,
    bytes: &[u8],
    fatal: bool,
    stream: bool,
    halted: &dyn Fn() -> bool,
    mut rv: v8::ReturnValue<'_>,
) {
    let end = if stream { complete_utf8_prefix(bytes) } else { bytes.len() };
    let bytes = &bytes[..end];
    if fatal {
        let mut at = 0;
        while at < end {
            if halted() {
                return;
            }
            let stop = piece_end(bytes, at, CHUNK, true);
            if std::str::from_utf8(&bytes[at..stop]).is_err() {
                return throw_type_error(
                    scope,
                    "The encoded data was not valid for encoding utf-8",
                );
            }
            at = stop;
        }
    }
    let Some(text) = super::buffer::utf8_string(scope, bytes) else { return };
    let consumed = v8::Number::new(scope, end as f64);
    let pair = v8::Array::new_with_elements(scope, &[text.into(), consumed.into()]);
    rv.set(pair.into());
}

/// Decodes UTF-16LE a piece at a time. `Err(None)`: the session was stopped meanwhile.
fn decode_utf16le(
    bytes: &[u8],
    fatal: bool,
    stream: bool,
    halted: &dyn Fn() -> bool,
) -> Result<(String, usize), Option<String>> {
    let invalid = || Some("The encoded data was not valid for encoding utf-16le".to_owned());
    let mut end = bytes.len() - bytes.len() % 2;
    // A high surrogate at the very end may be completed by the next chunk.
    if stream && end >= 2 && (0xD8..0xDC).contains(&bytes[end - 1]) {
        end -= 2;
    }
    let units = bytes[..end].chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    let mut text = String::with_capacity(end.min(CHUNK));
    for (i, unit) in char::decode_utf16(units).enumerate() {
        if i % CHUNK == 0 && halted() {
            return Err(None);
        }
        match unit {
            Ok(c) => text.push(c),
            Err(_) if fatal => return Err(invalid()),
            Err(_) => text.push(char::REPLACEMENT_CHARACTER),
        }
    }
    if !stream && bytes.len() % 2 == 1 {
        if fatal {
            return Err(invalid());
        }
        text.push(char::REPLACEMENT_CHARACTER);
        end = bytes.len();
    }
    Ok((text, end))
}

/// A guest string for the URL parser, refused past `MAX_URL_BYTES`.
fn url_text(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> Option<String> {
    let text = value.to_string(scope)?;
    if text.length() > MAX_URL_BYTES {
        throw_type_error(scope, "Invalid URL: longer than secure-exec accepts (16 MiB)");
        return None;
    }
    Some(text.to_rust_string_lossy(scope))
}

/// The URL's parts, in the order `web.js` reads them.
fn url_parts<'s>(scope: &mut v8::PinScope<'s, '_>, url: &url::Url) -> v8::Local<'s, v8::Value> {
    use url::quirks;
    let parts = [
        quirks::href(url).to_owned(),
        quirks::origin(url),
        quirks::protocol(url).to_owned(),
        quirks::username(url).to_owned(),
        quirks::password(url).to_owned(),
        quirks::host(url).to_owned(),
        quirks::hostname(url).to_owned(),
        quirks::port(url).to_owned(),
        quirks::pathname(url).to_owned(),
        quirks::search(url).to_owned(),
        quirks::hash(url).to_owned(),
    ];
    let values: Vec<v8::Local<'_, v8::Value>> = parts
        .iter()
        .map(|part| match new_string(scope, part) {
            Ok(text) => text.into(),
            Err(_) => v8::undefined(scope).into(),
        })
        .collect();
    v8::Array::new_with_elements(scope, &values).into()
}

/// `urlParse(input, base)`: the parts of the parsed URL, or `null` if it does not parse.
fn url_parse(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(input) = url_text(scope, args.get(0)) else { return };
    let base = if args.get(1).is_undefined() {
        None
    } else {
        let Some(base) = url_text(scope, args.get(1)) else { return };
        match url::Url::parse(&base) {
            Ok(base) => Some(base),
            Err(_) => return rv.set_null(),
        }
    };
    match url::Url::options().base_url(base.as_ref()).parse(&input) {
        Ok(url) => {
            let parts = url_parts(scope, &url);
            rv.set(parts);
        }
        Err(_) => rv.set_null(),
    }
}

/// `urlSet(href, part, value)`: the parts after a setter (WHATWG semantics: an invalid value
/// leaves the URL as it was), or `null` if `part` is `href` and the value does not parse.
fn url_set(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    use url::quirks;
    let Some(href) = url_text(scope, args.get(0)) else { return };
    let part = args.get(1).to_rust_string_lossy(scope);
    let Some(value) = url_text(scope, args.get(2)) else { return };
    let Ok(mut url) = url::Url::parse(&href) else { return rv.set_null() };
    let outcome = match part.as_str() {
        "href" => quirks::set_href(&mut url, &value).map_err(|_| ()),
        "protocol" => quirks::set_protocol(&mut url, &value),
        "username" => quirks::set_username(&mut url, &value),
        "password" => quirks::set_password(&mut url, &value),
        "host" => quirks::set_host(&mut url, &value),
        "hostname" => quirks::set_hostname(&mut url, &value),
        "port" => quirks::set_port(&mut url, &value),
        "pathname" => {
            quirks::set_pathname(&mut url, &value);
            Ok(())
        }
        "search" => {
            quirks::set_search(&mut url, &value);
            Ok(())
        }
        "hash" => {
            quirks::set_hash(&mut url, &value);
            Ok(())
        }
        other => return throw_type_error(scope, &format!("no URL part {other:?}")),
    };
    if outcome.is_err() && part == "href" {
        return rv.set_null();
    }
    let parts = url_parts(scope, &url);
    rv.set(parts);
}

/// `formParse(text)`: `application/x-www-form-urlencoded` pairs, flattened `[k, v, k, v, ...]`.
fn form_parse(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(text) = url_text(scope, args.get(0)) else { return };
    let mut values = Vec::new();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        for part in [key, value] {
            match new_string(scope, &part) {
                Ok(part) => values.push(part.into()),
                Err(message) => return throw_range_error(scope, &message),
            }
        }
    }
    let array = v8::Array::new_with_elements(scope, &values);
    rv.set(array.into());
}

/// `formSerialize([k, v, k, v, ...])`: the pairs as `application/x-www-form-urlencoded`.
fn form_serialize(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(pairs) = v8::Local::<v8::Array>::try_from(args.get(0)) else {
        return throw_type_error(scope, "expected an array of pairs");
    };
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    let mut total = 0usize;
    let count = pairs.length();
    let mut index = 0;
    while index + 1 < count {
        let key = pairs.get_index(scope, index).and_then(|v| v.to_string(scope));
        let value = pairs.get_index(scope, index + 1).and_then(|v| v.to_string(scope));
        let (Some(key), Some(value)) = (key, value) else { return };
        total += key.length() + value.length();
        if total > MAX_URL_BYTES {
            return throw_range_error(scope, "URLSearchParams longer than secure-exec accepts");
        }
        let key = key.to_rust_string_lossy(scope);
        let value = value.to_rust_string_lossy(scope);
        serializer.append_pair(&key, &value);
        index += 2;
    }
    if let Ok(text) = new_string(scope, &serializer.finish()) {
        rv.set(text.into());
    }
}

/// `randomFill(view)`: fills the view with random bytes from the kernel.
fn random_fill(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(target) = view(scope, args.get(0)) else { return };
    if !crate::platform::kernel_random(bytes_mut(scope, target)) {
        throw_type_error(scope, "the kernel gave no random bytes");
    }
}

/// `digest(algorithm, data, out)`: writes the digest of `data` into `out` (sized by `web.js`).
fn digest(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let algorithm = args.get(0).to_rust_string_lossy(scope);
    let Some(data) = view(scope, args.get(1)) else { return };
    let Some(out) = view(scope, args.get(2)) else { return };
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let input = data.get_contents(&mut storage);
    let halted = stop_check(scope);
    let hash = match algorithm.as_str() {
        // For `crypto.createHash('md5')`; Web Crypto's `digest` does not offer it.
        "MD5" => hash_in_pieces::<md5::Md5>(input, &halted),
        "SHA-1" => hash_in_pieces::<sha1::Sha1>(input, &halted),
        // For `crypto.createHash('sha224')`; Web Crypto's `digest` does not offer it either.
        "SHA-224" => hash_in_pieces::<sha2::Sha224>(input, &halted),
        "SHA-256" => hash_in_pieces::<sha2::Sha256>(input, &halted),
        "SHA-384" => hash_in_pieces::<sha2::Sha384>(input, &halted),
        "SHA-512" => hash_in_pieces::<sha2::Sha512>(input, &halted),
        other => return throw_type_error(scope, &format!("unsupported digest {other:?}")),
    };
    // Stopped: the session's termination takes over once this returns.
    let Some(hash) = hash else { return };
    let target = bytes_mut(scope, out);
    if target.len() != hash.len() {
        return throw_range_error(scope, "digest output of the wrong size");
    }
    target.copy_from_slice(&hash);
}

/// The digest of `input`, hashed a piece at a time; `None` if the session was stopped.
fn hash_in_pieces<D: sha1::Digest>(input: &[u8], halted: &dyn Fn() -> bool) -> Option<Vec<u8>> {
    let mut hasher = D::new();
    for piece in input.chunks(CHUNK) {
        if halted() {
            return None;
        }
        hasher.update(piece);
    }
    Some(hasher.finalize().to_vec())
}

/// `now()`: milliseconds since the session started, in steps of 0.1 ms.
/// `usage()`: `[cpu, heapUsed, heapTotal, buffers]`: the session thread's CPU time in
/// microseconds (in the clock's steps), its V8 heap and ArrayBuffer bytes.
fn usage(
    scope: &mut v8::PinScope<'_, '_>,
    _args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the value we own.
    let cpu = if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) } == 0 {
        let micros = time.tv_sec as u128 * 1_000_000 + time.tv_nsec as u128 / 1000;
        (micros - micros % CLOCK_RESOLUTION_US) as f64
    } else {
        0.0
    };
    let stats = scope.get_heap_statistics();
    let buffers = state(scope).budget.buffer_bytes() as f64;
    let values = [cpu, stats.used_heap_size() as f64, stats.total_heap_size() as f64, buffers];
    let values: Vec<v8::Local<'_, v8::Value>> =
        values.iter().map(|n| v8::Number::new(scope, *n).into()).collect();
    rv.set(v8::Array::new_with_elements(scope, &values).into());
}

fn now(
    scope: &mut v8::PinScope<'_, '_>,
    _args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let micros = state(scope).started.elapsed().as_micros();
    let coarse = micros - micros % CLOCK_RESOLUTION_US;
    rv.set_double(coarse as f64 / 1000.0);
}
