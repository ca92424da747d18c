//! AES for `crypto.createCipheriv` and `createDecipheriv`: RustCrypto's block cipher and GHASH
//! behind stateless natives over whole blocks. A mode's running state (the chained IV, the
//! counter, a partial block, a GCM tag's running GHASH) lives in `node.js` between calls, so no
//! native object outlives a call.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;

use super::buffer::index_arg;
use super::set_function;
use super::web::{bytes_mut, owned_bytes, stop_check, throw_range_error, view};

const BLOCK: usize = 16;
/// Bytes between two looks at whether the session was stopped.
const CHUNK: usize = 1024 * 1024;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "aesEcb", aes_ecb);
    set_function(scope, natives, "aesCbc", aes_cbc);
    set_function(scope, natives, "aesCtr", aes_ctr);
    set_function(scope, natives, "aesGcmJ0", aes_gcm_j0);
    set_function(scope, natives, "aesGcmTag", aes_gcm_tag);
    set_function(scope, natives, "aesGcmAbsorb", aes_gcm_absorb);
    set_function(scope, natives, "aesGcmFinish", aes_gcm_finish);
}

enum Aes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Option<Self> {
        match key.len() {
            16 => aes::Aes128::new_from_slice(key).ok().map(Self::A128),
            24 => aes::Aes192::new_from_slice(key).ok().map(Self::A192),
            32 => aes::Aes256::new_from_slice(key).ok().map(Self::A256),
            _ => None,
        }
    }

    fn encrypt(&self, block: &mut [u8]) {
        let block = GenericArray::from_mut_slice(block);
        match self {
            Self::A128(c) => c.encrypt_block(block),
            Self::A192(c) => c.encrypt_block(block),
            Self::A256(c) => c.encrypt_block(block),
        }
    }

    fn decrypt(&self, block: &mut [u8]) {
        let block = GenericArray::from_mut_slice(block);
        match self {
            Self::A128(c) => c.decrypt_block(block),
            Self::A192(c) => c.decrypt_block(block),
            Self::A256(c) => c.decrypt_block(block),
        }
    }
}

/// The cipher for argument 0 (the key), or a RangeError.
fn cipher_of(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
) -> Option<Aes> {
    let key = owned_bytes(scope, args.get(0))?;
    let aes = Aes::new(&key);
    if aes.is_none() {
        throw_range_error(scope, "Invalid key length");
    }
    aes
}

/// Copies the whole blocks of argument `from` into the view of argument `to` (as long) and
/// runs `transform` over them there, a megabyte at a time, so that no copy of the data is held
/// outside the session's own buffers. False if the session was stopped meanwhile (its
/// termination takes over), or with a RangeError thrown if the sizes are wrong.
fn in_blocks(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    from: i32,
    to: i32,
    mut transform: impl FnMut(&mut [u8]),
) -> bool {
    let Some(input) = view(scope, args.get(from)) else { return false };
    let Some(output) = view(scope, args.get(to)) else { return false };
    if input.byte_length() % BLOCK != 0 || output.byte_length() != input.byte_length() {
        throw_range_error(scope, "data is not a whole number of blocks, or not its output's size");
        return false;
    }
    let halted = stop_check(scope);
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let source = input.get_contents(&mut storage);
    let target = bytes_mut(scope, output);
    for (from, to) in source.chunks(CHUNK).zip(target.chunks_mut(CHUNK)) {
        if halted() {
            return false;
        }
        to.copy_from_slice(from);
        to.chunks_exact_mut(BLOCK).for_each(&mut transform);
    }
    true
}

/// Copies `bytes` into the view of argument `at`, which must be as long.
fn write_to(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    at: i32,
    bytes: &[u8],
) {
    let Some(out) = view(scope, args.get(at)) else { return };
    let target = bytes_mut(scope, out);
    if target.len() != bytes.len() {
        return throw_range_error(scope, "output of the wrong size");
    }
    target.copy_from_slice(bytes);
}

/// `aesEcb(key, data, out, decrypt)`.
fn aes_ecb(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let decrypt = args.get(3).is_true();
    in_blocks(
        scope,
        &args,
        1,
        2,
        |block| {
            if decrypt { aes.decrypt(block) } else { aes.encrypt(block) }
        },
    );
}

