//! What only the PostgreSQL destination has, against a real server (the throwaway cluster of
//! tests/support/postgres.rs): every message a user sees for a bad URL, an unreachable
//! server, a failed login (the password never in it) or an unsupported `sslmode`; TLS; the
//! schema per connector; names longer than PostgreSQL keeps; concurrent first opens; staging
//! gathered over many batches, and a staging transaction the server refuses.
#![cfg(feature = "postgres")]

#[path = "support/postgres.rs"]
mod pg;

use std::time::Duration;

use connector_load::{
    open_destination, open_destination_for, open_destination_with, open_existing, Destination,
    DestinationUrl, Error, OpenOptions, ResourceLoadPlan,
};
use connector_spec::Disposition;
use serde_json::{json, Value};

fn error_of(result: connector_load::Result<Box<dyn Destination>>) -> Error {
    match result {
        Ok(_) => panic!("opening should have failed"),
        Err(e) => e,
    }
}

fn one(dest: &dyn Destination, sql: &str) -> Value {
    dest.query_rows(sql).unwrap().remove(0).remove(0)
}

fn load(dest: &dyn Destination, plan: &ResourceLoadPlan, records: Value) {
    let mut writer = dest.begin(plan).unwrap();
    writer.write_batch(records.as_array().unwrap()).unwrap();
    writer.commit(None).unwrap();
}

