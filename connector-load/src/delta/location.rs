//! Where a Delta destination's tables live: `delta:PATH` on local disk or
//! `delta:s3://BUCKET/PREFIX` on S3-compatible storage, one table per normalized table under
//! `<root>/<connector>/<table>`, and the storage options S3 is opened with.

use std::collections::HashMap;
use std::path::Path;

use url::Url;

use crate::error::{Error, Result};

/// The environment variables an S3 destination is configured from, as the AWS tools name
/// them. Credentials among them are never printed.
pub(crate) const S3_ENV: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_S3_LOCKING_PROVIDER",
];

/// dlt's names for a filesystem destination's S3 credentials, and the option each sets.
pub(crate) const DLT_FIELDS: &[(&str, &str)] = &[
    ("aws_access_key_id", "aws_access_key_id"),
    ("aws_secret_access_key", "aws_secret_access_key"),
    ("aws_session_token", "aws_session_token"),
    ("region_name", "aws_region"),
    ("endpoint_url", "aws_endpoint_url"),
];

/// The root of a Delta destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lake {
    /// `file:///abs/dir/` or `s3://bucket/prefix/`, always ending in `/`.
    pub(crate) root: Url,
}

impl Lake {
    /// Parses what follows `delta:`: a directory (created when missing, its parent must
    /// exist) or an `s3://BUCKET[/PREFIX]` URL.
    pub(crate) fn parse(rest: &str) -> std::result::Result<Lake, String> {
        let rest = rest.trim();
        if rest.is_empty() {
            return Err("no directory or s3:// URL after `delta:`".to_owned());
        }
        if let Some(s3) = rest.strip_prefix("s3://") {
            let bucket = s3.split('/').next().unwrap_or("");
            if bucket.is_empty() {
                return Err("no bucket in the s3:// URL; write `delta:s3://BUCKET/PREFIX`".into());
            }
            let mut root = Url::parse(&format!("s3://{}/", s3.trim_end_matches('/')))
                .map_err(|e| format!("`s3://{s3}` is not a valid URL: {e}"))?;
            root.set_query(None);
            return Ok(Lake { root });
        }
        if let Some((scheme, _)) = rest.split_once("://") {
            return Err(format!(
                "`{scheme}://` is not supported for Delta tables; write a local directory \
                 (`delta:./lake`) or `delta:s3://BUCKET/PREFIX`"
            ));
        }
        let path = std::path::absolute(Path::new(rest.strip_prefix("file:").unwrap_or(rest)))
            .map_err(|e| format!("`{rest}` is not a usable path: {e}"))?;
        let root = Url::from_directory_path(&path)
            .map_err(|()| format!("`{}` is not an absolute directory path", path.display()))?;
        Ok(Lake { root })
    }

    /// Whether the tables are on S3.
    pub(crate) fn is_s3(&self) -> bool {
        self.root.scheme() == "s3"
    }

