//! The OpenAPI 3.1 document, generated from the handlers and types themselves.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::error::{ErrorBody, ErrorDetail, FieldDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "Synergies API", description = "Territorial industrial ecology platform: members publish offers and requests of goods, skills and spaces; the platform finds matches and tells them."),
    paths(
        api::session::request_password_reset, api::session::reset_password, api::session::change_password,
        api::session::login, api::session::refresh, api::session::logout, api::session::operator, api::session::jwks,
        api::session::start_browser_session, api::session::refresh_browser_session, api::session::end_browser_session,
        api::mail::verify_email, api::mail::outgoing, api::mail::undeliverable, api::mail::bounces,
        api::organisations::sign_up, api::organisations::decide, api::organisations::list, api::organisations::get,
        api::organisations::invite, api::organisations::close, api::organisations::mine, api::organisations::accept, api::organisations::set_roles, api::organisations::people,
        api::tenants::create, api::tenants::get, api::tenants::update_settings, api::tenants::create_organisation, api::tenants::create_user, api::tenants::me,
        api::branding::upload, api::branding::remove, api::branding::logo,
        api::listings::create, api::listings::list, api::listings::get,
        api::listings::update, api::listings::submit, api::listings::approve, api::listings::withdraw,
        api::listings::hide, api::listings::public_search, api::listings::public_get, api::listings::categories,
        api::photos::upload, api::photos::list, api::photos::list_public, api::photos::full, api::photos::thumbnail,
        api::photos::full_public, api::photos::thumbnail_public, api::photos::delete, api::photos::reorder,
        api::inbox::list, api::inbox::unread_count, api::inbox_stream::stream, api::saved_searches::create, api::saved_searches::list, api::saved_searches::delete, api::inbox::mark_read, api::inbox::read_all, api::delivery_preferences::get, api::delivery_preferences::update, api::delivery_preferences::confirm_email, api::me::export, api::me::erase, api::email_change::request, api::email_change::confirm,
        api::synergies::of_listing, api::synergies::of_flow, api::synergies::list, api::synergies::update, api::synergies::feedback,
        api::exchanges::open, api::exchanges::list, api::exchanges::get, api::exchanges::messages, api::exchanges::post,
        api::exchanges::reservation, api::exchanges::reserve, api::exchanges::cancel, api::exchanges::confirm,
        api::exchanges::exchanges, api::exchanges::impact, api::exchanges::impact_csv, api::exchanges::territory_summary,
        api::flows::create, api::flows::list, api::flows::get, api::flows::update, api::flows::delete, api::flows::history,
        api::flows::import, api::flows::export_csv, api::flows::import_template,
        api::flows::export_xlsx, api::flows::import_template_xlsx,
        api::campaigns::create, api::campaigns::list, api::campaigns::get, api::campaigns::add_organisations, api::campaigns::set_state,
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldDetail)),
    modifiers(&Security, &Contract),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            ("member", "Access token from /api/v1/auth/login"),
            ("operator", "Access token from /api/v1/auth/operator"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(description))
                        .build(),
                ),
            );
        }
        components.add_security_scheme(
            "browser",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-synergies-access",
                "Session cookie set by /api/v1/auth/session; state-changing requests must also send \
                 the X-CSRF-Token header",
            ))),
        );
    }
}

/// What every operation answers besides what its handler declares, so that the document states
/// every status the gateway may answer: path parameters (ids are UUIDs) for every `{name}` of
/// the path, 400 when there is anything to validate, 401 behind authentication, 415 for a
/// request body of another type.
struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{Ref, Required};

        for (path, item) in &mut openapi.paths.paths {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let schema = path_schema(name);
                    match parameters
                        .iter_mut()
                        .find(|p| p.name == *name && p.parameter_in == ParameterIn::Path)
                    {
                        Some(parameter) => parameter.schema = Some(schema),
                        None => parameters.push(
                            ParameterBuilder::new()
                                .name(*name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .schema(Some(schema))
                                .build(),
                        ),
                    }
                }
                if parameters.is_empty() {
                    operation.parameters = None;
                }
                let validates = operation.parameters.is_some() || operation.request_body.is_some();
                let mut answers = Vec::new();
                if validates {
                    answers.push(("400", "Invalid request: the field at fault is named"));
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    answers.push(("401", "Not signed in, or the access token has expired"));
                }
                if operation.request_body.is_some() {
                    answers.push(("415", "The body is not of the documented content type"));
                }
                for (status, description) in answers {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            utoipa::openapi::ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    utoipa::openapi::ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

/// Ids (`id`, `…_id`) are UUIDs; the other path parameters (territory slugs) are text.
fn path_schema(name: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let text = ObjectBuilder::new().schema_type(Type::String);
    if name == "id" || name.ends_with("_id") {
        text.format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .build()
            .into()
    } else {
        text.build().into()
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every JSON request body of the API is documented with an example a client can copy.
    #[test]
    fn every_request_body_has_an_example() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemas = &document["components"]["schemas"];
        let mut missing = Vec::new();
        let mut checked = 0;
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                let Some(reference) = schema["$ref"].as_str() else {
                    continue;
                };
                let name = reference.rsplit('/').next().unwrap();
                checked += 1;
                if schemas[name]["example"].is_null() {
                    missing.push(format!("{method} {path}: {name}"));
                }
            }
        }
        assert!(checked > 20, "only {checked} bodies found");
        assert!(
            missing.is_empty(),
            "bodies without an example: {missing:#?}"
        );
    }

    /// The contract schemathesis checks: query parameters are query parameters, ids are UUIDs,
    /// and 400, 401 and 415 are documented where the gateway may answer them.
    #[test]
    fn parameters_ids_and_error_answers_are_documented() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut wrong = Vec::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let at = format!("{method} {path}");
                let parameters = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for parameter in &parameters {
                    let name = parameter["name"].as_str().unwrap();
                    let in_path = path.contains(&format!("{{{name}}}"));
                    if (parameter["in"] == "path") != in_path {
                        wrong.push(format!("{at}: {name} is in {}", parameter["in"]));
                    }
                    if in_path
                        && (name == "id" || name.ends_with("_id"))
                        && parameter["schema"]["format"] != "uuid"
                    {
                        wrong.push(format!("{at}: {name} is not a uuid"));
                    }
                }
                let responses = &operation["responses"];
                let secured = operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
                if secured && responses["401"].is_null() {
                    wrong.push(format!("{at}: no 401"));
                }
                if !operation["requestBody"].is_null()
                    && (responses["415"].is_null() || responses["400"].is_null())
                {
                    wrong.push(format!("{at}: no 400 or 415"));
                }
                if !parameters.is_empty() && responses["400"].is_null() {
                    wrong.push(format!("{at}: no 400"));
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        let listings = &document["paths"]["/api/v1/listings"]["get"]["parameters"];
        assert!(
            listings
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "q" && p["in"] == "query"),
            "{listings}"
        );
    }
}
