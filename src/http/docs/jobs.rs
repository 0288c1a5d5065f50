//! The request bodies of the job routes, as JSON Schema.
//!
//! The wire type [`crate::job::JobRequest`] is one flat struct whose every
//! field is optional, so that a wrong job is reported whole rather than
//! stopped at the first serde error. Its derived schema would tell a client
//! that `{}` is a job and that an xlsx job may carry `entries`. Here the
//! document says what each `format` reads instead: one schema per format,
//! under a `oneOf` on `format`, with the enums, ranges and patterns that
//! `job::validate` enforces. Field descriptions still come from the wire
//! types.
//!
//! Two rules keep it honest, and `scripts/api_fuzz.sh` checks both:
//! - **never stricter than the server**: a body these schemas reject, the
//!   server rejects too (schemathesis sends such bodies and expects a 4xx);
//!   `null` stands for an absent field, as it does in the job;
//! - what JSON Schema cannot say cheaply (that a template exists, that a
//!   cell fits its column type, one of `template`/`document`) is left to
//!   the 404/422 answers, which list every problem.

use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::encoding::EncodingBuilder;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ArrayBuilder, Discriminator, KnownFormat, Object,
    ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};

/// Replaces the derived `JobRequest` schema with one schema per format and
/// gives the job routes their multipart bodies.
pub struct JobSchemas;

impl Modify for JobSchemas {
    fn modify(&self, doc: &mut OpenApi) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let schemas = &mut components.schemas;
        let Some(RefOr::T(Schema::Object(derived))) = schemas.remove("JobRequest") else {
            return;
        };
        let field = |name: &str| {
            derived
                .properties
                .get(name)
                .cloned()
                .unwrap_or_else(|| Object::new().into())
        };
        let description_of = |name: &str| match derived.properties.get(name) {
            Some(RefOr::T(Schema::Object(o))) => o.description.clone(),
            Some(RefOr::T(Schema::OneOf(o))) => o.description.clone().or_else(|| {
                // `Option<T>` of a named type: the description is on the `$ref`.
                o.items.iter().find_map(|item| match item {
                    RefOr::Ref(r) if !r.description.is_empty() => Some(r.description.clone()),
                    _ => None,
                })
            }),
            Some(RefOr::T(Schema::Array(a))) => a.description.clone(),
            _ => None,
        };

        let mut filename = field("filename");
        if let RefOr::T(Schema::Object(o)) = &mut filename {
            // Bytes in the job, characters here: a longer name in bytes is a 422.
            o.min_length = Some(1);
            o.max_length = Some(255);
            o.pattern = Some(FILENAME_PATTERN.to_owned());
        }

        let document_job = |format: &str, example: Value| {
            job_schema(
                format,
                &format!(
                    "A {format} job: exactly one of `template` (+ `data`; a stored template's version pinned with `template_version`), `template_source` (+ `data`) or `document`."
                ),
                &[],
                [
                    ("filename", filename.clone()),
                    ("template", field("template")),
                    ("template_version", field("template_version")),
                    ("template_source", field("template_source")),
                    ("document", field("document")),
                    ("data", field("data")),
                ],
                example,
            )
        };
        let pdf = document_job(
            "pdf",
            json!({"format": "pdf", "filename": "hello.pdf",
                   "template_source": "<document><h1>Hello {{ name }}</h1><p>Your order has shipped.</p></document>",
                   "data": {"name": "Ada"}}),
        );
        let docx = document_job(
            "docx",
            json!({"format": "docx", "filename": "hello.docx",
                   "document": {"page": {"size": "A5"},
                                "content": [{"type": "h1", "text": "Hello"},
                                            {"type": "p", "children": ["plain and ", {"type": "b", "text": "bold"}]}]}}),
        );

        let workbook = OneOfBuilder::new()
            .item(schema_ref("WorkbookSpec"))
            .description(description_of("workbook"));
        let xlsx = job_schema(
            "xlsx",
            "An xlsx job: a workbook of typed columns and rows.",
            &["workbook"],
            [
                ("filename", filename.clone()),
                ("workbook", workbook.into()),
            ],
            derived.example.clone().unwrap_or(Value::Null),
        );

