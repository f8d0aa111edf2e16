//! The Delta destination, read back by an independent reader (the `deltalake` Python
//! package, tests/support/delta.rs): dispositions with child tables, schema evolution, a
//! process killed half way through a commit, foreign tables, run locks and four shards
//! committing at once, each on local disk and on a real S3-compatible server (moto) on
//! 127.0.0.1. The behaviour every destination shares is tested on Delta too, by
//! tests/destinations.rs.

#![cfg(feature = "delta")]

#[path = "support/delta.rs"]
mod reader;

use std::process::Command;
use std::time::Duration;

use connector_load::{open_destination, Destination, Error, ResourceLoadPlan};
use connector_spec::{Disposition, MergeStrategy};
use reader::Lake;
use serde_json::{json, Value};

/// Tests of a lake (`fn(&Lake)`), each run on local disk (`local::NAME`) and on the S3
/// server (`s3::NAME`).
macro_rules! on_both_lakes {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[test]
            fn $name() {
                super::$name(&super::Lake::local());
            })*
        }
        mod s3 {
            $(#[test]
            fn $name() {
                super::$name(&super::Lake::s3(stringify!($name)));
            })*
        }
    };
}

on_both_lakes!(
    every_disposition_read_back_by_deltalake,
    a_new_column_and_a_widened_type_evolve_the_table,
    a_table_connector_did_not_make_is_refused_unless_adopted,
    run_locks_name_the_holder_and_shards_run_at_once,
    a_commit_killed_between_tables_is_reverted_by_the_next_run,
    four_concurrent_shards_end_exact,
);

/// Table files are written in row groups of at most 64k rows, as the staging files are:
/// Parquet's default of a million rows per group is buffered whole while a file is written.
#[test]
fn table_files_are_written_in_row_groups_of_64k_rows() {
    let lake = Lake::local();
    let dest = open_destination(&lake.url()).unwrap();
    let records: Vec<Value> = (0..70_000)
        .map(|id| json!({"id": id, "name": format!("n{id}")}))
        .collect();
    let mut writer = dest.begin(&plan(Disposition::Merge)).unwrap();
    for chunk in records.chunks(10_000) {
        writer.write_batch(chunk).unwrap();
    }
    writer.commit(None).unwrap();
    let groups = reader::row_groups(&format!("{}/demo/users", lake.root));
    let sizes: Vec<u64> = groups.iter().flatten().copied().collect();
    assert_eq!(sizes.iter().sum::<u64>(), 70_000, "{groups:?}");
    assert!(sizes.iter().all(|&n| n <= 65_536), "{groups:?}");
}

/// Users with a nested object (flattened) and a list (the child table `users__tags`).
fn users(list: &[(i64, &str, &[&str])]) -> Vec<Value> {
    list.iter()
        .map(|(id, name, tags)| {
            json!({"id": id, "name": name, "seen": "2024-05-01T10:00:00Z",
                   "address": {"city": format!("c{id}")}, "tags": tags})
        })
        .collect()
}

fn plan(disposition: Disposition) -> ResourceLoadPlan {
    ResourceLoadPlan::new("demo", "users")
        .with_primary_key(["id"])
        .with_disposition(disposition)
}

fn load(dest: &dyn Destination, plan: &ResourceLoadPlan, records: &[Value], state: Option<Value>) {
    let mut writer = dest.begin(plan).unwrap();
    writer.write_batch(records).unwrap();
    writer.commit(state).unwrap();
}

/// The rows of `users` (id, name, address__city) and `users__tags` (value), as the
/// reader sees them.
fn read_users(lake: &Lake) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    read_table(lake, "users")
}

/// [`read_users`] of the table `table` (and `<table>__tags`).
fn read_table(lake: &Lake, table: &str) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let users = lake.read(&format!("demo/{table}"));
    let tags = lake.read(&format!("demo/{table}__tags"));
    (
        users.values(&["id", "name", "address__city"]),
        tags.values(&["value"]),
    )
}

fn row(id: i64, name: &str) -> Vec<Value> {
    vec![json!(id), json!(name), json!(format!("c{id}"))]
}

fn tags(list: &[&str]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = list.iter().map(|t| vec![json!(t)]).collect();
    out.sort_by_key(|r| serde_json::to_string(r).unwrap());
    out
}