/// Percent-encoded, as a URL must carry it.
fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn bad_urls_name_the_problem_without_the_password() {
    for (url, shown, reason) in [
        (
            "postgres://127.0.0.1/db",
            "postgres://127.0.0.1/db",
            "no user: write postgres://USER@HOST/DB",
        ),
        (
            "postgres://u:hunter2@127.0.0.1:99999/db",
            "postgres://u:***@127.0.0.1:99999/db",
            "port `99999` is not a number from 1 to 65535",
        ),
        (
            "postgresql://u:hunter2@h/db?sslmode=verify-everything",
            "postgresql://u:***@h/db?sslmode=verify-everything",
            "sslmode `verify-everything` is not supported; supported: disable, prefer, require, \
             verify-ca, verify-full (`require` encrypts without verifying the server's \
             certificate, `verify-full` verifies it and its host name)",
        ),
        (
            "postgres://u:hun%40ter2@h/db?sslmode=allow",
            "postgres://u:***@h/db?sslmode=allow",
            "sslmode `allow` is not supported; supported: disable, prefer, require, verify-ca, \
             verify-full (`require` encrypts without verifying the server's certificate, \
             `verify-full` verifies it and its host name)",
        ),
        (
            "postgres://u:hunter2@h/db?search_path=x",
            "postgres://u:***@h/db?search_path=x",
            "unknown parameter `search_path`; supported: schema, sslmode, sslrootcert, \
             connect_timeout, application_name",
        ),
        (
            "postgres://u@h/db?schema=",
            "postgres://u@h/db?schema=",
            "`schema=` needs a schema name",
        ),
    ] {
        let message = error_of(open_destination(url)).to_string();
        assert_eq!(message, format!("bad destination `{shown}`: {reason}"));
        assert!(!message.contains("hunter2") && !message.contains("hun%40ter2"));
    }
    // Debug output never shows it either.
    let parsed = DestinationUrl::parse("postgres://u:hunter2@h/db").unwrap();
    let debug = format!("{parsed:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("u:***@h"), "{debug}");
    // A URL without `?schema=` needs a connector to name the schema after.
    let message = error_of(open_destination("postgres://u:hunter2@127.0.0.1/db")).to_string();
    assert_eq!(
        message,
        "bad destination `postgres://u:***@127.0.0.1/db`: no schema: add `?schema=NAME` (a sync \
         defaults it to the connector's name)"
    );
}

#[test]
fn unreachable_server_is_named_with_the_password_redacted() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://u:hunter2@127.0.0.1:{port}/db?schema=s&connect_timeout=5");
    let err = error_of(open_destination(&url));
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot connect to destination `postgres://u:***@127.0.0.1:{port}/db?schema=s&connect_timeout=5`: "
        )),
        "{message}"
    );
    assert!(message.contains("Connection refused"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn login_failures_redact_the_password_and_say_where_it_came_from() {
    let cluster = pg::cluster();
    let wrong = "wr0ng:p@ss";
    let url = format!(
        "postgres://{}:{}@127.0.0.1:{}/postgres?schema=s",
        pg::PASSWORD_USER,
        encoded(wrong),
        cluster.port
    );
    let message = error_of(open_destination(&url)).to_string();
    assert!(
        message.starts_with(&format!(
            "cannot connect to destination `postgres://{}:***@127.0.0.1:{}/postgres?schema=s`: ",
            pg::PASSWORD_USER,
            cluster.port
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "password authentication failed for user \"{}\"",
            pg::PASSWORD_USER
        )),
        "{message}"
    );
    assert!(
        message.ends_with("(the password came from the URL)"),
        "{message}"
    );
    assert!(!message.contains(wrong) && !message.contains(&encoded(wrong)));

    // The right password, percent-encoded in the URL, logs in.
    let url = format!(
        "postgres://{}:{}@127.0.0.1:{}/postgres?schema={}",
        pg::PASSWORD_USER,
        encoded(pg::PASSWORD),
        cluster.port,
        pg::unique("pw")
    );
    let dest = open_destination(&url).unwrap();
    assert_eq!(one(&*dest, "SELECT current_user"), json!(pg::PASSWORD_USER));
    // The destination shows its URL redacted.
    assert!(!dest.url().contains(&encoded(pg::PASSWORD)));
    assert!(dest.url().contains(&format!("{}:***@", pg::PASSWORD_USER)));
    drop(dest);

    // Without a password in the URL: PGPASSWORD, and a message saying which was used. (The
    // other tests log in as a trusted role, which ignores PGPASSWORD.)
    let bare = format!(
        "postgres://{}@127.0.0.1:{}/postgres?schema={}",
        pg::PASSWORD_USER,
        cluster.port,
        pg::unique("env")
    );
    std::env::remove_var("PGPASSWORD");
    let message = error_of(open_destination(&bare)).to_string();
    assert!(
        message.ends_with(
            "(no password was given: put it in the URL, in PGPASSWORD, in \
             DESTINATION__POSTGRES__CREDENTIALS__PASSWORD or in \
             [destination.postgres.credentials] of the secrets.toml)"
        ),
        "{message}"
    );
    std::env::set_var("PGPASSWORD", wrong);
    let message = error_of(open_destination(&bare)).to_string();
    assert!(
        message.ends_with("(the password came from PGPASSWORD)"),
        "{message}"
    );
    assert!(!message.contains(wrong));
    std::env::set_var("PGPASSWORD", pg::PASSWORD);
    let dest = open_destination(&bare).unwrap();
    std::env::remove_var("PGPASSWORD");
    assert_eq!(one(&*dest, "SELECT current_user"), json!(pg::PASSWORD_USER));
    drop(dest);

    // Then dlt's places for a destination's credentials: the secrets.toml's
    // `[destination.postgres.credentials]`, and its environment variable before it.
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("secrets.toml");
    std::fs::write(
        &toml,
        format!(
            "[destination.postgres.credentials]\npassword = \"{}\"\n",
            pg::PASSWORD
        ),
    )
    .unwrap();
    let options = OpenOptions {
        secrets_file: Some(&toml),
        ..OpenOptions::default()
    };
    let dest = open_destination_with(&bare, &options).unwrap();
    assert_eq!(one(&*dest, "SELECT current_user"), json!(pg::PASSWORD_USER));
    drop(dest);
    std::env::set_var("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD", wrong);
    let message = error_of(open_destination_with(&bare, &options)).to_string();
    std::env::remove_var("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD");
    assert!(
        message.ends_with("(the password came from DESTINATION__POSTGRES__CREDENTIALS__PASSWORD)"),
        "{message}"
    );
    assert!(!message.contains(wrong));
    std::fs::write(&toml, "[destination.postgres.credentials]\npassword = 42\n").unwrap();
    let message = error_of(open_destination_with(&bare, &options)).to_string();
    assert!(
        message.contains("destination.postgres.credentials.password must be a string"),
        "{message}"
    );
}

#[test]
fn looking_at_a_missing_schema_creates_nothing() {
    let cluster = pg::cluster();
    let schema = pg::unique("look");
    let url = cluster.url(&schema);
    assert!(open_existing(&url, &OpenOptions::default())
        .unwrap()
        .is_none());
    let exists = format!("SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'");
    assert_eq!(cluster.psql("postgres", &exists).unwrap(), "0");
    // Once a run made it, it is opened.
    drop(open_destination(&url).unwrap());
    let dest = open_existing(&url, &OpenOptions::default())
        .unwrap()
        .unwrap();
    assert!(dest.stored_state("shop").unwrap().is_empty());
}

#[test]
fn sslmode_decides_whether_the_session_is_encrypted() {
    let cluster = pg::cluster();
    let ssl = |mode: &str| -> Value {
        let url = format!("{}&sslmode={mode}", cluster.url(&pg::unique("tls")));
        let dest = open_destination(&url).unwrap();
        one(
            &*dest,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
    };
    assert_eq!(ssl("require"), json!(true));
    assert_eq!(ssl("prefer"), json!(true));
    assert_eq!(ssl("disable"), json!(false));
    // The default is `prefer`.
    let dest = open_destination(&cluster.url(&pg::unique("tls"))).unwrap();
    assert_eq!(
        one(
            &*dest,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ),
        json!(true)
    );
}

#[test]
fn verify_full_checks_the_authority_and_the_host_name() {
    let cluster = pg::cluster();
    let ca = cluster.ca_cert().display().to_string();
    let url = |host: &str, mode: &str, root: &str| {
        format!(
            "postgres://postgres@{host}:{}/postgres?schema={}&sslmode={mode}&sslrootcert={root}",
            cluster.port,
            pg::unique("verify")
        )
    };
    let encrypted = |url: &str| {
        let dest = open_destination(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        one(
            &*dest,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
    };
    // The certificate names `localhost`: verify-full passes there, verify-ca on the address.
    assert_eq!(
        encrypted(&url("localhost", "verify-full", &ca)),
        json!(true)
    );
    assert_eq!(encrypted(&url("127.0.0.1", "verify-ca", &ca)), json!(true));

    let refused = |url: &str| match open_destination(url) {
        Ok(_) => panic!("{url} connected"),
        Err(e) => e.to_string(),
    };
    let wrong_host = refused(&url("127.0.0.1", "verify-full", &ca));
    assert!(wrong_host.contains("certificate"), "{wrong_host}");
    assert!(
        wrong_host.contains("does not name the host"),
        "{wrong_host}"
    );

    // An authority that did not sign the server's certificate.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .args([
            "/CN=another CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
        ])
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let unknown = refused(&url("localhost", "verify-ca", &other.display().to_string()));
    assert!(
        unknown.contains("not signed by an authority of sslrootcert"),
        "{unknown}"
    );

    let missing = dir.path().join("missing.crt").display().to_string();
    assert!(refused(&url("localhost", "verify-full", &missing))
        .contains(&format!("the sslrootcert file `{missing}` does not exist")));
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let message = refused(&url(
        "localhost",
        "verify-full",
        &not_pem.display().to_string(),
    ));
    assert!(message.contains("holds no PEM certificate"), "{message}");
}

/// `sslmode=require` against a server without TLS: a listener that answers PostgreSQL's
/// SSLRequest with `N`, as a server with `ssl = off` does.
#[test]
fn require_against_a_server_without_tls_says_so() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).unwrap();
        // Length 8, then the SSLRequest code 80877103.
        assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47]);
        socket.write_all(b"N").unwrap();
    });
    let url = format!("postgres://u:hunter2@127.0.0.1:{port}/db?schema=s&sslmode=require");
    let message = error_of(open_destination(&url)).to_string();
    server.join().unwrap();
    assert_eq!(
        message,
        format!(
            "cannot connect to destination `postgres://u:***@127.0.0.1:{port}/db?schema=s&sslmode=require`: \
             error performing TLS handshake: server does not support TLS (`sslmode=require` needs \
             a server with `ssl = on`; `sslmode=prefer` falls back to plain TCP)"
        )
    );
}

