//! An API key in a header, a query parameter or a cookie.

use connector_spec::ApiKeyLocation;
use futures::future::BoxFuture;
use reqwest::header::{HeaderName, COOKIE};
use reqwest::RequestBuilder;

use super::bearer::sensitive;
use super::Authenticator;
use crate::{Error, SecretString};

pub(crate) struct ApiKeyAuth {
    name: String,
    key: SecretString,
    location: ApiKeyLocation,
}

impl ApiKeyAuth {
    pub(crate) fn new(
        name: String,
        key: SecretString,
        location: ApiKeyLocation,
    ) -> Result<ApiKeyAuth, String> {
        if location == ApiKeyLocation::Header && HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(format!("auth.name `{name}` is not a valid header name"));
        }
        Ok(ApiKeyAuth {
            name,
            key,
            location,
        })
    }

    pub(crate) fn in_query(&self) -> bool {
        self.location == ApiKeyLocation::Query
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Authenticator for ApiKeyAuth {
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        _resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
        Box::pin(async move {
            let request = match self.location {
                ApiKeyLocation::Header => {
                    request.header(self.name.as_str(), sensitive(self.key.expose()))
                }
                ApiKeyLocation::Query => request.query(&[(self.name.as_str(), self.key.expose())]),
                ApiKeyLocation::Cookie => request.header(
                    COOKIE,
                    sensitive(&format!("{}={}", self.name, self.key.expose())),
                ),
            };
            Ok((request, 0))
        })
    }
}