    /// Makes a local root directory when missing (its parent must exist).
    pub(crate) fn prepare(&self) -> Result<()> {
        let Ok(path) = self.root.to_file_path() else {
            return Ok(());
        };
        let error = |reason: String| Error::Open {
            kind: "delta",
            path: path.clone(),
            reason,
        };
        if path.is_file() {
            return Err(error("it is a file, not a directory".to_owned()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(error(format!(
                    "directory `{}` does not exist",
                    parent.display()
                )));
            }
        }
        std::fs::create_dir_all(&path).map_err(|e| error(e.to_string()))
    }

    /// The directory of `connector`'s tables.
    pub(crate) fn connector_dir(&self, connector: &str) -> Url {
        self.root
            .join(&format!("{}/", segment(connector)))
            .expect("a path segment joins")
    }

    /// The location of `connector`'s table `table`.
    pub(crate) fn table(&self, connector: &str, table: &str) -> Url {
        self.connector_dir(connector)
            .join(&format!("{}/", segment(table)))
            .expect("a path segment joins")
    }

    /// The options S3 is opened with: the [`S3_ENV`] variables that are set; for those that
    /// are not, dlt's places for a filesystem destination's credentials ([`DLT_FIELDS`]: the
    /// variable `DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID` and the like, then
    /// `[destination.filesystem.credentials]` of `secrets`); and, unless a locking provider
    /// is configured, conditional puts (`If-None-Match`), which S3 and the S3-compatible
    /// servers have and Delta's commits need to stay atomic with several writers.
    pub(crate) fn storage_options(
        &self,
        secrets: Option<&Path>,
    ) -> Result<HashMap<String, String>> {
        let mut options = HashMap::new();
        if !self.is_s3() {
            return Ok(options);
        }
        for name in S3_ENV {
            if let Ok(value) = std::env::var(name) {
                options.insert(name.to_ascii_lowercase(), value);
            }
        }
        for (field, option) in DLT_FIELDS {
            if options.contains_key(*option) {
                continue;
            }
            let found = connector_runtime::destination_credential("filesystem", field, secrets)
                .map_err(|e| Error::Connect {
                    url: self.to_string(),
                    reason: e.to_string(),
                })?;
            if let Some((value, _)) = found {
                options.insert((*option).to_owned(), value.expose().to_owned());
            }
        }
        if !options.contains_key("aws_s3_locking_provider") {
            options.insert("aws_conditional_put".to_owned(), "etag".to_owned());
        }
        Ok(options)
    }
}

impl std::fmt::Display for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.root.to_file_path() {
            Ok(path) if !self.is_s3() => write!(f, "delta:{}", path.display()),
            _ => write!(f, "delta:{}", self.root),
        }
    }
}

/// A name as one path segment: percent-encoded where a path would read it otherwise.
fn segment(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_and_s3_roots() {
        let lake = Lake::parse("s3://bucket/some/prefix").unwrap();
        assert_eq!(lake.root.as_str(), "s3://bucket/some/prefix/");
        assert_eq!(
            lake.table("shop", "users__tags").as_str(),
            "s3://bucket/some/prefix/shop/users__tags/"
        );
        let local = Lake::parse("/tmp/lake").unwrap();
        assert_eq!(local.root.as_str(), "file:///tmp/lake/");
        assert!(local.to_string().starts_with("delta:/tmp/lake"));
        assert!(Lake::parse("s3://").unwrap_err().contains("no bucket"));
        assert!(Lake::parse("gs://b/p")
            .unwrap_err()
            .contains("not supported"));
        assert!(Lake::parse("").unwrap_err().contains("no directory"));
    }

    #[test]
    fn s3_credentials_come_from_the_environment_or_dlts_secrets_toml() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.toml");
        std::fs::write(
            &secrets,
            "[destination.filesystem.credentials]\naws_access_key_id = \"from-toml\"\n\
             region_name = \"eu-west-3\"\n",
        )
        .unwrap();
        let lake = Lake::parse("s3://bucket/p").unwrap();
        let options = lake.storage_options(Some(&secrets)).unwrap();
        let expected =
            |env: &str, toml: &str| std::env::var(env).unwrap_or_else(|_| toml.to_owned());
        assert_eq!(
            options["aws_access_key_id"],
            expected("AWS_ACCESS_KEY_ID", "from-toml")
        );
        assert_eq!(options["aws_region"], expected("AWS_REGION", "eu-west-3"));
        assert_eq!(options["aws_conditional_put"], "etag");
        // A local lake needs none.
        let local = Lake::parse("/tmp/lake").unwrap();
        assert!(local.storage_options(Some(&secrets)).unwrap().is_empty());
        // A broken secrets file is an error naming it.
        std::fs::write(
            &secrets,
            "[destination.filesystem.credentials]\naws_access_key_id = 1\n",
        )
        .unwrap();
        if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
            let err = lake
                .storage_options(Some(&secrets))
                .unwrap_err()
                .to_string();
            assert!(err.contains("aws_access_key_id must be a string"), "{err}");
        }
    }
}
