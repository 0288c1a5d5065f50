//! Where the pixels go: from the source size and a [`Resize`] to the part of
//! the source that is read, the size it is resampled to and the canvas it
//! lands on. Everything here is in the upright (EXIF-oriented) frame; the
//! [`Plan::raw`] mapping turns a plan into the stored frame, so the decoder
//! and the resampler work on the pixels as stored and only the small result
//! is rotated.

use image::metadata::Orientation;

use super::{Fit, Gravity, Resize};

/// A rectangle in source pixels (fractional: resamplers take sub-pixel crops).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// What to do with an image of a given size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The part of the source that is used.
    pub crop: Rect,
    /// The size that part is resampled to.
    pub scaled: (u32, u32),
    /// The output size; larger than `scaled` when `fit` is `fill`.
    pub canvas: (u32, u32),
    /// Where `scaled` sits on the canvas.
    pub offset: (u32, u32),
}

impl Plan {
    /// Plans `resize` for an upright source of `width` × `height` pixels.
    pub fn new(width: u32, height: u32, resize: &Resize) -> Plan {
        let (sw, sh) = (f64::from(width), f64::from(height));
        let whole = Rect {
            x: 0.0,
            y: 0.0,
            width: sw,
            height: sh,
        };
        let keep = |scaled| Plan {
            crop: whole,
            scaled,
            canvas: scaled,
            offset: (0, 0),
        };
        let (w, h) = match (resize.width, resize.height) {
            (None, None) => return keep((width, height)),
            (Some(w), Some(h)) => (f64::from(w), f64::from(h)),
            // One side given: the other follows the aspect ratio, whatever
            // the fit (there is nothing to crop or pad against).
            (Some(w), None) => {
                let s = limit_scale(f64::from(w) / sw, resize);
                return keep((side(sw * s), side(sh * s)));
            }
            (None, Some(h)) => {
                let s = limit_scale(f64::from(h) / sh, resize);
                return keep((side(sw * s), side(sh * s)));
            }
        };
        match resize.fit {
            Fit::Inside => {
                let s = limit_scale((w / sw).min(h / sh), resize);
                keep((side(sw * s), side(sh * s)))
            }
            Fit::Exact => keep((side(w), side(h))),
            Fit::Cover => {
                let s = (w / sw).max(h / sh);
                let (cw, ch) = ((w / s).min(sw), (h / s).min(sh));
                let (gx, gy) = resize.gravity.weights();
                Plan {
                    crop: Rect {
                        x: (sw - cw) * gx,
                        y: (sh - ch) * gy,
                        width: cw,
                        height: ch,
                    },
                    scaled: (side(w), side(h)),
                    canvas: (side(w), side(h)),
                    offset: (0, 0),
                }
            }
            Fit::Fill => {
                let s = (w / sw).min(h / sh);
                let scaled = (side(sw * s).min(side(w)), side(sh * s).min(side(h)));
                let canvas = (side(w), side(h));
                let (gx, gy) = resize.gravity.weights();
                let offset = (
                    (f64::from(canvas.0 - scaled.0) * gx).round() as u32,
                    (f64::from(canvas.1 - scaled.1) * gy).round() as u32,
                );
                Plan {
                    crop: whole,
                    scaled,
                    canvas,
                    offset,
                }
            }
        }
    }

    /// Whether the source is used as it is (no crop, no resampling).
    pub fn is_identity(&self, width: u32, height: u32) -> bool {
        self.scaled == (width, height)
            && self.crop.x == 0.0
            && self.crop.y == 0.0
            && self.crop.width == f64::from(width)
            && self.crop.height == f64::from(height)
    }

    /// The crop and scaled size in the stored frame of an image that is
    /// shown turned by `orientation`; `raw` is its stored size.
    pub fn raw(&self, orientation: Orientation, raw: (u32, u32)) -> (Rect, (u32, u32)) {
        let (rw, rh) = (f64::from(raw.0), f64::from(raw.1));
        let c = self.crop;
        // Upright point → stored point, for each orientation.
        let map = |x: f64, y: f64| -> (f64, f64) {
            match orientation {
                Orientation::NoTransforms => (x, y),
                Orientation::FlipHorizontal => (rw - x, y),
                Orientation::FlipVertical => (x, rh - y),
                Orientation::Rotate180 => (rw - x, rh - y),
                Orientation::Rotate90 => (y, rh - x),
                Orientation::Rotate270 => (rw - y, x),
                Orientation::Rotate90FlipH => (y, x),
                Orientation::Rotate270FlipH => (rw - y, rh - x),
            }
        };
        let (x0, y0) = map(c.x, c.y);
        let (x1, y1) = map(c.x + c.width, c.y + c.height);
        let rect = Rect {
            x: x0.min(x1),
            y: y0.min(y1),
            width: (x1 - x0).abs(),
            height: (y1 - y0).abs(),
        };
        let scaled = if swaps_axes(orientation) {
            (self.scaled.1, self.scaled.0)
        } else {
            self.scaled
        };
        (rect, scaled)
    }
}

