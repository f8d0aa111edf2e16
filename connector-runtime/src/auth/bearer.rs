//! `Authorization: Bearer <token>` with a fixed token.

use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::RequestBuilder;

use super::Authenticator;
use crate::{Error, SecretString};

pub(crate) struct BearerAuth {
    header: HeaderValue,
}

impl BearerAuth {
    pub(crate) fn new(token: SecretString) -> BearerAuth {
        BearerAuth {
            header: sensitive(&format!("Bearer {}", token.expose())),
        }
    }
}

/// A header value marked sensitive (hidden from reqwest's and hyper's Debug output). A value
/// that is not a valid header (a newline in a secret) becomes empty, and the API's 401 says so.
pub(super) fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

impl Authenticator for BearerAuth {
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        _resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
        Box::pin(async move { Ok((request.header(AUTHORIZATION, self.header.clone()), 0)) })
    }
}
