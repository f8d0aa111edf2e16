//! Secret values and where they come from.
//!
//! A secret named `api_key` of connector `rmm` is looked up, in this order:
//! 1. the environment variable `RMM__API_KEY` (connector and name upper-cased, joined by `__`),
//! 2. dlt's spelling `SOURCES__RMM__API_KEY`,
//! 3. a dlt-style `secrets.toml`, key `api_key` in table `[sources.rmm]` (a name with `__`,
//!    like `credentials__token`, is also found nested: `token` in `[sources.rmm.credentials]`).
//!
//! Values are wrapped in [`SecretString`], whose `Debug` and `Display` print `***`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::Error;

/// A secret value. `Debug` and `Display` print `***`; [`SecretString::expose`] gives the value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The value itself; call it only where the value is sent to the API.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> SecretString {
        SecretString(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> SecretString {
        SecretString(value.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Named secrets for one connector: name (as written in the spec's `{ secret: NAME }`) to value.
///
/// ```
/// use connector_runtime::Secrets;
/// let secrets = Secrets::new().with("api_key", "s3cr3t");
/// assert_eq!(secrets.get("api_key").unwrap().expose(), "s3cr3t");
/// assert!(!format!("{secrets:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: BTreeMap<String, SecretString>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.keys().map(|k| (k, "***")))
            .finish()
    }
}

impl Secrets {
    /// No secrets.
    pub fn new() -> Secrets {
        Secrets::default()
    }

    /// Adds (or replaces) one secret.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<SecretString>) -> Secrets {
        self.insert(name, value);
        self
    }

    /// Adds (or replaces) one secret.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<SecretString>) {
        self.values.insert(name.into(), value.into());
    }

    /// One secret by name.
    pub fn get(&self, name: &str) -> Option<&SecretString> {
        self.values.get(name)
    }

    /// Names present, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Every value, for redaction.
    pub(crate) fn values(&self) -> impl Iterator<Item = &SecretString> {
        self.values.values()
    }

    /// The environment variable names tried for one secret, in order.
    pub fn env_var_names(connector_name: &str, name: &str) -> [String; 2] {
        let short = format!("{}__{}", connector_name.to_uppercase(), name.to_uppercase());
        [short.clone(), format!("SOURCES__{short}")]
    }

    /// Reads `names` from the environment (`<CONNECTOR>__<NAME>`, then
    /// `SOURCES__<CONNECTOR>__<NAME>`); every missing one is listed in one
    /// [`Error::MissingSecrets`].
    pub fn from_env(connector_name: &str, names: &[&str]) -> Result<Secrets, Error> {
        let secrets = Secrets::env_only(connector_name, names);
        secrets.require(connector_name, names, None)?;
        Ok(secrets)
    }

    /// Reads `names` from a dlt-style secrets.toml (`[sources.<connector>]` table).
    pub fn from_toml_file(
        path: &Path,
        connector_name: &str,
        names: &[&str],
    ) -> Result<Secrets, Error> {
        let secrets = Secrets::toml_only(path, connector_name, names)?;
        secrets.require(connector_name, names, Some(path))?;
        Ok(secrets)
    }

    /// Environment first, then the secrets.toml when given; every secret still missing is
    /// listed in one [`Error::MissingSecrets`].
    pub fn resolve(
        connector_name: &str,
        names: &[&str],
        toml: Option<&Path>,
    ) -> Result<Secrets, Error> {
        let mut secrets = Secrets::env_only(connector_name, names);
        if let Some(path) = toml {
            let missing: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| secrets.get(n).is_none())
                .collect();
            if !missing.is_empty() {
                let from_file = Secrets::toml_only(path, connector_name, &missing)?;
                secrets.values.extend(from_file.values);
            }
        }
        secrets.require(connector_name, names, toml)?;
        Ok(secrets)
    }

    /// Checks every name is present; the error lists all missing ones and where they were
    /// looked for.
    pub fn require(
        &self,
        connector_name: &str,
        names: &[&str],
        toml: Option<&Path>,
    ) -> Result<(), Error> {
        let mut missing: Vec<String> = names
            .iter()
            .filter(|n| self.get(n).is_none())
            .map(|n| (*n).to_owned())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort();
        missing.dedup();
        let vars: Vec<String> = missing
            .iter()
            .map(|n| Secrets::env_var_names(connector_name, n)[0].clone())
            .collect();
        let mut hint = format!(
            "set the environment variables {} (or SOURCES__<...>)",
            vars.join(", ")
        );
        match toml {
            Some(path) => hint.push_str(&format!(
                ", or add them to [sources.{connector_name}] in {}",
                path.display()
            )),
            None => hint.push_str(&format!(
                ", or add them to [sources.{connector_name}] in a secrets.toml"
            )),
        }
        Err(Error::MissingSecrets {
            names: missing,
            hint,
        })
    }

    fn env_only(connector_name: &str, names: &[&str]) -> Secrets {
        let mut secrets = Secrets::new();
        for name in names {
            for var in Secrets::env_var_names(connector_name, name) {
                if let Ok(value) = std::env::var(&var) {
                    secrets.insert(*name, value);
                    break;
                }
            }
        }
        secrets
    }

    fn toml_only(path: &Path, connector_name: &str, names: &[&str]) -> Result<Secrets, Error> {
        let file_error = |message: String| Error::SecretsFile {
            path: path.display().to_string(),
            message,
        };
        let table = read_toml(path)?;
        let section = table
            .get("sources")
            .and_then(|s| s.get(connector_name))
            .and_then(toml::Value::as_table);
        let mut secrets = Secrets::new();
        let Some(section) = section else {
            return Ok(secrets);
        };
        for name in names {
            // `credentials__token` is also dlt's nested `[sources.<c>.credentials] token`.
            let nested = || {
                let mut parts = name.split("__");
                let first = section.get(parts.next()?)?;
                parts.try_fold(first, |value, part| value.get(part))
            };
            match section.get(*name).or_else(nested) {
                Some(toml::Value::String(s)) => secrets.insert(*name, s.clone()),
                Some(toml::Value::Integer(i)) => secrets.insert(*name, i.to_string()),
                Some(_) => {
                    return Err(file_error(format!(
                        "sources.{connector_name}.{name} must be a string"
                    )))
                }
                None => {}
            }
        }
        Ok(secrets)
    }
}

