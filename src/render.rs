//! Dispatch a validated job to its generator. This is the one code path shared
//! by `docsmith render` and the HTTP service.

use std::io::{self, Write};

use crate::docx::{self, DocxError};
use crate::image::{self, ImageError};
use crate::job::{Job, JobBody};
use crate::layout::{LayoutError, LayoutLimits};
use crate::pdf::{self, PdfError};
use crate::problem::Problem;
use crate::render_ctx::{Interrupted, RenderCtx};
use crate::xlsx;

/// Where a generator's output goes.
///
/// Generators that build the whole document in memory hand it over with
/// [`Sink::whole`], so the HTTP edge can send `Content-Length`; streaming
/// generators write as they go.
pub trait Sink: Write {
    fn whole(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        self.write_all(&bytes)
    }
}

impl Sink for Vec<u8> {
    fn whole(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if self.is_empty() {
            *self = bytes;
            Ok(())
        } else {
            self.write_all(&bytes)
        }
    }
}

impl<W: Write> Sink for io::BufWriter<W> {}

/// Why rendering a valid job failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// Writing the output failed (client gone, disk full).
    #[error("writing the output failed: {0}")]
    Io(#[from] io::Error),
    /// The XLSX writer refused something validation let through: a bug.
    #[error("xlsx writer: {0}")]
    Xlsx(String),
    /// The job is well-formed but its template or document is not (422).
    #[error("invalid document")]
    Invalid(Vec<crate::problem::FieldError>),
    /// The PDF writer failed on something validation let through.
    #[error("pdf: {0}")]
    Pdf(String),
    /// The worker pool had no room for the job (503).
    #[error("all workers are busy and the queue is full")]
    Overloaded(u64),
    /// An image encoder refused what docsmith gave it: a bug.
    #[error("image: {0}")]
    Image(String),
    /// A generator panicked: a bug.
    #[error("the generator panicked: {0}")]
    Panicked(String),
}

impl RenderError {
    /// The problem a client sees. Internal details stay out of it.
    pub fn to_problem(&self) -> Problem {
        match self {
            RenderError::Interrupted(Interrupted::TimedOut) => Problem::new(
                504,
                "job-timeout",
                "Job timed out",
                "the job ran past its time limit and was cancelled",
            ),
            RenderError::Interrupted(Interrupted::Cancelled) => {
                Problem::overloaded("the job was cancelled (the service is shutting down)", 1)
            }
            RenderError::Invalid(errors) => Problem::invalid_job(errors.clone()),
            RenderError::Overloaded(retry_after) => {
                Problem::overloaded("all workers are busy and the queue is full", *retry_after)
            }
            RenderError::Io(_)
            | RenderError::Xlsx(_)
            | RenderError::Pdf(_)
            | RenderError::Image(_)
            | RenderError::Panicked(_) => Problem::internal(),
        }
    }
}

impl RenderError {
    /// The `outcome` label of the job duration metric.
    pub fn outcome(&self) -> &'static str {
        match self {
            RenderError::Interrupted(_) => "interrupted",
            RenderError::Io(_) => "client_gone",
            RenderError::Invalid(_) => "invalid",
            RenderError::Overloaded(_) => "overloaded",
            RenderError::Xlsx(_)
            | RenderError::Pdf(_)
            | RenderError::Image(_)
            | RenderError::Panicked(_) => "error",
        }
    }
}

/// Logs why a job failed, at the level its cause deserves: a bug is an
/// error, a client's mistake or a timeout is not.
pub fn report_failure(err: &RenderError) {
    match err {
        RenderError::Interrupted(why) => tracing::warn!(%why, "job interrupted"),
        RenderError::Io(io) => tracing::info!(error = %io, "output closed early"),
        RenderError::Invalid(errors) => tracing::info!(problems = errors.len(), "invalid document"),
        RenderError::Overloaded(_) => tracing::info!("no room on the worker pool"),
        RenderError::Xlsx(_)
        | RenderError::Pdf(_)
        | RenderError::Image(_)
        | RenderError::Panicked(_) => tracing::error!(error = %err, "job failed"),
    }
}

