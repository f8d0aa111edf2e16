//! One test body per behaviour, run against a real SQLite file, (with the `duckdb` feature)
//! a real DuckDB file and (with the `postgres` feature) a real PostgreSQL server, a
//! throwaway cluster this test binary starts (tests/support/postgres.rs), each test in a
//! schema of its own.

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod pg;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use connector_load::{open_destination, Destination, Error, LoadSummary, ResourceLoadPlan};
use connector_spec::{Column, ContractMode, DataType, Disposition, MergeStrategy, SchemaContract};
use serde_json::{json, Value};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Sqlite,
    #[cfg_attr(not(feature = "duckdb"), allow(dead_code))]
    DuckDb,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
    #[cfg_attr(not(feature = "delta"), allow(dead_code))]
    Delta,
}

impl Kind {
    /// The destination of a test whose files go in `dir` (a PostgreSQL schema named after
    /// the directory: the same `dir` gives the same schema, as a file would be the same).
    fn url(self, dir: &Path) -> String {
        match self {
            Kind::Sqlite => format!("sqlite:{}", dir.join("test.db").display()),
            Kind::DuckDb => format!("duckdb:{}", dir.join("test.duckdb").display()),
            Kind::Postgres => postgres_url(dir),
            Kind::Delta => format!("delta:{}", dir.join("lake").display()),
        }
    }

    /// A query counting the staging tables left in the destination (a Delta destination
    /// stages on local disk: its unfinished loads, which a failure must mark).
    fn staging_tables_sql(self) -> &'static str {
        match self {
            Kind::Delta => "SELECT COUNT(*) FROM _connector_loads WHERE status = 'running'",
            Kind::Sqlite | Kind::DuckDb => {
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%staging%'"
            }
            Kind::Postgres => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
                 AND (tablename LIKE '%staging%' OR tablename LIKE '\\_cstg\\_%')"
            }
        }
    }

    /// A query listing the columns of `users`' key index, comma-separated (SQLite and
    /// PostgreSQL index the primary key of a merged table; DuckDB and Delta do not).
    fn key_index_sql(self) -> &'static str {
        match self {
            Kind::Sqlite => {
                "SELECT group_concat(name, ',') FROM pragma_index_info('_connector_pk__users')"
            }
            Kind::Postgres => {
                "SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index i \
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                 WHERE i.indexrelid = to_regclass('_connector_pk__users')"
            }
            Kind::DuckDb | Kind::Delta => unreachable!("no key index"),
        }
    }
}

#[cfg(feature = "postgres")]
fn postgres_url(dir: &Path) -> String {
    let name: String = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("test")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    pg::cluster().url(&format!("t{name}"))
}

#[cfg(not(feature = "postgres"))]
fn postgres_url(_dir: &Path) -> String {
    unreachable!("the postgres tests are compiled with the `postgres` feature only")
}

struct Db {
    dir: TempDir,
    url: String,
    dest: Box<dyn Destination>,
}

fn db(kind: Kind) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = kind.url(dir.path());
    let dest = open_destination(&url).unwrap();
    Db { dir, url, dest }
}

fn col(data_type: DataType) -> Column {
    Column {
        data_type: Some(data_type),
        ..Column::default()
    }
}

fn users_plan() -> ResourceLoadPlan {
    ResourceLoadPlan::new("demo", "users")
        .with_column("id", col(DataType::Bigint))
        .with_column("name", col(DataType::Text))
}

fn load(
    dest: &dyn Destination,
    plan: &ResourceLoadPlan,
    batches: &[Value],
    state: Option<Value>,
) -> LoadSummary {
    let mut writer = dest.begin(plan).unwrap();
    for batch in batches {
        writer.write_batch(batch.as_array().unwrap()).unwrap();
    }
    writer.commit(state).unwrap()
}

fn rows(dest: &dyn Destination, sql: &str) -> Vec<Vec<Value>> {
    dest.query_rows(sql).unwrap()
}

fn count(dest: &dyn Destination, table: &str) -> i64 {
    rows(dest, &format!("SELECT COUNT(*) FROM \"{table}\""))[0][0]
        .as_i64()
        .unwrap()
}

fn id_name(dest: &dyn Destination, table: &str) -> Vec<(i64, String)> {
    rows(
        dest,
        &format!("SELECT id, name FROM \"{table}\" ORDER BY id, name"),
    )
    .into_iter()
    .map(|r| {
        (
            r[0].as_i64().unwrap(),
            r[1].as_str().unwrap_or("<null>").to_owned(),
        )
    })
    .collect()
}

fn pairs(list: &[(i64, &str)]) -> Vec<(i64, String)> {
    list.iter().map(|(i, s)| (*i, (*s).to_owned())).collect()
}

fn append_after_three_loads(kind: Kind) {
    let db = db(kind);
    let plan = users_plan();
    let s1 = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
        None,
    );
    assert_eq!(
        (s1.records, s1.table_rows, s1.disposition.as_str()),
        (2, 2, "append")
    );
    load(&*db.dest, &plan, &[json!([{"id": 2, "name": "b2"}])], None);
    assert_eq!(count(&*db.dest, "users"), 3);
    let s3 = load(
        &*db.dest,
        &plan,
        &[
            json!([{"id": 3, "name": "c"}]),
            json!([{"id": 4, "name": "d"}]),
        ],
        None,
    );
    assert_eq!((s3.records, s3.table_rows), (2, 5));
    assert_eq!(
        id_name(&*db.dest, "users"),
        pairs(&[(1, "a"), (2, "b"), (2, "b2"), (3, "c"), (4, "d")])
    );
    let loads = rows(&*db.dest, "SELECT COUNT(DISTINCT _dlt_load_id) FROM users");
    assert_eq!(loads[0][0], json!(3));
    let completed = rows(
        &*db.dest,
        "SELECT COUNT(*) FROM _connector_loads WHERE status = 'completed' AND resource = 'users'",
    );
    assert_eq!(completed[0][0], json!(3));
    // Every row has its own id, as dlt's `_dlt_id`.
    let ids = rows(&*db.dest, "SELECT COUNT(DISTINCT _dlt_id) FROM users");
    assert_eq!(ids[0][0], json!(5));
}

