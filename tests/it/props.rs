//! Property tests of the parsers that face hostile input: whatever arrives,
//! they answer with a value or an error, never a panic. (`cargo fuzz` needs
//! a nightly compiler; these run on stable, in CI, with a fixed budget.)

use docsmith::doc::{self, Assets, Files};
use docsmith::image::{self, Limits, Spec};
use docsmith::job;
use docsmith::render_ctx::RenderCtx;
use docsmith::templates::Catalog;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::support::repo_path;

/// Field names the job parser knows, at any depth, so generated jobs reach
/// past the first check.
const KEYS: &[&str] = &[
    "format",
    "filename",
    "template",
    "template_source",
    "data",
    "document",
    "workbook",
    "source",
    "resize",
    "output",
    "entries",
    "batch",
    "on_error",
    "manifest",
    "path",
    "job",
    "text",
    "file",
    "items",
    "compression",
    "sheets",
    "rows",
    "columns",
    "name",
    "type",
    "content",
    "page",
    "width",
    "height",
    "fit",
    "quality",
];
const STRINGS: &[&str] = &[
    "pdf",
    "docx",
    "xlsx",
    "image",
    "zip",
    "invoice",
    "report",
    "skip",
    "fail",
    "store",
    "../../x",
    "{{ x }}",
    "{% for i in range(9) %}{{ i }}{% endfor %}",
    "file:a",
    "data:image/png;base64,iVBORw0KGgo=",
    "<document><p>x</p></document>",
    "",
    "\u{0}",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Starts of the image formats docsmith reads, so the decoders get past
/// their signature checks.
const MAGIC: &[&[u8]] = &[
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
];

fn catalog() -> Catalog {
    Catalog::load(&repo_path("templates")).expect("templates")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn job_validation_never_panics(
        format in prop::sample::select(&["pdf", "docx", "xlsx", "image", "zip", "odt"][..]),
        fields in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6),
    ) {
        let mut object: Map<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert("format".to_owned(), Value::from(format));
        let bytes = serde_json::to_vec(&Value::Object(object)).expect("serialised");
        let catalog = catalog();
        if let Ok(request) = job::parse(&bytes)
            && let Ok(mut job) = job::validate(request, &catalog)
            && job.attach(Files::new()).is_ok()
        {
            // The checks left for the worker must not panic either.
            let _ = job.check_document();
        }
    }

    #[test]
    fn markup_never_panics(parts in prop::collection::vec(prop::sample::select(&[
        "<document>", "</document>", "<p>", "</p>", "<b>", "</b>", "<table>", "</table>",
        "<tr>", "<td colspan=\"2\">", "<td colspan=\"-1\">", "</td>", "<h1>", "</h1>",
        "<ul><li>", "</li></ul>", "<img src=\"file:x\"/>", "<qr data=\"x\"/>",
        "<barcode data=\"\u{e9}\"/>", "<page size=\"[0,0]\"/>", "<columns count=\"0\">",
        "&amp;", "&nope;", "&#0;", "&#x110000;", "<!DOCTYPE d [<!ENTITY e \"x\">]>", "&e;",
        "<?pi x?>", "<![CDATA[ x ]]>", "<!-- c -->", "text ", "\u{202e}", "\"", "<", ">",
        "<spacer height=\"1e308pt\"/>", "<span size=\"NaN\">", "</span>",
    ][..]), 0..40)) {
        let source = parts.concat();
        let files = Files::new();
        if let Ok(tree) = doc::markup::parse(&source) {
            let assets = Assets { files: &files, max_image_pixels: 1_000_000, fonts: None };
            let _ = doc::lower::lower(tree, assets);
        }
    }

    #[test]
    fn image_decoding_never_panics(
        magic in prop::sample::select(MAGIC),
        tail in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&tail);
        let mut spec = Spec::new();
        spec.resize.width = Some(16);
        let limits = Limits { max_pixels: 4_000_000, max_bytes: 1 << 20 };
        let _ = image::convert(&bytes, &spec, &limits, &RenderCtx::default());
    }
}