/// Append, replace and every merge strategy, child tables included.
fn every_disposition_read_back_by_deltalake(lake: &Lake) {
    let dest = open_destination(&lake.url()).unwrap();
    load(
        &*dest,
        &plan(Disposition::Append),
        &users(&[(1, "a", &["x", "y"])]),
        None,
    );
    load(
        &*dest,
        &plan(Disposition::Append),
        &users(&[(2, "b", &["z"])]),
        None,
    );
    let (rows, child) = read_users(lake);
    assert_eq!(rows, vec![row(1, "a"), row(2, "b")]);
    assert_eq!(child, tags(&["x", "y", "z"]));
    let read = lake.read("demo/users");
    assert_eq!(read.type_of("id"), "int64");
    assert_eq!(read.type_of("seen"), "timestamp[us, tz=UTC]");
    assert_eq!(read.type_of("address__city"), "string");
    assert_eq!(read.description.as_deref(), Some("made by connector"));
    let child = lake.read("demo/users__tags");
    for column in ["value", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"] {
        assert_ne!(child.type_of(column), "<missing>", "{:?}", child.schema);
    }

    // Replace swaps every table's rows.
    load(
        &*dest,
        &plan(Disposition::Replace),
        &users(&[(3, "c", &["w"])]),
        None,
    );
    assert_eq!(read_users(lake), (vec![row(3, "c")], tags(&["w"])));

    // Merges (into a table of their own: child rows carry `_dlt_root_id` only when the
    // resource merges). delete-insert: the record for 3 replaces the row and its child rows;
    // the last of two records with one key wins.
    let merge = plan(Disposition::Merge).with_table("members");
    load(&*dest, &merge, &users(&[(3, "c", &["w"])]), None);
    load(
        &*dest,
        &merge,
        &users(&[(3, "c-old", &["v1"]), (3, "c2", &["v2"]), (4, "d", &[])]),
        None,
    );
    assert_eq!(
        read_table(lake, "members"),
        (vec![row(3, "c2"), row(4, "d")], tags(&["v2"]))
    );
    // A merge that replaces nothing (a new key only) leaves the other rows' children.
    load(&*dest, &merge, &users(&[(7, "g", &["t7"])]), None);
    load(
        &*dest,
        &merge.clone().with_merge_key(["id"]),
        &users(&[(7, "g", &[])]),
        None,
    );
    assert_eq!(
        read_table(lake, "members"),
        (vec![row(3, "c2"), row(4, "d"), row(7, "g")], tags(&["v2"]))
    );
    // upsert updates in place (Delta MERGE) and inserts the rest.
    let upsert = merge.clone().with_merge_strategy(MergeStrategy::Upsert);
    load(
        &*dest,
        &upsert,
        &users(&[(4, "d2", &["t4"]), (5, "e", &["t5"])]),
        None,
    );
    assert_eq!(
        read_table(lake, "members"),
        (
            vec![row(3, "c2"), row(4, "d2"), row(5, "e"), row(7, "g")],
            tags(&["v2", "t4", "t5"])
        )
    );
    // insert-only keeps existing rows and their children.
    let insert_only = merge.with_merge_strategy(MergeStrategy::InsertOnly);
    load(
        &*dest,
        &insert_only,
        &users(&[(5, "e2", &["no"]), (6, "f", &["t6"])]),
        None,
    );
    assert_eq!(
        read_table(lake, "members"),
        (
            vec![
                row(3, "c2"),
                row(4, "d2"),
                row(5, "e"),
                row(6, "f"),
                row(7, "g")
            ],
            tags(&["v2", "t4", "t5", "t6"])
        )
    );
}

fn a_new_column_and_a_widened_type_evolve_the_table(lake: &Lake) {
    let dest = open_destination(&lake.url()).unwrap();
    let plan = ResourceLoadPlan::new("demo", "metrics");
    load(&*dest, &plan, &[json!({"id": 1, "v": 1})], None);
    let before = lake.read("demo/metrics");
    assert_eq!(before.type_of("v"), "int64");
    let mut writer = dest.begin(&plan).unwrap();
    writer
        .write_batch(&[json!({"id": 2, "v": 2.5, "note": "new"})])
        .unwrap();
    let summary = writer.commit(None).unwrap();
    assert_eq!(summary.new_columns, ["note"]);
    let after = lake.read("demo/metrics");
    assert_eq!(after.type_of("v"), "double");
    assert_eq!(after.type_of("note"), "string");
    assert_eq!(
        after.values(&["id", "v", "note"]),
        vec![
            vec![json!(1), json!(1.0), Value::Null],
            vec![json!(2), json!(2.5), json!("new")]
        ]
    );
    // The loader's own types survive in the Delta schema: the next load sees a double.
    load(&*dest, &plan, &[json!({"id": 3, "v": 7})], None);
    let last = lake.read("demo/metrics");
    assert_eq!(last.type_of("v"), "double");
    assert_eq!(last.rows.len(), 3);
}

