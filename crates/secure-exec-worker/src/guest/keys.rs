//! Asymmetric keys for `crypto`: RSA, ECDSA over P-256 and P-384, and Ed25519 (RustCrypto's
//! `rsa`, `p256`, `p384`, `ed25519-dalek`): reading keys in Node's formats, writing them out,
//! signing, verifying, making key pairs, RSA encryption, and key agreement (ECDH and X25519)
//! between two keys.
//!
//! A key crosses into the guest as DER in one canonical form, PKCS #8 for a private key and
//! SubjectPublicKeyInfo for a public one, which `node.js` keeps inside a `KeyObject`; every
//! native takes it back in that form and parses it again, so no key state lives here between
//! calls. JWK's base64url and the choice of formats are `node.js`'s; the bytes are Rust's.
//!
//! Signing and verifying a message are bounded by the message, which the session already
//! holds. RSA key generation, which takes seconds at 4096 bits, looks between candidate primes
//! at whether the session was stopped, so a CPU limit or a cancel ends it there; it is refused
//! past 4096 bits.

use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::pkcs8::der::asn1::ObjectIdentifier;
use rsa::pkcs8::der::{Decode, pem};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
    PrivateKeyInfo, SubjectPublicKeyInfoRef,
};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha2::Digest as _;

use std::borrow::Cow;

use super::host::{ErrorClass, throw_coded_as};
use super::web::{owned_bytes, small_bytes_value, stop_check, throw_type_error};
use super::{new_string, set_function};

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
/// RFC 8410's fixed DER around an X25519 key's 32 bytes: PKCS #8 (the private key an OCTET
/// STRING inside the OCTET STRING) and SubjectPublicKeyInfo.
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];
const X25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00];

/// The largest RSA key the worker generates.
const MAX_RSA_GENERATE_BITS: usize = 4096;
/// The largest RSA modulus the worker reads: one private-key operation on it takes about
/// 0.2 s here, and cannot be interrupted (OpenSSL would take up to 16384 bits, 1.5 s).
const MAX_RSA_BITS: usize = 8192;

/// A failure of a crypto native, thrown to the guest as `class` with Node's (OpenSSL's) code.
pub(super) struct Failure {
    pub(super) class: ErrorClass,
    pub(super) code: &'static str,
    pub(super) message: Cow<'static, str>,
}

/// A failure thrown as a plain `Error`, as most of OpenSSL's are.
fn fail(code: &'static str, message: impl Into<Cow<'static, str>>) -> Failure {
    Failure { class: ErrorClass::Error, code, message: message.into() }
}

fn unsupported() -> Failure {
    fail("ERR_OSSL_UNSUPPORTED", "error:1E08010C:DECODER routines::unsupported")
}

fn bad_key<E>(_: E) -> Failure {
    unsupported()
}

/// A parsed key.
enum Key {
    RsaPrivate(Box<RsaPrivateKey>),
    RsaPublic(RsaPublicKey),
    P256Private(p256::SecretKey),
    P256Public(p256::PublicKey),
    P384Private(p384::SecretKey),
    P384Public(p384::PublicKey),
    Ed25519Private(Box<ed25519_dalek::SigningKey>),
    Ed25519Public(ed25519_dalek::VerifyingKey),
    /// X25519's secret scalar bytes (clamped when used) and public u-coordinate.
    X25519Private(Box<[u8; 32]>),
    X25519Public([u8; 32]),
}

/// X25519's public key of a secret: the base point times the clamped scalar.
fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    curve25519_dalek::MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

impl Key {
    fn from_pkcs8(der: &[u8]) -> Result<Self, Failure> {
        let info = PrivateKeyInfo::from_der(der).map_err(bad_key)?;
        let oid = info.algorithm.oid;
        let curve = info.algorithm.parameters_oid().ok();
        Ok(match (oid, curve) {
            (RSA, _) => Self::rsa_private(RsaPrivateKey::from_pkcs8_der(der).map_err(bad_key)?)?,
            (EC, Some(P256)) => {
                Self::P256Private(p256::SecretKey::from_pkcs8_der(der).map_err(bad_key)?)
            }
            (EC, Some(P384)) => {
                Self::P384Private(p384::SecretKey::from_pkcs8_der(der).map_err(bad_key)?)
            }
            (ED25519, _) => Self::Ed25519Private(Box::new(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(bad_key)?,
            )),
            // CurvePrivateKey: an OCTET STRING of the 32 bytes.
            (X25519, _) => match info.private_key {
                [0x04, 0x20, rest @ ..] => {
                    Self::X25519Private(Box::new(rest.try_into().map_err(bad_key)?))
                }
                _ => return Err(bad_key(())),
            },
            _ => return Err(unsupported()),
        })
    }

    fn from_spki(der: &[u8]) -> Result<Self, Failure> {
        let info = SubjectPublicKeyInfoRef::from_der(der).map_err(bad_key)?;
        let curve = info.algorithm.parameters_oid().ok();
        Ok(match (info.algorithm.oid, curve) {
            (RSA, _) => Self::rsa_public(RsaPublicKey::from_public_key_der(der).map_err(bad_key)?)?,
            (EC, Some(P256)) => {
                Self::P256Public(p256::PublicKey::from_public_key_der(der).map_err(bad_key)?)
            }
            (EC, Some(P384)) => {
                Self::P384Public(p384::PublicKey::from_public_key_der(der).map_err(bad_key)?)
            }
            (ED25519, _) => Self::Ed25519Public(
                ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(bad_key)?,
            ),
            (X25519, _) => {
                let bytes = info.subject_public_key.as_bytes().ok_or_else(|| bad_key(()))?;
                Self::X25519Public(bytes.try_into().map_err(bad_key)?)
            }
            _ => return Err(unsupported()),
        })
    }

    /// SEC 1 `ECPrivateKey`: the curve is named inside it.
    fn from_sec1(der: &[u8]) -> Result<Self, Failure> {
        if let Ok(key) = p256::SecretKey::from_sec1_der(der) {
            return Ok(Self::P256Private(key));
        }
        p384::SecretKey::from_sec1_der(der).map(Self::P384Private).map_err(bad_key)
    }

    fn rsa_private(key: RsaPrivateKey) -> Result<Self, Failure> {
        if key.n().bits() > MAX_RSA_BITS {
            return Err(unsupported());
        }
        Ok(Self::RsaPrivate(Box::new(key)))
    }

