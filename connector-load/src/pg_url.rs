//! `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&sslmode=MODE]` URLs, and the
//! redaction of passwords in any destination URL shown to a person.
//!
//! Parsed without the driver so every build can check and redact such a URL; connecting
//! needs the cargo feature `postgres`.

use std::fmt;

/// The query parameters a `postgres://` URL may carry.
pub const POSTGRES_PARAMS: &[&str] = &[
    "schema",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
];

/// The `sslmode` values supported (libpq's `allow` is not: it tries plain TCP first).
pub const POSTGRES_SSLMODES: &[&str] =
    &["disable", "prefer", "require", "verify-ca", "verify-full"];

/// Where libpq looks for the certificate authorities of `verify-ca` and `verify-full` when
/// the URL names none: `~/.postgresql/root.crt`.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub const DEFAULT_SSLROOTCERT: &str = "~/.postgresql/root.crt";

/// How a PostgreSQL connection uses TLS (libpq's `sslmode`, the modes supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, else plain (libpq's default, and ours).
    #[default]
    Prefer,
    /// TLS or fail. As with libpq's `require`, the server's certificate is not verified
    /// (the connection is encrypted, not authenticated).
    Require,
    /// TLS, and the server's certificate must chain to a certificate authority of
    /// `sslrootcert`; its host name is not checked.
    VerifyCa,
    /// As `verify-ca`, and the certificate must also name the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The mode's name in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A parsed `postgres://` destination. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    /// Role name (percent-decoded).
    pub user: String,
    password: Option<String>,
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// TCP port (default 5432).
    pub port: u16,
    /// Database name (default: the user name, as libpq).
    pub database: String,
    /// `?schema=`: the schema every table goes into; `None` means the connector's name.
    pub schema: Option<String>,
    /// `?sslmode=` (default `prefer`).
    pub sslmode: SslMode,
    /// `?sslrootcert=`: a PEM file of the certificate authorities `verify-ca` and
    /// `verify-full` trust (default [`DEFAULT_SSLROOTCERT`], as libpq).
    pub sslrootcert: Option<String>,
    /// `?connect_timeout=` in seconds (default 10).
    pub connect_timeout: u64,
    /// `?application_name=` (default `connector`), as `pg_stat_activity` shows it.
    pub application_name: String,
    /// The URL with its password replaced by `***`.
    pub redacted: String,
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("url", &self.redacted)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("schema", &self.schema)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .finish()
    }
}

impl PostgresUrl {
    /// The password the URL carries, if any (`PGPASSWORD` is read when connecting).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Parses a URL whose scheme is `postgres` or `postgresql`; `Err` is the reason, with no
    /// password in it.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or_else(|| {
                "write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&sslmode=MODE]"
                    .to_owned()
            })?;
        let Some(at) = userinfo_end(rest) else {
            return Err("no user: write postgres://USER@HOST/DB".to_owned());
        };
        let (userinfo, after) = (&rest[..at], &rest[at + 1..]);
        let (after, query) = after.split_once('?').unwrap_or((after, ""));
        let (hostport, path) = after.split_once('/').unwrap_or((after, ""));
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(decode(password, "the password")?)),
            None => (userinfo, None),
        };
        let user = decode(user, "the user name")?;
        if user.is_empty() {
            return Err("no user: write postgres://USER@HOST/DB".to_owned());
        }
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("`[{v6}` has no closing `]`"))?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err("no host: write postgres://USER@HOST[:PORT]/DB".to_owned());
        }
        let port = match port {
            None => 5432,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("port `{p}` is not a number from 1 to 65535"))?,
        };
        let database = decode(path.trim_end_matches('/'), "the database name")?;
        if database.contains('/') {
            return Err(format!("`{database}` is not a database name"));
        }
        let mut parsed = PostgresUrl {
            database: if database.is_empty() {
                user.clone()
            } else {
                database
            },
            user,
            password,
            host: host.to_owned(),
            port,
            schema: None,
            sslmode: SslMode::default(),
            sslrootcert: None,
            connect_timeout: 10,
            application_name: "connector".to_owned(),
            redacted: redact_url(url),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not `name=value`"))?;
            let value = decode(value, name)?;
            match name {
                "schema" => {
                    if value.is_empty() {
                        return Err("`schema=` needs a schema name".to_owned());
                    }
                    parsed.schema = Some(value);
                }
                "sslmode" => {
                    parsed.sslmode = match value.as_str() {
                        "disable" => SslMode::Disable,
                        "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(format!(
                                "sslmode `{other}` is not supported; supported: {} \
                                 (`require` encrypts without verifying the server's certificate, \
                                 `verify-full` verifies it and its host name)",
                                POSTGRES_SSLMODES.join(", ")
                            ))
                        }
                    }
                }
                "sslrootcert" => {
                    if value.is_empty() {
                        return Err("`sslrootcert=` needs the path of a PEM file".to_owned());
                    }
                    parsed.sslrootcert = Some(value);
                }
                "connect_timeout" => {
                    parsed.connect_timeout = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| {
                            format!("connect_timeout `{value}` is not a number of seconds")
                        })?;
                }
                "application_name" => parsed.application_name = value,
                other => {
                    return Err(format!(
                        "unknown parameter `{other}`; supported: {}",
                        POSTGRES_PARAMS.join(", ")
                    ))
                }
            }
        }
        Ok(parsed)
    }
}

