//! The `terraform fmt` pass over hcl-rs output.
//!
//! hcl-rs 0.20 prints valid HCL but not the layout `terraform fmt` (1.11) settles on: it never
//! aligns `=`, prints `{for` and `name {  }`, and skips the rewrites Terraform layers on top of
//! hclwrite (quoted block labels, unwrapped `"${x}"`, normalised `variable` types). Rendered files
//! have to pass `terraform fmt -check`, so rather than patching known differences textually this
//! module lexes the text the way hclsyntax does and replays Terraform's rewrites and hclwrite's
//! whitespace rules on the tokens. Replaying the rules, not the differences, is what keeps text
//! inside strings and heredocs untouched and covers whatever hcl-rs prints next.
//!
//! Everything is a single pass per stage over the tokens, so cost stays linear in the input.

use std::borrow::Cow;
use std::cmp::Ordering;

/// Returns `text` laid out exactly as `terraform fmt -` prints it.
///
/// Like fmt's stdout, the result always ends with a newline, and trailing blank lines are kept.
///
/// One deliberate divergence: fmt drops any quoted block label containing `$` or `%` (hclsyntax
/// splits that literal into several tokens, and hclwrite then no longer reads it as a label).
/// Such labels are kept as written, because dropping one changes what the configuration means.
///
/// Text that does not lex as HCL, or whose bodies do not nest, is returned unchanged: Terraform
/// refuses to format it as well.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "called by the renderer once it writes files")
)]
pub fn terraform_fmt(text: &str) -> String {
    let Some(tokens) = lex(text).and_then(rewrite) else {
        return text.to_owned();
    };
    let mut out = layout(&tokens);
    // `terraform fmt -` writes through a UI writer that ends every output with one newline.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// hclsyntax token types, limited to those valid HCL can contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    OQuote,
    CQuote,
    QuotedLit,
    OHeredoc,
    CHeredoc,
    StringLit,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Equal,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    Colon,
    FatArrow,
    DoubleColon,
    Comment,
    Newline,
}

impl Kind {
    /// hclwrite's `tokenBracketChange`: quotes and heredoc markers deliberately don't count.
    fn bracket_change(self) -> i64 {
        match self {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateInterp
            | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }

    /// Nesting as the parser sees it, where strings and heredocs do enclose their content.
    fn opens(self) -> bool {
        self.bracket_change() > 0 || matches!(self, Kind::OQuote | Kind::OHeredoc)
    }

    fn closes(self) -> bool {
        self.bracket_change() < 0 || matches!(self, Kind::CQuote | Kind::CHeredoc)
    }
}

#[derive(Clone, Debug)]
struct Tok<'a> {
    kind: Kind,
    text: Cow<'a, str>,
}

impl Tok<'_> {
    fn new(kind: Kind, text: &'static str) -> Tok<'static> {
        Tok {
            kind,
            text: Cow::Borrowed(text),
        }
    }

    /// hclwrite breaks lines after newlines and after `#`/`//` comments, which own their `\n`.
    fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }
}

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Clone, Copy)]
enum Frame<'a> {
    /// Expression code: the file itself, or the inside of `${`/`%{`.
    Code { braces: usize, in_template: bool },
    Quoted,
    Heredoc { marker: &'a str, line_start: bool },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    frames: Vec<Frame<'a>>,
    toks: Vec<Tok<'a>>,
}

