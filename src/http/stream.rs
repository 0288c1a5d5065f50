//! From a blocking worker to a streamed HTTP body, through a bounded channel.
//!
//! The worker writes into a [`ChannelSink`]; the handler waits for the first
//! message to decide the response (a problem, a whole body with a known
//! length, or a stream), then hands the rest of the channel to hyper. The
//! bound on the channel is the back-pressure: a slow client slows the worker
//! instead of growing a buffer.

use std::io::{self, Write};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::problem::Problem;
use crate::render::Sink;
use crate::render_ctx::CancelToken;

/// Chunks in flight between worker and client.
pub const CHANNEL_CAPACITY: usize = 8;
/// Size of the chunks a streaming generator's writes are gathered into.
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub enum Msg {
    /// The whole document, length known.
    Whole(Bytes),
    /// A piece of a streamed document.
    Chunk(Bytes),
    /// Rendering failed; before any byte was sent this becomes the response.
    Failed(Problem),
}

pub struct ChannelSink {
    tx: mpsc::Sender<Msg>,
    buf: Vec<u8>,
    sent_any: bool,
}

impl ChannelSink {
    pub fn new(tx: mpsc::Sender<Msg>) -> Self {
        Self {
            tx,
            buf: Vec::new(),
            sent_any: false,
        }
    }

    pub fn sent_any(&self) -> bool {
        self.sent_any
    }

    fn send(&mut self, msg: Msg) -> io::Result<()> {
        self.sent_any = true;
        self.tx
            .blocking_send(msg)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }

    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.send(Msg::Chunk(chunk))
    }

    /// Reports a failure to the handler (or, mid-stream, cuts the body).
    pub fn fail(&mut self, problem: Problem) {
        // Nobody is listening if this fails; the job is over either way.
        let _ = self.tx.blocking_send(Msg::Failed(problem));
    }
}

impl Write for ChannelSink {
    /// Takes at most what fills the current chunk, so a large write (a big
    /// file in an archive) goes out chunk by chunk under the channel's
    /// back-pressure instead of being copied whole into one message.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK_BYTES - self.buf.len();
        let taken = data.len().min(room);
        if self.buf.capacity() == 0 {
            self.buf.reserve(CHUNK_BYTES);
        }
        self.buf.extend_from_slice(&data[..taken]);
        if self.buf.len() >= CHUNK_BYTES {
            self.send_buffered()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffered()
    }
}

impl Sink for ChannelSink {
    fn whole(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if self.sent_any || !self.buf.is_empty() {
            self.write_all(&bytes)
        } else {
            self.send(Msg::Whole(Bytes::from(bytes)))
        }
    }
}

/// Cancels the job when dropped: the response body (or the handler future)
/// owns one, so a client that disconnects stops its job.
pub struct CancelOnDrop(pub CancelToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The rest of the channel as a body stream. A failure mid-stream yields an
/// error, which makes hyper abort the connection: the client sees a broken
/// download, never a silently truncated document.
pub fn body_stream(
    first: Bytes,
    rx: mpsc::Receiver<Msg>,
    guard: CancelOnDrop,
    format: &'static str,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    metrics::counter!("docsmith_bytes_out_total", "format" => format).increment(first.len() as u64);
    let head = futures_util::stream::once(async move { Ok(first) });
    let tail = futures_util::stream::unfold((rx, guard), move |(mut rx, guard)| async move {
        match rx.recv().await {
            Some(Msg::Chunk(bytes) | Msg::Whole(bytes)) => {
                metrics::counter!("docsmith_bytes_out_total", "format" => format)
                    .increment(bytes.len() as u64);
                Some((Ok(bytes), (rx, guard)))
            }
            Some(Msg::Failed(problem)) => {
                tracing::warn!(detail = %problem.detail, "rendering failed mid-stream; cutting the response");
                Some((
                    Err(io::Error::other("rendering failed mid-stream")),
                    (rx, guard),
                ))
            }
            None => None,
        }
    });
    futures_util::StreamExt::chain(head, tail)
}
