//! Table shapes against dlt's own: `connector sync` of each seed spec against the demo server,
//! into SQLite, must make the tables dlt makes from the same data (issue 13).
//!
//! The expected shapes are dlt's output, checked in as JSON under
//! `connector-load/tests/fixtures/dlt_shapes/` with the script that produced them (its README
//! says how to regenerate them; dlt is never needed here). Two variants per seed API: the spec
//! as written (its declared columns were dlt's column hints) and the spec without any
//! `columns` (every column and child table inferred).
//!
//! Compared per table: the set of tables (our `_connector_*` bookkeeping tables left out), the
//! set of column names (order-insensitive; our `_connector_*` columns left out), each column's
//! data type and nullability as `_connector_columns` records them (dlt's type names), and the
//! row count. A failure lists every difference, not only the first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use connector_demo_server::{DemoConfig, DemoServer, Seed};
use connector_load::COLUMNS_TABLE;
use serde_json::Value;

/// Prefix of our own tables and columns, which dlt's shapes do not have.
const OWN_PREFIX: &str = "_connector_";

/// One column: dlt's type name and nullability, `None` where we record none.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    data_type: Option<String>,
    nullable: Option<bool>,
}

/// One table: its columns by name, and its row count.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    columns: BTreeMap<String, Column>,
    rows: u64,
}

/// Every data table of a destination (or of a fixture), by name.
type Shape = BTreeMap<String, Table>;

/// The two ways each seed spec is run, each with its own fixture.
#[derive(Debug, Clone, Copy)]
enum Variant {
    /// The spec as written; dlt got its declared columns as column hints.
    Declared,
    /// The spec without `columns`; dlt inferred everything.
    Undeclared,
}

