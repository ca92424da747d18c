//! A session's console output: sent to the host as it is produced, capped per stream.

use secure_exec_proto::limits::OUTPUT_CHUNK_BYTES;
use secure_exec_proto::v1::{self, worker_message};
use std::sync::mpsc::Sender;

/// Appended to an error message cut at `limits::MAX_ERROR_MESSAGE_BYTES`.
pub(crate) const MESSAGE_MARKER: &str = "\n[secure-exec: error message truncated]";

/// Appended once to a stream that went past its cap.
pub(crate) fn truncation_marker(stream: v1::Stream, cap: u64) -> String {
    let name = if stream == v1::Stream::Stderr { "stderr" } else { "stdout" };
    format!("\n[secure-exec: {name} truncated after {cap} bytes]\n")
}

#[derive(Debug)]
pub(crate) struct Output {
    session_id: u64,
    sink: Sender<v1::WorkerMessage>,
    cap: u64,
    written: [u64; 2],
    truncated: [bool; 2],
}

impl Output {
    pub(crate) fn new(session_id: u64, sink: Sender<v1::WorkerMessage>, cap: u64) -> Self {
        Self { session_id, sink, cap, written: [0; 2], truncated: [false; 2] }
    }

    /// Bytes `stream` may still take before it is truncated; 0 once it has been.
    /// Where the session's messages go (its host calls share the channel, so that each is
    /// sent before the session's result).
    pub(crate) fn sink(&self) -> &Sender<v1::WorkerMessage> {
        &self.sink
    }

    pub(crate) fn room(&self, stream: v1::Stream) -> usize {
        let i = index(stream);
        if self.truncated[i] {
            return 0;
        }
        usize::try_from(self.cap.saturating_sub(self.written[i])).unwrap_or(usize::MAX)
    }

    /// Sends `text`, cutting it at the cap (on a character boundary) and adding the marker
    /// once. `complete` says whether `text` is all the guest wrote, or already a prefix.
    pub(crate) fn write(&mut self, stream: v1::Stream, mut text: String, complete: bool) {
        let i = index(stream);
        if self.truncated[i] {
            return;
        }
        let room = self.room(stream);
        let mut cut = !complete;
        if text.len() > room {
            text.truncate(char_floor(&text, room));
            cut = true;
        }
        self.written[i] += text.len() as u64;
        if cut {
            self.truncated[i] = true;
            text.push_str(&truncation_marker(stream, self.cap));
        }
        if !text.is_empty() {
            self.send(stream, text);
        }
    }

    pub(crate) fn truncated(&self, stream: v1::Stream) -> bool {
        self.truncated[index(stream)]
    }

    /// Sends `text` in chunks of at most [`OUTPUT_CHUNK_BYTES`], cut on character boundaries,
    /// so that one large write never makes a frame the host would refuse.
    fn send(&self, stream: v1::Stream, text: String) {
        for chunk in chunks(text, OUTPUT_CHUNK_BYTES) {
            let message = v1::WorkerMessage {
                kind: Some(worker_message::Kind::Output(v1::Output {
                    session_id: self.session_id,
                    stream: stream as i32,
                    text: chunk,
                })),
            };
            // A closed sink means the connection is gone and the worker is shutting down.
            let _ = self.sink.send(message);
        }
    }
}

/// `text` cut into pieces of at most `max` bytes (at least one character each).
fn chunks(text: String, max: usize) -> Vec<String> {
    if text.len() <= max {
        return vec![text];
    }
    let mut pieces = Vec::with_capacity(text.len() / max + 1);
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut end = char_floor(rest, max);
        if end == 0 {
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece.to_owned());
        rest = tail;
    }
    pieces
}

/// `text` cut to at most `max` bytes on a character boundary, with `marker` appended if cut.
pub(crate) fn cap(mut text: String, max: usize, marker: &str) -> String {
    if text.len() <= max {
        return text;
    }
    text.truncate(char_floor(&text, max));
    text.push_str(marker);
    text
}

/// The largest character boundary of `text` at or below `max`.
fn char_floor(text: &str, max: usize) -> usize {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

fn index(stream: v1::Stream) -> usize {
    usize::from(stream == v1::Stream::Stderr)
}