fn replace_after_three_loads(kind: Kind) {
    let db = db(kind);
    let plan = users_plan().with_disposition(Disposition::Replace);
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
        None,
    );
    assert_eq!(count(&*db.dest, "users"), 2);
    load(&*db.dest, &plan, &[json!([{"id": 3, "name": "c"}])], None);
    assert_eq!(id_name(&*db.dest, "users"), pairs(&[(3, "c")]));
    let s3 = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 4, "name": "d"}, {"id": 4, "name": "d"}, {"id": 5, "name": "e"}])],
        None,
    );
    assert_eq!(s3.table_rows, 3);
    assert_eq!(
        id_name(&*db.dest, "users"),
        pairs(&[(4, "d"), (4, "d"), (5, "e")])
    );
    // A replace with no records empties the table: the API said there is nothing.
    load(&*db.dest, &plan, &[], None);
    assert_eq!(count(&*db.dest, "users"), 0);
}

fn merge_three_loads(kind: Kind, strategy: MergeStrategy) {
    let db = db(kind);
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_merge_strategy(strategy)
        .with_primary_key(["id"]);
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
        None,
    );
    assert_eq!(id_name(&*db.dest, "users"), pairs(&[(1, "a"), (2, "b")]));
    let s2 = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 2, "name": "b2"}, {"id": 3, "name": "c"}])],
        None,
    );
    assert_eq!((s2.records, s2.table_rows), (2, 3));
    assert_eq!(
        id_name(&*db.dest, "users"),
        pairs(&[(1, "a"), (2, "b2"), (3, "c")])
    );
    // Duplicate keys within one load, across batches too: the last record wins.
    let s3 = load(
        &*db.dest,
        &plan,
        &[
            json!([{"id": 1, "name": "a2"}, {"id": 4, "name": "x"}, {"id": 1, "name": "a3"}]),
            json!([{"id": 4, "name": "d"}]),
        ],
        None,
    );
    assert_eq!((s3.records, s3.table_rows), (4, 4));
    assert_eq!(
        id_name(&*db.dest, "users"),
        pairs(&[(1, "a3"), (2, "b2"), (3, "c"), (4, "d")])
    );
    // Updated rows carry the load id of the load that wrote them: 1 and 4 from the third,
    // 2 and 3 from the second.
    let ids = rows(&*db.dest, "SELECT COUNT(DISTINCT _dlt_load_id) FROM users");
    assert_eq!(ids[0][0], json!(2));
}

fn merge_delete_insert(kind: Kind) {
    merge_three_loads(kind, MergeStrategy::DeleteInsert);
}

fn merge_upsert(kind: Kind) {
    merge_three_loads(kind, MergeStrategy::Upsert);
}

/// dlt allows a primary key the columns do not declare: its column comes from the records.
fn merge_on_an_undeclared_key(kind: Kind) {
    for strategy in [MergeStrategy::DeleteInsert, MergeStrategy::Upsert] {
        let db = db(kind);
        let plan = ResourceLoadPlan::new("demo", "users")
            .with_column("name", col(DataType::Text))
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(strategy)
            .with_primary_key(["id"]);
        load(
            &*db.dest,
            &plan,
            &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
            None,
        );
        let summary = load(
            &*db.dest,
            &plan,
            &[json!([{"id": 2, "name": "b2"}, {"id": 3, "name": "c"}])],
            None,
        );
        assert_eq!(summary.table_rows, 3, "{strategy:?}");
        assert_eq!(
            id_name(&*db.dest, "users"),
            pairs(&[(1, "a"), (2, "b2"), (3, "c")]),
            "{strategy:?}"
        );
    }
}

fn merge_compound_key(kind: Kind) {
    for strategy in [MergeStrategy::DeleteInsert, MergeStrategy::Upsert] {
        let db = db(kind);
        let plan = ResourceLoadPlan::new("demo", "members")
            .with_column("org", col(DataType::Text))
            .with_column("id", col(DataType::Bigint))
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(strategy)
            .with_primary_key(["org", "id"]);
        load(
            &*db.dest,
            &plan,
            &[json!([{"org": "x", "id": 1, "role": "a"}, {"org": "y", "id": 1, "role": "b"}])],
            None,
        );
        load(
            &*db.dest,
            &plan,
            &[
                json!([{"org": "y", "id": 1, "role": "b2"}, {"org": "x", "id": 2, "role": "c"}, {"org": "y", "id": 1, "role": "b3"}]),
            ],
            None,
        );
        load(
            &*db.dest,
            &plan,
            &[json!([{"org": "x", "id": 1, "role": "a2"}])],
            None,
        );
        let got = rows(
            &*db.dest,
            "SELECT org, id, role FROM members ORDER BY org, id",
        );
        assert_eq!(
            got,
            vec![
                vec![json!("x"), json!(1), json!("a2")],
                vec![json!("x"), json!(2), json!("c")],
                vec![json!("y"), json!(1), json!("b3")],
            ],
            "{strategy:?}"
        );
    }
}

fn merge_key_replaces_partition(kind: Kind) {
    let db = db(kind);
    // dlt's merge_key: rows whose day occurs in the load are replaced wholesale.
    let plan = ResourceLoadPlan::new("demo", "events")
        .with_disposition(Disposition::Merge)
        .with_merge_key(["day"]);
    load(
        &*db.dest,
        &plan,
        &[json!([{"day": "d1", "n": 1}, {"day": "d1", "n": 2}, {"day": "d2", "n": 3}])],
        None,
    );
    load(&*db.dest, &plan, &[json!([{"day": "d1", "n": 4}])], None);
    let got = rows(&*db.dest, "SELECT day, n FROM events ORDER BY n");
    assert_eq!(
        got,
        vec![vec![json!("d2"), json!(3)], vec![json!("d1"), json!(4)]]
    );
}

fn merge_without_key_appends(kind: Kind) {
    let db = db(kind);
    let plan = users_plan().with_disposition(Disposition::Merge);
    load(&*db.dest, &plan, &[json!([{"id": 1, "name": "a"}])], None);
    load(&*db.dest, &plan, &[json!([{"id": 1, "name": "a"}])], None);
    assert_eq!(count(&*db.dest, "users"), 2);
}

