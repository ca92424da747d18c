//! Brotli for `zlib`'s `brotliCompress` / `brotliDecompress` and their streams: the `brotli`
//! crate's streaming encoder and decoder (a port of Google's C library, Node's own), driven a
//! step at a time from `node.js`. At qualities 9 to 11 (Node's default) its output is Node's
//! byte for byte; lower qualities may compress differently, to streams any decoder reads.
//!
//! A stream's state lives here, in the session's table, between calls. Every step is bounded
//! so that a stop reaches the session between steps: `node.js` hands in at most 64 KiB of
//! input and a 64 KiB output buffer, and a step returns when either is used up, so a
//! decompression bomb yields its output a buffer at a time, each one charged to the session
//! as the guest copies it out. The coder's own memory is charged to the session's budget: the
//! encoder's before it is made (Brotli sizes its tables by window and quality, up to hundreds
//! of megabytes, which must not reach the worker unbudgeted), the decoder's ring buffer (at
//! most 16 MiB) as soon as the step that read the stream's window returns.

use std::collections::HashMap;

use brotli::enc::StandardAlloc;
use brotli::enc::encode::{
    BrotliEncoderOperation, BrotliEncoderParameter, BrotliEncoderStateStruct,
};
use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};

use super::web::{bytes_mut, throw_range_error, throw_type_error, view};
use super::{set_function, state};

/// Streams a session may have open at once.
const MAX_STREAMS: usize = 64;
const MIB: usize = 1024 * 1024;

type Decoder = BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>;

enum Coder {
    Encode(Box<BrotliEncoderStateStruct<StandardAlloc>>),
    Decode { state: Box<Decoder>, window_charged: bool },
}

struct Stream {
    coder: Coder,
    /// Bytes charged to the session's budget for this stream.
    charged: usize,
}

/// A session's open Brotli streams, by handle.
#[derive(Default)]
pub(crate) struct BrotliStreams {
    open: HashMap<u32, Stream>,
    next: u32,
}

impl std::fmt::Debug for BrotliStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrotliStreams").field("open", &self.open.len()).finish()
    }
}

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "brotliOpen", brotli_open);
    set_function(scope, natives, "brotliStep", brotli_step);
    set_function(scope, natives, "brotliClose", brotli_close);
}

/// An upper bound of the encoder's memory, measured with this crate for inputs up to 48 MiB
/// (it levels off once the input outgrows the window): ring, block and command buffers grow
/// to about 14 bytes per byte of window (qualities 0 and 1 use far less), qualities 5–9 add
/// 32 MiB of hash chains, and 10–11 a binary-tree forest of 6 bytes per byte of window. Node's
/// default, quality 11 with a 4 MiB window, comes to 86 MB. An input block larger than the
/// window (`lgblock`) widens the buffers as a window would.
fn encoder_bytes(quality: u32, lgwin: u32, lgblock: u32) -> usize {
    let window = 1usize << lgwin;
    let span = window.max(1usize << lgblock);
    match quality {
        0 | 1 => 2 * MIB + 3 * span,
        2..=4 => 3 * MIB + 14 * span,
        5..=9 => 36 * MIB + 14 * span,
        _ => 6 * MIB + 6 * window + 14 * span,
    }
}

/// What the decoder holds besides its ring buffer (Huffman tables, block state).
const DECODER_BYTES: usize = 5 * MIB / 2;

