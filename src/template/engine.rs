//! The sandboxed template engine: minijinja with XML auto-escaping, fuel,
//! recursion and output limits, and errors located in the template.

use std::io::{self, Write};

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use crate::codes::{EpcPayment, epc_payload};

/// Limits every template render runs under.
#[derive(Debug, Clone, Copy)]
pub struct TemplateLimits {
    /// Instructions a render may execute (minijinja fuel).
    pub fuel: u64,
    /// Largest markup a render may produce, in bytes.
    pub max_output: usize,
    /// Deepest nesting of macro calls, includes and loops.
    pub max_recursion: usize,
}

impl Default for TemplateLimits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            max_output: 64 * 1024 * 1024,
            max_recursion: 100,
        }
    }
}

/// A template problem, located in the template source.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    /// 1-based line and column in the template, when known.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The data the failing expression read (`invoice.totl` →
    /// `["invoice", "totl"]`), when the error is about missing data.
    pub data_path: Option<Vec<String>>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Longest template tag (`{{ … }}`, `{% … %}`) accepted, in bytes.
pub const MAX_TAG_BYTES: usize = 4096;
/// Most `elif` branches a template may have.
pub const MAX_ELIF: usize = 1000;

/// Refuses template sources whose shape would make minijinja's parser and
/// compiler, which recurse once per nested expression (`- - - 1`,
/// `a|f|f|f…`, `1+1+1…`) or per `elif`, run out of stack: a process-wide
/// crash that no error can catch. Expressions that long are no real
/// template's; the limits leave room for any that is.
pub fn check_shape(source: &str) -> Result<(), TemplateError> {
    let mut elifs = 0;
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        let tag = &body[..end];
        let offset = source.len() - rest.len() + open;
        if tag.len() > MAX_TAG_BYTES {
            return Err(shape_error(
                source,
                offset,
                format!(
                    "a template tag is {} bytes long; at most {MAX_TAG_BYTES} are accepted",
                    tag.len()
                ),
            ));
        }
        if close == "%}" && tag.trim_start_matches('-').trim_start().starts_with("elif") {
            elifs += 1;
            if elifs > MAX_ELIF {
                return Err(shape_error(
                    source,
                    offset,
                    format!("more than {MAX_ELIF} elif branches"),
                ));
            }
        }
        if close == "%}" && !import_names_a_variable(tag) {
            return Err(shape_error(
                source,
                offset,
                "an import must name a variable: {% import \"NAME\" as VARIABLE %}".to_string(),
            ));
        }
        rest = &body[(end + close.len()).min(body.len())..];
    }
    Ok(())
}

/// Whether a `{% … %}` tag is no `import`, or one that ends `as NAME`
/// (optionally `with context` or `without context`). minijinja parses any
/// expression after `as` (`as 1`, `as m|f`, `as m is defined`, `as (a, b)`)
/// and its code generator then panics (`unreachable!`): found by fuzzing
/// (fuzz/fuzz_targets/template.rs).
fn import_names_a_variable(tag: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let s = tag.trim().trim_matches(['-', '+']).trim();
    let Some(after) = s.strip_prefix("import") else {
        return true;
    };
    if after.starts_with(is_ident) {
        return true;
    }
    // The last identifier of `s`, and what is before it.
    fn last_word(s: &str) -> (&str, &str) {
        let start = s
            .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_')
            .len();
        (&s[..start], &s[start..])
    }
    let mut s = s;
    let (before, word) = last_word(s);
    if word == "context" {
        let (before_marker, marker) = last_word(before.trim_end());
        if marker == "with" || marker == "without" {
            s = before_marker.trim_end();
        }
    }
    let (before, name) = last_word(s);
    let before_as = before.trim_end();
    if name.is_empty() || name.starts_with(|c: char| c.is_numeric()) || before_as == before {
        return false;
    }
    let (before_keyword, keyword) = last_word(before_as);
    // `… as m is as z` would be `m is as(z)`: a test, not a name.
    let (_, previous) = last_word(before_keyword.trim_end());
    keyword == "as" && !matches!(previous, "is" | "not")
}