fn upsert_without_key_is_refused(kind: Kind) {
    let db = db(kind);
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_merge_strategy(MergeStrategy::Upsert);
    let err = db.dest.begin(&plan).err().unwrap();
    assert_eq!(
        err.to_string(),
        "table `users`: merge strategy `upsert` needs a primary_key"
    );
}

fn nulls(kind: Kind) {
    let db = db(kind);
    let plan = users_plan().with_primary_key(["id"]).with_column(
        "email",
        Column {
            data_type: Some(DataType::Text),
            nullable: Some(false),
            ..Column::default()
        },
    );
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": null, "email": "e"}, {"id": 2, "email": "f", "age": null}])],
        None,
    );
    let got = rows(&*db.dest, "SELECT id, name, email FROM users ORDER BY id");
    assert_eq!(
        got,
        vec![
            vec![json!(1), Value::Null, json!("e")],
            vec![json!(2), Value::Null, json!("f")]
        ]
    );
    // A field that is only ever null gets no column.
    let err = db.dest.query_rows("SELECT age FROM users").err().unwrap();
    assert!(err.to_string().contains("age"), "{err}");

    let mut writer = db.dest.begin(&plan).unwrap();
    let err = writer
        .write_batch(&[json!({"name": "x", "email": "e"})])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `users`: column `id` is null or missing in a record, but it is part of the primary key"
    );
    drop(writer);
    let mut writer = db.dest.begin(&plan).unwrap();
    let err = writer
        .write_batch(&[json!({"id": 3, "email": null})])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `users`: column `email` is null or missing in a record, but the spec declares it `nullable: false`"
    );
    drop(writer);
    assert_eq!(count(&*db.dest, "users"), 2);
}

/// A column declared `data_type: json` keeps its value whole, as does everything at
/// `max_table_nesting: 0`; undeclared nested data is flattened (see tests/shapes.rs).
fn nested_json_round_trip(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "devices")
        .with_column("id", col(DataType::Text))
        .with_column(
            "capableUsers",
            Column {
                data_type: Some(DataType::Json),
                items: Some(Box::new(col(DataType::Text))),
                ..Column::default()
            },
        )
        .with_max_table_nesting(0);
    let owner =
        json!({"name": "Ada", "tags": ["x", {"deep": [1, 2.5, null, true]}], "n": 12345678901_i64});
    let users = json!(["u1", "u2"]);
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": "d1", "capableUsers": users, "owner": owner, "empty": {}}])],
        None,
    );
    let got = rows(&*db.dest, "SELECT capable_users, owner, empty FROM devices");
    let parse = |v: &Value| serde_json::from_str::<Value>(v.as_str().unwrap()).unwrap();
    assert_eq!(parse(&got[0][0]), users);
    assert_eq!(parse(&got[0][1]), owner);
    assert_eq!(parse(&got[0][2]), json!({}));
    let types = rows(
        &*db.dest,
        "SELECT column_name, data_type FROM _connector_columns WHERE table_name = 'devices' ORDER BY column_name",
    );
    assert!(
        types.contains(&vec![json!("owner"), json!("json")]),
        "{types:?}"
    );
    assert!(
        types.contains(&vec![json!("capable_users"), json!("json")]),
        "{types:?}"
    );
}

fn declared_types_round_trip(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "typed")
        .with_column("ts", col(DataType::Timestamp))
        .with_column("day", col(DataType::Date))
        .with_column("at", col(DataType::Time))
        .with_column(
            "price",
            Column {
                data_type: Some(DataType::Decimal),
                precision: Some(10),
                scale: Some(2),
                ..Column::default()
            },
        )
        .with_column("ratio", col(DataType::Double))
        .with_column("flag", col(DataType::Bool))
        .with_column("n", col(DataType::Bigint))
        .with_column("label", col(DataType::Text));
    load(
        &*db.dest,
        &plan,
        &[json!([{
            "ts": "2024-05-01T12:00:00+02:00", "day": "2024-05-01", "at": "10:30", "price": "12.50",
            "ratio": 0.25, "flag": true, "n": "42", "label": 7
        }])],
        None,
    );
    let got = rows(
        &*db.dest,
        // `at` is a keyword in DuckDB; the loader quotes every identifier, queries must too.
        "SELECT ts, day, \"at\", price, ratio, CAST(flag AS INTEGER), n, label FROM typed",
    );
    let r = &got[0];
    assert_eq!(r[0], json!("2024-05-01T10:00:00Z"));
    assert_eq!(r[1], json!("2024-05-01"));
    assert_eq!(r[2], json!("10:30:00"));
    assert_eq!(r[3].as_str().unwrap().parse::<f64>().unwrap(), 12.5);
    assert_eq!(r[4], json!(0.25));
    assert_eq!(r[5], json!(1));
    assert_eq!(r[6], json!(42));
    assert_eq!(r[7], json!("7"));
}

fn new_field_becomes_column(kind: Kind) {
    let db = db(kind);
    let plan = users_plan();
    let s1 = load(&*db.dest, &plan, &[json!([{"id": 1, "name": "a"}])], None);
    assert!(s1.new_columns.is_empty());
    let s2 = load(
        &*db.dest,
        &plan,
        &[
            json!([{"id": 2, "name": "b"}]),
            json!([{"id": 3, "name": "c", "email": "c@x", "score": 1.5, "active": false}]),
        ],
        None,
    );
    assert_eq!(s2.new_columns, vec!["email", "score", "active"]);
    let got = rows(
        &*db.dest,
        "SELECT id, email, score, CAST(active AS INTEGER) FROM users ORDER BY id",
    );
    assert_eq!(
        got,
        vec![
            vec![json!(1), Value::Null, Value::Null, Value::Null],
            vec![json!(2), Value::Null, Value::Null, Value::Null],
            vec![json!(3), json!("c@x"), json!(1.5), json!(0)],
        ]
    );
    // The inferred types are remembered: a later string in `score` goes to a variant column.
    let s3 = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 4, "score": "high"}])],
        None,
    );
    assert_eq!(s3.new_columns, vec!["score__v_text"]);
    let got = rows(
        &*db.dest,
        "SELECT score, score__v_text FROM users WHERE id = 4",
    );
    assert_eq!(got, vec![vec![Value::Null, json!("high")]]);
}

