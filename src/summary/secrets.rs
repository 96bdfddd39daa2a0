//! The plan's secrets, and finding them inside any string in time linear in that string.
//!
//! Every string marked sensitive anywhere in the plan is masked wherever it appears, whole or
//! inside a longer string. An automaton over the secrets (Aho-Corasick) costs tens of bytes per
//! byte of secret, and its DFA takes quadratic time on repetitive secrets, so secrets are kept
//! as fingerprints instead: a polynomial hash of each whole secret, and of its first `A` bytes,
//! where `A` is the largest power of two not above its length. Looking for secrets in a string
//! rolls one window per such length `A` over it (at most 32 of them) and checks whole-secret
//! hashes only where a window matches. Nothing here keeps a secret's text.
//!
//! A hash collision can only mask text that is not a secret, never show one; and a string whose
//! checks would exceed a fixed multiple of its length is masked whole, so pathological sets of
//! secrets cost over-masking, never time.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

use super::marker::is_true;

/// What a masked secret reads as.
pub const SENSITIVE: &str = "(sensitive)";

/// Secrets shorter than this (in characters) are not matched inside other strings: they
/// would mask noise.
const MIN_SECRET_CHARS: usize = 4;

/// Whole-secret checks allowed per byte of the searched string before it is masked whole.
const CHECKS_PER_BYTE: usize = 4;

/// Prefix hashes of a searched string are kept every `STRIDE` bytes.
const STRIDE: usize = 32;

/// The Mersenne prime 2^61 - 1, the hash modulus.
const MODULUS: u64 = (1 << 61) - 1;

/// The hash base (any number well below the modulus and above 255 works).
const BASE: u64 = 0x1f3d_5b79_a2c4_e681 % MODULUS;

fn mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let folded = (p as u64 & MODULUS) + (p >> 61) as u64;
    if folded >= MODULUS {
        folded - MODULUS
    } else {
        folded
    }
}

fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= MODULUS { s - MODULUS } else { s }
}

fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + MODULUS - b }
}

fn pow(mut base: u64, mut exp: usize) -> u64 {
    let mut out = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            out = mul(out, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    out
}

/// Hash of `bytes`, continuing from the hash `h` of what came before them.
fn extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = add(mul(h, BASE), u64::from(b) + 1);
    }
    h
}

/// One key for a string's length and hash, for the sets below.
fn key(len: usize, hash: u64) -> u64 {
    hash ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The keys are hashes already: use them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Build = BuildHasherDefault<Identity>;

/// The secrets of one window length `A`: the hashes of their first `A` bytes, each with the
/// distinct lengths of the secrets that start that way.
struct Level {
    width: usize,
    /// `BASE^(width - 1)`, to drop a window's first byte.
    top: u64,
    /// Prefix hash to a range of `lengths`.
    starts: HashMap<u64, (u32, u32), Build>,
}

/// String values (and object keys of wholly sensitive subtrees) marked sensitive somewhere in
/// the plan, as fingerprints. Its `Debug` shows counts only.
#[derive(Default)]
pub struct Secrets {
    /// Every secret, short ones too, by length and hash: matched against whole strings (values,
    /// path segments, import ids, address keys), and verifying matches inside strings.
    exact: HashSet<u64, Build>,
    /// Object keys of wholly sensitive values (Terraform hides a sensitive map's keys too):
    /// masked as whole path segments, map keys and values, never inside other strings, since
    /// most are attribute names such as `token`.
    keys: HashSet<u64, Build>,
    /// Secrets long enough to be found inside other strings, as (window width, prefix hash,
    /// length) until `finish` sorts them into `levels`.
    pending: Vec<(u32, u64, u32)>,
    levels: Vec<Level>,
    /// Distinct secret lengths, each with `BASE^length`, grouped by `Level::starts`.
    lengths: Vec<(u32, u64)>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secrets({} values, {} keys)",
            self.exact.len(),
            self.keys.len()
        )
    }
}

/// Where secrets occur in one string, or that looking cost too much (mask it all).
enum Found {
    Spans(Vec<(usize, usize)>),
    TooMany,
}

