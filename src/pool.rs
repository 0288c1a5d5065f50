//! The bounded worker pool: at most `workers` jobs render at once, at most
//! `queue_depth` more wait for a turn, and anything beyond that is turned away
//! at once so the caller can answer 503 instead of piling up work.
//!
//! Rendering itself runs on tokio's blocking threads (`spawn_blocking`), never
//! on the async executor; the semaphore here is what bounds it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct Pool {
    permits: Arc<Semaphore>,
    workers: usize,
    queue_depth: usize,
    queued: AtomicUsize,
}

/// Why a job got no worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The queue is full.
    QueueFull,
    /// The job waited in the queue until its deadline.
    QueueTimeout,
}

/// A worker slot; the job holds it until it has finished rendering.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// Decrements the queue counter however the wait ends (granted, timed out,
/// or the request future dropped because the client went away).
struct QueuedGuard<'a>(&'a AtomicUsize);

impl Drop for QueuedGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("docsmith_queue_depth").decrement(1.0);
    }
}

impl Pool {
    pub fn new(workers: usize, queue_depth: usize) -> Self {
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            queue_depth,
            queued: AtomicUsize::new(0),
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Jobs rendering right now.
    pub fn in_flight(&self) -> usize {
        self.workers - self.permits.available_permits()
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Waits for a worker until `deadline`.
    pub async fn acquire(&self, deadline: Instant) -> Result<Slot, Rejected> {
        // Fast path: a free worker and nobody waiting ahead of us.
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        let mut current = self.queued.load(Ordering::Acquire);
        loop {
            if current >= self.queue_depth {
                return Err(Rejected::QueueFull);
            }
            match self.queued.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        metrics::gauge!("docsmith_queue_depth").increment(1.0);
        let _queued = QueuedGuard(&self.queued);
        let wait = Arc::clone(&self.permits).acquire_owned();
        match tokio::time::timeout_at(deadline.into(), wait).await {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            // The semaphore is never closed; treat it like a timeout anyway.
            Ok(Err(_)) | Err(_) => Err(Rejected::QueueTimeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn full_queue_rejects_at_once() {
        let pool = Pool::new(1, 1);
        let far = Instant::now() + Duration::from_secs(10);
        let first = pool.acquire(far).await.expect("free worker");
        assert_eq!(pool.in_flight(), 1);

        // The second caller queues; the third finds the queue full.
        let pool = Arc::new(pool);
        let waiter = {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.acquire(far).await.map(|_| ()) })
        };
        while pool.queued() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.acquire(far).await.err(), Some(Rejected::QueueFull));

        drop(first);
        assert_eq!(waiter.await.expect("join"), Ok(()));
        assert_eq!(pool.queued(), 0);
    }

    #[tokio::test]
    async fn queue_wait_ends_at_the_deadline() {
        let pool = Pool::new(1, 4);
        let _busy = pool
            .acquire(Instant::now() + Duration::from_secs(10))
            .await
            .expect("free");
        let soon = Instant::now() + Duration::from_millis(30);
        assert_eq!(pool.acquire(soon).await.err(), Some(Rejected::QueueTimeout));
        assert_eq!(pool.queued(), 0);
    }
}