#[test]
fn tables_go_into_the_connectors_schema_unless_the_url_names_one() {
    let cluster = pg::cluster();
    let url = cluster.new_database_url();
    let plan = ResourceLoadPlan::new("my-shop", "orders").with_disposition(Disposition::Append);
    let dest = open_destination_for(&url, Some("my-shop"), Duration::ZERO).unwrap();
    assert_eq!(one(&*dest, "SELECT current_schema()"), json!("my-shop"));
    load(&*dest, &plan, json!([{"id": 1}, {"id": 2}]));
    assert_eq!(
        one(&*dest, "SELECT COUNT(*) FROM \"my-shop\".orders"),
        json!(2)
    );
    // `?schema=` wins over the connector's name.
    let named = format!("{url}?schema=raw");
    let dest = open_destination_for(&named, Some("my-shop"), Duration::ZERO).unwrap();
    assert_eq!(one(&*dest, "SELECT current_schema()"), json!("raw"));
    load(&*dest, &plan, json!([{"id": 3}]));
    assert_eq!(one(&*dest, "SELECT COUNT(*) FROM raw.orders"), json!(1));
    assert_eq!(
        one(&*dest, "SELECT COUNT(*) FROM \"my-shop\".orders"),
        json!(2)
    );
}

#[test]
fn names_longer_than_postgres_keeps_still_load_and_evolve() {
    let cluster = pg::cluster();
    let dest = open_destination(&cluster.url(&pg::unique("long"))).unwrap();
    let table = "orders_with_a_name_much_longer_than_sixty_three_bytes_of_identifier";
    assert!(table.len() > 63);
    let plan = ResourceLoadPlan::new("a-connector-with-a-long-name", table)
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    load(&*dest, &plan, json!([{"id": 1, "name": "a"}]));
    load(
        &*dest,
        &plan,
        json!([{"id": 1, "name": "b", "extra": true}, {"id": 2, "name": "c"}]),
    );
    let rows = dest
        .query_rows(&format!(
            "SELECT id, name, extra FROM \"{table}\" ORDER BY id"
        ))
        .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![json!(1), json!("b"), json!(true)],
            vec![json!(2), json!("c"), Value::Null]
        ]
    );
    // No staging table was left behind.
    assert_eq!(
        one(
            &*dest,
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
             AND (tablename LIKE '%staging%' OR tablename LIKE '\\_cstg\\_%')"
        ),
        json!(0)
    );
}

