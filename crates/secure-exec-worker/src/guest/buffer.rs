//! `Buffer`'s natives: its string encodings (`buf.toString(encoding)`, `buf.write`,
//! `Buffer.from(string, encoding)`, `Buffer.byteLength`), comparison, search, fill and byte
//! swaps, done as Node does them; also `atob` / `btoa` and `TextDecoder`'s UTF-8 for `web.js`.
//!
//! The bundled npm `buffer` package works a byte at a time in JavaScript: decoding a 540 KB
//! file took 17 to 60 ms in a session where Node takes about 1 ms, comparing two 8 MiB buffers
//! 40 ms against Node's 1 ms. Its glue (argument checks, offsets, the encoding's name) stays,
//! or `node.js` replaces it with Node's; the work is these natives, with Node's rules:
//! UTF-8 decoded by V8 as Node does it (each maximal malformed sequence one U+FFFD), lone
//! surrogates written as U+FFFD, `ascii` decoding clearing the high bit, `hex` stopping at the
//! first pair that is not hex, `base64` taking both alphabets, skipping what is not base64 and
//! stopping at `=`.
//!
//! Decoding works in pieces of [`CHUNK`] bytes, asking between them whether the session was
//! stopped, and admits the string to the session's memory budget before making it.

use super::set_function;
use super::web::{
    admit_bytes, bytes, bytes_mut, piece_end, stop_check, throw_range_error, throw_type_error, view,
};

/// Node's words for a string past V8's longest.
const TOO_LONG: &str = "Cannot create a string longer than 0x1fffffe8 characters";

/// Bytes decoded at a time (a multiple of 3 and of 2, so base64 and UTF-16 pieces join).
const CHUNK: usize = 3 << 18;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "bufferSlice", buffer_slice);
    set_function(scope, natives, "bufferWrite", buffer_write);
    set_function(scope, natives, "bufferByteLength", buffer_byte_length);
    set_function(scope, natives, "bufferCompare", buffer_compare);
    set_function(scope, natives, "bufferIndexOf", buffer_index_of);
    set_function(scope, natives, "bufferFill", buffer_fill);
    set_function(scope, natives, "bufferSwap", buffer_swap);
    set_function(scope, natives, "btoa", btoa);
    set_function(scope, natives, "atob", atob);
}

/// The encodings, by the names the guest's glue passes (already lower-cased and unaliased).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
    Ascii,
    Hex,
    Base64,
    Base64Url,
    Utf16Le,
}

impl Encoding {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "utf8" | "utf-8" => Self::Utf8,
            "latin1" | "binary" => Self::Latin1,
            "ascii" => Self::Ascii,
            "hex" => Self::Hex,
            "base64" => Self::Base64,
            "base64url" => Self::Base64Url,
            "ucs2" | "ucs-2" | "utf16le" | "utf-16le" => Self::Utf16Le,
            _ => return None,
        })
    }

    /// Most bytes the V8 string decoded from `bytes` can take.
    fn decoded_size(self, bytes: &[u8]) -> usize {
        let len = bytes.len();
        match self {
            // One UTF-16 unit per byte at most, two bytes each unless all are one-byte.
            Self::Utf8 if bytes.is_ascii() => len,
            Self::Utf8 => len.saturating_mul(2),
            Self::Latin1 | Self::Ascii | Self::Utf16Le => len,
            Self::Hex => len.saturating_mul(2),
            Self::Base64 | Self::Base64Url => len.div_ceil(3).saturating_mul(4),
        }
    }
}

/// The encoding named by `value`; a TypeError if it is none (the glue passes a known name).
fn encoding_arg(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'_, v8::Value>,
) -> Option<Encoding> {
    let name =
        v8::Local::<v8::String>::try_from(value).ok().map(|name| name.to_rust_string_lossy(scope));
    let encoding = name.as_deref().and_then(Encoding::parse);
    if encoding.is_none() {
        throw_type_error(scope, &format!("Unknown encoding: {}", name.unwrap_or_default()));
    }
    encoding
}

/// A string argument, without calling into the guest's code; a TypeError if it is none.
fn string_arg<'s>(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Option<v8::Local<'s, v8::String>> {
    let text = v8::Local::<v8::String>::try_from(value).ok();
    if text.is_none() {
        throw_type_error(scope, "The \"string\" argument must be of type string");
    }
    text
}

