//! Attribute value parsers: lengths, colours, booleans, numbers, edges,
//! column widths and keywords.
//!
//! Each parser returns `Err` with the phrase that completes "NAME …"
//! (`must be true or false`); the caller adds the attribute name, the value
//! found and the location.

use crate::doc::model::{Align, ColWidth, Color, Edges};
use crate::doc::node::AttrValue;

/// Largest length accepted anywhere, in points: the side of the largest page.
pub const MAX_LENGTH: f32 = 14_400.0;

/// The reason a value was refused: completes "NAME …".
pub type Expected = String;

const LENGTH: &str = "must be a length such as 12, 12pt, 10mm, 1.5cm, 0.5in or 16px";

/// A non-negative length in points: a number (points) or `12pt`, `10mm`,
/// `1.5cm`, `0.5in`, `16px` (0.75 pt).
pub fn length(value: &AttrValue) -> Result<f32, Expected> {
    let points = match value {
        AttrValue::Num(n) => *n,
        AttrValue::Str(s) => length_str(s).ok_or(LENGTH)?,
        AttrValue::Bool(_) => return Err(LENGTH.into()),
    };
    if !points.is_finite() {
        return Err(LENGTH.into());
    }
    if points < 0.0 {
        return Err("must not be negative".into());
    }
    if points > f64::from(MAX_LENGTH) {
        return Err(format!("must be at most {MAX_LENGTH}pt (200in)"));
    }
    Ok(points as f32)
}

/// A length that must also be greater than zero.
pub fn positive_length(value: &AttrValue) -> Result<f32, Expected> {
    match length(value)? {
        0.0 => Err("must be greater than 0".into()),
        points => Ok(points),
    }
}

fn length_str(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim_end().parse().ok()?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" | "pt" => 1.0,
        "mm" => 72.0 / 25.4,
        "cm" => 72.0 / 2.54,
        "in" => 72.0,
        "px" => 0.75,
        _ => return None,
    };
    Some(number * factor)
}

/// One to four lengths like CSS: all; vertical horizontal; top horizontal
/// bottom; top right bottom left.
pub fn edges(value: &AttrValue) -> Result<Edges, Expected> {
    const EXPECTED: &str = "must be 1 to 4 lengths (top right bottom left, as in CSS)";
    let parts: Vec<f32> = match value {
        AttrValue::Str(s) => s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
            .map(|p| length(&AttrValue::Str(p.to_owned())))
            .collect::<Result<_, _>>()
            .map_err(|e| if e == LENGTH { EXPECTED.to_owned() } else { e })?,
        other => vec![length(other)?],
    };
    match parts[..] {
        [a] => Ok(Edges::all(a)),
        [v, h] => Ok(edges4(v, h, v, h)),
        [t, h, b] => Ok(edges4(t, h, b, h)),
        [t, r, b, l] => Ok(edges4(t, r, b, l)),
        _ => Err(EXPECTED.into()),
    }
}

fn edges4(top: f32, right: f32, bottom: f32, left: f32) -> Edges {
    Edges {
        top,
        right,
        bottom,
        left,
    }
}

const COLOR: &str = "must be #rgb, #rrggbb or one of black, white, gray, red, green, blue, \
                     navy, maroon, teal, silver, orange";

/// `#rgb`, `#rrggbb` or a colour name.
pub fn color(value: &AttrValue) -> Result<Color, Expected> {
    let AttrValue::Str(text) = value else {
        return Err(COLOR.into());
    };
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        let digits: Option<Vec<u8>> = hex
            .chars()
            .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
            .collect();
        return match digits.as_deref() {
            Some(&[r, g, b]) => Ok(rgb(r * 17, g * 17, b * 17)),
            Some(&[r1, r2, g1, g2, b1, b2]) => Ok(rgb(r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2)),
            _ => Err(COLOR.into()),
        };
    }
    let named = match text.to_ascii_lowercase().as_str() {
        "black" => rgb(0, 0, 0),
        "white" => rgb(255, 255, 255),
        "gray" | "grey" => rgb(128, 128, 128),
        "red" => rgb(255, 0, 0),
        "green" => rgb(0, 128, 0),
        "blue" => rgb(0, 0, 255),
        "navy" => rgb(0, 0, 128),
        "maroon" => rgb(128, 0, 0),
        "teal" => rgb(0, 128, 128),
        "silver" => rgb(192, 192, 192),
        "orange" => rgb(255, 165, 0),
        _ => return Err(COLOR.into()),
    };
    Ok(named)
}

/// A colour from its components.
pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color { r, g, b }
}