fn shape_error(source: &str, offset: usize, message: String) -> TemplateError {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    TemplateError {
        line: u32::try_from(line).ok(),
        column: u32::try_from(column).ok(),
        data_path: None,
        message,
    }
}

/// Builds the environment every template renders in.
pub fn environment(limits: TemplateLimits) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(limits.fuel));
    env.set_recursion_limit(limits.max_recursion);
    // Printing a missing value is an error (a typo in a data path should not
    // silently print nothing); `{% if x %}` on a missing value is fine.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(xml_formatter);
    // Escaping is always on (the formatter escapes whatever is not safe);
    // naming it makes macros, `{% call %}` and `{% set %}` blocks return
    // markup that prints as is, as in Jinja2, and `|escape` escape for XML.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Custom("xml".into()));
    super::filters::register(&mut env);
    env.add_function("epc_payload", epc_function);
    env
}

/// Writes values XML-escaped (unless marked safe), with line breaks and tabs
/// as character references so they survive in attribute values.
fn xml_formatter(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> Result<(), Error> {
    if value.is_none() {
        return Ok(());
    }
    if value.is_safe() {
        return write!(out, "{value}")
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"));
    }
    let text = match value.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(value.to_string()),
    };
    let mut last = 0;
    let write = |out: &mut minijinja::Output, s: &str| {
        out.write_str(s)
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"))
    };
    for (i, ch) in text.char_indices() {
        let escaped = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\n' => "&#10;",
            '\r' => "&#13;",
            '\t' => "&#9;",
            _ => continue,
        };
        write(out, &text[last..i])?;
        write(out, escaped)?;
        last = i + ch.len_utf8();
    }
    write(out, &text[last..])
}

/// `epc_payload(name=…, iban=…, bic=…, amount=…, reference=…, text=…)`:
/// the EPC/SEPA credit-transfer QR payload ("GiroCode").
fn epc_function(kwargs: Kwargs) -> Result<String, Error> {
    let string = |key: &str| -> Result<Option<String>, Error> {
        let v: Option<Value> = kwargs.get(key)?;
        Ok(v.filter(|v| !v.is_none() && !v.is_undefined())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .filter(|s| !s.is_empty()))
    };
    let amount: Option<Value> = kwargs.get("amount")?;
    let amount = match amount {
        Some(v) if !v.is_none() && !v.is_undefined() => Some(
            f64::try_from(v.clone())
                .or_else(|_| v.as_str().unwrap_or("").trim().parse::<f64>())
                .map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("epc_payload: amount must be a number, got {v}"),
                    )
                })?,
        ),
        _ => None,
    };
    let payment = EpcPayment {
        name: string("name")?.unwrap_or_default(),
        iban: string("iban")?.unwrap_or_default(),
        bic: string("bic")?,
        // Rounded like `money` rounds it, so the QR code asks for the
        // amount the page shows (`1.005` → 1.01, not 1.00).
        amount: amount.map(|a| super::filters::round_decimal(a, 2).unwrap_or(a)),
        purpose: string("purpose")?,
        reference: string("reference")?,
        text: string("text")?,
        info: string("info")?,
    };
    kwargs.assert_all_used()?;
    epc_payload(&payment)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("epc_payload: {e}")))
}

