//! Table shapes and type drift through the normalizer, each body on a real SQLite file and
//! (with the `duckdb` feature) a real DuckDB file and (with the `postgres` feature) a real
//! PostgreSQL server (tests/support/postgres.rs), a schema per test: nested objects flattened, lists as child
//! tables, dlt's names, types that widen or get variant columns, merges and replaces that
//! reach child tables, and the schema contract's discards.

use connector_load::{open_destination, Destination, LoadSummary, ResourceLoadPlan};
use connector_spec::{
    ContractMode, Disposition, MergeOptions, MergeStrategy, Naming, SchemaContract,
};
use serde_json::{json, Value};
use tempfile::TempDir;

#[cfg(feature = "postgres")]
#[path = "support/postgres.rs"]
mod pg;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Sqlite,
    #[cfg_attr(not(feature = "duckdb"), allow(dead_code))]
    DuckDb,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

struct Db {
    _dir: TempDir,
    dest: Box<dyn Destination>,
}

fn db(kind: Kind) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = match kind {
        Kind::Sqlite => format!("sqlite:{}", dir.path().join("t.db").display()),
        Kind::DuckDb => format!("duckdb:{}", dir.path().join("t.duckdb").display()),
        Kind::Postgres => postgres_url(),
    };
    let dest = open_destination(&url).unwrap();
    Db { _dir: dir, dest }
}

#[cfg(feature = "postgres")]
fn postgres_url() -> String {
    pg::cluster().url(&pg::unique("shapes"))
}

#[cfg(not(feature = "postgres"))]
fn postgres_url() -> String {
    unreachable!("the postgres tests are compiled with the `postgres` feature only")
}

fn load(db: &Db, plan: &ResourceLoadPlan, batches: &[Value]) -> LoadSummary {
    let mut writer = db.dest.begin(plan).unwrap();
    for batch in batches {
        writer.write_batch(batch.as_array().unwrap()).unwrap();
    }
    writer.commit(None).unwrap()
}

fn rows(db: &Db, sql: &str) -> Vec<Vec<Value>> {
    db.dest.query_rows(sql).unwrap()
}

/// `(column, dlt type)` of a table as recorded, sorted by column.
fn columns(db: &Db, table: &str) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = rows(
        db,
        &format!(
            "SELECT column_name, data_type FROM _connector_columns WHERE table_name = '{table}'"
        ),
    )
    .into_iter()
    .map(|r| {
        (
            r[0].as_str().unwrap().to_owned(),
            r[1].as_str().unwrap().to_owned(),
        )
    })
    .collect();
    got.sort();
    got
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

fn user() -> Value {
    json!({
        "id": 1,
        "lastContactTime": "2024-05-01T10:00:00Z",
        "joined": "2024-05-01",
        "location": {"region": "eu", "geo": {"lat": 52.5}},
        "tags": ["a", "b"],
        "devices": [{"serialNo": "s1", "ports": [80, 443]}, {"serialNo": "s2", "ports": []}],
    })
}