/// Under a frozen schema contract, what would evolve is an error naming table, column and
/// value (and the spec line, when the plan knows it); the writer then refuses more work.
fn type_conflict_names_table_column_and_types(kind: Kind) {
    let db = db(kind);
    let frozen = SchemaContract {
        data_type: ContractMode::Freeze,
        ..SchemaContract::default()
    };
    let mut plan = users_plan().with_schema_contract(frozen);
    plan.lines.insert("id".into(), 12);
    let mut writer = db.dest.begin(&plan).unwrap();
    let err = writer
        .write_batch(&[json!({"id": "abc", "name": "a"})])
        .unwrap_err();
    assert!(matches!(err, Error::Contract { .. }));
    assert_eq!(
        err.to_string(),
        "table `users`: column `id` is bigint and a record has a string value (\"abc\") that does \
         not fit, but the schema contract freezes data_type (spec line 12); nothing was loaded \
         (set `schema_contract` to `evolve`, `discard_row` or `discard_value` to let such \
         records through)"
    );
    let err = writer.write_batch(&[json!({"id": 1})]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the load of table `users` failed earlier and was rolled back; begin a new load"
    );
    let err = writer.commit(None).unwrap_err();
    assert!(matches!(err, Error::WriterFailed { .. }));

    // New columns of an existing table, under `columns: freeze`.
    load(
        &*db.dest,
        &users_plan(),
        &[json!([{"id": 1, "name": "a"}])],
        None,
    );
    let plan = users_plan().with_schema_contract(SchemaContract {
        columns: ContractMode::Freeze,
        ..SchemaContract::default()
    });
    let mut writer = db.dest.begin(&plan).unwrap();
    let err = writer
        .write_batch(&[json!({"id": 2, "email": "x@y"})])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `users`: a record has the new column `email`, but the schema contract freezes \
         columns; nothing was loaded (set `schema_contract` to `evolve`, `discard_row` or \
         `discard_value` to let such records through)"
    );
    drop(writer);

    // A table the destination does not have, under `tables: freeze`.
    let plan = ResourceLoadPlan::new("demo", "nums").with_schema_contract(SchemaContract {
        tables: ContractMode::Freeze,
        ..SchemaContract::default()
    });
    let mut writer = db.dest.begin(&plan).unwrap();
    let err = writer.write_batch(&[json!({"n": 1})]).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "table `nums`: the destination has no such table yet, but the schema contract freezes tables"
        ),
        "{err}"
    );
    drop(writer);

    let mut writer = db
        .dest
        .begin(&ResourceLoadPlan::new("demo", "nums"))
        .unwrap();
    let err = writer.write_batch(&[json!([1, 2])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `nums`: a record is a JSON array, not an object"
    );
}

fn declared_type_against_existing_table(kind: Kind) {
    let db = db(kind);
    load(
        &*db.dest,
        &users_plan(),
        &[json!([{"id": 1, "name": "a"}])],
        None,
    );
    let changed = ResourceLoadPlan::new("demo", "users").with_column("id", col(DataType::Text));
    let err = db.dest.begin(&changed).err().unwrap();
    assert_eq!(
        err.to_string(),
        "schema conflict in table `users`, column `id`: the spec declares text but the existing table has bigint \
         (drop the table or fix the column hint)"
    );
}

fn failed_load_leaves_previous_tables_and_state(kind: Kind) {
    let db = db(kind);
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    let s1 = json!({"last_value": "2024-01-01"});
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
        Some(s1.clone()),
    );
    let before = id_name(&*db.dest, "users");

    // Dropped mid-way, after two staged batches (one with a new column).
    let mut writer = db.dest.begin(&plan).unwrap();
    writer
        .write_batch(&[json!({"id": 1, "name": "changed"})])
        .unwrap();
    writer
        .write_batch(&[json!({"id": 5, "name": "new", "extra": 1})])
        .unwrap();
    assert_eq!(writer.records(), 2);
    drop(writer);
    assert_eq!(id_name(&*db.dest, "users"), before);
    assert_eq!(db.dest.state("demo", "users").unwrap(), Some(s1.clone()));
    assert!(db.dest.query_rows("SELECT extra FROM users").is_err());

    // An error injected in the second batch: commit is refused, nothing changes.
    let mut writer = db.dest.begin(&plan).unwrap();
    writer
        .write_batch(&[json!({"id": 2, "name": "changed"})])
        .unwrap();
    writer
        .write_batch(&[json!({"id": "not a number"})])
        .unwrap_err();
    writer
        .commit(Some(json!({"last_value": "2099-01-01"})))
        .unwrap_err();
    assert_eq!(id_name(&*db.dest, "users"), before);
    assert_eq!(db.dest.state("demo", "users").unwrap(), Some(s1));

    let statuses = rows(
        &*db.dest,
        "SELECT status, COUNT(*) FROM _connector_loads GROUP BY status ORDER BY status",
    );
    assert_eq!(
        statuses,
        vec![
            vec![json!("completed"), json!(1)],
            vec![json!("failed"), json!(2)]
        ]
    );
    // No staging table is left behind.
    let leftovers = rows(&*db.dest, kind.staging_tables_sql());
    assert_eq!(leftovers[0][0], json!(0));

    // The re-run loads the rest.
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 2, "name": "b2"}, {"id": 3, "name": "c"}])],
        Some(json!({"last_value": "2024-02-01"})),
    );
    assert_eq!(
        id_name(&*db.dest, "users"),
        pairs(&[(1, "a"), (2, "b2"), (3, "c")])
    );
    assert_eq!(
        db.dest.state("demo", "users").unwrap(),
        Some(json!({"last_value": "2024-02-01"}))
    );
}

