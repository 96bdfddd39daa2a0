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
    Code {
        braces: usize,
        in_template: bool,
    },
    Quoted,
    Heredoc {
        marker: &'a str,
        line_start: bool,
    },
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
    let first = inside
        .iter()
        .take_while(|t| t.kind == Kind::Newline)
        .count();
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
        _ => {
            !matches!(
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
            ) && code & 0xfffe != 0xfffe
        }
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
mod tests {
    use super::terraform_fmt;
    use hcl::expr::{
        BinaryOp, BinaryOperator, Conditional, Expression, ForExpr, FuncCall, FuncName, Heredoc,
        HeredocStripMode, Object, ObjectKey, Operation, TemplateExpr, Traversal, TraversalOperator,
        UnaryOp, UnaryOperator, Variable,
    };
    use hcl::structure::{Attribute, Block, BlockLabel, Body, Structure};
    use hcl::{Identifier, Number};
    use std::io::{ErrorKind, Write};
    use std::process::{Command, Stdio};

    // Expected strings below were checked against `terraform fmt -` 1.11.4.

    #[test]
    fn aligns_consecutive_single_line_attributes() {
        assert_eq!(
            terraform_fmt("a = 1\nbbb = 2\ncc = \"x\"\n"),
            "a   = 1\nbbb = 2\ncc  = \"x\"\n"
        );
    }

    #[test]
    fn aligns_items_of_multi_line_objects_by_their_quoted_width() {
        let input = "tags = {\n  \"Name\" = \"web\"\n  env = \"prod\"\n  \"Cost Center\" = 1\n}\n";
        assert_eq!(
            terraform_fmt(input),
            "tags = {\n  \"Name\"        = \"web\"\n  env           = \"prod\"\n  \"Cost Center\" = 1\n}\n"
        );
    }

    #[test]
    fn runs_break_at_blank_lines_blocks_and_multi_line_values() {
        let input = "a = 1\nbb = 2\n\nccc = 3\ndddd = {\n  x = 1\n}\ne = 2\n\nblk {\n  f = 1\n}\n\ngggggg = 3\nh = 4\n";
        let expected = "a  = 1\nbb = 2\n\nccc = 3\ndddd = {\n  x = 1\n}\ne = 2\n\nblk {\n  f = 1\n}\n\ngggggg = 3\nh      = 4\n";
        assert_eq!(terraform_fmt(input), expected);
    }

    #[test]
    fn runs_break_at_comment_lines() {
        assert_eq!(
            terraform_fmt("a = 1\n# note\nbbb = 2\n"),
            "a = 1\n# note\nbbb = 2\n"
        );
    }

    #[test]
    fn heredoc_attribute_is_one_line_of_the_run() {
        let input = "long_name = 1\na = <<EOT\n  x = 1\nEOT\nbbbb = 2\n";
        assert_eq!(
            terraform_fmt(input),
            "long_name = 1\na         = <<EOT\n  x = 1\nEOT\nbbbb      = 2\n"
        );
    }

    #[test]
    fn widths_count_grapheme_clusters() {
        let input = "m = {\n  \"e\u{301}\" = 1\n  \"ab\" = 2\n  \"\u{1f1e9}\u{1f1ea}\" = 3\n  \"\u{1f44d}\u{1f3fd}\" = 4\n}\n";
        let expected = "m = {\n  \"e\u{301}\"  = 1\n  \"ab\" = 2\n  \"\u{1f1e9}\u{1f1ea}\"  = 3\n  \"\u{1f44d}\u{1f3fd}\"  = 4\n}\n";
        assert_eq!(terraform_fmt(input), expected);
    }

    #[test]
    fn spaces_object_for_expressions_only() {
        assert_eq!(
            terraform_fmt("a = {for k, v in var.m : k => v}\nb = [for x in var.l : x]\n"),
            "a = { for k, v in var.m : k => v }\nb = [for x in var.l : x]\n"
        );
    }

    #[test]
    fn closes_up_empty_nested_blocks() {
        assert_eq!(
            terraform_fmt("a {\n  b {\n    c {    }\n  }\n}\n"),
            "a {\n  b {\n    c {}\n  }\n}\n"
        );
    }

