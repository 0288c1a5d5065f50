//! Entry paths that are safe to extract anywhere.
//!
//! A client's path is made relative and lexical: backslashes count as
//! separators, a drive letter and leading slashes are dropped, `.` goes
//! away and `..` removes the component before it but never climbs above the
//! archive's root. Each component loses control characters, has the
//! characters Windows refuses (`<>:"|?*`) replaced by `_`, loses trailing
//! dots and spaces (which Windows drops), and a device name (`CON`,
//! `nul.txt`, `COM1`…) gets a `_` in front. What is left must name a file.
//!
//! Within one archive, paths are unique regardless of case (an archive
//! unpacked on macOS or Windows must not overwrite its own files): a path
//! taken already gets `-2`, `-3`… before its extension.

use std::collections::BTreeSet;

/// Longest path, in bytes, after normalisation.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest path component, in bytes (most file systems' limit).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// `raw` as a safe relative path with `/` separators, or why it cannot be one.
pub fn normalise(raw: &str) -> Result<String, String> {
    let unified = raw.replace('\\', "/");
    if unified.ends_with('/') {
        return Err(format!(
            "{raw:?} ends with a separator: an entry is a file, its directories come from its path"
        ));
    }
    let mut rest = unified.as_str();
    let bytes = rest.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        rest = &rest[2..];
    }
    let mut parts: Vec<String> = Vec::new();
    for component in rest.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => {
                let clean = clean_component(other);
                if clean.len() > MAX_COMPONENT_BYTES {
                    return Err(format!(
                        "the path component {:?}… is longer than {MAX_COMPONENT_BYTES} bytes",
                        clean.chars().take(40).collect::<String>()
                    ));
                }
                if !clean.is_empty() {
                    parts.push(clean);
                }
            }
        }
    }
    if parts.is_empty() {
        return Err(format!("{raw:?} names no file"));
    }
    let path = parts.join("/");
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "the path is {} bytes long (at most {MAX_PATH_BYTES})",
            path.len()
        ));
    }
    Ok(path)
}

fn clean_component(component: &str) -> String {
    let mut clean: String = component
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let kept = clean.trim_end_matches(['.', ' ']).len();
    clean.truncate(kept);
    if is_device_name(&clean) {
        clean.insert(0, '_');
    }
    clean
}

/// Whether Windows reads `name` as a device (`CON`, `aux.txt`, `LPT1`…).
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end();
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            // COM1…COM9, LPT1…LPT9 (and the superscript digits Windows
            // also reads): the name's last character decides, whatever its
            // width in bytes.
            let mut chars = upper.chars();
            let last = chars.next_back();
            matches!(chars.as_str(), "COM" | "LPT")
                && last.is_some_and(|c| c.is_ascii_digit() || "¹²³".contains(c))
        }
    }
}

/// The paths of one archive so far.
#[derive(Debug, Default)]
pub struct Paths {
    /// Every file path, lowercased.
    files: BTreeSet<String>,
    /// Every directory some file is under, lowercased.
    dirs: BTreeSet<String>,
}

impl Paths {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes `path` (already normalised) for a file, or the first of
    /// `stem-2.ext`, `stem-3.ext`… that is free. A path under a directory
    /// that is a file in this archive cannot be made free that way and is
    /// an error.
    pub fn claim(&mut self, path: &str) -> Result<String, String> {
        let lower = path.to_lowercase();
        // Lowercasing may change a character's length in bytes (`K`, the
        // Kelvin sign, is 3 bytes, `k` 1): the n-th `/` of `lower` is the
        // n-th of `path`, but not at the same offset.
        for ((i, _), (j, _)) in lower.match_indices('/').zip(path.match_indices('/')) {
            if self.files.contains(&lower[..i]) {
                return Err(format!(
                    "{path:?} is under {:?}, which is a file in this archive",
                    &path[..j]
                ));
            }
        }
        let (dir, name) = match path.rfind('/') {
            Some(i) => (&path[..=i], &path[i + 1..]),
            None => ("", path),
        };
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i..]),
            _ => (name, ""),
        };
        let mut candidate = path.to_owned();
        let mut n = 2;
        while self.taken(&candidate.to_lowercase()) {
            candidate = numbered(dir, stem, ext, n)
                .ok_or_else(|| format!("{path:?} is taken and its path is too long to number"))?;
            n += 1;
        }
        let lower = candidate.to_lowercase();
        for (i, _) in lower.match_indices('/') {
            self.dirs.insert(lower[..i].to_owned());
        }
        self.files.insert(lower);
        Ok(candidate)
    }

    fn taken(&self, lower: &str) -> bool {
        self.files.contains(lower) || self.dirs.contains(lower)
    }
}