fn state_read_back(kind: Kind) {
    let db = db(kind);
    assert_eq!(db.dest.state("demo", "users").unwrap(), None);
    let state = json!({"last_value": "2024-05-01T00:00:00Z", "per_parent": {"u1": 3, "u2": "x"}});
    load(
        &*db.dest,
        &users_plan(),
        &[json!([{"id": 1}])],
        Some(state.clone()),
    );
    assert_eq!(db.dest.state("demo", "users").unwrap(), Some(state.clone()));
    assert_eq!(db.dest.state("demo", "other").unwrap(), None);
    assert_eq!(db.dest.state("other", "users").unwrap(), None);
    // `None` keeps the stored state; the run counts still update.
    load(
        &*db.dest,
        &users_plan(),
        &[json!([{"id": 2}, {"id": 3}])],
        None,
    );
    assert_eq!(db.dest.state("demo", "users").unwrap(), Some(state));
    let last = rows(
        &*db.dest,
        "SELECT last_records, table_rows FROM _connector_state WHERE resource = 'users'",
    );
    assert_eq!(last, vec![vec![json!(2), json!(3)]]);
    // State survives reopening the file.
    let url = db.url.clone();
    drop(db.dest);
    let dest = open_destination(&url).unwrap();
    assert!(dest.state("demo", "users").unwrap().is_some());
    drop(db.dir);
}

fn skip_and_full_refresh(kind: Kind) {
    let db = db(kind);
    let skip = users_plan().with_disposition(Disposition::Skip);
    let s = load(
        &*db.dest,
        &skip,
        &[json!([{"id": 1}])],
        Some(json!({"k": 1})),
    );
    assert_eq!((s.records, s.table_rows), (1, 0));
    assert!(db.dest.query_rows("SELECT * FROM users").is_err());
    assert_eq!(
        db.dest.state("demo", "users").unwrap(),
        Some(json!({"k": 1}))
    );

    let merge = users_plan()
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    load(
        &*db.dest,
        &merge,
        &[json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])],
        None,
    );
    let s = load(
        &*db.dest,
        &merge.clone().with_full_refresh(true),
        &[json!([{"id": 3, "name": "c"}])],
        None,
    );
    assert_eq!(s.disposition, "replace");
    assert_eq!(id_name(&*db.dest, "users"), pairs(&[(3, "c")]));
}

fn concurrent_writers(kind: Kind) {
    let db = db(kind);
    let dest: std::sync::Arc<dyn Destination> = std::sync::Arc::from(db.dest);
    let handles: Vec<_> = (0..3)
        .map(|t| {
            let dest = std::sync::Arc::clone(&dest);
            std::thread::spawn(move || {
                let plan =
                    ResourceLoadPlan::new("demo", format!("r{t}")).with_table(format!("t{t}"));
                let mut writer = dest.begin(&plan).unwrap();
                for b in 0..5 {
                    let batch: Vec<Value> = (0..100).map(|i| json!({"b": b, "i": i})).collect();
                    writer.write_batch(&batch).unwrap();
                }
                writer.commit(Some(json!({"t": t}))).unwrap()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().table_rows, 500);
    }
    for t in 0..3 {
        assert_eq!(count(&*dest, &format!("t{t}")), 500);
        assert_eq!(
            dest.state("demo", &format!("r{t}")).unwrap(),
            Some(json!({"t": t}))
        );
    }
}

const KILL_ENV: &str = "CONNECTOR_LOAD_KILL_URL";

/// The child half of `killed_process_*`: stages a batch, then dies without unwinding.
#[test]
#[ignore = "run by the kill tests in a child process"]
fn kill_child_process() {
    let Ok(url) = std::env::var(KILL_ENV) else {
        return;
    };
    let dest = open_destination(&url).unwrap();
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    let mut writer = dest.begin(&plan).unwrap();
    writer
        .write_batch(&[
            json!({"id": 1, "name": "half"}),
            json!({"id": 9, "name": "half"}),
        ])
        .unwrap();
    std::process::abort();
}

fn killed_process_leaves_last_commit(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let url = kind.url(dir.path());
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    {
        let dest = open_destination(&url).unwrap();
        load(
            &*dest,
            &plan,
            &[json!([{"id": 1, "name": "a"}])],
            Some(json!({"last_value": 1})),
        );
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(KILL_ENV, &url)
        .status()
        .unwrap();
    assert!(!status.success());
    let dest = open_destination(&url).unwrap();
    assert_eq!(id_name(&*dest, "users"), pairs(&[(1, "a")]));
    assert_eq!(
        dest.state("demo", "users").unwrap(),
        Some(json!({"last_value": 1}))
    );
    let running = rows(
        &*dest,
        "SELECT COUNT(*) FROM _connector_loads WHERE status = 'running'",
    );
    assert_eq!(running[0][0], json!(1));
    // The next run's lock finds the killed load and marks it abandoned. SQLite stages in the
    // connection's temporary tables, which died with the process; DuckDB's staging tables
    // are in the file and the lock drops them.
    let run_lock = dest.lock("demo", "rerun", Duration::ZERO).unwrap();
    let recovered = run_lock.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].resources, ["users"]);
    let load_id = &recovered[0].load_id;
    let what = match kind {
        Kind::Delta => {
            assert!(recovered[0].dropped_tables.is_empty(), "{recovered:?}");
            "no staging tables were left".to_owned()
        }
        Kind::Sqlite => {
            assert!(recovered[0].dropped_tables.is_empty(), "{recovered:?}");
            let left = rows(
                &*dest,
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '_connector_staging%'",
            );
            assert_eq!(left[0][0], json!(0));
            "no staging tables were left".to_owned()
        }
        _ => {
            let staging = format!("_connector_staging__demo__users__{load_id}");
            assert_eq!(recovered[0].dropped_tables, std::slice::from_ref(&staging));
            format!("dropped its staging tables: {staging}")
        }
    };
    assert_eq!(
        recovered[0].to_string(),
        format!(
            "load {load_id} did not finish (killed?); marked `abandoned` in _connector_loads: \
             users; {what}"
        )
    );
    let abandoned = rows(
        &*dest,
        "SELECT COUNT(*) FROM _connector_loads WHERE status = 'abandoned'",
    );
    assert_eq!(abandoned[0][0], json!(1));
    drop(run_lock);
    // The re-run from the stored state loads everything once.
    load(
        &*dest,
        &plan,
        &[json!([{"id": 1, "name": "a2"}, {"id": 2, "name": "b"}])],
        Some(json!({"last_value": 2})),
    );
    assert_eq!(id_name(&*dest, "users"), pairs(&[(1, "a2"), (2, "b")]));
    assert_eq!(
        dest.state("demo", "users").unwrap(),
        Some(json!({"last_value": 2}))
    );
}

/// One run of a connector at a time: a second lock names the holder, waits, and gets the lock
/// once the first is released; a dropped lock leaves no row.
fn run_lock_names_the_holder_and_waits(kind: Kind) {
    let db = db(kind);
    let first = db.dest.lock("demo", "load-a", Duration::ZERO).unwrap();
    assert!(first.recovered().is_empty());
    let err = db
        .dest
        .lock("demo", "load-b", Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    let message = err.to_string();
    let expected = format!(
        "another run is loading connector `demo` into this destination: load load-a (pid {} on {}, started ",
        std::process::id(),
        connector_load::host_name()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(
        message.contains("; waited 0s (`--wait-lock SECONDS` waits longer"),
        "{message}"
    );
    // Another connector is not held up.
    drop(db.dest.lock("other", "load-c", Duration::ZERO).unwrap());
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(400));
            drop(first);
        });
        let second = db
            .dest
            .lock("demo", "load-b", Duration::from_secs(10))
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(350));
        drop(second);
    });
    assert_eq!(
        rows(&*db.dest, "SELECT COUNT(*) FROM _connector_locks")[0][0],
        json!(0)
    );
}

