//! The EPC069-12 "SEPA credit transfer" QR payload, known as GiroCode.
//!
//! [`epc_payload`] validates an [`EpcPayment`] and returns the text to
//! encode with [`qr`](super::qr) at error correction level M: version 002
//! (the BIC is optional inside the EEA), character set 1 (UTF-8) and
//! identification SCT, one element per line, trailing empty lines trimmed.

use super::{CodeError, bank};

/// The EPC069-12 limit on the whole payload, in bytes.
pub const MAX_EPC_PAYLOAD_BYTES: usize = 331;

/// A SEPA credit transfer to print as an EPC QR code. Optional text fields
/// that are empty or blank count as absent; all text is trimmed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpcPayment {
    /// Beneficiary name, 1 to 70 characters.
    pub name: String,
    /// Beneficiary IBAN; spaces are removed and letters uppercased.
    pub iban: String,
    /// BIC of the beneficiary's bank, 8 or 11 characters.
    pub bic: Option<String>,
    /// Amount in EUR, 0.01 to 999999999.99, at most 2 decimals.
    pub amount: Option<f64>,
    /// Purpose code (ISO 20022 ExternalPurpose1Code), up to 4 letters or digits.
    pub purpose: Option<String>,
    /// Structured creditor reference, up to 35 characters; an ISO 11649
    /// reference ("RF" + check digits) has its check digits verified.
    pub reference: Option<String>,
    /// Unstructured remittance text, up to 140 characters. Not together
    /// with `reference`.
    pub text: Option<String>,
    /// Beneficiary-to-originator information, up to 70 characters.
    pub info: Option<String>,
}

/// The value of an optional field, if it is not blank.
fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.trim().is_empty())
}

fn bad(field: &'static str, reason: impl Into<String>) -> CodeError {
    CodeError::InvalidPayment {
        field,
        reason: reason.into(),
    }
}

/// Trims `value`, then checks it has at most `max` characters and no
/// control characters (which would break the line structure).
fn text(field: &'static str, value: &str, max: usize) -> Result<String, CodeError> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(bad(
            field,
            format!("it has {len} characters, the maximum is {max}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(
            field,
            "it must be a single line without control characters",
        ));
    }
    Ok(value.to_owned())
}

fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<String, CodeError> {
    value.map_or(Ok(String::new()), |v| text(field, v, max))
}

/// Runs a [`bank`] check on an optional field, naming the field on error.
fn checked(
    field: &'static str,
    value: Option<&str>,
    max: usize,
    check: fn(&str) -> Result<String, &'static str>,
) -> Result<String, CodeError> {
    let value = optional(field, value, max)?;
    if value.is_empty() {
        return Ok(value);
    }
    check(&value).map_err(|reason| bad(field, reason))
}

fn amount(value: Option<f64>) -> Result<String, CodeError> {
    const RANGE: &str = "it must be between 0.01 and 999999999.99 EUR";
    let Some(amount) = value else {
        return Ok(String::new());
    };
    if !amount.is_finite() {
        return Err(bad("amount", RANGE));
    }
    let (scaled, cents) = (amount * 100.0, (amount * 100.0).round());
    // Allow binary floating-point noise (0.1 + 0.2), not a third decimal.
    if (scaled - cents).abs() > 1e-7_f64.max(cents.abs() * 16.0 * f64::EPSILON) {
        return Err(bad("amount", format!("{amount} has more than 2 decimals")));
    }
    if !(1.0..=99_999_999_999.0).contains(&cents) {
        return Err(bad("amount", format!("{amount} is out of range: {RANGE}")));
    }
    let cents = cents as u64;
    Ok(format!("EUR{}.{:02}", cents / 100, cents % 100))
}

fn purpose(value: &str) -> Result<String, &'static str> {
    if value.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(value.to_ascii_uppercase())
    } else {
        Err("expected up to 4 letters or digits, e.g. GDDS")
    }
}

