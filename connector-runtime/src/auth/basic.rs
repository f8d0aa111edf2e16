//! HTTP basic authentication.

use futures::future::BoxFuture;
use reqwest::RequestBuilder;

use super::Authenticator;
use crate::{Error, SecretString};

pub(crate) struct BasicAuth {
    username: SecretString,
    password: SecretString,
}

impl BasicAuth {
    pub(crate) fn new(username: SecretString, password: SecretString) -> BasicAuth {
        BasicAuth { username, password }
    }
}

impl Authenticator for BasicAuth {
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        _resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
        // reqwest marks the basic Authorization header sensitive.
        Box::pin(async move {
            Ok((
                request.basic_auth(self.username.expose(), Some(self.password.expose())),
                0,
            ))
        })
    }
}
