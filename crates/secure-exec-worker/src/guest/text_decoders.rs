//! `TextDecoder`'s encodings other than UTF-8 and UTF-16LE (which `web.rs` decodes itself):
//! UTF-16BE and the legacy single- and multi-byte encodings of the WHATWG Encoding Standard
//! (windows-1252, ISO-8859-x, KOI8, GBK, gb18030, Big5, EUC-JP, ISO-2022-JP, Shift_JIS,
//! EUC-KR, ...), by `encoding_rs`, as Node's `TextDecoder` offers them.
//!
//! A decode that streams (`{ stream: true }`) keeps its decoder here between calls, since a
//! multi-byte sequence or ISO-2022-JP's mode carries over; it is dropped at the stream's last
//! call, or with the session. Each open decoder is charged to the session's memory budget.
//! Input is decoded in pieces, with a look between them at whether the session was stopped.

use encoding_rs::{CoderResult, Decoder, DecoderResult, Encoding};

use super::held::{Held, id_arg};
use super::web::{admit_string, bytes, stop_check, throw_type_error, view};
use super::{new_string, set_function, state};

/// Input bytes decoded at a time.
const PIECE: usize = 256 * 1024;
/// What an open decoder is charged (its state is a few dozen bytes; this bounds their count).
const DECODER_CHARGE: usize = 1024;

/// A session's streaming decoders, by the id `web.js` holds.
pub(crate) type TextDecoders = Held<Decoder, DECODER_CHARGE>;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "textEncoding", text_encoding);
    set_function(scope, natives, "legacyDecode", legacy_decode);
}

/// `textEncoding(label)`: the encoding a label names, by its WHATWG name in lower case
/// (`latin1` is `windows-1252`); undefined for no encoding. `replacement` (the labels of
/// ISO-2022-KR, HZ, ...) and `x-user-defined` come back as they are, for the caller to refuse
/// as Node does.
fn text_encoding(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(label) = v8::Local::<v8::String>::try_from(args.get(0)) else { return };
    let label = label.to_rust_string_lossy(scope);
    let Some(encoding) = Encoding::for_label(label.as_bytes()) else { return };
    if let Ok(name) = new_string(scope, &encoding.name().to_ascii_lowercase()) {
        rv.set(name.into());
    }
}

/// `legacyDecode(name, view, fatal, stream, id)`: `[text, id]`, the view decoded in the named
/// encoding. With `stream`, the decoder is kept under the returned id for the next call (`id`
/// 0 starts one); without, the stream ends here and its decoder is dropped. `fatal` makes
/// malformed input a TypeError (and drops the decoder); otherwise each malformed sequence is
/// U+FFFD.
fn legacy_decode(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(name) = v8::Local::<v8::String>::try_from(args.get(0)) else { return };
    let name = name.to_rust_string_lossy(scope);
    let Some(encoding) = Encoding::for_label(name.as_bytes()) else {
        return throw_type_error(scope, &format!("the {name:?} encoding is not supported"));
    };
    let Some(source) = view(scope, args.get(1)) else { return };
    let fatal = args.get(2).is_true();
    let stream = args.get(3).is_true();
    let session = state(scope);
    let mut decoder = match session.text_decoders.take(&session.budget, id_arg(args.get(4))) {
        Some(decoder) => decoder,
        None => encoding.new_decoder_without_bom_handling(),
    };
    let input = bytes(scope, source);
    let halted = stop_check(scope);
    let mut text = String::new();
    let mut pieces = input.chunks(PIECE).peekable();
    if input.is_empty() && !stream {
        // The end of a stream with nothing more: what the decoder holds is flushed.
        if !decode_piece(&mut decoder, &[], true, fatal, &mut text) {
            return throw_type_error(scope, &invalid(encoding));
        }
    }
    while let Some(piece) = pieces.next() {
        if halted() {
            return;
        }
        let last = !stream && pieces.peek().is_none();
        if !decode_piece(&mut decoder, piece, last, fatal, &mut text) {
            return throw_type_error(scope, &invalid(encoding));
        }
    }
    if !admit_string(scope, &text) {
        return;
    }
    let session = state(scope);
    let id = if stream {
        // Past the budget the session is stopped; its termination takes over.
        let Some(id) = session.text_decoders.keep(&session.budget, decoder) else { return };
        id
    } else {
        0
    };
    let Ok(text) = new_string(scope, &text) else {
        return super::web::throw_range_error(
            scope,
            "the decoded text is longer than a string may be",
        );
    };
    let id = v8::Number::new(scope, f64::from(id));
    let pair = v8::Array::new_with_elements(scope, &[text.into(), id.into()]);
    rv.set(pair.into());
}

fn invalid(encoding: &'static Encoding) -> String {
    format!("The encoded data was not valid for encoding {}", encoding.name().to_ascii_lowercase())
}

/// Decodes one piece into `text`; false for malformed input when `fatal`.
fn decode_piece(
    decoder: &mut Decoder,
    piece: &[u8],
    last: bool,
    fatal: bool,
    text: &mut String,
) -> bool {
    // Room for all the piece can make, so that one call takes it all.
    let room = decoder.max_utf8_buffer_length(piece.len()).unwrap_or(piece.len() * 3 + 16);
    text.reserve(room);
    if fatal {
        let (result, _) = decoder.decode_to_string_without_replacement(piece, text, last);
        !matches!(result, DecoderResult::Malformed(..))
    } else {
        let (result, _, _) = decoder.decode_to_string(piece, text, last);
        debug_assert!(matches!(result, CoderResult::InputEmpty));
        true
    }
}
