//! The Python side: parsing (Ruff's parser), the names a module binds, and where its
//! `rest_api_source` config is.

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt};
use ruff_python_parser::parse_module;
use ruff_text_size::{Ranged, TextRange, TextSize};

/// A parsed block of Python, and how its offsets map to lines of the imported file.
pub(crate) struct Source {
    pub code: String,
    pub module: ModModule,
    /// Byte offset of each line start in `code`.
    line_starts: Vec<usize>,
    /// File line of the code's first line.
    first_line: usize,
}

/// Code that cannot be parsed: file line, 1-based column, message.
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// A Python syntax error (else a limit of the importer).
    pub syntax: bool,
}

impl Source {
    /// Parses `code`. A line that starts with `//` (a JavaScript comment, as some documents
    /// write inside a Python dict) is a syntax error in Python; when reading such lines as
    /// comments makes the code parse, they are, and each is returned as a repaired line.
    pub fn parse(code: &str, first_line: usize) -> Result<(Source, Vec<usize>), SyntaxError> {
        if let Some(depth) = too_deep(code) {
            return Err(SyntaxError {
                line: first_line,
                column: 1,
                message: format!(
                    "the code nests brackets {depth} deep, deeper than {MAX_BRACKETS}; a dlt config never needs that"
                ),
                syntax: false,
            });
        }
        let first_error = match parse_module(code) {
            Ok(parsed) => return Ok((Source::new(code, parsed.into_syntax(), first_line), vec![])),
            Err(error) => error,
        };
        let mut repaired = Vec::new();
        let fixed: String = code
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, line)| {
                let indent = line.len() - line.trim_start().len();
                if line.trim_start().starts_with("//") {
                    repaired.push(first_line + i);
                    // Same length, so every offset stays where it was.
                    format!("{}# {}", &line[..indent], &line[indent + 2..])
                } else {
                    line.to_owned()
                }
            })
            .collect();
        if !repaired.is_empty() {
            if let Ok(parsed) = parse_module(&fixed) {
                return Ok((
                    Source::new(&fixed, parsed.into_syntax(), first_line),
                    repaired,
                ));
            }
        }
        let offset = usize::from(first_error.location.start()).min(code.len());
        let before = &code[..offset];
        let line = first_line + before.matches('\n').count();
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        Err(SyntaxError {
            line,
            column,
            message: first_error.error.to_string(),
            syntax: true,
        })
    }

    fn new(code: &str, module: ModModule, first_line: usize) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(code.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            code: code.to_owned(),
            module,
            line_starts,
            first_line,
        }
    }

    /// File line and 1-based column (in characters) of an offset.
    pub fn position(&self, offset: TextSize) -> (usize, usize) {
        let offset = usize::from(offset).min(self.code.len());
        let index = self.line_starts.partition_point(|s| *s <= offset) - 1;
        let column = self.code[self.line_starts[index]..offset].chars().count() + 1;
        (self.first_line + index, column)
    }

    /// File line of a node.
    pub fn line(&self, node: &impl Ranged) -> usize {
        self.position(node.start()).0
    }

    /// The node's Python text, shortened to one line for messages.
    pub fn text(&self, node: &impl Ranged) -> String {
        let range = node.range();
        let text = &self.code[usize::from(range.start())..usize::from(range.end())];
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 70 {
            let cut: String = one_line.chars().take(67).collect();
            format!("{cut}...")
        } else {
            one_line
        }
    }
}

/// Deepest bracket nesting parsed: Ruff's parser recurses once per level, and the import runs
/// on a thread with a stack sized for this (see `import_dlt`).
pub(crate) const MAX_BRACKETS: usize = 2000;

/// The bracket depth of `code` when it is over [`MAX_BRACKETS`], counted on Ruff's tokens.
fn too_deep(code: &str) -> Option<usize> {
    use ruff_python_ast::token::TokenKind;
    let mut lexer = ruff_python_parser::lexer::lex(code, ruff_python_parser::Mode::Module);
    let mut depth = 0usize;
    loop {
        match lexer.next_token() {
            TokenKind::EndOfFile => return None,
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Some(depth);
                }
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
    }
}