#[test]
fn nul_characters_are_replaced_and_said() {
    let cluster = pg::cluster();
    let dest = open_destination(&cluster.url(&pg::unique("nul"))).unwrap();
    let json_column = connector_spec::Column {
        data_type: Some(connector_spec::DataType::Json),
        ..connector_spec::Column::default()
    };
    let plan = ResourceLoadPlan::new("shop", "notes").with_column("meta", json_column);
    let mut writer = dest.begin(&plan).unwrap();
    let records = json!([
        {"id": 1, "text": "a\u{0}b", "meta": {"k": "x\u{0}", "raw": "\\u0000"}, "tags": ["t\u{0}"]},
        {"id": 2, "text": "clean\u{0}", "meta": {"k": "y"}, "tags": ["u"]},
    ]);
    writer.write_batch(records.as_array().unwrap()).unwrap();
    let summary = writer.commit(None).unwrap();
    let rows = dest
        .query_rows("SELECT text, meta->>'k', meta->>'raw' FROM notes ORDER BY id")
        .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![json!("a\u{FFFD}b"), json!("x\u{FFFD}"), json!("\\u0000")],
            vec![json!("clean\u{FFFD}"), json!("y"), Value::Null],
        ]
    );
    assert_eq!(
        one(
            &*dest,
            "SELECT value FROM notes__tags ORDER BY _dlt_list_idx, value LIMIT 1"
        ),
        json!("t\u{FFFD}")
    );
    assert_eq!(
        summary.warnings,
        vec![
            // `meta` is declared, so it is the table's column before `text`.
            "table `notes`, column `meta`: 1 value(s) held NUL characters, which the \
             destination's text cannot store; each NUL was stored as U+FFFD"
                .to_owned(),
            "table `notes`, column `text`: 2 value(s) held NUL characters, which the \
             destination's text cannot store; each NUL was stored as U+FFFD"
                .to_owned(),
            "table `notes__tags`, column `value`: 1 value(s) held NUL characters, which the \
             destination's text cannot store; each NUL was stored as U+FFFD"
                .to_owned(),
        ]
    );
}