fn shapes_like_dlt(kind: Kind) {
    let db = db(kind);
    let summary = load(
        &db,
        &ResourceLoadPlan::new("demo", "Users"),
        &[json!([user()])],
    );
    assert_eq!(summary.table, "users");
    assert_eq!(
        summary.child_tables,
        vec![
            ("users__tags".to_owned(), 2),
            ("users__devices".to_owned(), 2),
            ("users__devices__ports".to_owned(), 2),
        ]
    );
    assert_eq!(
        columns(&db, "users"),
        pairs(&[
            ("id", "bigint"),
            ("last_contact_time", "timestamp"),
            ("joined", "text"),
            ("location__region", "text"),
            ("location__geo__lat", "double"),
            ("_dlt_load_id", "text"),
            ("_dlt_id", "text"),
        ])
    );
    assert_eq!(
        columns(&db, "users__tags"),
        pairs(&[
            ("value", "text"),
            ("_dlt_parent_id", "text"),
            ("_dlt_list_idx", "bigint"),
            ("_dlt_id", "text"),
        ])
    );
    assert_eq!(
        columns(&db, "users__devices__ports"),
        pairs(&[
            ("value", "bigint"),
            ("_dlt_parent_id", "text"),
            ("_dlt_list_idx", "bigint"),
            ("_dlt_id", "text"),
        ])
    );
    // Rows link to their parents: every port's parent is a device of user 1.
    let got = rows(
        &db,
        "SELECT d.serial_no, p.value, p._dlt_list_idx FROM users AS u \
         JOIN users__devices AS d ON d._dlt_parent_id = u._dlt_id \
         JOIN users__devices__ports AS p ON p._dlt_parent_id = d._dlt_id \
         ORDER BY p._dlt_list_idx",
    );
    assert_eq!(
        got,
        vec![
            vec![json!("s1"), json!(80), json!(0)],
            vec![json!("s1"), json!(443), json!(1)]
        ]
    );
    let tags = rows(&db, "SELECT value FROM users__tags ORDER BY _dlt_list_idx");
    assert_eq!(tags, vec![vec![json!("a")], vec![json!("b")]]);
}

fn nesting_limit_keeps_json(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "users").with_max_table_nesting(1);
    let summary = load(&db, &plan, &[json!([user()])]);
    // One level: `location` is flattened, `location.geo` stays JSON; lists become child
    // tables whose own nested lists stay JSON.
    assert_eq!(
        summary.child_tables,
        vec![
            ("users__tags".to_owned(), 2),
            ("users__devices".to_owned(), 2)
        ]
    );
    let cols = columns(&db, "users");
    assert!(
        cols.contains(&("location__geo".to_owned(), "json".to_owned())),
        "{cols:?}"
    );
    let ports = rows(
        &db,
        "SELECT ports FROM users__devices ORDER BY _dlt_list_idx",
    );
    let parse = |v: &Value| serde_json::from_str::<Value>(v.as_str().unwrap()).unwrap();
    assert_eq!(parse(&ports[0][0]), json!([80, 443]));
}

fn types_drift_without_failing(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "items");
    // Across batches of one load, then across loads.
    load(
        &db,
        &plan,
        &[
            json!([{"id": 1, "v": 1, "s": 5, "n": null, "o": {"a": 1}, "l": [1]}]),
            json!([{"id": 2, "v": 1.5, "s": "five", "n": "now", "o": 7, "l": null}]),
        ],
    );
    let summary = load(
        &db,
        &plan,
        &[json!([{"id": 3, "v": 2, "s": 6, "n": "later"}])],
    );
    assert!(summary.new_columns.is_empty(), "{:?}", summary.new_columns);
    assert_eq!(
        columns(&db, "items"),
        pairs(&[
            ("id", "bigint"),
            ("v", "double"),
            ("s", "bigint"),
            ("s__v_text", "text"),
            ("n", "text"),
            ("o__a", "bigint"),
            ("o", "bigint"),
            ("_dlt_load_id", "text"),
            ("_dlt_id", "text"),
        ])
    );
    let got = rows(
        &db,
        "SELECT id, v, s, s__v_text, n, o__a, o FROM items ORDER BY id",
    );
    assert_eq!(
        got,
        vec![
            vec![
                json!(1),
                json!(1.0),
                json!(5),
                Value::Null,
                Value::Null,
                json!(1),
                Value::Null
            ],
            vec![
                json!(2),
                json!(1.5),
                Value::Null,
                json!("five"),
                json!("now"),
                Value::Null,
                json!(7)
            ],
            vec![
                json!(3),
                json!(2.0),
                json!(6),
                Value::Null,
                json!("later"),
                Value::Null,
                Value::Null
            ],
        ]
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM items__l"),
        vec![vec![json!(1)]]
    );

    // A run that starts on an existing bigint column widens it too.
    let db2 = self::db(kind);
    load(&db2, &plan, &[json!([{"v": 1}])]);
    load(&db2, &plan, &[json!([{"v": 2.25}])]);
    // (SQLite keeps the integer it stored as an integer; the column's type says double.)
    let got: Vec<f64> = rows(&db2, "SELECT v FROM items ORDER BY v")
        .iter()
        .map(|r| r[0].as_f64().unwrap())
        .collect();
    assert_eq!(got, vec![1.0, 2.25]);
    assert!(columns(&db2, "items").contains(&("v".to_owned(), "double".to_owned())));
}

