//! Partitioned runs (`connector sync --partition K/N`): real `connector` processes, N at a
//! time, against the demo server's bench API, into one destination.
//!
//! Every test body takes the destination URL, so the same bodies run on any destination:
//! `mod sqlite` runs them on a SQLite file (where the shards' write transactions serialize
//! on the database's single writer); a server destination adds a module calling them with
//! its URL (each call needs an empty database or schema of its own).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[cfg(feature = "postgres")]
#[path = "../../connector-load/tests/support/postgres.rs"]
mod pg;

use connector_demo_server::{DemoConfig, DemoServer};
use connector_load::open_destination;
use serde_json::{json, Value};

const SHARDS: u32 = 4;
const PARENTS: u64 = 120;
const CHILDREN_PER_PARENT: u64 = 5;
/// 30 pages of 100, the last one half full: not divisible by 4.
const ITEMS: u64 = 2950;

/// Parents (incremental, page_number with a total) each with 5 children (append, so a child
/// loaded twice shows as a duplicate row), and a single-page `replace` resource, which cannot
/// be split and runs in shard 0.
const FAMILY_SPEC: &str = "
name: family
client:
  base_url: http://127.0.0.1:1/bench
resources:
  - name: parents
    primary_key: id
    write_disposition: merge
    endpoint:
      path: /parents
      data_selector: parents
      paginator:
        type: page_number
        page_param: page
        limit: 10
        limit_param: page_size
        total_path: total
      incremental:
        cursor_path: updated_at
        initial_value: '2000-01-01T00:00:00Z'
  - name: children
    write_disposition: append
    endpoint:
      path: /parents/{parent_id}/children
      data_selector: children
      paginator: single_page
      params:
        parent_id: { type: resolve, resource: parents, field: id }
  - name: first_items
    write_disposition: replace
    endpoint:
      path: /items
      data_selector: items
      paginator: single_page
      params: { page_size: 7 }
";

/// The bench items by offset and limit, with the total in every response; appended, so an
/// item loaded twice shows.
const ITEMS_SPEC: &str = "
name: items
client:
  base_url: http://127.0.0.1:1/bench
resources:
  - name: items
    write_disposition: append
    endpoint:
      path: /items
      data_selector: items
      paginator:
        type: offset
        limit: 100
        offset_param: offset
        limit_param: limit
        total_path: total
";

struct Bench {
    dir: tempfile::TempDir,
    server: DemoServer,
}

impl Bench {
    fn start(latency: Duration, items: u64) -> Bench {
        let server = DemoServer::start_in_thread(DemoConfig {
            bench_records: items,
            bench_parents: PARENTS,
            bench_children_per_parent: CHILDREN_PER_PARENT,
            latency,
            ..DemoConfig::default()
        });
        Bench {
            dir: tempfile::tempdir().unwrap(),
            server,
        }
    }

    fn spec(&self, file: &str, yaml: &str) -> PathBuf {
        let path = self.dir.path().join(file);
        std::fs::write(&path, yaml).unwrap();
        path
    }

    /// `connector sync SPEC --destination URL` against the bench API, with `args`.
    fn sync(&self, spec: &Path, url: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connector"));
        cmd.current_dir(self.dir.path())
            .arg("sync")
            .arg(spec)
            .args(["--destination", url, "--progress", "quiet"])
            .arg("--base-url")
            .arg(self.server.url("/bench"))
            .args(args)
            .env_remove("JOB_COMPLETION_INDEX");
        cmd
    }

