//! Job JSON → parse → validate → attach files → the checks `/v1/validate`
//! runs (template rendered, markup read). Whatever the bytes, the answer is
//! a job or a small 4xx problem; never a panic, a hang or a memory blow-up.
//!
//! Run: `scripts/fuzz.sh 60 job` (or `cargo +nightly fuzz run job` in fuzz/).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    docsmith_fuzz::on_worker_stack(data, docsmith_fuzz::validate_job);
});