/// A date column (declared by an earlier run) that meets a date-time in a later batch of a
/// load without the declaration becomes a timestamp column, the dates staged before read as
/// midnight UTC. PostgreSQL stages timestamps in their own type, so its staging column
/// changes type mid-load; timestamps keep their microseconds on every database.
fn dates_widen_to_timestamps_within_a_load(kind: Kind) {
    let db = db(kind);
    let mut declared = ResourceLoadPlan::new("demo", "items");
    declared.columns.insert(
        "d".to_owned(),
        serde_json::from_value(json!({"data_type": "date"})).unwrap(),
    );
    load(&db, &declared, &[json!([{"id": 1, "d": "2024-05-01"}])]);
    let plan = ResourceLoadPlan::new("demo", "items");
    load(
        &db,
        &plan,
        &[
            json!([{"id": 2, "d": "2024-06-01"}]),
            json!([{"id": 3, "d": "2024-06-01T10:30:00.123456+02:00"}]),
        ],
    );
    let got = columns(&db, "items");
    assert!(
        got.contains(&("d".to_owned(), "timestamp".to_owned())),
        "{got:?}"
    );
    // (SQLite keeps the text it stored, so its dates stay dates; the column's type says
    // timestamp, and they still sort before the same day's date-times.)
    let midnight = |date: &str| match kind {
        Kind::Sqlite => json!(date),
        _ => json!(format!("{date}T00:00:00Z")),
    };
    assert_eq!(
        rows(&db, "SELECT id, d FROM items ORDER BY id"),
        vec![
            vec![json!(1), midnight("2024-05-01")],
            vec![json!(2), midnight("2024-06-01")],
            vec![json!(3), json!("2024-06-01T08:30:00.123456Z")],
        ]
    );
}

fn naming_collisions_and_direct_names(kind: Kind) {
    let db = db(kind);
    let summary = load(
        &db,
        &ResourceLoadPlan::new("demo", "users"),
        &[json!([{"userId": 1}, {"user_id": 2}])],
    );
    assert_eq!(
        summary.warnings,
        vec![
            "table `users`: fields `userId` and `user_id` both become column `user_id` after \
             naming; their values share it (rename one with a column hint, or use `naming: \
             direct`)"
        ]
    );
    let direct = ResourceLoadPlan::new("demo", "people").with_naming(Naming::Direct);
    load(
        &db,
        &direct,
        &[json!([{"userId": 1, "home": {"zipCode": "x"}}])],
    );
    let cols = columns(&db, "people");
    assert!(
        cols.contains(&("userId".to_owned(), "bigint".to_owned())),
        "{cols:?}"
    );
    assert!(
        cols.contains(&("home▶zipCode".to_owned(), "text".to_owned())),
        "{cols:?}"
    );
}

