//! What a generator is given besides its job: a way to notice that the job was
//! cancelled (client gone, shutdown) or ran past its deadline, and the limits
//! in force.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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
}

impl RenderCtx {
    pub fn new(cancel: CancelToken, deadline: Option<Instant>) -> Self {
        Self { cancel, deadline }
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