    #[test]
    fn leaves_string_and_heredoc_content_alone() {
        let input = "a = \"{for  x}  =  {  }\"\nb = <<EOT\n{  }\n  x  =  1\nEOT\n";
        assert_eq!(terraform_fmt(input), input);
        let indented = "x {\n  y = <<-EOT\n    a\n    EOT\n}\n";
        assert_eq!(terraform_fmt(indented), indented);
    }

    #[test]
    fn output_ends_with_a_newline_and_keeps_trailing_blank_lines() {
        assert_eq!(terraform_fmt(""), "\n");
        assert_eq!(terraform_fmt("a = 1"), "a = 1\n");
        assert_eq!(terraform_fmt("a = 1\n\n"), "a = 1\n\n");
    }

    #[test]
    fn quotes_and_re_escapes_block_labels() {
        assert_eq!(
            terraform_fmt("resource aws_instance web {\n}\n"),
            "resource \"aws_instance\" \"web\" {\n}\n"
        );
        assert_eq!(
            terraform_fmt("x \"a\u{a0}b\" \"\\u0024\" {\n}\n"),
            "x \"a\\u00a0b\" \"$\" {\n}\n"
        );
    }

    #[test]
    fn keeps_labels_that_fmt_would_drop() {
        // fmt prints `x {}` here; losing a label changes the configuration, so we diverge.
        assert_eq!(terraform_fmt("x \"a$b\" {}\n"), "x \"a$b\" {}\n");
    }

    #[test]
    fn unwraps_attribute_values_that_are_one_interpolation() {
        let input = "a = \"${var.x}\"\nbb = \"x-${var.x}\"\nc = \"${var.a}${var.b}\"\nd = \"${\"in ${var.x}\"}\"\ne = \"${ {a=1} }\"\n";
        let expected = "a  = var.x\nbb = \"x-${var.x}\"\nc  = \"${var.a}${var.b}\"\nd  = \"in ${var.x}\"\ne  = { a = 1 }\n";
        assert_eq!(terraform_fmt(input), expected);
    }

    #[test]
    fn normalises_types_of_top_level_variables_only() {
        let input = "variable \"v\" {\n  type = \"list\"\n}\n\nvariable \"w\" {\n  type = map\n}\n\nresource \"x\" \"y\" {\n  type = \"string\"\n\n  variable \"z\" {\n    type = \"string\"\n  }\n}\n";
        let expected = "variable \"v\" {\n  type = list(string)\n}\n\nvariable \"w\" {\n  type = map(any)\n}\n\nresource \"x\" \"y\" {\n  type = \"string\"\n\n  variable \"z\" {\n    type = \"string\"\n  }\n}\n";
        assert_eq!(terraform_fmt(input), expected);
    }

    #[test]
    fn respaces_template_sequences() {
        assert_eq!(
            terraform_fmt("a = \"%{ if var.x }y%{ endif } ${ var.z }\"\n"),
            "a = \"%{if var.x}y%{endif} ${var.z}\"\n"
        );
    }

    #[test]
    fn indents_lines_that_close_and_reopen_brackets_one_level_deeper() {
        assert_eq!(
            terraform_fmt("a = [\n  1,\n] + [\n  2,\n]\n"),
            "a = [\n  1,\n  ] + [\n  2,\n]\n"
        );
    }

    #[test]
    fn returns_text_terraform_would_reject_unchanged() {
        for input in [
            "a = \"open\n",
            "a = {\n",
            "b {\n",
            "a = <<EOT\nx\n",
            "}\n",
            "a = $\n",
        ] {
            assert_eq!(terraform_fmt(input), input);
        }
    }

    // Property test: random `hcl::Body` values printed by hcl-rs must come out of our pass
    // exactly as `terraform fmt -` prints them, and our output must be a fixed point of fmt.

    const CASES: usize = 400;
    const BATCH: usize = 50;
    const SEED: u64 = 0x5eed_f0f7_2024_0001;

