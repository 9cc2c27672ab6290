//! Reading every page of a list answer.
//!
//! A page is `{"value":[...],"nextLink":...}`, a bare JSON array (what the
//! `getActiveSessions` LRO really returns, spec issue #19003), or an empty body / 204
//! (no items). Each `nextLink` is fetched until it is missing, null or empty. A
//! `nextLink` seen before is an error ("nextLink loop detected"), and the number of pages
//! is capped, so a misbehaving service can never keep us looping.

use std::collections::HashSet;

use serde_json::Value;
use url::Url;

use crate::arm_error::Operation;
use crate::client::Arm;
use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::http::{RequestSpec, Response};
use crate::model::json_type;
use crate::progress::ProgressEvent;
use crate::retry;

/// One parsed page: its raw items and the next link, if any.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub items: Vec<Value>,
    pub next_link: Option<String>,
}

/// Parses one page body.
pub(crate) fn parse_page(status: u16, body: &[u8]) -> Result<Page> {
    if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Page::default());
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Error::invalid_response(format!("the answer is not valid JSON: {e}")))?;
    match v {
        Value::Array(items) => Ok(Page {
            items,
            next_link: None,
        }),
        Value::Null => Ok(Page::default()),
        Value::Object(mut o) => {
            let items = match o.remove("value") {
                Some(Value::Array(a)) => a,
                Some(Value::Null) => Vec::new(),
                None if o.is_empty() => Vec::new(),
                None => {
                    return Err(Error::invalid_response(
                        "the answer is a JSON object without a 'value' array",
                    ));
                }
                Some(other) => {
                    return Err(Error::invalid_response(format!(
                        "field 'value' of the answer should be an array but is {}",
                        json_type(&other)
                    )));
                }
            };
            let next_link = match o.remove("nextLink") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(other) => {
                    return Err(Error::invalid_response(format!(
                        "field 'nextLink' of the answer should be a string but is {}",
                        json_type(&other)
                    )));
                }
            };
            Ok(Page { items, next_link })
        }
        other => Err(Error::invalid_response(format!(
            "the answer should be a JSON object or array but is {}",
            json_type(&other)
        ))),
    }
}

/// Reads `first` and every following page, parsing each item with `parse`.
pub(crate) async fn collect_all<T>(
    arm: &Arm,
    first: Response,
    op: Operation,
    target: &str,
    ctx: &OperationContext,
    parse: impl Fn(&Value) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut resp = first;
    let mut page_no = 0u32;
    loop {
        page_no += 1;
        let page = parse_page(resp.status, &resp.body)
            .map_err(|e| e.context(format!("page {page_no}")).or_target(target))?;
        if ctx.stats.add_items(page.items.len()) > arm.max_items {
            return Err(Error::invalid_response(format!(
                "this call has read more than {} items across its pages and hosts, the limit that bounds its memory; narrow the scope (fewer hosts or subscriptions per call)",
                arm.max_items
            ))
            .with_target(target));
        }
        ctx.emit(ProgressEvent::PageRead {
            host: target.to_string(),
            page: page_no,
            items: page.items.len(),
        });
        for (i, item) in page.items.iter().enumerate() {
            out.push(parse(item).map_err(|e| {
                e.context(format!("page {page_no}, item {}", i + 1))
                    .or_target(target)
            })?);
        }
        let Some(next) = page.next_link else {
            return Ok(out);
        };
        let url = resolve(&resp.url, &next)?;
        if !seen.insert(url.as_str().to_string()) {
            return Err(Error::invalid_response(format!(
                "nextLink loop detected: page {page_no} points again to a page already read"
            ))
            .with_target(target));
        }
        if page_no as usize >= arm.max_pages {
            return Err(Error::invalid_response(format!(
                "the answer has more than {} pages; stopping",
                arm.max_pages
            ))
            .with_target(target));
        }
        ctx.check()?;
        resp = retry::send(
            arm,
            &RequestSpec {
                method: reqwest::Method::GET,
                url,
                body: None,
            },
            op,
            target,
            ctx,
        )
        .await?;
    }
}

/// A link from the service, absolute or relative to the URL it came from.
pub(crate) fn resolve(base: &Url, link: &str) -> Result<Url> {
    base.join(link).map_err(|e| {
        Error::invalid_response(format!("the service sent a link that is not a URL ({e})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn page_shapes() {
        let p = parse_page(200, br#"{"value":[{"a":1}],"nextLink":"https://x/next"}"#).unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.next_link.as_deref(), Some("https://x/next"));
        let p = parse_page(200, br#"[{"a":1},{"a":2}]"#).unwrap();
        assert_eq!(p.items.len(), 2);
        assert!(p.next_link.is_none());
        assert!(parse_page(204, b"").unwrap().items.is_empty());
        assert!(parse_page(200, b"  ").unwrap().items.is_empty());
        assert!(parse_page(200, b"null").unwrap().items.is_empty());
        assert!(parse_page(200, b"{}").unwrap().items.is_empty());
        let p = parse_page(200, br#"{"value":[],"nextLink":""}"#).unwrap();
        assert!(p.next_link.is_none());
        let p = parse_page(200, br#"{"value":null,"nextLink":null}"#).unwrap();
        assert!(p.items.is_empty() && p.next_link.is_none());
    }

    #[test]
    fn bad_pages_name_the_problem() {
        let e = parse_page(200, b"<html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(
            parse_page(200, br#"{"value":5}"#)
                .unwrap_err()
                .message()
                .contains("'value'")
        );
        assert!(
            parse_page(200, br#"{"value":[],"nextLink":7}"#)
                .unwrap_err()
                .message()
                .contains("'nextLink'")
        );
        assert!(
            parse_page(200, br#"{"items":[]}"#)
                .unwrap_err()
                .message()
                .contains("'value'")
        );
        assert!(parse_page(200, b"42").is_err());
    }
}