/// Splits `src` into hclsyntax's tokens, or `None` where hclsyntax would report an error.
fn lex(src: &str) -> Option<Vec<Tok<'_>>> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        frames: vec![Frame::Code {
            braces: 0,
            in_template: false,
        }],
        toks: Vec::with_capacity(src.len() / 3),
    };
    while lexer.pos < src.len() {
        match *lexer.frames.last()? {
            Frame::Code { .. } => lexer.code()?,
            Frame::Quoted => lexer.quoted()?,
            Frame::Heredoc { marker, line_start } => lexer.heredoc(marker, line_start)?,
        }
    }
    // Any frame left above the file means an unterminated string, heredoc or interpolation.
    (lexer.frames.len() == 1).then_some(lexer.toks)
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a [u8] {
        self.src.as_bytes().get(self.pos..).unwrap_or_default()
    }

    fn emit(&mut self, kind: Kind, len: usize) -> Option<()> {
        let text = self.src.get(self.pos..self.pos + len)?;
        self.toks.push(Tok {
            kind,
            text: Cow::Borrowed(text),
        });
        self.pos += len;
        Some(())
    }

    fn code(&mut self) -> Option<()> {
        let rest = self.rest();
        let next = rest.get(1).copied();
        let (kind, len) = match *rest.first()? {
            b' ' | b'\t' => {
                self.pos += 1;
                return Some(());
            }
            b'\n' => (Kind::Newline, 1),
            b'\r' if next == Some(b'\n') => (Kind::Newline, 2),
            b'#' => return self.line_comment(),
            b'/' if next == Some(b'/') => return self.line_comment(),
            b'/' if next == Some(b'*') => {
                let close = rest.get(2..)?.windows(2).position(|w| w == b"*/")?;
                (Kind::Comment, close + 4)
            }
            b'0'..=b'9' => (Kind::Number, number_len(rest)),
            b'"' => {
                self.frames.push(Frame::Quoted);
                (Kind::OQuote, 1)
            }
            b'<' if next == Some(b'<') => return self.heredoc_open(),
            b'{' => {
                if let Some(Frame::Code { braces, .. }) = self.frames.last_mut() {
                    *braces += 1;
                }
                (Kind::OBrace, 1)
            }
            b'}' => return self.close_brace(1),
            b'~' if next == Some(b'}') => return self.close_brace(2),
            b'=' => match next {
                Some(b'=') => (Kind::EqualOp, 2),
                Some(b'>') => (Kind::FatArrow, 2),
                _ => (Kind::Equal, 1),
            },
            b'!' if next == Some(b'=') => (Kind::NotEqual, 2),
            b'!' => (Kind::Bang, 1),
            b'<' if next == Some(b'=') => (Kind::Le, 2),
            b'<' => (Kind::Lt, 1),
            b'>' if next == Some(b'=') => (Kind::Ge, 2),
            b'>' => (Kind::Gt, 1),
            b'&' if next == Some(b'&') => (Kind::And, 2),
            b'|' if next == Some(b'|') => (Kind::Or, 2),
            b':' if next == Some(b':') => (Kind::DoubleColon, 2),
            b':' => (Kind::Colon, 1),
            b'.' if rest.starts_with(b"...") => (Kind::Ellipsis, 3),
            b'.' => (Kind::Dot, 1),
            b',' => (Kind::Comma, 1),
            b'(' => (Kind::OParen, 1),
            b')' => (Kind::CParen, 1),
            b'[' => (Kind::OBrack, 1),
            b']' => (Kind::CBrack, 1),
            b'+' => (Kind::Plus, 1),
            b'-' => (Kind::Minus, 1),
            b'*' => (Kind::Star, 1),
            b'/' => (Kind::Slash, 1),
            b'%' => (Kind::Percent, 1),
            b'?' => (Kind::Question, 1),
            _ => (Kind::Ident, self.ident_len(self.pos)?),
        };
        self.emit(kind, len)
    }

    fn line_comment(&mut self) -> Option<()> {
        let rest = self.rest();
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |nl| nl + 1);
        self.emit(Kind::Comment, len)
    }

    /// `}` ends an interpolation when no brace of its own is open; otherwise it closes a brace.
    fn close_brace(&mut self, len: usize) -> Option<()> {
        let Some(Frame::Code {
            braces,
            in_template,
        }) = self.frames.last_mut()
        else {
            return None;
        };
        if *braces == 0 && *in_template {
            self.frames.pop();
            return self.emit(Kind::TemplateSeqEnd, len);
        }
        if len != 1 {
            // A strip marker `~}` only ever ends a template sequence.
            return None;
        }
        *braces = braces.saturating_sub(1);
        self.emit(Kind::CBrace, 1)
    }

    fn ident_len(&self, at: usize) -> Option<usize> {
        let mut chars = self.src.get(at..)?.char_indices();
        let (_, first) = chars.next()?;
        if !is_ident_start(first) {
            return None;
        }
        let mut len = first.len_utf8();
        for (i, c) in chars {
            if !is_ident_continue(c) {
                break;
            }
            len = i + c.len_utf8();
        }
        Some(len)
    }

    /// `<<EOT` or `<<-EOT`; hclsyntax makes the line break part of the opening token.
    fn heredoc_open(&mut self) -> Option<()> {
        let rest = self.rest();
        let marker_at = if rest.get(2) == Some(&b'-') { 3 } else { 2 };
        let marker_len = self.ident_len(self.pos + marker_at)?;
        let marker = self
            .src
            .get(self.pos + marker_at..self.pos + marker_at + marker_len)?;
        let after = marker_at + marker_len;
        let len = match rest.get(after..)? {
            [b'\n', ..] => after + 1,
            [b'\r', b'\n', ..] => after + 2,
            _ => return None,
        };
        self.frames.push(Frame::Heredoc {
            marker,
            line_start: true,
        });
        self.emit(Kind::OHeredoc, len)
    }

    /// Enters `${`/`%{` when `rest` starts with one, reporting whether it did.
    fn template_open(&mut self, rest: &[u8]) -> Option<bool> {
        let kind = match rest {
            [b'$', b'{', ..] => Kind::TemplateInterp,
            [b'%', b'{', ..] => Kind::TemplateControl,
            _ => return Some(false),
        };
        let len = if rest.get(2) == Some(&b'~') { 3 } else { 2 };
        if let Some(Frame::Heredoc { line_start, .. }) = self.frames.last_mut() {
            *line_start = false;
        }
        self.frames.push(Frame::Code {
            braces: 0,
            in_template: true,
        });
        self.emit(kind, len)?;
        Some(true)
    }

    fn quoted(&mut self) -> Option<()> {
        let rest = self.rest();
        if self.template_open(rest)? {
            return Some(());
        }
        let len = match *rest.first()? {
            b'"' => {
                self.frames.pop();
                return self.emit(Kind::CQuote, 1);
            }
            b'\n' | b'\r' => return None,
            // hclsyntax emits each `$`/`%` (or escaped `$${`/`%%{`) as a literal token of its own;
            // block labels depend on that split, see `label`.
            b'$' | b'%' => escaped_introducer_len(rest).unwrap_or(1),
            _ => {
                let mut i = 0;
                while let Some(&b) = rest.get(i) {
                    match b {
                        b'\\' => {
                            let escaped = self.src.get(self.pos + i + 1..)?.chars().next()?;
                            if escaped == '\n' || escaped == '\r' {
                                return None;
                            }
                            i += 1 + escaped.len_utf8();
                        }
                        b'"' | b'$' | b'%' | b'\n' | b'\r' => break,
                        // Non-ASCII bytes never match the ASCII stops, so byte steps stay on
                        // character boundaries wherever the run ends.
                        _ => i += 1,
                    }
                }
                i
            }
        };
        self.emit(Kind::QuotedLit, len)
    }

    fn heredoc(&mut self, marker: &str, line_start: bool) -> Option<()> {
        let rest = self.rest();
        if self.template_open(rest)? {
            return Some(());
        }
        let mut i = 0;
        loop {
            match *rest.get(i)? {
                b'\n' => break,
                b'$' | b'%' if rest.get(i + 1) == Some(&b'{') => {
                    if let Some(Frame::Heredoc { line_start, .. }) = self.frames.last_mut() {
                        *line_start = false;
                    }
                    return self.emit(Kind::StringLit, i);
                }
                b'$' | b'%' => i += escaped_introducer_len(&rest[i..]).unwrap_or(1),
                _ => i += 1,
            }
        }
        let line = self.src.get(self.pos..self.pos + i)?;
        let content = line.strip_suffix('\r').unwrap_or(line);
        if line_start && content.trim() == marker {
            self.frames.pop();
            self.emit(Kind::CHeredoc, content.len())?;
            return self.emit(Kind::Newline, i + 1 - content.len());
        }
        if let Some(Frame::Heredoc { line_start, .. }) = self.frames.last_mut() {
            *line_start = true;
        }
        self.emit(Kind::StringLit, i + 1)
    }
}