    fn rsa_public(key: RsaPublicKey) -> Result<Self, Failure> {
        if key.n().bits() > MAX_RSA_BITS {
            return Err(unsupported());
        }
        Ok(Self::RsaPublic(key))
    }

    /// Reads `bytes` in `format` ("pem" or "der") of `kind` ("pkcs8", "spki", "pkcs1",
    /// "sec1"; for PEM the label decides). A private key read for a public one gives its
    /// public half.
    fn read(bytes: &[u8], format: &str, kind: &str, private: bool) -> Result<Self, Failure> {
        let (label, der) = if format == "pem" {
            let (label, der) = pem::decode_vec(bytes).map_err(|_| {
                fail("ERR_OSSL_UNSUPPORTED", "error:1E08010C:DECODER routines::unsupported")
            })?;
            (label.to_owned(), der)
        } else {
            let label = match kind {
                "pkcs8" => "PRIVATE KEY",
                "spki" => "PUBLIC KEY",
                "pkcs1" if private => "RSA PRIVATE KEY",
                "pkcs1" => "RSA PUBLIC KEY",
                "sec1" => "EC PRIVATE KEY",
                _ => return Err(unsupported()),
            };
            (label.to_owned(), bytes.to_vec())
        };
        let key = match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8(&der)?,
            "RSA PRIVATE KEY" => {
                Self::rsa_private(RsaPrivateKey::from_pkcs1_der(&der).map_err(bad_key)?)?
            }
            "EC PRIVATE KEY" => Self::from_sec1(&der)?,
            "PUBLIC KEY" if !private => Self::from_spki(&der)?,
            "RSA PUBLIC KEY" if !private => {
                Self::rsa_public(RsaPublicKey::from_pkcs1_der(&der).map_err(bad_key)?)?
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(fail(
                    "ERR_NOT_SUPPORTED",
                    "encrypted private keys (a passphrase) are not supported in secure-exec",
                ));
            }
            // A certificate's subject key, as OpenSSL reads one for a public key (JWT libraries
            // verify against the certificates an issuer publishes).
            "CERTIFICATE" if !private => {
                use rsa::pkcs8::der::Encode as _;
                let certificate = x509_cert::Certificate::from_der(&der).map_err(bad_key)?;
                let spki = certificate
                    .tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .map_err(bad_key)?;
                Self::from_spki(&spki)?
            }
            _ => return Err(unsupported()),
        };
        Ok(if private { key } else { key.public() })
    }

    fn public(self) -> Self {
        match self {
            Self::RsaPrivate(key) => Self::RsaPublic(key.to_public_key()),
            Self::P256Private(key) => Self::P256Public(key.public_key()),
            Self::P384Private(key) => Self::P384Public(key.public_key()),
            Self::Ed25519Private(key) => Self::Ed25519Public(key.verifying_key()),
            Self::X25519Private(secret) => Self::X25519Public(x25519_public(&secret)),
            public => public,
        }
    }

    fn is_private(&self) -> bool {
        matches!(
            self,
            Self::RsaPrivate(_)
                | Self::P256Private(_)
                | Self::P384Private(_)
                | Self::Ed25519Private(_)
                | Self::X25519Private(_)
        )
    }

    /// The canonical DER: PKCS #8 or SubjectPublicKeyInfo.
    fn canonical(&self) -> Result<Vec<u8>, Failure> {
        let private = |doc: Result<rsa::pkcs8::SecretDocument, rsa::pkcs8::Error>| {
            doc.map(|doc| doc.as_bytes().to_vec()).map_err(bad_key)
        };
        let public = |doc: Result<rsa::pkcs8::Document, rsa::pkcs8::spki::Error>| {
            doc.map(|doc| doc.as_bytes().to_vec()).map_err(bad_key)
        };
        match self {
            Self::RsaPrivate(key) => private(key.to_pkcs8_der()),
            Self::RsaPublic(key) => public(key.to_public_key_der()),
            Self::P256Private(key) => private(key.to_pkcs8_der()),
            Self::P256Public(key) => public(key.to_public_key_der()),
            Self::P384Private(key) => private(key.to_pkcs8_der()),
            Self::P384Public(key) => public(key.to_public_key_der()),
            Self::Ed25519Private(key) => private(key.to_pkcs8_der()),
            Self::Ed25519Public(key) => public(key.to_public_key_der()),
            Self::X25519Private(secret) => Ok([&X25519_PKCS8_PREFIX[..], &secret[..]].concat()),
            Self::X25519Public(point) => Ok([&X25519_SPKI_PREFIX[..], &point[..]].concat()),
        }
    }

    /// The key written as `kind` ("pkcs8", "spki", "pkcs1", "sec1"), DER.
    fn write(&self, kind: &str) -> Result<(Vec<u8>, &'static str), Failure> {
        let wrong = || {
            fail(
                "ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS",
                format!("The selected key encoding {kind} can only be used for another key type."),
            )
        };
        Ok(match (kind, self) {
            ("pkcs8", key) if key.is_private() => (key.canonical()?, "PRIVATE KEY"),
            ("spki", key) if !key.is_private() => (key.canonical()?, "PUBLIC KEY"),
            ("pkcs1", Self::RsaPrivate(key)) => {
                (key.to_pkcs1_der().map_err(bad_key)?.as_bytes().to_vec(), "RSA PRIVATE KEY")
            }
            ("pkcs1", Self::RsaPublic(key)) => {
                (key.to_pkcs1_der().map_err(bad_key)?.as_bytes().to_vec(), "RSA PUBLIC KEY")
            }
            ("sec1", Self::P256Private(key)) => {
                (key.to_sec1_der().map_err(bad_key)?.to_vec(), "EC PRIVATE KEY")
            }
            ("sec1", Self::P384Private(key)) => {
                (key.to_sec1_der().map_err(bad_key)?.to_vec(), "EC PRIVATE KEY")
            }
            _ => return Err(wrong()),
        })
    }

    /// `[asymmetricKeyType, detail...]`: RSA's modulus length and public exponent (bytes),
    /// EC's curve.
    fn describe(&self) -> (&'static str, Vec<Detail>) {
        match self {
            Self::RsaPrivate(key) => rsa_details(key.n(), key.e()),
            Self::RsaPublic(key) => rsa_details(key.n(), key.e()),
            Self::P256Private(_) | Self::P256Public(_) => ("ec", vec![Detail::Text("prime256v1")]),
            Self::P384Private(_) | Self::P384Public(_) => ("ec", vec![Detail::Text("secp384r1")]),
            Self::Ed25519Private(_) | Self::Ed25519Public(_) => ("ed25519", Vec::new()),
            Self::X25519Private(_) | Self::X25519Public(_) => ("x25519", Vec::new()),
        }
    }

    /// JWK's members as raw bytes (`node.js` base64url-encodes them), in JWK's names.
    fn jwk_parts(&self) -> Vec<(&'static str, Vec<u8>)> {
        let ec = |point: Vec<u8>, half: usize| {
            // Uncompressed SEC 1: 0x04, x, y.
            let x = point.get(1..1 + half).unwrap_or_default().to_vec();
            let y = point.get(1 + half..).unwrap_or_default().to_vec();
            vec![("x", x), ("y", y)]
        };
        match self {
            Self::RsaPublic(key) => {
                vec![("n", key.n().to_bytes_be()), ("e", key.e().to_bytes_be())]
            }
            Self::RsaPrivate(key) => {
                let mut parts = vec![
                    ("n", key.n().to_bytes_be()),
                    ("e", key.e().to_bytes_be()),
                    ("d", key.d().to_bytes_be()),
                ];
                if let [p, q] = key.primes() {
                    parts.push(("p", p.to_bytes_be()));
                    parts.push(("q", q.to_bytes_be()));
                }
                if let (Some(dp), Some(dq), Some(qi)) = (key.dp(), key.dq(), key.crt_coefficient())
                {
                    parts.push(("dp", dp.to_bytes_be()));
                    parts.push(("dq", dq.to_bytes_be()));
                    parts.push(("qi", qi.to_bytes_be()));
                }
                parts
            }
            Self::P256Public(key) => ec(key.to_sec1_bytes().to_vec(), 32),
            Self::P384Public(key) => ec(key.to_sec1_bytes().to_vec(), 48),
            Self::P256Private(key) => {
                let mut parts = ec(key.public_key().to_sec1_bytes().to_vec(), 32);
                parts.push(("d", key.to_bytes().to_vec()));
                parts
            }
            Self::P384Private(key) => {
                let mut parts = ec(key.public_key().to_sec1_bytes().to_vec(), 48);
                parts.push(("d", key.to_bytes().to_vec()));
                parts
            }
            Self::Ed25519Public(key) => vec![("x", key.to_bytes().to_vec())],
            Self::Ed25519Private(key) => {
                vec![("x", key.verifying_key().to_bytes().to_vec()), ("d", key.to_bytes().to_vec())]
            }
            Self::X25519Public(point) => vec![("x", point.to_vec())],
            Self::X25519Private(secret) => {
                vec![("x", x25519_public(secret).to_vec()), ("d", secret.to_vec())]
            }
        }
    }

    /// A key from JWK members (already base64url-decoded by `node.js`).
    fn from_jwk(
        kty: &str,
        crv: &str,
        part: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Self, Failure> {
        let invalid = || fail("ERR_CRYPTO_INVALID_JWK", "Invalid JWK data");
        let need = |name: &str| part(name).ok_or_else(invalid);
        let big = |name: &str| need(name).map(|bytes| BigUint::from_bytes_be(&bytes));
        match (kty, crv) {
            ("RSA", _) => {
                let (n, e) = (big("n")?, big("e")?);
                if part("d").is_none() {
                    return Self::rsa_public(RsaPublicKey::new(n, e).map_err(|_| invalid())?);
                }
                let primes = match (part("p"), part("q")) {
                    (Some(p), Some(q)) => {
                        vec![BigUint::from_bytes_be(&p), BigUint::from_bytes_be(&q)]
                    }
                    _ => Vec::new(),
                };
                let mut key = RsaPrivateKey::from_components(n, e, big("d")?, primes)
                    .map_err(|_| invalid())?;
                key.precompute().map_err(|_| invalid())?;
                Self::rsa_private(key)
            }
            ("EC", "P-256") | ("EC", "P-384") => {
                let p256 = crv == "P-256";
                if let Some(d) = part("d") {
                    return if p256 {
                        p256::SecretKey::from_slice(&d)
                            .map(Self::P256Private)
                            .map_err(|_| invalid())
                    } else {
                        p384::SecretKey::from_slice(&d)
                            .map(Self::P384Private)
                            .map_err(|_| invalid())
                    };
                }
                let mut point = vec![4u8];
                point.extend(need("x")?);
                point.extend(need("y")?);
                if p256 {
                    p256::PublicKey::from_sec1_bytes(&point)
                        .map(Self::P256Public)
                        .map_err(|_| invalid())
                } else {
                    p384::PublicKey::from_sec1_bytes(&point)
                        .map(Self::P384Public)
                        .map_err(|_| invalid())
                }
            }
            ("OKP", "X25519") => {
                if let Some(d) = part("d") {
                    return Ok(Self::X25519Private(Box::new(d.try_into().map_err(|_| invalid())?)));
                }
                Ok(Self::X25519Public(need("x")?.try_into().map_err(|_| invalid())?))
            }
            ("OKP", "Ed25519") => {
                if let Some(d) = part("d") {
                    let d: [u8; 32] = d.try_into().map_err(|_| invalid())?;
                    return Ok(Self::Ed25519Private(Box::new(
                        ed25519_dalek::SigningKey::from_bytes(&d),
                    )));
                }
                let x: [u8; 32] = need("x")?.try_into().map_err(|_| invalid())?;
                ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map(Self::Ed25519Public)
                    .map_err(|_| invalid())
            }
            _ => Err(fail("ERR_CRYPTO_INVALID_JWK", "Unsupported JWK key type or curve")),
        }
    }
}

