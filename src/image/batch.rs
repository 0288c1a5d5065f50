//! Many images, one ZIP: each input converted on the worker pool, a few
//! at a time, and written to the archive in input order as soon as it is
//! its turn, followed by `manifest.json`.
//!
//! At most `workers` conversions are in flight for one batch, so no more
//! than that many decoded images exist at once; the encoded results wait
//! for their turn (they are small). An input that fails is listed in the
//! manifest with its error and the rest of the batch carries on, unless
//! the batch is all-or-nothing: then every result is awaited before the
//! first byte, and any failure is the answer instead of an archive.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::mpsc;

use bytes::Bytes;
use serde::Serialize;

use super::{Converted, ImageError, Limits, OutputFormat, Spec, convert, sniff};
use crate::archive::{Method, ZipWriter};
use crate::pool::Pool;
use crate::problem::FieldError;
use crate::render::{RenderError, Sink};
use crate::render_ctx::RenderCtx;

/// One uploaded image.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file name the client gave.
    pub name: String,
    pub bytes: Bytes,
}

/// What the archive's `manifest.json` says about one input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestEntry {
    pub input: String,
    pub input_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_height: Option<u32>,
    /// The entry's path in the archive; absent when the input failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
    /// Why the input was not converted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    converted: usize,
    failed: usize,
    files: &'a [ManifestEntry],
}

/// Name of the manifest entry.
pub const MANIFEST: &str = "manifest.json";

/// The archive path of each input: its file name without directories,
/// with the output's extension, made unique with `-2`, `-3`… in input
/// order (`manifest.json` is taken).
pub fn entry_names(inputs: &[Input], spec: &Spec) -> Vec<String> {
    let mut taken = BTreeSet::from([MANIFEST.to_owned()]);
    inputs
        .iter()
        .map(|input| {
            let ext = sniff(&input.bytes)
                .map(|f| spec.output_for(f))
                .or(spec.output.format)
                .map_or("bin", OutputFormat::extension);
            let stem = file_stem(&input.name);
            let mut name = format!("{stem}.{ext}");
            let mut n = 2;
            while taken.contains(&name.to_lowercase()) {
                name = format!("{stem}-{n}.{ext}");
                n += 1;
            }
            taken.insert(name.to_lowercase());
            name
        })
        .collect()
}

/// The last path component of a client's file name without its
/// extension, with control characters dropped; `image` if nothing is left.
fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    };
    let clean: String = stem.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "image".to_owned()
    } else {
        clean
    }
}

/// Settings of one batch.
#[derive(Debug, Clone)]
pub struct Batch {
    pub spec: Arc<Spec>,
    pub limits: Limits,
    /// Fail the whole batch when one input fails.
    pub all_or_nothing: bool,
    /// `Retry-After` for a batch that finds the pool full.
    pub retry_after_secs: u64,
}

type Outcome = Result<Converted, ImageError>;

/// Converts `inputs` on `pool` and writes the ZIP into `sink`.
pub fn run(
    batch: &Batch,
    inputs: Vec<Input>,
    pool: &Pool,
    ctx: &RenderCtx,
    sink: &mut dyn Sink,
) -> Result<(), RenderError> {
    let names = entry_names(&inputs, &batch.spec);
    let inputs: Arc<[Input]> = inputs.into();
    let window = pool.workers().max(1);
    let mut pending: VecDeque<mpsc::Receiver<Outcome>> = VecDeque::new();
    let mut next = 0;
    let mut results: Vec<Outcome> = Vec::new();
    // Nothing is written before the first entry is added.
    let mut zip = ZipWriter::new(sink);
    let mut manifest = Vec::with_capacity(inputs.len());
    for index in 0..inputs.len() {
        while next < inputs.len() && pending.len() < window {
            pending.push_back(submit(batch, &inputs, next, pool, ctx, next == 0)?);
            next += 1;
        }
        let Some(receiver) = pending.pop_front() else {
            break;
        };
        let outcome = wait(&receiver, ctx)?;
        if batch.all_or_nothing {
            results.push(outcome);
            continue;
        }
        manifest.push(write_entry(
            &mut zip,
            &inputs[index],
            &names[index],
            outcome,
        )?);
    }

    if batch.all_or_nothing {
        let errors: Vec<FieldError> = results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
            .map(|(i, e)| {
                FieldError::new(format!("/files/{i}"), format!("{}: {e}", inputs[i].name))
            })
            .collect();
        if !errors.is_empty() {
            return Err(RenderError::Invalid(errors));
        }
        for (i, outcome) in results.into_iter().enumerate() {
            manifest.push(write_entry(&mut zip, &inputs[i], &names[i], Ok(outcome?))?);
        }
    }

    let failed = manifest.iter().filter(|e| e.error.is_some()).count();
    let json = serde_json::to_vec_pretty(&Manifest {
        converted: manifest.len() - failed,
        failed,
        files: &manifest,
    })
    .map_err(|e| RenderError::Image(e.to_string()))?;
    zip.add(MANIFEST, &json, Method::Deflate)?;
    zip.finish()?;
    Ok(())
}