/// A non-negative integer argument, clamped to `max`. The glue has checked it; reading only
/// numbers (never calling a guest's `valueOf`) keeps the bytes borrowed below from changing
/// under a native.
pub(super) fn index_arg(value: v8::Local<'_, v8::Value>, max: usize) -> usize {
    let number = v8::Local::<v8::Number>::try_from(value).map_or(0.0, |n| n.value());
    if number.is_nan() || number <= 0.0 {
        0
    } else if number >= max as f64 {
        max
    } else {
        number as usize
    }
}

/// `bufferSlice(view, start, end, encoding)`: the bytes `start..end` of `view` as a string.
fn buffer_slice(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(target) = view(scope, args.get(0)) else { return };
    let Some(encoding) = encoding_arg(scope, args.get(3)) else { return };
    let bytes = bytes(scope, target);
    let end = index_arg(args.get(2), bytes.len());
    let start = index_arg(args.get(1), end);
    if let Some(text) = decode_string(scope, encoding, &bytes[start..end]) {
        rv.set(text.into());
    }
}

/// UTF-8 bytes as a V8 string, with each maximal malformed sequence one U+FFFD (`TextDecoder`
/// too); `None` if the session was stopped or an exception thrown.
pub(super) fn utf8_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: &[u8],
) -> Option<v8::Local<'s, v8::String>> {
    decode_string(scope, Encoding::Utf8, bytes)
}

/// `bytes` decoded as a V8 string, a piece at a time, admitted to the memory budget first;
/// `None` if the session was stopped or an exception thrown.
fn decode_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    encoding: Encoding,
    bytes: &[u8],
) -> Option<v8::Local<'s, v8::String>> {
    if !admit_bytes(scope, encoding.decoded_size(bytes)) {
        return None;
    }
    let halted = stop_check(scope);
    let mut text: Option<v8::Local<'s, v8::String>> = None;
    let mut at = 0;
    while at < bytes.len() {
        if halted() {
            return None;
        }
        let stop = piece_end(bytes, at, CHUNK, encoding == Encoding::Utf8);
        let piece = decode(scope, encoding, &bytes[at..stop]);
        let joined = match (text, piece) {
            (None, piece) => piece,
            (Some(before), Some(piece)) => v8::String::concat(scope, before, piece),
            (Some(_), None) => None,
        };
        let Some(joined) = joined else {
            throw_range_error(scope, TOO_LONG);
            return None;
        };
        text = Some(joined);
        at = stop;
    }
    Some(text.unwrap_or_else(|| v8::String::empty(scope)))
}

/// One piece of a decode, as a V8 string.
fn decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    encoding: Encoding,
    bytes: &[u8],
) -> Option<v8::Local<'s, v8::String>> {
    let normal = v8::NewStringType::Normal;
    match encoding {
        // V8's decoder is the one Node's `toString('utf8')` uses.
        Encoding::Utf8 => v8::String::new_from_utf8(scope, bytes, normal),
        Encoding::Latin1 => v8::String::new_from_one_byte(scope, bytes, normal),
        Encoding::Ascii => {
            if bytes.is_ascii() {
                v8::String::new_from_one_byte(scope, bytes, normal)
            } else {
                let masked: Vec<u8> = bytes.iter().map(|b| b & 0x7F).collect();
                v8::String::new_from_one_byte(scope, &masked, normal)
            }
        }
        Encoding::Hex => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            let mut out = vec![0u8; bytes.len() * 2];
            for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
                pair[0] = DIGITS[usize::from(byte >> 4)];
                pair[1] = DIGITS[usize::from(byte & 0xF)];
            }
            v8::String::new_from_one_byte(scope, &out, normal)
        }
        Encoding::Base64 | Encoding::Base64Url => {
            let out = base64_encode(bytes, encoding == Encoding::Base64Url);
            v8::String::new_from_one_byte(scope, &out, normal)
        }
        Encoding::Utf16Le => {
            let units: Vec<u16> =
                bytes.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]])).collect();
            v8::String::new_from_two_byte(scope, &units, normal)
        }
    }
}