enum Detail {
    Number(f64),
    Bytes(Vec<u8>),
    Text(&'static str),
}

fn rsa_details(n: &BigUint, e: &BigUint) -> (&'static str, Vec<Detail>) {
    ("rsa", vec![Detail::Number(n.bits() as f64), Detail::Bytes(e.to_bytes_be())])
}

/// The digests `crypto.sign` / `verify` take, by Node's names.
#[derive(Clone, Copy)]
enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn named(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_prefix("rsa-").unwrap_or(&name).replace('-', "");
        Some(match name.as_str() {
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The digest's length in bytes.
    fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Self::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
            Self::Sha224 => Pkcs1v15Sign::new::<sha2::Sha224>(),
            Self::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            Self::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            Self::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }

    /// OAEP with this digest for both the label's hash and MGF1, as Node sets `oaepHash`.
    fn oaep(self, label: Option<String>) -> Oaep {
        match (self, label) {
            (Self::Sha1, None) => Oaep::new::<sha1::Sha1>(),
            (Self::Sha224, None) => Oaep::new::<sha2::Sha224>(),
            (Self::Sha256, None) => Oaep::new::<sha2::Sha256>(),
            (Self::Sha384, None) => Oaep::new::<sha2::Sha384>(),
            (Self::Sha512, None) => Oaep::new::<sha2::Sha512>(),
            (Self::Sha1, Some(label)) => Oaep::new_with_label::<sha1::Sha1, _>(label),
            (Self::Sha224, Some(label)) => Oaep::new_with_label::<sha2::Sha224, _>(label),
            (Self::Sha256, Some(label)) => Oaep::new_with_label::<sha2::Sha256, _>(label),
            (Self::Sha384, Some(label)) => Oaep::new_with_label::<sha2::Sha384, _>(label),
            (Self::Sha512, Some(label)) => Oaep::new_with_label::<sha2::Sha512, _>(label),
        }
    }

    fn pss(self, salt: usize) -> Pss {
        match self {
            Self::Sha1 => Pss::new_with_salt::<sha1::Sha1>(salt),
            Self::Sha224 => Pss::new_with_salt::<sha2::Sha224>(salt),
            Self::Sha256 => Pss::new_with_salt::<sha2::Sha256>(salt),
            Self::Sha384 => Pss::new_with_salt::<sha2::Sha384>(salt),
            Self::Sha512 => Pss::new_with_salt::<sha2::Sha512>(salt),
        }
    }
}

/// How a signature is made: RSA's padding and PSS salt, ECDSA's encoding.
struct Scheme {
    hash: Option<Hash>,
    pss: bool,
    /// PSS salt length; -1 the digest's length, -2 the largest (signing) or any (verifying).
    salt: i64,
    p1363: bool,
}

/// `crypto.constants.RSA_PKCS1_PSS_PADDING`.
const RSA_PKCS1_PSS_PADDING: u32 = 6;

pub(super) struct KernelRng;

impl rand_core::RngCore for KernelRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // getrandom(2) does not fail once the kernel's pool is ready (it always is by the time
        // a worker runs); a kernel that cannot give randomness leaves nothing safe to do.
        if !crate::platform::kernel_random(dest) {
            std::process::abort();
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        if crate::platform::kernel_random(dest) {
            Ok(())
        } else {
            Err(rand_core::Error::new(std::io::Error::last_os_error()))
        }
    }
}

impl rand_core::CryptoRng for KernelRng {}

fn pss_max_salt(n: &BigUint, hash_len: usize) -> usize {
    let em_len = (n.bits() - 1).div_ceil(8);
    em_len.saturating_sub(hash_len + 2)
}

fn pss_salt(scheme: &Scheme, n: &BigUint, hash_len: usize) -> Result<usize, Failure> {
    match scheme.salt {
        -1 => Ok(hash_len),
        -2 => Ok(pss_max_salt(n, hash_len)),
        salt if salt >= 0 => usize::try_from(salt).map_err(|_| unsupported()),
        _ => Err(fail("ERR_OSSL_PSS_SALTLEN", "invalid PSS salt length")),
    }
}

/// ECDSA over a prehashed digest with one of the curve crates (`p256`, `p384`): a signature
/// as DER or, for IEEE P1363, as r followed by s.
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $digest:expr, $p1363:expr) => {{
        let signature: $curve::ecdsa::Signature =
            $curve::ecdsa::SigningKey::from($key).sign_prehash(&$digest).map_err(sign_failed)?;
        Ok(if $p1363 {
            signature.to_bytes().to_vec()
        } else {
            signature.to_der().as_bytes().to_vec()
        })
    }};
}