/// Percent-decodes `s` (`what` names it in the error).
fn decode(s: &str, what: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("{what} has a `%` not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{what} is not UTF-8 once percent-decoded"))
}

/// `url` with the password of its `scheme://user:password@host` part replaced by `***`, as
/// written (raw or percent-encoded); other URLs unchanged. Every destination URL shown in a
/// message, log or report goes through it.
pub fn redact_url(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let scheme = url[..start - 3].to_ascii_lowercase();
    if scheme == "sqlite" || scheme == "duckdb" {
        return url.to_owned();
    }
    let rest = &url[start..];
    let Some(at) = userinfo_end(rest) else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{}{user}:***{}", &url[..start], &rest[at..]),
        None => url.to_owned(),
    }
}

/// Where the user info of `rest` (a URL after `scheme://`) ends: its `@`. A password may hold
/// `@`, `/` or `?` unencoded, so it is the last `@` before the query, or else the last `@`
/// (which over-redacts a URL whose query holds an `@`, never under-redacts).
fn userinfo_end(rest: &str) -> Option<usize> {
    let query = rest.find('?').unwrap_or(rest.len());
    rest[..query].rfind('@').or_else(|| rest.rfind('@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_part() {
        let u = PostgresUrl::parse(
            "postgresql://lo%40der:p%3Ass@db.example:6543/warehouse?schema=raw&sslmode=require",
        )
        .unwrap();
        assert_eq!(u.user, "lo@der");
        assert_eq!(u.password(), Some("p:ss"));
        assert_eq!((u.host.as_str(), u.port), ("db.example", 6543));
        assert_eq!(u.database, "warehouse");
        assert_eq!(u.schema.as_deref(), Some("raw"));
        assert_eq!(u.sslmode, SslMode::Require);
        assert!(!format!("{u:?}").contains("p:ss"));
        assert!(!format!("{u:?}").contains("p%3Ass"));
        let u = PostgresUrl::parse("postgres://me@[::1]/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.database.as_str()),
            ("::1", 5432, "me")
        );
        assert_eq!(u.sslmode, SslMode::Prefer);
    }

    #[test]
    fn redacts_raw_and_encoded_passwords() {
        assert_eq!(
            redact_url("postgres://u:s3cret@h:5432/db?schema=x"),
            "postgres://u:***@h:5432/db?schema=x"
        );
        assert_eq!(
            redact_url("postgres://u:p%40ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u:a@b@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:a.db"), "sqlite:a.db");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let err = |u: &str| PostgresUrl::parse(u).unwrap_err();
        assert!(
            err("postgres://h/db").contains("no user"),
            "{}",
            err("postgres://h/db")
        );
        assert!(err("postgres://u@h:99999/db").contains("port `99999`"));
        assert!(err("postgres://u@h/db?sslmode=allow").contains(
            "sslmode `allow` is not supported; supported: disable, prefer, require, verify-ca, \
             verify-full"
        ));
        assert!(err("postgres://u@h/db?sslrootcert=").contains("needs the path of a PEM file"));
        let url = PostgresUrl::parse("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fca.pem")
            .unwrap();
        assert_eq!(url.sslmode, SslMode::VerifyFull);
        assert_eq!(url.sslrootcert.as_deref(), Some("/ca.pem"));
        assert!(err("postgres://u@h/db?foo=1").contains("unknown parameter `foo`"));
        assert!(!err("postgres://u:hunter2@h:x/db").contains("hunter2"));
    }
}