/// Base64 with padding, or base64url without (as Node writes them).
fn base64_encode(bytes: &[u8], url: bool) -> Vec<u8> {
    let alphabet = if url { BASE64_URL } else { BASE64 };
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let groups = bytes.chunks_exact(3);
    let rest = groups.remainder();
    for group in groups {
        let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
        out.extend_from_slice(&[
            alphabet[(n >> 18) as usize],
            alphabet[((n >> 12) & 63) as usize],
            alphabet[((n >> 6) & 63) as usize],
            alphabet[(n & 63) as usize],
        ]);
    }
    if !rest.is_empty() {
        let second = rest.get(1).copied().unwrap_or(0);
        let n = (u32::from(rest[0]) << 16) | (u32::from(second) << 8);
        out.push(alphabet[(n >> 18) as usize]);
        out.push(alphabet[((n >> 12) & 63) as usize]);
        if rest.len() == 2 {
            out.push(alphabet[((n >> 6) & 63) as usize]);
        }
        if !url {
            out.resize(out.len().div_ceil(4) * 4, b'=');
        }
    }
    out
}

/// The value of a base64 character in either alphabet.
fn base64_value(byte: u8) -> Option<u8> {
    let value = match byte {
        c @ b'A'..=b'Z' => c - b'A',
        c @ b'a'..=b'z' => c - b'a' + 26,
        c @ b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    };
    Some(value)
}

/// The string's first UTF-16 units, at most `max` of them (UTF-16 writes need no more).
fn units(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    max: usize,
) -> Vec<u16> {
    let mut out = vec![0u16; text.length().min(max)];
    text.write_v2(scope, 0, &mut out, v8::WriteFlags::empty());
    out
}

/// UTF-16 units read from a string at a time, so that a long string is never copied whole.
const WINDOW: usize = 16 * 1024;

/// Calls `take` with the string's UTF-16 units, a window at a time, until it says stop.
fn each_window(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    mut take: impl FnMut(&[u16]) -> bool,
) {
    let len = text.length();
    let mut window = vec![0u16; WINDOW.min(len)];
    let mut at = 0;
    while at < len {
        let n = WINDOW.min(len - at);
        // `at` fits: a string's length is below 2^30.
        text.write_v2(scope, at as u32, &mut window[..n], v8::WriteFlags::empty());
        if !take(&window[..n]) {
            return;
        }
        at += n;
    }
}

/// Node's hex decoding into `out`: pairs of hex digits, up to the first pair that is not one
/// (a lone last digit is dropped). Returns the bytes written.
fn hex_decode(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    out: &mut [u8],
) -> usize {
    // Node reads each UTF-16 unit's low byte (U+0141 is `A`).
    let digit = |unit: u16| char::from(unit as u8).to_digit(16);
    let mut n = 0;
    let mut high: Option<u32> = None;
    each_window(scope, text, |units| {
        for &unit in units {
            if n == out.len() {
                return false;
            }
            let Some(value) = digit(unit) else { return false };
            match high.take() {
                None => high = Some(value),
                Some(first) => {
                    // Two hex digits make a byte.
                    out[n] = (first << 4 | value) as u8;
                    n += 1;
                }
            }
        }
        true
    });
    n
}

/// Node's lenient base64 decoding into `out`: either alphabet, characters outside it skipped,
/// the first `=` ending the input. Returns the bytes written.
fn base64_decode(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    out: &mut [u8],
) -> usize {
    let mut decoder = Base64Decoder::default();
    // Node reads each UTF-16 unit's low byte: U+014D is `M`, U+D83D is `=`.
    each_window(scope, text, |units| decoder.feed(units.iter().map(|&unit| unit as u8), out));
    decoder.written
}

/// The state of a base64 decode between windows.
#[derive(Default)]
struct Base64Decoder {
    acc: u32,
    bits: u32,
    written: usize,
}

impl Base64Decoder {
    /// Decodes `input` (each UTF-16 unit's low byte, as Node reads it) into `out`; false once
    /// the input or the room has ended.
    fn feed(&mut self, input: impl Iterator<Item = u8>, out: &mut [u8]) -> bool {
        for byte in input {
            if byte == b'=' || self.written == out.len() {
                return false;
            }
            let Some(value) = base64_value(byte) else { continue };
            self.acc = (self.acc << 6) | u32::from(value);
            self.bits += 6;
            if self.bits >= 8 {
                self.bits -= 8;
                // The top 8 of the bits held.
                out[self.written] = (self.acc >> self.bits) as u8;
                self.written += 1;
                self.acc &= (1 << self.bits) - 1;
            }
        }
        true
    }
}

