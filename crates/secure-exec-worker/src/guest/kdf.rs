//! HMAC (`crypto.createHmac`, Web Crypto's HMAC) and key derivation for `crypto.pbkdf2`,
//! `crypto.hkdf` and `crypto.scrypt`: RustCrypto's HMAC,
//! and scrypt's memory-hard mixing (RFC 7914) written out here, all run under the session's
//! stop checks, so that a guest asking for a billion iterations still stops at its CPU limit
//! instead of holding its thread in native code (the `scrypt` crate offers no such hook).

use hmac::{Mac, SimpleHmac};
use sha1::Digest;
use sha1::digest::core_api::BlockSizeUser;

use super::set_function;
use super::web::{bytes_mut, owned_bytes, stop_check, throw_range_error, throw_type_error, view};

/// HMAC rounds between two looks at whether the session was stopped (well under a
/// millisecond of work).
const CHECK_EVERY: u32 = 1024;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "hmac", hmac);
    set_function(scope, natives, "pbkdf2", pbkdf2);
    set_function(scope, natives, "hkdf", hkdf);
    set_function(scope, natives, "scrypt", scrypt);
}

/// Runs `$body` with `$d` bound to the digest type named by `$name` (as `crypto.getHashes()`
/// spells them); throws a TypeError for any other name.
macro_rules! with_digest {
    ($scope:expr, $name:expr, $d:ident => $body:expr) => {
        match $name {
            "md5" => {
                type $d = md5::Md5;
                $body
            }
            "sha1" => {
                type $d = sha1::Sha1;
                $body
            }
            "sha224" => {
                type $d = sha2::Sha224;
                $body
            }
            "sha256" => {
                type $d = sha2::Sha256;
                $body
            }
            "sha384" => {
                type $d = sha2::Sha384;
                $body
            }
            "sha512" => {
                type $d = sha2::Sha512;
                $body
            }
            other => return throw_type_error($scope, &format!("Invalid digest: {other}")),
        }
    };
}

/// `hmac(digest, key, data, out)`: fills `out` with the HMAC of `data`, read where it is, a
/// megabyte at a time between looks at whether the session was stopped.
fn hmac(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let digest = args.get(0).to_rust_string_lossy(scope);
    let Some(key) = owned_bytes(scope, args.get(1)) else { return };
    let Some(data) = view(scope, args.get(2)) else { return };
    let Some(out) = view(scope, args.get(3)) else { return };
    let halted = stop_check(scope);
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let data = data.get_contents(&mut storage);
    let mac = with_digest!(scope, digest.as_str(), D => hmac_with::<D>(&key, data, &halted));
    // Stopped: the session's termination takes over.
    let Some(mac) = mac else { return };
    let target = bytes_mut(scope, out);
    if target.len() != mac.len() {
        return throw_range_error(scope, "HMAC output of the wrong size");
    }
    target.copy_from_slice(&mac);
}

fn hmac_with<D>(key: &[u8], data: &[u8], halted: &dyn Fn() -> bool) -> Option<Vec<u8>>
where
    D: Digest + BlockSizeUser + Clone,
{
    // HMAC takes a key of any length.
    let mut mac = SimpleHmac::<D>::new_from_slice(key).ok()?;
    for piece in data.chunks(1024 * 1024) {
        if halted() {
            return None;
        }
        mac.update(piece);
    }
    Some(mac.finalize().into_bytes().to_vec())
}

/// `pbkdf2(digest, password, salt, iterations, out)`: fills `out` with PBKDF2 (RFC 8018).
/// Returns nothing; a stopped session leaves `out` untouched and its termination takes over.
fn pbkdf2(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let digest = args.get(0).to_rust_string_lossy(scope);
    let Some(password) = owned_bytes(scope, args.get(1)) else { return };
    let Some(salt) = owned_bytes(scope, args.get(2)) else { return };
    let Some(iterations) = args.get(3).uint32_value(scope) else { return };
    let Some(out) = view(scope, args.get(4)) else { return };
    let halted = stop_check(scope);
    let mut key = vec![0u8; out.byte_length()];
    let finished = with_digest!(scope, digest.as_str(), D => {
        pbkdf2_with::<D>(&password, &salt, iterations.max(1), &mut key, &halted)
    });
    if finished {
        bytes_mut(scope, out).copy_from_slice(&key);
    }
}

fn pbkdf2_with<D>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    halted: &dyn Fn() -> bool,
) -> bool
where
    D: Digest + BlockSizeUser + Clone,
{
    // HMAC takes a key of any length.
    let Ok(prf) = SimpleHmac::<D>::new_from_slice(password) else { return false };
    let size = <D as Digest>::output_size();
    for (index, block) in out.chunks_mut(size).enumerate() {
        let Ok(number) = u32::try_from(index + 1) else { return false };
        let mut mac = prf.clone();
        mac.update(salt);
        mac.update(&number.to_be_bytes());
        let mut u = mac.finalize().into_bytes();
        let mut t = u.clone();
        for round in 1..iterations {
            if round % CHECK_EVERY == 0 && halted() {
                return false;
            }
            let mut mac = prf.clone();
            mac.update(&u);
            u = mac.finalize().into_bytes();
            for (acc, byte) in t.iter_mut().zip(u.iter()) {
                *acc ^= byte;
            }
        }
        block.copy_from_slice(&t[..block.len()]);
    }
    true
}

