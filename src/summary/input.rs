//! Turns the bytes a user hands us into UTF-8 JSON text, and explains input that is not a plan.
//!
//! Plans arrive through shells and CI systems that add byte-order marks, write UTF-16
//! (PowerShell's `>`), concatenate documents or prepend log lines. Each of those gets a message
//! that says what was found and what to pass instead; nothing here may panic.

use std::borrow::Cow;

use anyhow::{Result, bail};

/// The start of a zip archive: a binary plan file written by `terraform plan -out`.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Whether `bytes` look like a binary plan file (a zip archive) rather than JSON.
pub fn is_binary_plan(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC)
}

/// UTF-8 text of the document, borrowed when it already is UTF-8 without a BOM.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(Cow::Borrowed(rest));
    }
    let utf16 = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        Some((rest, true))
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        Some((rest, false))
    } else if bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0 {
        // No BOM, but ASCII JSON in UTF-16 LE has a zero in every second byte.
        Some((bytes, true))
    } else if bytes.len() >= 2 && bytes[0] == 0 && bytes[1] != 0 {
        Some((bytes, false))
    } else {
        None
    };
    let Some((body, little)) = utf16 else {
        return Ok(Cow::Borrowed(bytes));
    };
    if body.len() % 2 != 0 {
        bail!(
            "it looks like UTF-16 but has an odd number of bytes ({}); save it again as UTF-8",
            body.len()
        );
    }
    let units = body.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(_) => bail!(
                "it looks like UTF-16 but holds an unpaired surrogate at byte {}; save it again as UTF-8",
                i * 2
            ),
        }
    }
    // A BOM can survive inside the decoded text when a tool wrote one before converting.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok(Cow::Owned(text.into_bytes()))
}

/// Explains why `text` (already decoded) is not one JSON document, given serde's error.
///
/// Runs only after parsing failed, so it may take its time.
pub fn explain(text: &[u8], err: &serde_json::Error) -> anyhow::Error {
    let hint = "expected the output of `terraform show -json PLANFILE`";
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return anyhow::anyhow!("it is empty; {hint}");
    };
    if is_binary_plan(&text[first..]) {
        return anyhow::anyhow!(
            "it is a binary plan file (a zip archive), not JSON; pass its path as PLAN so \
             stackform runs `terraform show -json` on it, or pipe in `terraform show -json PLANFILE`"
        );
    }
    // Messages give places, never the text found there: it may hold a secret.
    if text[first] != b'{' {
        let (line, col) = line_col(text, first);
        return match text.iter().position(|&b| b == b'{') {
            Some(start) if text[first] != b'[' => {
                let (l2, c2) = line_col(text, start);
                anyhow::anyhow!(
                    "it starts with text that is not JSON at line {line} column {col}; a JSON \
                     object may begin at line {l2} column {c2}; remove the surrounding text: \
                     {hint}"
                )
            }
            _ if text[first] == b'[' => anyhow::anyhow!(
                "it is a JSON array (at line {line} column {col}), not an object; {hint}"
            ),
            _ => anyhow::anyhow!(
                "it does not start with a JSON object (line {line} column {col}); {hint}"
            ),
        };
    }
    // The first value parses on its own: whatever follows it is the problem.
    let mut stream =
        serde_json::Deserializer::from_slice(&text[first..]).into_iter::<serde::de::IgnoredAny>();
    if let Some(Ok(_)) = stream.next() {
        let end = first + stream.byte_offset();
        if let Some(next) = text[end..].iter().position(|b| !b.is_ascii_whitespace()) {
            let at = end + next;
            let (line, col) = line_col(text, at);
            return if text[at] == b'{' {
                anyhow::anyhow!(
                    "it holds several JSON documents (another one starts at line {line} column \
                     {col}); pass one plan at a time"
                )
            } else {
                anyhow::anyhow!(
                    "it has text after the JSON document at line {line} column {col}; remove \
                     it: {hint}"
                )
            };
        }
    }
    if err.is_eof() {
        return anyhow::anyhow!(
            "it ends in the middle of the JSON document (line {} column {}); was it cut short?",
            err.line(),
            err.column()
        );
    }
    if err.classify() == serde_json::error::Category::Data {
        // serde's message quotes the offending value, which may be a secret (and may itself
        // hold ", expected "): keep only where, and what was expected when it is one of the
        // phrases our own types write.
        let expected = expected_type(&err.to_string());
        return match expected {
            Some(what) => anyhow::anyhow!(
                "it is not a valid plan document: the value at line {} column {} has the wrong \
                 type (expected {what})",
                err.line(),
                err.column()
            ),
            None => anyhow::anyhow!(
                "it is not a valid plan document: the value at line {} column {} has the wrong \
                 type or shape",
                err.line(),
                err.column()
            ),
        };
    }
    if err.classify() == serde_json::error::Category::Syntax {
        // Syntax messages name only what was expected and where, never the input.
        return anyhow::anyhow!("it is not a valid plan document: {err}");
    }
    anyhow::anyhow!(
        "it is not a valid plan document (line {} column {})",
        err.line(),
        err.column()
    )
}

/// The type serde expected, when the message ends in one of the fixed phrases the plan's
/// types use; never any part of the input.
fn expected_type(message: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "a string",
        "a borrowed string",
        "a sequence",
        "a map",
        "a boolean",
        "a number",
        "any valid JSON value",
    ];
    let head = message.rsplit_once(" at line ").map_or(message, |(h, _)| h);
    KNOWN
        .iter()
        .find(|k| head.ends_with(&format!(", expected {k}")))
        .copied()
        .or_else(|| {
            let (_, what) = head.rsplit_once(", expected struct ")?;
            let known = [
                "PlanDoc",
                "ResourceChangeDoc",
                "ChangeDoc",
                "ValuesDoc",
                "StateDoc",
            ]
            .into_iter()
            .chain([
                "OutputValueDoc",
                "ConfigDoc",
                "ConfigModuleDoc",
                "VariableDoc",
            ]);
            known.into_iter().find(|k| *k == what).map(|_| "an object")
        })
}

/// One-based line and column (in characters) of byte offset `at`.
fn line_col(text: &[u8], at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}