/// Renders `name` (already added to `env`) with `data`, within the output limit.
pub fn render(
    env: &Environment<'_>,
    name: &str,
    data: &serde_json::Value,
    limits: TemplateLimits,
) -> Result<String, TemplateError> {
    let template = env.get_template(name).map_err(|e| locate(&e, None))?;
    let mut out = Limited {
        buf: Vec::with_capacity(16 * 1024),
        max: limits.max_output,
    };
    let ctx = Value::from(minijinja::value::Serde(data));
    match template.render_captured_to(ctx, &mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::WriteFailure => {
            return Err(TemplateError {
                line: None,
                column: None,
                data_path: None,
                message: format!(
                    "the template produced more than {} bytes of markup (the output limit)",
                    limits.max_output
                ),
            });
        }
        Err(e) => return Err(locate(&e, Some(template.source()))),
    }
    String::from_utf8(out.buf).map_err(|_| TemplateError {
        line: None,
        column: None,
        data_path: None,
        message: "the template produced invalid UTF-8".into(),
    })
}

/// Compiles a template source, reporting syntax errors with their position.
pub fn check_syntax(env: &Environment<'_>, name: &str, source: &str) -> Result<(), TemplateError> {
    check_shape(source)?;
    env.template_from_named_str(name, source)
        .map(|_| ())
        .map_err(|e| locate(&e, Some(source)))
}

/// Compiles `source` into `env` as template `name`, once, with the checks
/// of [`check_syntax`] and its errors.
pub fn add_checked(
    env: &mut Environment<'static>,
    name: &str,
    source: &str,
) -> Result<(), TemplateError> {
    check_shape(source)?;
    env.add_template_owned(name.to_owned(), source.to_owned())
        .map_err(|e| locate(&e, Some(source)))
}

/// Turns a minijinja error into a located template error.
pub fn locate(err: &Error, source: Option<&str>) -> TemplateError {
    let mut column = None;
    let mut line = err.line().map(|l| l as u32);
    let mut data_path = None;
    let mut missing: Option<Vec<String>> = None;
    if let (Some(range), Some(source)) = (err.range(), source)
        && let Some(before) = source.get(..range.start)
    {
        line = Some(before.matches('\n').count() as u32 + 1);
        column = Some(before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1);
        if err.kind() == ErrorKind::UndefinedError
            && let Some(snippet) = source.get(range)
        {
            // A filter handed a missing value is blamed by its own span
            // (`x | upper` points at `upper`): name what was piped into it.
            missing = match before.trim_end().strip_suffix('|') {
                Some(piped) => parse_path(last_path(piped)),
                None => parse_path(snippet.trim()),
            };
            // `item.price` inside `{% for item in items %}` is no path in
            // the data: the template names the value, so only the template
            // can be pointed at.
            data_path = missing.clone().filter(|path| !binds(source, &path[0]));
        }
    }
    let message = match err.kind() {
        ErrorKind::OutOfFuel => {
            "the template ran too long (fuel limit): check for runaway loops".to_string()
        }
        ErrorKind::UndefinedError => match (&missing, &data_path) {
            (Some(path), Some(_)) => format!("no value for `{}` in the data", path.join(".")),
            (Some(path), None) => format!(
                "no value for `{}`: `{}` is set by the template, from data that lacks it",
                path.join("."),
                path[0]
            ),
            (None, _) => "a value the template prints is missing from the data".to_string(),
        },
        _ => err.detail().map_or_else(
            || err.kind().to_string(),
            |d| format!("{}: {d}", err.kind()),
        ),
    };
    TemplateError {
        line,
        column,
        data_path,
        message,
    }
}

