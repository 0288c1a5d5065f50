//! The `resize` and `output` objects of an image job, checked field by
//! field so every problem is reported with its pointer.

use serde_json::{Map, Value};

use super::{Colour, Filter, Fit, Gravity, Icc, Output, OutputFormat, Resize};
use crate::problem::Diagnostics;

/// Largest output side, in pixels.
pub const MAX_SIDE: u32 = 16_384;

const FITS: &[(&str, Fit)] = &[
    ("inside", Fit::Inside),
    ("cover", Fit::Cover),
    ("fill", Fit::Fill),
    ("exact", Fit::Exact),
];

const GRAVITIES: &[(&str, Gravity)] = &[
    ("centre", Gravity::Centre),
    ("center", Gravity::Centre),
    ("north", Gravity::North),
    ("south", Gravity::South),
    ("east", Gravity::East),
    ("west", Gravity::West),
    ("northeast", Gravity::NorthEast),
    ("northwest", Gravity::NorthWest),
    ("southeast", Gravity::SouthEast),
    ("southwest", Gravity::SouthWest),
];

const FILTERS: &[(&str, Filter)] = &[
    ("lanczos3", Filter::Lanczos3),
    ("mitchell", Filter::Mitchell),
    ("catmull-rom", Filter::CatmullRom),
    ("bilinear", Filter::Bilinear),
    ("box", Filter::Box),
    ("nearest", Filter::Nearest),
];

const ICC: &[(&str, Icc)] = &[("keep", Icc::Keep), ("srgb", Icc::Srgb)];

/// Reads `resize` (at `pointer`); `None` is no resize.
pub fn validate_resize(value: Option<&Value>, pointer: &str, diags: &mut Diagnostics) -> Resize {
    let mut resize = Resize::default();
    let Some(mut fields) = Fields::new(value, pointer, diags) else {
        return resize;
    };
    resize.width = fields.side("width");
    resize.height = fields.side("height");
    if let Some(fit) = fields.keyword("fit", FITS) {
        resize.fit = fit;
    }
    if let Some(gravity) = fields.keyword("gravity", GRAVITIES) {
        resize.gravity = gravity;
    }
    if let Some(colour) = fields.colour("background") {
        resize.background = colour;
    }
    if let Some(upscale) = fields.bool("upscale") {
        resize.upscale = upscale;
    }
    if let Some(filter) = fields.keyword("filter", FILTERS) {
        resize.filter = filter;
    }
    fields.finish();
    resize
}

/// Reads `output` (at `pointer`).
pub fn validate_output(value: Option<&Value>, pointer: &str, diags: &mut Diagnostics) -> Output {
    let mut output = Output::default();
    let Some(mut fields) = Fields::new(value, pointer, diags) else {
        return output;
    };
    let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.as_str()).collect();
    if let Some(name) = fields.string("format") {
        match OutputFormat::parse(&name.to_ascii_lowercase()) {
            Some(format) => output.format = Some(format),
            None => fields.error(
                "format",
                format!(
                    "unknown output format {name:?}; expected one of {}",
                    names.join(", ")
                ),
            ),
        }
    }
    output.quality = fields.int("quality", 1, 100);
    output.progressive = fields.bool("progressive").unwrap_or(false);
    output.lossless = fields.bool("lossless").unwrap_or(false);
    output.optimize = fields.int("optimize", 0, 6);
    output.effort = fields.int("effort", 0, 9);
    if let Some(icc) = fields.keyword("icc", ICC) {
        output.icc = icc;
    }
    output.background = fields.colour("background");

    // Options given (and valid) for a format that does not read them.
    let jpeg_webp_avif = &[OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Avif][..];
    let given = [
        ("quality", output.quality.is_some(), jpeg_webp_avif),
        ("progressive", output.progressive, &[OutputFormat::Jpeg][..]),
        ("lossless", output.lossless, &[OutputFormat::Webp][..]),
        (
            "optimize",
            output.optimize.is_some(),
            &[OutputFormat::Png][..],
        ),
        (
            "effort",
            output.effort.is_some(),
            &[OutputFormat::Webp, OutputFormat::Avif][..],
        ),
    ];
    if let Some(format) = output.format {
        for (field, present, formats) in given {
            if present && !formats.contains(&format) {
                let list: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
                fields.error(field, format!("only used by {} output", list.join(", ")));
            }
        }
    }
    if output.format == Some(OutputFormat::Webp) && output.effort.is_some_and(|e| e > 6) {
        fields.error("effort", "WebP effort is 0 to 6");
    }
    fields.finish();
    output
}