        let source = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(IMAGE_SOURCE_PATTERN))
            .description(description_of("source"));
        let image = job_schema(
            "image",
            "An image job: one image converted, resized and compressed.",
            &["source"],
            [
                ("filename", filename.clone()),
                ("source", source.into()),
                (
                    "resize",
                    or_null("ImageResize", "Resize parameters (default: no resize)."),
                ),
                (
                    "output",
                    or_null(
                        "ImageOutput",
                        "Output encoding (default: the input's format).",
                    ),
                ),
                ("strip_metadata", field("strip_metadata")),
                ("auto_orient", field("auto_orient")),
            ],
            json!({"format": "image", "filename": "dot.webp", "source": PNG_DATA_URL,
                   "resize": {"width": 4, "height": 4, "fit": "fill", "upscale": true},
                   "output": {"format": "webp", "quality": 80}}),
        );

        let entries = ArrayBuilder::new()
            .schema_type(nullable(Type::Array))
            .items(schema_ref("ZipEntry"))
            .description(description_of("entries"));
        let on_error = keyword(&["fail", "skip"], true, description_of("on_error"));
        let zip = job_schema(
            "zip",
            "A zip job: `entries` and/or a `batch` with at least one item.",
            &[],
            [
                ("filename", filename),
                ("entries", entries.into()),
                ("batch", field("batch")),
                ("on_error", on_error.into()),
                ("manifest", field("manifest")),
            ],
            json!({"format": "zip", "filename": "bundle.zip", "entries": [
                {"path": "README.txt", "text": "One PDF per customer."},
                {"path": "letters/ada.pdf",
                 "job": {"format": "pdf", "template_source": "<document><p>Dear {{ name }},</p></document>",
                         "data": {"name": "Ada"}}},
            ]}),
        );

        let mut job = OneOfBuilder::new()
            .description(derived.description.clone())
            .examples(derived.example.clone());
        let mut mapping = Vec::new();
        for (format, name, schema) in [
            ("pdf", "PdfJob", pdf),
            ("docx", "DocxJob", docx),
            ("xlsx", "XlsxJob", xlsx),
            ("image", "ImageJob", image),
            ("zip", "ZipJob", zip),
        ] {
            schemas.insert(name.to_owned(), schema.into());
            job = job.item(schema_ref(name));
            mapping.push((format, format!("#/components/schemas/{name}")));
        }
        let job = job.discriminator(Some(Discriminator::with_mapping("format", mapping)));
        schemas.insert("JobRequest".to_owned(), job.into());

        schemas.insert("ImageResize".to_owned(), image_resize().into());
        schemas.insert("ImageOutput".to_owned(), image_output().into());
        schemas.insert("ZipEntry".to_owned(), zip_entry().into());
        if let Some(RefOr::T(Schema::Object(batch))) = schemas.get_mut("BatchRequest") {
            tighten_batch(batch);
        }
        schemas.insert("JobForm".to_owned(), job_form().into());
        schemas.insert("ImageForm".to_owned(), image_form().into());

        set_multipart(doc);
    }
}

/// The multipart bodies: `JobForm` beside the JSON job of render,
/// validate and async jobs, `ImageForm` for images.
fn set_multipart(doc: &mut OpenApi) {
    for (path, schema, json_part) in [
        ("/v1/render", "JobForm", true),
        ("/v1/validate", "JobForm", true),
        ("/v1/jobs", "JobForm", true),
        ("/v1/images", "ImageForm", false),
    ] {
        let Some(RefOr::T(body)) = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut())
        else {
            continue;
        };
        let mut content = ContentBuilder::new().schema(Some(schema_ref(schema)));
        if json_part {
            let json = EncodingBuilder::new().content_type(Some("application/json"));
            content = content.encoding("job", json);
        }
        body.content
            .insert("multipart/form-data".to_owned(), content.build().into());
    }
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}

fn nullable(kind: Type) -> SchemaType {
    SchemaType::from_iter([kind, Type::Null])
}

fn described(builder: ObjectBuilder, description: &str) -> ObjectBuilder {
    builder.description(Some(description))
}

/// `name`, or `null` (absent).
fn or_null(name: &str, description: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(schema_ref(name))
        .item(Object::with_type(Type::Null))
        .description(Some(description))
        .into()
}

/// An object schema for one format: `format` fixed, only `fields`, the
/// `required` ones among them.
fn job_schema<const N: usize>(
    format: &str,
    description: &str,
    required: &[&str],
    fields: [(&str, RefOr<Schema>); N],
    example: Value,
) -> ObjectBuilder {
    let format_field = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([format]))
        .description(Some("The output format."));
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property("format", format_field)
        .required("format");
    for (name, schema) in fields {
        object = object.property(name, schema);
    }
    for name in required {
        object = object.required(*name);
    }
    object
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .examples([example])
}

