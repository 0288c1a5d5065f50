//! Template markup (what a template renders) → element tree → lowered
//! document, with the files and fonts a real job has. Errors are fine;
//! panics, hangs and memory blow-ups are not, and every error is located.
//!
//! Run: `scripts/fuzz.sh 60 markup`.

#![no_main]

use docsmith::doc::{self, Assets, DocError, Loc};
use docsmith::fonts::FontBook;
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let tree = match doc::markup::parse(source) {
        Ok(tree) => tree,
        Err(e) => return check(&[e]),
    };
    let files = docsmith_fuzz::files();
    let fonts = FontBook::builtin();
    let assets = Assets {
        files: &files,
        max_image_pixels: doc::DEFAULT_MAX_IMAGE_PIXELS,
        fonts: Some(&*fonts),
    };
    if let Err(errors) = doc::lower::lower(tree, assets) {
        assert!(!errors.is_empty(), "lowering failed without an error");
        assert!(
            errors.len() <= docsmith::problem::MAX_REPORTED_ERRORS + 1,
            "{} errors reported",
            errors.len()
        );
        check(&errors);
    }
}

/// Every problem points somewhere: a line and column in the markup (1-based)
/// or a JSON pointer.
fn check(errors: &[DocError]) {
    for e in errors {
        assert!(!e.message.is_empty(), "an error without a message: {e:?}");
        if let Loc::Markup { line, column } = e.loc {
            assert!(line >= 1 && column >= 1, "unlocated: {e:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    docsmith_fuzz::on_worker_stack(data, run);
});