/// `bufferWrite(view, string, offset, length, encoding)`: writes `string` into the view from
/// `offset`, at most `length` bytes (whole characters only, for UTF-8 and UTF-16); returns the
/// bytes written.
fn buffer_write(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(target) = view(scope, args.get(0)) else { return };
    let Some(text) = string_arg(scope, args.get(1)) else { return };
    let Some(encoding) = encoding_arg(scope, args.get(4)) else { return };
    let bytes = bytes_mut(scope, target);
    let offset = index_arg(args.get(2), bytes.len());
    let length = index_arg(args.get(3), bytes.len() - offset);
    let out = &mut bytes[offset..offset + length];
    let written = match encoding {
        Encoding::Utf8 => text.write_utf8_v2(scope, out, v8::WriteFlags::kReplaceInvalidUtf8, None),
        Encoding::Latin1 | Encoding::Ascii => {
            let n = text.length().min(out.len());
            text.write_one_byte_v2(scope, 0, &mut out[..n], v8::WriteFlags::empty());
            n
        }
        Encoding::Utf16Le => {
            let units = units(scope, text, out.len() / 2);
            for (pair, unit) in out.chunks_exact_mut(2).zip(&units) {
                pair.copy_from_slice(&unit.to_le_bytes());
            }
            units.len() * 2
        }
        Encoding::Hex => hex_decode(scope, text, out),
        Encoding::Base64 | Encoding::Base64Url => base64_decode(scope, text, out),
    };
    rv.set_double(written as f64);
}

/// `bufferByteLength(string, encoding)`: the bytes `Buffer.from(string, encoding)` allocates,
/// as Node counts them (for base64, from the length alone, as Node does).
fn buffer_byte_length(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(text) = string_arg(scope, args.get(0)) else { return };
    let Some(encoding) = encoding_arg(scope, args.get(1)) else { return };
    let len = text.length();
    let bytes = match encoding {
        Encoding::Utf8 => text.utf8_length(scope),
        Encoding::Latin1 | Encoding::Ascii => len,
        Encoding::Utf16Le => len * 2,
        Encoding::Hex => len / 2,
        Encoding::Base64 | Encoding::Base64Url => {
            let tail = units_at_end(scope, text, 2);
            let padding = tail.iter().rev().take_while(|&&unit| unit == u16::from(b'=')).count();
            (len - padding) * 3 / 4
        }
    };
    rv.set_double(bytes as f64);
}

/// The last `n` UTF-16 units of `text` (fewer if it is shorter).
fn units_at_end(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    n: usize,
) -> Vec<u16> {
    let len = text.length();
    let from = len.saturating_sub(n);
    let mut out = vec![0u16; len - from];
    // `from` fits: a string's length is below 2^30.
    text.write_v2(scope, from as u32, &mut out, v8::WriteFlags::empty());
    out
}

/// `bufferCompare(a, aStart, aEnd, b, bStart, bEnd)`: -1, 0 or 1, as Node's `compareOffset`:
/// the bytes in order, then the lengths.
fn buffer_compare(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(a) = view(scope, args.get(0)) else { return };
    let Some(b) = view(scope, args.get(3)) else { return };
    let a = bytes(scope, a);
    let b = bytes(scope, b);
    let a_end = index_arg(args.get(2), a.len());
    let a = &a[index_arg(args.get(1), a_end)..a_end];
    let b_end = index_arg(args.get(5), b.len());
    let b = &b[index_arg(args.get(4), b_end)..b_end];
    let order = a.cmp(b);
    rv.set_int32(order as i32);
}

/// Where Node starts an `indexOf` (`forward`) or `lastIndexOf` search for a needle of
/// `needle_len` bytes from `offset`: a position in the haystack, `len` for an empty needle
/// past its end, or `None` where nothing can match (Node's `IndexOfOffset`).
fn search_start(len: usize, offset: i64, needle_len: usize, forward: bool) -> Option<usize> {
    let len_i64 = i64::try_from(len).unwrap_or(i64::MAX);
    let needle_i64 = i64::try_from(needle_len).unwrap_or(i64::MAX);
    if offset < 0 {
        if offset.saturating_add(len_i64) >= 0 {
            usize::try_from(len_i64 + offset).ok()
        } else if forward || needle_len == 0 {
            Some(0)
        } else {
            None
        }
    } else if offset.saturating_add(needle_i64) <= len_i64 {
        usize::try_from(offset).ok()
    } else if needle_len == 0 {
        Some(len)
    } else if forward {
        None
    } else {
        Some(len.saturating_sub(1))
    }
}