/// The shards of a partitioned run hold locks of their own (`demo#K/N`) and run at once; a
/// whole run, a shard of another N or the same shard again overlaps them and is refused.
/// Taking a lock recovers a killed shard's load, never a live shard's.
fn shard_locks_run_at_once_and_exclude_what_overlaps(kind: Kind) {
    let db = db(kind);
    let zero = db.dest.lock("demo#0/2", "load-0", Duration::ZERO).unwrap();
    // Shard 0 is loading, its rows staged; a killed run of shard 1 left a running load with
    // staging, and its lock row (its process is gone: pid 0 is never alive).
    let mut live = db.dest.begin(&users_plan().with_load_id("load-0")).unwrap();
    live.write_batch(&[json!({"id": 1, "name": "a"})]).unwrap();
    let mut killed = db
        .dest
        .begin(&users_plan().with_load_id("load-dead"))
        .unwrap();
    killed
        .write_batch(&[json!({"id": 2, "name": "b"})])
        .unwrap();
    std::mem::forget(killed);
    rows(
        &*db.dest,
        &format!(
            "INSERT INTO _connector_locks (connector, load_id, pid, host, started_at) \
             VALUES ('demo#1/2', 'load-dead', 0, '{}', NULL)",
            connector_load::host_name()
        ),
    );
    // Shard 1 takes over its dead lock, recovers the dead load, and leaves shard 0's alone.
    let one = db.dest.lock("demo#1/2", "load-1", Duration::ZERO).unwrap();
    let recovered: Vec<(&str, &[String])> = one
        .recovered()
        .iter()
        .map(|r| (r.load_id.as_str(), r.resources.as_slice()))
        .collect();
    assert_eq!(recovered, [("load-dead", &["users".to_owned()][..])]);
    // A first load stages in the file on every database (its staging may become the table;
    // SQLite's later loads stage in the connection's temporary tables, which no other run
    // sees), and only the dead load's staging is dropped.
    assert_eq!(
        one.recovered()[0].dropped_tables,
        ["_connector_staging__demo__users__load-dead"]
    );
    for (key, load_id) in [
        ("demo", "whole"),
        ("demo#0/4", "other-n"),
        ("demo#0/2", "again"),
    ] {
        let err = db.dest.lock(key, load_id, Duration::ZERO).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{key}: {err:?}");
    }
    // Shard 0's staging survived: it commits.
    let summary = live.commit(None).unwrap();
    assert_eq!(summary.table_rows, 1);
    assert_eq!(id_name(&*db.dest, "users"), pairs(&[(1, "a")]));
    drop((zero, one));
    let whole = db.dest.lock("demo", "whole", Duration::ZERO).unwrap();
    assert!(whole.recovered().is_empty(), "{:?}", whole.recovered());
    drop(whole);
    let statuses = rows(
        &*db.dest,
        "SELECT load_id, status FROM _connector_loads ORDER BY load_id",
    );
    assert_eq!(
        statuses,
        [
            vec![json!("load-0"), json!("completed")],
            vec![json!("load-dead"), json!("abandoned")]
        ]
    );
}

/// A table the loader did not make is refused, named, untouched; adopting it works.
fn foreign_table_is_refused_unless_adopted(kind: Kind) {
    let db = db(kind);
    // A table connector has no record of, as one made by another tool: a loaded table whose
    // `_connector_columns` rows are deleted (`query_rows` runs any statement).
    load(
        &*db.dest,
        &users_plan(),
        &[json!([{"id": 1, "name": "x"}])],
        None,
    );
    rows(
        &*db.dest,
        "DELETE FROM _connector_columns WHERE table_name = 'users'",
    );
    let err = db.dest.begin(&users_plan()).err().unwrap();
    assert_eq!(
        err.to_string(),
        "table `users` already exists and was not made by connector (it is not in \
         `_connector_columns`); refusing to add columns to it or replace, merge or append its \
         rows. Pass `--adopt-tables` to load into it anyway, or set the resource's `table_name`"
    );
    assert!(db.dest.check_table(&users_plan()).is_err());
    assert_eq!(count(&*db.dest, "users"), 1);
    let adopted = users_plan().with_adopt_table(true);
    db.dest.check_table(&adopted).unwrap();
    load(
        &*db.dest,
        &adopted,
        &[json!([{"id": 2, "name": "y"}])],
        None,
    );
    assert_eq!(count(&*db.dest, "users"), 2);
    db.dest.check_table(&users_plan()).unwrap();
}

