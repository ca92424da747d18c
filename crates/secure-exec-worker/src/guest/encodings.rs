//! `Buffer`'s string encodings (`buf.toString(encoding)`, `buf.write`, `Buffer.from(string,
//! encoding)`, `Buffer.byteLength`), done natively as Node does them.
//!
//! The bundled npm `buffer` package converts a byte at a time in JavaScript: decoding a 540 KB
//! file took 17 to 60 ms in a session where Node takes about 1 ms. Its glue (argument checks,
//! offsets, the encoding's name) stays; the conversions are these natives, with Node's rules:
//! UTF-8 decoded by V8 as Node does it (each maximal malformed sequence one U+FFFD), lone
//! surrogates written as U+FFFD, `ascii` decoding clearing the high bit, `hex` stopping at the
//! first pair that is not hex, `base64` taking both alphabets, skipping what is not base64 and
//! stopping at `=`.
//!
//! Decoding works in pieces of [`CHUNK`] bytes, asking between them whether the session was
//! stopped, and admits the string to the session's memory budget before making it.

use super::set_function;
use super::web::{
    admit_bytes, bytes_mut, complete_utf8_prefix, stop_check, throw_range_error, throw_type_error,
    view,
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
fn index_arg(value: v8::Local<'_, v8::Value>, max: usize) -> usize {
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
    let bytes: &[u8] = bytes_mut(scope, target);
    let end = index_arg(args.get(2), bytes.len());
    let start = index_arg(args.get(1), end);
    let bytes = &bytes[start..end];
    if !admit_bytes(scope, encoding.decoded_size(bytes)) {
        return;
    }
    let halted = stop_check(scope);
    let mut text: Option<v8::Local<'_, v8::String>> = None;
    let mut at = 0;
    while at < bytes.len() {
        if halted() {
            return;
        }
        let mut stop = bytes.len().min(at + CHUNK);
        if encoding == Encoding::Utf8 && stop < bytes.len() {
            // A piece ends on a character boundary (or inside malformed input, where cutting
            // changes nothing).
            stop = at + complete_utf8_prefix(&bytes[at..stop]).max(1);
        }
        let piece = decode(scope, encoding, &bytes[at..stop]);
        let joined = match (text, piece) {
            (None, piece) => piece,
            (Some(before), Some(piece)) => v8::String::concat(scope, before, piece),
            (Some(_), None) => None,
        };
        let Some(joined) = joined else {
            return throw_range_error(scope, TOO_LONG);
        };
        text = Some(joined);
        at = stop;
    }
    let text = match text {
        Some(text) => text,
        None => v8::String::empty(scope),
    };
    rv.set(text.into());
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
            let mut out = Vec::with_capacity(bytes.len() * 2);
            for byte in bytes {
                out.push(DIGITS[usize::from(byte >> 4)]);
                out.push(DIGITS[usize::from(byte & 0xF)]);
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
    for group in bytes.chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        let used = group.len() + 1;
        for (i, sextet) in sextets.iter().enumerate() {
            if i < used {
                out.push(alphabet[*sextet as usize]);
            } else if !url {
                out.push(b'=');
            }
        }
    }
    out
}

/// The value of a base64 character in either alphabet, as Node's decoder reads it: from the
/// unit's low byte (so U+014D is read as `M`).
fn base64_value(unit: u16) -> Option<u8> {
    let value = match unit as u8 {
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
    each_window(scope, text, |units| decoder.feed(units, out));
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
    /// Decodes `units` into `out`; false once the input or the room has ended.
    fn feed(&mut self, units: &[u16], out: &mut [u8]) -> bool {
        for &unit in units {
            if unit as u8 == b'=' || self.written == out.len() {
                return false;
            }
            let Some(value) = base64_value(unit) else { continue };
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