/// A plain file name: no path separators or control characters
/// (`char::is_control`); blank names and `.`/`..` are a 422 as well.
const FILENAME_PATTERN: &str = r"^[^/\\\u0000-\u001f\u007f-\u009f]+$";

/// A part name travels in a header: control characters other than tab are a
/// broken multipart body (400).
const PART_NAME_PATTERN: &str = r"^[^\u0000-\u0008\u000a-\u001f\u007f]*$";

/// `file:NAME`, or a base64 data URL (`image::parse_source`).
const IMAGE_SOURCE_PATTERN: &str = r"^\s*(?:file:[\s\S]|data:[^,]*;[Bb][Aa][Ss][Ee]64,)";

/// A 1×1 PNG, for the image job's example.
const PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// `#rgb`, `#rrggbb` or `#rrggbbaa` (`image::parse_colour`).
const COLOUR_PATTERN: &str = r"^\s*#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})\s*$";

/// Largest output side in pixels (`image::spec::MAX_SIDE`; the tests check
/// that the validator agrees).
const MAX_SIDE: u64 = 16_384;

/// Keywords are read without regard to case; the schema lists them as
/// written in the README.
const FITS: &[&str] = &["inside", "cover", "fill", "exact"];
const GRAVITIES: &[&str] = &[
    "centre",
    "center",
    "north",
    "south",
    "east",
    "west",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];
const FILTERS: &[&str] = &[
    "lanczos3",
    "mitchell",
    "catmull-rom",
    "bilinear",
    "box",
    "nearest",
];
const OUTPUT_FORMATS: &[&str] = &["jpeg", "jpg", "png", "webp", "avif"];
const ICC: &[&str] = &["keep", "srgb"];
const COMPRESSIONS: &[&str] = &["auto", "store", "deflate"];

/// One of `values`, or `null` (absent) when `or_null`.
fn keyword(values: &[&str], or_null: bool, description: Option<String>) -> ObjectBuilder {
    let mut list: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    let kind = if or_null {
        list.push(Value::Null);
        nullable(Type::String)
    } else {
        SchemaType::from(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .enum_values(Some(list))
        .description(description)
}

/// A whole number from `min` to `max`, or `null` (absent) when `or_null`.
fn whole(min: u64, max: u64, or_null: bool) -> ObjectBuilder {
    let kind = if or_null {
        nullable(Type::Integer)
    } else {
        SchemaType::from(Type::Integer)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .minimum(Some(min))
        .maximum(Some(max))
}

fn colour(or_null: bool) -> ObjectBuilder {
    let kind = if or_null {
        nullable(Type::String)
    } else {
        SchemaType::from(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .pattern(Some(COLOUR_PATTERN))
}

fn flag(or_null: bool) -> ObjectBuilder {
    let kind = if or_null {
        nullable(Type::Boolean)
    } else {
        SchemaType::from(Type::Boolean)
    };
    ObjectBuilder::new().schema_type(kind)
}

fn text(description: &str) -> Option<String> {
    Some(description.to_owned())
}

fn image_resize() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("How an image is resized: into a box of `width` × `height` (either or both)."))
        .property("width", described(whole(1, MAX_SIDE, true), "Box width in pixels."))
        .property("height", described(whole(1, MAX_SIDE, true), "Box height in pixels."))
        .property("fit", keyword(FITS, true, text("`inside` (default; keeps the aspect ratio), `cover` (fills the box, crops by `gravity`), `fill` (fits inside, pads with `background`), `exact` (stretches).")))
        .property("gravity", keyword(GRAVITIES, true, text("What `cover` keeps when it crops (default `centre`).")))
        .property("background", described(colour(true), "Padding colour of `fill`, `#rrggbb[aa]` (default white)."))
        .property("upscale", described(flag(true), "Enlarge smaller images with `inside` (default false)."))
        .property("filter", keyword(FILTERS, true, text("Resampling filter (default `lanczos3`).")))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .examples([json!({"width": 400, "height": 400, "fit": "cover", "gravity": "centre"})])
}

fn image_output() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("How an image is encoded. `quality` is read by jpeg, webp and avif, `progressive` by jpeg, `lossless` by webp, `optimize` by png, `effort` by webp (0–6) and avif."))
        .property("format", keyword(OUTPUT_FORMATS, true, text("Output format (default: the input's; PNG for GIF, BMP and TIFF).")))
        .property("quality", described(whole(1, 100, true), "Lossy quality (default 80; avif 65)."))
        .property("progressive", described(flag(true), "Progressive JPEG."))
        .property("lossless", described(flag(true), "Lossless WebP."))
        .property("optimize", described(whole(0, 6, true), "oxipng preset for PNG."))
        .property("effort", described(whole(0, 9, true), "Encoder effort: webp 0–6, avif 0–9 (default 4)."))
        .property("icc", keyword(ICC, true, text("`keep` the colour profile with the pixels (default) or convert to `srgb`.")))
        .property("background", described(colour(true), "Colour transparent pixels are flattened onto when the output has no alpha."))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .examples([json!({"format": "webp", "quality": 80, "effort": 4})])
}

/// An entry of a zip job. It is read as a JSON object, not a struct, so
/// `null` is not absent here.
fn zip_entry() -> ObjectBuilder {
    // utoipa models no `oneOf` beside `properties`: it goes in as an extra keyword.
    let one_of: Extensions = [(
        "oneOf",
        json!([{"required": ["job"]}, {"required": ["file"]}, {"required": ["text"]}]),
    )]
    .into_iter()
    .collect();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "One entry of a zip job: its `path` and exactly one of `job`, `file` or `text`.",
        ))
        .property(
            "path",
            described(
                ObjectBuilder::new().schema_type(Type::String),
                "Path in the archive; made safe and unique (see README).",
            ),
        )
        .property("job", schema_ref("JobRequest"))
        .property(
            "file",
            described(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1)),
                "A file sent with the job: `NAME`, `file:NAME`, or a base64 data URL.",
            ),
        )
        .property(
            "text",
            described(
                ObjectBuilder::new().schema_type(Type::String),
                "The entry's content, as UTF-8.",
            ),
        )
        .property(
            "compression",
            keyword(
                COMPRESSIONS,
                false,
                text("`auto` (default), `store` or `deflate`."),
            ),
        )
        .required("path")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .extensions(Some(one_of))
        .examples([json!({"path": "README.txt", "text": "One PDF per customer.", "compression": "deflate"})])
}