/// `stored_state` lists the last load and state; `reset_state` clears the state only.
fn stored_state_and_reset(kind: Kind) {
    let db = db(kind);
    let plan = users_plan();
    load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "a"}])],
        Some(json!({"last_value": 1})),
    );
    let s = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 2, "name": "b"}])],
        Some(json!({"last_value": 2, "per_parent": {"p1": 2}})),
    );
    let stored = db.dest.stored_state("demo").unwrap();
    assert_eq!(stored.len(), 1);
    let last = stored[0].last_load.as_ref().unwrap();
    assert_eq!(
        (
            last.load_id.as_str(),
            last.status.as_str(),
            last.records,
            last.table_rows
        ),
        (s.load_id.as_str(), "completed", 1, 2)
    );
    assert_eq!(
        stored[0].state,
        Some(json!({"last_value": 2, "per_parent": {"p1": 2}}))
    );
    assert_eq!(
        db.dest
            .reset_state("demo", Some(&["other".to_owned()]))
            .unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(db.dest.reset_state("demo", None).unwrap(), ["users"]);
    assert_eq!(db.dest.state("demo", "users").unwrap(), None);
    assert_eq!(db.dest.stored_state("demo").unwrap()[0].state, None);
    assert_eq!(count(&*db.dest, "users"), 2);
}