/// Whether a `{% … %}` tag of `source` names `name` as a variable of its
/// own: a loop variable, `set`, `with`, a macro argument or an import.
fn binds(source: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let names =
        |text: &str| -> bool { text.split(|c: char| !is_ident(c)).any(|word| word == name) };
    source.split("{%").skip(1).any(|tag| {
        let tag = tag.split("%}").next().unwrap_or("");
        let tag = tag.trim_start_matches(['-', '+']).trim_start();
        let (keyword, rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        match keyword {
            // `for a, (b, c) in …`
            "for" => rest.split_once(" in ").is_some_and(|(vars, _)| names(vars)),
            // `set x = …`, `set x %}…{% endset`, `set (a, b) = …`
            "set" => names(rest.split_once('=').map_or(rest, |(vars, _)| vars)),
            // `with a = 1, b = 2`: every name before an `=`
            "with" => rest.split(',').any(|part| {
                part.split_once('=')
                    .is_some_and(|(var, _)| var.trim() == name)
            }),
            // `macro m(a, b=1)`, `call(a) m()`
            "macro" | "call" => rest
                .split_once('(')
                .and_then(|(_, args)| args.split_once(')'))
                .is_some_and(|(args, _)| {
                    args.split(',')
                        .any(|arg| arg.split('=').next().is_some_and(|a| a.trim() == name))
                }),
            // `import "x" as m`, `from "x" import a as b, c`
            "import" | "from" => rest
                .split_once("import")
                .map_or(rest, |(_, names)| names)
                .split(',')
                .any(|part| part.split_whitespace().last() == Some(name)),
            _ => false,
        }
    })
}

/// The data path that ends `text` (`{{ a.b[0] ` → `a.b[0]`).
fn last_path(text: &str) -> &str {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || "_.[]".contains(c)))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// `a.b[0].c` → `["a", "b", "0", "c"]`; anything else (calls, filters) → None.
fn parse_path(expr: &str) -> Option<Vec<String>> {
    let expr = expr.split('|').next()?.trim();
    let mut parts = Vec::new();
    for piece in expr.split('.') {
        let (name, rest) = piece.split_once('[').unwrap_or((piece, ""));
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        parts.push(name.to_string());
        for index in rest.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                if !index.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                parts.push(index.to_string());
            }
        }
    }
    Some(parts)
}