#[test]
fn concurrent_first_opens_of_a_new_schema_all_succeed() {
    let cluster = pg::cluster();
    let url = cluster.url(&pg::unique("race"));
    std::thread::scope(|scope| {
        let opens: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| open_destination(&url).map(|_| ())))
            .collect();
        for open in opens {
            open.join().unwrap().unwrap();
        }
    });
}

#[test]
fn a_killed_sessions_lock_is_free_at_once() {
    // The server ends a session whose client is gone, and its advisory lock with it: a
    // session that ends while holding the lock (a killed process, a lost connection) leaves
    // it free.
    let cluster = pg::cluster();
    let url = cluster.url(&pg::unique("lock"));
    let first = open_destination(&url).unwrap();
    let held = first.lock("demo", "load-a", Duration::ZERO).unwrap();
    let pid = one(&*first, "SELECT pg_backend_pid()");
    let second = open_destination(&url).unwrap();
    let err = second
        .lock("demo", "load-b", Duration::ZERO)
        .unwrap_err()
        .to_string();
    assert!(err.contains("load load-a (pid"), "{err}");
    cluster
        .psql("postgres", &format!("SELECT pg_terminate_backend({pid})"))
        .unwrap();
    let taken = second
        .lock("demo", "load-b", Duration::from_secs(5))
        .unwrap();
    // The dead holder's row is replaced and reported.
    assert_eq!(taken.recovered().len(), 1, "{:?}", taken.recovered());
    assert_eq!(taken.recovered()[0].load_id, "load-a");
    // Releasing over the lost connection fails quietly.
    drop(held);
    drop(first);
}

/// Rows gathered over many batches (`stage_rows`) and staged together: a load with a column
/// that appears half-way and timestamps and JSON staged in their binary forms ends exact; a
/// staging transaction the server refuses fails the load, at a later write or at the
/// commit, and nothing of it lands.
#[test]
fn gathered_staging_ends_exact_and_its_failure_fails_the_load() {
    let cluster = pg::cluster();
    let url = cluster.url(&pg::unique("background"));
    let dest = open_destination(&url).unwrap();
    let plan = ResourceLoadPlan::new("bg", "items")
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    let batch = |from: u64, extra: bool| -> Vec<Value> {
        (from..from + 1000)
            .map(|id| {
                let mut record = json!({
                    "id": id, "at": "2024-05-01T10:00:00.5+02:00", "doc": {"tags": [id, "x"]}
                });
                if extra {
                    record["late"] = json!(id % 7);
                }
                record
            })
            .collect()
    };
    let mut writer = dest.begin(&plan).unwrap();
    for n in 0..60 {
        writer.write_batch(&batch(n * 1000, n >= 30)).unwrap();
    }
    let summary = writer.commit(None).unwrap();
    assert_eq!(summary.table_rows, 60_000);
    assert_eq!(
        dest.query_rows(
            "SELECT COUNT(*), SUM(id)::BIGINT, COUNT(late), MIN(at) = MAX(at), \
             MIN(at) = TIMESTAMPTZ '2024-05-01 08:00:00.5+00' FROM items"
        )
        .unwrap(),
        vec![vec![
            json!(60_000),
            json!(1_799_970_000),
            json!(30_000),
            json!(true),
            json!(true)
        ]]
    );
    assert_eq!(
        one(&*dest, "SELECT COUNT(*) FROM items__doc__tags"),
        json!(120_000)
    );

    // Another session drops the staging table under a load in progress.
    let mut writer = dest.begin(&plan).unwrap();
    writer.write_batch(&batch(100_000, false)).unwrap();
    let other = open_destination(&url).unwrap();
    let staging = other
        .query_rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename LIKE '%staging%items__%'",
        )
        .unwrap();
    let staging = staging[0][0].as_str().unwrap().to_owned();
    other
        .query_rows(&format!("DROP TABLE \"{staging}\""))
        .unwrap();
    let mut failed = None;
    for n in 1..60 {
        if let Err(e) = writer.write_batch(&batch(100_000 + n * 1000, false)) {
            failed = Some(e);
            break;
        }
    }
    let err = match failed {
        Some(e) => e,
        None => writer.commit(None).unwrap_err(),
    };
    assert!(err.to_string().contains("does not exist"), "{err}");
    // The refused COPY ended the writer's session (tokio-postgres answers the refusal with a
    // second Sync): the failure says so, and every later call through that destination
    // fails with the reason instead of an unrelated protocol error, because its run lock
    // went with the session.
    let ended = err.to_string();
    assert!(
        ended.contains("the server then ended the session, and the run lock with it"),
        "{ended}"
    );
    let later = dest.query_rows("SELECT 1").unwrap_err().to_string();
    assert!(
        later.contains("the session ended earlier (") && later.contains("run the sync again"),
        "{later}"
    );
    let after = open_destination(&url).unwrap();
    assert_eq!(one(&*after, "SELECT COUNT(*) FROM items"), json!(60_000));
}

