//! A submitted job as the table keeps it until a worker runs it: the job
//! JSON as sent (`json`), or, when files came with it in a form, the JSON
//! and the files in one blob (`bundle`).
//!
//! A bundle is `DSJB1\n`, the number of files (u32, big-endian), each file
//! as its name's length (u32), the name (UTF-8), its length (u64) and its
//! bytes, then the job JSON up to the end.

use bytes::Bytes;

use crate::doc::Files;

const MAGIC: &[u8] = b"DSJB1\n";

/// The stored form of a job and its files: `(kind, bytes)`.
pub fn encode(json: &[u8], files: &Files) -> (&'static str, Vec<u8>) {
    if files.is_empty() {
        return ("json", json.to_vec());
    }
    let size = MAGIC.len()
        + 4
        + files
            .iter()
            .map(|(name, data)| 12 + name.len() + data.len())
            .sum::<usize>()
        + json.len();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(files.len() as u32).to_be_bytes());
    for (name, data) in files {
        out.extend_from_slice(&(name.len() as u32).to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(json);
    ("bundle", out)
}

/// The job JSON and its files, back from their stored form.
pub fn decode(kind: &str, stored: Vec<u8>) -> Result<(Bytes, Files), String> {
    let stored = Bytes::from(stored);
    match kind {
        "json" => Ok((stored, Files::new())),
        "bundle" => {
            let mut rest = stored.clone();
            let mut take = |n: usize| -> Result<Bytes, String> {
                if rest.len() < n {
                    return Err("the stored job is cut short".to_owned());
                }
                Ok(rest.split_to(n))
            };
            if take(MAGIC.len())? != MAGIC {
                return Err("the stored job does not begin with the bundle mark".to_owned());
            }
            let count = u32::from_be_bytes(take(4)?.as_ref().try_into().map_err(|_| "bad count")?);
            let mut files = Files::new();
            for _ in 0..count {
                let name_len =
                    u32::from_be_bytes(take(4)?.as_ref().try_into().map_err(|_| "bad length")?);
                let name = String::from_utf8(take(name_len as usize)?.to_vec())
                    .map_err(|_| "a file name is not UTF-8".to_owned())?;
                let data_len =
                    u64::from_be_bytes(take(8)?.as_ref().try_into().map_err(|_| "bad length")?);
                let data = take(usize::try_from(data_len).map_err(|_| "a file is too large")?)?;
                files.insert(name, data);
            }
            Ok((rest, files))
        }
        other => Err(format!("unknown stored job kind {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_with_files_comes_back_whole() {
        let mut files = Files::new();
        files.insert("logo".to_owned(), Bytes::from_static(b"\x89PNG\r\n"));
        files.insert("notes.txt".to_owned(), Bytes::new());
        let json = br#"{"format":"zip","entries":[]}"#;
        let (kind, stored) = encode(json, &files);
        assert_eq!(kind, "bundle");
        let (back, back_files) = decode(kind, stored.clone()).expect("decodes");
        assert_eq!(back.as_ref(), json);
        assert_eq!(back_files, files);
        // Every cut is refused, not misread.
        for cut in 0..stored.len() - json.len() {
            assert!(
                decode(kind, stored[..cut].to_vec()).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_job_without_files_is_kept_as_sent() {
        let json = br#"{"format":"pdf","template":"invoice"}"#;
        let (kind, stored) = encode(json, &Files::new());
        assert_eq!((kind, stored.as_slice()), ("json", &json[..]));
        assert_eq!(decode(kind, stored).expect("decodes").0.as_ref(), json);
        assert!(decode("yaml", Vec::new()).is_err());
    }
}
