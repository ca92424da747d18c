//! Elliptic-curve Diffie-Hellman on raw keys for `crypto.createECDH`, on P-256, P-384 and
//! secp256k1 (RustCrypto's `p256`, `p384`, `k256`), and X25519's shared secret
//! (`curve25519-dalek`), which `keys.rs`'s `keyAgree` uses for `crypto.diffieHellman` and Web
//! Crypto's X25519 over parsed keys.
//!
//! Keys cross as raw bytes, a private scalar and a SEC 1 public point, which `node.js` keeps
//! (an `ECDH` object's state is the guest's); every native parses them again. Points are read
//! in all three of SEC 1's forms (compressed, uncompressed, and OpenSSL's hybrid) and written
//! in the one asked for.

use std::borrow::Cow;

use ::p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};

use super::host::{ErrorClass, throw_coded_as};
use super::keys::{Failure, KernelRng, answer, throw};
use super::set_function;
use super::web::owned_bytes;

/// A point's SEC 1 form, by Node's names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Uncompressed,
    Compressed,
    Hybrid,
}

impl Form {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "" | "uncompressed" => Self::Uncompressed,
            "compressed" => Self::Compressed,
            "hybrid" => Self::Hybrid,
            _ => return None,
        })
    }
}

const INVALID_PUBLIC: Failure = Failure {
    class: ErrorClass::Error,
    code: "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY",
    message: Cow::Borrowed("Public key is not valid for specified curve"),
};
const INVALID_PRIVATE: Failure = Failure {
    class: ErrorClass::RangeError,
    code: "ERR_CRYPTO_INVALID_KEYTYPE",
    message: Cow::Borrowed("Private key is not valid for specified curve."),
};
const INVALID_CURVE: Failure = Failure {
    class: ErrorClass::TypeError,
    code: "ERR_CRYPTO_INVALID_CURVE",
    message: Cow::Borrowed("Invalid EC curve name"),
};

/// OpenSSL's hybrid form is the uncompressed point with the compressed form's parity in its
/// first byte (6 or 7); read as uncompressed once that parity is checked.
fn unhybrid(point: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Failure> {
    match point.first() {
        Some(&tag @ (6 | 7)) => {
            let odd = point.last().is_some_and(|y| y & 1 == 1);
            if odd != (tag == 7) {
                return Err(INVALID_PUBLIC);
            }
            let mut plain = point.to_vec();
            plain[0] = 4;
            Ok(plain.into())
        }
        _ => Ok(point.into()),
    }
}

/// `point` written in `form`.
fn encode(uncompressed: &[u8], compressed: &[u8], form: Form) -> Vec<u8> {
    match form {
        Form::Uncompressed => uncompressed.to_vec(),
        Form::Compressed => compressed.to_vec(),
        Form::Hybrid => {
            let mut out = uncompressed.to_vec();
            if let (Some(first), Some(&parity)) = (out.first_mut(), compressed.first()) {
                // The compressed form's tag is 2 for an even y, 3 for an odd one.
                *first = parity + 4;
            }
            out
        }
    }
}

/// The operations over one curve's crate.
macro_rules! curve_ops {
    ($module:ident, $curve:ident) => {
        mod $module {
            use super::*;
            use ::$curve::{PublicKey, SecretKey};

            fn public(point: &[u8]) -> Result<PublicKey, Failure> {
                let point = unhybrid(point)?;
                let encoded =
                    ::$curve::EncodedPoint::from_bytes(&point).map_err(|_| INVALID_PUBLIC)?;
                Option::from(PublicKey::from_encoded_point(&encoded)).ok_or(INVALID_PUBLIC)
            }

            fn secret(scalar: &[u8]) -> Result<SecretKey, Failure> {
                SecretKey::from_slice(scalar).map_err(|_| INVALID_PRIVATE)
            }

            fn written(key: &PublicKey, form: Form) -> Vec<u8> {
                let uncompressed = key.to_encoded_point(false);
                let compressed = key.to_encoded_point(true);
                encode(uncompressed.as_bytes(), compressed.as_bytes(), form)
            }

            pub(super) fn generate() -> Vec<u8> {
                SecretKey::random(&mut KernelRng).to_bytes().to_vec()
            }

            pub(super) fn public_of(scalar: &[u8], form: Form) -> Result<Vec<u8>, Failure> {
                Ok(written(&secret(scalar)?.public_key(), form))
            }

            pub(super) fn shared(scalar: &[u8], point: &[u8]) -> Result<Vec<u8>, Failure> {
                let secret = secret(scalar)?;
                let public = public(point)?;
                let shared =
                    ::$curve::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
                Ok(shared.raw_secret_bytes().to_vec())
            }

            pub(super) fn convert(point: &[u8], form: Form) -> Result<Vec<u8>, Failure> {
                Ok(written(&public(point)?, form))
            }
        }
    };
}

curve_ops!(on_p256, p256);
curve_ops!(on_p384, p384);
curve_ops!(on_k256, k256);

#[derive(Clone, Copy)]
enum Curve {
    P256,
    P384,
    K256,
}

impl Curve {
    /// OpenSSL's short names, as `createECDH` takes them.
    fn named(name: &str) -> Result<Self, Failure> {
        match name {
            "prime256v1" => Ok(Self::P256),
            "secp384r1" => Ok(Self::P384),
            "secp256k1" => Ok(Self::K256),
            _ => Err(INVALID_CURVE),
        }
    }

    fn generate(self) -> Vec<u8> {
        match self {
            Self::P256 => on_p256::generate(),
            Self::P384 => on_p384::generate(),
            Self::K256 => on_k256::generate(),
        }
    }

    fn public_of(self, scalar: &[u8], form: Form) -> Result<Vec<u8>, Failure> {
        match self {
            Self::P256 => on_p256::public_of(scalar, form),
            Self::P384 => on_p384::public_of(scalar, form),
            Self::K256 => on_k256::public_of(scalar, form),
        }
    }

    fn shared(self, scalar: &[u8], point: &[u8]) -> Result<Vec<u8>, Failure> {
        match self {
            Self::P256 => on_p256::shared(scalar, point),
            Self::P384 => on_p384::shared(scalar, point),
            Self::K256 => on_k256::shared(scalar, point),
        }
    }

    fn convert(self, point: &[u8], form: Form) -> Result<Vec<u8>, Failure> {
        match self {
            Self::P256 => on_p256::convert(point, form),
            Self::P384 => on_p384::convert(point, form),
            Self::K256 => on_k256::convert(point, form),
        }
    }
}

// ------------------------------------------------------------------------------ natives

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "ecdhGenerate", ecdh_generate);
    set_function(scope, natives, "ecdhPublic", ecdh_public);
    set_function(scope, natives, "ecdhSecret", ecdh_secret);
    set_function(scope, natives, "ecdhConvert", ecdh_convert);
}

