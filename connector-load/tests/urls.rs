//! Destination URLs and the messages a user sees for bad ones.

use connector_load::{open_destination, DestinationUrl};

fn error(url: &str) -> String {
    open_destination(url)
        .err()
        .expect("should fail")
        .to_string()
}

#[test]
fn parses_both_kinds() {
    assert_eq!(
        DestinationUrl::parse("sqlite:a.db").unwrap(),
        DestinationUrl::Sqlite("a.db".into())
    );
    assert_eq!(
        DestinationUrl::parse("sqlite:///tmp/a.db").unwrap(),
        DestinationUrl::Sqlite("/tmp/a.db".into())
    );
    assert_eq!(
        DestinationUrl::parse("duckdb:x/a.duckdb").unwrap(),
        DestinationUrl::DuckDb {
            path: "x/a.duckdb".into(),
            settings: vec![]
        }
    );
    assert_eq!(
        DestinationUrl::parse("duckdb:x/a.duckdb?memory_limit=256MB&threads=2").unwrap(),
        DestinationUrl::DuckDb {
            path: "x/a.duckdb".into(),
            settings: vec![
                ("memory_limit".into(), "256MB".into()),
                ("threads".into(), "2".into())
            ]
        }
    );
}

#[test]
fn bad_duckdb_settings_say_what_is_allowed() {
    for (url, reason) in [
        (
            "duckdb:a.duckdb?memory=1GB",
            "unknown DuckDB setting `memory`; supported: memory_limit, threads, temp_directory",
        ),
        (
            "duckdb:a.duckdb?threads",
            "`threads` is not `setting=value`",
        ),
        (
            "duckdb:a.duckdb?memory_limit=1GB';DROP TABLE x",
            "DuckDB setting `memory_limit` needs a plain value (no quotes or `;`), like `memory_limit=512MB`",
        ),
    ] {
        let message = DestinationUrl::parse(url).unwrap_err().to_string();
        assert_eq!(message, format!("bad destination `{url}`: {reason}"));
    }
}

#[test]
fn missing_kind() {
    let message = error("demo.db");
    assert!(
        message
            .starts_with("bad destination `demo.db`: no destination kind; write `sqlite:demo.db`"),
        "{message}"
    );
}

#[test]
fn unknown_kind() {
    assert_eq!(
        error("mysql://u:secret@localhost/db"),
        "bad destination `mysql://u:***@localhost/db`: unknown destination kind `mysql`; supported: \
         sqlite:PATH, duckdb:PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME], \
         delta:DIR|delta:s3://BUCKET/PREFIX"
    );
}

/// Without the `postgres` feature a PostgreSQL URL is understood and refused, redacted.
#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_needs_its_feature() {
    assert_eq!(
        error("postgres://u:secret@localhost/db?schema=s"),
        "destination `postgres://u:***@localhost/db?schema=s` needs connector-load's cargo \
         feature `postgres`, which this build does not have; rebuild with `--features postgres` \
         (or use `sqlite:PATH`)"
    );
    assert!(connector_load::check_destination("postgres://u:secret@localhost/db").is_err());
}

#[test]
fn empty_path() {
    assert_eq!(
        error("sqlite:"),
        "bad destination `sqlite:`: no database file path after `sqlite:`"
    );
}

#[test]
fn missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("x.db");
    assert_eq!(
        error(&format!("sqlite:{}", path.display())),
        format!(
            "cannot open sqlite destination `{}`: directory `{}` does not exist",
            path.display(),
            dir.path().join("nope").display()
        )
    );
}

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        error(&format!("sqlite:{}", dir.path().display())),
        format!(
            "cannot open sqlite destination `{}`: it is a directory, not a database file",
            dir.path().display()
        )
    );
}

#[test]
fn not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "just some text, certainly not a database file header........",
    )
    .unwrap();
    let message = error(&format!("sqlite:{}", path.display()));
    assert!(
        message.starts_with(&format!(
            "cannot open sqlite destination `{}`: ",
            path.display()
        )),
        "{message}"
    );
    assert!(message.contains("not a database"), "{message}");
}

#[cfg(not(feature = "duckdb"))]
#[test]
fn duckdb_needs_its_feature() {
    assert_eq!(
        error("duckdb:a.duckdb"),
        "destination `duckdb:a.duckdb` needs connector-load's cargo feature `duckdb`, which this build does not \
         have; rebuild with `--features duckdb` (or use `sqlite:PATH`)"
    );
}

#[cfg(feature = "duckdb")]
#[test]
fn duckdb_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "just some text, certainly not a database file header........",
    )
    .unwrap();
    let message = error(&format!("duckdb:{}", path.display()));
    assert!(
        message.starts_with(&format!(
            "cannot open duckdb destination `{}`: ",
            path.display()
        )),
        "{message}"
    );
}

#[cfg(feature = "duckdb")]
#[test]
fn duckdb_settings_are_applied_and_bad_values_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.duckdb");
    let destination = open_destination(&format!(
        "duckdb:{}?memory_limit=100MB&threads=1",
        path.display()
    ))
    .unwrap();
    let rows = destination
        .query_rows("SELECT current_setting('threads')")
        .unwrap();
    assert_eq!(rows, [[serde_json::json!(1)]]);
    let rows = destination
        .query_rows("SELECT current_setting('memory_limit')")
        .unwrap();
    let limit = rows[0][0].as_str().unwrap_or_default().to_owned();
    assert!(limit.contains("MiB") || limit.contains("MB"), "{limit}");
    drop(destination);

    let message = error(&format!("duckdb:{}?memory_limit=lots", path.display()));
    assert!(
        message.starts_with(&format!(
            "cannot open duckdb destination `{}`: setting memory_limit=lots: ",
            path.display()
        )),
        "{message}"
    );
}
