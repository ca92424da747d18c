//! Length-delimited protobuf frames.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of one encoded message.
//! [`FrameCodec`] wraps `tokio_util`'s `LengthDelimitedCodec` with a maximum frame length and
//! turns every failure into a [`FrameError`]. After an error the byte stream has lost its framing,
//! so the connection must be closed: there is no resynchronisation.

use std::marker::PhantomData;

use bytes::{BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec, LengthDelimitedCodecError};

/// Largest frame either side accepts unless configured otherwise: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The socket failed.
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    /// A frame announced or needed more bytes than the maximum frame length.
    #[error("frame larger than the maximum of {max} bytes")]
    TooLarge {
        /// The configured maximum.
        max: usize,
    },
    /// A complete frame did not hold a valid message.
    #[error("undecodable frame: {0}")]
    Decode(#[from] prost::DecodeError),
}

/// Encodes `Out` messages and decodes `In` messages as length-delimited frames.
#[derive(Debug)]
pub struct FrameCodec<In, Out> {
    inner: LengthDelimitedCodec,
    max_frame_len: usize,
    _messages: PhantomData<fn(Out) -> In>,
}

impl<In, Out> FrameCodec<In, Out> {
    /// A codec refusing frames longer than `max_frame_len` bytes in either direction.
    pub fn new(max_frame_len: usize) -> Self {
        let inner = LengthDelimitedCodec::builder()
            .length_field_length(4)
            .max_frame_length(max_frame_len)
            .new_codec();
        Self { inner, max_frame_len, _messages: PhantomData }
    }

    /// The maximum frame length this codec accepts.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Changes the maximum, as when the handshake agrees on a smaller one.
    pub fn set_max_frame_len(&mut self, max_frame_len: usize) {
        self.inner.set_max_frame_length(max_frame_len);
        self.max_frame_len = max_frame_len;
    }

    fn map_io(&self, err: std::io::Error) -> FrameError {
        if err.get_ref().is_some_and(|inner| inner.is::<LengthDelimitedCodecError>()) {
            FrameError::TooLarge { max: self.max_frame_len }
        } else {
            FrameError::Io(err)
        }
    }
}

impl<In, Out> Default for FrameCodec<In, Out> {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl<In: prost::Message + Default, Out> Decoder for FrameCodec<In, Out> {
    type Item = In;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<In>, FrameError> {
        match self.inner.decode(src) {
            Ok(Some(frame)) => Ok(Some(In::decode(frame.freeze())?)),
            Ok(None) => Ok(None),
            Err(err) => Err(self.map_io(err)),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<In>, FrameError> {
        match self.decode(src)? {
            Some(message) => Ok(Some(message)),
            None if src.is_empty() => Ok(None),
            None => Err(FrameError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed in the middle of a frame",
            ))),
        }
    }
}

impl<In, Out: prost::Message> Encoder<Out> for FrameCodec<In, Out> {
    type Error = FrameError;

    fn encode(&mut self, message: Out, dst: &mut BytesMut) -> Result<(), FrameError> {
        let len = message.encoded_len();
        let Some(prefix) = u32::try_from(len).ok().filter(|_| len <= self.max_frame_len) else {
            return Err(FrameError::TooLarge { max: self.max_frame_len });
        };
        // Written in place rather than through the inner codec, which would need the body as a
        // separate buffer and copy it once more.
        dst.reserve(4 + len);
        dst.put_u32(prefix);
        message.encode(dst).map_err(|err| {
            FrameError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, err))
        })
    }
}

#[cfg(test)]
mod tests;