fn a_table_connector_did_not_make_is_refused_unless_adopted(lake: &Lake) {
    reader::write_foreign(&format!("{}/demo/users", lake.root), &lake.env);
    let dest = open_destination(&lake.url()).unwrap();
    let plan = ResourceLoadPlan::new("demo", "users");
    let err = dest.begin(&plan).err().unwrap();
    assert!(matches!(err, Error::ForeignTable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "table `users` already exists and was not made by connector (its Delta description \
         is not \"made by connector\"); refusing to add columns to it or replace, merge or \
         append its rows. Pass `--adopt-tables` to load into it anyway, or set the resource's \
         `table_name`"
    );
    assert!(dest.check_table(&plan).is_err());
    let adopted = plan.with_adopt_table(true);
    load(&*dest, &adopted, &[json!({"id": 2, "name": "y"})], None);
    let read = lake.read("demo/users");
    assert_eq!(
        read.values(&["id", "name"]),
        vec![vec![json!(1), json!("x")], vec![json!(2), json!("y")]]
    );
}

fn run_locks_name_the_holder_and_shards_run_at_once(lake: &Lake) {
    let dest = open_destination(&lake.url()).unwrap();
    let first = dest.lock("demo", "load-a", Duration::ZERO).unwrap();
    let err = dest
        .lock("demo", "load-b", Duration::from_millis(300))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "another run is loading connector `demo` into this destination: load load-a (pid {} on ",
            std::process::id()
        )),
        "{message}"
    );
    // A shard overlaps the whole run.
    assert!(dest.lock("demo#0/2", "load-s", Duration::ZERO).is_err());
    drop(first);
    let zero = dest.lock("demo#0/2", "load-0", Duration::ZERO).unwrap();
    let one = dest.lock("demo#1/2", "load-1", Duration::ZERO).unwrap();
    assert!(dest.lock("demo#1/2", "load-again", Duration::ZERO).is_err());
    assert!(dest
        .lock("demo#0/3", "load-other-n", Duration::ZERO)
        .is_err());
    drop((zero, one));
    drop(dest.lock("demo", "load-c", Duration::ZERO).unwrap());
}

/// The child half of the kill test is given the lake's URL and its load id in these.
const KILL_URL_ENV: &str = "CONNECTOR_DELTA_KILL_URL";
const KILL_LOAD_ENV: &str = "CONNECTOR_DELTA_KILL_LOAD";

/// The child half of the kill test: a merge whose commit stops (the process aborts) after the
/// child table's commits, before the root table's.
#[test]
#[ignore = "run by the kill test in a child process"]
fn kill_child_process() {
    let (Ok(url), Ok(load_id)) = (std::env::var(KILL_URL_ENV), std::env::var(KILL_LOAD_ENV)) else {
        return;
    };
    let dest = open_destination(&url).unwrap();
    let _lock = dest.lock("demo", &load_id, Duration::ZERO).unwrap();
    let plan = plan(Disposition::Merge).with_load_id(load_id);
    load(
        &*dest,
        &plan,
        &users(&[(1, "half", &["h1"]), (9, "half", &["h9"])]),
        Some(json!({"last_value": 9})),
    );
    unreachable!("the commit aborts the process");
}