/// The members of one JSON object, taken one by one; what is left at the
/// end is reported as unknown.
struct Fields<'a, 'd> {
    map: Map<String, Value>,
    pointer: &'a str,
    diags: &'d mut Diagnostics,
}

impl<'a, 'd> Fields<'a, 'd> {
    fn new(
        value: Option<&Value>,
        pointer: &'a str,
        diags: &'d mut Diagnostics,
    ) -> Option<Fields<'a, 'd>> {
        match value? {
            Value::Object(map) => Some(Fields {
                map: map.clone(),
                pointer,
                diags,
            }),
            Value::Null => None,
            _ => {
                diags.error(pointer, "expected an object");
                None
            }
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        let value = self.map.remove(name)?;
        if value.is_null() { None } else { Some(value) }
    }

    fn error(&mut self, name: &str, message: impl Into<String>) {
        self.diags
            .error(format!("{}/{}", self.pointer, name), message);
    }

    fn string(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::String(s) => Some(s),
            _ => {
                self.error(name, "expected a string");
                None
            }
        }
    }

    fn bool(&mut self, name: &str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(b) => Some(b),
            _ => {
                self.error(name, "expected true or false");
                None
            }
        }
    }

    fn int<T: TryFrom<u64>>(&mut self, name: &str, min: u64, max: u64) -> Option<T> {
        let value = self.take(name)?;
        match value.as_u64().filter(|n| (min..=max).contains(n)) {
            Some(n) => T::try_from(n).ok(),
            None => {
                self.error(name, format!("expected a whole number from {min} to {max}"));
                None
            }
        }
    }

    fn side(&mut self, name: &str) -> Option<u32> {
        self.int(name, 1, u64::from(MAX_SIDE))
    }

    fn keyword<T: Copy>(&mut self, name: &str, table: &[(&str, T)]) -> Option<T> {
        let text = self.string(name)?;
        let lower = text.to_ascii_lowercase();
        match table.iter().find(|(k, _)| *k == lower) {
            Some((_, v)) => Some(*v),
            None => {
                let names: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
                self.error(
                    name,
                    format!(
                        "unknown value {text:?}; expected one of {}",
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn colour(&mut self, name: &str) -> Option<Colour> {
        let text = self.string(name)?;
        match parse_colour(&text) {
            Some(c) => Some(c),
            None => {
                self.error(
                    name,
                    format!("{text:?} is not a colour; expected #rgb, #rrggbb or #rrggbbaa"),
                );
                None
            }
        }
    }

    fn finish(self) {
        for key in self.map.keys() {
            self.diags.error(
                format!("{}/{}", self.pointer, crate::problem::escape_token(key)),
                "unknown field",
            );
        }
    }
}

/// `#rgb`, `#rrggbb` or `#rrggbbaa`.
pub fn parse_colour(text: &str) -> Option<Colour> {
    let hex = text.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    match hex.len() {
        3 => {
            let mut c = [255u8; 4];
            for (i, ch) in hex.chars().enumerate() {
                let v = ch.to_digit(16)? as u8;
                c[i] = v * 17;
            }
            Some(Colour(c))
        }
        6 => Some(Colour([byte(0)?, byte(2)?, byte(4)?, 255])),
        8 => Some(Colour([byte(0)?, byte(2)?, byte(4)?, byte(6)?])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let mut diags = Diagnostics::new();
        validate_resize(
            Some(&json!({"width": 0, "fit": "squash", "background": "red", "zoom": 2})),
            "/resize",
            &mut diags,
        );
        validate_output(
            Some(&json!({"format": "png", "quality": 80, "effort": 12})),
            "/output",
            &mut diags,
        );
        let pointers: Vec<String> = diags.into_errors().into_iter().map(|e| e.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/resize/width",
                "/resize/fit",
                "/resize/background",
                "/resize/zoom",
                "/output/effort",
                "/output/quality",
            ]
        );
    }

    #[test]
    fn colours() {
        assert_eq!(parse_colour("#fff"), Some(Colour::WHITE));
        assert_eq!(parse_colour("#00000000"), Some(Colour([0, 0, 0, 0])));
        assert_eq!(parse_colour("#12345"), None);
        assert_eq!(parse_colour("white"), None);
    }
}