/// `{dir}{stem}-{n}{ext}`, the stem cut short where the name would pass
/// [`MAX_COMPONENT_BYTES`] or the path [`MAX_PATH_BYTES`] (an extension too
/// long to keep is numbered as part of the name); `None` when even `-{n}`
/// does not fit.
fn numbered(dir: &str, stem: &str, ext: &str, n: usize) -> Option<String> {
    let limit = MAX_COMPONENT_BYTES.min(MAX_PATH_BYTES.saturating_sub(dir.len()));
    let (mut stem, mut suffix) = (stem.to_owned(), format!("-{n}{ext}"));
    if suffix.len() >= limit {
        stem.push_str(ext);
        suffix = format!("-{n}");
    }
    let mut keep = limit.checked_sub(suffix.len())?.min(stem.len());
    while !stem.is_char_boundary(keep) {
        keep -= 1;
    }
    stem.truncate(keep);
    Some(format!("{dir}{stem}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_neutralised() {
        for (raw, expect) in [
            ("invoices/INV-1.pdf", "invoices/INV-1.pdf"),
            ("../../etc/passwd", "etc/passwd"),
            ("/etc/passwd", "etc/passwd"),
            ("//server/share/x.txt", "server/share/x.txt"),
            ("a/b/../../../c.txt", "c.txt"),
            ("a/./b/../c.txt", "a/c.txt"),
            (
                "..\\..\\windows\\system32\\evil.dll",
                "windows/system32/evil.dll",
            ),
            ("C:\\Users\\me\\x.txt", "Users/me/x.txt"),
            ("c:x.txt", "x.txt"),
            ("report.pdf:hidden", "report.pdf_hidden"),
            ("a\u{0}b\nc.txt", "abc.txt"),
            ("what?.txt", "what_.txt"),
            ("trailing. . /x.txt", "trailing/x.txt"),
            ("CON", "_CON"),
            ("docs/nul.txt", "docs/_nul.txt"),
            ("com1.log", "_com1.log"),
            ("LPT²", "_LPT²"),
            ("COM\u{202e}", "COM\u{202e}"),
            ("éC_XCF\u{202e}", "éC_XCF\u{202e}"),
            ("console.txt", "console.txt"),
            ("Überblick 2026/Bericht.pdf", "Überblick 2026/Bericht.pdf"),
        ] {
            assert_eq!(normalise(raw).as_deref(), Ok(expect), "{raw:?}");
        }
    }

    #[test]
    fn paths_that_name_no_file_are_refused() {
        for raw in [
            "", "/", "..", "../..", "a/..", "dir/", "dir\\", "...", " . ",
        ] {
            assert!(normalise(raw).is_err(), "{raw:?} accepted");
        }
        assert!(normalise(&"x".repeat(256)).is_err());
        assert!(normalise(&["abc"; 300].join("/")).is_err());
        assert!(normalise(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn claimed_paths_are_unique_regardless_of_case() {
        let mut paths = Paths::new();
        let claims: Vec<String> = [
            "a.pdf",
            "A.PDF",
            "a.pdf",
            "dir/x.txt",
            "dir",
            "README",
            "readme",
            ".env",
            ".env",
        ]
        .iter()
        .map(|p| paths.claim(p).expect("claimed"))
        .collect();
        assert_eq!(
            claims,
            [
                "a.pdf",
                "A-2.PDF",
                "a-3.pdf",
                "dir/x.txt",
                "dir-2",
                "README",
                "readme-2",
                ".env",
                ".env-2"
            ]
        );
        let err = paths.claim("a.pdf/inside.txt").expect_err("under a file");
        assert!(err.contains("is a file"), "{err}");

        // Found by fuzzing (fuzz/fuzz_targets/zip_path.rs): lowercasing
        // shortens `K` (Kelvin sign, 3 bytes) to `k`, and the error message
        // cut the path at the lowercase offset, inside the `K`.
        let mut paths = Paths::new();
        assert_eq!(paths.claim("\u{212a}").as_deref(), Ok("\u{212a}"));
        let err = paths.claim("\u{212a}/x").expect_err("under a file");
        assert!(err.contains("under \"\u{212a}\""), "{err}");
    }

    /// A numbered name stays within the limits a path was normalised to.
    #[test]
    fn numbered_paths_stay_within_the_length_limits() {
        let long = "x".repeat(MAX_COMPONENT_BYTES);
        let long_ext = format!("a.{}", "e".repeat(MAX_COMPONENT_BYTES - 2));
        let deep = format!("{}/{}", ["d"; 511].join("/"), "x");
        let deeper = format!("{}/y", ["d"; 510].join("/"));
        for path in [long.clone(), format!("{long}/x"), long_ext, deep, deeper] {
            let path = normalise(&path).expect("a valid path");
            let mut paths = Paths::new();
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..12 {
                let Ok(claimed) = paths.claim(&path) else {
                    continue;
                };
                assert_eq!(normalise(&claimed).as_deref(), Ok(claimed.as_str()));
                assert!(seen.insert(claimed.to_lowercase()), "{claimed} twice");
            }
        }
        let mut paths = Paths::new();
        paths.claim(&long).expect("free");
        let second = paths.claim(&long).expect("numbered");
        assert_eq!(second.len(), MAX_COMPONENT_BYTES);
        assert!(second.ends_with("xx-2"), "{second}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Whatever a client sends, a normalised path stays inside the
        /// archive, has no character a file system would read specially,
        /// and normalising it again changes nothing.
        #[test]
        fn normalised_paths_are_safe(raw in "[a-zA-Z0-9./\\\\:*?<>|\"\\x00-\\x1f \\u{e9}\\u{202e}-]{0,60}") {
            if let Ok(path) = normalise(&raw) {
                proptest::prop_assert!(!path.is_empty());
                proptest::prop_assert!(!path.starts_with('/'));
                proptest::prop_assert!(!path.contains('\\'));
                proptest::prop_assert!(!path.split('/').any(|c| c.is_empty() || c == "." || c == ".."));
                proptest::prop_assert!(!path.chars().any(|c| c.is_control() || "<>:\"|?*".contains(c)));
                proptest::prop_assert!(path.split('/').all(|c| !c.ends_with('.') && !c.ends_with(' ')));
                proptest::prop_assert_eq!(normalise(&path), Ok(path.clone()));
            }
        }

        /// Claimed paths never repeat, whatever their case.
        #[test]
        fn claimed_paths_are_distinct(names in proptest::collection::vec("[aA.]{1,3}(/[bB]{1,2})?", 1..40)) {
            let mut paths = Paths::new();
            let mut seen = std::collections::BTreeSet::new();
            for name in names {
                if let Ok(claimed) = paths.claim(&name) {
                    proptest::prop_assert!(seen.insert(claimed.to_lowercase()), "{} twice", claimed);
                }
            }
        }
    }
}