/// `hkdf(digest, key, salt, info, out)`: fills `out` with HKDF (RFC 5869). `node.js` checks
/// the lengths first (at most 255 digests of output, 1024 bytes of info), as Node does.
fn hkdf(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let digest = args.get(0).to_rust_string_lossy(scope);
    let Some(key) = owned_bytes(scope, args.get(1)) else { return };
    let Some(salt) = owned_bytes(scope, args.get(2)) else { return };
    let Some(info) = owned_bytes(scope, args.get(3)) else { return };
    let Some(out) = view(scope, args.get(4)) else { return };
    let mut okm = vec![0u8; out.byte_length()];
    let expanded = with_digest!(scope, digest.as_str(), D => {
        hkdf::SimpleHkdf::<D>::new(Some(&salt), &key).expand(&info, &mut okm).is_ok()
    });
    if !expanded {
        return throw_type_error(scope, "Invalid key length");
    }
    bytes_mut(scope, out).copy_from_slice(&okm);
}

/// `scrypt(password, salt, n, r, p, out)`: fills `out` with scrypt (RFC 7914). `node.js` checks
/// the parameters and `maxmem` first, as Node does; the working memory is checked against the
/// session's memory budget here.
fn scrypt(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(password) = owned_bytes(scope, args.get(0)) else { return };
    let Some(salt) = owned_bytes(scope, args.get(1)) else { return };
    let n = args.get(2).integer_value(scope).and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    let r = args.get(3).uint32_value(scope).and_then(|r| usize::try_from(r).ok()).unwrap_or(0);
    let p = args.get(4).uint32_value(scope).and_then(|p| usize::try_from(p).ok()).unwrap_or(0);
    let Some(out) = view(scope, args.get(5)) else { return };
    if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
        return throw_type_error(scope, "Invalid scrypt params");
    }
    let Some(block) = r.checked_mul(128) else {
        return throw_type_error(scope, "Invalid scrypt params");
    };
    let Some(memory) = block.checked_mul(n.saturating_add(p)) else {
        return throw_type_error(scope, "Invalid scrypt params");
    };
    if !super::web::admit_bytes(scope, memory) {
        // Stopped with ERR_MEMORY_LIMIT; the termination takes over.
        return;
    }
    let halted = stop_check(scope);
    let mut blocks = vec![0u8; block * p];
    if !pbkdf2_with::<sha2::Sha256>(&password, &salt, 1, &mut blocks, &halted) {
        return;
    }
    let mut scratch = vec![0u32; block / 4 * n];
    for chunk in blocks.chunks_mut(block) {
        if !romix(chunk, n, r, &mut scratch, &halted) {
            return;
        }
    }
    let mut key = vec![0u8; out.byte_length()];
    if pbkdf2_with::<sha2::Sha256>(&password, &blocks, 1, &mut key, &halted) {
        bytes_mut(scope, out).copy_from_slice(&key);
    }
}

/// scryptROMix over one block of `128 * r` bytes, in place; false if the session was stopped.
fn romix(
    block: &mut [u8],
    n: usize,
    r: usize,
    table: &mut [u32],
    halted: &dyn Fn() -> bool,
) -> bool {
    let words = 32 * r;
    let mut x: Vec<u32> =
        block.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
    let mut y = vec![0u32; words];
    for (i, slot) in table.chunks_exact_mut(words).enumerate() {
        if i % 1024 == 1023 && halted() {
            return false;
        }
        slot.copy_from_slice(&x);
        block_mix(&x, &mut y, r);
        std::mem::swap(&mut x, &mut y);
    }
    for i in 0..n {
        if i % 1024 == 1023 && halted() {
            return false;
        }
        // Integerify: the first 64 bits of the last 64-byte piece, little-endian; `n` is a
        // power of two that fits in usize, so masking takes it modulo `n`.
        let last = (2 * r - 1) * 16;
        let j = ((u64::from(x[last + 1]) << 32 | u64::from(x[last])) & (n as u64 - 1)) as usize;
        for (a, b) in x.iter_mut().zip(&table[j * words..(j + 1) * words]) {
            *a ^= b;
        }
        block_mix(&x, &mut y, r);
        std::mem::swap(&mut x, &mut y);
    }
    for (bytes, word) in block.chunks_exact_mut(4).zip(&x) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    true
}

/// scryptBlockMix: Salsa20/8 over the 64-byte pieces of `input`, the even results first.
fn block_mix(input: &[u32], output: &mut [u32], r: usize) {
    let mut x = [0u32; 16];
    x.copy_from_slice(&input[(2 * r - 1) * 16..2 * r * 16]);
    for i in 0..2 * r {
        for (a, b) in x.iter_mut().zip(&input[i * 16..(i + 1) * 16]) {
            *a ^= b;
        }
        salsa20_8(&mut x);
        let at = if i % 2 == 0 { i / 2 } else { r + i / 2 };
        output[at * 16..(at + 1) * 16].copy_from_slice(&x);
    }
}

/// The Salsa20/8 core (RFC 7914, section 3).
fn salsa20_8(block: &mut [u32; 16]) {
    let mut x = *block;
    macro_rules! quarter {
        ($a:expr, $b:expr, $c:expr, $d:expr) => {
            x[$b] ^= x[$a].wrapping_add(x[$d]).rotate_left(7);
            x[$c] ^= x[$b].wrapping_add(x[$a]).rotate_left(9);
            x[$d] ^= x[$c].wrapping_add(x[$b]).rotate_left(13);
            x[$a] ^= x[$d].wrapping_add(x[$c]).rotate_left(18);
        };
    }
    for _ in 0..4 {
        // Columns, then rows.
        quarter!(0, 4, 8, 12);
        quarter!(5, 9, 13, 1);
        quarter!(10, 14, 2, 6);
        quarter!(15, 3, 7, 11);
        quarter!(0, 1, 2, 3);
        quarter!(5, 6, 7, 4);
        quarter!(10, 11, 8, 9);
        quarter!(15, 12, 13, 14);
    }
    for (out, mixed) in block.iter_mut().zip(x) {
        *out = out.wrapping_add(mixed);
    }
}
