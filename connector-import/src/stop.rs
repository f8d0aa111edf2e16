//! A paginator's Python `stop_condition` (a string of Python, as the seeds write it, a
//! lambda, or a function of this file returning one expression) to the spec's declarative
//! rule: `{ path_missing: PATH }` or `{ path_equals: { path: PATH, value: VALUE } }`.
//!
//! What translates, with `response` the lambda's parameter (or `response` / `r` / `resp` in a
//! string), read either as the body (`response.get(...)`) or as the HTTP response
//! (`response.json()[...]`):
//! - `not ACCESS`, `not len(ACCESS)` -> path_missing;
//! - `ACCESS is None`, `ACCESS == None`, `len(ACCESS) == 0` -> path_missing (which also stops
//!   on false and empty values: said in a note);
//! - `ACCESS == VALUE`, `ACCESS is True/False` -> path_equals;
//! - `ACCESS` alone -> path_equals true (a guess: it stops on any true value in Python);
//!
//! where ACCESS is a chain of `.get('key')` / `.get('key', EMPTY)` / `['key']` / `[0]`.

use ruff_python_ast::{CmpOp, Expr, UnaryOp};
use ruff_python_parser::parse_expression;
use ruff_text_size::Ranged;

use crate::python::Bound;
use crate::translate::{is_equality, Translated, Translator, Untranslatable};
use crate::value::{Item, Value};
use crate::NoteKind;

/// Names a string stop condition may call the response.
const RESPONSE_NAMES: &[&str] = &["response", "resp", "r", "res"];

pub(crate) fn stop_condition<'a>(t: &mut Translator<'_, 'a>, value: &'a Expr) -> Translated {
    let line = t.src.line(value);
    let (rule, text) = match value {
        Expr::StringLiteral(s) => {
            let code = s.value.to_str();
            let parsed = parse_expression(code).map_err(|e| Untranslatable {
                line,
                reason: format!(
                    "the stop_condition `{code}` is not a Python expression: {}",
                    e.error
                ),
            })?;
            let rule = translate(parsed.expr(), RESPONSE_NAMES);
            (rule, code.to_owned())
        }
        Expr::Lambda(lambda) => {
            let param = lambda
                .parameters
                .as_ref()
                .and_then(|p| p.args.first())
                .map(|p| p.name().as_str().to_owned());
            let Some(param) = param else {
                return Err(t.fail(value, "a stop_condition lambda without a parameter"));
            };
            (
                translate(&lambda.body, &[param.as_str()]),
                t.src.text(value),
            )
        }
        Expr::Name(n) => match t.names.lookup(n.id.as_str(), n.start()).map(|b| b.bound) {
            Some(Bound::Function(def)) => {
                let param = def
                    .parameters
                    .args
                    .first()
                    .map(|p| p.name().as_str().to_owned());
                let returned = match def.body.as_slice() {
                    [ruff_python_ast::Stmt::Return(r)] => r.value.as_deref(),
                    _ => None,
                };
                match (param, returned) {
                    (Some(param), Some(body)) => (translate(body, &[param.as_str()]), t.src.text(body)),
                    _ => {
                        return Err(t.fail(value, format!(
                            "the stop_condition function `{}` is more than one `return` of an expression",
                            n.id
                        )))
                    }
                }
            }
            Some(Bound::Value(v)) => return stop_condition(t, v),
            _ => {
                return Err(t.fail(
                    value,
                    format!(
                        "the stop_condition `{}` is not a function of this file",
                        n.id
                    ),
                ))
            }
        },
        _ => {
            return Err(t.fail(
                value,
                format!(
                    "the stop_condition `{}` is not a string or a lambda",
                    t.src.text(value)
                ),
            ))
        }
    };
    match rule {
        Ok(rule) => {
            let shown = rule.shown();
            let mut message = format!("stop_condition `{text}` → {shown}");
            if let Some(note) = &rule.note {
                message.push_str(&format!(" ({note})"));
            }
            let kind = if rule.guessed {
                NoteKind::Guessed
            } else {
                NoteKind::Translated
            };
            t.note(kind, line, message);
            Ok(rule
                .item(line)
                .with_comment(format!("stop_condition was `{text}`")))
        }
        Err(reason) => Err(Untranslatable {
            line,
            reason: format!("the stop_condition `{text}` {reason}"),
        }),
    }
}

/// A declarative rule, and what to say about it.
pub(crate) struct Rule {
    pub path: String,
    /// `None`: path_missing; else path_equals this value.
    pub equals: Option<Value>,
    pub note: Option<String>,
    pub guessed: bool,
}

impl Rule {
    fn missing(path: String, note: Option<&str>) -> Rule {
        Rule {
            path,
            equals: None,
            note: note.map(str::to_owned),
            guessed: false,
        }
    }