fn curve_arg(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
) -> Option<Curve> {
    let name = args.get(0).to_rust_string_lossy(scope);
    Curve::named(&name).map_err(|failure| throw(scope, failure)).ok()
}

/// The point form in `args[at]`: undefined for uncompressed.
fn form_arg(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    at: i32,
) -> Option<Form> {
    let value = args.get(at);
    let name = if value.is_undefined() { String::new() } else { value.to_rust_string_lossy(scope) };
    let form = Form::named(&name);
    if form.is_none() {
        let message = format!("Invalid ECDH format: {name}");
        throw_coded_as(scope, ErrorClass::TypeError, "ERR_CRYPTO_ECDH_INVALID_FORMAT", &message);
    }
    form
}

/// `ecdhGenerate(curve)`: a new private scalar.
fn ecdh_generate(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(curve) = curve_arg(scope, &args) else { return };
    answer(scope, &mut rv, Ok(curve.generate()));
}

/// `ecdhPublic(curve, scalar, form)`: the public point of a private scalar.
fn ecdh_public(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(curve) = curve_arg(scope, &args) else { return };
    let Some(scalar) = owned_bytes(scope, args.get(1)) else { return };
    let Some(form) = form_arg(scope, &args, 2) else { return };
    answer(scope, &mut rv, curve.public_of(&scalar, form));
}

/// `ecdhSecret(curve, scalar, point)`: the shared secret, the x coordinate of the product.
fn ecdh_secret(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(curve) = curve_arg(scope, &args) else { return };
    let Some(scalar) = owned_bytes(scope, args.get(1)) else { return };
    let Some(point) = owned_bytes(scope, args.get(2)) else { return };
    answer(scope, &mut rv, curve.shared(&scalar, &point));
}

/// `ecdhConvert(curve, point, form)`: a public point in another form.
fn ecdh_convert(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(curve) = curve_arg(scope, &args) else { return };
    let Some(point) = owned_bytes(scope, args.get(1)) else { return };
    let Some(form) = form_arg(scope, &args, 2) else { return };
    answer(scope, &mut rv, curve.convert(&point, form));
}

/// X25519's shared secret of RFC 7748, refused (as OpenSSL refuses it) when it is all zeros,
/// which a public key of small order gives.
pub(super) fn x25519_shared(secret: [u8; 32], public: [u8; 32]) -> Result<Vec<u8>, Failure> {
    let shared = curve25519_dalek::MontgomeryPoint(public).mul_clamped(secret).to_bytes();
    if shared.iter().all(|&b| b == 0) {
        return Err(Failure {
            class: ErrorClass::Error,
            code: "ERR_OSSL_FAILED_DURING_DERIVATION",
            message: Cow::Borrowed("error:1C8000A4:Provider routines::failed during derivation"),
        });
    }
    Ok(shared.to_vec())
}