fn merge_and_replace_reach_child_tables(kind: Kind) {
    for strategy in [MergeStrategy::DeleteInsert, MergeStrategy::Upsert] {
        let db = db(kind);
        let plan = ResourceLoadPlan::new("demo", "users")
            .with_primary_key(["id"])
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(strategy);
        load(
            &db,
            &plan,
            &[json!([{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": ["x"]}])],
        );
        // User 1 comes back twice in one load: the last wins, with its children only.
        load(
            &db,
            &plan,
            &[json!([{"id": 1, "tags": ["c", "d"]}, {"id": 1, "tags": ["e"]}])],
        );
        let got = rows(
            &db,
            "SELECT u.id, t.value FROM users AS u JOIN users__tags AS t \
             ON t._dlt_root_id = u._dlt_id ORDER BY u.id, t._dlt_list_idx",
        );
        assert_eq!(
            got,
            vec![vec![json!(1), json!("e")], vec![json!(2), json!("x")]],
            "{strategy:?}"
        );
        assert_eq!(
            rows(&db, "SELECT COUNT(*) FROM users__tags"),
            vec![vec![json!(2)]]
        );

        let replace = plan.clone().with_disposition(Disposition::Replace);
        load(&db, &replace, &[json!([{"id": 3}])]);
        assert_eq!(
            rows(&db, "SELECT COUNT(*) FROM users"),
            vec![vec![json!(1)]]
        );
        assert_eq!(
            rows(&db, "SELECT COUNT(*) FROM users__tags"),
            vec![vec![json!(0)]]
        );
    }
}

fn insert_only_keeps_existing_rows(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "users")
        .with_primary_key(["id"])
        .with_disposition(Disposition::Merge)
        .with_merge_strategy(MergeStrategy::InsertOnly);
    load(
        &db,
        &plan,
        &[json!([{"id": 1, "name": "a", "tags": ["x"]}])],
    );
    load(
        &db,
        &plan,
        &[json!([
            {"id": 1, "name": "b", "tags": ["y"]},
            {"id": 2, "name": "c", "tags": ["z"]},
            {"id": 2, "name": "d", "tags": ["w"]}
        ])],
    );
    let got = rows(
        &db,
        "SELECT u.id, u.name, t.value FROM users AS u JOIN users__tags AS t \
         ON t._dlt_root_id = u._dlt_id ORDER BY u.id",
    );
    assert_eq!(
        got,
        vec![
            vec![json!(1), json!("a"), json!("x")],
            vec![json!(2), json!("c"), json!("z")]
        ]
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM users__tags"),
        vec![vec![json!(2)]]
    );
    let err = db
        .dest
        .begin(&plan.clone().with_primary_key(Vec::<String>::new()))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "table `users`: merge strategy `insert-only` needs a primary_key"
    );
}

fn scd2_keeps_history_over_three_runs(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "users")
        .with_disposition(Disposition::Merge)
        .with_merge_strategy(MergeStrategy::Scd2);
    let run = |batch: Value| {
        let s = load(&db, &plan, &[batch]);
        std::thread::sleep(std::time::Duration::from_millis(5));
        s
    };
    run(json!([{"id": 1, "v": "a", "tags": ["t1"]}, {"id": 2, "v": "b"}]));
    run(json!([{"id": 1, "v": "a2", "tags": ["t2"]}, {"id": 2, "v": "b"}]));
    run(json!([{"id": 2, "v": "b"}]));
    let got = rows(
        &db,
        "SELECT id, v, _dlt_valid_to IS NULL FROM users ORDER BY id, _dlt_valid_from",
    );
    let current = |v: &Value| v.as_bool().unwrap_or_else(|| v.as_i64() == Some(1));
    let got: Vec<(i64, String, bool)> = got
        .iter()
        .map(|r| {
            (
                r[0].as_i64().unwrap(),
                r[1].as_str().unwrap().to_owned(),
                current(&r[2]),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "a".to_owned(), false),
            (1, "a2".to_owned(), false),
            (2, "b".to_owned(), true)
        ]
    );
    // Each version keeps its children; the unchanged record was never copied.
    let tags = rows(
        &db,
        "SELECT u.v, t.value FROM users AS u JOIN users__tags AS t \
         ON t._dlt_parent_id = u._dlt_id ORDER BY u._dlt_valid_from",
    );
    assert_eq!(
        tags,
        vec![
            vec![json!("a"), json!("t1")],
            vec![json!("a2"), json!("t2")]
        ]
    );
    // A retired row's `_dlt_valid_to` is the `_dlt_valid_from` of the run that retired it.
    let boundaries = rows(
        &db,
        "SELECT COUNT(*) FROM users AS old JOIN users AS new \
         ON old._dlt_valid_to = new._dlt_valid_from WHERE old.id = 1 AND new.id = 1",
    );
    assert_eq!(boundaries, vec![vec![json!(1)]]);
}

fn scd2_options_name_the_columns_and_moments(kind: Kind) {
    let db = db(kind);
    let plan = |boundary: &str| {
        ResourceLoadPlan::new("demo", "users")
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(MergeStrategy::Scd2)
            .with_merge_options(MergeOptions {
                validity_column_names: Some(["valid_from".into(), "valid_to".into()]),
                active_record_timestamp: Some("9999-12-31".into()),
                boundary_timestamp: Some(boundary.into()),
                row_version_column_name: Some("version".into()),
                ..MergeOptions::default()
            })
    };
    load(
        &db,
        &plan("2024-01-01T00:00:00Z"),
        &[json!([{"id": 1, "v": "a", "version": "1a"}, {"id": 2, "v": "b", "version": "2a"}])],
    );
    // Versions identify a record's version on their own (like a hash of it). Record 1 changed
    // a field but not its version: it keeps its row. Record 2 has a new version: its row
    // retires at the boundary and a new one begins there.
    load(
        &db,
        &plan("2024-02-01"),
        &[json!([{"id": 1, "v": "a?", "version": "1a"}, {"id": 2, "v": "b2", "version": "2b"}])],
    );
    let got = rows(
        &db,
        "SELECT id, v, CAST(valid_from AS TEXT), CAST(valid_to AS TEXT) FROM users \
         ORDER BY id, valid_from",
    );
    // The date part is enough (every moment is midnight) and reads alike in both databases.
    let date = |v: &Value| v.as_str().unwrap()[..10].to_owned();
    let got: Vec<(i64, String, String, String)> = got
        .iter()
        .map(|r| {
            let (id, v) = (r[0].as_i64().unwrap(), r[1].as_str().unwrap().to_owned());
            (id, v, date(&r[2]), date(&r[3]))
        })
        .collect();
    let row =
        |id, v: &str, from: &str, to: &str| (id, v.to_owned(), from.to_owned(), to.to_owned());
    assert_eq!(
        got,
        vec![
            row(1, "a", "2024-01-01", "9999-12-31"),
            row(2, "b", "2024-01-01", "2024-02-01"),
            row(2, "b2", "2024-02-01", "9999-12-31"),
        ]
    );
    // A record without its version cannot be placed in history.
    let mut writer = db.dest.begin(&plan("2024-03-01")).unwrap();
    let err = writer.write_batch(&[json!({"id": 3})]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `users`: column `version` is null or missing in a record, but it is the \
         scd2 `row_version_column_name`"
    );
}

fn scd2_settings_that_cannot_work_are_refused(kind: Kind) {
    let db = db(kind);
    let refuse = |options: MergeOptions| {
        let plan = ResourceLoadPlan::new("demo", "users")
            .with_disposition(Disposition::Merge)
            .with_merge_strategy(MergeStrategy::Scd2)
            .with_merge_options(options);
        db.dest.begin(&plan).err().unwrap().to_string()
    };
    assert_eq!(
        refuse(MergeOptions {
            validity_column_names: Some(["at".into(), "At".into()]),
            ..MergeOptions::default()
        }),
        "table `users`: scd2's validity columns must differ; both are `at`"
    );
    assert_eq!(
        refuse(MergeOptions {
            boundary_timestamp: Some("last tuesday".into()),
            ..MergeOptions::default()
        }),
        "table `users`: scd2's `boundary_timestamp` is not an ISO date or \
         date-time: `last tuesday`"
    );
}

fn deduplicated_merge_keeps_every_staged_row(kind: Kind) {
    let db = db(kind);
    let plan = |deduplicated| {
        ResourceLoadPlan::new("demo", "users")
            .with_disposition(Disposition::Merge)
            .with_primary_key(["id"])
            .with_merge_options(MergeOptions {
                deduplicated,
                ..MergeOptions::default()
            })
    };
    let batch = json!([{"id": 1, "v": "a"}, {"id": 1, "v": "b"}]);
    load(&db, &plan(false), std::slice::from_ref(&batch));
    assert_eq!(rows(&db, "SELECT v FROM users"), vec![vec![json!("b")]]);
    // The user vouches the records are unique per key: nothing deduplicates them.
    load(&db, &plan(true), &[batch]);
    assert_eq!(
        rows(&db, "SELECT v FROM users ORDER BY v"),
        vec![vec![json!("a")], vec![json!("b")]]
    );
}

fn contract_discards_are_counted(kind: Kind) {
    let db = db(kind);
    let plan = ResourceLoadPlan::new("demo", "users");
    load(&db, &plan, &[json!([{"id": 1, "name": "a"}])]);
    let rows_plan = plan.clone().with_schema_contract(SchemaContract {
        columns: ContractMode::DiscardRow,
        ..SchemaContract::default()
    });
    let s = load(
        &db,
        &rows_plan,
        &[json!([{"id": 2, "email": "x"}, {"id": 3}])],
    );
    assert_eq!((s.records, s.discarded_rows, s.table_rows), (2, 1, 2));
    let values_plan = plan.with_schema_contract(SchemaContract {
        columns: ContractMode::DiscardValue,
        data_type: ContractMode::DiscardValue,
        ..SchemaContract::default()
    });
    let s = load(
        &db,
        &values_plan,
        &[json!([{"id": 4, "email": "x", "name": {"no": 1}}, {"id": "five"}])],
    );
    // `email` (a new column), `name__no` (a new column) and the text id that fits no column.
    assert_eq!((s.discarded_rows, s.discarded_values), (0, 3));
    assert_eq!(
        rows(&db, "SELECT id FROM users WHERE id IS NOT NULL ORDER BY id"),
        vec![vec![json!(1)], vec![json!(3)], vec![json!(4)]]
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM users WHERE id IS NULL"),
        vec![vec![json!(1)]]
    );
}

macro_rules! tests_for {
    ($module:ident, $kind:expr) => {
        mod $module {
            use super::*;
            #[test]
            fn shapes_like_dlt() {
                super::shapes_like_dlt($kind)
            }
            #[test]
            fn nesting_limit_keeps_json() {
                super::nesting_limit_keeps_json($kind)
            }
            #[test]
            fn types_drift_without_failing() {
                super::types_drift_without_failing($kind)
            }
            #[test]
            fn dates_widen_to_timestamps_within_a_load() {
                super::dates_widen_to_timestamps_within_a_load($kind)
            }
            #[test]
            fn naming_collisions_and_direct_names() {
                super::naming_collisions_and_direct_names($kind)
            }
            #[test]
            fn merge_and_replace_reach_child_tables() {
                super::merge_and_replace_reach_child_tables($kind)
            }
            #[test]
            fn insert_only_keeps_existing_rows() {
                super::insert_only_keeps_existing_rows($kind)
            }
            #[test]
            fn scd2_keeps_history_over_three_runs() {
                super::scd2_keeps_history_over_three_runs($kind)
            }
            #[test]
            fn scd2_options_name_the_columns_and_moments() {
                super::scd2_options_name_the_columns_and_moments($kind)
            }
            #[test]
            fn scd2_settings_that_cannot_work_are_refused() {
                super::scd2_settings_that_cannot_work_are_refused($kind)
            }
            #[test]
            fn deduplicated_merge_keeps_every_staged_row() {
                super::deduplicated_merge_keeps_every_staged_row($kind)
            }
            #[test]
            fn contract_discards_are_counted() {
                super::contract_discards_are_counted($kind)
            }
        }
    };
}

tests_for!(sqlite, Kind::Sqlite);
#[cfg(feature = "duckdb")]
tests_for!(duckdb, Kind::DuckDb);
#[cfg(feature = "postgres")]
tests_for!(postgres, Kind::Postgres);
