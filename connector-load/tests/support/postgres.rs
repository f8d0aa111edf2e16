//! A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` in a temporary directory,
//! listening on 127.0.0.1 on a free port, TLS on (a self-signed certificate), one per test
//! binary. Each test uses a schema or database of its own.
//!
//! The binaries are found on `PATH`, in `CONNECTOR_PG_BIN`, or in Debian's
//! `/usr/lib/postgresql/<version>/bin`; when none is there the test fails saying how to
//! install PostgreSQL. As root (CI), the cluster runs as the unprivileged `postgres` user
//! (`initdb` refuses root). A static is never dropped, so the cleanup is a watchdog process
//! that waits for the test process to end, however it ends (a panic, an abort, a kill), then
//! stops the server and removes the directory.
//!
//! Roles: `postgres` (superuser, trusted on 127.0.0.1) and [`PASSWORD_USER`] (password
//! authentication, password [`PASSWORD`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// A role that logs in with a password.
pub const PASSWORD_USER: &str = "loader";
/// Its password (characters a URL must percent-encode).
pub const PASSWORD: &str = "p@ss:w/rd?s3cret";

pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The test binary's cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| Cluster::start().unwrap_or_else(|e| panic!("{e}")))
}

/// A new schema name, unique in this process.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn find_bin() -> Result<PathBuf, String> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("CONNECTOR_PG_BIN").map(PathBuf::from) {
        if has_initdb(&dir) {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_initdb(&dir) {
                // Debian links initdb into PATH at most; its siblings live beside the target.
                let real = std::fs::canonicalize(dir.join("initdb")).unwrap_or(dir.join("initdb"));
                return Ok(real.parent().map(Path::to_path_buf).unwrap_or(dir));
            }
        }
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has_initdb(d))
        .collect();
    debian.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    debian.pop().ok_or_else(|| {
        "PostgreSQL's `initdb` was not found (looked in $CONNECTOR_PG_BIN, on PATH and in \
         /usr/lib/postgresql/*/bin). The PostgreSQL tests start a throwaway server and need \
         its binaries: on Debian/Ubuntu `apt-get install -y --no-install-recommends \
         postgresql`, on macOS `brew install postgresql@16`, or set CONNECTOR_PG_BIN to the \
         directory holding initdb, pg_ctl and psql"
            .to_owned()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bin = find_bin()?;
        let root = is_root();
        let dir = std::env::temp_dir().join(format!("connector-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let data = dir.join("data");
        // As the cluster's owner: `postgres` when we are root.
        let run = |program: &str, args: &[&str]| -> Result<(), String> {
            let path = bin.join(program);
            let mut command = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&path);
                c
            } else {
                Command::new(&path)
            };
            let out = command
                .args(args)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{program} {args:?} failed: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        if root {
            let status = Command::new("chown")
                .args(["postgres:", &dir.display().to_string()])
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "cannot give {} to the `postgres` user (as root, the test cluster runs as \
                     `postgres`; installing Debian's postgresql package creates it)",
                    dir.display()
                ));
            }
        }
        // The watchdog first, so nothing is left behind even if starting fails half-way.
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             if [ -f '{data}/postmaster.pid' ]; then kill -QUIT \"$(head -1 '{data}/postmaster.pid')\"; sleep 1; fi; \
             rm -rf '{dir}'",
            pid = std::process::id(),
            data = data.display(),
            dir = dir.display()
        );
        {
            use std::os::unix::process::CommandExt;
            Command::new("sh")
                .args(["-c", &watchdog])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))?;
        }
        let data_s = data.display().to_string();
        run(
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        // TLS with a certificate signed by a test authority (`ca.crt` beside the data), naming
        // `localhost` only, so `require`, `verify-ca` (127.0.0.1) and `verify-full`
        // (`localhost` passes, 127.0.0.1 fails) are all tested.
        certificates(&dir, &data)?;
        if root {
            let _ = Command::new("chown")
                .args(["-R", "postgres:", &data_s])
                .status();
        }
        let _ = Command::new("chmod")
            .args(["600", &data.join("server.key").display().to_string()])
            .status();
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all all trust\n\
                 host all postgres 127.0.0.1/32 trust\n\
                 host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n\
                 host all all 127.0.0.1/32 trust\n"
            ),
        )
        .map_err(|e| format!("writing pg_hba.conf: {e}"))?;
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c ssl=on \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=200",
                dir.display()
            );
            let log = dir.join("server.log").display().to_string();
            match run(
                "pg_ctl",
                &[
                    "-D", &data_s, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
                ],
            ) {
                Ok(()) => {
                    let cluster = Cluster { port, bin, dir };
                    cluster.psql(
                        "postgres",
                        &format!(
                            "CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{}'",
                            PASSWORD.replace('\'', "''")
                        ),
                    )?;
                    cluster.psql(
                        "postgres",
                        &format!("GRANT CREATE ON DATABASE postgres TO {PASSWORD_USER}"),
                    )?;
                    return Ok(cluster);
                }
                Err(e) => {
                    last = format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default());
                }
            }
        }
        Err(format!("the test PostgreSQL server did not start: {last}"))
    }

    /// The test authority's certificate (PEM), which signed the server's.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Runs `sql` with psql as the superuser in `database`.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
            ])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ])
            .env_remove("PGPASSWORD")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(format!(
                "psql -c {sql:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A destination URL as the superuser, into `schema` of database `postgres`.
    pub fn url(&self, schema: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?schema={schema}",
            self.port
        )
    }

    /// A URL without a schema (a sync defaults it to the connector's name) in a new database
    /// of its own.
    pub fn new_database_url(&self) -> String {
        let db = unique("db");
        self.psql("postgres", &format!("CREATE DATABASE {db}"))
            .unwrap_or_else(|e| panic!("{e}"));
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

/// A certificate authority (`dir/ca.crt`) and the server's key and certificate
/// (`data/server.key`, `data/server.crt`, `DNS:localhost` only) signed by it.
fn certificates(dir: &Path, data: &Path) -> Result<(), String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                format!(
                    "cannot run openssl for the test server's certificate: {e} (install the \
                     `openssl` package)"
                )
            })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let key = data.join("server.key").display().to_string();
    let crt = data.join("server.crt").display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=connector test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        "server.csr",
    ])?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| format!("writing server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        &crt,
    ])
}