/// A first load into tables it creates, whose rows go in as they are, makes its staging
/// tables those tables (renamed, not copied; the staging order column stays behind as a
/// dropped column): rows in arrival order, the key `NOT NULL`, the child table, nothing left
/// staged. A second load of the same new table begun before that commit (another shard)
/// finds the table made and merges into it.
#[test]
fn a_first_load_takes_its_staging_tables_whole() {
    let cluster = pg::cluster();
    let url = cluster.url(&pg::unique("whole"));
    let dest = open_destination(&url).unwrap();
    let plan = ResourceLoadPlan::new("whole", "items")
        .with_disposition(Disposition::Merge)
        .with_primary_key(["id"]);
    let records = |ids: std::ops::Range<i64>| -> Vec<Value> {
        ids.map(|id| json!({"id": id, "name": format!("n{id}"), "tags": [id, id + 1]}))
            .collect()
    };
    let mut first = dest.begin(&plan).unwrap();
    let other = open_destination(&url).unwrap();
    let mut second = other.begin(&plan).unwrap();
    for from in (0..3000).step_by(1000) {
        first.write_batch(&records(from..from + 1000)).unwrap();
    }
    second.write_batch(&records(2000..4000)).unwrap();
    let summary = first.commit(None).unwrap();
    assert_eq!(summary.table_rows, 3000);
    assert_eq!(summary.child_tables, vec![("items__tags".to_owned(), 6000)]);

    let ids: Vec<i64> = dest
        .query_rows("SELECT id FROM items")
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (0..3000).collect::<Vec<_>>(), "arrival order");
    let dropped = |table: &str| {
        one(
            &*dest,
            &format!(
                "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = '{table}'::regclass \
                 AND attisdropped"
            ),
        )
    };
    assert_eq!(dropped("items"), json!(1), "items was its staging table");
    assert_eq!(dropped("items__tags"), json!(1), "items__tags was too");
    assert_eq!(
        one(
            &*dest,
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass \
             AND attname = 'id'"
        ),
        json!(true)
    );
    assert_eq!(
        one(
            &*dest,
            "SELECT relpersistence::text FROM pg_class WHERE oid = 'items'::regclass"
        ),
        json!("p"),
        "a logged table"
    );

    // The second load's commit merges into the table the first made.
    let summary = second.commit(None).unwrap();
    assert_eq!(summary.table_rows, 4000);
    assert_eq!(
        dest.query_rows("SELECT COUNT(*), COUNT(DISTINCT id), SUM(id)::BIGINT FROM items")
            .unwrap(),
        vec![vec![json!(4000), json!(4000), json!(7_998_000)]]
    );
    assert_eq!(one(&*dest, "SELECT COUNT(*) FROM items__tags"), json!(8000));

    // A first load whose keys come out of order stages unlogged and copies at the commit.
    let plan = plan.with_table("unordered");
    let mut writer = dest.begin(&plan).unwrap();
    writer
        .write_batch(&[json!({"id": 3}), json!({"id": 1}), json!({"id": 2})])
        .unwrap();
    assert_eq!(
        one(
            &*dest,
            "SELECT relpersistence::text FROM pg_class WHERE relkind = 'r' \
             AND relnamespace = current_schema()::regnamespace \
             AND (relname LIKE '%staging%' OR relname LIKE '\\_cstg\\_%')"
        ),
        json!("u"),
        "unordered keys are staged unlogged"
    );
    assert_eq!(writer.commit(None).unwrap().table_rows, 3);
    assert_eq!(dropped("unordered"), json!(0), "its rows were copied");
    assert_eq!(
        one(
            &*dest,
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename LIKE '%staging%'"
        ),
        json!(0)
    );
}
