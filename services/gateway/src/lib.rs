//! The gateway: the only public entry. It authenticates callers, validates input at the edge,
//! calls the services over gRPC with the caller context and trace context in metadata, and
//! answers JSON under `/api/v1` (described by `/api/v1/openapi.json`), plus `/healthz` and
//! `/readyz`. Metrics are not served here, on the public port, but on the metrics listener
//! (`telemetry.metrics_listen`).
//!
//! Two front ends, `api/` (JSON) and `web/` (server-rendered pages), are thin layers over
//! `clients/`: one client per service, which owns the gRPC calls, their retries and the
//! conversions both front ends share. Neither front end imports the other.

pub mod api;
pub mod auth;
pub mod browser_session;
pub mod client_address;
pub mod clients;
pub mod error;
pub mod extract;
pub mod health;
pub mod live;
pub mod openapi;
pub mod state;
pub mod telemetry;
pub mod upload;
pub mod web;

use std::future::IntoFuture;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::serve::ListenerExt;
use synergies_platform::config::PlatformConfig;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::{Downstream, GatewayState};

/// The whole HTTP application.
pub fn router(state: GatewayState, body_limit_bytes: usize) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/.well-known/jwks.json", get(api::session::jwks))
        .route("/api/v1/auth/login", post(api::session::login))
        .route("/api/v1/auth/refresh", post(api::session::refresh))
        .route("/api/v1/auth/logout", post(api::session::logout))
        .route("/api/v1/auth/operator", post(api::session::operator))
        .route(
            "/api/v1/auth/session",
            post(api::session::start_browser_session).delete(api::session::end_browser_session),
        )
        .route(
            "/api/v1/auth/session/refresh",
            post(api::session::refresh_browser_session),
        )
        .route("/api/v1/signup", post(api::organisations::sign_up))
        .route("/api/v1/auth/verify-email", post(api::mail::verify_email))
        .route(
            "/api/v1/auth/password-reset",
            post(api::session::request_password_reset),
        )
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(api::session::reset_password),
        )
        .route("/api/v1/me/password", post(api::session::change_password))
        .route(
            "/api/v1/tenants/{tenant}/outgoing-mail",
            get(api::mail::outgoing),
        )
        .route(
            "/api/v1/tenants/{tenant}/undeliverable-addresses",
            get(api::mail::undeliverable),
        )
        .route("/api/v1/tenants/{tenant}/bounces", post(api::mail::bounces))
        .route("/api/v1/organisations", get(api::organisations::list))
        .route("/api/v1/organisations/{id}", get(api::organisations::get))
        .route(
            "/api/v1/organisation/invitations",
            post(api::organisations::invite),
        )
        .route(
            "/api/v1/organisation/close",
            post(api::organisations::close),
        )
        .route(
            "/api/v1/invitations/accept",
            post(api::organisations::accept),
        )
        .route("/api/v1/users", get(api::organisations::people))
        .route(
            "/api/v1/users/{id}/roles",
            axum::routing::put(api::organisations::set_roles),
        )
        .route(
            "/api/v1/organisations/{id}/decision",
            post(api::organisations::decide),
        )
        .route("/api/v1/tenants", post(api::tenants::create))
        .route("/api/v1/tenants/{tenant}", get(api::tenants::get))
        .route(
            "/api/v1/tenants/{tenant}/branding/logo",
            put(api::branding::upload)
                // Its own limit: a logo is larger than any JSON body.
                .layer(DefaultBodyLimit::max(crate::upload::LOGO_BODY_LIMIT))
                .layer(axum::middleware::map_response(
                    api::photos::close_when_refused,
                ))
                .delete(api::branding::remove)
                .get(api::branding::logo),
        )
        .route(
            "/api/v1/tenant/settings",
            axum::routing::put(api::tenants::update_settings),
        )
        .route(
            "/api/v1/tenants/{tenant}/organisations",
            post(api::tenants::create_organisation),
        )
        .route(
            "/api/v1/tenants/{tenant}/users",
            post(api::tenants::create_user),
        )
        .route("/api/v1/me", get(api::tenants::me).delete(api::me::erase))
        .route("/api/v1/me/export", get(api::me::export))
        .route("/api/v1/me/email", post(api::email_change::request))
        .route("/api/v1/me/email/confirm", post(api::email_change::confirm))
        .route(
            "/api/v1/me/notification-preferences",
            get(api::delivery_preferences::get).put(api::delivery_preferences::update),
        )
        .route(
            "/api/v1/me/notification-preferences/confirm-email",
            post(api::delivery_preferences::confirm_email),
        )
        .route(
            "/api/v1/listings",
            post(api::listings::create).get(api::listings::list),
        )
        .route(
            "/api/v1/listings/{id}",
            get(api::listings::get).put(api::listings::update),
        )
        .route("/api/v1/listings/{id}/submit", post(api::listings::submit))
        .route(
            "/api/v1/listings/{id}/approve",
            post(api::listings::approve),
        )
        .route(
            "/api/v1/listings/{id}/withdraw",
            post(api::listings::withdraw),
        )
        .route("/api/v1/listings/{id}/hide", post(api::listings::hide))
        .route(
            "/api/v1/tenants/{tenant}/listings",
            get(api::listings::public_search),
        )
        .route(
            "/api/v1/tenants/{tenant}/listings/{id}",
            get(api::listings::public_get),
        )
        .route("/api/v1/categories", get(api::listings::categories))
        .route(
            "/api/v1/flows",
            post(api::flows::create).get(api::flows::list),
        )
        .route(
            "/api/v1/flows/{id}",
            get(api::flows::get)
                .put(api::flows::update)
                .delete(api::flows::delete),
        )
        .route("/api/v1/flows/{id}/history", get(api::flows::history))
        .route(
            "/api/v1/flows/import",
            post(api::flows::import)
                // Its own limit: a campaign's CSV file is larger than any JSON body.
                .layer(DefaultBodyLimit::max(
                    clients::flows::IMPORT_MAX_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/api/v1/flows/import/template.csv",
            get(api::flows::import_template),
        )
        .route(
            "/api/v1/flows/import/template.xlsx",
            get(api::flows::import_template_xlsx),
        )
        .route("/api/v1/flows/export.csv", get(api::flows::export_csv))
        .route("/api/v1/flows/export.xlsx", get(api::flows::export_xlsx))
        .route(
            "/api/v1/campaigns",
            post(api::campaigns::create).get(api::campaigns::list),
        )
        .route("/api/v1/campaigns/{id}", get(api::campaigns::get))
        .route(
            "/api/v1/campaigns/{id}/organisations",
            post(api::campaigns::add_organisations),
        )
        .route(
            "/api/v1/campaigns/{id}/organisations/{organisation_id}",
            put(api::campaigns::set_state),
        )
        .route("/api/v1/organisation", get(api::organisations::mine))
        .route(
            "/api/v1/listings/{id}/matches",
            get(api::synergies::of_listing),
        )
        .route("/api/v1/flows/{id}/synergies", get(api::synergies::of_flow))
        .route("/api/v1/synergies", get(api::synergies::list))
        .route(
            "/api/v1/synergies/{id}",
            axum::routing::put(api::synergies::update),
        )
        .route(
            "/api/v1/synergies/{id}/feedback",
            post(api::synergies::feedback),
        )
        .route(
            "/api/v1/listings/{id}/photos",
            post(api::photos::upload)
                // Its own limit: a photo is far larger than any JSON body.
                .layer(DefaultBodyLimit::max(crate::upload::UPLOAD_BODY_LIMIT))
                .layer(axum::middleware::map_response(
                    api::photos::close_when_refused,
                ))
                .get(api::photos::list),
        )
        .route(
            "/api/v1/listings/{id}/photos/order",
            axum::routing::put(api::photos::reorder),
        )
        .route(
            "/api/v1/listings/{id}/photos/{photo_id}",
            axum::routing::delete(api::photos::delete),
        )
        .route("/api/v1/photos/{id}", get(api::photos::full))
        .route("/api/v1/photos/{id}/thumbnail", get(api::photos::thumbnail))
        .route(
            "/api/v1/tenants/{tenant}/listings/{id}/photos",
            get(api::photos::list_public),
        )
        .route(
            "/api/v1/tenants/{tenant}/photos/{id}",
            get(api::photos::full_public),
        )
        .route(
            "/api/v1/tenants/{tenant}/photos/{id}/thumbnail",
            get(api::photos::thumbnail_public),
        )
        .route("/api/v1/inbox", get(api::inbox::list))
        .route("/api/v1/inbox/unread-count", get(api::inbox::unread_count))
        .route("/api/v1/inbox/stream", get(api::inbox_stream::stream))
        .route(
            "/api/v1/saved-searches",
            get(api::saved_searches::list).post(api::saved_searches::create),
        )
        .route(
            "/api/v1/saved-searches/{id}",
            axum::routing::delete(api::saved_searches::delete),
        )
        .route("/api/v1/inbox/read-all", post(api::inbox::read_all))
        .route("/api/v1/inbox/{id}/read", post(api::inbox::mark_read))
        .route(
            "/api/v1/listings/{id}/conversations",
            post(api::exchanges::open),
        )
        .route("/api/v1/conversations", get(api::exchanges::list))
        .route("/api/v1/conversations/{id}", get(api::exchanges::get))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(api::exchanges::messages).post(api::exchanges::post),
        )
        .route(
            "/api/v1/listings/{id}/reservation",
            get(api::exchanges::reservation)
                .post(api::exchanges::reserve)
                .delete(api::exchanges::cancel),
        )
        .route(
            "/api/v1/listings/{id}/confirmation",
            post(api::exchanges::confirm),
        )
        .route("/api/v1/exchanges", get(api::exchanges::exchanges))
        .route("/api/v1/impact", get(api::exchanges::impact))
        .route("/api/v1/impact/export.csv", get(api::exchanges::impact_csv))
        .route(
            "/api/v1/tenants/{tenant}/impact",
            get(api::exchanges::territory_summary),
        )
        .merge(web::router(&state))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit_bytes))
        .layer(axum::middleware::from_fn(error::localize))
        .layer(axum::middleware::from_fn(error::retry_after))
        .layer(axum::middleware::from_fn(forward_idempotency_key))
        .layer(axum::middleware::from_fn(telemetry::trace_request))
        // gzip or brotli as the client accepts; images, gRPC and event streams stay as they are.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// A request's `Idempotency-Key` reaches the services it calls, whose creating calls answer a
