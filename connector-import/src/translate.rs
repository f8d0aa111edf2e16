//! Python expressions to spec values: literals, names assigned earlier, f-strings and `+`
//! of constants folded, dlt's secrets and environment lookups to `{ secret: NAME }`, dlt's
//! paginator, auth and incremental classes to their dict forms. Anything else is
//! [`Untranslatable`], with the reason; the caller leaves that key out and says so.

use connector_spec::naming::{sanitize, Case};
use ruff_python_ast::{
    CmpOp, Expr, ExprCall, InterpolatedStringElement, Number, Operator, UnaryOp,
};
use ruff_text_size::Ranged;

use crate::python::{dotted, Bound, Names, Source};
use crate::value::{Item, Value};
use crate::{Note, NoteKind};

/// Why an expression has no spec form.
#[derive(Debug)]
pub(crate) struct Untranslatable {
    pub line: usize,
    pub reason: String,
}

pub(crate) type Translated = Result<Item, Untranslatable>;

/// Keys whose values are Python callables in dlt and have no spec form.
const PYTHON_ONLY_KEYS: &[(&str, &str)] = &[(
    "processing_steps",
    "filters and maps are Python functions, which a spec cannot hold",
)];

/// How deep values may nest, counting names that refer to names, before the importer gives
/// up (a name bound to itself, or nesting no spec needs; the spec loader stops at 64).
const MAX_DEPTH: usize = 60;

pub(crate) struct Translator<'s, 'a> {
    pub src: &'s Source,
    pub names: &'s Names<'a>,
    pub notes: Vec<Note>,
    depth: usize,
}

impl<'s, 'a> Translator<'s, 'a> {
    pub fn new(src: &'s Source, names: &'s Names<'a>) -> Self {
        Translator {
            src,
            names,
            notes: Vec::new(),
            depth: 0,
        }
    }

    pub fn note(&mut self, kind: NoteKind, line: usize, message: impl Into<String>) {
        self.notes.push(Note {
            kind,
            line,
            message: message.into(),
        });
    }

    pub fn fail(&self, node: &impl Ranged, reason: impl Into<String>) -> Untranslatable {
        Untranslatable {
            line: self.src.line(node),
            reason: reason.into(),
        }
    }