/// The batch's `path`, `job` and `items` are required (`null` is absent),
/// and its job is a pdf or docx job without `data` (even `null`).
fn tighten_batch(batch: &mut Object) {
    batch.required = vec!["path".to_owned(), "job".to_owned(), "items".to_owned()];
    let description = |name: &str| match batch.properties.get(name) {
        Some(RefOr::T(Schema::Object(o))) => o.description.clone(),
        Some(RefOr::T(Schema::Array(a))) => a.description.clone(),
        _ => None,
    };
    let path = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(description("path"));
    let not_data: Extensions = [("not", json!({"required": ["data"]}))]
        .into_iter()
        .collect();
    let job = AllOfBuilder::new()
        .item(
            OneOfBuilder::new()
                .item(schema_ref("PdfJob"))
                .item(schema_ref("DocxJob")),
        )
        .item(ObjectBuilder::new().extensions(Some(not_data)))
        .description(description("job"));
    let items = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Object))
        .description(description("items"));
    let compression = keyword(COMPRESSIONS, true, description("compression"));
    batch.properties.insert("path".to_owned(), path.into());
    batch.properties.insert("job".to_owned(), job.into());
    batch.properties.insert("items".to_owned(), items.into());
    batch
        .properties
        .insert("compression".to_owned(), compression.into());
}

fn binary(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some(description))
}

fn part_names() -> Option<Object> {
    Some(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(PART_NAME_PATTERN))
            .build(),
    )
}

fn job_form() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A job as multipart/form-data: the job JSON in a part named `job`, and one part per file the job names (`file:NAME`)."))
        .property("job", schema_ref("JobRequest"))
        .required("job")
        .additional_properties(Some(binary("A file the job names as `file:NAME`")))
        .property_names(part_names())
}