/// Whether `$signature` (DER or IEEE P1363) verifies `$digest` under the public key.
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $digest:expr, $signature:expr, $p1363:expr) => {{
        let digest = $digest;
        let signature = if $p1363 {
            $curve::ecdsa::Signature::from_slice($signature)
        } else {
            $curve::ecdsa::Signature::from_der($signature)
        };
        signature.is_ok_and(|signature| {
            $curve::ecdsa::VerifyingKey::from($key).verify_prehash(&digest, &signature).is_ok()
        })
    }};
}

/// OpenSSL's refusal of an operation a key's type has not (signing with an X25519 key).
fn not_for_keytype() -> Failure {
    fail(
        "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE",
        "error:03000096:digital envelope routines::operation not supported for this keytype",
    )
}

fn sign_failed<E>(_: E) -> Failure {
    fail("ERR_OSSL_SIGN_FAILED", "signing failed")
}

/// What is signed or verified: the data, or its digest (`createSign` and `createVerify` hash
/// the data as it comes, so that none of it is held).
enum Signed<'a> {
    Data(&'a [u8]),
    Digest(&'a [u8]),
}

impl Signed<'_> {
    fn digest(&self, hash: Hash) -> Result<Vec<u8>, Failure> {
        match *self {
            Self::Data(data) => Ok(hash.digest(data)),
            Self::Digest(digest) if digest.len() == hash.len() => Ok(digest.to_vec()),
            Self::Digest(_) => Err(fail("ERR_CRYPTO_INVALID_DIGEST", "Invalid digest")),
        }
    }

    /// The data itself, for a scheme that hashes as it signs (Ed25519).
    fn data(&self) -> Result<&[u8], Failure> {
        match *self {
            Self::Data(data) => Ok(data),
            Self::Digest(_) => Err(not_for_keytype()),
        }
    }
}

