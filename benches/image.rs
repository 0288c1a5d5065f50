//! Image conversion through the library, from encoded bytes to encoded
//! bytes: a synthetic 2560 × 1600 JPEG (smooth gradients and fine texture,
//! like a photo) resized to 800 pixels wide, as JPEG q80 and WebP q80.
//!
//! Run: `cargo bench --bench image`. The side-by-side comparison on real
//! photos with pyvips and Pillow is `bench/image_compare.sh`; a batch over
//! HTTP is `bench/image_http_batch.sh`.

use std::io::Cursor;

use criterion::{Criterion, criterion_group, criterion_main};
use docsmith::image::{self, Limits, OutputFormat, Resize, Spec};
use docsmith::render_ctx::{CancelToken, RenderCtx};

fn photo(width: u32, height: u32) -> Vec<u8> {
    let pixels = ::image::RgbImage::from_fn(width, height, |x, y| {
        let texture = ((x * 7919 + y * 104_729) % 23) as u8;
        ::image::Rgb([
            (x * 200 / width) as u8 + texture,
            (y * 200 / height) as u8 + texture,
            ((x + y) * 100 / (width + height)) as u8 + 60,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    ::image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, ::image::ImageFormat::Jpeg)
        .expect("encode the test photo");
    out.into_inner()
}

fn bench(c: &mut Criterion) {
    let input = photo(2560, 1600);
    let ctx = RenderCtx::new(CancelToken::new(), None);
    let limits = Limits::default();
    let mut group = c.benchmark_group("image");
    group.sample_size(20);
    for format in [OutputFormat::Jpeg, OutputFormat::Webp] {
        let mut spec = Spec::new();
        spec.resize = Resize {
            width: Some(800),
            ..Resize::default()
        };
        spec.output.format = Some(format);
        group.bench_function(format!("2560x1600 jpeg → 800 {}", format.as_str()), |b| {
            b.iter(|| image::convert(&input, &spec, &limits, &ctx).expect("converts"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
