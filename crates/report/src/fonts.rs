//! The embedded Noto Sans faces (OFL, assets/fonts) and their advance widths, parsed once per
//! process. Widths come from the font's `hmtx` table, so wrapped text measures exactly what
//! the PDF viewer draws (no kerning is applied on either side).

use printpdf::ParsedFont;
use std::sync::OnceLock;

const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf");

/// Codepoints below this have their widths in a flat table; others are looked up.
const TABLE: usize = 0x2200;

/// One face: the parsed font (for embedding) and its widths in em units.
pub struct Face {
    pub parsed: ParsedFont,
    widths: Vec<f32>,
    covered: Vec<bool>,
    fallback: f32,
    /// Ascender and descender (positive), in em.
    pub ascent: f32,
    pub descent: f32,
}

impl Face {
    fn load(bytes: &[u8]) -> Result<Face, String> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| "the embedded Noto Sans font does not parse".to_string())?;
        let m = parsed.pdf_font_metrics;
        let upem = f32::from(m.units_per_em.max(1));
        let fallback = parsed
            .lookup_glyph_index('?' as u32)
            .map(|g| f32::from(parsed.get_horizontal_advance(g)) / upem)
            .unwrap_or(0.55);
        let mut widths = Vec::with_capacity(TABLE);
        let mut covered = Vec::with_capacity(TABLE);
        for c in 0..TABLE as u32 {
            match parsed.lookup_glyph_index(c) {
                Some(g) if g != 0 => {
                    widths.push(f32::from(parsed.get_horizontal_advance(g)) / upem);
                    covered.push(true);
                }
                _ => {
                    widths.push(fallback);
                    covered.push(false);
                }
            }
        }
        Ok(Face {
            covered,
            ascent: f32::from(m.ascender) / upem,
            descent: -f32::from(m.descender) / upem,
            parsed,
            widths,
            fallback,
        })
    }

    /// Advance of one character, in em.
    pub fn advance(&self, c: char) -> f32 {
        let i = c as usize;
        if i < TABLE {
            return self.widths[i];
        }
        match self.parsed.lookup_glyph_index(c as u32) {
            Some(g) if g != 0 => {
                f32::from(self.parsed.get_horizontal_advance(g))
                    / f32::from(self.parsed.pdf_font_metrics.units_per_em.max(1))
            }
            _ => self.fallback,
        }
    }

    /// Width of `s` at `size` points.
    pub fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// Whether the face has a glyph for `c`.
    pub fn has(&self, c: char) -> bool {
        match self.covered.get(c as usize) {
            Some(&b) => b,
            None => self
                .parsed
                .lookup_glyph_index(c as u32)
                .is_some_and(|g| g != 0),
        }
    }

    /// The first character of `s` the face cannot draw (it would print as a box).
    pub fn first_missing(&self, s: &str) -> Option<char> {
        s.chars().find(|&c| !self.has(c))
    }
}

/// The regular and bold faces.
pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

/// The fonts, parsed on first use.
pub fn fonts() -> Result<&'static Fonts, String> {
    static F: OnceLock<Result<Fonts, String>> = OnceLock::new();
    F.get_or_init(|| {
        Ok(Fonts {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faces_cover_the_report_characters() {
        let f = fonts().expect("fonts parse");
        for c in "éèêàçôûîïœÉÀñáíóúü¿¡—–…’«»·•×€\u{A0}\u{202F}%".chars()
        {
            assert!(
                f.regular.has(c),
                "Noto Sans Regular must have {c:?} (U+{:04X}) or it prints as a box",
                c as u32
            );
            assert!(
                f.bold.has(c),
                "Noto Sans Bold must have {c:?} (U+{:04X})",
                c as u32
            );
        }
        let w = f.regular.width("Mizani", 10.0);
        assert!(
            w > 25.0 && w < 40.0,
            "a six-letter word at 10 pt is about 3 em wide: {w}"
        );
        assert!(
            f.bold.width("Mizani", 10.0) > w,
            "bold is wider than regular"
        );
        assert!(
            f.regular.ascent > 0.9 && f.regular.descent > 0.2,
            "ascent/descent in em"
        );
    }
}