fn sign(key: &Key, scheme: &Scheme, message: &Signed<'_>) -> Result<Vec<u8>, Failure> {
    let hash = || scheme.hash.ok_or_else(|| fail("ERR_OSSL_EVP_UNSUPPORTED", "a digest is needed"));
    match key {
        Key::RsaPrivate(key) => {
            let hash = hash()?;
            let digest = message.digest(hash)?;
            if scheme.pss {
                let salt = pss_salt(scheme, key.n(), digest.len())?;
                key.sign_with_rng(&mut KernelRng, hash.pss(salt), &digest).map_err(sign_failed)
            } else {
                key.sign(hash.pkcs1v15(), &digest).map_err(sign_failed)
            }
        }
        Key::P256Private(key) => ecdsa_sign!(p256, key, message.digest(hash()?)?, scheme.p1363),
        Key::P384Private(key) => ecdsa_sign!(p384, key, message.digest(hash()?)?, scheme.p1363),
        Key::Ed25519Private(key) => {
            if scheme.hash.is_some() {
                return Err(not_for_keytype());
            }
            use ed25519_dalek::Signer as _;
            Ok(key.sign(message.data()?).to_bytes().to_vec())
        }
        Key::X25519Private(_) => Err(not_for_keytype()),
        _ => Err(fail(
            "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
            "Invalid key object type public, expected private.",
        )),
    }
}

fn verify(
    key: &Key,
    scheme: &Scheme,
    message: &Signed<'_>,
    signature: &[u8],
) -> Result<bool, Failure> {
    let hash = || scheme.hash.ok_or_else(|| fail("ERR_OSSL_EVP_UNSUPPORTED", "a digest is needed"));
    match key {
        Key::RsaPublic(key) => {
            let hash = hash()?;
            let digest = message.digest(hash)?;
            if !scheme.pss {
                return Ok(key.verify(hash.pkcs1v15(), &digest, signature).is_ok());
            }
            let salt = match scheme.salt {
                -2 => match pss_recovered_salt(key, hash, signature) {
                    Some(salt) => salt,
                    None => return Ok(false),
                },
                _ => pss_salt(scheme, key.n(), digest.len())?,
            };
            Ok(key.verify(hash.pss(salt), &digest, signature).is_ok())
        }
        Key::P256Public(key) => {
            Ok(ecdsa_verify!(p256, key, message.digest(hash()?)?, signature, scheme.p1363))
        }
        Key::P384Public(key) => {
            Ok(ecdsa_verify!(p384, key, message.digest(hash()?)?, signature, scheme.p1363))
        }
        Key::Ed25519Public(key) => {
            let data = message.data()?;
            let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                return Ok(false);
            };
            Ok(key.verify_strict(data, &signature).is_ok())
        }
        Key::X25519Public(_) => Err(not_for_keytype()),
        private => verify(&private_to_public(private)?, scheme, message, signature),
    }
}

fn private_to_public(key: &Key) -> Result<Key, Failure> {
    Key::from_pkcs8(&key.canonical()?).map(Key::public)
}

/// The salt length of an RSA-PSS signature, read from its encoded message (what OpenSSL's
/// `RSA_PSS_SALTLEN_AUTO` does): `None` if it is not a PSS encoding at all.
fn pss_recovered_salt(key: &RsaPublicKey, hash: Hash, signature: &[u8]) -> Option<usize> {
    let mod_bits = key.n().bits();
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let s = BigUint::from_bytes_be(signature);
    if &s >= key.n() {
        return None;
    }
    let m = s.modpow(key.e(), key.n()).to_bytes_be();
    if m.len() > em_len {
        return None;
    }
    let mut em = vec![0u8; em_len - m.len()];
    em.extend_from_slice(&m);
    let h_len = hash.len();
    if em_len < h_len + 2 || em.last() != Some(&0xbc) {
        return None;
    }
    let (masked, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    let mut db = masked.to_vec();
    // MGF1 over H with the same digest.
    let mut counter = 0u32;
    let mut at = 0;
    while at < db.len() {
        let mut block = h.to_vec();
        block.extend_from_slice(&counter.to_be_bytes());
        for byte in hash.digest(&block) {
            if at < db.len() {
                db[at] ^= byte;
                at += 1;
            }
        }
        counter += 1;
    }
    let unused = 8 * em_len - em_bits;
    if let Some(first) = db.first_mut() {
        *first &= 0xff >> unused;
    }
    let one = db.iter().position(|&b| b != 0)?;
    (db[one] == 1).then(|| db.len() - one - 1)
}

/// `crypto.constants`' RSA paddings that encryption takes.
const RSA_PKCS1_PADDING: u32 = 1;
const RSA_NO_PADDING: u32 = 3;
const RSA_PKCS1_OAEP_PADDING: u32 = 4;

/// The four RSA operations of `crypto`'s `publicEncrypt` family, by which half of the key
/// they use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RsaOp {
    PublicEncrypt,
    PrivateDecrypt,
    PrivateEncrypt,
    PublicDecrypt,
}

/// How the data is padded: RSA's padding, OAEP's digest and label.
struct Padding {
    padding: u32,
    hash: Hash,
    label: Option<String>,
}

fn too_large() -> Failure {
    fail(
        "ERR_OSSL_RSA_DATA_TOO_LARGE_FOR_KEY_SIZE",
        "error:0200006E:rsa routines::data too large for key size",
    )
}

fn invalid_padding() -> Failure {
    fail("ERR_OSSL_RSA_INVALID_PADDING", "error:0200008A:rsa routines::invalid padding")
}

/// The data as a number for a raw RSA operation: exactly the modulus' length and below it.
fn raw_input(data: &[u8], n: &BigUint, size: usize) -> Result<BigUint, Failure> {
    if data.len() < size {
        return Err(fail(
            "ERR_OSSL_RSA_DATA_TOO_SMALL_FOR_KEY_SIZE",
            "error:0200007A:rsa routines::data too small for key size",
        ));
    }
    if data.len() > size {
        return Err(too_large());
    }
    let m = BigUint::from_bytes_be(data);
    if &m >= n {
        return Err(fail(
            "ERR_OSSL_RSA_DATA_TOO_LARGE_FOR_MODULUS",
            "error:02000084:rsa routines::data too large for modulus",
        ));
    }
    Ok(m)
}

/// `value` as big-endian bytes, left-padded to `size`.
fn padded(value: &BigUint, size: usize) -> Vec<u8> {
    let bytes = value.to_bytes_be();
    let mut out = vec![0u8; size.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes);
    out
}