/// `bufferIndexOf(haystack, needle, byteOffset, ucs2, forward)`: where `needle` (a byte value,
/// or the bytes of a view) first (`forward`) or last occurs from `byteOffset`, or -1; with
/// `ucs2`, only at even positions, as two-byte units. Node's `indexOfNumber`, `indexOfBuffer`
/// and `indexOfString` (the glue turns a string into its bytes first).
fn buffer_index_of(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(haystack) = view(scope, args.get(0)) else { return };
    let offset = v8::Local::<v8::Number>::try_from(args.get(2)).map_or(0.0, |n| n.value());
    // Node takes the integer part; the glue has bounded it to 32 bits.
    let offset = if offset.is_finite() { offset.trunc() as i64 } else { 0 };
    let ucs2 = args.get(3).is_true();
    let forward = args.get(4).is_true();
    let found = if let Ok(byte) = v8::Local::<v8::Number>::try_from(args.get(1)) {
        // The low byte of the value's 32-bit form, as memchr takes it.
        let byte = (byte.value() as i64 & 0xFF) as u8;
        let haystack = bytes(scope, haystack);
        index_of_byte(haystack, byte, offset, forward)
    } else {
        let Some(needle) = view(scope, args.get(1)) else { return };
        let haystack = bytes(scope, haystack);
        let needle = bytes(scope, needle);
        index_of_bytes(haystack, needle, offset, ucs2, forward)
    };
    rv.set_double(found.map_or(-1.0, |at| at as f64));
}

fn index_of_byte(haystack: &[u8], byte: u8, offset: i64, forward: bool) -> Option<usize> {
    let start = search_start(haystack.len(), offset, 1, forward)?;
    if haystack.is_empty() {
        return None;
    }
    if forward {
        memchr::memchr(byte, &haystack[start..]).map(|at| start + at)
    } else {
        memchr::memrchr(byte, &haystack[..=start])
    }
}

fn index_of_bytes(
    haystack: &[u8],
    needle: &[u8],
    offset: i64,
    ucs2: bool,
    forward: bool,
) -> Option<usize> {
    let start = search_start(haystack.len(), offset, needle.len(), forward);
    if needle.is_empty() {
        // As String#indexOf: an empty needle is found where the search starts.
        return start;
    }
    let start = start?;
    if haystack.is_empty()
        || needle.len() > haystack.len()
        || (forward && start + needle.len() > haystack.len())
    {
        return None;
    }
    if ucs2 {
        if haystack.len() < 2 || needle.len() < 2 {
            return None;
        }
        // Whole units only: the haystack's and the needle's last odd byte is not searched.
        let haystack = &haystack[..haystack.len() & !1];
        let needle = &needle[..needle.len() & !1];
        return index_of_units(haystack, needle, start & !1, forward);
    }
    // The last start a match can have.
    let last = haystack.len() - needle.len();
    if forward {
        memchr::memmem::find(&haystack[start..], needle).map(|at| start + at)
    } else {
        memchr::memmem::rfind(&haystack[..start.min(last) + needle.len()], needle)
    }
}

/// As `index_of_bytes`, over two-byte units: a match must start at an even position.
fn index_of_units(haystack: &[u8], needle: &[u8], start: usize, forward: bool) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    let last = haystack.len() - needle.len();
    if forward {
        let finder = memchr::memmem::Finder::new(needle);
        let mut from = start;
        while from <= last {
            let at = from + finder.find(&haystack[from..])?;
            if at % 2 == 0 {
                return Some(at);
            }
            from = at + 1;
        }
        None
    } else {
        let finder = memchr::memmem::FinderRev::new(needle);
        let mut end = start.min(last) + needle.len();
        loop {
            let at = finder.rfind(&haystack[..end])?;
            if at % 2 == 0 {
                return Some(at);
            }
            // Every start below `at` ends before `at + needle.len() - 1`.
            end = at + needle.len() - 1;
        }
    }
}