/// What a name is bound to.
#[derive(Clone, Copy)]
pub(crate) enum Bound<'a> {
    /// `NAME = expr` (or annotated).
    Value(&'a Expr),
    /// A function parameter, with its default.
    Parameter(Option<&'a Expr>),
    /// `def NAME(...)`.
    Function(&'a ruff_python_ast::StmtFunctionDef),
    /// `class NAME(...)`.
    Class(&'a ruff_python_ast::StmtClassDef),
    /// Bound some other way (a loop, an import, an unpacking).
    Other(&'static str),
}

pub(crate) struct Binding<'a> {
    pub name: String,
    /// Where the binding statement starts.
    pub at: TextSize,
    /// The scope it is visible in: the module, or a function's body.
    pub scope: TextRange,
    pub bound: Bound<'a>,
}

/// A `@dlt.source` function (or any function) and its range, for the connector's name.
pub(crate) struct Function<'a> {
    pub def: &'a ruff_python_ast::StmtFunctionDef,
}

/// Every name the module binds, in source order.
pub(crate) struct Names<'a> {
    pub bindings: Vec<Binding<'a>>,
    pub functions: Vec<Function<'a>>,
}

impl<'a> Names<'a> {
    pub fn collect(module: &'a ModModule) -> Names<'a> {
        let mut names = Names {
            bindings: Vec::new(),
            functions: Vec::new(),
        };
        names.body(&module.body, module.range);
        names
    }

    fn bind(&mut self, name: &str, at: TextSize, scope: TextRange, bound: Bound<'a>) {
        self.bindings.push(Binding {
            name: name.to_owned(),
            at,
            scope,
            bound,
        });
    }

    fn body(&mut self, body: &'a [Stmt], scope: TextRange) {
        for stmt in body {
            self.stmt(stmt, scope);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt, scope: TextRange) {
        let at = stmt.start();
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    match target {
                        Expr::Name(n) => {
                            self.bind(n.id.as_str(), at, scope, Bound::Value(&assign.value))
                        }
                        other => self.targets(other, at, scope),
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let (Expr::Name(n), Some(value)) = (&*assign.target, &assign.value) {
                    self.bind(n.id.as_str(), at, scope, Bound::Value(value));
                }
            }
            Stmt::FunctionDef(def) => {
                self.bind(def.name.as_str(), at, scope, Bound::Function(def));
                self.functions.push(Function { def });
                let inner = def.range;
                let params = &def.parameters;
                for p in params
                    .posonlyargs
                    .iter()
                    .chain(&params.args)
                    .chain(&params.kwonlyargs)
                {
                    self.bind(
                        p.name().as_str(),
                        inner.start(),
                        inner,
                        Bound::Parameter(p.default()),
                    );
                }
                self.body(&def.body, inner);
            }
            Stmt::ClassDef(class) => self.bind(class.name.as_str(), at, scope, Bound::Class(class)),
            Stmt::For(f) => {
                self.targets(&f.target, at, scope);
                self.body(&f.body, scope);
                self.body(&f.orelse, scope);
            }
            Stmt::While(w) => {
                self.body(&w.body, scope);
                self.body(&w.orelse, scope);
            }
            Stmt::If(i) => {
                self.body(&i.body, scope);
                for clause in &i.elif_else_clauses {
                    self.body(&clause.body, scope);
                }
            }
            Stmt::With(w) => self.body(&w.body, scope),
            Stmt::Try(t) => {
                self.body(&t.body, scope);
                self.body(&t.orelse, scope);
                self.body(&t.finalbody, scope);
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    let first = name.as_str().split('.').next().unwrap_or_default();
                    self.bind(first, at, scope, Bound::Other("an imported module"));
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind(name.as_str(), at, scope, Bound::Other("an imported name"));
                }
            }
            _ => {}
        }
    }

    fn targets(&mut self, target: &'a Expr, at: TextSize, scope: TextRange) {
        match target {
            Expr::Name(n) => self.bind(
                n.id.as_str(),
                at,
                scope,
                Bound::Other("a loop or unpacking target"),
            ),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.targets(e, at, scope)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.targets(e, at, scope)),
            _ => {}
        }
    }

    /// The binding of `name` seen from `at`: the innermost scope holding `at` wins, then the
    /// latest binding before `at` (else the first after it: a function body reads module
    /// names when it is called).
    pub fn lookup(&self, name: &str, at: TextSize) -> Option<&Binding<'a>> {
        let visible = || {
            self.bindings
                .iter()
                .filter(move |b| b.name == name && b.scope.contains_inclusive(at))
        };
        let innermost = visible().map(|b| b.scope.len()).min()?;
        let in_scope = || visible().filter(move |b| b.scope.len() == innermost);
        in_scope()
            .filter(|b| b.at < at)
            .max_by_key(|b| b.at)
            .or_else(|| in_scope().min_by_key(|b| b.at))
    }

    /// The innermost function whose body holds `at`.
    pub fn enclosing_function(&self, at: TextSize) -> Option<&'a ruff_python_ast::StmtFunctionDef> {
        self.functions
            .iter()
            .filter(|f| f.def.range.contains(at))
            .min_by_key(|f| f.def.range.len())
            .map(|f| f.def)
    }
}

/// A `rest_api_source(...)` / `rest_api_resources(...)` call, or a dict that looks like
/// the config.
pub(crate) struct ConfigSite<'a> {
    /// The config expression.
    pub config: &'a Expr,
    /// Where it is used (a Name is resolved from here).
    pub at: TextSize,
    /// The call's `name=` argument, when it is a string.
    pub name: Option<String>,
    /// The call's text, for messages.
    pub call: Option<&'a ruff_python_ast::ExprCall>,
}