    /// Cases are formatted in batches, one fmt process each, separated by comment lines: a
    /// comment line ends any alignment run and every case closes its brackets, so each case
    /// formats exactly as it would alone. Top-level names carry the case number because fmt
    /// rejects an attribute defined twice in one body.
    #[test]
    fn matches_terraform_fmt_on_generated_bodies() {
        let mut rng = Rng(SEED);
        for batch in 0..CASES / BATCH {
            let cases: Vec<(usize, String)> = (batch * BATCH..(batch + 1) * BATCH)
                .map(|case| {
                    let body = Gen {
                        rng: &mut rng,
                        case,
                    }
                    .top_body();
                    let text = hcl::format::to_string(&body).expect("hcl-rs prints any body");
                    (case, text)
                })
                .collect();
            let input = join(cases.iter().map(|(case, text)| (*case, text.as_str())));
            let expected = match terraform_fmt_stdin(&input) {
                Ok(expected) => expected,
                Err(error) => panic!("{}", explain_rejection(&cases, &error)),
            };
            let ours: Vec<(usize, String)> = cases
                .iter()
                .map(|(case, text)| (*case, terraform_fmt(text)))
                .collect();
            let mut rest = expected.as_str();
            for ((case, text), (_, actual)) in cases.iter().zip(&ours) {
                let header = separator(*case);
                rest = rest
                    .strip_prefix(header.as_str())
                    .unwrap_or_else(|| panic!("fmt output lost the header of case {case}"));
                let end = rest.find("# ---- case ").unwrap_or(rest.len());
                let (want, tail) = rest.split_at(end);
                assert!(
                    want == actual,
                    "case {case} (seed {SEED:#x}) differs from terraform fmt\n\
                     --- hcl-rs output ---\n{text}--- terraform fmt ---\n{want}--- ours ---\n{actual}"
                );
                rest = tail;
            }
            let ours = join(ours.iter().map(|(case, text)| (*case, text.as_str())));
            let refmt = terraform_fmt_stdin(&ours).unwrap_or_else(|error| panic!("{error}"));
            assert!(
                refmt == ours,
                "our output is not a fixed point of terraform fmt:\n{ours}"
            );
        }
    }

    fn separator(case: usize) -> String {
        format!("# ---- case {case} ----\n")
    }