impl Variant {
    fn fixture(self, seed: Seed) -> PathBuf {
        let suffix = match self {
            Variant::Declared => "",
            Variant::Undeclared => ".undeclared",
        };
        fixtures_dir().join(format!("{}{suffix}.json", seed.name()))
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Declared => "the spec's declared columns",
            Variant::Undeclared => "no declared columns",
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures_dir() -> PathBuf {
    root().join("connector-load/tests/fixtures/dlt_shapes")
}

fn spec_path(seed: Seed) -> PathBuf {
    root().join("specs").join(format!("{}.yaml", seed.name()))
}

fn read_fixture(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// dlt's shape as a fixture records it.
fn expected_shape(fixture: &Value) -> Shape {
    let tables = fixture["tables"].as_object().expect("fixture has `tables`");
    tables
        .iter()
        .map(|(name, table)| {
            let columns = table["columns"]
                .as_array()
                .expect("table has `columns`")
                .iter()
                .map(|c| {
                    let column = Column {
                        data_type: c["data_type"].as_str().map(str::to_owned),
                        nullable: c["nullable"].as_bool(),
                    };
                    (c["name"].as_str().expect("column name").to_owned(), column)
                })
                .collect();
            let rows = table["row_count"].as_u64().expect("table has `row_count`");
            (name.clone(), Table { columns, rows })
        })
        .collect()
}

/// The data tables of a SQLite file: names from the catalog, types from `_connector_columns`.
fn actual_shape(db: &Path) -> Shape {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", db.display()));
    let strings = |sql: &str, param: Option<&str>| -> Vec<String> {
        let mut statement = conn.prepare(sql).unwrap();
        let params: Vec<&dyn rusqlite::ToSql> = param.iter().map(|p| p as _).collect();
        statement
            .query_map(params.as_slice(), |row| row.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let tables = strings(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        None,
    );
    let has_recorded_types = tables.iter().any(|t| t == COLUMNS_TABLE);
    tables
        .into_iter()
        .filter(|t| !t.starts_with(OWN_PREFIX))
        .map(|table| {
            let mut recorded: BTreeMap<String, Column> = BTreeMap::new();
            if has_recorded_types {
                let mut statement = conn
                    .prepare(&format!(
                        "SELECT column_name, data_type, nullable FROM {COLUMNS_TABLE} WHERE table_name = ?"
                    ))
                    .unwrap();
                let rows = statement
                    .query_map([&table], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, Option<String>>(1)?,
                            row.get::<_, Option<bool>>(2)?,
                        ))
                    })
                    .unwrap();
                for row in rows {
                    let (name, data_type, nullable) = row.unwrap();
                    recorded.insert(name, Column { data_type, nullable });
                }
            }
            let columns = strings("SELECT name FROM pragma_table_info(?)", Some(&table))
                .into_iter()
                .filter(|c| !c.starts_with(OWN_PREFIX))
                .map(|c| {
                    let column = recorded.get(&c).cloned().unwrap_or(Column {
                        data_type: None,
                        nullable: None,
                    });
                    (c, column)
                })
                .collect();
            let rows: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| r.get(0))
                .unwrap();
            let rows = u64::try_from(rows).unwrap();
            (table, Table { columns, rows })
        })
        .collect()
}

fn describe_columns(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|(name, c)| format!("{name} {}", c.data_type.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every way `actual` differs from dlt's `expected`, one line each, in table order.
fn differences(expected: &Shape, actual: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    for (name, dlt) in expected {
        let Some(ours) = actual.get(name) else {
            out.push(format!(
                "missing table `{name}` (dlt: {} rows; columns {})",
                dlt.rows,
                describe_columns(dlt)
            ));
            continue;
        };
        let typed = ours.columns.values().any(|c| c.data_type.is_some());
        if !typed {
            out.push(format!(
                "table `{name}`: no column types recorded in {COLUMNS_TABLE}"
            ));
        }
        for (column, d) in &dlt.columns {
            let Some(o) = ours.columns.get(column) else {
                let ty = d.data_type.as_deref().unwrap_or("?");
                out.push(format!(
                    "table `{name}`: missing column `{column}` (dlt: {ty})"
                ));
                continue;
            };
            if typed && o.data_type != d.data_type {
                out.push(format!(
                    "table `{name}`: column `{column}` type: dlt {}, ours {}",
                    d.data_type.as_deref().unwrap_or("none"),
                    o.data_type.as_deref().unwrap_or("not recorded")
                ));
            }
            if typed && o.nullable != d.nullable {
                let show = |n: Option<bool>| n.map_or("not recorded".to_owned(), |n| n.to_string());
                out.push(format!(
                    "table `{name}`: column `{column}` nullable: dlt {}, ours {}",
                    show(d.nullable),
                    show(o.nullable)
                ));
            }
        }
        for (column, o) in &ours.columns {
            if !dlt.columns.contains_key(column) {
                let ty = o.data_type.as_deref().unwrap_or("?");
                out.push(format!(
                    "table `{name}`: extra column `{column}` (ours: {ty})"
                ));
            }
        }
        if ours.rows != dlt.rows {
            out.push(format!(
                "table `{name}`: rows: dlt {}, ours {}",
                dlt.rows, ours.rows
            ));
        }
    }
    for (name, ours) in actual {
        if !expected.contains_key(name) {
            out.push(format!(
                "extra table `{name}` (ours: {} rows; columns {})",
                ours.rows,
                describe_columns(ours)
            ));
        }
    }
    out
}

/// The spec without its `columns` blocks: every `columns:` key and the lines indented under it.
fn without_columns(spec: &str) -> String {
    let mut out = String::new();
    let mut dropping: Option<usize> = None;
    for line in spec.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(level) = dropping {
            if line.trim().is_empty() || indent > level {
                continue;
            }
            dropping = None;
        }
        if line.trim_start() == "columns:" {
            dropping = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Runs `connector sync` of `spec` into a new SQLite file in `dir`; `Err` is the failure.
fn sync(dir: &Path, server: &DemoServer, seed: Seed, spec: &Path) -> Result<PathBuf, String> {
    let db = dir.join(format!("{}.db", seed.name()));
    let mut cmd = Command::cargo_bin("connector").expect("binary builds");
    cmd.current_dir(dir)
        .arg("sync")
        .arg(spec)
        .arg("--base-url")
        .arg(server.seed_url(seed))
        .arg("--destination")
        .arg(format!("sqlite:{}", db.display()))
        .envs(server.secret_env_vars(seed));
    if let Some(token_url) = server.token_url(seed) {
        cmd.arg("--token-url").arg(token_url);
    }
    let out = cmd.output().unwrap();
    if out.status.success() {
        Ok(db)
    } else {
        Err(format!(
            "`connector sync` exited with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Syncs every seed spec in `variant` and compares with dlt's fixtures; panics with the full
/// list of differences.
fn compare_with_dlt(variant: Variant) {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let mut report = Vec::new();
    for seed in Seed::ALL {
        let dir = tempfile::tempdir().unwrap();
        let spec = match variant {
            Variant::Declared => spec_path(seed),
            Variant::Undeclared => {
                let text = std::fs::read_to_string(spec_path(seed)).unwrap();
                let path = dir.path().join(format!("{}.yaml", seed.name()));
                std::fs::write(&path, without_columns(&text)).unwrap();
                path
            }
        };
        let expected = expected_shape(&read_fixture(&variant.fixture(seed)));
        let mut found = Vec::new();
        match sync(dir.path(), &server, seed, &spec) {
            Ok(db) => found.extend(differences(&expected, &actual_shape(&db))),
            Err(failure) => {
                found.push(failure);
                let db = dir.path().join(format!("{}.db", seed.name()));
                if db.exists() {
                    found.extend(differences(&expected, &actual_shape(&db)));
                }
            }
        }
        if !found.is_empty() {
            report.push(format!("{} ({}):", seed.name(), variant.label()));
            report.extend(found.into_iter().map(|line| format!("  {line}")));
        }
    }
    let count = report.iter().filter(|l| l.starts_with("  ")).count();
    assert!(
        report.is_empty(),
        "{count} differences from dlt's table shapes (connector-load/tests/fixtures/dlt_shapes):\n{}",
        report.join("\n")
    );
}

#[test]
fn seed_specs_load_the_tables_dlt_makes_from_their_declared_columns() {
    compare_with_dlt(Variant::Declared);
}

#[test]
fn seed_specs_without_columns_load_the_tables_dlt_infers() {
    compare_with_dlt(Variant::Undeclared);
}

#[test]
fn every_fixture_is_dlt_output_for_the_default_demo_server_and_names_each_resource_table() {
    for seed in Seed::ALL {
        let loaded = connector_spec::load(&spec_path(seed))
            .unwrap_or_else(|e| panic!("{} does not load: {e:?}", seed.name()));
        let mut resource_tables: Vec<String> = loaded
            .resolved
            .resources
            .iter()
            .map(|r| r.table_name.clone())
            .collect();
        resource_tables.sort();
        for variant in [Variant::Declared, Variant::Undeclared] {
            let path = variant.fixture(seed);
            let fixture = read_fixture(&path);
            assert_eq!(fixture["api"], seed.name(), "{}", path.display());
            assert!(fixture["dlt_version"].is_string(), "{}", path.display());
            // The test runs the server with DemoConfig::default(): the fixture must too.
            assert_eq!(fixture["demo_server"]["flags"], serde_json::json!([]));
            let shape = expected_shape(&fixture);
            let mut roots: Vec<String> = shape
                .keys()
                .filter(|t| fixture["tables"][t.as_str()]["parent"].is_null())
                .cloned()
                .collect();
            roots.sort();
            assert_eq!(roots, resource_tables, "{}", path.display());
        }
    }
}

#[test]
fn differences_list_every_kind_of_mismatch_at_once() {
    let expected = expected_shape(&read_fixture(
        &Variant::Undeclared.fixture(Seed::DeviceInventory),
    ));
    let mut actual = expected.clone();
    assert!(differences(&expected, &actual).is_empty());

    actual.remove("computers__capable_users");
    let computers = actual.get_mut("computers").unwrap();
    computers.rows -= 1;
    computers.columns.remove("udid");
    let contact = computers.columns.remove("last_contact_time").unwrap();
    computers.columns.insert("lastContactTime".into(), contact);
    let name = computers.columns.get_mut("name").unwrap();
    name.data_type = Some("json".into());
    name.nullable = Some(false);
    let mut untyped = expected["computers"].clone();
    for column in untyped.columns.values_mut() {
        column.data_type = None;
    }
    actual.insert("computers_raw".into(), untyped.clone());
    actual.insert("computers__capable_users".into(), untyped);

    let found = differences(&expected, &actual);
    let wanted = [
        "table `computers`: column `name` type: dlt text, ours json",
        "table `computers`: column `name` nullable: dlt true, ours false",
        "table `computers`: missing column `last_contact_time` (dlt: timestamp)",
        "table `computers`: missing column `udid` (dlt: text)",
        "table `computers`: extra column `lastContactTime` (ours: timestamp)",
        "table `computers`: rows: dlt 250, ours 249",
        "table `computers__capable_users`: no column types recorded in _connector_columns",
    ];
    for line in wanted {
        assert!(found.iter().any(|f| f == line), "no `{line}` in {found:#?}");
    }
    assert!(
        found.iter().any(
            |f| f.starts_with("extra table `computers_raw` (ours: 250 rows; columns _dlt_id ?")
        ),
        "{found:#?}"
    );
    // The untyped child table is reported once for its missing types, then per column name.
    assert!(
        found
            .iter()
            .any(|f| f == "table `computers__capable_users`: missing column `value` (dlt: text)"),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|f| f.contains("`value` type")),
        "{found:#?}"
    );

    actual.remove("computers__capable_users");
    let found = differences(&expected, &actual);
    assert!(
        found.iter().any(|f| f
            == "missing table `computers__capable_users` (dlt: 199 rows; columns _dlt_id text, \
                _dlt_list_idx bigint, _dlt_parent_id text, _dlt_root_id text, value text)"),
        "{found:#?}"
    );
}

#[test]
fn without_columns_drops_every_columns_block_and_nothing_else() {
    let spec = "resources:\n  - name: a\n    columns:\n      id: { data_type: text }\n\n      b: {}\n    endpoint:\n      path: /a\n  - name: b\n    columns:\n      id: {}\n";
    assert_eq!(
        without_columns(spec),
        "resources:\n  - name: a\n    endpoint:\n      path: /a\n  - name: b\n"
    );
    for seed in Seed::ALL {
        let text = std::fs::read_to_string(spec_path(seed)).unwrap();
        let stripped = without_columns(&text);
        assert!(!stripped.contains("data_type"), "{stripped}");
        connector_spec::parse_str(&stripped, "stripped.yaml")
            .unwrap_or_else(|e| panic!("{}: {e:?}", seed.name()));
    }
}
