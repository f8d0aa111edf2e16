//! The one error type of the runtime.
//!
//! Every variant about a request names the resource, the URL with secrets replaced by `***`,
//! the status when there was a response, and an excerpt of the body (redacted too), so a
//! failure in a log says what to look at without leaking credentials.

use std::fmt;

/// Anything that can go wrong while building a connector or fetching a resource.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Secrets the spec needs were not found; all of them are listed at once.
    #[error("missing secrets: {}; {hint}", names.join(", "))]
    MissingSecrets {
        /// The missing secret names, as written in the spec.
        names: Vec<String>,
        /// Where they were looked for.
        hint: String,
    },

    /// A secrets file could not be read or parsed.
    #[error("secrets file {path}: {message}")]
    SecretsFile {
        /// The file.
        path: String,
        /// What was wrong (never a secret value).
        message: String,
    },

    /// The resource is not in the spec.
    #[error("unknown resource `{resource}`; the spec has: {}", known.join(", "))]
    UnknownResource {
        /// The name asked for.
        resource: String,
        /// Resources the spec defines.
        known: Vec<String>,
    },

    /// The spec asks for something the runtime cannot do (caught when the stream starts).
    #[error("resource `{resource}`: {message}")]
    Config {
        /// The resource (or `client`).
        resource: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The server answered with a status that is an error for this endpoint, or kept
    /// answering with a retryable status until the retries ran out.
    #[error("resource `{resource}`: {method} {url} failed with status {status}{after}{hint}{body}",
        after = Attempts(*attempts), hint = Hint(hint), body = BodyExcerpt(body))]
    Status {
        /// The resource.
        resource: String,
        /// HTTP method.
        method: String,
        /// The request URL, secrets redacted.
        url: String,
        /// The last status received.
        status: u16,
        /// Attempts made (1 when the status is not retryable).
        attempts: u32,
        /// What to check (for 401 and 403: the secrets behind the credentials), or empty.
        /// Boxed: the error stays small enough to return by value.
        hint: Box<str>,
        /// Start of the response body, secrets redacted.
        body: String,
    },

    /// The server redirected to another origin. Such a redirect is not followed: the
    /// request's credentials are meant for base_url's origin only.
    #[error("resource `{resource}`: {method} {url} redirected (status {status}) to another origin, {location}; the redirect was not followed, as credentials are sent to base_url's origin only (if the API has moved, point `base_url` in the spec, or `--base-url`, at the new origin)")]
    Redirect {
        /// The resource.
        resource: String,
        /// HTTP method.
        method: String,
        /// The request URL, secrets redacted.
        url: String,
        /// The redirect status (301, 302, 303, 307, 308).
        status: u16,
        /// Where the server redirected to, secrets redacted.
        location: String,
    },

    /// The request could not be sent or its response not read (connection refused or reset,
    /// timeout), after every retry.
    #[error("resource `{resource}`: {method} {url}: {message}{after}{hint}",
        after = Attempts(*attempts), hint = Hint(hint))]
    Transport {
        /// The resource.
        resource: String,
        /// HTTP method.
        method: String,
        /// The request URL, secrets redacted.
        url: String,
        /// What failed (no URL, no secret).
        message: String,
        /// Attempts made.
        attempts: u32,
        /// What to check (for a failed connection: the base URL), or empty.
        hint: Box<str>,
    },

    /// Authentication failed: the token endpoint refused the credentials, or the API answered
    /// 401 again after a fresh token.
    #[error("resource `{resource}`: authentication failed: {message} ({url}, status {}){body}",
        status.map(|s| s.to_string()).unwrap_or_else(|| "none".to_owned()), body = BodyExcerpt(body))]
    Auth {
        /// The resource.
        resource: String,
        /// The URL that refused (API or token endpoint), secrets redacted.
        url: String,
        /// Status of the refusing response, if there was one.
        status: Option<u16>,
        /// What happened.
        message: String,
        /// Start of the response body, secrets redacted.
        body: String,
    },

    /// The response body is not what the endpoint promises (not JSON, or a record that does not
    /// fit the generated type).
    #[error("resource `{resource}`: {url} (status {status}): {message}{body}", body = BodyExcerpt(body))]
    Decode {
        /// The resource.
        resource: String,
        /// The request URL, secrets redacted.
        url: String,
        /// The response status.
        status: u16,
        /// What could not be decoded and why.
        message: String,
        /// Start of the body or the record, secrets redacted.
        body: String,
    },

    /// Pagination cannot go on safely: a cursor or next link seen twice, a page cap passed, a
    /// next link to another origin that may not be followed, or no stop rule left.
    #[error("resource `{resource}`: pagination stopped at {url}: {message}")]
    Pagination {
        /// The resource.
        resource: String,
        /// The last request URL, secrets redacted.
        url: String,
        /// Why.
        message: String,
    },

    /// A record lacks the incremental cursor field and `on_cursor_value_missing` is `raise`.
    #[error("resource `{resource}`: record has no incremental cursor `{cursor_path}` (set incremental.on_cursor_value_missing to include or exclude to accept such records)")]
    MissingCursor {
        /// The resource.
        resource: String,
        /// The cursor path.
        cursor_path: String,
    },

    /// Incremental loading cannot go on: cursor values of different kinds (a number and a
    /// timestamp) that do not compare, or a record at the boundary without its primary key.
    #[error("resource `{resource}`: {message}")]
    Incremental {
        /// The resource.
        resource: String,
        /// What is wrong, with both values, and what to change.
        message: String,
    },

    /// A warning about a response that looks wrong (see [`crate::StatsHandle::warnings`]),
    /// made an error by strict mode.
    #[error("resource `{resource}`: {message} (strict mode makes this warning an error: `strict: true` in the spec, or `connector sync --strict`)")]
    Strict {
        /// The resource.
        resource: String,
        /// The warning.
        message: String,
    },
}

