//! The bounded worker pool: `workers` threads render jobs, at most
//! `queue_depth` more wait for a turn, and anything beyond that is turned away
//! at once so the caller can answer 503 instead of piling up work.
//!
//! Rendering runs on these threads, never on the async executor. A worker
//! that finishes a job takes the next one from the queue itself, so a busy
//! service has no hand-off through the async runtime between jobs.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use crate::render_ctx::{Interrupted, RenderCtx};

/// Stack of a worker thread. Parsers of client input (templates, markup,
/// JSON) recurse; their inputs are bounded so that they fit, and this is
/// the margin. Only the pages a thread touches take memory.
pub const WORKER_STACK_BYTES: usize = 32 << 20;

/// A unit of work: renders one job and reports through its own channel.
pub type Task = Box<dyn FnOnce() + Send + 'static>;

#[derive(Debug)]
pub struct Pool {
    shared: Arc<Shared>,
    workers: usize,
    queue_depth: usize,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Task>,
    busy: usize,
    closed: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queue.len())
            .field("busy", &self.busy)
            .field("closed", &self.closed)
            .finish()
    }
}

/// Why a job got no worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// All workers are busy and the queue is full.
    QueueFull,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A task never runs under the lock, so a poisoned lock only means a
        // panic in this module's bookkeeping; the state is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Pool {
    /// Starts `workers` threads (at least one).
    pub fn new(workers: usize, queue_depth: usize) -> Self {
        let workers = workers.max(1);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        for n in 0..workers {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("docsmith-worker-{n}"))
                .stack_size(WORKER_STACK_BYTES)
                .spawn(move || work(&shared));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a worker thread");
            }
        }
        Self {
            shared,
            workers,
            queue_depth,
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Jobs rendering right now.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().busy
    }

    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Whether a task offered now would be taken.
    pub fn has_room(&self) -> bool {
        self.room_in(&self.shared.lock())
    }

    /// Whether `state` takes one more task: a queue slot, or an idle worker.
    fn room_in(&self, state: &State) -> bool {
        let idle = self.workers.saturating_sub(state.busy);
        state.queue.len() < self.queue_depth + idle
    }

    /// Queues `task`, or refuses at once when the queue is full.
    pub fn try_submit(&self, task: Task) -> Result<(), Rejected> {
        self.offer(task).map_err(|_| Rejected::QueueFull)
    }

    /// Queues `task`, or gives it back when the queue is full, so that a
    /// job already under way can wait for room and offer it again.
    pub fn offer(&self, task: Task) -> Result<(), Task> {
        let mut state = self.shared.lock();
        if !self.room_in(&state) {
            return Err(task);
        }
        state.queue.push_back(task);
        metrics::gauge!("docsmith_queue_depth").set(state.queue.len() as f64);
        drop(state);
        self.shared.wake.notify_one();
        Ok(())
    }
}

/// Queues `task` for a job that is under way: when the pool is full it
/// waits for room rather than failing, until the job is cancelled or late.
/// The first task of a job should use [`Pool::try_submit`] instead, so a
/// full pool is a 503 before the job starts.
pub fn offer_waiting(pool: &Pool, mut task: Task, ctx: &RenderCtx) -> Result<(), Interrupted> {
    loop {
        match pool.offer(task) {
            Ok(()) => return Ok(()),
            Err(returned) => {
                task = returned;
                ctx.check()?;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Waits for a task's result, giving up when the job is cancelled or late.
/// `Ok(None)`: the task ended without sending one.
pub fn receive<T>(receiver: &mpsc::Receiver<T>, ctx: &RenderCtx) -> Result<Option<T>, Interrupted> {
    loop {
        match receiver.recv_timeout(Duration::from_millis(50)) {
            Ok(value) => return Ok(Some(value)),
            Err(mpsc::RecvTimeoutError::Timeout) => ctx.check()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // A task that saw its job stopped sends nothing.
                ctx.check()?;
                return Ok(None);
            }
        }
    }
}

impl Drop for Pool {
    /// Workers finish what is queued, then exit.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }
}

fn work(shared: &Shared) {
    loop {
        let task = {
            let mut state = shared.lock();
            loop {
                if let Some(task) = state.queue.pop_front() {
                    state.busy += 1;
                    metrics::gauge!("docsmith_queue_depth").set(state.queue.len() as f64);
                    metrics::gauge!("docsmith_jobs_in_flight").increment(1.0);
                    break task;
                }
                if state.closed {
                    return;
                }
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        // Tasks catch their own panics; this keeps the worker alive if one
        // slips through anyway.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(task)).is_err() {
            tracing::error!("a task panicked outside its generator");
        }
        shared.lock().busy -= 1;
        metrics::gauge!("docsmith_jobs_in_flight").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Occupies one worker until the returned sender is dropped.
    fn block_one(pool: &Pool) -> mpsc::Sender<()> {
        let (tx, rx) = mpsc::channel::<()>();
        let before = pool.in_flight();
        pool.try_submit(Box::new(move || while rx.recv().is_ok() {}))
            .expect("room");
        wait_until(|| pool.in_flight() > before);
        tx
    }

    fn wait_until(condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(Instant::now() < deadline, "condition not reached");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn capacity_is_workers_plus_queue() {
        let pool = Pool::new(1, 1);
        let busy = block_one(&pool);
        assert_eq!(pool.in_flight(), 1);
        let (done_tx, done_rx) = mpsc::channel();
        pool.try_submit(Box::new(move || done_tx.send(()).expect("send")))
            .expect("queued");
        assert_eq!(pool.queued(), 1);
        assert_eq!(
            pool.try_submit(Box::new(|| {})).err(),
            Some(Rejected::QueueFull)
        );

        drop(busy);
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the queued task ran");
        wait_until(|| pool.in_flight() == 0 && pool.queued() == 0);
    }

    #[test]
    fn no_queue_still_takes_idle_workers() {
        let pool = Pool::new(2, 0);
        let first = block_one(&pool);
        let second = block_one(&pool);
        assert_eq!(
            pool.try_submit(Box::new(|| {})).err(),
            Some(Rejected::QueueFull)
        );
        drop(first);
        wait_until(|| pool.in_flight() == 1);
        pool.try_submit(Box::new(|| {}))
            .expect("a worker is free again");
        drop(second);
    }

    #[test]
    fn a_panicking_task_does_not_kill_its_worker() {
        let pool = Pool::new(1, 4);
        pool.try_submit(Box::new(|| panic!("boom"))).expect("room");
        let (tx, rx) = mpsc::channel();
        pool.try_submit(Box::new(move || tx.send(7).expect("send")))
            .expect("room");
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).expect("ran"), 7);
    }
}