fn a_commit_killed_between_tables_is_reverted_by_the_next_run(lake: &Lake) {
    // The load id names the staging directory the kill leaves: one per lake, as the local
    // and the S3 test run at once.
    let killed = format!(
        "killed-{}",
        if lake.env.is_empty() { "local" } else { "s3" }
    );
    let dest = open_destination(&lake.url()).unwrap();
    let merge = plan(Disposition::Merge);
    load(
        &*dest,
        &merge,
        &users(&[(1, "a", &["t1"])]),
        Some(json!({"last_value": 1})),
    );
    drop(dest);
    // The child inherits the S3 server's variables from this process.
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill_child_process", "--ignored", "--nocapture"])
        .env(KILL_URL_ENV, lake.url())
        .env(KILL_LOAD_ENV, &killed)
        .env("CONNECTOR_DELTA_ABORT", "root")
        .status()
        .unwrap();
    assert!(!status.success());
    // The child tables got their commits; the root and the state did not.
    let (rows, child) = read_users(lake);
    assert_eq!(rows, vec![row(1, "a")]);
    assert_eq!(child, tags(&["h1", "h9"]));
    let dest = open_destination(&lake.url()).unwrap();
    assert_eq!(
        dest.state("demo", "users").unwrap(),
        Some(json!({"last_value": 1}))
    );
    let spools = || -> Vec<String> {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("connector-delta-{killed}-")))
            .collect()
    };
    assert_eq!(
        spools().len(),
        1,
        "the kill leaves the load's staging directory"
    );
    // The next run's lock reverts the killed load's commits.
    let lock = dest.lock("demo", "rerun", Duration::ZERO).unwrap();
    let recovered = lock.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].load_id, killed);
    assert_eq!(recovered[0].resources, ["users"]);
    assert_eq!(recovered[0].reverted_tables, ["users__tags"]);
    assert!(
        recovered[0]
            .to_string()
            .ends_with("; no staging tables were left; reverted its commits to: users__tags"),
        "{}",
        recovered[0]
    );
    assert_eq!(read_users(lake), (vec![row(1, "a")], tags(&["t1"])));
    // Its staging directory, left in the temporary directory by the kill, is gone too.
    assert_eq!(spools(), Vec::<String>::new());
    let statuses = dest
        .query_rows(&format!(
            "SELECT status FROM _connector_loads WHERE load_id = '{killed}'"
        ))
        .unwrap();
    assert_eq!(statuses, vec![vec![json!("abandoned")]]);
    // The re-run loads what the killed one did, once.
    load(
        &*dest,
        &merge,
        &users(&[(1, "a2", &["t1b"]), (9, "i", &["t9"])]),
        Some(json!({"last_value": 9})),
    );
    assert_eq!(
        read_users(lake),
        (vec![row(1, "a2"), row(9, "i")], tags(&["t1b", "t9"]))
    );
    assert_eq!(
        dest.state("demo", "users").unwrap(),
        Some(json!({"last_value": 9}))
    );
}

/// Four shards of one run merge into the same tables at once, each holding its own lock:
/// Delta's optimistic concurrency retries the commits that conflict, and the tables end with
/// every shard's rows exactly once.
fn four_concurrent_shards_end_exact(lake: &Lake) {
    let url = lake.url();
    std::thread::scope(|scope| {
        for k in 0..4i64 {
            let url = url.clone();
            scope.spawn(move || {
                let dest = open_destination(&url).unwrap();
                let load_id = format!("load-{k}");
                let _lock = dest.lock(&format!("demo#{k}/4"), &load_id, Duration::ZERO).unwrap();
                // As a sync does: the load runs under the id its lock names.
                let plan = ResourceLoadPlan::new("demo", format!("users#{k}/4"))
                    .with_load_id(load_id)
                    .with_table("users")
                    .with_primary_key(["id"])
                    .with_disposition(Disposition::Merge);
                let records: Vec<Value> = (0..25)
                    .map(|i| {
                        let id = k * 100 + i;
                        json!({"id": id, "name": format!("n{id}"), "address": {"city": format!("c{id}")}, "tags": [format!("t{id}")]})
                    })
                    .collect();
                load(&*dest, &plan, &records, Some(json!({"shard": k})));
            });
        }
    });
    let (rows, child) = read_users(lake);
    let mut expected: Vec<Vec<Value>> = (0..4)
        .flat_map(|k| (0..25).map(move |i| k * 100 + i))
        .map(|id| vec![json!(id), json!(format!("n{id}")), json!(format!("c{id}"))])
        .collect();
    expected.sort_by_key(|r| serde_json::to_string(r).unwrap());
    assert_eq!(rows, expected);
    assert_eq!(child.len(), 100);
    let dest = open_destination(&url).unwrap();
    for k in 0..4 {
        assert_eq!(
            dest.state("demo", &format!("users#{k}/4")).unwrap(),
            Some(json!({"shard": k}))
        );
    }
}