/// `bufferFill(target, pattern, start, end)`: repeats the pattern's bytes over `start..end`
/// (the last copy cut short where the range ends), as Node's `fill` with a string or a
/// Buffer; -1 for an empty pattern, which Node refuses.
fn buffer_fill(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(target) = view(scope, args.get(0)) else { return };
    let Some(pattern) = view(scope, args.get(1)) else { return };
    // A copy: the pattern may be a view of the very bytes being filled.
    let pattern = bytes(scope, pattern).to_vec();
    let target = bytes_mut(scope, target);
    let end = index_arg(args.get(3), target.len());
    let start = index_arg(args.get(2), end);
    if pattern.is_empty() {
        rv.set_int32(-1);
        return;
    }
    // One copy of the pattern, then the filled part copied after itself, doubling (Node's way).
    let range = &mut target[start..end];
    let first = pattern.len().min(range.len());
    range[..first].copy_from_slice(&pattern[..first]);
    let mut filled = first;
    while filled < range.len() {
        let more = filled.min(range.len() - filled);
        range.copy_within(..more, filled);
        filled += more;
    }
    rv.set_int32(0);
}

/// `bufferSwap(view, size)`: reverses the byte order of each `size`-byte unit in place
/// (`swap16`, `swap32`, `swap64`; the glue has checked the length is a multiple of `size`).
fn buffer_swap(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(target) = view(scope, args.get(0)) else { return };
    let size = index_arg(args.get(1), 8).max(1);
    for unit in bytes_mut(scope, target).chunks_exact_mut(size) {
        unit.reverse();
    }
}

/// `btoa(string)`: the string's characters as bytes, in base64; undefined if one of them is
/// past U+00FF (the glue throws the DOMException).
fn btoa(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(text) = string_arg(scope, args.get(0)) else { return };
    let mut latin1 = Vec::with_capacity(text.length());
    let mut valid = true;
    each_window(scope, text, |units| {
        valid = units.iter().all(|&unit| unit <= 0xFF);
        // Each unit is at most 0xFF here.
        latin1.extend(units.iter().map(|&unit| unit as u8));
        valid
    });
    if !valid || !admit_bytes(scope, latin1.len().div_ceil(3) * 4) {
        return;
    }
    let encoded = base64_encode(&latin1, false);
    match v8::String::new_from_one_byte(scope, &encoded, v8::NewStringType::Normal) {
        Some(text) => rv.set(text.into()),
        None => throw_range_error(scope, TOO_LONG),
    }
}

/// `atob(string)`: WHATWG's forgiving base64 decode, as Node 20 checks it, to a string of one
/// character per byte; for input that is not base64, the failure Node names: 1 for "Invalid
/// character", 2 for "not correctly encoded" (the glue throws the DOMException).
fn atob(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    const INVALID_CHARACTER: i32 = 1;
    const NOT_ENCODED: i32 = 2;
    let Some(text) = string_arg(scope, args.get(0)) else { return };
    // ASCII whitespace is dropped; `=` may only end the input, at most twice.
    let mut kept = Vec::with_capacity(text.length());
    let (mut counted, mut equals, mut valid) = (0usize, 0usize, true);
    each_window(scope, text, |units| {
        for &unit in units {
            match u8::try_from(unit) {
                Ok(b'\t' | b'\n' | b'\x0C' | b'\r' | b' ') => continue,
                Ok(b'=') => equals += 1,
                Ok(c @ (b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/')) if equals == 0 => {
                    kept.push(c);
                }
                _ => valid = false,
            }
            counted += 1;
            if !valid || equals > 2 {
                valid = false;
                return false;
            }
        }
        true
    });
    let mut remainder = counted % 4;
    if remainder == 0 {
        remainder = (counted - equals) % 4;
    } else if equals > 0 {
        valid = false;
    }
    if !valid {
        return rv.set_int32(INVALID_CHARACTER);
    }
    if remainder == 1 {
        return rv.set_int32(NOT_ENCODED);
    }
    let mut out = vec![0u8; kept.len() / 4 * 3 + 2];
    let mut decoder = Base64Decoder::default();
    decoder.feed(kept.iter().copied(), &mut out);
    out.truncate(decoder.written);
    if !admit_bytes(scope, out.len()) {
        return;
    }
    match v8::String::new_from_one_byte(scope, &out, v8::NewStringType::Normal) {
        Some(text) => rv.set(text.into()),
        None => throw_range_error(scope, TOO_LONG),
    }
}