/// Length of an escaped template introducer (`$${`, `%%{`, optionally with `~`) at the start.
fn escaped_introducer_len(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'$', b'$', b'{', b'~', ..] | [b'%', b'%', b'{', b'~', ..] => Some(4),
        [b'$', b'$', b'{', ..] | [b'%', b'%', b'{', ..] => Some(3),
        _ => None,
    }
}

/// hclsyntax's `NumberLit`: digits, an optional fraction and an optional exponent. A dot not
/// followed by a digit is left alone, so the legacy index in `foo.0.bar` lexes as `0`.
fn number_len(rest: &[u8]) -> usize {
    let digits_from = |start: usize| {
        start
            + rest
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
    };
    let is_digit = |i: usize| rest.get(i).is_some_and(u8::is_ascii_digit);
    let mut len = digits_from(0);
    if rest.get(len) == Some(&b'.') && is_digit(len + 1) {
        len = digits_from(len + 1);
    }
    if matches!(rest.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(rest.get(len + 1), Some(b'+' | b'-')));
        if is_digit(len + 1 + sign) {
            len = digits_from(len + 1 + sign);
        }
    }
    len
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '-'
        || (!c.is_ascii() && (c.is_alphanumeric() || is_extend(c)))
}

// ---------------------------------------------------------------------------------------------
// Terraform's rewrites (command/fmt.go `formatBody`), applied before layout as fmt does.