/// repeated key with their first answer (see `synergies_platform::idempotency`).
async fn forward_idempotency_key(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let key = request
        .headers()
        .get(synergies_platform::idempotency::HEADER)
        // A key that is not text is forwarded spoilt, for the service to refuse it.
        .map(|value| value.to_str().unwrap_or("not text").to_owned());
    synergies_platform::idempotency::scope(key, next.run(request)).await
}

/// Serves the gateway on `listener` until `shutdown`, letting in-flight requests finish.
/// `live` is the bus new inbox items are pushed on (see [`live`]); without it, inbox streams
/// send only what they read at connection.
pub async fn run(
    config: &PlatformConfig,
    downstream: &Downstream,
    live: Option<std::sync::Arc<dyn synergies_platform::bus::EventBus>>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let transport = synergies_platform::grpc::Transport::from_config(&config.grpc)?;
    let mut state = GatewayState::connect(downstream, &transport)?;
    state.cookies = browser_session::CookiePolicy::new(
        config.gateway.secure_cookies,
        config.gateway.csrf_secret.expose(),
    );
    if let Some(bus) = live {
        state.live.listen(bus, shutdown.clone());
    }
    state.default_tenant = Some(config.gateway.default_tenant.clone()).filter(|t| !t.is_empty());
    let tiles = web::map::MapTiles::new(
        &config.gateway.map_tiles_url,
        &config.gateway.map_tiles_attribution,
    );
    if tiles.is_none() && !config.gateway.map_tiles_url.trim().is_empty() {
        anyhow::bail!("gateway.map_tiles_url must be an http(s) address with a host");
    }
    state.content_security_policy = web::map::content_security_policy(tiles.as_ref());
    state.map_tiles = tiles.map(std::sync::Arc::new);
    state.trusted_proxies = std::sync::Arc::new(
        client_address::TrustedProxies::parse(&config.gateway.trusted_proxies)
            .map_err(anyhow::Error::msg)?,
    );
    let app = router(state, config.gateway.body_limit_bytes);
    tracing::info!(address = %listener.local_addr()?, "gateway listening");
    let drain = shutdown.clone();
    let server = axum::serve(
        listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        }),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { drain.cancelled().await })
    .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return Ok(result?),
        () = shutdown.cancelled() => {}
    }
    if let Ok(result) =
        tokio::time::timeout(synergies_platform::shutdown::DRAIN_TIMEOUT, server).await
    {
        Ok(result?)
    } else {
        tracing::warn!("in-flight requests did not finish in time");
        Ok(())
    }
}
