//! ZIP entry paths: `bundle::path::normalise` and `Paths::claim` over
//! arbitrary client paths, one per line. A normalised path stays inside the
//! archive, has nothing a file system reads specially, is within the length
//! limits and normalises to itself; claimed paths never repeat, whatever
//! their case, and stay valid paths.
//!
//! Run: `scripts/fuzz.sh 60 zip_path`.

#![no_main]

use std::collections::BTreeSet;

use docsmith::bundle::path::{MAX_COMPONENT_BYTES, MAX_PATH_BYTES, Paths, normalise};
use libfuzzer_sys::fuzz_target;

/// Windows device names, whatever the case and extension.
fn is_device(component: &str) -> bool {
    let stem = component.split('.').next().unwrap_or("").trim_end();
    let upper = stem.to_ascii_uppercase();
    let mut chars = upper.chars();
    let last = chars.next_back();
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || (matches!(chars.as_str(), "COM" | "LPT")
        && last.is_some_and(|c| c.is_ascii_digit() || "¹²³".contains(c)))
}

fn check_safe(raw: &str, path: &str) {
    assert!(!path.is_empty(), "{raw:?} → empty");
    assert!(
        path.len() <= MAX_PATH_BYTES,
        "{raw:?} → {} bytes",
        path.len()
    );
    assert!(!path.contains('\\'), "{raw:?} → {path:?}");
    for component in path.split('/') {
        assert!(
            !matches!(component, "" | "." | ".."),
            "{raw:?} → {path:?}: component {component:?}"
        );
        assert!(
            component.len() <= MAX_COMPONENT_BYTES,
            "{raw:?} → {path:?}: a component of {} bytes",
            component.len()
        );
        assert!(
            !component.ends_with(['.', ' ']),
            "{raw:?} → {path:?}: {component:?} ends with a dot or space"
        );
        assert!(
            !component
                .chars()
                .any(|c| c.is_control() || "<>:\"|?*".contains(c)),
            "{raw:?} → {path:?}: {component:?}"
        );
        assert!(!is_device(component), "{raw:?} → {path:?}: a device name");
    }
}

fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut paths = Paths::new();
    let mut claimed = BTreeSet::new();
    for raw in text.split('\n') {
        let Ok(path) = normalise(raw) else {
            continue;
        };
        check_safe(raw, &path);
        assert_eq!(
            normalise(&path).as_deref(),
            Ok(path.as_str()),
            "normalising {raw:?} twice"
        );
        if let Ok(name) = paths.claim(&path) {
            check_safe(raw, &name);
            assert_eq!(
                normalise(&name).as_deref(),
                Ok(name.as_str()),
                "claimed {name:?} for {raw:?}, which normalises otherwise"
            );
            assert!(
                claimed.insert(name.to_lowercase()),
                "{name:?} claimed twice (for {raw:?})"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    docsmith_fuzz::on_worker_stack(data, run);
});
