//! Machine-readable codes drawn as vector graphics: QR, Code 128, and the EPC (SEPA) payment payload.
//!
//! Everything here is pure: data goes in, geometry (or a payload string)
//! comes out. No drawing, no I/O. The PDF and DOCX generators turn the
//! geometry into rectangles:
//!
//! - [`qr`] returns a [`QrCode`], a square grid of modules with
//!   [`QrCode::dark_rects`] merging each row's dark modules into runs. The
//!   quiet zone is not included; renderers add 4 modules on every side.
//! - [`code128`] returns a [`Code128`], a sequence of module widths with
//!   [`Code128::bars`] listing the dark bars. The quiet zone is not included;
//!   renderers add 10 modules on each side.
//! - [`epc_payload`] builds the EPC069-12 "GiroCode" text that is then
//!   encoded with [`qr`] (the guidelines require error correction level M).
//!
//! All failures are a [`CodeError`] whose message is meant for API users: it
//! says what is wrong and what the limit is.

mod bank;
pub mod code128;
pub mod epc;
pub mod qr;

pub use code128::{Code128, MAX_CODE128_CHARS, code128};
pub use epc::{EpcPayment, MAX_EPC_PAYLOAD_BYTES, epc_payload};
pub use qr::{EcLevel, QrCode, qr};

/// Why a code could not be built. The messages are user-facing.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// The input does not fit: `len` exceeds `max`, both counted in `unit`.
    #[error("{what} is too long: {len} {unit}, the maximum is {max} {unit}")]
    TooLong {
        /// What was too long, e.g. "Code 128 data".
        what: String,
        /// The length of the input.
        len: usize,
        /// The largest accepted length.
        max: usize,
        /// What the lengths count: "characters", "bytes" or "digits".
        unit: &'static str,
    },
    /// The input is empty, so there is nothing to encode.
    #[error("{what} is empty: there is nothing to encode")]
    Empty {
        /// What was empty, e.g. "QR code data".
        what: &'static str,
    },
    /// A character Code 128 cannot encode (anything outside ASCII).
    #[error(
        "character {ch:?} at index {index} cannot be encoded in Code 128, \
         which supports only ASCII characters (U+0000 to U+007F)"
    )]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its zero-based index, counted in characters.
        index: usize,
    },
    /// A QR error correction level that is not L, M, Q or H.
    #[error("unknown QR error correction level {0:?}: expected L, M, Q or H")]
    UnknownEcLevel(String),
    /// A field of an [`EpcPayment`] breaks the EPC069-12 rules.
    #[error("payment {field} is invalid: {reason}")]
    InvalidPayment {
        /// The field name as in [`EpcPayment`] (`"iban"`, `"amount"`, ...),
        /// or `"payload"` for the assembled text.
        field: &'static str,
        /// What is wrong, including the limit where there is one.
        reason: String,
    },
}

impl CodeError {
    /// The [`EpcPayment`] field an error is about, if it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidPayment { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_and_the_limit() {
        let cases = [
            (
                CodeError::TooLong {
                    what: "Code 128 data".into(),
                    len: 81,
                    max: 80,
                    unit: "characters",
                },
                "Code 128 data is too long: 81 characters, the maximum is 80 characters",
            ),
            (
                CodeError::Empty {
                    what: "QR code data",
                },
                "QR code data is empty: there is nothing to encode",
            ),
            (
                CodeError::InvalidChar { ch: 'é', index: 3 },
                "character 'é' at index 3 cannot be encoded in Code 128, \
                 which supports only ASCII characters (U+0000 to U+007F)",
            ),
            (
                CodeError::UnknownEcLevel("X".into()),
                "unknown QR error correction level \"X\": expected L, M, Q or H",
            ),
            (
                CodeError::InvalidPayment {
                    field: "name",
                    reason: "it has 71 characters, the maximum is 70".into(),
                },
                "payment name is invalid: it has 71 characters, the maximum is 70",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn field_is_reported_only_for_payment_errors() {
        let payment = CodeError::InvalidPayment {
            field: "iban",
            reason: String::new(),
        };
        assert_eq!(payment.field(), Some("iban"));
        assert_eq!(CodeError::UnknownEcLevel(String::new()).field(), None);
    }
}