    /// An expression at `path` (a dotted key path, for messages).
    pub fn expr(&mut self, e: &'a Expr, path: &str) -> Translated {
        if self.depth > MAX_DEPTH {
            return Err(self.fail(e, format!("the value nests deeper than {MAX_DEPTH} levels, or a name refers back to itself; a spec never needs that")));
        }
        self.depth += 1;
        let result = self.expr_inner(e, path);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, e: &'a Expr, path: &str) -> Translated {
        let line = self.src.line(e);
        let item = |v: Value| Ok(Item::new(v, line));
        match e {
            Expr::NoneLiteral(_) => item(Value::Null),
            Expr::BooleanLiteral(b) => item(Value::Bool(b.value)),
            Expr::StringLiteral(s) => item(Value::Str(s.value.to_str().to_owned())),
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => match i.as_i64() {
                    Some(i) => item(Value::Int(i)),
                    None => Err(self.fail(e, "an integer too large for a spec")),
                },
                Number::Float(f) => item(Value::Float(*f)),
                Number::Complex { .. } => Err(self.fail(e, "a complex number")),
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => {
                let inner = self.expr(&u.operand, path)?;
                match inner.value {
                    Value::Int(i) => item(Value::Int(-i)),
                    Value::Float(f) => item(Value::Float(-f)),
                    _ => Err(self.fail(e, format!("`{}` negates a value that is not a number", self.src.text(e)))),
                }
            }
            Expr::Dict(d) => self.dict(d, path),
            Expr::List(l) => self.list(&l.elts, path, line),
            Expr::Tuple(t) => self.list(&t.elts, path, line),
            Expr::Set(s) => self.list(&s.elts, path, line),
            Expr::FString(f) => self.fstring(f, path),
            Expr::BinOp(b) if b.op == Operator::Add => {
                let left = self.expr(&b.left, path)?;
                let right = self.expr(&b.right, path)?;
                match (left.value, right.value) {
                    (Value::Str(a), Value::Str(b)) => item(Value::Str(a + &b)),
                    (Value::Int(a), Value::Int(b)) => match a.checked_add(b) {
                        Some(sum) => item(Value::Int(sum)),
                        None => Err(self.fail(e, "an integer too large for a spec")),
                    },
                    _ => Err(self.fail(e, format!("`{}` adds values that are not two strings or two integers", self.src.text(e)))),
                }
            }
            Expr::Name(n) => self.name(n.id.as_str(), e, path),
            Expr::Subscript(s) => {
                if let Some(kind) = lookup_kind(&s.value) {
                    let key = self.constant_string(&s.slice, path)?;
                    return Ok(self.secret(&key, kind, e));
                }
                let base = self.expr(&s.value, path)?;
                let key = self.expr(&s.slice, path)?;
                let found = match (&base.value, &key.value) {
                    (Value::Map(entries), Value::Str(k)) => {
                        entries.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone())
                    }
                    (Value::List(items), Value::Int(i)) => {
                        usize::try_from(*i).ok().and_then(|i| items.get(i).cloned())
                    }
                    _ => None,
                };
                found.ok_or_else(|| self.fail(e, format!("`{}` looks up a key or index that the value does not have", self.src.text(e))))
            }
            Expr::Call(c) => self.call(c, e, path),
            Expr::Attribute(_) => {
                let text = dotted(e).unwrap_or_else(|| self.src.text(e));
                let reason = match text.as_str() {
                    "dlt.secrets.value" => "`dlt.secrets.value` stands for a secret only as a function parameter's default".to_owned(),
                    "dlt.config.value" => "`dlt.config.value` is read from dlt's config.toml when the source runs; write the value in the spec".to_owned(),
                    _ => format!("`{text}` is an attribute of a Python object, known only when the code runs"),
                };
                Err(self.fail(e, reason))
            }
            Expr::Lambda(_) => Err(self.fail(e, format!("a lambda (`{}`) is Python code, which a spec cannot hold", self.src.text(e)))),
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => Err(self.fail(
                e,
                format!("a comprehension (`{}`) is computed when the code runs; write its values out", self.src.text(e)),
            )),
            Expr::If(_) => Err(self.fail(e, format!("a conditional expression (`{}`) is decided when the code runs", self.src.text(e)))),
            _ => Err(self.fail(e, format!("`{}` is a Python expression with no spec form", self.src.text(e)))),
        }
    }

    fn dict(&mut self, d: &'a ruff_python_ast::ExprDict, path: &str) -> Translated {
        let line = self.src.line(d);
        let mut entries: Vec<(String, Item)> = Vec::new();
        let put = |entries: &mut Vec<(String, Item)>, key: String, value: Item| match entries
            .iter_mut()
            .find(|(k, _)| *k == key)
        {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        };
        for item in &d.items {
            let Some(key_expr) = &item.key else {
                // `**other`: its entries, later keys winning as in Python.
                match self.expr(&item.value, path) {
                    Ok(Item {
                        value: Value::Map(more),
                        ..
                    }) => {
                        for (k, v) in more {
                            put(&mut entries, k, v);
                        }
                    }
                    Ok(_) => self.left_out(
                        path,
                        &Untranslatable {
                            line: self.src.line(&item.value),
                            reason: format!(
                                "`**{}` unpacks something that is not a dict",
                                self.src.text(&item.value)
                            ),
                        },
                    ),
                    Err(u) => self.left_out(path, &u),
                }
                continue;
            };
            let key = match self.expr(key_expr, path) {
                Ok(Item {
                    value: Value::Str(k),
                    ..
                }) => k,
                Ok(_) => {
                    let u = self.fail(
                        key_expr,
                        format!("the key `{}` is not a string", self.src.text(key_expr)),
                    );
                    self.left_out(path, &u);
                    continue;
                }
                Err(u) => {
                    self.left_out(path, &u);
                    continue;
                }
            };
            let key_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if let Some((_, why)) = PYTHON_ONLY_KEYS.iter().find(|(k, _)| *k == key) {
                let u = self.fail(key_expr, *why);
                self.left_out(&key_path, &u);
                continue;
            }
            let value = if key == "stop_condition" {
                crate::stop::stop_condition(self, &item.value)
            } else {
                self.expr(&item.value, &key_path)
            };
            match value {
                Ok(value) => put(&mut entries, key, value),
                Err(u) => self.left_out(&key_path, &u),
            }
        }
        Ok(Item::new(Value::Map(entries), line))
    }

    fn list(&mut self, elts: &'a [Expr], path: &str, line: usize) -> Translated {
        let mut items = Vec::new();
        for e in elts {
            let at = format!("{path}[{}]", items.len());
            if let Expr::Starred(s) = e {
                match self.expr(&s.value, &at) {
                    Ok(Item {
                        value: Value::List(more),
                        ..
                    }) => items.extend(more),
                    Ok(_) => {
                        let u = self.fail(
                            e,
                            format!(
                                "`{}` unpacks something that is not a list",
                                self.src.text(e)
                            ),
                        );
                        self.left_out(&at, &u);
                    }
                    Err(u) => self.left_out(&at, &u),
                }
                continue;
            }
            match self.expr(e, &at) {
                Ok(item) => items.push(item),
                Err(u) => self.left_out(&at, &u),
            }
        }
        Ok(Item::new(Value::List(items), line))
    }

    /// A key or element that has no spec form: a warning, and the rest goes on.
    pub fn left_out(&mut self, path: &str, u: &Untranslatable) {
        let place = match path.chars().count() {
            0 => String::new(),
            n if n > 80 => {
                let head: String = path.chars().take(60).collect();
                format!("`{head}...`: ")
            }
            _ => format!("`{path}`: "),
        };
        self.note(
            NoteKind::Warning,
            u.line,
            format!("{place}{}; left out", u.reason),
        );
    }

    fn fstring(&mut self, f: &'a ruff_python_ast::ExprFString, path: &str) -> Translated {
        let mut text = String::new();
        for part in f.value.iter() {
            match part {
                ruff_python_ast::FStringPart::Literal(s) => text.push_str(s),
                ruff_python_ast::FStringPart::FString(fs) => {
                    for element in fs.elements.iter() {
                        match element {
                            InterpolatedStringElement::Literal(l) => text.push_str(&l.value),
                            InterpolatedStringElement::Interpolation(i) => {
                                if i.format_spec.is_some()
                                    || i.debug_text.is_some()
                                    || i.conversion != ruff_python_ast::ConversionFlag::None
                                {
                                    return Err(self
                                        .fail(i, "an f-string field with a format or conversion"));
                                }
                                let noted = self.notes.len();
                                let value = self.expr(&i.expression, path)?;
                                match value.value {
                                    Value::Str(s) => text.push_str(&s),
                                    Value::Int(n) => text.push_str(&n.to_string()),
                                    Value::Float(n) => text.push_str(&n.to_string()),
                                    Value::Map(m) if m.len() == 1 && m[0].0 == "secret" => {
                                        // Not translated after all: no note that says it was.
                                        self.notes.truncate(noted);
                                        return Err(self.fail(i, format!(
                                            "the f-string `{}` puts a secret inside a longer text; a spec takes a secret only as a whole value (a bearer token is `auth: {{ type: bearer, token: {{ secret: NAME }} }}`)",
                                            self.src.text(f)
                                        )));
                                    }
                                    _ => {
                                        return Err(self.fail(
                                            i,
                                            format!(
                                            "`{{{}}}` in an f-string is not a string or a number",
                                            self.src.text(&*i.expression)
                                        ),
                                        ))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let line = self.src.line(f);
        self.note(
            NoteKind::Translated,
            line,
            format!("f-string `{}` folded to \"{text}\"", self.src.text(f)),
        );
        Ok(Item::new(Value::Str(text), line))
    }

    fn name(&mut self, name: &str, e: &'a Expr, path: &str) -> Translated {
        let Some(binding) = self.names.lookup(name, e.start()) else {
            return Err(self.fail(e, format!("`{name}` is not defined in this file")));
        };
        let bound_line = self.src.line(&binding.at_range());
        match binding.bound {
            Bound::Value(value) => {
                let mut item = self.expr(value, path)?;
                if bound_line != self.src.line(e) {
                    self.note(NoteKind::Translated, self.src.line(e), format!("`{name}` is the value assigned on line {bound_line}"));
                }
                item.line = self.src.line(e);
                Ok(item)
            }
            Bound::Parameter(Some(default)) => {
                match dotted(default).as_deref() {
                    Some("dlt.secrets.value") => {
                        let secret = sanitize(name, Case::Snake);
                        self.note(NoteKind::Translated, self.src.line(e), format!(
                            "parameter `{name}` (default `dlt.secrets.value`, line {bound_line}) → {{ secret: {secret} }}"
                        ));
                        Ok(secret_item(&secret, self.src.line(e)))
                    }
                    Some("dlt.config.value") => Err(self.fail(e, format!(
                        "`{name}` is a dlt config value (default `dlt.config.value`), read from config.toml when the source runs; write the value in the spec"
                    ))),
                    _ => {
                        let mut item = self.expr(default, path)?;
                        self.note(NoteKind::Translated, self.src.line(e), format!("parameter `{name}` is its default, `{}` (line {bound_line})", self.src.text(default)));
                        item.line = self.src.line(e);
                        Ok(item)
                    }
                }
            }
            Bound::Parameter(None) => Err(self.fail(e, format!(
                "`{name}` is a function parameter without a default (line {bound_line}); its value is known only when the function is called"
            ))),
            Bound::Function(_) => Err(self.fail(e, format!("`{name}` is a function (line {bound_line}): Python code, which a spec cannot hold"))),
            Bound::Class(_) => Err(self.fail(e, format!("`{name}` is a class (line {bound_line})"))),
            Bound::Other(what) => Err(self.fail(e, format!("`{name}` is {what} (line {bound_line}); its value is known only when the code runs"))),
        }
    }

    fn call(&mut self, c: &'a ExprCall, e: &'a Expr, path: &str) -> Translated {
        let callee = dotted(&c.func).unwrap_or_else(|| self.src.text(&*c.func));
        let last = callee.rsplit('.').next().unwrap_or_default().to_owned();
        // A name bound in this file shadows dlt's.
        if let Expr::Name(n) = &*c.func {
            if let Some(b) = self.names.lookup(n.id.as_str(), c.start()) {
                let line = self.src.line(&b.at_range());
                match b.bound {
                    Bound::Class(class) => {
                        let bases = class.arguments.as_ref().map(|a| {
                            a.args
                                .iter()
                                .map(|b| self.src.text(b))
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        let what = match bases {
                            Some(bases) if !bases.is_empty() => {
                                format!("a class defined on line {line} (a subclass of `{bases}`)")
                            }
                            _ => format!("a class defined on line {line}"),
                        };
                        return Err(self.fail(e, format!("`{callee}(...)` makes an object of {what}; its Python methods have no spec form")));
                    }
                    Bound::Function(_) => {
                        return Err(self.fail(e, format!("`{callee}(...)` calls a function defined on line {line}; its result is known only when the code runs")));
                    }
                    _ => {}
                }
            }
        }
        let line = self.src.line(e);
        if let Some(kind) = lookup_call_kind(&callee) {
            let key = match c.arguments.args.first() {
                Some(arg) => self.constant_string(arg, path)?,
                None => return Err(self.fail(e, format!("`{}` names no key", self.src.text(e)))),
            };
            return Ok(self.secret(&key, kind, e));
        }
        if callee == "dict" && c.arguments.args.is_empty() {
            let mut entries = Vec::new();
            for k in c.arguments.keywords.iter() {
                let value = self.expr(&k.value, path)?;
                match &k.arg {
                    Some(arg) => entries.push((arg.as_str().to_owned(), value)),
                    None => match value.value {
                        Value::Map(more) => entries.extend(more),
                        _ => return Err(self.fail(k, "`**` of something that is not a dict")),
                    },
                }
            }
            return Ok(Item::new(Value::Map(entries), line));
        }
        if let Some(class) = crate::dlt::class(&last) {
            let mut entries: Vec<(String, Item)> = Vec::new();
            if let Some(type_name) = class.type_name {
                entries.push((
                    "type".to_owned(),
                    Item::new(Value::Str(type_name.to_owned()), line),
                ));
            }
            if c.arguments.args.len() > class.positional.len() {
                return Err(self.fail(
                    e,
                    format!(
                        "`{callee}` takes at most {} positional arguments here",
                        class.positional.len()
                    ),
                ));
            }
            for (arg, key) in c.arguments.args.iter().zip(class.positional) {
                let value = self.expr(arg, &format!("{path}.{key}"))?;
                entries.push(((*key).to_owned(), value));
            }
            for k in c.arguments.keywords.iter() {
                let Some(arg) = &k.arg else {
                    return Err(self.fail(k, "`**` arguments to a dlt class"));
                };
                let key = arg.as_str();
                match self.expr(&k.value, &format!("{path}.{key}")) {
                    Ok(value) => entries.push((key.to_owned(), value)),
                    Err(u) => self.left_out(&format!("{path}.{key}"), &u),
                }
            }
            self.note(
                NoteKind::Translated,
                line,
                format!("`{}` → {}", self.src.text(e), class.describe()),
            );
            return Ok(Item::new(Value::Map(entries), line));
        }
        Err(self.fail(
            e,
            format!(
                "`{}` calls `{callee}`, which only Python can run",
                self.src.text(e)
            ),
        ))
    }

    /// An expression that must be a string (a secret's key, a stop rule's key).
    pub fn constant_string(&mut self, e: &'a Expr, path: &str) -> Result<String, Untranslatable> {
        match self.expr(e, path)?.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.fail(e, format!("`{}` is not a string", self.src.text(e)))),
        }
    }

    fn secret(&mut self, key: &str, kind: Lookup, e: &Expr) -> Item {
        let line = self.src.line(e);
        let last = key.rsplit('.').next().unwrap_or(key);
        let name = sanitize(last, Case::Snake);
        let mut message = format!("`{}` → {{ secret: {name} }}", self.src.text(e));
        if kind == Lookup::Environment {
            message.push_str(&format!(
                " (the environment variable `{key}` becomes `<CONNECTOR>__{}`; see docs/secrets)",
                name.to_uppercase()
            ));
        } else if last != key {
            message.push_str(&format!(
                " (dlt's section `{}` is the connector's secrets section)",
                &key[..key.len() - last.len() - 1]
            ));
        }
        self.note(NoteKind::Translated, line, message);
        secret_item(&name, line)
    }
}

impl crate::python::Binding<'_> {
    /// An empty range at the binding, for its line.
    fn at_range(&self) -> ruff_text_size::TextRange {
        ruff_text_size::TextRange::empty(self.at)
    }
}

fn secret_item(name: &str, line: usize) -> Item {
    Item::new(
        Value::Map(vec![(
            "secret".to_owned(),
            Item::new(Value::Str(name.to_owned()), line),
        )]),
        line,
    )
}

/// Where a looked-up value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// dlt's secrets (`dlt.secrets[...]`).
    Secrets,
    /// The process environment (`os.environ[...]`).
    Environment,
}

/// `dlt.secrets` / `os.environ` as the base of a subscript.
fn lookup_kind(base: &Expr) -> Option<Lookup> {
    match dotted(base)?.as_str() {
        "dlt.secrets" | "secrets" => Some(Lookup::Secrets),
        "os.environ" | "environ" => Some(Lookup::Environment),
        _ => None,
    }
}

/// `dlt.secrets.get` / `os.getenv` / `os.environ.get` as a callee.
fn lookup_call_kind(callee: &str) -> Option<Lookup> {
    match callee {
        "dlt.secrets.get" | "secrets.get" => Some(Lookup::Secrets),
        "os.getenv" | "getenv" | "os.environ.get" | "environ.get" => Some(Lookup::Environment),
        _ => None,
    }
}

/// Whether a comparison operator is `==` or `is`.
pub(crate) fn is_equality(op: CmpOp) -> bool {
    matches!(op, CmpOp::Eq | CmpOp::Is)
}