impl Secrets {
    /// Records every string under a `true` of `marker` in `value`. The marker must already be
    /// read against the value (see `marker::read`).
    pub fn collect(&mut self, value: &Value, marker: &Value) {
        if is_true(marker) {
            self.collect_all(value);
            return;
        }
        match (value, marker) {
            (Value::Object(map), Value::Object(marks)) => {
                for (k, m) in marks {
                    if let Some(v) = map.get(k) {
                        self.collect(v, m);
                    }
                }
            }
            (Value::Array(items), Value::Array(marks)) => {
                for (v, m) in items.iter().zip(marks) {
                    self.collect(v, m);
                }
            }
            _ => {}
        }
    }

    /// Records every string in `value` (a whole sensitive value), object keys included:
    /// Terraform hides the keys of a sensitive map as well as its values.
    pub fn collect_all(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Object(map) => {
                for (k, v) in map {
                    self.keys.insert(key(k.len(), extend(0, k.as_bytes())));
                    self.collect_all(v);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect_all(v)),
            _ => {}
        }
    }

    /// Records every string literal (keys and values) in raw JSON text, for a sensitive
    /// value too deep or too broken to parse: masking too much is safe, too little is not.
    pub fn collect_raw(&mut self, raw: &str) {
        for literal in string_literals(raw) {
            self.add(&literal);
        }
    }

    /// Records one secret.
    pub fn add(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        let bytes = s.as_bytes();
        if !self.exact.insert(key(bytes.len(), extend(0, bytes))) {
            return;
        }
        if s.chars().nth(MIN_SECRET_CHARS - 1).is_none() {
            return;
        }
        let Ok(len) = u32::try_from(bytes.len()) else {
            // Over 4 GiB: found only whole. No plan this large is read into memory.
            return;
        };
        let width = 1usize << (usize::BITS - 1 - bytes.len().leading_zeros());
        self.pending
            .push((width as u32, extend(0, &bytes[..width]), len));
    }

    /// Sorts the secrets found inside strings into one table per window width.
    pub fn finish(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        pending.dedup();
        self.levels.clear();
        self.lengths.clear();
        let mut i = 0;
        while i < pending.len() {
            let (width, prefix, _) = pending[i];
            if self.levels.last().is_none_or(|l| l.width != width as usize) {
                self.levels.push(Level {
                    width: width as usize,
                    top: pow(BASE, width as usize - 1),
                    starts: HashMap::default(),
                });
            }
            let start = self.lengths.len() as u32;
            while i < pending.len() && pending[i].0 == width && pending[i].1 == prefix {
                let len = pending[i].2;
                self.lengths.push((len, pow(BASE, len as usize)));
                i += 1;
            }
            let end = self.lengths.len() as u32;
            if let Some(level) = self.levels.last_mut() {
                level.starts.insert(prefix, (start, end));
            }
        }
    }

    /// Whether `s` is a secret or holds one.
    pub fn hides(&self, s: &str) -> bool {
        if self.is_whole(s) {
            return true;
        }
        match self.find(s, true) {
            Found::Spans(spans) => !spans.is_empty(),
            Found::TooMany => true,
        }
    }

    /// Whether `s` is, as a whole, a secret or a key of a sensitive map.
    fn is_whole(&self, s: &str) -> bool {
        let k = key(s.len(), extend(0, s.as_bytes()));
        self.exact.contains(&k) || self.keys.contains(&k)
    }

    /// `s` (a name or address) with every secret in it replaced by `(sensitive)`: all of it
    /// when it is one, and quoted address keys (`x["k"]`) that are one. Secrets that overlap
    /// are masked together, each whole.
    pub fn redact(&self, s: &str) -> String {
        if self.exact.contains(&key(s.len(), extend(0, s.as_bytes()))) {
            return SENSITIVE.to_string();
        }
        let spans = match self.find(s, false) {
            Found::Spans(spans) => spans,
            Found::TooMany => return SENSITIVE.to_string(),
        };
        let mut out = String::with_capacity(s.len());
        let mut at = 0;
        for (start, end) in merge(spans) {
            out.push_str(&s[at..start]);
            out.push_str(SENSITIVE);
            at = end;
        }
        out.push_str(&s[at..]);
        // Quoted keys in addresses (`x["k"]`) may be short secrets matched only whole.
        redact_quoted(&out, self)
    }