    fn join<'a>(cases: impl Iterator<Item = (usize, &'a str)>) -> String {
        cases
            .map(|(case, text)| separator(case) + text)
            .collect::<String>()
    }

    fn terraform_fmt_stdin(input: &str) -> Result<String, String> {
        let mut child = match Command::new("terraform")
            .args(["fmt", "-no-color", "-"])
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if error.kind() == ErrorKind::NotFound => panic!(
                "`terraform` is not on PATH: this test compares against `terraform fmt` 1.11 \
                 (install it, as CI does, e.g. at /usr/local/bin/terraform)"
            ),
            Err(error) => panic!("could not run terraform: {error}"),
        };
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = input.to_owned();
        // fmt reads all of stdin before writing, but a writer thread keeps large inputs safe.
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child
            .wait_with_output()
            .expect("terraform runs to completion");
        writer
            .join()
            .expect("writer thread finishes")
            .expect("terraform reads its input");
        if output.status.success() {
            Ok(String::from_utf8(output.stdout).expect("terraform prints UTF-8"))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Narrows a rejected batch down to the case that terraform refuses.
    fn explain_rejection(cases: &[(usize, String)], batch_error: &str) -> String {
        for (case, text) in cases {
            if let Err(error) = terraform_fmt_stdin(text) {
                return format!("terraform rejects generated case {case}:\n{text}\n{error}");
            }
        }
        format!("terraform rejects a batch but none of its cases alone:\n{batch_error}")
    }

    /// SplitMix64: a seeded, dependency-free generator, so a failing case can be replayed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())]
        }
    }

    const ATTR_KEYS: &[&str] = &[
        "a",
        "id",
        "ami",
        "name",
        "tags",
        "type",
        "count",
        "enabled",
        "description",
        "instance_type",
        "very_long_attribute_name",
        "x1",
        "for_each",
        "naïve",
    ];
    const BLOCK_TYPES: &[&str] = &[
        "resource",
        "data",
        "dynamic",
        "content",
        "lifecycle",
        "module",
        "ingress",
        "variable",
        "x",
    ];
    const IDENT_LABELS: &[&str] = &["aws_instance", "web", "my-label", "ünï", "x1"];
    // No `$` or `%`: fmt drops such labels, where we deliberately keep them.
    const STRING_LABELS: &[&str] = &[
        "aws_s3_bucket",
        "web server",
        "",
        "quote\"d",
        "back\\slash",
        "ünïcödé",
        "nb\u{a0}sp",
        "del\u{7f}",
        "ctl\u{1}",
        "tab\there",
        "{ }",
        "\u{1f44d}",
    ];
    const OBJECT_KEYS: &[&str] = &[
        "Name",
        "Environment",
        "a",
        "long_object_key_name",
        "with space",
        "é",
        "e\u{301}",
        "日本",
        "\u{1f44d}\u{1f3fd}",
        "\u{1f1e9}\u{1f1ea}",
        "k\"q",
        "back\\slash",
        "x-y",
        "Key.With.Dots",
        "${not_interp}",
        "for",
    ];
    const STRINGS: &[&str] = &[
        "",
        "plain",
        "with \"quotes\"",
        "back\\slash",
        "line\nbreak",
        "tab\t",
        "ünïcödé",
        "{for x}",
        "a  =  b",
        "{  }",
        "# not a comment",
        "// nor this",
        "<<EOT",
        "${not_interp}",
        "$${literal}",
        "100%",
        "50%{x",
        "\u{7f}\u{a0}",
    ];
    const TEMPLATES: &[&str] = &[
        "${var.x}",
        "${ var.spaced }",
        "prefix-${var.name}-suffix",
        "${local.a}${local.b}",
        "%{ if var.flag }on%{ else }off%{ endif }",
        "${upper(\"x\")}",
        "${var.m[\"k\"]}",
        "${ {a=1} }",
        "${\"nested ${var.x}\"}",
        "${var.pct}%",
        "%{ for x in var.l }${x},%{ endfor }",
        "${~ var.strip ~}",
    ];
    const HEREDOC_LINES: &[&str] = &[
        "plain line",
        "  indented",
        "key = value",
        "{  }",
        "${var.x}",
        "${ var.spaced } and more",
        "%{ if var.flag }yes%{ endif }",
        "",
        "# hash",
        "\"quoted\"",
        "EOTX",
        " trailing  ",
        "$${escaped}",
        "[for  x]",
    ];
    const TYPES: &[&str] = &[
        "\"string\"",
        "\"list\"",
        "\"map\"",
        "list",
        "map",
        "set",
        "string",
    ];

    #[derive(Clone, Copy)]
    struct Ctx {
        /// Inside a function call or conditional, where hcl-rs prints collections on one line.
        compact: bool,
        /// Whether this position may hold a heredoc: its closing marker must end its line.
        heredoc: bool,
    }

    struct Gen<'r> {
        rng: &'r mut Rng,
        case: usize,
    }

    impl Gen<'_> {
        fn top_body(&mut self) -> Body {
            let items = 1 + self.rng.below(6);
            self.body(items, 0)
        }

        fn body(&mut self, items: usize, depth: usize) -> Body {
            let mut keys = ATTR_KEYS.to_vec();
            let mut structures = Vec::new();
            for _ in 0..items {
                if depth < 3 && self.rng.chance(30) {
                    structures.push(Structure::Block(self.block(depth)));
                } else if !keys.is_empty() {
                    let key = keys.swap_remove(self.rng.below(keys.len()));
                    let key = if depth == 0 {
                        format!("{key}_c{}", self.case)
                    } else {
                        key.to_owned()
                    };
                    let expr = self.expr(
                        0,
                        Ctx {
                            compact: false,
                            heredoc: true,
                        },
                    );
                    structures.push(Structure::Attribute(Attribute::new(
                        Identifier::unchecked(key),
                        expr,
                    )));
                }
            }
            Body(structures)
        }

        fn block(&mut self, depth: usize) -> Block {
            if depth == 0 && self.rng.chance(20) {
                return self.variable_block();
            }
            let mut block = Block::new(Identifier::unchecked(self.rng.pick(BLOCK_TYPES)));
            for _ in 0..self.rng.below(3) {
                let label = if self.rng.chance(40) {
                    BlockLabel::Identifier(Identifier::unchecked(self.rng.pick(IDENT_LABELS)))
                } else {
                    BlockLabel::String(self.rng.pick(STRING_LABELS).to_owned())
                };
                block.labels.push(label);
            }
            let items = if self.rng.chance(20) {
                0
            } else {
                1 + self.rng.below(4)
            };
            block.body = self.body(items, depth + 1);
            block
        }

        fn variable_block(&mut self) -> Block {
            let mut block = Block::new(Identifier::unchecked("variable"));
            block
                .labels
                .push(BlockLabel::String(format!("v{}", self.case)));
            let ty = self.rng.pick(TYPES);
            let ty = match ty.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(quoted) => Expression::String(quoted.to_owned()),
                None => Expression::Variable(Variable::unchecked(ty)),
            };
            let mut attrs = vec![Attribute::new("type", ty)];
            if self.rng.chance(50) {
                attrs.push(Attribute::new("description", self.string()));
            }
            if self.rng.chance(50) {
                let ctx = Ctx {
                    compact: false,
                    heredoc: true,
                };
                attrs.push(Attribute::new("default", self.expr(1, ctx)));
            }
            block.body = Body(attrs.into_iter().map(Structure::Attribute).collect());
            block
        }

        fn expr(&mut self, depth: usize, ctx: Ctx) -> Expression {
            let nested = Ctx {
                compact: ctx.compact,
                heredoc: false,
            };
            let choice = if depth >= 3 {
                self.rng.below(6)
            } else {
                self.rng.below(17)
            };
            match choice {
                0 => match self.rng.below(3) {
                    0 => Expression::Null,
                    n => Expression::Bool(n == 1),
                },
                1 => self.number(),
                2 => self.string(),
                3 => self.traversal(),
                4 => Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(
                    self.rng.pick(TEMPLATES).to_owned(),
                ))),
                5 if ctx.heredoc && !ctx.compact => self.heredoc(),
                5 => self.traversal(),
                6 | 7 => self.array(depth, ctx),
                8..=10 => self.object(depth, ctx),
                11 => self.func_call(depth),
                12 => self.for_expr(depth, ctx),
                13 => {
                    let compact = Ctx {
                        compact: true,
                        heredoc: false,
                    };
                    Expression::Conditional(Box::new(Conditional::new(
                        self.comparison(),
                        self.expr(depth + 1, compact),
                        self.expr(depth + 1, compact),
                    )))
                }
                14 => {
                    let operator = self.rng.pick(&[
                        BinaryOperator::Plus,
                        BinaryOperator::Minus,
                        BinaryOperator::Mul,
                        BinaryOperator::Eq,
                        BinaryOperator::NotEq,
                        BinaryOperator::And,
                        BinaryOperator::Or,
                        BinaryOperator::Less,
                        BinaryOperator::GreaterEq,
                        BinaryOperator::Mod,
                    ]);
                    let lhs = self.expr(depth + 1, nested);
                    let rhs = self.expr(depth + 1, nested);
                    Expression::Operation(Box::new(Operation::Binary(BinaryOp::new(
                        lhs, operator, rhs,
                    ))))
                }
                15 => {
                    let (operator, operand) = if self.rng.chance(50) {
                        (UnaryOperator::Not, self.traversal())
                    } else {
                        (UnaryOperator::Neg, self.traversal())
                    };
                    Expression::Operation(Box::new(Operation::Unary(UnaryOp::new(
                        operator, operand,
                    ))))
                }
                _ => Expression::Parenthesis(Box::new(self.expr(depth + 1, nested))),
            }
        }

        fn number(&mut self) -> Expression {
            if self.rng.chance(60) {
                Expression::Number(Number::from(
                    self.rng.pick(&[0i64, 1, -1, 42, -17, 1_000_000]),
                ))
            } else {
                let value = self.rng.pick(&[1.5f64, -0.25, 2.75, 100.5, 1e-7, 2.5e21]);
                Expression::Number(Number::from_f64(value).expect("finite"))
            }
        }

        fn string(&mut self) -> Expression {
            Expression::String(self.rng.pick(STRINGS).to_owned())
        }

        fn traversal(&mut self) -> Expression {
            let root = |name: &str| Traversal::builder(Variable::unchecked(name));
            let traversal = match self.rng.below(9) {
                0 => root("var").attr("x").build(),
                1 => root("module").attr("a").attr("b").build(),
                2 => root("local").attr("list").index(0u64).build(),
                3 => root("aws_instance")
                    .attr("web")
                    .full_splat()
                    .attr("id")
                    .build(),
                4 => root("data")
                    .attr("aws_ami")
                    .attr("ubuntu")
                    .attr("id")
                    .build(),
                5 => root("var").attr("m").index("key").build(),
                6 => root("aws_instance")
                    .attr("web")
                    .attr_splat()
                    .attr("id")
                    .build(),
                7 => Traversal::new(
                    Variable::unchecked("var"),
                    [
                        TraversalOperator::GetAttr(Identifier::unchecked("list")),
                        TraversalOperator::LegacyIndex(0),
                        TraversalOperator::GetAttr(Identifier::unchecked("name")),
                    ],
                ),
                _ => root("each").attr("value").attr("name").build(),
            };
            Expression::Traversal(Box::new(traversal))
        }

        fn heredoc(&mut self) -> Expression {
            let lines: Vec<&str> = (0..1 + self.rng.below(4))
                .map(|_| self.rng.pick(HEREDOC_LINES))
                .collect();
            let mut template = lines.join("\n");
            if self.rng.chance(50) {
                template.push('\n');
            }
            let delimiter = self.rng.pick(&["EOT", "EOF", "HEREDOC"]);
            let mut heredoc = Heredoc::new(Identifier::unchecked(delimiter), template);
            if self.rng.chance(40) {
                heredoc = heredoc.with_strip_mode(HeredocStripMode::Indent);
            }
            Expression::TemplateExpr(Box::new(TemplateExpr::Heredoc(heredoc)))
        }

        fn array(&mut self, depth: usize, ctx: Ctx) -> Expression {
            let len = self.rng.below(4);
            let items = (0..len)
                .map(|i| {
                    // Only the last element's heredoc marker is followed by a line break.
                    let heredoc = !ctx.compact && i + 1 == len;
                    self.expr(
                        depth + 1,
                        Ctx {
                            compact: ctx.compact,
                            heredoc,
                        },
                    )
                })
                .collect();
            Expression::Array(items)
        }

        fn object(&mut self, depth: usize, ctx: Ctx) -> Expression {
            let mut keys = OBJECT_KEYS.to_vec();
            let mut object = Object::new();
            for _ in 0..self.rng.below(5) {
                let key = keys.swap_remove(self.rng.below(keys.len()));
                let key = if self.rng.chance(50) {
                    // hcl-rs quotes identifiers that are not valid object keys.
                    ObjectKey::Identifier(Identifier::unchecked(key))
                } else {
                    ObjectKey::Expression(Expression::String(key.to_owned()))
                };
                let value = self.expr(
                    depth + 1,
                    Ctx {
                        compact: ctx.compact,
                        heredoc: !ctx.compact,
                    },
                );
                object.insert(key, value);
            }
            Expression::Object(object)
        }

        fn func_call(&mut self, depth: usize) -> Expression {
            let compact = Ctx {
                compact: true,
                heredoc: false,
            };
            let name = match self.rng.below(8) {
                0 => FuncName::new("arn_parse").with_namespace(["provider", "aws"]),
                n => FuncName::new(
                    [
                        "jsonencode",
                        "merge",
                        "lookup",
                        "length",
                        "concat",
                        "tolist",
                        "format",
                    ][n - 1],
                ),
            };
            let mut call = FuncCall::builder(name);
            let args = self.rng.below(4);
            for _ in 0..args {
                call = call.arg(self.expr(depth + 1, compact));
            }
            let call = call.expand_final(args > 0 && self.rng.chance(10)).build();
            Expression::FuncCall(Box::new(call))
        }

        fn for_expr(&mut self, depth: usize, ctx: Ctx) -> Expression {
            let nested = Ctx {
                compact: ctx.compact,
                heredoc: false,
            };
            let collection = if self.rng.chance(60) {
                self.traversal()
            } else {
                self.expr(depth + 1, nested)
            };
            let value = self.expr(depth + 1, nested);
            let mut for_expr = ForExpr::new(Identifier::unchecked("v"), collection, value);
            if self.rng.chance(50) {
                for_expr = for_expr
                    .with_key_var(Identifier::unchecked("k"))
                    .with_key_expr(Variable::unchecked("k"))
                    .with_grouping(self.rng.chance(30));
            }
            if self.rng.chance(40) {
                for_expr = for_expr.with_cond_expr(self.comparison());
            }
            Expression::ForExpr(Box::new(for_expr))
        }

        fn comparison(&mut self) -> Expression {
            let lhs = self.traversal();
            let rhs = self.number();
            Expression::Operation(Box::new(Operation::Binary(BinaryOp::new(
                lhs,
                BinaryOperator::NotEq,
                rhs,
            ))))
        }
    }
}