/// One of `publicEncrypt`, `privateDecrypt`, `privateEncrypt`, `publicDecrypt`, with OpenSSL's
/// error codes as Node reports them. Only RSA keys encrypt; a private key serves the public
/// operations too, as in Node.
fn rsa_crypt(key: Key, op: RsaOp, data: &[u8], padding: Padding) -> Result<Vec<u8>, Failure> {
    use rsa::hazmat::{rsa_decrypt_and_check, rsa_encrypt};
    let (public, private) = match key {
        Key::RsaPrivate(key) => (key.to_public_key(), Some(key)),
        Key::RsaPublic(key) => (key, None),
        _ => {
            return Err(not_for_keytype());
        }
    };
    let unknown = || {
        fail(
            "ERR_OSSL_RSA_UNKNOWN_PADDING_TYPE",
            "error:0200008F:rsa routines::unknown padding type",
        )
    };
    let size = public.size();
    match (op, padding.padding, private) {
        (RsaOp::PublicEncrypt, RSA_PKCS1_OAEP_PADDING, _) => public
            .encrypt(&mut KernelRng, padding.hash.oaep(padding.label), data)
            .map_err(|_| too_large()),
        (RsaOp::PublicEncrypt, RSA_PKCS1_PADDING, _) => {
            public.encrypt(&mut KernelRng, Pkcs1v15Encrypt, data).map_err(|_| too_large())
        }
        (RsaOp::PublicEncrypt | RsaOp::PublicDecrypt, RSA_NO_PADDING, _) => {
            let m = raw_input(data, public.n(), size)?;
            Ok(padded(&rsa_encrypt(&public, &m).map_err(|_| too_large())?, size))
        }
        (RsaOp::PublicDecrypt, RSA_PKCS1_PADDING, _) => {
            if data.len() > size || BigUint::from_bytes_be(data) >= *public.n() {
                return Err(invalid_padding());
            }
            let m = rsa_encrypt(&public, &BigUint::from_bytes_be(data))
                .map_err(|_| invalid_padding())?;
            unpad_type1(&padded(&m, size)).ok_or_else(invalid_padding)
        }
        (RsaOp::PrivateDecrypt, RSA_PKCS1_OAEP_PADDING, Some(key)) => {
            key.decrypt(padding.hash.oaep(padding.label), data).map_err(|_| {
                fail(
                    "ERR_OSSL_RSA_OAEP_DECODING_ERROR",
                    "error:02000079:rsa routines::oaep decoding error",
                )
            })
        }
        (RsaOp::PrivateEncrypt, RSA_PKCS1_PADDING, Some(key)) => {
            if data.len() + 11 > size {
                return Err(too_large());
            }
            key.sign(Pkcs1v15Sign::new_unprefixed(), data).map_err(|_| too_large())
        }
        (RsaOp::PrivateDecrypt | RsaOp::PrivateEncrypt, RSA_NO_PADDING, Some(key)) => {
            let c = raw_input(data, key.n(), size)?;
            let m = rsa_decrypt_and_check(&*key, Some(&mut KernelRng), &c)
                .map_err(|_| invalid_padding())?;
            Ok(padded(&m, size))
        }
        (RsaOp::PrivateDecrypt | RsaOp::PrivateEncrypt, _, None) => Err(fail(
            "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
            "Invalid key object type public, expected private.",
        )),
        _ => Err(unknown()),
    }
}

/// The message of a PKCS #1 v1.5 type 1 block (`00 01 FF.. 00 message`, at least eight
/// `FF`s), as `publicDecrypt` reads what `privateEncrypt` made.
fn unpad_type1(block: &[u8]) -> Option<Vec<u8>> {
    let rest = block.strip_prefix(&[0, 1])?;
    let fill = rest.iter().position(|&b| b != 0xff)?;
    (fill >= 8 && rest[fill] == 0).then(|| rest[fill + 1..].to_vec())
}

/// A random prime of exactly `bits` bits with its top two bits set (so that two of them
/// multiply to a modulus of twice the bits), or `None` once `stopped` says so.
fn random_prime(bits: usize, stopped: &dyn Fn() -> bool) -> Option<BigUint> {
    let mut bytes = vec![0u8; bits.div_ceil(8)];
    let excess = bytes.len() * 8 - bits;
    loop {
        if stopped() {
            return None;
        }
        rand_core::RngCore::fill_bytes(&mut KernelRng, &mut bytes);
        bytes[0] &= 0xff >> excess;
        // The top two bits of the `bits`-bit number, and odd.
        let top = bits - 1 - (bytes.len() - 1) * 8;
        bytes[0] |= 1 << top;
        if top == 0 {
            if let Some(second) = bytes.get_mut(1) {
                *second |= 0x80;
            }
        } else {
            bytes[0] |= 1 << (top - 1);
        }
        if let Some(last) = bytes.last_mut() {
            *last |= 1;
        }
        let candidate = num_bigint_dig::BigUint::from_bytes_be(&bytes);
        if num_bigint_dig::prime::probably_prime(&candidate, 20) {
            return Some(BigUint::from_bytes_be(&candidate.to_bytes_be()));
        }
    }
}

/// An RSA key of `bits` bits, made here rather than by `rsa`'s generator so that a stopped
/// session stops it between candidate primes (it takes seconds at 4096 bits).
fn generate_rsa(bits: usize, exponent: u64, stopped: &dyn Fn() -> bool) -> Result<Key, Failure> {
    let stop = || fail("ERR_CANCELED", "the session was stopped");
    if exponent < 3 || exponent % 2 == 0 {
        return Err(fail("ERR_OSSL_BN_BAD_PUBLIC_EXPONENT", "bad public exponent"));
    }
    loop {
        let p = random_prime(bits / 2, stopped).ok_or_else(stop)?;
        let q = random_prime(bits - bits / 2, stopped).ok_or_else(stop)?;
        if p == q || (&p * &q).bits() != bits {
            continue;
        }
        // Fails when the exponent shares a factor with p - 1 or q - 1: other primes then.
        if let Ok(key) = RsaPrivateKey::from_p_q(p, q, BigUint::from(exponent)) {
            if key.validate().is_ok() {
                return Ok(Key::RsaPrivate(Box::new(key)));
            }
        }
    }
}