/// `aesCbc(key, iv, data, out, decrypt)`: `iv` (16 bytes) is updated in place to chain the
/// next call.
fn aes_cbc(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(mut chain) = owned_bytes(scope, args.get(1)) else { return };
    if chain.len() != BLOCK {
        return throw_range_error(scope, "Invalid initialization vector");
    }
    let decrypt = args.get(4).is_true();
    let mut cipher_block = [0u8; BLOCK];
    let done = in_blocks(scope, &args, 2, 3, |block| {
        if decrypt {
            cipher_block.copy_from_slice(block);
            aes.decrypt(block);
            block.iter_mut().zip(&chain).for_each(|(b, c)| *b ^= c);
            chain.copy_from_slice(&cipher_block);
        } else {
            block.iter_mut().zip(&chain).for_each(|(b, c)| *b ^= c);
            aes.encrypt(block);
            chain.copy_from_slice(block);
        }
    });
    if done {
        write_to(scope, &args, 1, &chain);
    }
}

/// Adds one to the counter block: all 128 bits (CTR mode) or only the last 32 (GCM's inc32).
fn increment(counter: &mut [u8], inc32: bool) {
    let from = if inc32 { BLOCK - 4 } else { 0 };
    for byte in counter[from..].iter_mut().rev() {
        *byte = byte.wrapping_add(1);
        if *byte != 0 {
            break;
        }
    }
}

/// `aesCtr(key, counter, data, out, inc32)`: XORs whole blocks of `data` with the key stream;
/// `counter` (16 bytes) is updated in place.
fn aes_ctr(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(mut counter) = owned_bytes(scope, args.get(1)) else { return };
    if counter.len() != BLOCK {
        return throw_range_error(scope, "Invalid initialization vector");
    }
    let inc32 = args.get(4).is_true();
    let mut stream = [0u8; BLOCK];
    let done = in_blocks(scope, &args, 2, 3, |block| {
        stream.copy_from_slice(&counter);
        aes.encrypt(&mut stream);
        block.iter_mut().zip(&stream).for_each(|(b, k)| *b ^= k);
        increment(&mut counter, inc32);
    });
    if done {
        write_to(scope, &args, 1, &counter);
    }
}

/// GHASH under `aes`'s hash key of `parts`, each zero-padded to whole blocks, then the block
/// of their bit lengths (as GCM closes it); `None` if the session was stopped meanwhile.
fn ghash(
    aes: &Aes,
    parts: &[&[u8]],
    lengths: [u64; 2],
    halted: &dyn Fn() -> bool,
) -> Option<[u8; BLOCK]> {
    let mut hash = ghash_under(aes);
    for part in parts {
        // Whole megabytes, so that only a part's last piece is padded.
        for piece in part.chunks(CHUNK) {
            if halted() {
                return None;
            }
            hash.update_padded(piece);
        }
    }
    hash.update(&[length_block(lengths).into()]);
    Some(hash.finalize().into())
}

/// A GHASH under `aes`'s hash key, E(0).
fn ghash_under(aes: &Aes) -> GHash {
    let mut h = [0u8; BLOCK];
    aes.encrypt(&mut h);
    GHash::new(GenericArray::from_slice(&h))
}

/// The block that closes a GCM GHASH: the AAD's and the text's lengths in bits.
fn length_block(lengths: [u64; 2]) -> [u8; BLOCK] {
    let mut closing = [0u8; BLOCK];
    closing[..8].copy_from_slice(&lengths[0].wrapping_mul(8).to_be_bytes());
    closing[8..].copy_from_slice(&lengths[1].wrapping_mul(8).to_be_bytes());
    closing
}

/// The tag: `sum` (the closed GHASH) masked with E(J0), written to argument `out`.
fn write_tag(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    out: i32,
    aes: &Aes,
    mut j0: Vec<u8>,
    sum: &[u8; BLOCK],
) {
    aes.encrypt(&mut j0);
    j0.iter_mut().zip(sum).for_each(|(m, s)| *m ^= s);
    write_to(scope, args, out, &j0);
}