    fn shown(&self) -> String {
        match &self.equals {
            None => format!("{{ path_missing: {} }}", self.path),
            Some(v) => format!(
                "{{ path_equals: {{ path: {}, value: {} }} }}",
                self.path,
                v.to_json()
            ),
        }
    }

    fn item(&self, line: usize) -> Item {
        let at = |v: Value| Item::new(v, line);
        let inner = match &self.equals {
            None => ("path_missing".to_owned(), at(Value::Str(self.path.clone()))),
            Some(v) => (
                "path_equals".to_owned(),
                at(Value::Map(vec![
                    ("path".to_owned(), at(Value::Str(self.path.clone()))),
                    ("value".to_owned(), at(v.clone())),
                ])),
            ),
        };
        at(Value::Map(vec![inner]))
    }
}

const ALSO_EMPTY: &str = "path_missing also stops on false and empty values";

/// The rule an expression means, or why it has none (the text continues "the stop_condition
/// `...` ").
pub(crate) fn translate(e: &Expr, response: &[&str]) -> Result<Rule, String> {
    match e {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            if let Some(inner) = len_of(&u.operand) {
                return Ok(Rule::missing(access(inner, response, None)?, None));
            }
            Ok(Rule::missing(access(&u.operand, response, None)?, None))
        }
        Expr::Compare(c) if c.ops.len() == 1 => {
            let op = c.ops[0];
            let (left, right) = (&*c.left, &c.comparators[0]);
            if let Some(inner) = len_of(left) {
                let empty = matches!(
                    (op, literal(right)),
                    (CmpOp::Eq, Some(Value::Int(0))) | (CmpOp::Lt, Some(Value::Int(1))) | (CmpOp::LtE, Some(Value::Int(0)))
                );
                if empty {
                    return Ok(Rule::missing(access(inner, response, None)?, Some(ALSO_EMPTY)));
                }
                return Err("compares a length with something other than zero, which no rule can".to_owned());
            }
            // The response access on either side.
            let (chain, other) = match (literal(left), literal(right)) {
                (None, Some(v)) => (left, v),
                (Some(v), None) => (right, v),
                _ => return Err("compares two things neither of which is a literal value".to_owned()),
            };
            match op {
                op if is_equality(op) => {
                    if other == Value::Null {
                        return Ok(Rule::missing(access(chain, response, None)?, Some(ALSO_EMPTY)));
                    }
                    let path = access(chain, response, Some(&other))?;
                    Ok(Rule { path, equals: Some(other), note: None, guessed: false })
                }
                CmpOp::NotEq | CmpOp::IsNot => Err(format!(
                    "stops while a value differs from `{}`; the spec's rules stop on a value being missing or equal",
                    other.to_json()
                )),
                _ => Err("orders values (`<`, `>`, `in`); the spec's rules stop on a value being missing or equal".to_owned()),
            }
        }
        Expr::Compare(_) => Err("chains comparisons; the spec's stop_condition is one rule".to_owned()),
        Expr::BoolOp(_) => Err("combines conditions with `and`/`or`; the spec's stop_condition is one rule".to_owned()),
        other => match access(other, response, Some(&Value::Bool(true))) {
            Ok(path) => Ok(Rule {
                path,
                equals: Some(Value::Bool(true)),
                note: Some("guessed: Python stops on any true value; this stops on `true` only".to_owned()),
                guessed: true,
            }),
            Err(_) => Err("is not one of the forms the importer reads (`not response.get(...)`, `response.json()[...] is False`, comparisons of a response field)".to_owned()),
        },
    }
}

/// `X` of `len(X)`.
fn len_of(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Call(c)
            if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "len")
                && c.arguments.args.len() == 1
                && c.arguments.keywords.is_empty() =>
        {
            Some(&c.arguments.args[0])
        }
        _ => None,
    }
}

/// A literal's value (the only values a stop rule compares with).
fn literal(e: &Expr) -> Option<Value> {
    Some(match e {
        Expr::NoneLiteral(_) => Value::Null,
        Expr::BooleanLiteral(b) => Value::Bool(b.value),
        Expr::StringLiteral(s) => Value::Str(s.value.to_str().to_owned()),
        Expr::NumberLiteral(n) => match &n.value {
            ruff_python_ast::Number::Int(i) => Value::Int(i.as_i64()?),
            ruff_python_ast::Number::Float(f) => Value::Float(*f),
            _ => return None,
        },
        Expr::Dict(d) if d.items.is_empty() => Value::Map(vec![]),
        Expr::List(l) if l.elts.is_empty() => Value::List(vec![]),
        Expr::Tuple(t) if t.elts.is_empty() => Value::List(vec![]),
        Expr::UnaryOp(u) if u.op == UnaryOp::USub => match literal(&u.operand)? {
            Value::Int(i) => Value::Int(-i),
            Value::Float(f) => Value::Float(-f),
            _ => return None,
        },
        _ => return None,
    })
}

