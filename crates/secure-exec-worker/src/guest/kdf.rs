//! Key derivation for `crypto.pbkdf2` and `crypto.hkdf`: RustCrypto's HMAC, run under the
//! session's stop checks, so that a guest asking for a billion iterations still stops at its
//! CPU limit instead of holding its thread in native code.

use hmac::{Mac, SimpleHmac};
use sha1::Digest;
use sha1::digest::core_api::BlockSizeUser;

use super::set_function;
use super::web::{bytes_mut, stop_check, throw_type_error, view};

/// HMAC rounds between two looks at whether the session was stopped (well under a
/// millisecond of work).
const CHECK_EVERY: u32 = 1024;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "pbkdf2", pbkdf2);
    set_function(scope, natives, "hkdf", hkdf);
}

/// The bytes of a typed array or DataView argument, copied; `None` (TypeError thrown) if it is
/// not one.
fn owned_bytes(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'_, v8::Value>,
) -> Option<Vec<u8>> {
    let view = view(scope, value)?;
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    Some(view.get_contents(&mut storage).to_vec())
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
