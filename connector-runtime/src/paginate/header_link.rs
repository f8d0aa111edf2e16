//! The next URL from the RFC 8288 `Link` header (several headers, several links per header,
//! several rels per link).

use connector_spec::resolved::HeaderLinkPlan;
use reqwest::header::{HeaderMap, LINK};

use super::json_link::follow;
use super::{Flow, Page, Paginator, Request, StopReason};
use crate::select::Selector;

pub(crate) struct HeaderLink {
    rel: String,
    stopped: StopReason,
}

impl HeaderLink {
    pub(crate) fn new(plan: &HeaderLinkPlan) -> HeaderLink {
        HeaderLink {
            rel: plan.links_next_key.clone(),
            stopped: StopReason::Unknown,
        }
    }
}

impl Paginator for HeaderLink {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(Vec::new())
    }

    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        match find_link(page.headers, &self.rel) {
            Some(link) => follow(request, &link),
            None => {
                self.stopped = StopReason::Missing {
                    key: "links_next_key",
                    looked_for: format!("a `Link` header with rel=\"{}\"", self.rel),
                    absent: !page.headers.contains_key(LINK),
                };
                Ok(Flow::Stop)
            }
        }
    }

    fn stop_reason(&self) -> StopReason {
        self.stopped.clone()
    }
}

/// The target of the first link whose `rel` list contains `rel` (case-insensitive).
pub(crate) fn find_link(headers: &HeaderMap, rel: &str) -> Option<String> {
    for value in headers.get_all(LINK) {
        let Ok(text) = value.to_str() else { continue };
        for (target, params) in parse_links(text) {
            let rels = params
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("rel"))
                .flat_map(|(_, v)| v.split_ascii_whitespace());
            if rels.into_iter().any(|r| r.eq_ignore_ascii_case(rel)) {
                return Some(target);
            }
        }
    }
    None
}

/// `<url>; k=v; k="v, w", <url2>; ...` into (url, params). Commas inside `<>` or quotes do not
/// split links.
fn parse_links(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = rest[open + 1..open + close].trim().to_owned();
        rest = &rest[open + close + 1..];
        // Parameters run to the next comma outside quotes.
        let mut in_quotes = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = rest[..end]
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            })
            .collect();
        links.push((target, params));
        rest = &rest[end..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn several_rels_and_headers() {
        let mut h = HeaderMap::new();
        h.append(
            LINK,
            HeaderValue::from_static(
                r#"<https://a/x?page=1>; rel="first", <https://a/x?page=9>; rel="last""#,
            ),
        );
        h.append(
            LINK,
            HeaderValue::from_static(
                r#"<https://a/x?a=1,2&page=3>; title="p, 3"; rel="next prefetch""#,
            ),
        );
        assert_eq!(
            find_link(&h, "next").as_deref(),
            Some("https://a/x?a=1,2&page=3")
        );
        assert_eq!(
            find_link(&h, "prefetch").as_deref(),
            Some("https://a/x?a=1,2&page=3")
        );
        assert_eq!(find_link(&h, "last").as_deref(), Some("https://a/x?page=9"));
        assert_eq!(find_link(&h, "prev"), None);
    }
}
