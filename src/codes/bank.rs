//! Bank identifiers used by the EPC payload: IBAN (ISO 13616), BIC
//! (ISO 9362) and the RF creditor reference (ISO 11649).
//!
//! Each check normalises its input (spaces removed, letters uppercased) and
//! returns it, or a user-facing reason for the caller to attach to a field.

/// ISO 7064 mod 97-10 as used by IBANs and RF references: the first four
/// characters move to the end, letters become 10..=35, the rest must be 1.
fn mod97_ok(code: &str) -> bool {
    let Some((head, tail)) = code.split_at_checked(4) else {
        return false;
    };
    let mut rem = 0u32;
    for c in tail.chars().chain(head.chars()) {
        let Some(d) = c.to_digit(36) else {
            return false;
        };
        rem = (rem * if d < 10 { 10 } else { 100 } + d) % 97;
    }
    rem == 1
}

fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Normalises and checks an IBAN: country code, 2 check digits, 11 to 30
/// letters or digits, and the mod-97 checksum.
pub(super) fn iban(value: &str) -> Result<String, &'static str> {
    let iban = compact(value);
    let b = iban.as_bytes();
    let shaped = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric);
    if !shaped {
        return Err(
            "expected a 2-letter country code, 2 check digits and up to 30 \
                    letters or digits (15 to 34 characters in all)",
        );
    }
    if !mod97_ok(&iban) {
        return Err("the check digits do not match (ISO 13616 mod 97); check for typos");
    }
    Ok(iban)
}

/// Normalises and checks a BIC: 4-character bank code, 2-letter country,
/// 2-character location and an optional 3-character branch.
pub(super) fn bic(value: &str) -> Result<String, &'static str> {
    let bic = compact(value);
    let b = bic.as_bytes();
    let shaped = (b.len() == 8 || b.len() == 11)
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b[4..6].iter().all(u8::is_ascii_uppercase);
    if !shaped {
        return Err(
            "expected 8 or 11 letters or digits: 4 for the bank, 2-letter \
                    country, 2 for the location and optionally 3 for the branch",
        );
    }
    Ok(bic)
}

/// Checks a structured creditor reference. One that starts with "RF" and 2
/// digits is an ISO 11649 reference: it is compacted and its check digits
/// verified. Any other reference is returned unchanged.
pub(super) fn creditor_reference(value: &str) -> Result<String, &'static str> {
    let rf = compact(value);
    let b = rf.as_bytes();
    if !(b.starts_with(b"RF") && b.len() >= 4 && b[2..4].iter().all(u8::is_ascii_digit)) {
        return Ok(value.to_owned());
    }
    let shaped = (5..=25).contains(&b.len()) && b[4..].iter().all(u8::is_ascii_alphanumeric);
    if !shaped || !mod97_ok(&rf) {
        return Err(
            "not a valid ISO 11649 creditor reference (RF, 2 check digits \
                    and 1 to 21 letters or digits)",
        );
    }
    Ok(rf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        let cases = [
            ("BE72000000001616", Some("BE72000000001616")),
            ("be72 0000 0000 1616", Some("BE72000000001616")),
            (
                "DE89 3704 0044 0532 0130 00",
                Some("DE89370400440532013000"),
            ),
            (
                "GB82 WEST 1234 5698 7654 32",
                Some("GB82WEST12345698765432"),
            ),
            ("NO9386011117947", Some("NO9386011117947")),
            ("BE73000000001616", None), // wrong check digits
            ("BE72000000001661", None), // transposed digits
            ("BE72-0000-0000-1616", None),
            ("1272000000001616", None),
            ("BE72", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(iban(input).ok().as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn bics() {
        let cases = [
            ("BPOTBEB1", Some("BPOTBEB1")),
            ("deut de ff 500", Some("DEUTDEFF500")),
            ("BPOTBE", None),
            ("BPOT1EB1", None),
            ("BPOTBEB1X", None),
            ("BPOTBEB1-XX", None),
        ];
        for (input, want) in cases {
            assert_eq!(bic(input).ok().as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn creditor_references() {
        let cases = [
            ("RF18539007547034", Some("RF18539007547034")),
            ("rf18 5390 0754 7034", Some("RF18539007547034")),
            ("RF18 0000 0000 0000 0000 0000 00", None), // too long
            ("RF19539007547034", None),
            ("RF18", None),
            ("+++090/9337/55493+++", Some("+++090/9337/55493+++")),
            ("RFQ-2024-17", Some("RFQ-2024-17")),
        ];
        for (input, want) in cases {
            assert_eq!(creditor_reference(input).ok().as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn mod97_needs_four_characters() {
        assert!(!mod97_ok("RF1"));
        assert!(!mod97_ok("RF18Ä"));
    }
}