/// Walks the bodies of the file and rewrites attribute values and block labels.
fn rewrite(toks: Vec<Tok<'_>>) -> Option<Vec<Tok<'_>>> {
    let mut out = Vec::with_capacity(toks.len() + toks.len() / 8);
    // One entry per open block: whether it is a top-level `variable` block.
    let mut open_blocks: Vec<bool> = Vec::new();
    let mut i = 0;
    while let Some(tok) = toks.get(i) {
        match tok.kind {
            Kind::Newline | Kind::Comment => {
                out.push(tok.clone());
                i += 1;
            }
            Kind::CBrace => {
                open_blocks.pop()?;
                out.push(tok.clone());
                i += 1;
            }
            Kind::Ident if toks.get(i + 1).map(|t| t.kind) == Some(Kind::Equal) => {
                let end = expr_end(&toks, i + 2)?;
                let expr = toks.get(i + 2..end)?;
                out.extend(toks.get(i..i + 2)?.iter().cloned());
                if open_blocks.as_slice() == [true] && tok.text == "type" {
                    out.extend(type_expr(expr));
                } else {
                    out.extend(value_expr(expr));
                }
                i = end;
            }
            Kind::Ident => {
                let top_level_variable = open_blocks.is_empty() && tok.text == "variable";
                out.push(tok.clone());
                i += 1;
                loop {
                    let next = toks.get(i)?;
                    match next.kind {
                        Kind::Ident => {
                            out.extend(quote_label(&next.text));
                            i += 1;
                        }
                        Kind::OQuote => {
                            let lits = toks
                                .get(i + 1..)?
                                .iter()
                                .take_while(|t| t.kind == Kind::QuotedLit)
                                .count();
                            let close = i + 1 + lits;
                            if toks.get(close)?.kind != Kind::CQuote {
                                return None;
                            }
                            out.extend(label(toks.get(i..=close)?));
                            i = close + 1;
                        }
                        Kind::OBrace => {
                            out.push(next.clone());
                            i += 1;
                            open_blocks.push(top_level_variable);
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    open_blocks.is_empty().then_some(out)
}

/// End (exclusive) of the expression starting at `start`: the line break or line comment that
/// ends the attribute, or the `}` of a single-line block.
fn expr_end(toks: &[Tok<'_>], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = start;
    while let Some(tok) = toks.get(j) {
        if depth == 0 {
            let trailing_comment = tok.kind == Kind::Comment
                && (tok.text.ends_with('\n')
                    || toks.get(j + 1).is_none_or(|t| t.kind == Kind::Newline));
            if tok.kind == Kind::Newline || trailing_comment {
                break;
            }
        }
        if tok.kind.opens() {
            depth += 1;
        } else if tok.kind.closes() {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        j += 1;
    }
    (j > start).then_some(j)
}

/// fmt's `formatValueExpr`: `"${expr}"` as a whole attribute value becomes `expr`.
fn value_expr<'a>(expr: &[Tok<'a>]) -> Vec<Tok<'a>> {
    let kinds = |i: usize| expr.get(i).map(|t| t.kind);
    let n = expr.len();
    let wrapped = n >= 5
        && kinds(0) == Some(Kind::OQuote)
        && kinds(1) == Some(Kind::TemplateInterp)
        && kinds(n - 2) == Some(Kind::TemplateSeqEnd)
        && kinds(n - 1) == Some(Kind::CQuote);
    let Some(inside) = expr.get(2..n.saturating_sub(2)).filter(|_| wrapped) else {
        return expr.to_vec();
    };
    // Only a lone interpolation unwraps; nested strings may hold anything.
    let mut quotes = 0i64;
    for tok in inside {
        match tok.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => {
                return expr.to_vec();
            }
            _ => {}
        }
    }
    let first = inside.iter().take_while(|t| t.kind == Kind::Newline).count();
    let trailing = inside[first..]
        .iter()
        .rev()
        .take_while(|t| t.kind == Kind::Newline)
        .count();
    let trimmed = &inside[first..inside.len() - trailing];
    // Same precedence as fmt's switch: the first token is only checked for `(`.
    let mut multi_line = false;
    let mut leading_paren = false;
    let mut trailing_paren = false;
    for (i, tok) in trimmed.iter().enumerate() {
        if i == 0 && tok.kind == Kind::OParen {
            leading_paren = true;
        } else if tok.kind == Kind::Newline {
            multi_line = true;
        } else if i + 1 == trimmed.len() && tok.kind == Kind::CParen {
            trailing_paren = true;
        }
    }
    if multi_line && !(leading_paren && trailing_paren) {
        let mut out = Vec::with_capacity(trimmed.len() + 2);
        out.push(Tok::new(Kind::OParen, "("));
        out.extend_from_slice(trimmed);
        out.push(Tok::new(Kind::CParen, ")"));
        return out;
    }
    trimmed.to_vec()
}

/// fmt's `formatTypeExpr` for `type` in a top-level `variable` block: pre-0.12 quoted types and
/// bare collection keywords become type constraints.
fn type_expr<'a>(expr: &[Tok<'a>]) -> Vec<Tok<'a>> {
    let call = |name: &'static str, arg: &'static str| {
        vec![
            Tok::new(Kind::Ident, name),
            Tok::new(Kind::OParen, "("),
            Tok::new(Kind::Ident, arg),
            Tok::new(Kind::CParen, ")"),
        ]
    };
    match expr {
        [kw] if kw.kind == Kind::Ident => match kw.text.as_ref() {
            "list" => call("list", "any"),
            "map" => call("map", "any"),
            "set" => call("set", "any"),
            _ => expr.to_vec(),
        },
        [open, lit, close]
            if open.kind == Kind::OQuote
                && lit.kind == Kind::QuotedLit
                && close.kind == Kind::CQuote =>
        {
            match lit.text.as_ref() {
                "string" => vec![Tok::new(Kind::Ident, "string")],
                "list" => call("list", "string"),
                "map" => call("map", "string"),
                _ => expr.to_vec(),
            }
        }
        _ => expr.to_vec(),
    }
}

/// A quoted label (`"` literal pieces `"`) as hclwrite's `SetLabels(Labels())` leaves it.
fn label<'a>(toks: &[Tok<'a>]) -> Vec<Tok<'a>> {
    match toks {
        [_, lit, _] => match unescape(&lit.text) {
            Some(value) => quote_label(&value),
            None => toks.to_vec(),
        },
        // Empty labels stay `""`; several pieces are the `$`/`%` labels fmt would drop.
        _ => toks.to_vec(),
    }
}