/// Validates `p` and returns the EPC QR payload: the lines BCD, 002, 1, SCT,
/// BIC, name, IBAN, amount ("EUR12.34"), purpose, structured reference,
/// unstructured text and information, joined by `\n`, without trailing empty
/// lines. Errors name the offending field ([`CodeError::field`]).
pub fn epc_payload(p: &EpcPayment) -> Result<String, CodeError> {
    let name = text("name", &p.name, 70)?;
    if name.is_empty() {
        return Err(bad("name", "the beneficiary name is required"));
    }
    if filled(&p.reference).is_some() && filled(&p.text).is_some() {
        return Err(bad(
            "reference",
            "reference and text are mutually exclusive; set only one of them",
        ));
    }
    let lines = [
        "BCD".to_owned(),
        "002".to_owned(),
        "1".to_owned(),
        "SCT".to_owned(),
        checked("bic", filled(&p.bic), usize::MAX, bank::bic)?, // shape check says 8 or 11
        name,
        bank::iban(&p.iban).map_err(|reason| bad("iban", reason))?,
        amount(p.amount)?,
        checked("purpose", filled(&p.purpose), 4, purpose)?,
        checked(
            "reference",
            filled(&p.reference),
            35,
            bank::creditor_reference,
        )?,
        optional("text", filled(&p.text), 140)?,
        optional("info", filled(&p.info), 70)?,
    ];
    let used = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    let payload = lines[..used].join("\n");
    if payload.len() > MAX_EPC_PAYLOAD_BYTES {
        return Err(bad(
            "payload",
            format!(
                "it takes {} bytes, the maximum is {MAX_EPC_PAYLOAD_BYTES}; shorten the texts",
                payload.len()
            ),
        ));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the EPC069-12 guidelines (Belgian Red Cross).
    fn red_cross() -> EpcPayment {
        EpcPayment {
            name: "Red Cross of Belgium".into(),
            iban: "BE72000000001616".into(),
            bic: Some("BPOTBEB1".into()),
            amount: Some(1.0),
            purpose: Some("CHAR".into()),
            text: Some("Urgency fund".into()),
            info: Some("Sample EPC QR code".into()),
            ..EpcPayment::default()
        }
    }

    #[test]
    fn guideline_example_produces_the_expected_lines() {
        let payload = epc_payload(&red_cross()).expect("valid");
        let want = [
            "BCD",
            "002",
            "1",
            "SCT",
            "BPOTBEB1",
            "Red Cross of Belgium",
            "BE72000000001616",
            "EUR1.00",
            "CHAR",
            "",
            "Urgency fund",
            "Sample EPC QR code",
        ];
        assert_eq!(payload.split('\n').collect::<Vec<_>>(), want);
        // The payload fits a QR code at level M, as the guidelines require.
        assert!(crate::codes::qr(&payload, crate::codes::EcLevel::Medium).is_ok());
    }

    #[test]
    fn normalises_and_trims_trailing_lines() {
        let minimal = EpcPayment {
            name: " Red Cross of Belgium ".into(),
            iban: "be72 0000 0000 1616".into(),
            ..EpcPayment::default()
        };
        let want = "BCD\n002\n1\nSCT\n\nRed Cross of Belgium\nBE72000000001616";
        assert_eq!(epc_payload(&minimal).expect("valid"), want);

        let cases = [
            (
                Some(12.34),
                Some("rf18 5390 0754 7034"),
                "EUR12.34\n\nRF18539007547034",
            ),
            (Some(999_999_999.99), None, "EUR999999999.99"),
            (
                Some(0.1 + 0.2),
                Some("+++090/9337/55493+++"),
                "EUR0.30\n\n+++090/9337/55493+++",
            ),
            (Some(0.01), Some("  "), "EUR0.01"),
        ];
        for (amount, reference, tail) in cases {
            let p = EpcPayment {
                amount,
                reference: reference.map(str::to_owned),
                bic: Some("bpot be b1".into()),
                ..minimal.clone()
            };
            let payload = epc_payload(&p).expect("valid");
            assert!(payload.contains("\nBPOTBEB1\n"), "{payload}");
            assert!(payload.ends_with(&format!("1616\n{tail}")), "{payload}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        type Edit = fn(&mut EpcPayment);
        let cases: &[(&str, Edit)] = &[
            ("iban", |p| p.iban = "BE73000000001616".into()),
            ("iban", |p| p.iban = "BE72-0000".into()),
            ("bic", |p| p.bic = Some("BPOTBE".into())),
            ("bic", |p| p.bic = Some("BPOT1EB1".into())),
            ("name", |p| p.name = "x".repeat(71)),
            ("name", |p| p.name = "  ".into()),
            ("name", |p| p.name = "Red\nCross".into()),
            ("reference", |p| {
                p.reference = Some("RF18539007547034".into());
            }),
            ("reference", |p| {
                p.text = None;
                p.reference = Some("RF19539007547034".into());
            }),
            ("amount", |p| p.amount = Some(1.005)),
            ("amount", |p| p.amount = Some(0.0)),
            ("amount", |p| p.amount = Some(1_000_000_000.0)),
            ("amount", |p| p.amount = Some(f64::NAN)),
            ("purpose", |p| p.purpose = Some("CHARITY".into())),
            ("text", |p| p.text = Some("t".repeat(141))),
            ("info", |p| p.info = Some("i".repeat(71))),
            ("payload", |p| {
                p.name = "é".repeat(70);
                p.text = Some("é".repeat(140));
            }),
        ];
        for (i, (field, edit)) in cases.iter().enumerate() {
            let mut p = red_cross();
            edit(&mut p);
            let err = epc_payload(&p).expect_err(field);
            assert_eq!(err.field(), Some(*field), "case {i}: {err}");
            let prefix = format!("payment {field} is invalid: ");
            assert!(err.to_string().starts_with(&prefix), "{err}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let mut p = red_cross();
        p.name = "n".repeat(70);
        p.text = Some("t".repeat(140));
        p.info = Some("i".repeat(70));
        (p.bic, p.amount, p.purpose) = (None, None, None);
        let payload = epc_payload(&p).expect("at the limits");
        assert!(payload.len() <= MAX_EPC_PAYLOAD_BYTES);
        let err = epc_payload(&EpcPayment {
            amount: Some(12.345),
            ..p
        })
        .expect_err("3 decimals");
        assert!(err.to_string().contains("more than 2 decimals"), "{err}");
    }
}
