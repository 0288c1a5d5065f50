//! `Content-Disposition: attachment` values (RFC 6266): a plain ASCII
//! `filename` every client understands, plus `filename*` (RFC 8187) carrying
//! the exact UTF-8 name when it is not plain ASCII.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in `filename*` (RFC 8187 `attr-char`).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

pub fn attachment(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '_',
        })
        .collect();
    if fallback == filename {
        format!("attachment; filename=\"{fallback}\"")
    } else {
        let encoded = utf8_percent_encode(filename, ATTR_CHAR);
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn ascii_and_unicode_names() {
        for (name, expect) in [
            ("report.xlsx", "attachment; filename=\"report.xlsx\""),
            (
                "a \"b\".xlsx",
                "attachment; filename=\"a _b_.xlsx\"; filename*=UTF-8''a%20%22b%22.xlsx",
            ),
            (
                "Überblick 2026.xlsx",
                "attachment; filename=\"_berblick 2026.xlsx\"; filename*=UTF-8''%C3%9Cberblick%202026.xlsx",
            ),
            (
                "счёт.pdf",
                "attachment; filename=\"____.pdf\"; filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82.pdf",
            ),
        ] {
            assert_eq!(attachment(name), expect);
        }
    }
}