/// dlt's functions that take a rest_api config.
const CONFIG_FUNCTIONS: &[&str] = &["rest_api_source", "rest_api_resources"];

/// Every call of a dlt rest_api function, in source order; when there is none, the
/// dicts (assigned or bare) that have a `resources` key.
pub(crate) fn config_sites(module: &ModModule) -> Vec<ConfigSite<'_>> {
    let mut finder = Finder { sites: Vec::new() };
    finder.visit_body(&module.body);
    if finder.sites.is_empty() {
        let mut dicts = DictFinder { sites: Vec::new() };
        dicts.visit_body(&module.body);
        return dicts.sites;
    }
    finder.sites
}

struct Finder<'a> {
    sites: Vec<ConfigSite<'a>>,
}

impl<'a> Visitor<'a> for Finder<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if callee_name(&call.func).is_some_and(|n| CONFIG_FUNCTIONS.contains(&n)) {
                let config = call
                    .arguments
                    .args
                    .first()
                    .or_else(|| call.arguments.find_keyword("config").map(|k| &k.value));
                if let Some(config) = config {
                    let name = call
                        .arguments
                        .find_keyword("name")
                        .and_then(|k| match &k.value {
                            Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
                            _ => None,
                        });
                    self.sites.push(ConfigSite {
                        config,
                        at: call.start(),
                        name,
                        call: Some(call),
                    });
                }
            }
        }
        walk_expr(self, expr);
    }
}

struct DictFinder<'a> {
    sites: Vec<ConfigSite<'a>>,
}

impl<'a> Visitor<'a> for DictFinder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let value = match stmt {
            Stmt::Assign(a) => Some(&*a.value),
            Stmt::AnnAssign(a) => a.value.as_deref(),
            Stmt::Expr(e) => Some(&*e.value),
            Stmt::Return(r) => r.value.as_deref(),
            _ => None,
        };
        if let Some(Expr::Dict(dict)) = value {
            let has_resources = dict
                .iter_keys()
                .flatten()
                .any(|k| matches!(k, Expr::StringLiteral(s) if s.value.to_str() == "resources"));
            if has_resources {
                self.sites.push(ConfigSite {
                    config: value.expect("matched"),
                    at: stmt.end(),
                    name: None,
                    call: None,
                });
            }
        }
        walk_stmt(self, stmt);
    }
}

/// The last name of a callee: `rest_api_source` for `rest_api.rest_api_source(...)`.
pub(crate) fn callee_name(func: &Expr) -> Option<&str> {
    match func {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

/// The dotted name of an expression (`dlt.sources.incremental`), when it is one.
pub(crate) fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", dotted(&a.value)?, a.attr.as_str())),
        _ => None,
    }
}

/// The lines where Python changes what `name` holds in place: `name[...] = ...`,
/// `name[...] += ...`, `del name[...]`, and method calls (`name["resources"].append(...)`).
pub(crate) fn changes_of(module: &ModModule, name: &str, source: &Source) -> Vec<usize> {
    struct Changes<'n> {
        name: &'n str,
        offsets: Vec<TextSize>,
    }
    /// Whether `e` is `name` or a subscript / attribute chain on it.
    fn rooted(e: &Expr, name: &str) -> bool {
        match e {
            Expr::Name(n) => n.id.as_str() == name,
            Expr::Subscript(s) => rooted(&s.value, name),
            Expr::Attribute(a) => rooted(&a.value, name),
            _ => false,
        }
    }
    impl<'a> Visitor<'a> for Changes<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            let changed = match stmt {
                Stmt::Assign(a) => a
                    .targets
                    .iter()
                    .any(|t| !matches!(t, Expr::Name(_)) && rooted(t, self.name)),
                Stmt::AugAssign(a) => rooted(&a.target, self.name),
                Stmt::Delete(d) => d.targets.iter().any(|t| rooted(t, self.name)),
                _ => false,
            };
            if changed {
                self.offsets.push(stmt.start());
            }
            walk_stmt(self, stmt);
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                if let Expr::Attribute(a) = &*c.func {
                    const CHANGING: &[&str] = &[
                        "append",
                        "extend",
                        "insert",
                        "update",
                        "pop",
                        "remove",
                        "clear",
                        "setdefault",
                    ];
                    if CHANGING.contains(&a.attr.as_str()) && rooted(&a.value, self.name) {
                        self.offsets.push(expr.start());
                    }
                }
            }
            walk_expr(self, expr);
        }
    }
    let mut changes = Changes {
        name,
        offsets: Vec::new(),
    };
    changes.visit_body(&module.body);
    changes
        .offsets
        .iter()
        .map(|o| source.position(*o).0)
        .collect()
}
