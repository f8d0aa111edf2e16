//! Fault injection: scripted error responses on a path, after some good requests.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt as _;

/// One scripted response served instead of the real one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultResponse {
    /// A status with a small JSON error body, and a `Retry-After` header when given
    /// (seconds like `"2"`, or an HTTP date).
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// A status with this exact body (e.g. a 200 whose JSON body carries an error).
    Body {
        /// The HTTP status.
        status: u16,
        /// The body, sent as `application/json`.
        body: String,
    },
    /// A 200 whose body stops half way: the connection is dropped mid-body.
    ResetMidBody,
}

/// A fault on one path: after `after_requests` requests to `path` were served normally, the
/// next requests get `responses`, one each, in order; then the path recovers, unless `sticky`
/// (the last response repeats for ever, like a server that stays down).
///
/// ```
/// use connector_demo_server::Fault;
///
/// // Page 3 and every later request of the rmm resource fail with 500.
/// let down = Fault::fail_after("/rmm/v1/resource", 2, 500);
/// // One 429 with Retry-After: 1 on the first assets request, then normal service.
/// let throttled = Fault::rate_limited("/asset_management/assets.api", "1");
/// // 500, 502, 503, then recovery.
/// let flaky = Fault::statuses("/device_inventory/api/v1/computers-inventory", &[500, 502, 503]);
/// assert!(down.sticky && !throttled.sticky && flaky.responses.len() == 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Request path including the seed prefix (`/rmm/v1/resource`); a trailing `*` matches
    /// every path with that prefix (`/meetings/v1/meetings/*`).
    pub path: String,
    /// Requests to the path served normally before the fault starts.
    pub after_requests: u64,
    /// Responses served once each, in order.
    pub responses: Vec<FaultResponse>,
    /// Repeat the last response for ever instead of recovering.
    pub sticky: bool,
}

impl Fault {
    /// A fault serving `responses` on `path` from its first request, then recovering.
    pub fn new(path: impl Into<String>, responses: Vec<FaultResponse>) -> Self {
        Self {
            path: path.into(),
            after_requests: 0,
            responses,
            sticky: false,
        }
    }

    /// One response with `status`, then recovery.
    pub fn status(path: impl Into<String>, status: u16) -> Self {
        Self::statuses(path, &[status])
    }

    /// One response per status, in order, then recovery.
    pub fn statuses(path: impl Into<String>, statuses: &[u16]) -> Self {
        let responses = statuses
            .iter()
            .map(|&status| FaultResponse::Status {
                status,
                retry_after: None,
            })
            .collect();
        Self::new(path, responses)
    }

    /// One 429 with `Retry-After: retry_after`, then recovery.
    pub fn rate_limited(path: impl Into<String>, retry_after: &str) -> Self {
        let response = FaultResponse::Status {
            status: 429,
            retry_after: Some(retry_after.to_owned()),
        };
        Self::new(path, vec![response])
    }

    /// `pages` good requests, then `status` for every later request (until faults are replaced).
    pub fn fail_after(path: impl Into<String>, pages: u64, status: u16) -> Self {
        Self::status(path, status).after(pages).sticky()
    }

    /// One 200 response whose body is cut off mid-way, then recovery.
    pub fn reset_mid_body(path: impl Into<String>) -> Self {
        Self::new(path, vec![FaultResponse::ResetMidBody])
    }

    /// Start the fault after `requests` normally served requests.
    pub fn after(mut self, requests: u64) -> Self {
        self.after_requests = requests;
        self
    }

    /// Repeat the last response for ever.
    pub fn sticky(mut self) -> Self {
        self.sticky = true;
        self
    }

    fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        }
    }
}

/// A fault and how far it has got.
#[derive(Debug)]
pub(crate) struct FaultState {
    fault: Fault,
    seen: u64,
    served: usize,
}

impl FaultState {
    pub(crate) fn new(fault: Fault) -> Self {
        Self {
            fault,
            seen: 0,
            served: 0,
        }
    }

    /// Counts a request to `path` and returns the scripted response due for it, if any.
    pub(crate) fn next(&mut self, path: &str) -> Option<FaultResponse> {
        if !self.fault.matches(path) {
            return None;
        }
        self.seen += 1;
        if self.seen <= self.fault.after_requests {
            return None;
        }
        let responses = &self.fault.responses;
        if let Some(response) = responses.get(self.served) {
            self.served += 1;
            return Some(response.clone());
        }
        if self.fault.sticky {
            return responses.last().cloned();
        }
        None
    }
}

impl IntoResponse for FaultResponse {
    fn into_response(self) -> Response {
        match self {
            FaultResponse::Status {
                status,
                retry_after,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = serde_json::json!({
                    "error": "injected_fault",
                    "message": format!("injected fault: {status}"),
                });
                let mut response = (status, axum::Json(body)).into_response();
                if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            FaultResponse::Body { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            FaultResponse::ResetMidBody => {
                // A body stream that errors after its first chunk makes hyper abort the
                // connection, which the client sees as a truncated chunked body. The pause lets
                // the status line and the first chunk reach the client first.
                let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
                    b"{\"data\": [{\"id\": \"1\", \"na",
                ))]);
                let reset = futures::stream::once(async {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected reset",
                    ))
                });
                let body = Body::from_stream(first.chain(reset));
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response()
            }
        }
    }
}