/// A secrets.toml as a table. toml's messages quote the offending line, which may hold a
/// secret: only its line number is kept.
fn read_toml(path: &Path) -> Result<toml::Table, Error> {
    let file_error = |message: String| Error::SecretsFile {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    text.parse().map_err(|e: toml::de::Error| {
        file_error(match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].lines().count().max(1);
                format!("not valid TOML near line {line}")
            }
            None => "not valid TOML".to_owned(),
        })
    })
}

/// A destination's credential as dlt keeps it: the environment variable
/// `DESTINATION__<KIND>__CREDENTIALS__<FIELD>`, else `FIELD` in table
/// `[destination.<kind>.credentials]` of the secrets.toml when one is given. `Ok(None)` when
/// neither has it; `Ok(Some((value, where)))` says where it was found, for messages.
///
/// ```
/// use connector_runtime::destination_credential;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("secrets.toml");
/// std::fs::write(&path, "[destination.postgres.credentials]\npassword = \"pw\"\n").unwrap();
/// let (value, from) = destination_credential("postgres", "password", Some(&path))
///     .unwrap()
///     .unwrap();
/// assert_eq!(value.expose(), "pw");
/// assert!(from.contains("[destination.postgres.credentials]"));
/// ```
pub fn destination_credential(
    kind: &str,
    field: &str,
    toml: Option<&Path>,
) -> Result<Option<(SecretString, String)>, Error> {
    let var = format!(
        "DESTINATION__{}__CREDENTIALS__{}",
        kind.to_uppercase(),
        field.to_uppercase()
    );
    if let Some(value) = std::env::var(&var).ok().filter(|v| !v.is_empty()) {
        return Ok(Some((SecretString::new(value), var)));
    }
    let Some(path) = toml else {
        return Ok(None);
    };
    let table = read_toml(path)?;
    let value = table
        .get("destination")
        .and_then(|d| d.get(kind))
        .and_then(|d| d.get("credentials"))
        .and_then(|c| c.get(field));
    match value {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some((
            SecretString::new(s.clone()),
            format!("[destination.{kind}.credentials] of {}", path.display()),
        ))),
        Some(_) => Err(Error::SecretsFile {
            path: path.display().to_string(),
            message: format!("destination.{kind}.credentials.{field} must be a string"),
        }),
    }
}

