//! The forms one secret value can take in text, and finding them (see the parent module).

use std::collections::HashSet;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Shortest base64 piece hidden on its own: shorter runs of base64 letters occur in plain
/// text by chance, and hiding them would protect only a few bits.
const MIN_BASE64_PIECE: usize = 6;

/// One secret value, prepared for matching.
pub(super) struct Known {
    raw: String,
    chars: Vec<char>,
    /// Base64 renderings, longest first, replaced as plain substrings.
    base64: Vec<String>,
}

impl Known {
    pub(super) fn new(raw: &str) -> Known {
        Known {
            raw: raw.to_owned(),
            chars: raw.chars().collect(),
            base64: base64_forms(raw.as_bytes()),
        }
    }

    pub(super) fn raw(&self) -> &str {
        &self.raw
    }

    /// `text` with every form of the secret replaced by `***`.
    pub(super) fn hide(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.base64 {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), "***");
            }
        }
        self.hide_escaped(&text)
    }

    /// Replaces the raw, percent-encoded and JSON-escaped forms (in any mix).
    fn hide_escaped(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let Some(&first) = self.raw.as_bytes().first() else {
            return text.to_owned();
        };
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        let mut changed = false;
        while i < bytes.len() {
            let b = bytes[i];
            // Every form starts with the first byte itself, `%`, `+` (a space) or `\`.
            let may_start = b == first || b == b'%' || b == b'+' || b == b'\\';
            match may_start.then(|| self.match_at(bytes, i)).flatten() {
                Some(end) => {
                    out.extend_from_slice(b"***");
                    i = end;
                    changed = true;
                }
                None => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        if !changed {
            return text.to_owned();
        }
        // A match ends inside a character only if the text mixes raw and escaped bytes of one
        // character; keep such text readable rather than failing.
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// The end of the longest form of the secret starting at `start`, if one does.
    fn match_at(&self, text: &[u8], start: usize) -> Option<usize> {
        // Reachability over (characters matched, text position): a `%` or `\` in the secret
        // can be written more than one way, so several positions may be live.
        let mut live = vec![start];
        for &c in &self.chars {
            let mut next = HashSet::new();
            for &p in &live {
                next.extend(char_ends(c, text, p));
            }
            if next.is_empty() {
                return None;
            }
            live = next.into_iter().collect();
        }
        live.into_iter().max()
    }
}

/// Where a written form of `c` starting at `p` ends.
fn char_ends(c: char, text: &[u8], p: usize) -> Vec<usize> {
    let mut ends = json_escape_end(c, text, p).into_iter().collect::<Vec<_>>();
    let mut buf = [0u8; 4];
    let mut live = vec![p];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        let mut next = Vec::new();
        for &q in &live {
            next.extend(byte_ends(b, text, q));
        }
        next.dedup();
        live = next;
    }
    ends.extend(live);
    ends
}

/// Where byte `b` written at `p` ends: as itself, `%XX`, or `+` for a space.
fn byte_ends(b: u8, text: &[u8], p: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let Some(&t) = text.get(p) else {
        return ends;
    };
    if t == b || (b == b' ' && t == b'+') {
        ends.push(p + 1);
    }
    if t == b'%' && hex_at(text, p + 1, 2) == Some(u32::from(b)) {
        ends.push(p + 3);
    }
    ends
}

/// Where a JSON escape of `c` at `p` ends: a short escape, or `\uXXXX` (a surrogate pair
/// beyond the basic plane).
fn json_escape_end(c: char, text: &[u8], p: usize) -> Option<usize> {
    if text.get(p) != Some(&b'\\') {
        return None;
    }
    let short = match c {
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '/' => Some(b'/'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        _ => None,
    };
    if short.is_some() && text.get(p + 1).copied() == short {
        return Some(p + 2);
    }
    let mut units = [0u16; 2];
    let mut end = p;
    for &unit in c.encode_utf16(&mut units).iter() {
        let escaped = text.get(end) == Some(&b'\\')
            && text.get(end + 1) == Some(&b'u')
            && hex_at(text, end + 2, 4) == Some(u32::from(unit));
        if !escaped {
            return None;
        }
        end += 6;
    }
    Some(end)
}

/// The value of `len` hex digits (either case) at `p`.
fn hex_at(text: &[u8], p: usize, len: usize) -> Option<u32> {
    let digits = text.get(p..p + len)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
}

/// Base64 renderings of `raw`: whole (standard and URL-safe; the padding, if any, follows
/// it), and the characters that depend on `raw` alone when it sits at any of the three
/// offsets inside longer base64 data.
fn base64_forms(raw: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        let whole = engine.encode(raw);
        if whole.len() >= 4 {
            forms.push(whole);
        }
        for offset in 0..3usize {
            let mut data = vec![0u8; offset];
            data.extend_from_slice(raw);
            let encoded = engine.encode(&data);
            // Characters mixing bits of the bytes before (offset 1: 2 chars, 2: 3 chars) or
            // after the secret are left out.
            let skip = [0, 2, 3][offset];
            let trailing = usize::from(data.len() % 3 != 0);
            if encoded.len() >= skip + trailing + MIN_BASE64_PIECE {
                forms.push(encoded[skip..encoded.len() - trailing].to_owned());
            }
        }
    }
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}
