//! Zip jobs rendered: each entry's job runs on the worker pool, a few at a
//! time, and the results are written in entry order to a streaming ZIP
//! writer, so the first bytes leave while later entries are still being
//! made and memory holds a few entries, never the archive.
//!
//! The coordinator (the caller's thread) keeps at most `2 × workers`
//! entries ahead of the one it writes: that many results can wait, done,
//! for their turn. Files and texts are written from the job as they are; a
//! nested zip job is streamed into its entry by the same coordinator.
//!
//! A failed entry either fails the job (`on_error: "fail"`: the error is the
//! answer when nothing was written yet, otherwise the output is cut so the
//! client sees a broken download, never a complete-looking archive), or is
//! left out and listed in `manifest.json` (`"skip"`).

pub mod path;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, mpsc};

use serde::Serialize;

use crate::archive::{self, Method, ZipWriter};
use crate::job::zip::{self as zip_job, Compression, Content, MANIFEST, OnError, ZipJob};
use crate::job::{Job, JobBody};
use crate::pool;
use crate::problem::FieldError;
use crate::render::{self, RenderError};
use crate::render_ctx::RenderCtx;

/// Writes the archive of `job` into `out`.
pub fn write(job: &Arc<ZipJob>, ctx: &RenderCtx, out: &mut dyn Write) -> Result<(), RenderError> {
    // Like any job, one that finds the pool full is turned away before it
    // starts, even when its first entries need no worker.
    if let Some(fanout) = &ctx.fanout
        && needs_pool(job)
        && !fanout.pool.has_room()
    {
        return Err(RenderError::Overloaded(fanout.retry_after_secs));
    }
    let mut run = Run {
        ctx,
        bytes: 0,
        max_bytes: job.max_bytes,
        done: 0,
        total: job.total_entries,
        submitted: false,
        flushed: false,
    };
    run.archive(job, out)
}

/// State shared by an archive and the archives nested in it.
struct Run<'a> {
    ctx: &'a RenderCtx,
    /// Uncompressed bytes of every entry written so far.
    bytes: u64,
    max_bytes: u64,
    /// Entries written or skipped so far, for progress.
    done: usize,
    total: usize,
    /// Whether any entry went to the pool or the output yet: until then a
    /// full pool makes the job a 503; after, the job waits for room.
    submitted: bool,
    /// Whether the first entry was pushed out to the client already: it
    /// leaves at once, later ones in the sink's chunks.
    flushed: bool,
}