/// The form of `POST /v1/images`. Every part with a file name is an image,
/// whatever its name (so `files` is not required: a file under another
/// name will do); the other parts are these fields, sent as text.
fn image_form() -> ObjectBuilder {
    let files = ArrayBuilder::new()
        .items(binary("An image"))
        .min_items(Some(1))
        .description(Some("JPEG, PNG, WebP, GIF, BMP or TIFF images."));
    let flag = |description: &str| {
        described(
            flag(false),
            &format!("{description} (`true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no`)"),
        )
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("Image files (each a part with a file name; conventionally `files`) and the options of an image job as form fields. One file comes back converted; several as a ZIP with manifest.json."))
        .property("files", files)
        .property("width", described(whole(1, MAX_SIDE, false), "Box width in pixels."))
        .property("height", described(whole(1, MAX_SIDE, false), "Box height in pixels."))
        .property("fit", keyword(FITS, false, text("`inside` (default), `cover`, `fill` or `exact`.")))
        .property("gravity", keyword(GRAVITIES, false, text("What `cover` keeps when it crops.")))
        .property("background", described(colour(false), "`#rrggbb[aa]` padding colour."))
        .property("upscale", flag("Enlarge smaller images"))
        .property("filter", keyword(FILTERS, false, text("Resampling filter.")))
        .property("format", keyword(OUTPUT_FORMATS, false, text("Output format.")))
        .property("quality", described(whole(1, 100, false), "Lossy quality."))
        .property("progressive", flag("Progressive JPEG"))
        .property("lossless", flag("Lossless WebP"))
        .property("optimize", described(whole(0, 6, false), "oxipng preset for PNG."))
        .property("effort", described(whole(0, 9, false), "Encoder effort: webp 0–6, avif 0–9."))
        .property("icc", keyword(ICC, false, text("`keep` or `srgb`.")))
        .property("strip_metadata", flag("Drop EXIF (default true)"))
        .property("auto_orient", flag("Apply EXIF orientation (default true)"))
        .property("all_or_nothing", flag("Answer 422 if any file fails, instead of listing it in manifest.json"))
        .additional_properties(Some(binary("More images, under any part name")))
        .property_names(part_names())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Diagnostics;
    use crate::templates::Catalog;

    fn document() -> Value {
        use utoipa::OpenApi;
        serde_json::to_value(super::super::ApiDoc::openapi()).expect("serializes")
    }

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "unresolved {r}"
            );
        }
    }

    /// The example of every format is a valid job: the examples phase of
    /// the fuzzer renders them.
    #[test]
    fn examples_are_valid_jobs() {
        let doc = document();
        let catalog = Catalog::default();
        for name in ["PdfJob", "DocxJob", "XlsxJob", "ImageJob", "ZipJob"] {
            let example = &doc["components"]["schemas"][name]["examples"][0];
            let bytes = serde_json::to_vec(example).expect("serializes");
            let mut job = crate::job::parse(&bytes)
                .and_then(|request| crate::job::validate(request, &catalog))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            job.attach(Default::default())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            job.check_document()
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
    }

    /// Every keyword the image schemas list is one the validator takes,
    /// and the ranges end where the validator's do.
    #[test]
    fn image_schemas_match_the_validator() {
        let resize = |value: Value| {
            let mut diags = Diagnostics::new();
            crate::image::validate_resize(Some(&value), "/resize", &mut diags);
            diags.into_errors()
        };
        let output = |value: Value| {
            let mut diags = Diagnostics::new();
            crate::image::validate_output(Some(&value), "/output", &mut diags);
            diags.into_errors()
        };
        for (field, values) in [("fit", FITS), ("gravity", GRAVITIES), ("filter", FILTERS)] {
            for value in values {
                assert_eq!(resize(json!({ field: value })), [], "{field} {value}");
            }
        }
        for value in OUTPUT_FORMATS {
            assert_eq!(output(json!({"format": value})), [], "format {value}");
        }
        for value in ICC {
            assert_eq!(output(json!({"icc": value})), [], "icc {value}");
        }
        assert_eq!(resize(json!({"width": MAX_SIDE, "height": 1})), []);
        assert_eq!(resize(json!({"width": MAX_SIDE + 1})).len(), 1);
        assert_eq!(resize(json!({"height": 0})).len(), 1);
        assert_eq!(resize(json!({"background": " #AbC "})), []);
        assert_eq!(resize(json!({"background": "#abcd"})).len(), 1);
        for (field, min, max) in [("quality", 1, 100), ("optimize", 0, 6), ("effort", 0, 9)] {
            let format = match field {
                "optimize" => "png",
                _ => "avif",
            };
            assert_eq!(output(json!({"format": format, field: min})), [], "{field}");
            assert_eq!(output(json!({"format": format, field: max})), [], "{field}");
            assert_eq!(output(json!({field: max + 1})).len(), 1, "{field}");
        }
    }
}
