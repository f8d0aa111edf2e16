//! [`Spec::resolve`]: the written spec turned into the [`ResolvedSpec`] every consumer reads.
//!
//! This is the one place the spec's defaults are applied and its strings parsed. A spec that
//! passed validation always resolves; an error here names the resource and the key, for a
//! spec built by hand without [`crate::load()`].

use std::fmt;

use crate::merge::MergedResource;
use crate::model::*;
use crate::naming::parent_column;
use crate::relations::Where;
use crate::resolved::*;
use crate::selector::Selector;
use crate::template::{JsonTemplate, Template};

mod paginator;

use crate::vocabulary::*;
use paginator::paginator_plan;

/// Why a spec does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    /// The resource (`client` for client settings).
    pub resource: String,
    /// The key and what is wrong with it.
    pub message: String,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resource `{}`: {}", self.resource, self.message)
    }
}

impl std::error::Error for ResolveError {}

impl Spec {
    /// The spec resolved: defaults filled, strings parsed, parents settled.
    ///
    /// ```
    /// use connector_spec::resolved::{PaginatorPlan, RequestField};
    /// let yaml = "
    /// name: shop
    /// client: { base_url: https://api.example.com }
    /// resources:
    ///   - name: users
    ///     endpoint: { path: /users, paginator: { type: cursor, cursor_path: next, limit: 30 } }
    ///   - name: orders
    ///     endpoint: /users/{resources.users.id}/orders
    ///     include_from_parent: [id]
    /// ";
    /// let spec = connector_spec::parse_str(yaml, "shop.yaml").unwrap().resolved;
    /// let users = spec.resource("users").unwrap();
    /// let PaginatorPlan::Cursor(cursor) = &users.paginator else { panic!() };
    /// assert_eq!(cursor.cursor_at, RequestField::Query("cursor".into()));
    /// assert_eq!(cursor.limit.as_ref().unwrap().value, 30);
    /// let orders = spec.resource("orders").unwrap();
    /// assert_eq!(orders.parent.as_ref().unwrap().resource, "users");
    /// assert_eq!(orders.include_from_parent[0].column, "_users_id");
    /// ```
    pub fn resolve(&self) -> Result<ResolvedSpec, ResolveError> {
        let client_error = |message: String| ResolveError {
            resource: "client".to_owned(),
            message,
        };
        let client_auth = self
            .client
            .auth
            .as_ref()
            .map(auth_plan)
            .transpose()
            .map_err(|m| client_error(format!("auth: {m}")))?;
        let client = ResolvedClient {
            base_url: self.client.base_url.clone(),
            auth: client_auth.clone(),
            timeout_seconds: self
                .client
                .timeout_seconds
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
            rate_limit: self.client.rate_limit.clone(),
            concurrency: self
                .client
                .concurrency
                .map_or(DEFAULT_CONCURRENCY, |c| c as usize)
                .max(1),
            follow_cross_origin_links: self.client.follow_cross_origin_links.unwrap_or(true),
            max_body_bytes: self.client.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        };
        let resources = self
            .merged_resources()
            .iter()
            .map(|merged| self.resolve_resource(merged, client_auth.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ResolvedSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            client,
            resources,
            dependency_order: self.dependency_order(),
            secrets: self.secret_names(),
            strict: self.strict.unwrap_or(false),
        })
    }

