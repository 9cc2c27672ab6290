//! Reading every page of a list answer.
//!
//! A page is `{"value":[...],"nextLink":...}`, a bare JSON array (what the
//! `getActiveSessions` LRO really returns, spec issue #19003), or an empty body / 204
//! (no items). Each `nextLink` is fetched until it is missing, null or empty. A
//! `nextLink` seen before is an error ("nextLink loop detected"), and the number of pages
//! is capped, so a misbehaving service can never keep us looping.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use url::Url;

use super::ArmPipeline;
use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::model::json_type;
use crate::progress::ProgressEvent;
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::{RequestSpec, Response};

/// One parsed page: its items, read as `I`, and the next link, if any.
#[derive(Debug)]
pub(crate) struct Page<I = Value> {
    pub items: Vec<I>,
    pub next_link: Option<String>,
}

impl<I> Default for Page<I> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            next_link: None,
        }
    }
}

/// The JSON type of a raw value, from its first byte.
fn raw_json_type(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Reads the items of a JSON array straight into `I`: no `Value` tree in between.
fn read_items<I: DeserializeOwned>(array: &str) -> Result<Vec<I>> {
    serde_json::from_str(array).map_err(|e| {
        Error::invalid_response(format!("an item of the answer could not be read: {e}"))
    })
}

/// The usual page, `{"value":[...],"nextLink":...}`, read in one pass over the body.
#[derive(Deserialize)]
#[serde(bound = "I: DeserializeOwned")]
struct UsualPage<I> {
    value: Vec<I>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

/// The next link as ARM gave it: trimmed, and none when empty.
fn next_link_of(link: String) -> Option<String> {
    let trimmed = link.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == link.len() {
        Some(link)
    } else {
        Some(trimmed.to_string())
    }
}

/// Parses one page body.
///
/// The usual shapes (an object with a `value` array, or a bare array) are read in a single
/// pass, the items straight from the body's bytes into `I`. Anything else, or anything that
/// fails there, is read again by [`parse_page_outline`], which says exactly what is wrong.
pub(crate) fn parse_page<I: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Page<I>> {
    if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Page::default());
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {
            if let Ok(page) = serde_json::from_slice::<UsualPage<I>>(body) {
                return Ok(Page {
                    items: page.value,
                    next_link: page.next_link.and_then(next_link_of),
                });
            }
        }
        Some(b'[') => {
            if let Ok(items) = serde_json::from_slice::<Vec<I>>(body) {
                return Ok(Page {
                    items,
                    next_link: None,
                });
            }
        }
        _ => {}
    }
    parse_page_outline(body)
}

/// Parses one page body of any shape, slowly: the page's outline is read as borrowed
/// slices of the body, then the items from their bytes into `I`. Its errors name what is
/// wrong with the page.
fn parse_page_outline<I: DeserializeOwned>(body: &[u8]) -> Result<Page<I>> {
    let outline: &RawValue = serde_json::from_slice(body)
        .map_err(|e| Error::invalid_response(format!("the answer is not valid JSON: {e}")))?;
    match raw_json_type(outline) {
        "an array" => Ok(Page {
            items: read_items(outline.get())?,
            next_link: None,
        }),
        "null" => Ok(Page::default()),
        "an object" => {
            let mut o: HashMap<String, &RawValue> =
                serde_json::from_str(outline.get()).map_err(|e| {
                    Error::invalid_response(format!("the answer is not valid JSON: {e}"))
                })?;
            let items = match o.remove("value") {
                Some(raw) if raw_json_type(raw) == "an array" => read_items(raw.get())?,
                Some(raw) if raw_json_type(raw) == "null" => Vec::new(),
                None if o.is_empty() => Vec::new(),
                None => {
                    return Err(Error::invalid_response(
                        "the answer is a JSON object without a 'value' array",
                    ));
                }
                Some(other) => {
                    return Err(Error::invalid_response(format!(
                        "field 'value' of the answer should be an array but is {}",
                        raw_json_type(other)
                    )));
                }
            };
            let next_link = match o
                .remove("nextLink")
                .map(|raw| serde_json::from_str::<Value>(raw.get()))
            {
                None | Some(Ok(Value::Null)) => None,
                Some(Ok(Value::String(s))) if s.trim().is_empty() => None,
                Some(Ok(Value::String(s))) => Some(s.trim().to_string()),
                Some(Ok(other)) => {
                    return Err(Error::invalid_response(format!(
                        "field 'nextLink' of the answer should be a string but is {}",
                        json_type(&other)
                    )));
                }
                Some(Err(e)) => {
                    return Err(Error::invalid_response(format!(
                        "the answer is not valid JSON: {e}"
                    )));
                }
            };
            Ok(Page { items, next_link })
        }
        other => Err(Error::invalid_response(format!(
            "the answer should be a JSON object or array but is {other}"
        ))),
    }
}

/// Reads `first` and every following page, parsing each item with `parse`.
pub(crate) async fn collect_all<T>(
    pipeline: &ArmPipeline,
    first: Response,
    op: ArmOperation,
    target: &str,
    ctx: &OperationContext,
    parse: impl Fn(&Value) -> Result<T>,
) -> Result<Vec<T>> {
    collect_all_as(pipeline, first, op, target, ctx, |item: Value| parse(&item)).await
}

/// Reads `first` and every following page, reading each item straight from the page's
/// bytes as `I` and turning it into a `T` with `parse`.
pub(crate) async fn collect_all_as<I: DeserializeOwned, T>(
    pipeline: &ArmPipeline,
    first: Response,
    op: ArmOperation,
    target: &str,
    ctx: &OperationContext,
    parse: impl Fn(I) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for_each_page_as(pipeline, first, op, target, ctx, parse, |_, items| {
        out.extend(items);
        std::future::ready(())
    })
    .await?;
    Ok(out)
}