impl From<xlsx::XlsxError> for RenderError {
    fn from(err: xlsx::XlsxError) -> Self {
        match err {
            xlsx::XlsxError::Interrupted(i) => RenderError::Interrupted(i),
            other => RenderError::Xlsx(other.to_string()),
        }
    }
}

impl From<PdfError> for RenderError {
    fn from(err: PdfError) -> Self {
        use crate::problem::FieldError;
        match err {
            PdfError::Layout(LayoutError::Interrupted(i)) => RenderError::Interrupted(i),
            PdfError::Layout(e @ (LayoutError::TooManyPages(_) | LayoutError::Code(_))) => {
                RenderError::Invalid(vec![FieldError::new("", e.to_string())])
            }
            e @ PdfError::Image { .. } => {
                RenderError::Invalid(vec![FieldError::new("", e.to_string())])
            }
            PdfError::Io(e) => RenderError::Io(e),
            e @ PdfError::Font(_) => RenderError::Pdf(e.to_string()),
        }
    }
}

impl From<DocxError> for RenderError {
    fn from(err: DocxError) -> Self {
        use crate::problem::FieldError;
        match err {
            DocxError::Interrupted(i) => RenderError::Interrupted(i),
            e @ DocxError::Code(_) => {
                RenderError::Invalid(vec![FieldError::new("", e.to_string())])
            }
            DocxError::Io(e) => RenderError::Io(e),
        }
    }
}

impl From<ImageError> for RenderError {
    fn from(err: ImageError) -> Self {
        use crate::problem::FieldError;
        match err {
            ImageError::Interrupted(i) => RenderError::Interrupted(i),
            e @ ImageError::Encode { .. } => RenderError::Image(e.to_string()),
            e @ (ImageError::ResultTooLarge { .. } | ImageError::TooLargeForFormat { .. }) => {
                RenderError::Invalid(vec![FieldError::new("/resize", e.to_string())])
            }
            e => RenderError::Invalid(vec![FieldError::new("/source", e.to_string())]),
        }
    }
}

/// The file name that makes [`render`] panic in unit tests, which show that a
/// panic in a generator fails one job and keeps its worker.
#[cfg(test)]
pub(crate) const PANICKING_JOB: &str = "generator-panics.xlsx";

/// Renders `job` into `sink`.
pub fn render(job: &Job, ctx: &RenderCtx, sink: &mut dyn Sink) -> Result<(), RenderError> {
    ctx.check()?;
    #[cfg(test)]
    if job.filename == PANICKING_JOB {
        panic!("a generator bug, injected by a test");
    }
    match &job.body {
        JobBody::Xlsx(book) => {
            let bytes = xlsx::write(book, ctx)?;
            sink.whole(bytes)?;
        }
        JobBody::Pdf(doc_job) => {
            let document = doc_job.document(&job.files).map_err(RenderError::Invalid)?;
            ctx.check()?;
            let mut bytes = Vec::with_capacity(64 * 1024);
            let limits = LayoutLimits {
                max_pages: doc_job.limits.max_pages,
            };
            pdf::write(&doc_job.fonts, document, limits, ctx, &mut bytes)?;
            sink.whole(bytes)?;
        }
        JobBody::Docx(doc_job) => {
            let document = doc_job.document(&job.files).map_err(RenderError::Invalid)?;
            ctx.check()?;
            let mut bytes = Vec::with_capacity(64 * 1024);
            docx::write(&doc_job.fonts, &document, ctx, &mut bytes)?;
            sink.whole(bytes)?;
        }
        JobBody::Image(image_job) => {
            let Some(input) = &image_job.input else {
                return Err(RenderError::Image(
                    "the job's files were not attached".to_owned(),
                ));
            };
            let converted = image::convert(input, &image_job.spec, &image_job.limits, ctx)?;
            sink.whole(converted.bytes)?;
        }
        JobBody::Zip(zip) => crate::bundle::write(zip, ctx, sink)?,
    }
    sink.flush()?;
    Ok(())
}

/// Renders with panics caught and turned into [`RenderError::Panicked`], so a
/// bug in one generator fails one job instead of a worker.
pub fn render_catching(job: &Job, ctx: &RenderCtx, sink: &mut dyn Sink) -> Result<(), RenderError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(job, ctx, sink))) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(RenderError::Panicked(message))
        }
    }
}
