//! Image jobs: one source image (`file:NAME` or a `data:` URL), converted.

use bytes::Bytes;

use crate::doc::Files;
use crate::image::{self as img, OutputFormat};
use crate::problem::{Diagnostics, FieldError};
use crate::templates::Catalog;

use super::JobRequest;

/// A validated image job.
#[derive(Debug, Clone)]
pub struct ImageJob {
    pub source: ImageSource,
    pub spec: img::Spec,
    pub limits: img::Limits,
    /// The source bytes, once the job's files are attached ([`super::Job::attach`]).
    pub input: Option<Bytes>,
    /// The output format, once the input is known.
    pub output: Option<OutputFormat>,
}

/// Where the source image comes from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// A file sent with the job (multipart part, `--file`).
    File(String),
    /// Bytes inlined in the job as a `data:` URL.
    Data(Bytes),
}

const SOURCE_EXPECTED: &str =
    "expected file:NAME (a file sent with the job) or a base64 data URL (data:image/jpeg;base64,…)";

pub fn validate(
    request: JobRequest,
    templates: &Catalog,
    diags: &mut Diagnostics,
) -> Option<ImageJob> {
    super::reject_unused(
        &request,
        &[
            "/source",
            "/resize",
            "/output",
            "/strip_metadata",
            "/auto_orient",
        ],
        "image",
        diags,
    );
    if request.template.is_some() {
        diags.error("/template", "not used by image jobs");
    }
    if request.data.is_some() {
        diags.error("/data", "not used by image jobs");
    }
    let source = match request.source.as_deref().map(str::trim) {
        None => {
            diags.error(
                "/source",
                format!("missing required field for image jobs; {SOURCE_EXPECTED}"),
            );
            None
        }
        Some(src) => parse_source(src)
            .map_err(|m| diags.error("/source", m))
            .ok(),
    };
    let resize = img::validate_resize(request.resize.as_ref(), "/resize", diags);
    let output = img::validate_output(request.output.as_ref(), "/output", diags);
    let mut spec = img::Spec::new();
    spec.resize = resize;
    spec.output = output;
    if let Some(strip) = request.strip_metadata {
        spec.strip_metadata = strip;
    }
    if let Some(orient) = request.auto_orient {
        spec.auto_orient = orient;
    }
    let limits = img::Limits {
        max_pixels: templates.doc_limits.max_image_pixels,
        max_bytes: templates.doc_limits.max_image_bytes,
    };
    Some(ImageJob {
        source: source?,
        spec,
        limits,
        input: None,
        output: None,
    })
}

fn parse_source(src: &str) -> Result<ImageSource, String> {
    if let Some(name) = src.strip_prefix("file:") {
        if name.is_empty() {
            return Err(format!("no file name after file:; {SOURCE_EXPECTED}"));
        }
        return Ok(ImageSource::File(name.to_owned()));
    }
    let Some((header, payload)) = src.strip_prefix("data:").and_then(|r| r.split_once(',')) else {
        return Err(SOURCE_EXPECTED.to_owned());
    };
    if !header.to_ascii_lowercase().ends_with(";base64") {
        return Err("only base64 data URLs are supported (data:image/jpeg;base64,…)".to_owned());
    }
    crate::doc::lower::base64(payload)
        .map(|bytes| ImageSource::Data(Bytes::from(bytes)))
        .map_err(|e| format!("the data URL is not valid base64: {e}"))
}

impl ImageJob {
    /// Finds the source among `files` and detects its format, which fixes
    /// the output format when the job names none.
    pub fn attach(&mut self, files: &Files) -> Result<OutputFormat, FieldError> {
        let bytes = match &self.source {
            ImageSource::Data(bytes) => bytes.clone(),
            ImageSource::File(name) => match files.get(name) {
                Some(bytes) => bytes.clone(),
                None => {
                    return Err(FieldError::new(
                        "/source",
                        crate::doc::missing_file(name, files),
                    ));
                }
            },
        };
        let output = match self.spec.output.format {
            Some(format) => format,
            None => match img::sniff(&bytes) {
                Some(input) => OutputFormat::for_input(input),
                None => {
                    return Err(FieldError::new(
                        "/source",
                        img::ImageError::Unsupported.to_string(),
                    ));
                }
            },
        };
        self.input = Some(bytes);
        self.output = Some(output);
        Ok(output)
    }

    /// The stem of the default file name: the source file's, or `image`.
    pub fn stem(&self) -> &str {
        match &self.source {
            ImageSource::File(name) => {
                let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
                match base.rsplit_once('.') {
                    Some((stem, _)) if !stem.is_empty() => stem,
                    _ if !base.is_empty() => base,
                    _ => "image",
                }
            }
            ImageSource::Data(_) => "image",
        }
    }
}