/// Rows land in the order they arrived, each deduplicated key where its last version came:
/// tables read without `ORDER BY` list them so. Enough rows to span several of DuckDB's row
/// groups and threads.
fn merged_rows_keep_arrival_order(kind: Kind) {
    let db = db(kind);
    // Ids in a scrambled order; every tenth id comes again later with a new name.
    let ids: Vec<i64> = (0..20_000_i64).map(|i| (i * 7_919) % 20_000).collect();
    let first = ids.iter().map(|id| (*id, format!("first {id}")));
    let again = ids
        .iter()
        .filter(|id| *id % 10 == 0)
        .map(|id| (*id, format!("again {id}")));
    let arrived: Vec<(i64, String)> = first.clone().chain(again.clone()).collect();
    let expected: Vec<(i64, String)> = first.filter(|(id, _)| id % 10 != 0).chain(again).collect();
    let batches: Vec<Value> = arrived
        .chunks(3_000)
        .map(|chunk| {
            json!(chunk
                .iter()
                .map(|(id, name)| json!({"id": id, "name": name}))
                .collect::<Vec<_>>())
        })
        .collect();

    for (table, strategy) in [
        ("users", MergeStrategy::DeleteInsert),
        ("users_upsert", MergeStrategy::Upsert),
    ] {
        let plan = users_plan()
            .with_table(table)
            .with_disposition(Disposition::Merge)
            .with_primary_key(["id"])
            .with_merge_strategy(strategy);
        load(&*db.dest, &plan, &batches, None);
        let got: Vec<(i64, String)> = rows(&*db.dest, &format!("SELECT id, name FROM \"{table}\""))
            .into_iter()
            .map(|r| (r[0].as_i64().unwrap(), r[1].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got.len(), expected.len(), "{strategy:?}");
        assert!(got == expected, "{strategy:?}: rows out of arrival order");
    }
}

/// The key index of a merged table, built once the first load's rows are in (cheaper than
/// keeping it up to date row by row): on every key column in order, and still there after
/// a second merge that adds a column.
fn merge_key_is_indexed(kind: Kind) {
    let db = db(kind);
    let plan = users_plan()
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id", "name"]);
    let first: Vec<Value> = (0..3000)
        .map(|id| json!({"id": id, "name": format!("n{}", id % 3)}))
        .collect();
    load(&*db.dest, &plan, &[Value::Array(first)], None);
    assert_eq!(
        rows(&*db.dest, kind.key_index_sql()),
        vec![vec![json!("id,name")]]
    );
    let s2 = load(
        &*db.dest,
        &plan,
        &[json!([{"id": 1, "name": "n1", "v": 2}, {"id": 5000, "name": "n0"}])],
        None,
    );
    assert_eq!((s2.records, s2.table_rows), (2, 3001));
    assert_eq!(
        rows(&*db.dest, kind.key_index_sql()),
        vec![vec![json!("id,name")]]
    );
}

/// A merge skips looking for repeated keys only when the keys only increased; keys the
/// database holds equal are still merged once: an integer key that comes again as a float
/// (the column widens to double), and text that comes again in a later batch. A dropped
/// repeat's child rows go with it.
fn merge_finds_the_repeats_key_order_cannot_rule_out(kind: Kind) {
    for strategy in [MergeStrategy::DeleteInsert, MergeStrategy::Upsert] {
        let db = db(kind);
        let plan = ResourceLoadPlan::new("demo", "items")
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(strategy)
            .with_primary_key(["id"]);
        let summary = load(
            &*db.dest,
            &plan,
            &[
                json!([{"id": 1, "name": "a", "tags": ["x"]}, {"id": 2, "name": "b", "tags": ["y", "z"]}]),
                json!([{"id": 2.0, "name": "b2", "tags": ["w"]}]),
            ],
            None,
        );
        assert_eq!(
            (summary.records, summary.table_rows),
            (3, 2),
            "{strategy:?}"
        );
        assert_eq!(
            rows(&*db.dest, "SELECT name FROM items ORDER BY name"),
            vec![vec![json!("a")], vec![json!("b2")]],
            "{strategy:?}"
        );
        assert_eq!(
            rows(&*db.dest, "SELECT value FROM items__tags ORDER BY value"),
            vec![vec![json!("w")], vec![json!("x")]],
            "{strategy:?}"
        );

        let plan = plan.with_table("codes").with_primary_key(["code"]);
        let summary = load(
            &*db.dest,
            &plan,
            &[
                json!([{"code": "a", "n": 1}, {"code": "b", "n": 2}]),
                json!([{"code": "c", "n": 3}, {"code": "b", "n": 4}]),
            ],
            None,
        );
        assert_eq!(
            (summary.records, summary.table_rows),
            (4, 3),
            "{strategy:?}"
        );
        assert_eq!(
            rows(&*db.dest, "SELECT code, n FROM codes ORDER BY code"),
            vec![
                vec![json!("a"), json!(1)],
                vec![json!("b"), json!(4)],
                vec![json!("c"), json!(3)]
            ],
            "{strategy:?}"
        );
    }
}

/// SQLite: a first load whose keys only increase is staged in the file and its staging
/// becomes the table (no copy at the commit): the rows in arrival order, the key `NOT NULL`,
/// the child table linked, nothing staged left in the file or the temporary tables. Its
/// next load (keys out of order) stages in the temporary tables and merges as ever.
#[test]
fn sqlite_first_load_becomes_its_tables() {
    let db = db(Kind::Sqlite);
    let plan = ResourceLoadPlan::new("demo", "items")
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    let batch = |ids: std::ops::Range<i64>| {
        Value::Array(
            ids.map(|id| json!({"id": id, "name": format!("n{id}"), "tags": [id]}))
                .collect(),
        )
    };
    let staged_in = |schema: &str| {
        rows(
            &*db.dest,
            &format!("SELECT COUNT(*) FROM {schema} WHERE name LIKE '%staging%'"),
        )[0][0]
            .clone()
    };
    let mut writer = db.dest.begin(&plan).unwrap();
    writer
        .write_batch(batch(0..1000).as_array().unwrap())
        .unwrap();
    assert_eq!(
        (staged_in("sqlite_master"), staged_in("sqlite_temp_master")),
        (json!(2), json!(0)),
        "a first load stages in the file"
    );
    writer
        .write_batch(batch(1000..2500).as_array().unwrap())
        .unwrap();
    let summary = writer.commit(None).unwrap();
    assert_eq!(summary.table_rows, 2500);
    let ids: Vec<Value> = rows(&*db.dest, "SELECT id FROM items")
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect();
    assert_eq!(ids, (0..2500).map(|i| json!(i)).collect::<Vec<_>>());
    assert_eq!(
        rows(
            &*db.dest,
            "SELECT name, \"notnull\" FROM pragma_table_info('items') \
             WHERE name IN ('id', 'name', '_dlt_id') ORDER BY name"
        ),
        vec![
            vec![json!("_dlt_id"), json!(1)],
            vec![json!("id"), json!(1)],
            vec![json!("name"), json!(0)]
        ]
    );
    assert_eq!(
        rows(
            &*db.dest,
            "SELECT COUNT(*) FROM items__tags AS c JOIN items AS p ON c._dlt_parent_id = p._dlt_id \
             AND c.value = p.id"
        ),
        vec![vec![json!(2500)]]
    );
    let staged = "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%staging%') \
                  + (SELECT COUNT(*) FROM sqlite_temp_master WHERE name LIKE '%staging%')";
    assert_eq!(rows(&*db.dest, staged), vec![vec![json!(0)]]);

    let mut writer = db.dest.begin(&plan).unwrap();
    writer
        .write_batch(&[
            json!({"id": 5, "name": "five", "tags": []}),
            json!({"id": 3000, "name": "new", "tags": [1]}),
            json!({"id": 1, "name": "one", "tags": [9]}),
        ])
        .unwrap();
    assert_eq!(
        (staged_in("sqlite_master"), staged_in("sqlite_temp_master")),
        (json!(0), json!(2)),
        "a later load stages in the temporary tables"
    );
    let summary = writer.commit(None).unwrap();
    assert_eq!(summary.table_rows, 2501);
    assert_eq!(
        rows(
            &*db.dest,
            "SELECT name FROM items WHERE id IN (1, 5, 3000) ORDER BY id"
        ),
        vec![vec![json!("one")], vec![json!("five")], vec![json!("new")]]
    );
    assert_eq!(
        rows(&*db.dest, "SELECT COUNT(*) FROM items__tags"),
        vec![vec![json!(2500)]]
    );
    assert_eq!(rows(&*db.dest, staged), vec![vec![json!(0)]]);
}

macro_rules! destination_tests {
    ($module:ident, $kind:expr; $($test:ident),* $(,)?) => {
        mod $module {
            $(
                #[test]
                fn $test() {
                    super::$test($kind);
                }
            )*
        }
    };
}

macro_rules! all_destination_tests {
    ($module:ident, $kind:expr) => {
        destination_tests!(
            $module, $kind;
            append_after_three_loads,
            replace_after_three_loads,
            merge_delete_insert,
            merge_upsert,
            merge_compound_key,
            merge_on_an_undeclared_key,
            merge_key_replaces_partition,
            merge_without_key_appends,
            merged_rows_keep_arrival_order,
            merge_finds_the_repeats_key_order_cannot_rule_out,
            upsert_without_key_is_refused,
            nulls,
            nested_json_round_trip,
            declared_types_round_trip,
            new_field_becomes_column,
            type_conflict_names_table_column_and_types,
            declared_type_against_existing_table,
            failed_load_leaves_previous_tables_and_state,
            state_read_back,
            skip_and_full_refresh,
            concurrent_writers,
            killed_process_leaves_last_commit,
            run_lock_names_the_holder_and_waits,
            shard_locks_run_at_once_and_exclude_what_overlaps,
            foreign_table_is_refused_unless_adopted,
            stored_state_and_reset,
        );
    };
}

all_destination_tests!(sqlite, crate::Kind::Sqlite);
destination_tests!(sqlite_index, crate::Kind::Sqlite; merge_key_is_indexed);
#[cfg(feature = "postgres")]
destination_tests!(postgres_index, crate::Kind::Postgres; merge_key_is_indexed);
#[cfg(feature = "duckdb")]
all_destination_tests!(duckdb, crate::Kind::DuckDb);
#[cfg(feature = "postgres")]
all_destination_tests!(postgres, crate::Kind::Postgres);
// Delta tables have no row order (the arrival-order test), no lock rows and no SQL that
// writes (the lock and foreign-table tests); tests/delta.rs tests those, and reads every table back with an
// independent reader.
#[cfg(feature = "delta")]
destination_tests!(
    delta, crate::Kind::Delta;
    append_after_three_loads,
    replace_after_three_loads,
    merge_delete_insert,
    merge_upsert,
    merge_compound_key,
    merge_on_an_undeclared_key,
    merge_key_replaces_partition,
    merge_without_key_appends,
    merge_finds_the_repeats_key_order_cannot_rule_out,
    upsert_without_key_is_refused,
    nulls,
    nested_json_round_trip,
    declared_types_round_trip,
    new_field_becomes_column,
    type_conflict_names_table_column_and_types,
    declared_type_against_existing_table,
    failed_load_leaves_previous_tables_and_state,
    state_read_back,
    skip_and_full_refresh,
    concurrent_writers,
    killed_process_leaves_last_commit,
    stored_state_and_reset,
);