    /// Shard `k` of [`SHARDS`], started, writing its report to `report-K.json`.
    fn spawn_shard(&self, spec: &Path, url: &str, k: u32) -> Child {
        let partition = format!("{k}/{SHARDS}");
        let report = format!("report-{k}.json");
        self.sync(spec, url, &["--partition", &partition, "--report", &report])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn report(&self, k: u32) -> Value {
        let path = self.dir.path().join(format!("report-{k}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Runs every shard at once; their outputs, in shard order.
    fn all_shards(&self, spec: &Path, url: &str) -> Vec<Output> {
        let children: Vec<Child> = (0..SHARDS)
            .map(|k| self.spawn_shard(spec, url, k))
            .collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    }

    fn wait_for_requests(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.server.stats().total_requests < n {
            assert!(Instant::now() < deadline, "no requests came");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn described(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_ok(outs: &[Output]) {
    for (k, out) in outs.iter().enumerate() {
        assert_eq!(out.status.code(), Some(0), "shard {k}: {}", described(out));
    }
}

fn rows(url: &str, sql: &str) -> Vec<Vec<Value>> {
    open_destination(url).unwrap().query_rows(sql).unwrap()
}

/// `(count, distinct ids)` of a table.
fn counts(url: &str, table: &str) -> (Value, Value) {
    let row = &rows(
        url,
        &format!("SELECT COUNT(*), COUNT(DISTINCT id) FROM {table}"),
    )[0];
    (row[0].clone(), row[1].clone())
}

/// The state keys stored for `connector`, sorted.
fn state_keys(url: &str, connector: &str) -> Vec<String> {
    rows(
        url,
        &format!(
            "SELECT resource FROM _connector_state WHERE connector = '{connector}' ORDER BY resource"
        ),
    )
    .into_iter()
    .map(|r| r[0].as_str().unwrap().to_owned())
    .collect()
}

/// Whether the loads of `resource`'s shards all ran at once: each started before any
/// finished (none waited for another's lock for its whole run).
fn ran_at_once(url: &str, resource: &str) -> bool {
    let row = &rows(
        url,
        &format!(
            "SELECT MAX(started_at), MIN(finished_at), COUNT(*) FROM _connector_loads \
             WHERE resource LIKE '{resource}#%' AND status = 'completed'"
        ),
    )[0];
    assert_eq!(row[2], json!(SHARDS), "{row:?}");
    row[0].as_str().unwrap() < row[1].as_str().unwrap()
}

fn no_staging_or_locks_left(url: &str) {
    let dest = open_destination(url).unwrap();
    // A Delta destination stages on local disk: no load may be left unfinished.
    let staging = dest
        .query_rows("SELECT COUNT(*) FROM _connector_loads WHERE status = 'running'")
        .ok()
        .filter(|_| url.starts_with("delta:"))
        .map_or_else(|| staging_tables(&*dest), Ok)
        .unwrap();
    assert_eq!(staging[0][0], json!(0), "staging tables left");
    let locks = dest
        .query_rows("SELECT COUNT(*) FROM _connector_locks")
        .unwrap();
    assert_eq!(locks[0][0], json!(0));
}

/// The staging tables of a SQL destination (in the current schema).
fn staging_tables(
    dest: &dyn connector_load::Destination,
) -> connector_load::Result<Vec<Vec<Value>>> {
    dest.query_rows("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '_connector_staging%'")
        .or_else(|_| {
            dest.query_rows(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() \
                 AND table_name LIKE '_connector_staging%'",
            )
        })
}

/// The `resource` of each entry of a report's list.
fn resource_names(list: &Value) -> Vec<&str> {
    let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| e["resource"].as_str())
        .collect()
}

/// Pages take 200 ms, so each shard runs for seconds: long beside the spread of four process
/// starts on a loaded machine, which `ran_at_once` must not mistake for serialised shards.
fn four_shards_of_a_parent_child_spec(url: &str) {
    let bench = Bench::start(Duration::from_millis(200), ITEMS);
    let spec = bench.spec("family.yaml", FAMILY_SPEC);
    let outs = bench.all_shards(&spec, url);
    assert_ok(&outs);
    let children = PARENTS * CHILDREN_PER_PARENT;
    assert_eq!(counts(url, "parents"), (json!(PARENTS), json!(PARENTS)));
    assert_eq!(counts(url, "children"), (json!(children), json!(children)));
    assert_eq!(counts(url, "first_items"), (json!(7), json!(7)));
    assert!(ran_at_once(url, "children"), "the shards did not overlap");

    // Every parent went to exactly one shard's children, as the report says.
    let mut taken = 0;
    for k in 0..SHARDS {
        let report = bench.report(k);
        assert_eq!(report["partition"], json!(format!("{k}/{SHARDS}")));
        let child = report["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "children")
            .unwrap();
        let share = child["share"].as_str().unwrap();
        let (n, of) = share
            .rsplit_once('(')
            .and_then(|(_, n)| n.trim_end_matches(')').split_once(" of "))
            .unwrap_or_else(|| panic!("{share}"));
        assert_eq!(of, PARENTS.to_string(), "{share}");
        let n: u64 = n.parse().unwrap();
        assert_eq!(child["records"], json!(n * CHILDREN_PER_PARENT), "{share}");
        assert!(n > 0 && n < PARENTS, "shard {k} took {n} parents");
        taken += n;
        let stderr = String::from_utf8_lossy(&outs[k as usize].stderr);
        let names = resource_names(&report["resources"]);
        if k == 0 {
            // Shard 0 loads what cannot be split.
            assert_eq!(names, ["parents", "children", "first_items"], "{report}");
            assert!(report.get("skipped").is_none(), "{report}");
        } else {
            assert_eq!(names, ["children"], "{report}");
            let skipped = resource_names(&report["skipped"]);
            assert_eq!(skipped, ["parents", "first_items"], "{report}");
            assert!(
                stderr.contains(&format!(
                    "note: shard {k}/{SHARDS} does not load `first_items`: it runs in shard 0 \
                     only, since its `single_page` paginator cannot be split"
                )),
                "{stderr}"
            );
            assert!(
                stderr.contains(
                    "does not load `parents`: it runs in shard 0 only, since it feeds `children`"
                ),
                "{stderr}"
            );
        }
    }
    assert_eq!(taken, PARENTS);

    // State per shard: the children's, and the parents' window in every shard (only shard 0
    // loads the parents, but each shard's children follow its own parent window).
    let mut expected: Vec<String> = Vec::new();
    for resource in ["children", "first_items", "parents"] {
        for k in 0..SHARDS {
            if resource == "first_items" && k > 0 {
                continue;
            }
            expected.push(format!("{resource}#{k}/{SHARDS}"));
        }
    }
    assert_eq!(state_keys(url, "family"), expected);
    let state = open_destination(url)
        .unwrap()
        .state("family", "parents#2/4")
        .unwrap()
        .unwrap();
    assert_eq!(
        state["last_value"],
        json!(connector_demo_server::data::timestamp(PARENTS as i64 * 60))
    );

    // `connector state` lists each shard's entry under its resource.
    let out = Command::new(env!("CARGO_BIN_EXE_connector"))
        .current_dir(bench.dir.path())
        .arg("state")
        .arg(&spec)
        .args(["--destination", url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", described(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    let firsts: Vec<&str> = listing
        .lines()
        // The title, a blank line, the header and its rule.
        .skip(4)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "parents",
            "parents#0/4",
            "parents#1/4",
            "parents#2/4",
            "parents#3/4",
            "children",
            "children#0/4",
            "children#1/4",
            "children#2/4",
            "children#3/4",
            "first_items",
            "first_items#0/4"
        ],
        "{listing}"
    );
    assert!(!listing.contains("not in spec"), "{listing}");

    // Run again: no parent is new in any shard's window, so no child is appended twice.
    let outs = bench.all_shards(&spec, url);
    assert_ok(&outs);
    assert_eq!(counts(url, "children"), (json!(children), json!(children)));
    assert_eq!(counts(url, "parents"), (json!(PARENTS), json!(PARENTS)));
    no_staging_or_locks_left(url);
}

/// The item ids of shard `k`'s pages, loaded by its report: `records`.
fn items_loaded(bench: &Bench, k: u32) -> u64 {
    bench.report(k)["resources"][0]["records"].as_u64().unwrap()
}

fn four_shards_of_an_offset_spec(url: &str) {
    let bench = Bench::start(Duration::from_millis(150), ITEMS);
    let spec = bench.spec("items.yaml", ITEMS_SPEC);
    let outs = bench.all_shards(&spec, url);
    assert_ok(&outs);
    assert_eq!(counts(url, "items"), (json!(ITEMS), json!(ITEMS)));
    assert!(ran_at_once(url, "items"), "the shards did not overlap");
    // 30 pages in 4 shards: 7, 8, 7, 8 pages; the last page holds 50 items.
    let loaded: Vec<u64> = (0..SHARDS).map(|k| items_loaded(&bench, k)).collect();
    assert_eq!(loaded, [700, 800, 700, 750]);
    // Each page was read once, and the first page once more by each shard but 0, for the
    // total.
    let pages = ITEMS.div_ceil(100);
    assert_eq!(
        bench.server.stats().total_requests,
        pages + u64::from(SHARDS) - 1
    );
    assert_eq!(
        state_keys(url, "items"),
        ["items#0/4", "items#1/4", "items#2/4", "items#3/4"]
    );
    for k in 0..SHARDS {
        let report = bench.report(k);
        assert_eq!(
            report["resources"][0]["share"],
            json!(format!("shard {k}/{SHARDS}: its share of the pages"))
        );
    }
    no_staging_or_locks_left(url);
}

/// Shard 2 killed mid-run, then re-run while the other shards still load: its recovery
/// leaves their staging alone, it loads only its own share, and the table ends exact.
fn a_killed_shard_is_rerun(url: &str) {
    let items = 20_000;
    let bench = Bench::start(Duration::from_millis(40), items);
    let spec = bench.spec("items.yaml", ITEMS_SPEC);
    let mut killed = bench.spawn_shard(&spec, url, 2);
    // Past its first staged batch of 1000 records.
    bench.wait_for_requests(16);
    killed.kill().unwrap();
    killed.wait().unwrap();
    let before = bench.server.stats().total_requests;
    let others: Vec<Child> = [0, 1, 3]
        .into_iter()
        .map(|k| bench.spawn_shard(&spec, url, k))
        .collect();
    // The others are loading (and staging) when shard 2 comes back.
    bench.wait_for_requests(before + 30);
    let rerun = bench.spawn_shard(&spec, url, 2).wait_with_output().unwrap();
    let mut outs: Vec<Output> = others
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    outs.push(rerun);
    assert_ok(&outs);
    assert_eq!(counts(url, "items"), (json!(items), json!(items)));
    // Shard 2 loaded its share only, and the four final loads add up to every item once.
    let loaded: Vec<u64> = (0..SHARDS).map(|k| items_loaded(&bench, k)).collect();
    assert_eq!(loaded, [5000, 5000, 5000, 5000]);
    // The killed load was found by whichever run took a lock next, and is abandoned.
    let notes: Vec<String> = outs
        .iter()
        .flat_map(|o| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| l.starts_with("note: load "))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("(pid {} on ", killed.id()))),
        "{notes:?}"
    );
    let statuses = rows(
        url,
        "SELECT resource, status FROM _connector_loads ORDER BY resource, status",
    );
    assert_eq!(
        statuses,
        [
            vec![json!("items#0/4"), json!("completed")],
            vec![json!("items#1/4"), json!("completed")],
            vec![json!("items#2/4"), json!("abandoned")],
            vec![json!("items#2/4"), json!("completed")],
            vec![json!("items#3/4"), json!("completed")],
        ]
    );
    no_staging_or_locks_left(url);
}

/// What a shard must not do, refused before anything is fetched.
fn a_shard_refuses_replace_and_full_refresh(url: &str) {
    let bench = Bench::start(Duration::ZERO, 100);
    let spec = bench.spec("items.yaml", &ITEMS_SPEC.replace("append", "replace"));
    let out = bench
        .sync(&spec, url, &["--partition", "1/2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", described(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: shard 1/2: resource `items` has write_disposition `replace`, but each shard \
         loads only part of it, and each shard's replace would delete the rows the other \
         shards loaded: use `write_disposition: merge` (with a primary_key) or `append` to run \
         it partitioned, or run it unpartitioned"
    );
    let spec = bench.spec("items.yaml", ITEMS_SPEC);
    let out = bench
        .sync(&spec, url, &["--partition", "0/2", "--full-refresh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", described(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(
            "error: shard 0/2: --full-refresh replaces every table's contents, and each shard \
             would delete the rows the other shards load"
        ),
        "{}",
        described(&out)
    );
    assert_eq!(bench.server.stats().total_requests, 0);
    // `0/1` is the whole run: replace is fine.
    let spec = bench.spec("items.yaml", &ITEMS_SPEC.replace("append", "replace"));
    let out = bench
        .sync(&spec, url, &["--partition", "0/1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", described(&out));
    assert_eq!(state_keys(url, "items"), ["items"]);
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("shards.db").display())
}

/// One `#[test]` per body, each on a destination of its own from `$url` (a function
/// returning a guard that keeps it, and its URL).
macro_rules! on_destination {
    ($url:path: $($body:ident),* $(,)?) => {
        $(
            #[test]
            fn $body() {
                let (_guard, url) = $url();
                super::$body(&url);
            }
        )*
    };
}

mod sqlite {
    use super::*;

    fn url() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(dir.path());
        (dir, url)
    }

    on_destination!(url:
        four_shards_of_a_parent_child_spec,
        four_shards_of_an_offset_spec,
        a_killed_shard_is_rerun,
        a_shard_refuses_replace_and_full_refresh,
    );
}

#[cfg(feature = "postgres")]
mod postgres {
    fn url() -> ((), String) {
        ((), super::pg::cluster().url(&super::pg::unique("shards")))
    }

    on_destination!(url:
        four_shards_of_a_parent_child_spec,
        four_shards_of_an_offset_spec,
        a_killed_shard_is_rerun,
        a_shard_refuses_replace_and_full_refresh,
    );
}

#[cfg(feature = "delta")]
mod delta {
    fn url() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("delta:{}", dir.path().join("lake").display());
        (dir, url)
    }

    on_destination!(url:
        four_shards_of_a_parent_child_spec,
        four_shards_of_an_offset_spec,
        a_killed_shard_is_rerun,
        a_shard_refuses_replace_and_full_refresh,
    );
}

#[test]
fn bad_partitions_are_refused_with_what_to_write() {
    let bench = Bench::start(Duration::ZERO, 100);
    let spec = bench.spec("items.yaml", ITEMS_SPEC);
    let url = sqlite_url(bench.dir.path());
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["--partition", "4/4"],
            None,
            "error: invalid value '4/4' for '--partition <K/N>': shard 4 does not exist in 4 \
             shards: K goes from 0 to 3 (as Kubernetes' JOB_COMPLETION_INDEX)",
        ),
        (
            &["--partition", "0/0"],
            None,
            "error: invalid value '0/0' for '--partition <K/N>': a partition needs at least one \
             shard (N = 0 in `0/0`)",
        ),
        (
            &["--partition", "two/4"],
            None,
            "error: invalid value 'two/4' for '--partition <K/N>': `two/4` is not a partition: \
             write K/N with two whole numbers, the shard index K from 0 to N-1 (e.g. 0/4)",
        ),
        (
            &["--partition=-1/4"],
            None,
            "error: invalid value '-1/4' for '--partition <K/N>': `-1/4` is not a partition",
        ),
        (
            &["--partition-from-env", "4"],
            None,
            "error: JOB_COMPLETION_INDEX is not set: --partition-from-env reads the shard index \
             from it (a Kubernetes Indexed Job sets it in each pod); outside one, use \
             --partition K/N",
        ),
        (
            &["--partition-from-env", "4"],
            Some("x1"),
            "error: JOB_COMPLETION_INDEX is `x1`, not a shard index (a whole number from 0)",
        ),
        (
            &["--partition-from-env", "4"],
            Some("4"),
            "error: shard 4 does not exist in 4 shards: K goes from 0 to 3",
        ),
        (
            &["--partition-from-env", "0"],
            Some("0"),
            "error: invalid value '0' for '--partition-from-env <N>': 0 is not in 1..=4294967295",
        ),
        (
            &["--partition", "0/2", "--partition-from-env", "2"],
            Some("0"),
            "error: the argument '--partition <K/N>' cannot be used with '--partition-from-env <N>'",
        ),
    ];
    for (args, index, message) in cases {
        let mut cmd = bench.sync(&spec, &url, args);
        if let Some(index) = index {
            cmd.env("JOB_COMPLETION_INDEX", index);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", described(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
    }
    assert_eq!(bench.server.stats().total_requests, 0);
    assert!(!bench.dir.path().join("shards.db").exists());

    // The index from the environment, as a Kubernetes Indexed Job sets it.
    let out = bench
        .sync(&spec, &url, &["--partition-from-env", "2", "--report", "-"])
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", described(&out));
    assert_eq!(state_keys(&url, "items"), ["items#1/2"]);
}