/// The dot path of a response access. `compared`: the value the access is compared with
/// (`None`: it is tested for being missing), which a `.get` default must not stand for.
fn access(e: &Expr, response: &[&str], compared: Option<&Value>) -> Result<String, String> {
    let mut segments: Vec<String> = Vec::new();
    let mut at = e;
    loop {
        match at {
            Expr::Name(n) if response.contains(&n.id.as_str()) => break,
            Expr::Name(n) => {
                return Err(format!(
                    "reads `{}`, not the response (`{}`)",
                    n.id, response[0]
                ));
            }
            Expr::Call(c) => {
                let Expr::Attribute(attr) = &*c.func else {
                    return Err("calls a function on the response".to_owned());
                };
                match (attr.attr.as_str(), &*c.arguments.args) {
                    ("json", []) => {}
                    ("get", [key]) | ("get", [key, _]) => {
                        if let [_, default] = &*c.arguments.args {
                            let Some(default) = literal(default) else {
                                return Err(
                                    "gives `.get` a default that is not a literal".to_owned()
                                );
                            };
                            let changes = match compared {
                                None => !default.is_empty_like(),
                                Some(v) => default == *v,
                            };
                            if changes {
                                return Err(format!(
                                    "gives `.get` the default `{}`, so a missing key means something no rule says",
                                    default.to_json()
                                ));
                            }
                        }
                        segments.push(segment(key)?);
                    }
                    (other, _) => return Err(format!("calls `.{other}(...)` on the response")),
                }
                at = &attr.value;
            }
            Expr::Subscript(s) => {
                segments.push(segment(&s.slice)?);
                at = &s.value;
            }
            _ => return Err("reads the response in a way the importer does not follow".to_owned()),
        }
    }
    if segments.is_empty() {
        return Err("tests the whole response, not a field of it".to_owned());
    }
    segments.reverse();
    let mut path = String::new();
    for s in segments {
        if s.starts_with('[') || path.is_empty() {
            path.push_str(&s);
        } else {
            path.push('.');
            path.push_str(&s);
        }
    }
    Ok(path)
}

/// One selector segment: `name`, `['odd.key']` or `[N]`.
fn segment(key: &Expr) -> Result<String, String> {
    match literal(key) {
        Some(Value::Str(k)) => {
            let plain = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            Ok(if plain { k } else { format!("['{k}']") })
        }
        Some(Value::Int(i)) if i >= 0 => Ok(format!("[{i}]")),
        _ => Err("looks up a key that is not a string or an index".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: &str) -> Result<String, String> {
        let parsed = parse_expression(code).expect("python");
        translate(parsed.expr(), RESPONSE_NAMES).map(|r| r.shown())
    }

    #[test]
    fn the_common_forms_translate() {
        for (code, shown) in [
            (
                "not response.get('links', {}).get('next', {})",
                "{ path_missing: links.next }",
            ),
            (
                "not response.get('links', {}).get('next')",
                "{ path_missing: links.next }",
            ),
            (
                "not response.json()['meta']['next_cursor']",
                "{ path_missing: meta.next_cursor }",
            ),
            (
                "response.json()['has_more'] is False",
                "{ path_equals: { path: has_more, value: false } }",
            ),
            (
                "response['page']['last'] == True",
                "{ path_equals: { path: page.last, value: true } }",
            ),
            (
                "response.get('status') == 'done'",
                "{ path_equals: { path: status, value: \"done\" } }",
            ),
            ("response.get('next') is None", "{ path_missing: next }"),
            ("len(response['data']) == 0", "{ path_missing: data }"),
            ("not response['items'][0]", "{ path_missing: items[0] }"),
            (
                "0 == response.get('remaining')",
                "{ path_equals: { path: remaining, value: 0 } }",
            ),
        ] {
            assert_eq!(rule(code).as_deref(), Ok(shown), "{code}");
        }
    }

    #[test]
    fn what_no_rule_says_is_refused_with_the_reason() {
        for (code, reason) in [
            (
                "response.get('next') is not None",
                "stops while a value differs",
            ),
            (
                "not response.get('a') and not response.get('b')",
                "`and`/`or`",
            ),
            ("not response.get('more', True)", "default `true`"),
            ("response['count'] < 10", "orders values"),
            ("not page.get('next')", "reads `page`"),
        ] {
            let err = rule(code).expect_err(code);
            assert!(err.contains(reason), "{code}: {err}");
        }
    }
}
