//! Images from data URIs and attached files; the base64 decoder.

use super::{FILES, base64, body, check_errors, png};
use crate::doc::model::{Align, Block, Image, ImageFormat};
use crate::doc::{Assets, from_markup};

#[track_caller]
fn image(markup: &str) -> Image {
    match body(markup).into_iter().next() {
        Some(Block::Image(image)) => image,
        other => panic!("expected an image, got {other:?}"),
    }
}

#[test]
fn data_uri_and_file_images_are_probed_not_decoded() {
    let uri = format!("data:image/png;base64,{}", base64(&png(7, 5)));
    let img = image(&format!(
        "<img src=\"{uri}\" width=\"2cm\" align=\"center\" alt=\"Logo\"/>"
    ));
    assert_eq!(
        (img.data.format, img.data.pixel_width, img.data.pixel_height),
        (ImageFormat::Png, 7, 5)
    );
    assert_eq!(img.data.bytes, png(7, 5));
    assert_eq!(
        (img.align, img.alt.as_deref(), img.height, img.space_after),
        (Align::Center, Some("Logo"), None, 6.0)
    );
    assert!(img.width.is_some_and(|w| (w - 56.69).abs() < 0.01));

    // Whitespace in the base64 is ignored; the media type may claim JPEG.
    let spaced = base64(&png(2, 2))
        .chars()
        .flat_map(|c| [c, '\n'])
        .collect::<String>();
    let img = image(&format!("<img src=\"data:image/jpeg;base64,{spaced}\"/>"));
    assert_eq!(img.data.format, ImageFormat::Png);

    let blocks = body("<img src=\"file:logo.png\"/><img src=\"file:logo.png\"/>");
    let [Block::Image(a), Block::Image(b)] = &blocks[..] else {
        panic!("expected two images, got {blocks:?}");
    };
    assert_eq!((a.data.pixel_width, a.data.pixel_height), (4, 3));
    // One file read once, shared.
    assert!(std::sync::Arc::ptr_eq(&a.data, &b.data));
}

#[test]
fn bad_images_are_refused() {
    check_errors(
        concat!(
            "<document>\n",
            "<img src=\"file:missing.png\"/>\n",
            "<img src=\"file:notes.txt\"/>\n",
            "<img src=\"data:image/png;base64,bm90IGFuIGltYWdl\"/>\n",
            "<img src=\"data:image/png;base64,!!\"/>\n",
            "<img src=\"data:image/gif;base64,R0lG\"/>\n",
            "<img src=\"https://example.com/a.png\"/>\n",
            "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\"/>\n",
            "<img/>\n",
            "</document>"
        ),
        &[
            "line 2, column 6: no file named \"missing.png\"; files sent: logo.png, notes.txt",
            "line 3, column 6: not a PNG or JPEG image",
            "line 4, column 6: not a PNG or JPEG image",
            "line 5, column 6: the data URI is not valid base64: unexpected character at position 1",
            "line 6, column 6: unsupported image type \"image/gif\": use image/png or image/jpeg",
            "line 7, column 6: src must be a data URI (data:image/png;base64,… or data:image/jpeg;base64,…) or file:NAME",
            "line 8, column 6: the image is damaged: unexpected end of file",
            "line 9, column 1: <img> needs a src attribute",
        ],
    );
}

#[test]
fn images_over_the_pixel_limit_are_refused_from_the_header() {
    let assets = Assets {
        files: &FILES,
        max_image_pixels: 11,
        fonts: None,
    };
    let result = from_markup("<document><img src=\"file:logo.png\"/></document>", assets);
    let errors: Vec<String> = result
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        ["line 1, column 16: the image is 4 × 3 pixels; at most 11 pixels are accepted"]
    );
}

#[test]
fn base64_is_strict() {
    use super::super::image::base64 as decode;
    let ok = [
        ("", ""),
        ("YQ==", "a"),
        ("YQ", "a"),
        ("YWI=", "ab"),
        ("YWJj", "abc"),
        (" YW\nJj ", "abc"),
    ];
    for (text, expected) in ok {
        assert_eq!(decode(text).as_deref(), Ok(expected.as_bytes()), "{text}");
    }
    let bad = ["Y", "YQ=", "YQ===", "YQ==YQ", "YR==", "-_", "YWJj="];
    for text in bad {
        assert!(decode(text).is_err(), "{text}");
    }
}
