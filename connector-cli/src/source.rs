//! How `sync`, `check --live` and `samples` reach an API, written once: the spec file read and
//! validated, the flags that point it elsewhere (`--base-url`, `--token-url`), and where its
//! secrets come from (the environment, `--secrets`, `./secrets.toml`, `./.dlt/secrets.toml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connector_runtime::{Options, Secrets};
use connector_spec::ResolvedSpec;

use crate::spec_file;

/// Where secrets are read from, for each command's `--help` (a macro, so `concat!` can put it
/// in front of a command's own text).
macro_rules! secrets_help {
    () => {
        "Secrets are read from the environment (<CONNECTOR>__<NAME> or \
SOURCES__<CONNECTOR>__<NAME>), then from --secrets, ./secrets.toml or ./.dlt/secrets.toml \
([sources.<connector>] name = \"...\")."
    };
}
pub(crate) use secrets_help;

/// The flags a command that talks to the API shares.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Use this base URL instead of the spec's (e.g. a local test server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use this OAuth2 token URL instead of the spec's.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// A dlt-style secrets.toml.
    #[arg(long, value_name = "PATH")]
    pub secrets: Option<PathBuf>,
}

impl ApiArgs {
    /// The spec's secrets, from the environment, then the secrets file; the error names every
    /// missing one and where it was looked for.
    pub fn secrets(&self, spec: &ResolvedSpec) -> Result<Secrets, connector_runtime::Error> {
        let refs: Vec<&str> = spec.secrets.iter().map(String::as_str).collect();
        Secrets::resolve(&spec.name, &refs, self.secrets_file().as_deref())
    }

    /// The secrets.toml in use: `--secrets`, else the default file when present.
    pub fn secrets_file(&self) -> Option<PathBuf> {
        self.secrets.clone().or_else(default_secrets_file)
    }

    /// Runtime options with the base URL and token URL these flags replace.
    pub fn options(&self) -> Options {
        let mut options = Options::new();
        if let Some(base_url) = &self.base_url {
            options = options.with_base_url(base_url);
        }
        if let Some(token_url) = &self.token_url {
            options = options.with_token_url(token_url);
        }
        options
    }

    /// Whether any of these flags was given (commands that use them only sometimes refuse
    /// them otherwise).
    pub fn any(&self) -> bool {
        self.base_url.is_some() || self.token_url.is_some() || self.secrets.is_some()
    }
}

/// `./secrets.toml`, else dlt's `./.dlt/secrets.toml`, when present.
pub(crate) fn default_secrets_file() -> Option<PathBuf> {
    [Path::new("secrets.toml"), Path::new(".dlt/secrets.toml")]
        .into_iter()
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
}

/// The spec at `path`, resolved, its warnings printed on stderr; an unreadable file is exit
/// 2 and an invalid spec exit 1, each said on stderr.
pub fn load(path: &Path) -> Result<ResolvedSpec, ExitCode> {
    let file = path.display().to_string();
    let source = spec_file::read(path).map_err(|e| {
        eprintln!("error: cannot read spec `{file}`: {e}");
        ExitCode::from(2)
    })?;
    let loaded = connector_spec::parse_str(&source, &file).map_err(|diagnostics| {
        for d in &diagnostics {
            eprintln!("{d}");
        }
        eprintln!("error: `{file}` is not a valid spec (see `connector check {file}`)");
        ExitCode::from(1)
    })?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    Ok(loaded.resolved)
}