fn generate(
    kind: &str,
    bits: usize,
    exponent: u64,
    curve: &str,
    stopped: &dyn Fn() -> bool,
) -> Result<Key, Failure> {
    match kind {
        "rsa" => {
            if !(512..=MAX_RSA_GENERATE_BITS).contains(&bits) {
                return Err(fail(
                    "ERR_OUT_OF_RANGE",
                    format!(
                        "modulusLength must be from 512 to {MAX_RSA_GENERATE_BITS} here; received {bits}"
                    ),
                ));
            }
            generate_rsa(bits, exponent, stopped)
        }
        "ec" => match curve {
            "P-256" | "prime256v1" | "secp256r1" => {
                Ok(Key::P256Private(p256::SecretKey::random(&mut KernelRng)))
            }
            "P-384" | "secp384r1" => Ok(Key::P384Private(p384::SecretKey::random(&mut KernelRng))),
            _ => Err(fail("ERR_CRYPTO_INVALID_CURVE", "Invalid EC curve name")),
        },
        "x25519" => {
            let mut secret = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut KernelRng, &mut secret);
            Ok(Key::X25519Private(Box::new(secret)))
        }
        "ed25519" => {
            let mut secret = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut KernelRng, &mut secret);
            Ok(Key::Ed25519Private(Box::new(ed25519_dalek::SigningKey::from_bytes(&secret))))
        }
        _ => Err(fail(
            "ERR_NOT_SUPPORTED",
            format!("generating {kind} keys is not supported in secure-exec"),
        )),
    }
}

// ------------------------------------------------------------------------------ natives

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "keyRead", key_read);
    set_function(scope, natives, "keyWrite", key_write);
    set_function(scope, natives, "keyDescribe", key_describe);
    set_function(scope, natives, "keyJwk", key_jwk);
    set_function(scope, natives, "keyFromJwk", key_from_jwk);
    set_function(scope, natives, "keySign", key_sign);
    set_function(scope, natives, "keyVerify", key_verify);
    set_function(scope, natives, "keyGenerate", key_generate);
    set_function(scope, natives, "keyCrypt", key_crypt);
    set_function(scope, natives, "keyAgree", key_agree);
}

pub(super) fn throw(scope: &mut v8::PinScope<'_, '_>, failure: Failure) {
    throw_coded_as(scope, failure.class, failure.code, &failure.message);
}

/// Returns `bytes` to the guest as a Uint8Array, or throws the failure.
pub(super) fn answer(
    scope: &mut v8::PinScope<'_, '_>,
    rv: &mut v8::ReturnValue<'_>,
    bytes: Result<Vec<u8>, Failure>,
) {
    match bytes {
        Ok(bytes) => rv.set(small_bytes_value(scope, bytes)),
        Err(failure) => throw(scope, failure),
    }
}

fn text(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> String {
    value.to_rust_string_lossy(scope)
}

/// The key in `args[at]` (canonical DER) and `args[at + 1]` (whether private); `None` with
/// an exception thrown if it does not parse.
fn key_arg(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    at: i32,
) -> Option<Key> {
    let der = owned_bytes(scope, args.get(at))?;
    let key = if args.get(at + 1).boolean_value(scope) {
        Key::from_pkcs8(&der)
    } else {
        Key::from_spki(&der)
    };
    key.map_err(|failure| throw(scope, failure)).ok()
}

/// `keyRead(bytes, format, kind, private)`: the canonical DER of a key in Node's formats.
fn key_read(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(bytes) = owned_bytes(scope, args.get(0)) else { return };
    let format = text(scope, args.get(1));
    let kind = text(scope, args.get(2));
    let private = args.get(3).boolean_value(scope);
    answer(
        scope,
        &mut rv,
        Key::read(&bytes, &format, &kind, private).and_then(|key| key.canonical()),
    );
}

/// `keyWrite(der, private, kind, pem)`: the key as `kind`, PEM text or DER bytes.
fn key_write(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let kind = text(scope, args.get(2));
    let as_pem = args.get(3).boolean_value(scope);
    let written = key.write(&kind);
    match written {
        Ok((der, label)) if as_pem => match pem::encode_string(label, LineEnding::LF, &der) {
            Ok(text) => {
                if let Ok(text) = new_string(scope, &text) {
                    rv.set(text.into());
                }
            }
            Err(_) => throw(scope, unsupported()),
        },
        Ok((der, _)) => rv.set(small_bytes_value(scope, der)),
        Err(failure) => throw(scope, failure),
    }
}

/// `keyDescribe(der, private)`: `[asymmetricKeyType, detail...]`.
fn key_describe(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let (kind, details) = key.describe();
    let Ok(kind) = new_string(scope, kind) else { return };
    let mut items: Vec<v8::Local<'_, v8::Value>> = vec![kind.into()];
    for detail in details {
        let value = match detail {
            Detail::Number(n) => v8::Number::new(scope, n).into(),
            Detail::Bytes(bytes) => small_bytes_value(scope, bytes),
            Detail::Text(text) => match new_string(scope, text) {
                Ok(text) => text.into(),
                Err(_) => return,
            },
        };
        items.push(value);
    }
    rv.set(v8::Array::new_with_elements(scope, &items).into());
}

/// `keyJwk(der, private)`: `[name, bytes, name, bytes, ...]` of the key's JWK members.
fn key_jwk(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let mut items: Vec<v8::Local<'_, v8::Value>> = Vec::new();
    for (name, bytes) in key.jwk_parts() {
        let Ok(name) = new_string(scope, name) else { return };
        items.push(name.into());
        items.push(small_bytes_value(scope, bytes));
    }
    rv.set(v8::Array::new_with_elements(scope, &items).into());
}

/// `keyFromJwk(kty, crv, parts, private)`: canonical DER from JWK members (`parts` maps a
/// member's name to its decoded bytes).
fn key_from_jwk(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let kty = text(scope, args.get(0));
    let crv = text(scope, args.get(1));
    let Ok(parts) = v8::Local::<v8::Object>::try_from(args.get(2)) else {
        return throw_type_error(scope, "JWK members must be an object");
    };
    let private = args.get(3).boolean_value(scope);
    let mut members = std::collections::HashMap::new();
    for name in ["n", "e", "d", "p", "q", "x", "y"] {
        let Ok(key) = new_string(scope, name) else { return };
        let Some(value) = parts.get(scope, key.into()) else { return };
        if value.is_undefined() {
            continue;
        }
        let Some(bytes) = owned_bytes(scope, value) else { return };
        members.insert(name, bytes);
    }
    let key = Key::from_jwk(&kty, &crv, |name| members.get(name).cloned());
    let key = key.map(|key| if private { key } else { key.public() });
    let key = key.and_then(|key| {
        if private && !key.is_private() {
            Err(fail("ERR_CRYPTO_INVALID_JWK", "Invalid JWK private key"))
        } else {
            key.canonical()
        }
    });
    answer(scope, &mut rv, key);
}

/// The scheme in `args[at..]`: digest name ('' for none), padding, salt length, DSA encoding
/// ('ieee-p1363' or anything else for DER).
fn scheme_arg(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    at: i32,
) -> Result<Scheme, Failure> {
    let name = text(scope, args.get(at));
    let hash = if name.is_empty() || args.get(at).is_null_or_undefined() {
        None
    } else {
        Some(
            Hash::named(&name)
                .ok_or_else(|| fail("ERR_OSSL_EVP_INVALID_DIGEST", "Invalid digest"))?,
        )
    };
    let padding = args.get(at + 1).uint32_value(scope).unwrap_or(0);
    let salt = args.get(at + 2).integer_value(scope).unwrap_or(-2);
    let p1363 = text(scope, args.get(at + 3)) == "ieee-p1363";
    Ok(Scheme { hash, pss: padding == RSA_PKCS1_PSS_PADDING, salt, p1363 })
}

/// `keySign(der, private, data, digest, padding, saltLength, dsaEncoding, prehashed)`: the
/// signature; with `prehashed`, `data` is already the digest.
fn key_sign(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let Some(data) = owned_bytes(scope, args.get(2)) else { return };
    let message = signed(scope, args.get(7), &data);
    let signed = scheme_arg(scope, &args, 3).and_then(|scheme| sign(&key, &scheme, &message));
    answer(scope, &mut rv, signed);
}

/// `keyVerify(der, private, data, signature, digest, padding, saltLength, dsaEncoding,
/// prehashed)`; with `prehashed`, `data` is already the digest.
fn key_verify(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let Some(data) = owned_bytes(scope, args.get(2)) else { return };
    let Some(signature) = owned_bytes(scope, args.get(3)) else { return };
    let message = signed(scope, args.get(8), &data);
    let verified =
        scheme_arg(scope, &args, 4).and_then(|scheme| verify(&key, &scheme, &message, &signature));
    match verified {
        Ok(ok) => rv.set_bool(ok),
        Err(failure) => throw(scope, failure),
    }
}

/// `data` as the data or, when the `prehashed` argument is true, as its digest.
fn signed<'a>(
    scope: &mut v8::PinScope<'_, '_>,
    prehashed: v8::Local<'_, v8::Value>,
    data: &'a [u8],
) -> Signed<'a> {
    if prehashed.boolean_value(scope) { Signed::Digest(data) } else { Signed::Data(data) }
}

