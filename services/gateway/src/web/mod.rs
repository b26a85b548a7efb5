//! The web interface: French first, English on request, rendered on the server from compiled
//! templates (askama) and working without JavaScript. A territory's pages live under its slug,
//! `/<tenant>/…` (e.g. `/dijon/`): one gateway serves every tenant, in the all-in-one mode as in
//! production, and a reverse proxy may map `dijon.example.org/` onto `/dijon/`.
//!
//! Pages call the services exactly like the JSON API does, with the caller context taken from
//! the session cookie. Every form carries the CSRF token; every answer carries a
//! Content-Security-Policy that forbids inline scripts and styles.

// Page helpers return `Result<_, Response>`: a page answers with a response either way (the
// page, or the redirect/error page that replaces it), and boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod account_texts;
pub mod assets;
pub mod branding_texts;
pub mod directory;
pub mod format;
pub mod i18n;
pub mod inbox_texts;
pub mod layer;
pub mod map;
pub mod page;
pub mod page_texts;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::state::GatewayState;

/// Every page of the web interface.
pub fn router(state: &GatewayState) -> Router<GatewayState> {
    use pages::{
        account, administration, auth, exchanges, facilitation, home, inbox, listings, operator,
        organisation, signup,
    };
    Router::new()
        .route("/", get(home::root))
        .route("/static/{file}", get(assets::serve))
        .route(
            "/operateur",
            get(operator::sign_in_form).post(operator::sign_in),
        )
        .route("/{tenant}/", get(home::home))
        .route("/{tenant}", get(home::to_home))
        .route("/{tenant}/theme.css", get(assets::theme))
        .route("/{tenant}/apercu-theme.css", get(assets::theme_preview))
        .route(
            "/{tenant}/connexion",
            get(auth::sign_in_form).post(auth::sign_in),
        )
        .route("/{tenant}/deconnexion", post(auth::sign_out))
        .route(
            "/{tenant}/mot-de-passe-oublie",
            get(auth::forgotten_form).post(auth::forgotten),
        )
        .route(
            "/{tenant}/reset-password",
            get(auth::reset_form).post(auth::reset),
        )
        .route(
            "/{tenant}/inscription",
            get(signup::form).post(signup::submit),
        )
        .route("/{tenant}/inscription/envoyee", get(signup::sent))
        .route(
            "/{tenant}/verify-email",
            get(signup::verify_form).post(signup::verify),
        )
        .route(
            "/{tenant}/accept-invitation",
            get(organisation::accept_form).post(organisation::accept),
        )
        .route("/{tenant}/annonces", get(listings::search))
        .route(
            "/{tenant}/annonces/nouvelle",
            get(listings::new_form)
                .post(listings::create)
                // Its own limit: the form may carry photos.
                .layer(axum::extract::DefaultBodyLimit::max(
                    listings::PUBLISH_BODY_LIMIT,
                )),
        )
        .route(
            "/{tenant}/annonces/{id}",
            get(listings::show).post(listings::act),
        )
        .route(
            "/{tenant}/annonces/{id}/photos",
            post(listings::add_photo)
                // Its own limit: a photo is far larger than any other form.
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/{tenant}/annonces/{id}/vignette", get(listings::thumbnail))
        .route(
            "/{tenant}/annonces/{id}/photos/{photo_id}",
            post(listings::arrange),
        )
        .route(
            "/{tenant}/annonces/{id}/modifier",
            get(listings::edit_form).post(listings::update),
        )
        .route(
            "/{tenant}/annonces/{id}/conversation",
            post(exchanges::open),
        )
        .route("/{tenant}/conversations", get(exchanges::list))
        .route(
            "/{tenant}/conversations/{id}",
            get(exchanges::show).post(exchanges::act),
        )
        .route("/{tenant}/impact", get(exchanges::impact))
        .route("/{tenant}/notifications", get(inbox::show))
        .route("/{tenant}/notifications/tout-lu", post(inbox::read_all))
        .route(
            "/{tenant}/e-mails",
            get(pages::delivery_preferences::show_by_token)
                .post(pages::delivery_preferences::save_by_token),
        )
        .route(
            "/{tenant}/e-mails/desabonnement",
            get(pages::delivery_preferences::unsubscribe_form)
                .post(pages::delivery_preferences::unsubscribe),
        )
        .route(
            "/{tenant}/notifications/reglages",
            get(pages::delivery_preferences::show).post(pages::delivery_preferences::save),
        )
        .route("/{tenant}/recherches", post(pages::saved_searches::save))
        .route(
            "/{tenant}/recherches/{id}/supprimer",
            post(pages::saved_searches::delete),
        )
        .route(
            "/{tenant}/notifications/reglages/adresse",
            post(pages::delivery_preferences::confirm_email),
        )
        .route("/{tenant}/notifications/{id}", get(inbox::open))
        .route("/{tenant}/mes-annonces", get(listings::mine))
        .route(
            "/{tenant}/animation/annonces",
            get(listings::approval_queue),
        )
        .route("/{tenant}/en-attente", get(account::pending))
        .route("/{tenant}/compte", get(account::show))
        .route(
            "/{tenant}/compte/mot-de-passe",
            post(account::change_password),
        )
        .route("/{tenant}/compte/effacement", post(account::erase))
        .route("/{tenant}/compte/adresse", post(account::change_email))
        .route(
            "/{tenant}/change-email",
            get(account::confirm_email_change_form).post(account::confirm_email_change),
        )
        .route("/{tenant}/organisation", get(organisation::show))
        .route("/{tenant}/membres", get(pages::members::show))
        .route(
            "/{tenant}/organisation/invitations",
            post(organisation::invite),
        )
        .route(
            "/{tenant}/organisation/roles",
            post(organisation::set_roles),
        )
        .route(
            "/{tenant}/organisation/fermeture",
            post(organisation::close),
        )
        .route("/{tenant}/animation", get(facilitation::queue))
        .route(
            "/{tenant}/animation/organisations/{id}",
            post(facilitation::decide),
        )
        .route("/{tenant}/administration", get(administration::show))
        .route(
            "/{tenant}/administration/reglages",
            post(administration::save_settings),
        )
        .route(
            "/{tenant}/administration/apercu",
            post(administration::preview_settings),
        )
        .route(
            "/{tenant}/administration/logo",
            post(pages::branding::upload_logo)
                // Its own limit: a logo is larger than any other form of the page.
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::upload::LOGO_BODY_LIMIT,
                )),
        )
        .route(
            "/{tenant}/administration/logo/retirer",
            post(pages::branding::remove_logo),
        )
        .route(
            "/{tenant}/administration/roles",
            post(administration::set_roles),
        )
        .route(
            "/{tenant}/operateur/courriels",
            get(operator::outgoing_mail),
        )
        .route("/{tenant}/flux", get(pages::flows::list))
        .route(
            "/{tenant}/flux/nouveau",
            get(pages::flow_form::new_form).post(pages::flow_form::create),
        )
        .route(
            "/{tenant}/flux/import",
            get(pages::flow_import::form)
                .post(pages::flow_import::run)
                .layer(axum::extract::DefaultBodyLimit::max(
                    pages::flow_import::BODY_LIMIT,
                )),
        )
        .route("/{tenant}/flux/export.csv", get(pages::flow_import::export))
        .route(
            "/{tenant}/flux/modele.csv",
            get(pages::flow_import::template),
        )
        .route(
            "/{tenant}/flux/export.xlsx",
            get(pages::flow_import::export_xlsx),
        )
        .route(
            "/{tenant}/flux/modele.xlsx",
            get(pages::flow_import::template_xlsx),
        )
        .route(
            "/{tenant}/flux/campagnes/{id}/confirmation",
            post(pages::flows::confirm_campaign),
        )
        .route("/{tenant}/flux/{id}", get(pages::flows::show))
        .route(
            "/{tenant}/flux/{id}/modifier",
            get(pages::flow_form::edit_form).post(pages::flow_form::update),
        )
        .route(
            "/{tenant}/flux/{id}/suppression",
            post(pages::flows::remove),
        )
        .route("/{tenant}/animation/flux", get(pages::dashboard::show))
        .route(
            "/{tenant}/animation/campagnes",
            get(pages::campaigns::list).post(pages::campaigns::create),
        )
        .route(
            "/{tenant}/animation/campagnes/{id}",
            get(pages::campaigns::show),
        )
        .route(
            "/{tenant}/animation/campagnes/{id}/organisations",
            post(pages::campaigns::add_targets),
        )
        .route(
            "/{tenant}/animation/campagnes/{id}/etat",
            post(pages::campaigns::set_state),
        )
        .route("/{tenant}/synergies", get(pages::synergies::board))
        .route(
            "/{tenant}/synergies/{id}",
            post(pages::synergies::move_card),
        )
        .route(
            "/{tenant}/synergies/{id}/avis",
            post(pages::synergies::feedback),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layer::web,
        ))
}
