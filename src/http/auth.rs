//! API keys: optional bearer-token authentication for the job routes.
//!
//! With no keys configured every route is open (the default, for a service
//! on loopback). With keys, `/v1/*` needs `Authorization: Bearer KEY` (or
//! `X-API-Key: KEY`): 401 without a known key, 403 for a key not allowed
//! the route, 429 for a key at its concurrency limit. Health, readiness,
//! metrics and the API description stay open.
//!
//! Keys are held only as SHA-256 digests: a key file may list digests
//! (`sha256:…`) instead of keys, so the keys themselves need not be stored
//! on the server at all. A presented key is hashed and compared with every
//! configured digest in constant time, so timing tells nothing about how
//! much of a key matched, or which key.
//!
//! One key per line, `#` starts a comment:
//!
//! ```text
//! # name     key (or sha256:<64 hex digits>)   routes                    concurrency
//! billing    sha256:5e884898da28047151d0e56f…    render,validate           4
//! photos     k3y-at-least-16-chars             images
//! ops        another-long-enough-key            *
//! ```
//!
//! Routes: `render` (`POST /v1/render`, and the async job routes),
//! `validate` (`POST /v1/validate`), `images` (`POST /v1/images`),
//! `templates` (`GET /v1/templates…`), `templates:write` (`PUT` and `DELETE
//! /v1/templates/NAME`: storing templates), or `*` (the default). Concurrency: requests of that key in flight at once
//! (default: no limit of its own).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::AppState;
use crate::problem::Problem;

/// Shortest key accepted in plain form.
pub const MIN_KEY_CHARS: usize = 16;

/// What a key may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Render,
    Validate,
    Images,
    Templates,
    /// Storing and deleting templates.
    TemplatesWrite,
}

impl Scope {
    const ALL: [Scope; 5] = [
        Scope::Render,
        Scope::Validate,
        Scope::Images,
        Scope::Templates,
        Scope::TemplatesWrite,
    ];

