//! dlt's classes that a config may hold instead of a dict: paginators, auth and
//! `dlt.sources.incremental`, with the dict form each stands for (dlt's own mapping from
//! `type` names to classes, read backwards).

/// One dlt class.
pub(crate) struct Class {
    /// The class name.
    pub name: &'static str,
    /// The `type` of its dict form (`None`: the dict has no `type`, as incremental's).
    pub type_name: Option<&'static str>,
    /// Its positional parameters, in order.
    pub positional: &'static [&'static str],
}

impl Class {
    pub fn describe(&self) -> String {
        match self.type_name {
            Some(t) => format!("{{ type: {t}, ... }}"),
            None => "its mapping".to_owned(),
        }
    }
}

/// `dlt.sources.incremental`'s positional parameters.
const INCREMENTAL: &[&str] = &[
    "cursor_path",
    "initial_value",
    "last_value_func",
    "primary_key",
    "end_value",
    "row_order",
];

const CLASSES: &[Class] = &[
    Class {
        name: "SinglePagePaginator",
        type_name: Some("single_page"),
        positional: &[],
    },
    Class {
        name: "PageNumberPaginator",
        type_name: Some("page_number"),
        positional: &[
            "base_page",
            "page",
            "page_param",
            "total_path",
            "maximum_page",
        ],
    },
    Class {
        name: "OffsetPaginator",
        type_name: Some("offset"),
        positional: &[
            "limit",
            "offset",
            "offset_param",
            "limit_param",
            "total_path",
            "maximum_offset",
        ],
    },
    Class {
        name: "JSONResponseCursorPaginator",
        type_name: Some("cursor"),
        positional: &["cursor_path", "cursor_param"],
    },
    Class {
        name: "JSONLinkPaginator",
        type_name: Some("json_link"),
        positional: &["next_url_path"],
    },
    // dlt's older name of JSONLinkPaginator.
    Class {
        name: "JSONResponsePaginator",
        type_name: Some("json_link"),
        positional: &["next_url_path"],
    },
    Class {
        name: "HeaderLinkPaginator",
        type_name: Some("header_link"),
        positional: &["links_next_key"],
    },
    Class {
        name: "HeaderCursorPaginator",
        type_name: Some("header_cursor"),
        positional: &["cursor_key", "cursor_param"],
    },
    Class {
        name: "BearerTokenAuth",
        type_name: Some("bearer"),
        positional: &["token"],
    },
    Class {
        name: "APIKeyAuth",
        type_name: Some("api_key"),
        positional: &["name", "api_key", "location"],
    },
    Class {
        name: "HttpBasicAuth",
        type_name: Some("http_basic"),
        positional: &["username", "password"],
    },
    Class {
        name: "OAuth2ClientCredentials",
        type_name: Some("oauth2_client_credentials"),
        positional: &["access_token_url", "client_id", "client_secret"],
    },
    Class {
        name: "incremental",
        type_name: None,
        positional: INCREMENTAL,
    },
    Class {
        name: "Incremental",
        type_name: None,
        positional: INCREMENTAL,
    },
];

/// The dlt class of this name.
pub(crate) fn class(name: &str) -> Option<&'static Class> {
    CLASSES.iter().find(|c| c.name == name)
}