/// A writer that refuses to grow past `max` bytes.
struct Limited {
    buf: Vec<u8>,
    max: usize,
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.max {
            return Err(io::Error::other("template output limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(source: &str) -> TemplateError {
        let mut env = environment(TemplateLimits::default());
        env.add_template_owned("t", source.to_owned())
            .expect("compiles");
        let data = serde_json::json!({"invoice": {"total": 1}});
        render(&env, "t", &data, TemplateLimits::default()).expect_err("a value is missing")
    }

    #[test]
    fn missing_values_are_named_by_their_data_path() {
        for (source, path) in [
            ("{{ invoice.totl }}", "invoice.totl"),
            ("{{ invoice.totl | upper }}", "invoice.totl"),
            ("{{ invoice.note|trim|upper }}", "invoice.note"),
            ("<p>\n{{ (customer) | upper }}</p>", ""),
        ] {
            let err = missing(source);
            let got = err.data_path.map(|p| p.join(".")).unwrap_or_default();
            assert_eq!(got, path, "{source}: {}", err.message);
        }
    }

    /// A missing value reached through a name the template sets points at
    /// the template, not at a path the data never had.
    #[test]
    fn names_the_template_sets_are_not_data_paths() {
        let env = environment(TemplateLimits::default());
        let data = serde_json::json!({"items": [{"name": "a"}], "title": "t"});
        let ctx = minijinja::Value::from(minijinja::value::Serde(&data));
        for (source, path, bound) in [
            (
                "{% for item in items %}{{ item.price }}{% endfor %}",
                "item.price",
                true,
            ),
            (
                "{% for key, item in {\"a\": items[0]}|items %}{{ item.price }}{% endfor %}",
                "item.price",
                true,
            ),
            (
                "{%- set first = items[0] %}{{ first.price }}",
                "first.price",
                true,
            ),
            (
                "{% with row = items[0] %}{{ row.price }}{% endwith %}",
                "row.price",
                true,
            ),
            (
                "{% macro line(entry) %}{{ entry.price }}{% endmacro %}{{ line(items[0]) }}",
                "entry.price",
                true,
            ),
            ("{{ items[0].price }}", "items.0.price", false),
            ("{{ invoice.number }}", "invoice.number", false),
            (
                "{% for item in items %}{{ total.net }}{% endfor %}",
                "total.net",
                false,
            ),
        ] {
            let template = env.template_from_str(source).expect(source);
            let err = template.render(&ctx).expect_err(source);
            let located = locate(&err, Some(source));
            assert!(
                located.message.contains(path),
                "{source}: {}",
                located.message
            );
            assert_eq!(located.data_path.is_none(), bound, "{source}: {located:?}");
        }
    }

    /// What a macro, a call block or a set block writes is markup: printed
    /// as is, while the values printed inside it are escaped once.
    #[test]
    fn macros_and_blocks_write_markup() {
        let env = environment(TemplateLimits::default());
        let data = serde_json::json!({"name": "a & <b>"});
        let ctx = minijinja::Value::from(minijinja::value::Serde(&data));
        for (source, want) in [
            (
                "{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}{{ cell(name) }}",
                "<td>a &amp; &lt;b&gt;</td>",
            ),
            (
                "{% macro row() %}<tr>{{ caller() }}</tr>{% endmacro %}{% call row() %}<td>{{ name }}</td>{% endcall %}",
                "<tr><td>a &amp; &lt;b&gt;</td></tr>",
            ),
            (
                "{% set x %}<p>{{ name }}</p>{% endset %}{{ x }}",
                "<p>a &amp; &lt;b&gt;</p>",
            ),
            ("{{ name | escape }}", "a &amp; &lt;b&gt;"),
            ("{{ name | safe }}", "a & <b>"),
            (
                "{% autoescape false %}{{ name }}{% endautoescape %}",
                "a &amp; &lt;b&gt;",
            ),
        ] {
            let template = env.template_from_str(source).expect(source);
            assert_eq!(template.render(&ctx).expect(source), want, "{source}");
        }
    }

    /// The QR code's amount is the amount `money` prints.
    #[test]
    fn epc_amount_is_rounded_like_money() {
        let env = environment(TemplateLimits::default());
        for (amount, want) in [
            ("1.005", "EUR1.01"),
            ("2.675", "EUR2.68"),
            ("5162.655", "EUR5162.66"),
        ] {
            let source = format!(
                "{{{{ epc_payload(name='A', iban='DE89370400440532013000', amount={amount}) }}}}|{{{{ {amount} | money('EUR', 'en') }}}}"
            );
            let out = env.render_str(&source, ()).expect(&source);
            let (payload, shown) = out.split_once('|').expect("two parts");
            assert!(
                payload.split("&#10;").any(|l| l == want),
                "{amount}: {payload:?}"
            );
            assert!(
                shown.replace(',', "").ends_with(&want[3..]),
                "{amount}: {shown}"
            );
        }
    }

    #[test]
    fn imports_must_name_a_variable() {
        for ok in [
            r#"{% import "invoice" as inv %}"#,
            r#"{%- import 'x' as m with context -%}"#,
            r#"{% import "x" as m without context %}"#,
            r#"{%import"x"as m%}"#,
            r#"{% import "a" ~ name as context %}"#,
            r#"{% importance %}"#,
            r#"{% from "x" import a as b %}"#,
        ] {
            assert_eq!(check_shape(ok), Ok(()), "{ok}");
        }
        // Each of these made minijinja's code generator panic.
        for bad in [
            r#"{%import""as m|d%}"#,
            r#"{% import "x" as 1 %}"#,
            r#"{% import "x" as (a, b) %}"#,
            r#"{% import "x" as f() %}"#,
            r#"{% import "x" as m[0] %}"#,
            r#"{% import "x" as m is defined %}"#,
            r#"{% import "x" as m is as z %}"#,
            r#"{% import "x" as m is not as z with context %}"#,
        ] {
            let env = environment(TemplateLimits::default());
            let err = check_syntax(&env, "t", bad).expect_err(bad);
            assert!(err.message.contains("import"), "{bad}: {err}");
        }
    }
}