/// What `manifest.json` says about one entry.
#[derive(Debug, Serialize)]
struct ManifestEntry {
    path: String,
    /// Where the entry is in the job.
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    /// Uncompressed size; absent for a failed entry and a nested archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

impl ManifestEntry {
    fn written(
        path: &str,
        source: String,
        format: Option<&'static str>,
        bytes: Option<usize>,
    ) -> Self {
        ManifestEntry {
            path: path.to_owned(),
            source,
            format,
            bytes,
            error: None,
            errors: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    entries: usize,
    written: usize,
    failed: usize,
    on_error: &'static str,
    files: &'a [ManifestEntry],
}

type Outcome = Result<Vec<u8>, RenderError>;

/// Where one entry of an archive comes from.
enum Slot<'a> {
    /// A job rendered on the pool (`/entries/N/job` or a batch item).
    Task,
    /// A zip job, streamed into its entry here.
    Nested(&'a Arc<ZipJob>),
    /// Bytes the job carries.
    Bytes(&'a [u8]),
}

impl Run<'_> {
    fn archive(&mut self, job: &Arc<ZipJob>, out: &mut dyn Write) -> Result<(), RenderError> {
        let batch_len = job.batch.as_ref().map_or(0, |b| b.items.len());
        let slots = job.entries.len() + batch_len;
        let window = self
            .ctx
            .fanout
            .as_ref()
            .map_or(1, |f| 2 * f.pool.workers().max(1));
        let mut zip = ZipWriter::new(out);
        let mut manifest = Vec::new();
        let mut queued: VecDeque<Option<mpsc::Receiver<Outcome>>> = VecDeque::new();
        let mut next = 0;
        for slot in 0..slots {
            while next < slots && next < slot + window {
                let receiver = match self.slot(job, next) {
                    Slot::Task => self.submit(job, next)?,
                    _ => None,
                };
                queued.push_back(receiver);
                next += 1;
            }
            if !self.flushed && zip.entries() > 0 {
                zip.flush()?;
                self.flushed = true;
            }
            let receiver = queued.pop_front().flatten();
            let (path, source, compression) = describe(job, slot);
            match self.slot(job, slot) {
                Slot::Bytes(bytes) => {
                    self.count(bytes.len(), path)?;
                    let method = match compression {
                        Compression::Auto => auto_method(bytes),
                        Compression::Store => Method::Store,
                        Compression::Deflate => Method::Deflate,
                    };
                    zip.add(path, bytes, method)?;
                    if job.manifest {
                        manifest.push(ManifestEntry::written(
                            path,
                            source,
                            None,
                            Some(bytes.len()),
                        ));
                    }
                    self.advance();
                }
                Slot::Nested(nested) => {
                    self.submitted = true;
                    let mut entry = zip.stream_stored(path)?;
                    self.archive(nested, &mut entry)
                        .map_err(|e| located(e, &format!("{source}/job"), None))?;
                    entry.finish()?;
                    if job.manifest {
                        manifest.push(ManifestEntry::written(path, source, Some("zip"), None));
                    }
                    // The nested archive counts as an entry of its own.
                    self.advance();
                }
                Slot::Task => {
                    let outcome = match receiver {
                        Some(receiver) => self.wait(&receiver)?,
                        None => render_slot(job, slot, self.ctx),
                    };
                    let format = slot_format(job, slot);
                    match outcome {
                        Ok(bytes) => {
                            self.count(bytes.len(), path)?;
                            let method = match compression {
                                // Every job's output is compressed already:
                                // PDF streams, DOCX/XLSX packages, images.
                                Compression::Auto | Compression::Store => Method::Store,
                                Compression::Deflate => Method::Deflate,
                            };
                            zip.add(path, &bytes, method)?;
                            if job.manifest {
                                let format = Some(format.as_str());
                                manifest.push(ManifestEntry::written(
                                    path,
                                    source,
                                    format,
                                    Some(bytes.len()),
                                ));
                            }
                        }
                        Err(err) if is_entry_error(&err) => {
                            let batch_item = slot.checked_sub(job.entries.len());
                            let prefix = match batch_item {
                                Some(_) => String::new(),
                                None => format!("{source}/job"),
                            };
                            let err = located(err, &prefix, batch_item);
                            if job.on_error == OnError::Fail {
                                return Err(err);
                            }
                            report_skipped(&err, path);
                            // Skipping needs the manifest: validation sees to it.
                            let mut failed =
                                ManifestEntry::written(path, source, Some(format.as_str()), None);
                            failed.error = Some(entry_message(&err));
                            if let RenderError::Invalid(errors) = err {
                                failed.errors = errors;
                            }
                            manifest.push(failed);
                        }
                        Err(err) => return Err(err),
                    }
                    self.advance();
                }
            }
        }
        if job.manifest {
            let failed = manifest.iter().filter(|e| e.error.is_some()).count();
            let json = serde_json::to_vec_pretty(&Manifest {
                entries: manifest.len(),
                written: manifest.len() - failed,
                failed,
                on_error: job.on_error.as_str(),
                files: &manifest,
            })
            .map_err(|e| RenderError::Io(std::io::Error::other(e)))?;
            zip.add(MANIFEST, &json, Method::Deflate)?;
        }
        zip.finish()?;
        Ok(())
    }

    fn slot<'j>(&self, job: &'j ZipJob, slot: usize) -> Slot<'j> {
        match job.entries.get(slot).map(|e| &e.content) {
            None => Slot::Task,
            Some(Content::Job(nested)) => match &nested.body {
                JobBody::Zip(zip) => Slot::Nested(zip),
                _ => Slot::Task,
            },
            Some(Content::File { bytes, .. }) => Slot::Bytes(bytes.as_deref().unwrap_or(&[])),
            Some(Content::Inline(bytes)) => Slot::Bytes(bytes),
        }
    }

    /// Counts an entry's bytes against `--max-zip-bytes`.
    fn count(&mut self, len: usize, path: &str) -> Result<(), RenderError> {
        // The entry is about to be written: the answer has begun.
        self.submitted = true;
        self.bytes += len as u64;
        if self.bytes > self.max_bytes {
            return Err(RenderError::Invalid(vec![FieldError::new(
                "",
                format!(
                    "the archive's entries hold more than {} bytes (--max-zip-bytes), reached at {path:?}",
                    self.max_bytes
                ),
            )]));
        }
        Ok(())
    }

