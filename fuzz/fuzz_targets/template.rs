//! A client's inline template: arbitrary `template_source` with a small
//! fixed `data`, sent as a pdf job and checked as `/v1/validate` checks it.
//! That is docsmith's own path with its limits: the shape check before
//! minijinja parses, fuel, recursion and output limits, then the markup the
//! template wrote, read and lowered, and errors traced back to template
//! lines. A template may fail; it may not panic, hang, blow up memory or
//! crash the process with a stack overflow.
//!
//! Run: `scripts/fuzz.sh 60 template`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn data() -> Value {
    json!({
        "name": "Ada <Lovelace> & Co",
        "n": 3,
        "price": 1234.5,
        "flag": true,
        "nothing": null,
        "text": "line\nbreak\t\"quoted\"",
        "locale": "de-DE",
        "currency": "EUR",
        "date": "2026-11-02T09:30:00+01:00",
        "invoice": {"number": "INV-1", "due": "2026-12-01", "total": 99.99},
        "items": [
            {"description": "Tea", "quantity": 2, "unit_price": 1.5},
            {"description": "<b>&amp;</b>", "quantity": -1, "unit_price": 0.1},
        ],
        "matrix": [[1, 2], [3, 4]],
        "payment": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"},
    })
}

fn run(bytes: &[u8]) {
    let Ok(source) = std::str::from_utf8(bytes) else {
        return;
    };
    let job = json!({"format": "pdf", "template_source": source, "data": data()});
    let json = serde_json::to_vec(&job).expect("a job serialises");
    docsmith_fuzz::validate_job(&json);
}

fuzz_target!(|data: &[u8]| {
    docsmith_fuzz::on_worker_stack(data, run);
});
