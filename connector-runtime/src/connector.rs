//! [`Connector`]: a spec, its secrets and options, ready to stream any resource.

use std::sync::Arc;

use connector_spec::resolved::ResolvedSpec;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::decode::{Json, RecordType, Typed};
use crate::engine::Engine;
use crate::plan::ResourcePlan;
use crate::stats::StatsHandle;
use crate::stream::{
    child_records, records_from_parents, resource_records, sequence_pages, ResourceStream,
};
use crate::{Error, Options, RunOptions, Secrets};

/// A REST API source built from a spec: one HTTP client, one authenticator (tokens shared by
/// every resource), one rate limiter, and a stream per resource.
///
/// Cheap to clone (an `Arc` inside); `Send + Sync`.
///
/// ```
/// use connector_runtime::{futures::TryStreamExt, Connector, Options, RunOptions, Secrets};
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // A one-shot HTTP server on 127.0.0.1 standing in for the API.
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let base_url = format!("http://{}", listener.local_addr()?);
/// # tokio::spawn(async move {
/// #     let (mut socket, _) = listener.accept().await.unwrap();
/// #     let mut buf = [0u8; 4096];
/// #     let _ = socket.read(&mut buf).await;
/// #     let body = r#"{"users": [{"id": 1}, {"id": 2}]}"#;
/// #     let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
/// #     socket.write_all(reply.as_bytes()).await.unwrap();
/// # });
/// let spec = connector_runtime::connector_spec::parse_str(
///     r#"
/// name: demo
/// client:
///   base_url: https://api.example.com
///   auth: { type: bearer, token: { secret: token } }
/// resources:
///   - name: users
///     endpoint: { path: /v1/users, data_selector: users, paginator: single_page }
/// "#,
///     "demo.yaml",
/// )
/// .map_err(|d| format!("{d:?}"))?
/// .resolved;
/// let secrets = Secrets::new().with("token", "t0ken");
/// let connector = Connector::new(spec, secrets, Options::new().with_base_url(base_url))?;
/// let users: Vec<serde_json::Value> = connector
///     .stream("users", RunOptions::default())
///     .try_collect()
///     .await?;
/// assert_eq!(users.len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Connector {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("name", &self.engine.spec.name)
            .field(
                "base_url",
                &self.engine.http.redactor.url(&self.engine.http.base_url),
            )
            .field("resources", &self.engine.plans.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Connector {
    /// Builds a connector. Fails when secrets the spec references are missing (all listed in
    /// one [`Error::MissingSecrets`]), when base_url is not a URL, or when a resource asks for
    /// something the runtime cannot do (an unparsable selector or placeholder, an offset
    /// paginator without limit, ...).
    pub fn new(spec: ResolvedSpec, secrets: Secrets, options: Options) -> Result<Connector, Error> {
        Ok(Connector {
            engine: Arc::new(Engine::new(spec, secrets, options)?),
        })
    }

    /// The resolved spec this connector runs.
    pub fn spec(&self) -> &ResolvedSpec {
        &self.engine.spec
    }

    /// Every record of `resource` as JSON. For a child resource this fetches the parent's
    /// records first (its whole chain, up to the root) and the child once per parent record;
    /// to load a parent and its children without fetching the parent twice, feed the
    /// parent's records to [`Connector::stream_from_parents`]. An unknown resource gives a
    /// stream whose only item is [`Error::UnknownResource`].
    pub fn stream(&self, resource: &str, run: RunOptions) -> ResourceStream<Value> {
        self.records::<Json>(resource, run)
    }

    /// Every record of `resource`, deserialized into `T`. Where nothing needs the records as
    /// JSON first (no incremental cursor, no `include_from_parent`), pages are parsed
    /// straight into `T` without building a JSON tree.
    pub fn stream_typed<T: DeserializeOwned + Send + 'static>(
        &self,
        resource: &str,
        run: RunOptions,
    ) -> ResourceStream<T> {
        self.records::<Typed<T>>(resource, run)
    }

    fn records<K: RecordType>(&self, resource: &str, run: RunOptions) -> ResourceStream<K::Record> {
        let stats = StatsHandle::default();
        let inner = match self.plan(resource) {
            Ok(plan) => resource_records::<K>(self.engine.clone(), plan, run, stats.clone()),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed_stream(),
        };
        ResourceStream::new(inner, stats)
    }

    /// The records of child `resource` over parent records the caller supplies, as JSON:
    /// the child's request sequence runs once per parent record, as in [`Connector::stream`]
    /// (a fresh paginator each, up to `concurrency` parents at once, children in parent
    /// order, per-parent incremental windows, `include_from_parent`), but the parent is not
    /// fetched here. This is how a loader fetches each parent once: it writes the parent's
    /// records to their table and sends each one on to the children's streams.
    ///
    /// `parents` is read as the fan-out needs it (at most `concurrency` parents ahead), so a
    /// bounded channel behind it gives back-pressure. The stream ends when `parents` ends and
    /// every parent's children are out; whether `parents` was complete is the caller's to
    /// know (a parent fetch that failed should fail the child too). The stats count the
    /// child's own requests. A resource that is not a child gives a stream whose only item
    /// is an [`Error::Config`].
    ///
    /// ```
    /// use connector_runtime::futures::{stream, TryStreamExt};
    /// use connector_runtime::{Connector, Options, RunOptions, Secrets};
    /// use serde_json::json;
    /// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // An HTTP server on 127.0.0.1 answering `/users/{id}/meetings` with one meeting.
    /// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let base_url = format!("http://{}", listener.local_addr()?);
    /// # tokio::spawn(async move {
    /// #     loop {
    /// #         let (mut socket, _) = listener.accept().await.unwrap();
    /// #         let mut buf = [0u8; 4096];
    /// #         let n = socket.read(&mut buf).await.unwrap();
    /// #         let request = String::from_utf8_lossy(&buf[..n]).into_owned();
    /// #         let user = request.split('/').nth(2).unwrap_or_default().to_owned();
    /// #         let body = format!(r#"[{{"topic": "meeting of {user}"}}]"#);
    /// #         let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    /// #         socket.write_all(reply.as_bytes()).await.unwrap();
    /// #     }
    /// # });
    /// let spec = connector_runtime::connector_spec::parse_str(
    ///     r#"
    /// name: demo
    /// client: { base_url: https://api.example.com }
    /// resources:
    ///   - name: users
    ///     endpoint: { path: /users }
    ///   - name: meetings
    ///     endpoint: { path: "/users/{resources.users.id}/meetings", paginator: single_page }
    ///     include_from_parent: [id]
    /// "#,
    ///     "demo.yaml",
    /// )
    /// .map_err(|d| format!("{d:?}"))?
    /// .resolved;
    /// let connector = Connector::new(spec, Secrets::new(), Options::new().with_base_url(base_url))?;
    /// // Users the caller already has (fetched once, perhaps loaded already).
    /// let users = stream::iter([json!({"id": "u1"}), json!({"id": "u2"})]);
    /// let meetings = connector.stream_from_parents("meetings", users, RunOptions::default());
    /// let stats = meetings.stats();
    /// let meetings: Vec<serde_json::Value> = meetings.try_collect().await?;
    /// assert_eq!(meetings[0], json!({"topic": "meeting of u1", "_users_id": "u1"}));
    /// assert_eq!(meetings[1]["_users_id"], "u2");
    /// assert_eq!(stats.requests(), 2); // one per user; none for the users themselves
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream_from_parents<P>(
        &self,
        resource: &str,
        parents: P,
        run: RunOptions,
    ) -> ResourceStream<Value>
    where
        P: futures::Stream<Item = Value> + Send + 'static,
    {
        let stats = StatsHandle::default();
        let inner = match self.child_plan(resource) {
            Ok(plan) => records_from_parents::<Json>(
                self.engine.clone(),
                plan,
                futures::StreamExt::map(parents, Ok).boxed_stream(),
                run,
                stats.clone(),
            ),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed_stream(),
        };
        ResourceStream::new(inner, stats)
    }

    /// The records of child `resource` for one parent record (as JSON).
    pub fn child_stream(
        &self,
        resource: &str,
        parent_record: &Value,
        run: RunOptions,
    ) -> ResourceStream<Value> {
        self.child_records::<Json>(resource, parent_record, run)
    }

    /// The records of child `resource` for one parent record, deserialized into `T`.
    pub fn child_stream_typed<T: DeserializeOwned + Send + 'static>(
        &self,
        resource: &str,
        parent_record: &Value,
        run: RunOptions,
    ) -> ResourceStream<T> {
        self.child_records::<Typed<T>>(resource, parent_record, run)
    }

    fn child_records<K: RecordType>(
        &self,
        resource: &str,
        parent_record: &Value,
        run: RunOptions,
    ) -> ResourceStream<K::Record> {
        let stats = StatsHandle::default();
        let inner = match self.child_plan(resource) {
            Ok(plan) => child_records::<K>(
                self.engine.clone(),
                plan,
                parent_record.clone(),
                run,
                stats.clone(),
            ),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed_stream(),
        };
        ResourceStream::new(inner, stats)
    }

    /// The pages of one request sequence of `resource`, each page its records as JSON, one
    /// page requested at a time as the stream is read (so taking the first page sends one
    /// request): a root resource's pages with `parent_record` `None`, a child's pages for
    /// `parent_record`. For looking at what an API sends (`connector check --live`,
    /// `connector samples`); a load reads [`Connector::stream`]. A root given a parent record,
    /// or a child given none, gives a stream whose only item is an [`Error::Config`].
    ///
    /// ```
    /// use connector_runtime::futures::StreamExt;
    /// use connector_runtime::{Connector, Options, RunOptions, Secrets};
    /// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // One request answered: page 1 of users, with a link to page 2.
    /// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let base_url = format!("http://{}", listener.local_addr()?);
    /// # tokio::spawn(async move {
    /// #     let (mut socket, _) = listener.accept().await.unwrap();
    /// #     let mut buf = [0u8; 4096];
    /// #     let _ = socket.read(&mut buf).await;
    /// #     let body = r#"{"users": [{"id": 1}, {"id": 2}], "next": "/users?page=2"}"#;
    /// #     let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    /// #     socket.write_all(reply.as_bytes()).await.unwrap();
    /// # });
    /// let spec = connector_runtime::connector_spec::parse_str(
    ///     r#"
    /// name: demo
    /// client: { base_url: https://api.example.com }
    /// resources:
    ///   - name: users
    ///     endpoint:
    ///       path: /users
    ///       data_selector: users
    ///       paginator: { type: json_link, next_url_path: next }
    /// "#,
    ///     "demo.yaml",
    /// )
    /// .map_err(|d| format!("{d:?}"))?
    /// .resolved;
    /// let connector = Connector::new(spec, Secrets::new(), Options::new().with_base_url(base_url))?;
    /// let mut pages = connector.pages("users", None, RunOptions::default());
    /// let first = pages.next().await.expect("a first page")?;
    /// assert_eq!(first.len(), 2);
    /// assert_eq!(pages.stats().requests(), 1); // page 2 is not asked for until read
    ///
    /// // A root resource takes no parent record.
    /// let parent = serde_json::json!({"id": 1});
    /// let mut wrong = connector.pages("users", Some(&parent), RunOptions::default());
    /// let error = wrong.next().await.expect("one item").unwrap_err();
    /// assert!(error.to_string().contains("not a child resource: it takes no parent record"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn pages(
        &self,
        resource: &str,
        parent_record: Option<&Value>,
        run: RunOptions,
    ) -> ResourceStream<Vec<Value>> {
        let stats = StatsHandle::default();
        let plan = match (self.plan(resource), parent_record) {
            (Ok(plan), Some(_)) if plan.parent.is_none() => Err(Error::Config {
                resource: resource.to_owned(),
                message: "not a child resource: it takes no parent record".to_owned(),
            }),
            (Ok(plan), None) if plan.parent.is_some() => Err(Error::Config {
                resource: resource.to_owned(),
                message: "a child resource: its pages need a parent record".to_owned(),
            }),
            (plan, _) => plan,
        };
        let inner = match plan {
            Ok(plan) => sequence_pages(
                self.engine.clone(),
                plan,
                parent_record.cloned(),
                run,
                stats.clone(),
            ),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed_stream(),
        };
        ResourceStream::new(inner, stats)
    }

    /// `text` with every secret this connector knows (its secrets, and tokens it fetched)
    /// replaced by `***`, in every form one takes in a response: raw, percent-encoded,
    /// JSON-escaped, base64. For showing what an API sent without showing credentials it
    /// echoed.
    ///
    /// ```
    /// use connector_runtime::{Connector, Options, Secrets};
    ///
    /// let spec = connector_runtime::connector_spec::parse_str(
    ///     "name: demo\nclient:\n  base_url: https://api.example.com\n  auth: { type: bearer, token: { secret: token } }\nresources: [users]\n",
    ///     "demo.yaml",
    /// )
    /// .unwrap()
    /// .resolved;
    /// let connector = Connector::new(spec, Secrets::new().with("token", "t0k/en"), Options::new()).unwrap();
    /// assert_eq!(connector.redact("a t0k/en, t0k%2Fen, dDBrL2Vu"), "a ***, ***, ***");
    /// ```
    pub fn redact(&self, text: &str) -> String {
        self.engine.http.redactor.text(text)
    }

    /// Resource names with every parent before its children (spec order otherwise): the order
    /// in which a loader can run them.
    pub fn resources(&self) -> Vec<String> {
        self.engine.spec.dependency_order.clone()
    }

    /// Whether a partitioned run can give each shard its share of `resource`'s pages
    /// ([`RunOptions::with_pages_of`]): a page_number or offset paginator with a
    /// `total_path` or a maximum (or a paginator of your own that can).
    pub fn can_split_pages(&self, resource: &str) -> bool {
        self.plan(resource)
            .is_ok_and(|plan| plan.paginator().share_pages(crate::Partition::WHOLE))
    }

    /// The parent resource of `resource`, if it is a child.
    pub fn parent_of(&self, resource: &str) -> Option<&str> {
        self.engine
            .plans
            .get(resource)
            .and_then(|p| p.parent.as_ref())
            .map(|p| p.resource.as_str())
    }

    /// The plan of `resource`, which must be a child.
    fn child_plan(&self, resource: &str) -> Result<Arc<ResourcePlan>, Error> {
        let plan = self.plan(resource)?;
        if plan.parent.is_none() {
            return Err(Error::Config {
                resource: resource.to_owned(),
                message: "not a child resource: it binds no parent field".to_owned(),
            });
        }
        Ok(plan)
    }

    fn plan(&self, resource: &str) -> Result<Arc<ResourcePlan>, Error> {
        self.engine
            .plans
            .get(resource)
            .cloned()
            .ok_or_else(|| Error::UnknownResource {
                resource: resource.to_owned(),
                known: self.engine.plans.keys().cloned().collect(),
            })
    }
}