    fn advance(&mut self) {
        self.done += 1;
        if let Some(progress) = &self.ctx.progress {
            (progress.0)(self.done, self.total);
        }
    }

    /// Queues the job of `slot` on the pool. The first of a job is refused
    /// at once when the pool is full (the client gets 503 before any
    /// byte); later ones wait for room, since the job is under way.
    fn submit(
        &mut self,
        job: &Arc<ZipJob>,
        slot: usize,
    ) -> Result<Option<mpsc::Receiver<Outcome>>, RenderError> {
        let Some(fanout) = &self.ctx.fanout else {
            return Ok(None);
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let task: pool::Task = {
            let job = Arc::clone(job);
            let ctx = RenderCtx::new(self.ctx.cancel.clone(), self.ctx.deadline);
            Box::new(move || {
                if ctx.check().is_ok() {
                    let _ = tx.send(render_slot(&job, slot, &ctx));
                }
            })
        };
        if self.submitted {
            pool::offer_waiting(&fanout.pool, task, self.ctx)?;
        } else if fanout.pool.try_submit(task).is_err() {
            return Err(RenderError::Overloaded(fanout.retry_after_secs));
        }
        self.submitted = true;
        Ok(Some(rx))
    }

    /// Waits for an entry, giving up when the job is cancelled or late.
    fn wait(&self, receiver: &mpsc::Receiver<Outcome>) -> Result<Outcome, RenderError> {
        pool::receive(receiver, self.ctx)?
            .ok_or_else(|| RenderError::Panicked("an entry ended without a result".to_owned()))
    }
}

/// Whether any entry of `job`, nested archives' included, renders on the pool.
fn needs_pool(job: &ZipJob) -> bool {
    job.batch.as_ref().is_some_and(|b| !b.items.is_empty())
        || job.entries.iter().any(|e| match &e.content {
            Content::Job(nested) => match &nested.body {
                JobBody::Zip(zip) => needs_pool(zip),
                _ => true,
            },
            _ => false,
        })
}

/// Renders the job of `slot` into memory.
fn render_slot(job: &ZipJob, slot: usize, ctx: &RenderCtx) -> Outcome {
    let mut bytes = Vec::new();
    let result = match job.entries.get(slot) {
        Some(entry) => match &entry.content {
            Content::Job(nested) => render::render_catching(nested, ctx, &mut bytes),
            _ => Ok(()),
        },
        None => match &job.batch {
            Some(batch) => match batch.item_job(slot - job.entries.len()) {
                Ok(item) => render::render_catching(&item, ctx, &mut bytes),
                Err(error) => Err(RenderError::Invalid(vec![error])),
            },
            None => Ok(()),
        },
    };
    result.map(|()| bytes)
}

/// The path, the pointer and the compression of `slot`.
fn describe(job: &ZipJob, slot: usize) -> (&str, String, Compression) {
    match job.entries.get(slot) {
        Some(entry) => (&entry.path, entry.pointer.clone(), entry.compression),
        None => {
            let index = slot - job.entries.len();
            let batch = job
                .batch
                .as_ref()
                .expect("slots past the entries are batch items");
            (
                &batch.paths[index],
                format!("/batch/items/{index}"),
                batch.compression,
            )
        }
    }
}

fn slot_format(job: &ZipJob, slot: usize) -> crate::format::Format {
    match job.entries.get(slot) {
        Some(entry) => match &entry.content {
            Content::Job(nested) => nested.format,
            _ => crate::format::Format::Zip,
        },
        None => job
            .batch
            .as_ref()
            .map_or(crate::format::Format::Pdf, |b| b.job.format),
    }
}

/// Whether `err` is about one entry (its data, its template, a bug in its
/// generator) rather than the whole job (time, cancellation, the output).
fn is_entry_error(err: &RenderError) -> bool {
    match err {
        RenderError::Invalid(_)
        | RenderError::Xlsx(_)
        | RenderError::Pdf(_)
        | RenderError::Image(_)
        | RenderError::Panicked(_) => true,
        RenderError::Interrupted(_) | RenderError::Io(_) | RenderError::Overloaded(_) => false,
    }
}

/// `err` with its pointers moved into the zip job: under `prefix`, or into
/// batch item `batch_item`.
fn located(err: RenderError, prefix: &str, batch_item: Option<usize>) -> RenderError {
    match err {
        RenderError::Invalid(errors) => RenderError::Invalid(
            errors
                .into_iter()
                .map(|e| match batch_item {
                    Some(index) => zip_job::item_error(e, index),
                    None => zip_job::prefixed(e, prefix),
                })
                .collect(),
        ),
        other => other,
    }
}

/// What the manifest says about a failed entry; internal details of a bug
/// stay in the log.
fn entry_message(err: &RenderError) -> String {
    match err {
        RenderError::Invalid(errors) => match errors.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} problems in the entry's job", many.len()),
        },
        _ => {
            "the entry could not be rendered (an internal error, logged by the service)".to_owned()
        }
    }
}