    fn resolve_resource(
        &self,
        merged: &MergedResource,
        client_auth: Option<&AuthPlan>,
    ) -> Result<ResolvedResource, ResolveError> {
        let err = |message: String| ResolveError {
            resource: merged.name.clone(),
            message,
        };
        let endpoint = &merged.endpoint;
        let template = |key: &str, text: &str| {
            Template::parse(text).map_err(|e| err(format!("{key}: `{text}`: {e}")))
        };
        let selector = |key: &str, text: &str| {
            Selector::parse(text).map_err(|e| err(format!("{key}: `{text}`: {e}")))
        };

        let mut path = template("endpoint.path", merged.path())?;
        // A plain param named like a `{name}` of the path is bound into the path (dlt's
        // `path.format(**params)`) and not sent as a query parameter.
        let mut bound_into_path: Vec<&str> = Vec::new();
        for (key, value) in &endpoint.params {
            let in_path = path
                .placeholders()
                .any(|p| p.kind == crate::template::PlaceholderKind::Name(key.clone()));
            if let (true, ParamValue::Literal(scalar)) = (in_path, value) {
                path = path.bind(key, &scalar_text(scalar));
                bound_into_path.push(key);
            }
        }
        let link = self.parent_of(&merged.name);
        let parent = match &link {
            None => {
                if path
                    .placeholders()
                    .any(|p| p.kind == crate::template::PlaceholderKind::ParentId)
                {
                    return Err(err(
                        "`{parent_id}` needs a parent resource, and none can be inferred (it is \
                         inferred only when exactly one other resource has no parent): add \
                         `parent: <resource>`"
                            .to_owned(),
                    ));
                }
                None
            }
            Some(link) => {
                let mut placeholders = Vec::new();
                let mut key_fields: Vec<Selector> = Vec::new();
                for binding in &link.bindings {
                    let field = selector("parent field", &binding.parent_field)?;
                    let text = match &binding.placeholder_or_param {
                        Where::Path(p) => Some(p.clone()),
                        Where::Param { placeholder, .. }
                        | Where::Header { placeholder, .. }
                        | Where::Data { placeholder, .. }
                        | Where::Json { placeholder, .. } => Some(placeholder.clone()),
                        Where::ResolveParam { name, in_path } => in_path.then(|| name.clone()),
                    };
                    if let Some(text) = text {
                        if !placeholders.iter().any(|(p, _)| p == &text) {
                            placeholders.push((text, field.clone()));
                        }
                    }
                    if !key_fields.contains(&field) {
                        key_fields.push(field);
                    }
                }
                Some(ParentPlan {
                    resource: link.parent.clone(),
                    placeholders,
                    key_fields,
                })
            }
        };

        let mut params = Vec::new();
        for (key, value) in &endpoint.params {
            if bound_into_path.contains(&key.as_str()) {
                continue;
            }
            let source = match value {
                ParamValue::Null => continue, // dlt drops a null param
                ParamValue::Secret(s) => ParamSource::Secret(s.secret.clone()),
                ParamValue::Special(SpecialParam::Resolve(r)) => {
                    if parent.as_ref().is_some_and(|p| p.field_for(key).is_some()) {
                        continue; // bound into the path
                    }
                    ParamSource::ParentField(selector(&format!("params.{key}"), &r.field)?)
                }
                ParamValue::Special(SpecialParam::Incremental(_)) => ParamSource::IncrementalStart,
                ParamValue::Literal(scalar) => {
                    ParamSource::Template(template(&format!("params.{key}"), &scalar_text(scalar))?)
                }
            };
            params.push((key.clone(), source));
        }

        let mut merged_headers = indexmap::IndexMap::new();
        for map in [&self.client.headers, &endpoint.headers] {
            for (k, v) in map {
                merged_headers.insert(k.clone(), v.clone());
            }
        }
        let headers = merged_headers
            .into_iter()
            .map(|(key, value)| {
                let source = match value {
                    StringOrSecret::Secret(s) => TemplateOrSecret::Secret(s.secret),
                    StringOrSecret::Literal(s) => {
                        TemplateOrSecret::Template(template(&format!("headers.{key}"), &s)?)
                    }
                };
                Ok((key, source))
            })
            .collect::<Result<Vec<_>, ResolveError>>()?;

        let json = endpoint
            .json
            .as_ref()
            .map(JsonTemplate::parse)
            .transpose()
            .map_err(|(at, e)| err(format!("json.{at}: {e}")))?;
        let body = match &endpoint.data {
            None => None,
            Some(RequestData::Raw(raw)) => Some(BodySource::Raw(template("data", raw)?)),
            Some(data) => Some(BodySource::Form(
                data.fields()
                    .into_iter()
                    .map(|(key, value)| {
                        let source = match value {
                            StringOrSecret::Secret(s) => TemplateOrSecret::Secret(s.secret.clone()),
                            StringOrSecret::Literal(s) => {
                                TemplateOrSecret::Template(template(&format!("data.{key}"), s)?)
                            }
                        };
                        Ok((key.to_owned(), source))
                    })
                    .collect::<Result<Vec<_>, ResolveError>>()?,
            )),
        };

        let auth = match &endpoint.auth {
            None => client_auth.cloned(),
            Some(a) => Some(auth_plan(a).map_err(|m| err(format!("auth: {m}")))?),
        };

        let paginator = paginator_plan(merged.paginator.as_ref())
            .map_err(|m| err(format!("paginator: {m}")))?;
        let data_selector = endpoint
            .data_selector
            .as_deref()
            .map(|s| selector("data_selector", s))
            .transpose()?;

        let incremental = endpoint
            .incremental
            .as_ref()
            .or_else(|| {
                endpoint.params.values().find_map(|p| match p {
                    ParamValue::Special(SpecialParam::Incremental(i)) => Some(i),
                    _ => None,
                })
            })
            .map(|i| {
                Ok::<_, ResolveError>(IncrementalPlan {
                    cursor_path: selector("incremental.cursor_path", &i.cursor_path)?,
                    initial_value: i.initial_value.clone(),
                    end_value: i.end_value.clone(),
                    start_param: i.start_param.clone(),
                    end_param: i.end_param.clone(),
                    last_value_func: i.last_value_func.unwrap_or(LastValueFunc::Max),
                    on_cursor_value_missing: i
                        .on_cursor_value_missing
                        .unwrap_or(OnCursorValueMissing::Raise),
                    lag: i.lag,
                    row_order: i.row_order,
                    range_start: i.range_start.unwrap_or(RangeBound::Closed),
                    range_end: i.range_end.unwrap_or(RangeBound::Open),
                    boundary_key: boundary_key(i.primary_key.as_ref(), &merged.primary_key),
                })
            })
            .transpose()?;

        let include_from_parent = merged
            .include_from_parent
            .iter()
            .map(|field| {
                let Some(parent) = &parent else {
                    return Err(err("include_from_parent needs a parent resource (a \
                         `{resources.<parent>.<field>}` placeholder, a resolve param, or \
                         `parent:`)"
                        .to_owned()));
                };
                Ok(IncludedField {
                    field: selector("include_from_parent", field)?,
                    column: parent_column(&parent.resource, field),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        Ok(ResolvedResource {
            name: merged.name.clone(),
            table_name: merged.table_name.clone(),
            method: merged.method(),
            path,
            params,
            headers,
            json,
            body,
            auth,
            paginator,
            data_selector,
            incremental,
            response_actions: endpoint.response_actions.clone(),
            retry: retry_plan(endpoint.error_handler.as_ref()),
            primary_key: merged.primary_key.clone(),
            merge_key: merged.merge_key.clone(),
            disposition: merged.disposition,
            merge_strategy: merged.merge_strategy,
            merge_options: merged.merge_options.clone(),
            columns: merged.columns.clone(),
            parent,
            include_from_parent,
            selected: merged.selected,
            parallelized: merged.parallelized,
            max_table_nesting: merged.max_table_nesting,
            naming: self.naming.unwrap_or_default(),
            schema_contract: merged.schema_contract,
            lines: Default::default(),
            samples: merged.samples.clone(),
            max_pages: endpoint.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
        })
    }
}

/// A scalar param as the text a request carries.
/// dlt's choice of deduplication key: the incremental's own `primary_key` (an empty list
/// turns deduplication off), else the resource's, else the whole record.
fn boundary_key(own: Option<&Keys>, resource: &[String]) -> BoundaryKey {
    match own.map(Keys::columns) {
        Some(columns) if columns.is_empty() => BoundaryKey::Off,
        Some(columns) => BoundaryKey::PrimaryKey(columns.into_iter().map(str::to_owned).collect()),
        None if resource.is_empty() => BoundaryKey::Record,
        None => BoundaryKey::PrimaryKey(resource.to_vec()),
    }
}

fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::String(s) => s.clone(),
    }
}

fn text_source(value: &StringOrSecret) -> TextSource {
    match value {
        StringOrSecret::Literal(s) => TextSource::Literal(s.clone()),
        StringOrSecret::Secret(s) => TextSource::Secret(s.secret.clone()),
    }
}

fn auth_plan(auth: &Auth) -> Result<AuthPlan, String> {
    Ok(match auth {
        Auth::Bearer { token } => AuthPlan::Bearer {
            token: text_source(token),
        },
        Auth::ApiKey {
            name,
            api_key,
            location,
        } => AuthPlan::ApiKey {
            name: name.clone().unwrap_or_else(|| "Authorization".to_owned()),
            api_key: text_source(api_key),
            location: location.unwrap_or(ApiKeyLocation::Header),
        },
        Auth::HttpBasic { username, password } => AuthPlan::HttpBasic {
            username: text_source(username),
            password: text_source(password),
        },
        Auth::Oauth2ClientCredentials(o) | Auth::Oauth2RefreshToken(o) => {
            if matches!(auth, Auth::Oauth2RefreshToken(_)) && o.refresh_token.is_none() {
                return Err("auth type oauth2_refresh_token needs `refresh_token`".to_owned());
            }
            AuthPlan::OAuth2(OAuth2Plan {
                token_url: text_source(&o.access_token_url),
                client_id: text_source(&o.client_id),
                client_secret: text_source(&o.client_secret),
                refresh_token: o.refresh_token.as_ref().map(text_source),
                access_token: o.access_token.as_ref().map(text_source),
                scopes: o.scopes.clone(),
                access_token_request_data: o
                    .access_token_request_data
                    .iter()
                    .map(|(k, v)| (k.clone(), text_source(v)))
                    .collect(),
                default_token_expiration: o.default_token_expiration.unwrap_or(3600),
                client_auth: o.client_auth.unwrap_or(OAuth2ClientAuth::Form),
            })
        }
    })
}

fn retry_plan(handler: Option<&ErrorHandler>) -> RetryPlan {
    let defaults = RetryPlan::default();
    let Some(h) = handler else {
        return defaults;
    };
    RetryPlan {
        retry_on_status_codes: h.retry_on_status_codes.clone(),
        max_retries: h.max_retries.unwrap_or(defaults.max_retries),
        backoff_factor: h.backoff_factor.unwrap_or(defaults.backoff_factor).max(0.0),
        max_retry_delay: h
            .max_retry_delay
            .unwrap_or(defaults.max_retry_delay)
            .max(0.0),
        respect_retry_after: h
            .respect_retry_after
            .unwrap_or(defaults.respect_retry_after),
        retry_after_min_wait: h
            .retry_after_min_wait
            .unwrap_or(defaults.retry_after_min_wait)
            .max(0.0),
    }
}