/// `true`/`false` (markup strings or JSON booleans).
pub fn boolean(value: &AttrValue) -> Result<bool, Expected> {
    match value {
        AttrValue::Bool(b) => Ok(*b),
        AttrValue::Str(s) if s.trim() == "true" => Ok(true),
        AttrValue::Str(s) if s.trim() == "false" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

/// A finite number.
pub fn number(value: &AttrValue) -> Result<f64, Expected> {
    let n = match value {
        AttrValue::Num(n) => Some(*n),
        AttrValue::Str(s) => s.trim().parse::<f64>().ok(),
        AttrValue::Bool(_) => None,
    };
    n.filter(|n| n.is_finite())
        .ok_or_else(|| "must be a number".into())
}

/// A number within `lo..=hi`.
pub fn ranged(value: &AttrValue, lo: f64, hi: f64) -> Result<f64, Expected> {
    number(value)
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| format!("must be a number from {lo} to {hi}"))
}

/// A whole number within `lo..=hi`.
pub fn integer(value: &AttrValue, lo: u32, hi: u32) -> Result<u32, Expected> {
    number(value)
        .ok()
        .filter(|n| n.fract() == 0.0 && (f64::from(lo)..=f64::from(hi)).contains(n))
        .map(|n| n as u32)
        .ok_or_else(|| format!("must be a whole number from {lo} to {hi}"))
}

/// Text: a string, or a JSON number written the way JSON would.
pub fn text(value: &AttrValue) -> Result<String, Expected> {
    match value {
        AttrValue::Str(s) => Ok(s.clone()),
        AttrValue::Num(n) => Ok(n.to_string()),
        AttrValue::Bool(_) => Err("must be text".into()),
    }
}

/// One of `options` (ASCII case-insensitive).
pub fn keyword<T: Copy>(value: &AttrValue, options: &[(&str, T)]) -> Result<T, Expected> {
    if let AttrValue::Str(s) = value {
        let s = s.trim();
        if let Some((_, v)) = options.iter().find(|(k, _)| k.eq_ignore_ascii_case(s)) {
            return Ok(*v);
        }
    }
    let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
    Err(format!("must be {}", one_of(&names)))
}

/// `a, b or c`.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Paragraph alignment keywords.
pub const ALIGN: &[(&str, Align)] = &[
    ("left", Align::Left),
    ("right", Align::Right),
    ("center", Align::Center),
    ("justify", Align::Justify),
];

/// Alignment of an image, QR code or barcode (no `justify`).
pub const BOX_ALIGN: &[(&str, Align)] = &[
    ("left", Align::Left),
    ("right", Align::Right),
    ("center", Align::Center),
];

/// A list of column widths: `* 2* 80 auto 25mm`, space- or comma-separated.
pub fn col_widths(value: &AttrValue) -> Result<Vec<ColWidth>, Expected> {
    const EXPECTED: &str = "must list column widths such as \"* 2* 80 auto 25mm\"";
    let AttrValue::Str(s) = value else {
        return col_width(value).map(|w| vec![w]);
    };
    let widths = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .map(|p| col_width(&AttrValue::Str(p.to_owned())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| EXPECTED.to_owned())?;
    if widths.is_empty() {
        return Err(EXPECTED.into());
    }
    Ok(widths)
}

/// One column width: `*`, `N*` (relative), `auto` or a length.
pub fn col_width(value: &AttrValue) -> Result<ColWidth, Expected> {
    const EXPECTED: &str = "must be *, N* (a share such as 2*), auto or a length";
    if let AttrValue::Str(s) = value {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(ColWidth::Auto);
        }
        if let Some(share) = s.strip_suffix('*') {
            let share = if share.is_empty() {
                Some(1.0)
            } else {
                share.parse::<f32>().ok()
            };
            return match share.filter(|n| n.is_finite() && *n > 0.0 && *n <= 1000.0) {
                Some(n) => Ok(ColWidth::Relative(n)),
                None => Err(EXPECTED.into()),
            };
        }
    }
    match length(value) {
        Ok(points) => Ok(ColWidth::Fixed(points)),
        Err(e) if e.starts_with("must be a length") => Err(EXPECTED.into()),
        Err(e) => Err(e),
    }
}

/// How a value is quoted in a message: strings in quotes, numbers bare.
pub fn shown(value: &AttrValue) -> String {
    match value {
        AttrValue::Str(s) if s.chars().count() > 60 => {
            let head: String = s.chars().take(60).collect();
            format!("{head:?}…")
        }
        AttrValue::Str(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
