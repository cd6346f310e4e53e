//! A route: who may call it and the handler that serves it, declared together in a service's
//! adapter table, and enforced here, in one place, before any handler runs.
//!
//! ```ignore
//! // functions/<service>/src/adapters/http.rs
//! pub const GET_ME: Route<Deps> = Route::User(|d, r, c, u| Box::pin(get_me(d, r, c, u)));
//! async fn get_me(deps: &'static Deps, _: Req, ctx: Ctx, caller: Caller) -> Result<ApiResponse, ApiError> { .. }
//!
//! // functions/<service>/src/bin/<service>-get-me.rs
//! streamia_shared::http::serve(streamia_users::adapters::http::GET_ME).await
//! ```
//!
//! API Gateway's authorizer is the first gate (no valid token, no invocation); this is the
//! second, inside the function: a `User` or `Admin` route never runs without a caller the
//! authorizer established, and an `Admin` route answers 403 to anyone else, whatever the
//! template says. So a route wired without the authorizer by mistake fails closed.

use std::convert::Infallible;

use lambda_http::{service_fn, Body, Request, Response};
use serde::de::DeserializeOwned;

use super::{parse_json, parse_optional_json, respond_for, ApiError, ApiResponse, Cors, Identity};
use bson::oid::ObjectId;

use crate::config::HttpConfig;
use crate::db::BoxFuture;
use crate::domain::parse_object_id;
use crate::i18n::Msg;
use crate::init::{log_failure, Deferred};
use crate::paging::{Page, PageRules};
use crate::search::SearchTerm;
use crate::service::{Caller, Ctx, Service};

/// What a handler returns.
pub type Answer = BoxFuture<'static, Result<ApiResponse, ApiError>>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (register, login, the catalog).
    Public,
    /// A signed-in user (any role).
    User,
    /// A signed-in administrator.
    Admin,
}