fn number(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> Option<u32> {
    value.uint32_value(scope)
}

/// `brotliOpen(encode, quality, lgwin, mode, sizeHint, lgblock)`: a new stream's handle. The
/// parameters are Node's, already validated by `node.js`; the decoder ignores them.
fn brotli_open(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let encode = args.get(0).boolean_value(scope);
    let params: Vec<u32> = (1..6).map(|i| number(scope, args.get(i)).unwrap_or(0)).collect();
    let [quality, lgwin, mode, size_hint, lgblock] = params[..] else { return };
    if state(scope).brotli.open.len() >= MAX_STREAMS {
        return throw_range_error(
            scope,
            &format!(
                "ERR_BROTLI_LIMIT: a session may have at most {MAX_STREAMS} Brotli streams open"
            ),
        );
    }
    let (coder, charged) = if encode {
        let mut encoder = BrotliEncoderStateStruct::new(StandardAlloc::default());
        for (parameter, value) in [
            (BrotliEncoderParameter::BROTLI_PARAM_QUALITY, quality),
            (BrotliEncoderParameter::BROTLI_PARAM_LGWIN, lgwin),
            (BrotliEncoderParameter::BROTLI_PARAM_MODE, mode),
            (BrotliEncoderParameter::BROTLI_PARAM_SIZE_HINT, size_hint),
            (BrotliEncoderParameter::BROTLI_PARAM_LGBLOCK, lgblock),
        ] {
            if !encoder.set_parameter(parameter, value) {
                return throw_type_error(scope, "Initialization failed");
            }
        }
        (
            Coder::Encode(Box::new(encoder)),
            encoder_bytes(quality.min(11), lgwin.clamp(10, 24), lgblock.clamp(16, 24)),
        )
    } else {
        let mut decoder = Decoder::new(
            StandardAlloc::default(),
            StandardAlloc::default(),
            StandardAlloc::default(),
        );
        // Node's default: a window of at most 16 MiB, not the large-window extension's 1 GiB.
        decoder.large_window = false;
        (Coder::Decode { state: Box::new(decoder), window_charged: false }, DECODER_BYTES)
    };
    if !super::hold(scope, charged) {
        // The session is being stopped (ERR_MEMORY_LIMIT); nothing more runs.
        return;
    }
    let state = state(scope);
    let id = state.brotli.next;
    state.brotli.next = state.brotli.next.wrapping_add(1);
    state.brotli.open.insert(id, Stream { coder, charged });
    rv.set_uint32(id);
}

/// `brotliStep(id, input, op, output)`: runs the stream over as much of `input` as fits the
/// `output` buffer; returns `[consumed, produced, result, error]`, `result` being Brotli's
/// decoder result (0 error, 1 done, 2 needs more input, 3 needs more output: the encoder says
/// 1 once finished, 3 while it has output left, 2 otherwise) and `error` the decoder's error
/// code. `op` is the encoder's operation (process, flush, finish).
fn brotli_step(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(id) = number(scope, args.get(0)) else { return };
    let Some(input) = view(scope, args.get(1)) else { return };
    let op = number(scope, args.get(2)).unwrap_or(0);
    let Some(output) = view(scope, args.get(3)) else { return };
    let input = bytes_mut(scope, input);
    let output = bytes_mut(scope, output);
    let Some(mut stream) = state(scope).brotli.open.remove(&id) else {
        return throw_type_error(scope, "the Brotli stream is closed");
    };
    let (mut available_in, mut consumed) = (input.len(), 0);
    let (mut available_out, mut produced) = (output.len(), 0);
    let (result, error) = match &mut stream.coder {
        Coder::Encode(encoder) => {
            let op = match op {
                1 => BrotliEncoderOperation::BROTLI_OPERATION_FLUSH,
                2 => BrotliEncoderOperation::BROTLI_OPERATION_FINISH,
                _ => BrotliEncoderOperation::BROTLI_OPERATION_PROCESS,
            };
            let mut total = None;
            let mut no_callback = |_: &mut brotli::interface::PredictionModeContextMap<
                brotli::InputReferenceMut<'_>,
            >,
                                   _: &mut [brotli::interface::StaticCommand],
                                   _: brotli::InputPair<'_>,
                                   _: &mut StandardAlloc| {};
            let ok = encoder.compress_stream(
                op,
                &mut available_in,
                input,
                &mut consumed,
                &mut available_out,
                output,
                &mut produced,
                &mut total,
                &mut no_callback,
            );
            let result = if !ok {
                0
            } else if encoder.has_more_output() || available_out == 0 {
                3
            } else if encoder.is_finished() {
                1
            } else {
                2
            };
            (result, 0)
        }
        Coder::Decode { state: decoder, .. } => {
            let mut total = 0;
            let result = BrotliDecompressStream(
                &mut available_in,
                &mut consumed,
                input,
                &mut available_out,
                &mut produced,
                output,
                &mut total,
                decoder,
            );
            let result = match result {
                BrotliResult::ResultFailure => 0,
                BrotliResult::ResultSuccess => 1,
                BrotliResult::NeedsMoreInput => 2,
                BrotliResult::NeedsMoreOutput => 3,
            };
            (result, decoder.error_code as i32)
        }
    };
    // The decoder's ring buffer is sized by the window the stream declares, once read.
    let window = match &mut stream.coder {
        Coder::Decode { state: decoder, window_charged } if !*window_charged => {
            let bits = decoder.window_bits;
            *window_charged = bits > 0;
            (bits > 0).then(|| 1usize << bits.min(24))
        }
        _ => None,
    };
    if let Some(bytes) = window {
        stream.charged += bytes;
    }
    let fits = window.is_none_or(|bytes| super::hold(scope, bytes));
    state(scope).brotli.open.insert(id, stream);
    if !fits {
        // The session is being stopped (ERR_MEMORY_LIMIT).
        return;
    }
    let numbers = [consumed as f64, produced as f64, f64::from(result), f64::from(error)];
    let items: Vec<v8::Local<'_, v8::Value>> =
        numbers.iter().map(|&n| v8::Number::new(scope, n).into()).collect();
    rv.set(v8::Array::new_with_elements(scope, &items).into());
}

/// `brotliClose(id)`: ends a stream and gives its memory back to the session's budget.
fn brotli_close(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(id) = number(scope, args.get(0)) else { return };
    let state = state(scope);
    if let Some(stream) = state.brotli.open.remove(&id) {
        state.budget.release_held(stream.charged);
    }
}
