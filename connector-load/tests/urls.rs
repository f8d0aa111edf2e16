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
        DestinationUrl::DuckDb("x/a.duckdb".into())
    );
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
        error("postgres://localhost/db"),
        "bad destination `postgres://localhost/db`: unknown destination kind `postgres`; supported: sqlite:PATH, duckdb:PATH"
    );
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