    fn parse(name: &str) -> Option<Scope> {
        Some(match name {
            "render" => Scope::Render,
            "validate" => Scope::Validate,
            "images" => Scope::Images,
            "templates" => Scope::Templates,
            "templates:write" => Scope::TemplatesWrite,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Scope::Render => "render",
            Scope::Validate => "validate",
            Scope::Images => "images",
            Scope::Templates => "templates",
            Scope::TemplatesWrite => "templates:write",
        }
    }

    /// The scope a request needs; `None` for the open routes.
    fn of_request(method: &Method, path: &str) -> Option<Scope> {
        match path {
            "/v1/render" => Some(Scope::Render),
            "/v1/validate" => Some(Scope::Validate),
            "/v1/images" => Some(Scope::Images),
            p if p.starts_with("/v1/templates/")
                && (method == Method::PUT || method == Method::DELETE) =>
            {
                Some(Scope::TemplatesWrite)
            }
            p if p == "/v1/templates" || p.starts_with("/v1/templates/") => Some(Scope::Templates),
            // Unknown `/v1/…` paths are closed too: they answer 404 only
            // to a known key.
            p if p.starts_with("/v1/") => Some(Scope::Render),
            _ => None,
        }
    }
}

/// One configured key.
#[derive(Debug)]
pub struct ApiKey {
    pub name: String,
    digest: [u8; 32],
    scopes: Vec<Scope>,
    /// Requests of this key in flight at once, when limited.
    limit: Option<Arc<Semaphore>>,
    max_in_flight: Option<usize>,
}

/// The configured keys; empty means no authentication.
#[derive(Debug, Default)]
pub struct ApiKeys {
    keys: Vec<ApiKey>,
}

impl ApiKeys {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Reads keys in the file format (lines; `;` also separates entries, so
    /// the same text fits in an environment variable). `source` names where
    /// the text came from, for errors.
    pub fn parse(text: &str, source: &str) -> Result<ApiKeys, String> {
        let mut keys = ApiKeys::none();
        for (n, line) in text.split(['\n', ';']).enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = || format!("{source}, entry {}", n + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, key, rest @ ..] = fields.as_slice() else {
                return Err(format!(
                    "{}: expected NAME KEY [ROUTES] [CONCURRENCY]",
                    at()
                ));
            };
            if rest.len() > 2 {
                return Err(format!("{}: too many fields", at()));
            }
            let digest = match key.strip_prefix("sha256:") {
                Some(hex) => parse_digest(hex)
                    .ok_or_else(|| format!("{}: sha256: needs 64 hex digits", at()))?,
                None if key.chars().count() < MIN_KEY_CHARS => {
                    return Err(format!(
                        "{}: key of {name:?} is shorter than {MIN_KEY_CHARS} characters",
                        at()
                    ));
                }
                None => Sha256::digest(key.as_bytes()).into(),
            };
            let scopes = match rest.first() {
                None | Some(&"*") => Scope::ALL.to_vec(),
                Some(list) => list
                    .split(',')
                    .map(|s| {
                        Scope::parse(s.trim()).ok_or_else(|| {
                            format!(
                                "{}: unknown route {s:?} (render, validate, images, templates or *)",
                                at()
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let max_in_flight = match rest.get(1) {
                None | Some(&"-") => None,
                Some(n) => match n.parse::<usize>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => return Err(format!("{}: concurrency must be a positive number", at())),
                },
            };
            keys.add(ApiKey {
                name: (*name).to_owned(),
                digest,
                scopes,
                limit: max_in_flight.map(|n| Arc::new(Semaphore::new(n))),
                max_in_flight,
            })
            .map_err(|e| format!("{}: {e}", at()))?;
        }
        Ok(keys)
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: ApiKeys) -> Result<(), String> {
        other.keys.into_iter().try_for_each(|key| self.add(key))
    }

    /// Adds one key; names are unique.
    fn add(&mut self, key: ApiKey) -> Result<(), String> {
        if self.keys.iter().any(|k| k.name == key.name) {
            return Err(format!("the key name {:?} is used twice", key.name));
        }
        self.keys.push(key);
        Ok(())
    }

    /// The key whose digest is the presented key's. Every digest is
    /// compared, each in constant time.
    fn find(&self, presented: &str) -> Option<&ApiKey> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.keys {
            if constant_time_eq(&key.digest, &digest) {
                found = Some(key);
            }
        }
        found
    }
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keep the compiler from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// The key a request authenticated with, for logs and handlers.
#[derive(Debug, Clone)]
pub struct KeyName(pub String);

/// Who owns what a request stores (async jobs, templates): the name of its
/// key, or `""` when the service has no keys.
pub fn owner(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<KeyName>()
        .map(|k| k.0.clone())
        .unwrap_or_default()
}

/// Middleware: checks the key of requests to `/v1/*` when keys are set.
pub async fn require_key(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let keys = &state.keys;
    if keys.is_empty() {
        return next.run(request).await;
    }
    let Some(scope) = Scope::of_request(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .or_else(|| {
            request
                .headers()
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        })
        .filter(|t| !t.is_empty());
    let Some(presented) = presented else {
        return unauthorized("this route needs an API key: send `Authorization: Bearer KEY`");
    };
    let Some(key) = keys.find(presented) else {
        return unauthorized("the API key is not known");
    };
    if !key.scopes.contains(&scope) {
        return Problem::new(
            403,
            "forbidden",
            "Forbidden",
            format!(
                "the API key {:?} may not call {} routes",
                key.name,
                scope.as_str()
            ),
        )
        .into_response();
    }
    let permit = match &key.limit {
        None => None,
        Some(limit) => match Arc::clone(limit).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                metrics::counter!("docsmith_rejections_total", "reason" => "key_concurrency")
                    .increment(1);
                let mut problem = Problem::new(
                    429,
                    "too-many-requests",
                    "Too many requests",
                    format!(
                        "the API key {:?} has {} requests in flight, its limit",
                        key.name,
                        key.max_in_flight.unwrap_or(0)
                    ),
                );
                problem.retry_after = Some(state.config.retry_after_secs);
                return problem.into_response();
            }
        },
    };
    tracing::Span::current().record("key", key.name.as_str());
    request.extensions_mut().insert(KeyName(key.name.clone()));
    let response = next.run(request).await;
    match permit {
        None => response,
        // The permit is held until the body is sent (a document streams
        // long after the handler returned).
        Some(permit) => response.map(|body| {
            let stream = futures_util::StreamExt::map(body.into_data_stream(), move |chunk| {
                let _held = &permit;
                chunk
            });
            axum::body::Body::from_stream(stream)
        }),
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response = Problem::new(401, "unauthorized", "Unauthorized", detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"docsmith\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_read_and_checked() {
        let keys = ApiKeys::parse(
            "# comment\n\
             billing sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 render,validate 4\n\
             \n\
             ops a-key-of-sixteen-chars\n",
            "keys.txt",
        )
        .expect("parsed");
        assert_eq!(keys.len(), 2);
        // sha256("test")
        let billing = keys.find("test").expect("found by its digest");
        assert_eq!(billing.name, "billing");
        assert_eq!(billing.scopes, [Scope::Render, Scope::Validate]);
        assert_eq!(billing.max_in_flight, Some(4));
        let ops = keys.find("a-key-of-sixteen-chars").expect("found");
        assert_eq!(ops.scopes, Scope::ALL);
        assert!(keys.find("a-key-of-sixteen-charz").is_none());
        assert!(keys.find("").is_none());

        for (text, complaint) in [
            ("short tooshort", "shorter than 16"),
            ("a sha256:abc", "64 hex"),
            ("a a-key-of-sixteen-chars upload", "unknown route"),
            ("a a-key-of-sixteen-chars * 0", "positive"),
            ("a a-key-of-sixteen-chars * 2 extra", "too many"),
            (
                "a a-key-of-sixteen-chars; a b-key-of-sixteen-chars",
                "twice",
            ),
            ("lonely", "expected NAME KEY"),
        ] {
            let err = ApiKeys::parse(text, "env").expect_err(text);
            assert!(err.contains(complaint), "{text}: {err}");
        }
    }

    #[test]
    fn requests_map_to_scopes() {
        let get = Method::GET;
        assert_eq!(Scope::of_request(&get, "/v1/render"), Some(Scope::Render));
        assert_eq!(
            Scope::of_request(&get, "/v1/templates/invoice"),
            Some(Scope::Templates)
        );
        for write in [Method::PUT, Method::DELETE] {
            assert_eq!(
                Scope::of_request(&write, "/v1/templates/mine"),
                Some(Scope::TemplatesWrite)
            );
        }
        assert_eq!(Scope::of_request(&get, "/v1/images"), Some(Scope::Images));
        assert_eq!(Scope::of_request(&get, "/v1/nope"), Some(Scope::Render));
        for open in [
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
            "/",
        ] {
            assert_eq!(Scope::of_request(&get, open), None, "{open}");
        }
    }
}
