//! The file format of sync packages and enrolment files: a small binary envelope around a
//! deflate-compressed JSON body, with a SHA-256 checksum and the sender's ed25519 signature.
//!
//! ```text
//! magic "MIZANI-SYNC\n" (12) | format u16 BE | kind u8 | body length u32 BE | body (deflate)
//! | SHA-256 of everything before (32) | ed25519 signature of everything before (64)
//! ```
//! Reading checks, in order: the magic (is it ours at all), the format (a newer Mizani's
//! file is refused as such), the length (truncated), the checksum (corrupted); the signature
//! is checked by the caller once it knows whose key to use.

use crate::error::{CoreError, ErrorCode, Result};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

pub const MAGIC: &[u8; 12] = b"MIZANI-SYNC\n";
/// The package format this Mizani writes and reads.
pub const FORMAT: u16 = 1;
const HEAD: usize = 12 + 2 + 1 + 4;
const TAIL: usize = 32 + 64;
/// Largest body accepted after decompression (a full enrolment of a large institution fits).
const MAX_BODY: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Changes = 1,
    Enrolment = 2,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Changes => "sync package",
            Kind::Enrolment => "enrolment file",
        }
    }
}

pub fn refused(message: impl Into<String>) -> CoreError {
    CoreError::new(ErrorCode::PackageRefused, message)
}

/// Seals `body` (JSON) into a signed file.
pub fn seal(kind: Kind, body: &[u8], key: &SigningKey) -> Result<Vec<u8>> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body)
        .map_err(|e| CoreError::new(ErrorCode::Io, format!("compressing the package: {e}")))?;
    let z = enc
        .finish()
        .map_err(|e| CoreError::new(ErrorCode::Io, format!("compressing the package: {e}")))?;
    let len = u32::try_from(z.len())
        .map_err(|_| CoreError::invalid("the package is larger than 4 GiB"))?;
    let mut out = Vec::with_capacity(HEAD + z.len() + TAIL);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_be_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&z);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    let sig = key.sign(&out);
    out.extend_from_slice(&sig.to_bytes());
    Ok(out)
}

/// A file whose envelope is sound; the signature is still to be checked.
pub struct Opened<'a> {
    pub body: Vec<u8>,
    signed: &'a [u8],
    signature: Signature,
}

impl Opened<'_> {
    /// Checks the signature against `key`.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(self.signed, &self.signature).is_ok()
    }
}

/// Checks the envelope of `bytes` and decompresses the body.
pub fn open(bytes: &[u8], want: Kind) -> Result<Opened<'_>> {
    let what = want.name();
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(refused(format!(
            "this is not a Mizani {what} (it does not start like one); check that you chose the right file"
        )));
    }
    if bytes.len() < HEAD {
        return Err(refused(format!(
            "the {what} is truncated (only {} bytes); copy it again from the sender",
            bytes.len()
        )));
    }
    let format = u16::from_be_bytes([bytes[12], bytes[13]]);
    if format > FORMAT {
        return Err(refused(format!(
            "the {what} was written by a newer Mizani (package format {format}; this Mizani reads up to {FORMAT}); install the newer Mizani to read it"
        )));
    }
    if format == 0 {
        return Err(refused(format!("the {what} is damaged (format 0)")));
    }
    let kind = bytes[14];
    if kind != want as u8 {
        let other = if kind == Kind::Changes as u8 {
            "a sync package"
        } else if kind == Kind::Enrolment as u8 {
            "an enrolment file"
        } else {
            "damaged"
        };
        return Err(refused(format!(
            "this file is {other}, not a {what}; choose the right file"
        )));
    }
    let len = u32::from_be_bytes([bytes[15], bytes[16], bytes[17], bytes[18]]) as usize;
    let total = HEAD.checked_add(len).and_then(|x| x.checked_add(TAIL));
    match total {
        Some(t) if t == bytes.len() => {}
        Some(t) if t > bytes.len() => {
            return Err(refused(format!(
                "the {what} is truncated ({} of {t} bytes); copy it again from the sender",
                bytes.len()
            )))
        }
        _ => {
            return Err(refused(format!(
                "the {what} is damaged (its length does not match its header)"
            )))
        }
    }
    let body_end = HEAD + len;
    let sum = Sha256::digest(&bytes[..body_end]);
    if sum.as_slice() != &bytes[body_end..body_end + 32] {
        return Err(refused(format!(
            "the {what} is corrupted (its checksum does not match); copy it again from the sender"
        )));
    }
    let signed = &bytes[..body_end + 32];
    let sig: [u8; 64] = bytes[body_end + 32..]
        .try_into()
        .map_err(|_| refused(format!("the {what} is damaged (no signature)")))?;
    let mut body = Vec::new();
    flate2::read::DeflateDecoder::new(&bytes[HEAD..body_end])
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|_| {
            refused(format!(
                "the {what} is damaged (its content does not decompress)"
            ))
        })?;
    Ok(Opened {
        body,
        signed,
        signature: Signature::from_bytes(&sig),
    })
}

/// The site id of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let d = Sha256::digest(key.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn sealed_files_open_and_verify_and_every_damage_is_named() {
        let k = key(7);
        let f = seal(Kind::Changes, br#"{"a":1}"#, &k).expect("seal");
        let o = open(&f, Kind::Changes).expect("a sealed file opens");
        assert_eq!(o.body, br#"{"a":1}"#, "the body comes back as written");
        assert!(o.verify(&k.verifying_key()), "the signer's key verifies it");
        assert!(!o.verify(&key(8).verifying_key()), "another key does not");

        let msg = |b: &[u8]| {
            open(b, Kind::Changes)
                .err()
                .map(|e| e.message)
                .unwrap_or_default()
        };
        assert!(
            msg(&f[..f.len() - 10]).contains("truncated"),
            "a cut file is called truncated"
        );
        assert!(msg(&f[..10]).contains("not a Mizani"), "a stub is not ours");
        let mut bad = f.clone();
        bad[HEAD + 2] ^= 0xff;
        assert!(
            msg(&bad).contains("corrupted"),
            "a flipped byte fails the checksum"
        );
        let mut newer = f.clone();
        newer[13] = 9;
        assert!(
            msg(&newer).contains("newer Mizani"),
            "a newer format is named as such"
        );
        assert!(
            open(&f, Kind::Enrolment)
                .err()
                .map(|e| e.message)
                .unwrap_or_default()
                .contains("is a sync package"),
            "the wrong kind of file says what it is"
        );
        assert!(
            msg(b"hello").contains("not a Mizani"),
            "any other file is refused"
        );
        assert_eq!(
            unhex(&hex(&[1, 2, 255])),
            Some(vec![1, 2, 255]),
            "hex round-trips"
        );
        assert_eq!(
            fingerprint(&k.verifying_key()).len(),
            16,
            "site ids are 16 hex digits"
        );
    }
}