impl Error {
    /// The HTTP status behind this error, if a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. }
            | Error::Redirect { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::Auth { status, .. } => *status,
            _ => None,
        }
    }

    /// The resource this error concerns, when it concerns one.
    pub fn resource(&self) -> Option<&str> {
        match self {
            Error::UnknownResource { resource, .. }
            | Error::Config { resource, .. }
            | Error::Status { resource, .. }
            | Error::Redirect { resource, .. }
            | Error::Transport { resource, .. }
            | Error::Auth { resource, .. }
            | Error::Decode { resource, .. }
            | Error::Pagination { resource, .. }
            | Error::MissingCursor { resource, .. }
            | Error::Incremental { resource, .. }
            | Error::Strict { resource, .. } => Some(resource),
            Error::MissingSecrets { .. } | Error::SecretsFile { .. } => None,
        }
    }
}

struct Attempts(u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 | 1 => Ok(()),
            n => write!(f, " after {n} attempts"),
        }
    }
}

struct Hint<'a>(&'a str);

impl fmt::Display for Hint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "; {}", self.0)
        }
    }
}

/// The hint of a request that could not connect.
pub(crate) const CONNECT_HINT: &str =
    "is the API running there? Check `base_url` in the spec, or `--base-url`";

struct BodyExcerpt<'a>(&'a str);

impl fmt::Display for BodyExcerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.trim().is_empty() {
            Ok(())
        } else {
            write!(f, "; body: {}", self.0)
        }
    }
}

/// What went wrong in a reqwest error, without the URL (which may carry a secret).
/// [`reqwest::Error::is_connect`] tells whether [`CONNECT_HINT`] applies.
pub(crate) fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "response body interrupted"
    } else if error.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let piece = s.to_string();
        if !text.contains(&piece) {
            text.push_str(": ");
            text.push_str(&piece);
        }
        source = s.source();
    }
    text
}
