//! Located problems in a stack file, collected so that every one is reported at once.
//!
//! A problem carries a byte span into the source, the key path it concerns and an optional hint;
//! rendering turns the span into `file:line:column`.

use std::fmt::Write as _;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// Every problem found while reading one stack file.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(span, message.into(), None);
    }

    pub fn error_hint(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(span, message.into(), Some(hint.into()));
    }

    fn push(&mut self, span: Range<usize>, message: String, hint: Option<String>) {
        // Environments are decoded one by one from shared tables, so a problem in a shared
        // table would otherwise be reported once per environment.
        let diagnostic = Diagnostic {
            span,
            message,
            hint,
        };
        if !self.items.contains(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[cfg(test)]
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Renders every problem as `error: FILE:LINE:COL: message` (plus a hint line), in file order.
    pub fn render(&self, file_name: &str, source: &str) -> String {
        let lines = LineIndex::new(source);
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| d.span.start);
        let mut out = String::new();
        for d in items {
            let (line, column) = lines.position(source, d.span.start);
            let _ = writeln!(out, "error: {file_name}:{line}:{column}: {}", d.message);
            if let Some(hint) = &d.hint {
                let _ = writeln!(out, "  hint: {hint}");
            }
        }
        let count = self.items.len();
        let _ = write!(
            out,
            "{count} problem{} in {file_name}; nothing was written",
            if count == 1 { "" } else { "s" }
        );
        out
    }
}

/// Byte offsets of line starts, for turning spans into 1-based line and column numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    fn position(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = source
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\nbé = 2\n";
        let index = LineIndex::new(src);
        assert_eq!(index.position(src, 0), (1, 1));
        assert_eq!(index.position(src, 6), (2, 1));
        // `=` after a two-byte character is the fourth character of the line.
        assert_eq!(index.position(src, 10), (2, 4));
        assert_eq!(index.position(src, src.len()), (3, 1));
    }

    #[test]
    fn duplicate_problems_from_shared_tables_are_reported_once() {
        let mut d = Diagnostics::default();
        d.error(3..4, "x");
        d.error(3..4, "x");
        d.error(5..6, "x");
        assert_eq!(d.len(), 2);
        let text = d.render("stack.toml", "a = 1\nb = 2\n");
        assert!(text.starts_with("error: stack.toml:1:4: x\n"), "{text}");
        assert!(text.ends_with("2 problems in stack.toml; nothing was written"));
    }
}