/// `aesGcmJ0(key, iv, out)`: GCM's first counter block for `iv` (any length but 0).
fn aes_gcm_j0(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(iv) = owned_bytes(scope, args.get(1)) else { return };
    let j0 = if iv.len() == 12 {
        let mut j0 = [0u8; BLOCK];
        j0[..12].copy_from_slice(&iv);
        j0[15] = 1;
        j0
    } else {
        let halted = stop_check(scope);
        let Some(j0) = ghash(&aes, &[&iv], [0, iv.len() as u64], &halted) else { return };
        j0
    };
    write_to(scope, &args, 2, &j0);
}

/// `aesGcmTag(key, j0, aad, ciphertext, out)`: the 16-byte tag over `aad` and `ciphertext`.
fn aes_gcm_tag(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(j0) = owned_bytes(scope, args.get(1)) else { return };
    if j0.len() != BLOCK {
        return throw_range_error(scope, "Invalid initialization vector");
    }
    let Some(aad) = view(scope, args.get(2)) else { return };
    let Some(text) = view(scope, args.get(3)) else { return };
    let halted = stop_check(scope);
    // Read where they are: the text may be as large as the session's memory allows.
    let mut aad_storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let mut text_storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let aad = aad.get_contents(&mut aad_storage);
    let text = text.get_contents(&mut text_storage);
    let lengths = [aad.len() as u64, text.len() as u64];
    let Some(sum) = ghash(&aes, &[aad, text], lengths, &halted) else { return };
    write_tag(scope, &args, 4, &aes, j0, &sum);
}

/// `aesGcmAbsorb(key, state, blocks)`: carries a running GHASH (`state`, 16 bytes, updated in
/// place) over whole blocks. GHASH is linear, so going on from a state is hashing afresh with
/// the state added into the first block: a stream's tag needs only its 16 bytes between calls.
fn aes_gcm_absorb(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(state) = view(scope, args.get(1)) else { return };
    let Some(blocks) = view(scope, args.get(2)) else { return };
    if state.byte_length() != BLOCK || blocks.byte_length() % BLOCK != 0 {
        return throw_range_error(scope, "GHASH takes a 16-byte state and whole blocks");
    }
    let halted = stop_check(scope);
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let data = blocks.get_contents(&mut storage);
    let mut hash = ghash_under(&aes);
    let mut running = [0u8; BLOCK];
    running.copy_from_slice(bytes_mut(scope, state));
    let mut first = true;
    for piece in data.chunks(CHUNK) {
        if halted() {
            return;
        }
        for block in piece.chunks_exact(BLOCK) {
            let mut block: [u8; BLOCK] = block.try_into().unwrap_or_default();
            if first {
                block.iter_mut().zip(&running).for_each(|(b, r)| *b ^= r);
                first = false;
            }
            hash.update(&[block.into()]);
        }
    }
    if !first {
        running = hash.finalize().into();
    }
    bytes_mut(scope, state).copy_from_slice(&running);
}

/// `aesGcmFinish(key, j0, state, aadLength, textLength, out)`: the 16-byte tag from a running
/// GHASH that has absorbed the padded AAD and text (`aesGcmAbsorb`).
fn aes_gcm_finish(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(aes) = cipher_of(scope, &args) else { return };
    let Some(j0) = owned_bytes(scope, args.get(1)) else { return };
    let Some(state) = owned_bytes(scope, args.get(2)) else { return };
    if j0.len() != BLOCK || state.len() != BLOCK {
        return throw_range_error(scope, "Invalid initialization vector");
    }
    let length = |at| index_arg(args.get(at), usize::MAX) as u64;
    // The closing block goes on from the running state, as `aesGcmAbsorb` does.
    let mut closing = length_block([length(3), length(4)]);
    closing.iter_mut().zip(&state).for_each(|(c, s)| *c ^= s);
    let mut hash = ghash_under(&aes);
    hash.update(&[closing.into()]);
    let sum: [u8; BLOCK] = hash.finalize().into();
    write_tag(scope, &args, 5, &aes, j0, &sum);
}
