//! Whether two specs mean the same connector: their resolved models compared on what a dlt
//! config says (resources in order, endpoints, paginators, selectors, auth, parent links,
//! incremental, keys, dispositions, retries, the client), not on what only a hand-written
//! spec adds (columns, samples, the connector's name and description, source lines).
//!
//! A relative OAuth2 token URL is compared joined to `base_url`, as the runtime joins it.

use connector_spec::resolved::{AuthPlan, TextSource};
use connector_spec::{ResolvedResource, ResolvedSpec};

/// One way two models differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The resource, or `None` for the client and the resource list.
    pub resource: Option<String>,
    /// The field of the resolved model (`paginator`, `retry`, `auth`, ...).
    pub field: &'static str,
    /// Both values, shown.
    pub detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.resource {
            Some(r) => write!(f, "resource `{r}`: {}: {}", self.field, self.detail),
            None => write!(f, "{}: {}", self.field, self.detail),
        }
    }
}

/// Every difference between `imported` and `reference`, the client first, then each resource
/// both have, in `reference`'s order.
pub fn differences(imported: &ResolvedSpec, reference: &ResolvedSpec) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut check = |resource: Option<&str>, field: &'static str, a: String, b: String| {
        if a != b {
            out.push(Difference {
                resource: resource.map(str::to_owned),
                field,
                detail: format!("imported {a}, reference {b}"),
            });
        }
    };
    let (ci, cr) = (&imported.client, &reference.client);
    check(None, "base_url", show(&ci.base_url), show(&cr.base_url));
    check(
        None,
        "auth",
        show(&ci.auth.as_ref().map(|a| joined(a, &ci.base_url))),
        show(&cr.auth.as_ref().map(|a| joined(a, &cr.base_url))),
    );
    macro_rules! client_fields {
        ($($field:ident),* $(,)?) => {
            $(check(None, stringify!($field), show(&ci.$field), show(&cr.$field));)*
        };
    }
    client_fields!(
        timeout_seconds,
        rate_limit,
        concurrency,
        follow_cross_origin_links,
        max_body_bytes,
    );
    let names = |s: &ResolvedSpec| {
        s.resources
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    check(
        None,
        "resources",
        show(&names(imported)),
        show(&names(reference)),
    );
    for r in &reference.resources {
        let Some(i) = imported.resource(&r.name) else {
            continue;
        };
        for (field, a, b) in resource_fields(i, &ci.base_url, r, &cr.base_url) {
            check(Some(&r.name), field, a, b);
        }
    }
    out
}

fn show(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}")
}

/// An auth with a relative token URL joined to the base URL.
fn joined(auth: &AuthPlan, base_url: &str) -> AuthPlan {
    let mut auth = auth.clone();
    if let AuthPlan::OAuth2(o) = &mut auth {
        if let TextSource::Literal(url) = &o.token_url {
            if !url.contains("://") {
                o.token_url = TextSource::Literal(format!(
                    "{}/{}",
                    base_url.trim_end_matches('/'),
                    url.trim_start_matches('/')
                ));
            }
        }
    }
    auth
}

/// The compared fields of one resource, shown for each side.
fn resource_fields(
    i: &ResolvedResource,
    i_base: &str,
    r: &ResolvedResource,
    r_base: &str,
) -> Vec<(&'static str, String, String)> {
    macro_rules! fields {
        ($($field:ident),* $(,)?) => {
            vec![$((stringify!($field), show(&i.$field), show(&r.$field))),*]
        };
    }
    let mut out = fields!(
        table_name,
        method,
        path,
        params,
        headers,
        json,
        body,
        paginator,
        data_selector,
        incremental,
        response_actions,
        retry,
        primary_key,
        merge_key,
        disposition,
        merge_strategy,
        merge_options,
        parent,
        include_from_parent,
        selected,
        parallelized,
        max_table_nesting,
        naming,
        schema_contract,
        max_pages,
    );
    out.push((
        "auth",
        show(&i.auth.as_ref().map(|a| joined(a, i_base))),
        show(&r.auth.as_ref().map(|a| joined(a, r_base))),
    ));
    out
}