/// A route of service `D`: its access and its handler. `User` and `Admin` handlers receive the
/// [`Caller`] the platform checked; a `Public` handler has none to misuse.
pub enum Route<D: 'static> {
    /// See [`Access::Public`].
    Public(fn(&'static D, Req, Ctx) -> Answer),
    /// See [`Access::User`].
    User(fn(&'static D, Req, Ctx, Caller) -> Answer),
    /// See [`Access::Admin`].
    Admin(fn(&'static D, Req, Ctx, Caller) -> Answer),
}

impl<D> Clone for Route<D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D> Copy for Route<D> {}

impl<D: Send + Sync + 'static> Route<D> {
    /// Who may call it.
    pub fn access(&self) -> Access {
        match self {
            Route::Public(_) => Access::Public,
            Route::User(_) => Access::User,
            Route::Admin(_) => Access::Admin,
        }
    }

    /// Answers one request: correlation id, access check, handler, envelope, CORS, log line
    /// (see [`respond_for`]). What tests call, with the service built.
    pub async fn respond(
        self,
        deps: &'static D,
        http: &'static HttpConfig,
        cors: &Cors,
        request: Request,
    ) -> Response<Body> {
        self.respond_with(|| async { Ok(deps) }, http, cors, request)
            .await
    }

    /// [`Route::respond`] with the service built on first use (what the Lambda binary does per
    /// invocation): while it cannot be built (Secrets Manager or DNS down), the answer is a 503
    /// `UNAVAILABLE` in the envelope with `Retry-After`, and a request after that tries again;
    /// with settings no retry can fix, a 500 (and an error log line saying so).
    pub async fn respond_deferred(
        self,
        deps: &'static Deferred<D>,
        http: &'static HttpConfig,
        cors: &Cors,
        request: Request,
    ) -> Response<Body>
    where
        D: Service,
    {
        let deps = || async {
            deps.get().await.map_err(|e| match e.permanent {
                true => ApiError::internal(e),
                false => ApiError::unavailable_for(e.clone(), e.retry_after),
            })
        };
        self.respond_with(deps, http, cors, request).await
    }

    async fn respond_with<F, Fut>(
        self,
        deps: F,
        http: &'static HttpConfig,
        cors: &Cors,
        request: Request,
    ) -> Response<Body>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<&'static D, ApiError>>,
    {
        respond_for(cors, request, move |request, ctx| async move {
            let access = self.access();
            let caller = match access {
                Access::Public => None,
                Access::User | Access::Admin => Some(caller_of(&request)?),
            };
            let deps = deps().await?;
            let req = Req { request, http };
            match (self, caller) {
                (Route::Public(handler), _) => handler(deps, req, ctx).await,
                (Route::User(handler), Some(caller)) => handler(deps, req, ctx, caller).await,
                (Route::Admin(handler), Some(caller)) if caller.is_admin() => {
                    handler(deps, req, ctx, caller).await
                }
                (Route::Admin(_), Some(_)) => Err(ApiError::forbidden(Msg::AdminRequired)),
                (_, None) => Err(ApiError::unauthorized(Msg::AuthenticationRequired)),
            }
        })
        .await
    }
}

/// The caller the authorizer established for this request; 401 when there is none (a route
/// wired without the authorizer) or its user id is not one.
fn caller_of(request: &Request) -> Result<Caller, ApiError> {
    let identity = Identity::from_request(request)?;
    let user_id = parse_object_id(&identity.user_id)
        .map_err(|_| ApiError::unauthorized(Msg::AuthenticationRequired))?;
    Ok(Caller {
        user_id,
        role: identity.role,
        session_id: identity.session_id,
        token_id: identity.token_id,
        expires_at: identity.expires_at,
    })
}

/// The request as a handler sees it: the body parsed within the function's size limit, and
/// (with `http::query` and `http::path`) its parameters.
pub struct Req {
    request: Request,
    http: &'static HttpConfig,
}

impl Req {
    /// The JSON body as `T` (see [`parse_json`]: 413 over the limit, 400 naming the field).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(&self.request, self.http.max_body_bytes)
    }

    /// Like [`Req::json`], a blank body being `T::default()` (routes whose body is optional).
    pub fn optional_json<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        parse_optional_json(&self.request, self.http.max_body_bytes)
    }

    /// Path parameter `name` as an ObjectId (`/movies/{id}`): 400 naming it when malformed.
    pub fn path_id(&self, name: &str) -> Result<ObjectId, ApiError> {
        super::path::object_id(&self.request, name)
    }

    /// Path parameter `name` as text of at most `max_chars` (`/subtitles/{language}`).
    pub fn path_text(&self, name: &str, max_chars: usize) -> Result<String, ApiError> {
        super::path::text(&self.request, name, max_chars)
    }

    /// `?page&limit` under `rules` (400 naming the field when malformed; a limit over the
    /// maximum is clamped).
    pub fn page(&self, rules: PageRules) -> Result<Page, ApiError> {
        Ok(super::query::page(&self.request, rules)?)
    }

    /// `?page&limit` and `?search` together, every problem of the three named at once.
    pub fn page_and_search(
        &self,
        rules: PageRules,
    ) -> Result<(Page, Option<SearchTerm>), ApiError> {
        Ok(super::query::page_and_search(&self.request, rules)?)
    }

    /// `?search`, safe to put in a MongoDB query (`None` when absent or blank).
    pub fn search(&self) -> Result<Option<SearchTerm>, ApiError> {
        Ok(super::query::search(&self.request)?)
    }

    /// The request itself (headers, path and query parameters).
    pub fn request(&self) -> &Request {
        &self.request
    }
}

/// What every HTTP function loads besides its service's pieces.
pub type HttpPieces = (HttpConfig, Cors);

/// Serves `route` as a Lambda function for the life of the container: the function's own
/// settings ([`HttpConfig`], [`Cors`]) at cold start, the service's dependencies (secrets,
/// settings, clients) on first use ([`Deferred`]: a 503 in the envelope while they cannot be
/// had, not a failed init), then one [`Route::respond_deferred`] per invocation (served by
/// [`crate::runtime::run`]: the X-Ray trace id stays out of the process environment).
///
/// What it builds lives as long as the process, so it is leaked rather than reference-counted.
pub async fn serve<D: Service>(route: Route<D>) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let (deps, (http, cors)) = Deferred::<D>::begin::<HttpPieces>()
        .await
        .map_err(log_failure)?;
    let deps: &'static Deferred<D> = Box::leak(Box::new(deps));
    let http: &'static HttpConfig = Box::leak(Box::new(http));
    let cors: &'static Cors = Box::leak(Box::new(cors));
    crate::runtime::run(lambda_http::Adapter::from(service_fn(
        move |request: Request| async move {
            Ok::<_, Infallible>(route.respond_deferred(deps, http, cors, request).await)
        },
    )))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Load;
    use crate::domain::Role;

    struct Deps;

    /// An API Gateway REST event, with the authorizer context of `role` when signed in.
    fn event(role: Option<Role>, user_id: &str) -> Request {
        let mut event = serde_json::json!({
            "resource": "/x", "path": "/x", "httpMethod": "POST",
            "headers": {}, "multiValueHeaders": {},
            "requestContext": {"resourcePath": "/x", "httpMethod": "POST", "requestId": "r1",
                "stage": "local", "accountId": "0", "apiId": "a", "path": "/local/x"},
            "body": null, "isBase64Encoded": false
        });
        if let Some(role) = role {
            event["requestContext"]["authorizer"] = serde_json::json!({
                "userId": user_id, "email": "a@b.co", "role": role.as_str(),
                "tokenId": "t", "sessionId": "s", "expiresAt": "9999999999"
            });
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    fn http() -> &'static HttpConfig {
        Box::leak(Box::new(HttpConfig::load(&|_| None).unwrap()))
    }

    async fn who(
        _: &'static Deps,
        _: Req,
        _: Ctx,
        caller: Caller,
    ) -> Result<ApiResponse, ApiError> {
        Ok(ApiResponse::ok(caller.role.as_str()))
    }

    async fn anyone(_: &'static Deps, req: Req, _: Ctx) -> Result<ApiResponse, ApiError> {
        let body: serde_json::Value = req.optional_json()?;
        Ok(ApiResponse::ok(body))
    }

    const USER: Route<Deps> = Route::User(|d, r, c, u| Box::pin(who(d, r, c, u)));
    const ADMIN: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(who(d, r, c, u)));
    const PUBLIC: Route<Deps> = Route::Public(|d, r, c| Box::pin(anyone(d, r, c)));

    async fn status(route: Route<Deps>, role: Option<Role>, user_id: &str) -> u16 {
        let response = route
            .respond(&Deps, http(), &Cors::default(), event(role, user_id))
            .await;
        response.status().as_u16()
    }

    #[tokio::test]
    async fn access_is_enforced_before_the_handler_runs() {
        let id = "65a4f0c2e1b2c3d4e5f60718";
        assert_eq!(status(PUBLIC, None, id).await, 200);
        assert_eq!(status(USER, None, id).await, 401);
        assert_eq!(status(USER, Some(Role::User), id).await, 200);
        assert_eq!(status(ADMIN, None, id).await, 401);
        assert_eq!(status(ADMIN, Some(Role::User), id).await, 403);
        assert_eq!(status(ADMIN, Some(Role::Admin), id).await, 200);
        // An authorizer context whose user id is not one (a mis-wired authorizer): 401.
        assert_eq!(status(USER, Some(Role::User), "not-an-id").await, 401);
        assert_eq!(
            (PUBLIC.access(), USER.access(), ADMIN.access()),
            (Access::Public, Access::User, Access::Admin)
        );
    }
}