    /// The byte ranges of `s` that are secrets (only whether there is one, when `first`).
    fn find(&self, s: &str, first: bool) -> Found {
        let mut used = 0;
        self.search(s, first, &mut used)
    }

    fn search(&self, s: &str, first: bool, used: &mut usize) -> Found {
        let bytes = s.as_bytes();
        let mut spans = Vec::new();
        let mut checks_left = CHECKS_PER_BYTE * bytes.len() + 64;
        let mut prefixes: Option<Prefixes<'_>> = None;
        for level in self.levels.iter().filter(|l| l.width <= bytes.len()) {
            let w = level.width;
            let mut h = extend(0, &bytes[..w]);
            for p in 0..=bytes.len() - w {
                if p > 0 {
                    let out = mul(u64::from(bytes[p - 1]) + 1, level.top);
                    h = add(mul(sub(h, out), BASE), u64::from(bytes[p + w - 1]) + 1);
                }
                let Some(&(from, to)) = level.starts.get(&h) else {
                    continue;
                };
                let prefixes = prefixes.get_or_insert_with(|| Prefixes::new(bytes));
                for &(len, power) in &self.lengths[from as usize..to as usize] {
                    let end = p + len as usize;
                    if end > bytes.len() {
                        continue;
                    }
                    if checks_left == 0 {
                        return Found::TooMany;
                    }
                    checks_left -= 1;
                    *used += 1;
                    let whole = sub(prefixes.at(end), mul(prefixes.at(p), power));
                    if self.exact.contains(&key(len as usize, whole)) {
                        spans.push((p, end));
                        if first {
                            return Found::Spans(spans);
                        }
                    }
                }
            }
        }
        Found::Spans(spans)
    }

    /// Whole-secret checks a search of `s` for every secret makes (for tests: they grow at
    /// most linearly with `s`).
    #[cfg(test)]
    pub fn checks(&self, s: &str) -> usize {
        let mut used = 0;
        let _ = self.search(s, false, &mut used);
        used
    }
}

/// Prefix hashes of a searched string, one every `STRIDE` bytes; the rest are rolled on.
struct Prefixes<'s> {
    bytes: &'s [u8],
    marks: Vec<u64>,
}

impl<'s> Prefixes<'s> {
    fn new(bytes: &'s [u8]) -> Self {
        let mut marks = Vec::with_capacity(bytes.len() / STRIDE + 1);
        let mut h = 0;
        marks.push(h);
        for chunk in bytes.chunks(STRIDE) {
            h = extend(h, chunk);
            if chunk.len() == STRIDE {
                marks.push(h);
            }
        }
        Prefixes { bytes, marks }
    }

    /// The hash of the first `n` bytes.
    fn at(&self, n: usize) -> u64 {
        let mark = n / STRIDE;
        extend(self.marks[mark], &self.bytes[mark * STRIDE..n])
    }
}

/// Sorted, disjoint ranges covering every given range (overlapping and touching ones join).
fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Replaces quoted strings (`"..."`) in `s` that are secrets by `"(sensitive)"`.
fn redact_quoted(s: &str, secrets: &Secrets) -> String {
    if !s.contains('"') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        let Some(end) = closing_quote(after.as_bytes()) else {
            out.push_str(after);
            return out;
        };
        let inner = &after[..end];
        if secrets.is_whole(&unescape(inner)) {
            out.push_str(SENSITIVE);
        } else {
            out.push_str(inner);
        }
        out.push('"');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The index of the quote that ends a JSON string whose text starts at `bytes[0]`.
fn closing_quote(bytes: &[u8]) -> Option<usize> {
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// The text of a JSON string's inside, unescaped; kept as written when the escapes are bad.
fn unescape(inner: &str) -> String {
    if !inner.contains('\\') {
        return inner.to_string();
    }
    let mut quoted = String::with_capacity(inner.len() + 2);
    quoted.push('"');
    quoted.push_str(inner);
    quoted.push('"');
    serde_json::from_str(&quoted).unwrap_or_else(|_| inner.to_string())
}

/// Every string literal (object keys and values) in raw JSON text, unescaped; malformed
/// escapes are kept as written. Never fails and never recurses, whatever the depth.
pub fn string_literals(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let end = closing_quote(after.as_bytes()).unwrap_or(after.len());
        out.push(unescape(&after[..end]));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out
}