/// "check secret `api_key` (environment variable RMM__API_KEY, or `api_key` in
/// [sources.rmm] of the secrets.toml)": where to look when credentials built from `names` are
/// refused. Empty when `names` is.
pub(crate) fn check_hint(connector_name: &str, names: &[&str]) -> String {
    let vars: Vec<String> = names
        .iter()
        .map(|n| Secrets::env_var_names(connector_name, n)[0].clone())
        .collect();
    match names {
        [] => String::new(),
        [one] => format!(
            "check secret `{one}` (environment variable {}, or `{one}` in [sources.{connector_name}] of the secrets.toml)",
            vars[0]
        ),
        many => format!(
            "check secrets {} (environment variables {}, or the same names in [sources.{connector_name}] of the secrets.toml)",
            many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            vars.join(", ")
        ),
    }
}

/// The value of a spec string that may name a secret. A missing secret is caught by
/// `Connector::new`; here it is an error naming it, never a panic.
pub(crate) fn value_of(
    value: &connector_spec::resolved::TextSource,
    secrets: &Secrets,
) -> Result<SecretString, String> {
    use connector_spec::resolved::TextSource;
    match value {
        TextSource::Literal(s) => Ok(SecretString::new(s.clone())),
        TextSource::Secret(name) => secrets
            .get(name)
            .cloned()
            .ok_or_else(|| format!("secret `{name}` is not set")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_values() {
        let s = SecretString::from("p4ssw0rd");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        let all = Secrets::new().with("a", "p4ssw0rd");
        assert_eq!(format!("{all:?}"), r#"{"a": "***"}"#);
    }

    #[test]
    fn toml_section_and_missing_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::write(&path, "[sources.demo_conn]\nclient_id = \"id-1\"\n").unwrap();
        let err =
            Secrets::from_toml_file(&path, "demo_conn", &["client_id", "zz", "aa"]).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("missing secrets: aa, zz;"), "{text}");
        assert!(text.contains("DEMO_CONN__AA"), "{text}");
        let ok = Secrets::from_toml_file(&path, "demo_conn", &["client_id"]).unwrap();
        assert_eq!(ok.get("client_id").unwrap().expose(), "id-1");
    }

    #[test]
    fn dlt_credentials_are_found_flat_nested_and_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::write(
            &path,
            "[sources.nested_conn.credentials]\ntoken = \"t-1\"\n[sources.flat_conn]\ncredentials__token = \"t-2\"\n",
        )
        .unwrap();
        let nested =
            Secrets::from_toml_file(&path, "nested_conn", &["credentials__token"]).unwrap();
        assert_eq!(nested.get("credentials__token").unwrap().expose(), "t-1");
        let flat = Secrets::from_toml_file(&path, "flat_conn", &["credentials__token"]).unwrap();
        assert_eq!(flat.get("credentials__token").unwrap().expose(), "t-2");
        // dlt's environment spelling, exactly.
        std::env::set_var("SOURCES__CRED_CONN__CREDENTIALS__API_KEY", "k");
        let env = Secrets::from_env("cred_conn", &["credentials__api_key"]).unwrap();
        assert_eq!(env.get("credentials__api_key").unwrap().expose(), "k");
    }

    #[test]
    fn bad_toml_does_not_echo_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::write(&path, "[sources.x]\napi_key = \"hunter2\n").unwrap();
        let err = Secrets::from_toml_file(&path, "x", &["api_key"])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn env_names_both_spellings() {
        // Unique names: tests run in parallel in one process.
        std::env::set_var("ENVTEST_CONN__TOKEN_A", "a");
        std::env::set_var("SOURCES__ENVTEST_CONN__TOKEN_B", "b");
        let s = Secrets::from_env("envtest_conn", &["token_a", "token_b"]).unwrap();
        assert_eq!(s.get("token_a").unwrap().expose(), "a");
        assert_eq!(s.get("token_b").unwrap().expose(), "b");
        let err = Secrets::resolve("envtest_conn", &["token_a", "token_c"], None).unwrap_err();
        assert!(matches!(&err, Error::MissingSecrets { names, .. } if names == &["token_c"]));
    }
}
