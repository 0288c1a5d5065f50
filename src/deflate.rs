//! Deflate at a fast level with a compressor that is reused: setting one up
//! (a few hundred KB of zeroed tables) costs more than compressing a small
//! page or package part. The PDF writer and the ZIP writer (`archive`) keep one
//! per thread.

/// A reusable deflate compressor: zlib-wrapped (PDF `FlateDecode`) or raw
/// (ZIP entries).
pub struct Deflate(flate2::Compress);

impl Deflate {
    /// At `level` 1 (the fastest) to 9. zlib-rs's level 1 is a quick pass
    /// made for speed; level 2 is its lazy matcher, about 30 % smaller on
    /// text at about 60 % of the speed.
    pub fn new(zlib_header: bool, level: u32) -> Deflate {
        Deflate(flate2::Compress::new(
            flate2::Compression::new(level),
            zlib_header,
        ))
    }

    /// `input` compressed as one complete stream.
    pub fn bytes(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        let deflate = &mut self.0;
        deflate.reset();
        let mut out = Vec::with_capacity(input.len() / 3 + 64);
        loop {
            let consumed = deflate.total_in() as usize;
            let status = deflate
                .compress_vec(&input[consumed..], &mut out, flate2::FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            match status {
                flate2::Status::StreamEnd => return Ok(out),
                _ => out.reserve(out.capacity().max(1024)),
            }
        }
    }
}