fn quote_label(value: &str) -> Vec<Tok<'static>> {
    let mut out = vec![Tok::new(Kind::OQuote, "\"")];
    if !value.is_empty() {
        out.push(Tok {
            kind: Kind::QuotedLit,
            text: Cow::Owned(escape(value)),
        });
    }
    out.push(Tok::new(Kind::CQuote, "\""));
    out
}

/// hclsyntax's `ParseStringLiteralToken` for a quoted literal; `None` on a bad escape.
fn unescape(lit: &str) -> Option<String> {
    let mut out = String::with_capacity(lit.len());
    let mut rest = lit;
    while let Some(c) = rest.chars().next() {
        let (decoded, len) = match c {
            '\\' => match rest.get(1..)?.chars().next()? {
                'n' => ('\n', 2),
                'r' => ('\r', 2),
                't' => ('\t', 2),
                '"' => ('"', 2),
                '\\' => ('\\', 2),
                'u' => (hex_char(rest.get(2..6)?)?, 6),
                'U' => (hex_char(rest.get(2..10)?)?, 10),
                _ => return None,
            },
            '$' | '%' if rest.get(1..3) == Some(if c == '$' { "${" } else { "%{" }) => {
                out.push(c);
                ('{', 3)
            }
            _ => (c, c.len_utf8()),
        };
        out.push(decoded);
        rest = rest.get(len..)?;
    }
    Some(out)
}