/// `keyGenerate(kind, modulusLength, publicExponent, namedCurve)`: `[pkcs8, spki]`.
fn key_generate(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let kind = text(scope, args.get(0));
    let bits = args.get(1).uint32_value(scope).unwrap_or(0) as usize;
    let exponent =
        args.get(2).integer_value(scope).and_then(|e| u64::try_from(e).ok()).unwrap_or(65537);
    let curve = text(scope, args.get(3));
    let stopped = stop_check(scope);
    let pair = generate(&kind, bits, exponent, &curve, &stopped).and_then(|key| {
        let private = key.canonical()?;
        let public = key.public().canonical()?;
        Ok((private, public))
    });
    match pair {
        Ok((private, public)) => {
            let items = [small_bytes_value(scope, private), small_bytes_value(scope, public)];
            rv.set(v8::Array::new_with_elements(scope, &items).into());
        }
        Err(failure) => throw(scope, failure),
    }
}

/// `keyCrypt(der, private, op, data, padding, oaepHash, oaepLabel)`: `op` 0 publicEncrypt,
/// 1 privateDecrypt, 2 privateEncrypt, 3 publicDecrypt; `oaepLabel` bytes or undefined.
fn key_crypt(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_arg(scope, &args, 0) else { return };
    let op = match args.get(2).uint32_value(scope) {
        Some(0) => RsaOp::PublicEncrypt,
        Some(1) => RsaOp::PrivateDecrypt,
        Some(2) => RsaOp::PrivateEncrypt,
        _ => RsaOp::PublicDecrypt,
    };
    let Some(data) = owned_bytes(scope, args.get(3)) else { return };
    let padding = args.get(4).uint32_value(scope).unwrap_or(RSA_PKCS1_OAEP_PADDING);
    let digest = text(scope, args.get(5));
    let Some(hash) = Hash::named(&digest) else {
        return throw(scope, fail("ERR_OSSL_EVP_INVALID_DIGEST", "Invalid digest used"));
    };
    let label = if args.get(6).is_null_or_undefined() {
        None
    } else {
        let Some(bytes) = owned_bytes(scope, args.get(6)) else { return };
        match String::from_utf8(bytes) {
            // An empty label is no label: OAEP hashes the empty string either way.
            Ok(label) => (!label.is_empty()).then_some(label),
            Err(_) => {
                return throw(
                    scope,
                    fail(
                        "ERR_NOT_SUPPORTED",
                        "an OAEP label that is not UTF-8 text is not supported in secure-exec",
                    ),
                );
            }
        }
    };
    answer(scope, &mut rv, rsa_crypt(key, op, &data, Padding { padding, hash, label }));
}

/// The shared secret of a private key and another party's key (public, or private and taken
/// for its public half): ECDH's x coordinate on P-256 and P-384, X25519's of RFC 7748. The
/// guest has already refused keys of different types or curves with Node's errors.
fn agree(mine: Key, theirs: Key) -> Result<Vec<u8>, Failure> {
    match (mine, theirs.public()) {
        (Key::P256Private(secret), Key::P256Public(public)) => {
            let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
            Ok(shared.raw_secret_bytes().to_vec())
        }
        (Key::P384Private(secret), Key::P384Public(public)) => {
            let shared = p384::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
            Ok(shared.raw_secret_bytes().to_vec())
        }
        (Key::X25519Private(secret), Key::X25519Public(public)) => {
            super::ecdh::x25519_shared(*secret, public)
        }
        _ => Err(fail("ERR_CRYPTO_INCOMPATIBLE_KEY", "Incompatible key types for Diffie-Hellman")),
    }
}

/// `keyAgree(privateDer, publicDer, publicIsPrivate)`: `crypto.diffieHellman`'s and Web
/// Crypto's ECDH / X25519 shared secret.
fn key_agree(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(mine) = key_arg(scope, &args, 0) else { return };
    let Some(theirs) = key_arg(scope, &args, 2) else { return };
    if !mine.is_private() {
        return throw(
            scope,
            fail(
                "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE",
                "Invalid key object type public, expected private.",
            ),
        );
    }
    answer(scope, &mut rv, agree(mine, theirs));
}