/// Converts one image on the pool (an upload of one image gets it back
/// as it is, not zipped).
pub fn run_one(
    batch: &Batch,
    input: Input,
    pool: &Pool,
    ctx: &RenderCtx,
) -> Result<Converted, RenderError> {
    let inputs: Arc<[Input]> = vec![input].into();
    let receiver = submit(batch, &inputs, 0, pool, ctx, true)?;
    match wait(&receiver, ctx)? {
        Ok(converted) => Ok(converted),
        Err(e) if e.is_input_error() => Err(RenderError::Invalid(vec![FieldError::new(
            "/files/0",
            format!("{}: {e}", inputs[0].name),
        )])),
        Err(e) => Err(e.into()),
    }
}

fn write_entry(
    zip: &mut ZipWriter<&mut dyn Sink>,
    input: &Input,
    name: &str,
    outcome: Outcome,
) -> Result<ManifestEntry, RenderError> {
    let mut entry = ManifestEntry {
        input: input.name.clone(),
        input_bytes: input.bytes.len(),
        ..ManifestEntry::default()
    };
    match outcome {
        Ok(converted) => {
            // Every output format is compressed already.
            zip.add(name, &converted.bytes, Method::Store)?;
            entry.input_format = Some(converted.input.format.as_str());
            entry.input_width = Some(converted.input.width);
            entry.input_height = Some(converted.input.height);
            entry.output = Some(name.to_owned());
            entry.format = Some(converted.format.as_str());
            entry.width = Some(converted.width);
            entry.height = Some(converted.height);
            entry.bytes = Some(converted.bytes.len());
        }
        Err(e) if e.is_input_error() => {
            entry.input_format = sniff(&input.bytes).map(|f| f.as_str());
            entry.error = Some(e.to_string());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(entry)
}

/// Queues the conversion of `inputs[index]`. The first of a batch is
/// refused at once when the pool is full (the client gets 503 before any
/// byte); later ones wait for room, since the batch is under way.
fn submit(
    batch: &Batch,
    inputs: &Arc<[Input]>,
    index: usize,
    pool: &Pool,
    ctx: &RenderCtx,
    first: bool,
) -> Result<mpsc::Receiver<Outcome>, RenderError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let task: crate::pool::Task = {
        let inputs = Arc::clone(inputs);
        let spec = Arc::clone(&batch.spec);
        let limits = batch.limits;
        let ctx = ctx.clone();
        Box::new(move || {
            let input = &inputs[index];
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                convert(&input.bytes, &spec, &limits, &ctx)
            }))
            .unwrap_or_else(|_| {
                Err(ImageError::Encode {
                    format: "image",
                    detail: "the conversion panicked".to_owned(),
                })
            });
            let _ = tx.send(outcome);
        })
    };
    if !first {
        crate::pool::offer_waiting(pool, task, ctx)?;
    } else if pool.try_submit(task).is_err() {
        return Err(RenderError::Overloaded(batch.retry_after_secs));
    }
    Ok(rx)
}

/// Waits for a conversion, giving up when the job is cancelled or late.
fn wait(receiver: &mpsc::Receiver<Outcome>, ctx: &RenderCtx) -> Result<Outcome, RenderError> {
    crate::pool::receive(receiver, ctx)?
        .ok_or_else(|| RenderError::Image("a conversion ended without a result".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, bytes: &'static [u8]) -> Input {
        Input {
            name: name.to_owned(),
            bytes: Bytes::from_static(bytes),
        }
    }

    #[test]
    fn entry_names_are_plain_and_unique() {
        const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0];
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        let mut spec = Spec::new();
        spec.output.format = Some(OutputFormat::Webp);
        let inputs = [
            input("a.jpg", JPEG),
            input("A.png", PNG),
            input("../../etc/passwd", JPEG),
            input("C:\\photos\\b.jpeg", JPEG),
            input("", JPEG),
            input("manifest.jpg", JPEG),
            input(".hidden.jpg", JPEG),
        ];
        assert_eq!(
            entry_names(&inputs, &spec),
            [
                "a.webp",
                "A-2.webp",
                "passwd.webp",
                "b.webp",
                "image.webp",
                "manifest.webp",
                "hidden.webp"
            ]
        );
        // Without an output format each keeps its own.
        let names = entry_names(&inputs[..2], &Spec::new());
        assert_eq!(names, ["a.jpg", "A.png"]);
    }
}