fn hex_char(digits: &str) -> Option<char> {
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(digits, 16).ok()?;
    // Go turns surrogates and out-of-range values into U+FFFD rather than failing.
    Some(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
}

/// hclwrite's `escapeQuotedStringLit`.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for (i, c) in value.char_indices() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if value.get(i + 1..).is_some_and(|r| r.starts_with('{')) {
                    out.push(c);
                }
            }
            c if !is_go_printable(c) => {
                let code = u32::from(c);
                if code < 0x1_0000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
/// Exact up to U+00FF; above it the non-printing categories are listed by range, except that
/// unassigned code points are only recognised in the large unassigned areas.
fn is_go_printable(c: char) -> bool {
    let code = u32::from(c);
    match code {
        0x20..=0x7e => true,
        0x00..=0x1f | 0x7f..=0x9f | 0xa0 | 0xad => false,
        0xa1..=0xff => true,
        _ => !matches!(
            code,
            // separators
            0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
            // format characters
            | 0x0600..=0x0605 | 0x061c | 0x06dd | 0x070f | 0x0890..=0x0891 | 0x08e2 | 0x180e
            | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
            | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
            // private use
            | 0xe000..=0xf8ff | 0xf0000..=0x10ffff
            // noncharacters and unassigned planes
            | 0xfdd0..=0xfdef | 0x323b0..=0xdffff | 0xe0080..=0xe00ff | 0xe01f0..=0xeffff
        ) && code & 0xfffe != 0xfffe,
    }
}

// ---------------------------------------------------------------------------------------------
// Layout (hclwrite's `format`: indentation, spacing, then alignment of `=` and comments)

/// A line split into hclwrite's cells: `lead`, then `assign` (from `=`), then a trailing comment.
struct Line {
    start: usize,
    lead_end: usize,
    assign_end: usize,
    end: usize,
}

impl Line {
    fn new(toks: &[Tok<'_>], start: usize, end: usize) -> Line {
        let mut body_end = end;
        if end - start > 1 && toks[end - 1].kind == Kind::Comment {
            body_end = end - 1;
        }
        let mut lead_end = body_end;
        // Only a single-line value is an assignment cell; `a = {` opens a multi-line one.
        if let Some(eq) = (start + 1..body_end).find(|&i| toks[i].kind == Kind::Equal) {
            let net: i64 = toks[eq..body_end]
                .iter()
                .map(|t| t.kind.bracket_change())
                .sum();
            if net == 0 {
                lead_end = eq;
            }
        }
        Line {
            start,
            lead_end,
            assign_end: body_end,
            end,
        }
    }

    fn has_assign(&self) -> bool {
        self.assign_end > self.lead_end
    }

    fn has_comment(&self) -> bool {
        self.end > self.assign_end
    }
}

fn layout(toks: &[Tok<'_>]) -> String {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, tok) in toks.iter().enumerate() {
        if tok.ends_line() {
            lines.push(Line::new(toks, start, i + 1));
            start = i + 1;
        }
    }
    lines.push(Line::new(toks, start, toks.len()));

    let mut spaces = vec![0usize; toks.len()];
    indent(toks, &lines, &mut spaces);
    for line in &lines {
        space_cell(toks, &mut spaces, line.start, line.lead_end);
        if line.has_assign() {
            spaces[line.lead_end] = 1;
            space_cell(toks, &mut spaces, line.lead_end, line.assign_end);
        }
    }
    align(toks, &lines, &mut spaces, Line::has_assign, |l| {
        (l.lead_end, l.start..l.lead_end)
    });
    align(toks, &lines, &mut spaces, Line::has_comment, |l| {
        (l.assign_end, l.start..l.assign_end)
    });

    let mut out = String::with_capacity(toks.iter().map(|t| t.text.len() + 1).sum());
    for (tok, &n) in toks.iter().zip(&spaces) {
        out.extend(std::iter::repeat_n(' ', n));
        out.push_str(&tok.text);
    }
    out
}

/// hclwrite's `formatIndent`: two spaces per open indent level, where a line with several net
/// openers still counts as one level (so `] + [` sits one level deeper than its brackets).
fn indent(toks: &[Tok<'_>], lines: &[Line], spaces: &mut [usize]) {
    let mut levels: Vec<i64> = Vec::new();
    for line in lines {
        if line.start == line.lead_end {
            continue;
        }
        if toks[line.start].kind == Kind::Newline {
            spaces[line.start] = 0;
            continue;
        }
        let mut net = 0;
        for tok in &toks[line.start..line.lead_end] {
            net += tok.kind.bracket_change();
            // Brackets inside heredoc content don't indent the lines after it.
            if tok.kind == Kind::OHeredoc {
                break;
            }
        }
        net += toks[line.lead_end..line.assign_end]
            .iter()
            .map(|t| t.kind.bracket_change())
            .sum::<i64>();
        match net.cmp(&0) {
            Ordering::Greater => {
                spaces[line.start] = 2 * levels.len();
                levels.push(net);
            }
            Ordering::Less => {
                let mut closed = -net;
                while closed > 0 {
                    let Some(top) = levels.last_mut() else { break };
                    if closed < *top {
                        *top -= closed;
                        closed = 0;
                    } else {
                        closed -= *top;
                        levels.pop();
                    }
                }
                spaces[line.start] = 2 * levels.len();
            }
            Ordering::Equal => spaces[line.start] = 2 * levels.len(),
        }
    }
}

/// hclwrite's `formatSpaces` for the tokens of one cell after its first.
fn space_cell(toks: &[Tok<'_>], spaces: &mut [usize], from: usize, to: usize) {
    for i in from..to.saturating_sub(1) {
        let before = (i > from).then(|| &toks[i - 1]);
        spaces[i + 1] = usize::from(space_after(&toks[i], before, &toks[i + 1]));
    }
}

/// hclwrite's `spaceAfterToken`, rule for rule and in the same order.
fn space_after(subject: &Tok<'_>, before: Option<&Tok<'_>>, after: &Tok<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    if a == Newline
        || (s == Ident && a == OParen)
        || (s == Ident && a == DoubleColon)
        || (s == DoubleColon && a == Ident)
        || s == Dot
        || a == Dot
        || a == Comma
        || a == Ellipsis
    {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
        || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == Ident && subject.text == "in" && before.is_some_and(|b| b.kind == Ident) {
        return true;
    }
    if a == OBrack && (s == Ident || s == Number || s.bracket_change() < 0) {
        return false;
    }
    if s == Bang {
        return false;
    }
    if s == Minus {
        // A minus after anything that cannot end an operand is a negation.
        return !matches!(
            before.map(|b| b.kind),
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        );
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if (matches!(s, TemplateInterp | TemplateControl) && a == OBrace)
        || (s == CBrace && a == TemplateSeqEnd)
    {
        return true;
    }
    if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) {
        return false;
    }
    s.bracket_change() <= 0 && a.bracket_change() >= 0
}

/// hclwrite's `formatCells`: consecutive lines that have the cell form a chain, and the cell of
/// every line in it starts one column past the widest text before it.
fn align(
    toks: &[Tok<'_>],
    lines: &[Line],
    spaces: &mut [usize],
    has_cell: fn(&Line) -> bool,
    cell: fn(&Line) -> (usize, std::ops::Range<usize>),
) {
    let mut chain: Vec<(usize, usize)> = Vec::new();
    let mut widest = 0;
    for line in lines {
        if has_cell(line) {
            let (at, before) = cell(line);
            let width: usize = before
                .map(|i| spaces[i] + grapheme_count(&toks[i].text))
                .sum();
            widest = widest.max(width);
            chain.push((at, width));
        } else {
            for (at, width) in chain.drain(..) {
                spaces[at] = widest - width + 1;
            }
            widest = 0;
        }
    }
    for (at, width) in chain {
        spaces[at] = widest - width + 1;
    }
}

/// Number of extended grapheme clusters, which is how hclwrite measures columns. Built on a
/// compact approximation of the Unicode tables: combining marks of the common scripts, joiners,
/// variation selectors, emoji modifiers and ZWJ sequences, and regional-indicator pairs.
fn grapheme_count(text: &str) -> usize {
    let mut count = 0;
    let mut prev: Option<char> = None;
    let mut regional_run = 0;
    for c in text.chars() {
        let joins = match prev {
            None => false,
            Some(p) if p.is_control() => p == '\r' && c == '\n',
            Some(p) => {
                (is_extend(c) && !c.is_control())
                    || (p == '\u{200d}' && is_pictographic(c))
                    || (is_regional_indicator(c) && regional_run % 2 == 1)
            }
        };
        regional_run = if is_regional_indicator(c) {
            regional_run + 1
        } else {
            0
        };
        if !joins {
            count += 1;
        }
        prev = Some(c);
    }
    count
}

fn is_extend(c: char) -> bool {
    let code = u32::from(c);
    let indic_mark = (0x0900..=0x0dff).contains(&code)
        && matches!(
            code & 0x7f,
            0x00..=0x03 | 0x3a..=0x3c | 0x3e..=0x4d | 0x51..=0x57 | 0x62..=0x63
        );
    indic_mark
        || matches!(
            code,
            0x0300..=0x036f
                | 0x0483..=0x0489
                | 0x0591..=0x05bd
                | 0x05bf
                | 0x05c1..=0x05c2
                | 0x05c4..=0x05c5
                | 0x05c7
                | 0x0610..=0x061a
                | 0x064b..=0x065f
                | 0x0670
                | 0x06d6..=0x06dc
                | 0x06df..=0x06e4
                | 0x06e7..=0x06e8
                | 0x06ea..=0x06ed
                | 0x0e31
                | 0x0e34..=0x0e3a
                | 0x0e47..=0x0e4e
                | 0x0eb1
                | 0x0eb4..=0x0ebc
                | 0x0ec8..=0x0ece
                | 0x1160..=0x11ff
                | 0x1ab0..=0x1aff
                | 0x1dc0..=0x1dff
                | 0x200c..=0x200d
                | 0x20d0..=0x20ff
                | 0x3099..=0x309a
                | 0xfe00..=0xfe0f
                | 0xfe20..=0xfe2f
                | 0x1f3fb..=0x1f3ff
                | 0xe0020..=0xe007f
                | 0xe0100..=0xe01ef
        )
}

fn is_pictographic(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00a9
            | 0x00ae
            | 0x203c
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x2194..=0x21aa
            | 0x2300..=0x23ff
            | 0x2600..=0x27bf
            | 0x2b00..=0x2bff
            | 0x3030
            | 0x303d
            | 0x3297
            | 0x3299
            | 0x1f000..=0x1faff
            | 0x1fc00..=0x1fffd
    )
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

#[cfg(test)]
mod tests;