/// Reads `first` and every following page like [`collect_all_as`], but hands each page's
/// items to `on_page` (with the page number, from 1) as soon as the page is parsed, before
/// the next page is requested, and awaits the future `on_page` returns (the receiver's
/// room for another page) before requesting it. Returns the number of items handed over.
/// When a later page fails, the pages already handed over stay handed over; the error is
/// returned.
pub(crate) async fn for_each_page_as<I: DeserializeOwned, T, Room: Future<Output = ()>>(
    pipeline: &ArmPipeline,
    first: Response,
    op: ArmOperation,
    target: &str,
    ctx: &OperationContext,
    parse: impl Fn(I) -> Result<T>,
    mut on_page: impl FnMut(u32, Vec<T>) -> Room,
) -> Result<usize> {
    let mut total = 0usize;
    let mut seen: HashSet<String> = HashSet::new();
    let mut resp = first;
    let mut page_no = 0u32;
    loop {
        page_no += 1;
        let page = parse_page::<I>(resp.status, &resp.body)
            .map_err(|e| e.context(format!("page {page_no}")).or_target(target))?;
        if ctx.stats.add_items(page.items.len()) > pipeline.max_items {
            return Err(pipeline.budget_spent(target));
        }
        ctx.emit(ProgressEvent::PageRead {
            host: target.to_string(),
            page: page_no,
            items: page.items.len(),
        });
        let mut items = Vec::with_capacity(page.items.len());
        for (i, item) in page.items.into_iter().enumerate() {
            items.push(parse(item).map_err(|e| {
                e.context(format!("page {page_no}, item {}", i + 1))
                    .or_target(target)
            })?);
        }
        total += items.len();
        let room = on_page(page_no, items);
        let Some(next) = page.next_link else {
            return Ok(total);
        };
        ctx.run(room).await.map_err(|e| e.or_target(target))?;
        let url = resolve(&resp.url, &next)?;
        if !seen.insert(url.as_str().to_string()) {
            return Err(Error::invalid_response(format!(
                "nextLink loop detected: page {page_no} points again to a page already read"
            ))
            .with_target(target));
        }
        if page_no as usize >= pipeline.max_pages {
            return Err(Error::invalid_response(format!(
                "the answer has more than {} pages; stopping",
                pipeline.max_pages
            ))
            .with_target(target));
        }
        ctx.check()?;
        pipeline.check_budget(ctx, target)?;
        resp = pipeline
            .send(
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
    use crate::error::ErrorKind;

    #[test]
    fn page_shapes() {
        let p = parse_page::<Value>(200, br#"{"value":[{"a":1}],"nextLink":"https://x/next"}"#)
            .unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.next_link.as_deref(), Some("https://x/next"));
        let p = parse_page::<Value>(200, br#"[{"a":1},{"a":2}]"#).unwrap();
        assert_eq!(p.items.len(), 2);
        assert!(p.next_link.is_none());
        assert!(parse_page::<Value>(204, b"").unwrap().items.is_empty());
        assert!(parse_page::<Value>(200, b"  ").unwrap().items.is_empty());
        assert!(parse_page::<Value>(200, b"null").unwrap().items.is_empty());
        assert!(parse_page::<Value>(200, b"{}").unwrap().items.is_empty());
        let p = parse_page::<Value>(200, br#"{"value":[],"nextLink":""}"#).unwrap();
        assert!(p.next_link.is_none());
        let p = parse_page::<Value>(200, br#"{"value":null,"nextLink":null}"#).unwrap();
        assert!(p.items.is_empty() && p.next_link.is_none());
    }

    #[test]
    fn the_one_pass_read_agrees_with_the_outline_read() {
        let pages: [&[u8]; 9] = [
            br#"{"value":[{"a":1},{"b":[2]}],"nextLink":"https://x/next"}"#,
            br#" {"nextLink":"  https://x/n2 ","value":[{"a":"\u00e9"}],"extra":{"deep":[1,2]}}"#,
            br#"{"value":[],"nextLink":"   "}"#,
            br#"{"value":[{"a":1}],"nextLink":null}"#,
            br#"[{"a":1},{"a":2}]"#,
            br#"{"value":[{"a":1}],"value":[{"a":2},{"a":3}]}"#,
            br#"{"value":null}"#,
            br#"{"value":[{"a":1}],"nextLink":7}"#,
            br#"{"value":[1,}"#,
        ];
        for body in pages {
            let fast = parse_page::<Value>(200, body);
            let outline = parse_page_outline::<Value>(body);
            match (fast, outline) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.items, b.items, "{}", String::from_utf8_lossy(body));
                    assert_eq!(
                        a.next_link,
                        b.next_link,
                        "{}",
                        String::from_utf8_lossy(body)
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a.message(), b.message()),
                (a, b) => panic!(
                    "the two reads disagree on {}: {a:?} against {b:?}",
                    String::from_utf8_lossy(body)
                ),
            }
        }
    }

    #[test]
    fn bad_pages_name_the_problem() {
        let e = parse_page::<Value>(200, b"<html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(
            parse_page::<Value>(200, br#"{"value":5}"#)
                .unwrap_err()
                .message()
                .contains("'value'")
        );
        assert!(
            parse_page::<Value>(200, br#"{"value":[],"nextLink":7}"#)
                .unwrap_err()
                .message()
                .contains("'nextLink'")
        );
        assert!(
            parse_page::<Value>(200, br#"{"items":[]}"#)
                .unwrap_err()
                .message()
                .contains("'value'")
        );
        assert!(parse_page::<Value>(200, b"42").is_err());
    }
}
