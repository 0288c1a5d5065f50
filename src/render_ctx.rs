//! What a generator is given besides its job: a way to notice that the job was
//! cancelled (client gone, shutdown) or ran past its deadline, and the limits
//! in force.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::pool::Pool;

/// Shared flag that asks a running job to stop.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a job stopped before finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    #[error("the job was cancelled")]
    Cancelled,
    #[error("the job ran past its deadline")]
    TimedOut,
}

/// Context handed to every generator.
#[derive(Debug, Clone, Default)]
pub struct RenderCtx {
    pub cancel: CancelToken,
    pub deadline: Option<Instant>,
    /// The pool a job made of other jobs (a zip job) renders them on; without
    /// one they render one after another on the calling thread.
    pub fanout: Option<Fanout>,
    /// Told how far a job made of other jobs has come.
    pub progress: Option<Progress>,
}

/// The worker pool, for jobs that render other jobs.
#[derive(Debug, Clone)]
pub struct Fanout {
    pub pool: Arc<Pool>,
    /// `Retry-After` for a job that finds the pool full before it started.
    pub retry_after_secs: u64,
}

/// Called with (entries done, entries in all) as a zip job goes on.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl RenderCtx {
    pub fn new(cancel: CancelToken, deadline: Option<Instant>) -> Self {
        Self {
            cancel,
            deadline,
            fanout: None,
            progress: None,
        }
    }

    pub fn with_fanout(mut self, pool: Arc<Pool>, retry_after_secs: u64) -> Self {
        self.fanout = Some(Fanout {
            pool,
            retry_after_secs,
        });
        self
    }

    pub fn with_progress(
        mut self,
        progress: impl Fn(usize, usize) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Progress(Arc::new(progress)));
        self
    }

    /// Generators call this every so often (per few thousand rows, per page)
    /// and return its error unchanged.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.cancel.is_cancelled() {
            return Err(Interrupted::Cancelled);
        }
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            return Err(Interrupted::TimedOut);
        }
        Ok(())
    }
}