trait BoxedStream: futures::Stream + Sized + Send + 'static {
    fn boxed_stream(self) -> futures::stream::BoxStream<'static, Self::Item> {
        Box::pin(self)
    }
}

impl<S: futures::Stream + Send + 'static> BoxedStream for S {}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send_unpin_stream<T: futures::Stream + Send + Unpin + 'static>() {}

    #[test]
    fn public_types_have_the_promised_bounds() {
        send_sync::<Connector>();
        send_sync::<Error>();
        send_sync::<Secrets>();
        send_sync::<StatsHandle>();
        send_unpin_stream::<ResourceStream<Value>>();
        send_unpin_stream::<ResourceStream<std::collections::HashMap<String, String>>>();
    }

    #[tokio::test]
    async fn parents_supplied_to_a_root_resource_are_a_config_error() {
        use futures::StreamExt;
        let spec: connector_spec::Spec = serde_json::from_value(serde_json::json!({
            "name": "t",
            "client": {"base_url": "https://api.example.com"},
            "resources": ["a"]
        }))
        .unwrap();
        let connector =
            Connector::new(spec.resolve().unwrap(), Secrets::new(), Options::new()).unwrap();
        let parents = futures::stream::iter([serde_json::json!({"id": 1})]);
        let mut stream = connector.stream_from_parents("a", parents, RunOptions::default());
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "resource `a`: not a child resource: it binds no parent field"
        );
        assert!(stream.next().await.is_none());
    }

    #[test]
    fn bad_base_url_is_a_config_error() {
        let spec: connector_spec::Spec = serde_json::from_value(serde_json::json!({
            "name": "t",
            "client": {"base_url": "not a url"},
            "resources": ["a"]
        }))
        .unwrap();
        let spec = spec.resolve().unwrap();
        let err = Connector::new(spec, Secrets::new(), Options::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "resource `client`: base_url `not a url` is not a URL: relative URL without a base"
        );
    }
}