/// Whether showing an image in `orientation` swaps its width and height.
pub fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// `inside` and one-sided resizes never enlarge unless asked to.
fn limit_scale(scale: f64, resize: &Resize) -> f64 {
    if resize.upscale {
        scale
    } else {
        scale.min(1.0)
    }
}

/// A pixel count from a scaled length: rounded, at least one.
fn side(length: f64) -> u32 {
    (length.round() as u32).max(1)
}

impl Gravity {
    /// Horizontal and vertical share of the slack left before the image.
    fn weights(self) -> (f64, f64) {
        match self {
            Gravity::Centre => (0.5, 0.5),
            Gravity::North => (0.5, 0.0),
            Gravity::South => (0.5, 1.0),
            Gravity::East => (1.0, 0.5),
            Gravity::West => (0.0, 0.5),
            Gravity::NorthEast => (1.0, 0.0),
            Gravity::NorthWest => (0.0, 0.0),
            Gravity::SouthEast => (1.0, 1.0),
            Gravity::SouthWest => (0.0, 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resize(width: Option<u32>, height: Option<u32>, fit: Fit) -> Resize {
        Resize {
            width,
            height,
            fit,
            ..Resize::default()
        }
    }

    #[test]
    fn fits_give_the_documented_sizes() {
        let cases = [
            (resize(Some(800), None, Fit::Inside), (800, 500), (800, 500)),
            (
                resize(Some(800), Some(800), Fit::Inside),
                (800, 500),
                (800, 500),
            ),
            (
                resize(Some(800), Some(300), Fit::Inside),
                (480, 300),
                (480, 300),
            ),
            // Never enlarged unless asked.
            (
                resize(Some(4000), None, Fit::Inside),
                (1600, 1000),
                (1600, 1000),
            ),
            (
                resize(Some(800), Some(800), Fit::Cover),
                (800, 800),
                (800, 800),
            ),
            (
                resize(Some(800), Some(800), Fit::Fill),
                (800, 500),
                (800, 800),
            ),
            (
                resize(Some(300), Some(700), Fit::Exact),
                (300, 700),
                (300, 700),
            ),
            (resize(None, Some(250), Fit::Cover), (400, 250), (400, 250)),
        ];
        for (r, scaled, canvas) in cases {
            let plan = Plan::new(1600, 1000, &r);
            assert_eq!((plan.scaled, plan.canvas), (scaled, canvas), "{r:?}");
        }
        let mut up = resize(Some(4000), None, Fit::Inside);
        up.upscale = true;
        assert_eq!(Plan::new(1600, 1000, &up).scaled, (4000, 2500));
    }

    #[test]
    fn cover_crops_by_gravity() {
        let mut r = resize(Some(100), Some(100), Fit::Cover);
        let centre = Plan::new(300, 100, &r).crop;
        assert_eq!(
            (centre.x, centre.width, centre.height),
            (100.0, 100.0, 100.0)
        );
        r.gravity = Gravity::West;
        assert_eq!(Plan::new(300, 100, &r).crop.x, 0.0);
        r.gravity = Gravity::East;
        assert_eq!(Plan::new(300, 100, &r).crop.x, 200.0);
    }

    #[test]
    fn fill_places_by_gravity() {
        let mut r = resize(Some(100), Some(100), Fit::Fill);
        assert_eq!(Plan::new(200, 100, &r).offset, (0, 25));
        r.gravity = Gravity::South;
        assert_eq!(Plan::new(200, 100, &r).offset, (0, 50));
    }

    #[test]
    fn raw_frame_follows_the_orientation() {
        // Stored 300 × 100, shown turned a quarter clockwise: 100 × 300.
        let mut r = resize(Some(100), Some(100), Fit::Cover);
        r.gravity = Gravity::North;
        let plan = Plan::new(100, 300, &r);
        assert_eq!(plan.crop.y, 0.0);
        // The top of the upright image is the left of the stored one.
        let (rect, scaled) = plan.raw(Orientation::Rotate90, (300, 100));
        assert_eq!(
            (rect.x, rect.y, rect.width, rect.height),
            (0.0, 0.0, 100.0, 100.0)
        );
        assert_eq!(scaled, (100, 100));
        let (rect, _) = plan.raw(Orientation::Rotate270, (300, 100));
        assert_eq!(rect.x, 200.0);
        let wide = resize(Some(50), None, Fit::Inside);
        let (_, scaled) = Plan::new(100, 300, &wide).raw(Orientation::Rotate90, (300, 100));
        assert_eq!(scaled, (150, 50));
    }
}