fn report_skipped(err: &RenderError, path: &str) {
    match err {
        RenderError::Invalid(_) => tracing::info!(path, "entry skipped: invalid"),
        other => tracing::error!(path, error = %other, "entry skipped: rendering failed"),
    }
}

/// Entries larger than this are deflated only if a sample of them shrinks.
const SAMPLED_FROM: usize = 1 << 20;
/// The sample: the entry's first 128 KiB.
const SAMPLE: usize = 128 << 10;

/// Store what is compressed already, deflate the rest. A large entry of
/// unknown kind is deflated only when its first 128 KiB shrink: deflating
/// hundreds of megabytes of random or encrypted data just to store them
/// anyway costs seconds.
fn auto_method(bytes: &[u8]) -> Method {
    if is_compressed(bytes)
        || (bytes.len() > SAMPLED_FROM && !archive::deflate_shrinks(&bytes[..SAMPLE]))
    {
        Method::Store
    } else {
        Method::Deflate
    }
}

/// Whether `bytes` start like a compressed format: images, archives, PDF,
/// compressed audio and video.
fn is_compressed(bytes: &[u8]) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"\xFF\xD8\xFF",       // JPEG
        b"\x89PNG\r\n\x1a\n",  // PNG
        b"GIF8",               // GIF
        b"PK\x03\x04",         // ZIP, DOCX, XLSX, ODF, JAR
        b"PK\x05\x06",         // empty ZIP
        b"%PDF",               // PDF (its streams are deflated)
        b"\x1F\x8B",           // gzip
        b"BZh",                // bzip2
        b"\xFD7zXZ\x00",       // xz
        b"\x28\xB5\x2F\xFD",   // zstd
        b"7z\xBC\xAF\x27\x1C", // 7-Zip
        b"Rar!\x1A\x07",       // RAR
        b"OggS",               // Ogg
        b"ID3",                // MP3
        b"\x1A\x45\xDF\xA3",   // Matroska, WebM
        b"wOFF",               // WOFF
        b"wOF2",               // WOFF2
    ];
    if SIGNATURES.iter().any(|s| bytes.starts_with(s)) {
        return true;
    }
    // RIFF....WEBP, and ISO media (….ftyp: MP4, MOV, AVIF, HEIC).
    (bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
        || (bytes.len() >= 8 && &bytes[4..8] == b"ftyp")
}

/// Whether the job renders other jobs (and so should not take a worker of
/// its own: its entries are rendered on the pool).
pub fn fans_out(job: &Job) -> bool {
    matches!(job.body, JobBody::Zip(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_formats_are_stored() {
        for (bytes, stored) in [
            (&b"\xFF\xD8\xFF\xE0rest"[..], true),
            (b"%PDF-1.7\n", true),
            (b"PK\x03\x04....", true),
            (b"RIFF\x10\x00\x00\x00WEBPVP8 ", true),
            (b"\x00\x00\x00\x1cftypavif", true),
            (b"name,amount\n", false),
            (b"<?xml version", false),
            (b"", false),
        ] {
            let method = auto_method(bytes);
            assert_eq!(method == Method::Store, stored, "{bytes:?}");
        }
    }

    #[test]
    fn large_entries_are_deflated_only_if_a_sample_shrinks() {
        let noise = crate::archive::tests::noise(2 << 20);
        assert_eq!(auto_method(&noise), Method::Store);
        let text = b"date,customer,amount\n2026-11-01,Nordwind AG,480.00\n".repeat(50_000);
        assert!(text.len() > SAMPLED_FROM);
        assert_eq!(auto_method(&text), Method::Deflate);
        // Small entries are left to the writer, which stores them if
        // deflate does not help.
        assert_eq!(auto_method(&noise[..1000]), Method::Deflate);
    }
}
