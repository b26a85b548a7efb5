//! Flow inventories: what each organisation takes in and lets out. Members record and read
//! their own organisation's flows (and other organisations' public ones); facilitators those
//! of every organisation of the territory, with the history of every change.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer, Serialize};
use synergies_platform::i18n::Text;
use synergies_proto::flows::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Member;
use crate::clients::flows::IMPORT_MAX_BYTES;
use crate::clients::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::GatewayState;

/// What is written about a flow. Enumerated values are the names listed per field; the service
/// checks them and answers which field breaks which rule.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"direction": "out", "resource_class": "waste", "label": "Cartons d'emballage",
    "description": "Cartons bruns propres, pliés, stockés sous abri", "ewc_code": "150101",
    "quantity": "12.5", "unit": "t", "period": "month", "regularity": "continuous",
    "confidentiality": "partners", "quality": "Secs, sans agrafes", "current_outlet": "Benne DIB, enlèvement hebdomadaire",
    "yearly_cost_eur": "4200"}))]
pub struct FlowBody {
    /// Facilitators: the organisation whose flow it is. Members leave it out (their own).
    #[serde(default)]
    pub organisation_id: String,
    /// One of the organisation's sites.
    #[serde(default)]
    pub site_id: String,
    /// `in` or `out`.
    #[serde(default)]
    pub direction: String,
    /// material, waste, by-product, energy, water, equipment, service, skill, space, logistics.
    #[serde(default)]
    pub resource_class: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// European Waste Catalogue code (`150101`, `15 01 01`); required for waste.
    #[serde(default)]
    pub ewc_code: String,
    /// A code of `GET /api/v1/categories`.
    #[serde(default)]
    pub category: String,
    /// Decimal text (`"12.5"`); a JSON number is read as written.
    #[serde(default, deserialize_with = "decimal_text")]
    #[schema(value_type = String)]
    pub quantity: String,
    /// t, kg, m3, L, MWh, kWh, piece, m, m2, h, day.
    #[serde(default)]
    pub unit: String,
    /// year, month, week, once.
    #[serde(default)]
    pub period: String,
    /// continuous, seasonal, occasional.
    #[serde(default)]
    pub regularity: String,
    /// facilitator, partners (default), public.
    #[serde(default)]
    pub confidentiality: String,
    /// Quality and constraints.
    #[serde(default)]
    pub quality: String,
    /// Where the resource goes (or comes from) today.
    #[serde(default)]
    pub current_outlet: String,
    /// What the current outlet or supply costs a year, in euros (decimal text).
    #[serde(default, deserialize_with = "decimal_text")]
    #[schema(value_type = String)]
    pub yearly_cost_eur: String,
}

/// A decimal given as text or as a JSON number, kept as the text the client wrote.
fn decimal_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Decimal {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Decimal>::deserialize(deserializer)? {
        None => String::new(),
        Some(Decimal::Text(text)) => text,
        Some(Decimal::Number(number)) => number.to_string(),
    })
}

fn fields_message(body: FlowBody) -> pb::FlowFields {
    pb::FlowFields {
        organisation_id: body.organisation_id,
        site_id: body.site_id,
        direction: body.direction,
        resource_class: body.resource_class,
        label: body.label,
        description: body.description,
        ewc_code: body.ewc_code,
        category: body.category,
        quantity: body.quantity,
        unit: body.unit,
        period: body.period,
        regularity: body.regularity,
        confidentiality: body.confidentiality,
        quality: body.quality,
        current_outlet: body.current_outlet,
        yearly_cost_eur: body.yearly_cost_eur,
    }
}

/// A flow as it now reads.
#[derive(Serialize, ToSchema)]
pub struct Flow {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    /// The organisation's NAF/NACE code, as identity knows it.
    pub nace: String,
    pub site_id: Option<String>,
    /// INSEE code of the site's commune.
    pub insee_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub direction: String,
    pub resource_class: String,
    pub label: String,
    pub description: String,
    pub ewc_code: Option<String>,
    pub category: Option<String>,
    /// Decimal text, as written.
    pub quantity: String,
    pub unit: String,
    pub period: String,
    /// The quantity over a year (monthly ×12, weekly ×52; yearly and one-off as written).
    pub yearly_quantity: String,
    pub regularity: Option<String>,
    pub confidentiality: String,
    pub quality: String,
    pub current_outlet: String,
    pub yearly_cost_eur: Option<String>,
    /// `declared` by a member of the organisation, or `recorded` by an advisor.
    pub provenance: String,
    pub recorded_by_user_id: String,
    pub recorded_at: String,
    pub updated_by_user_id: String,
    pub updated_at: String,
    /// 1 when recorded, +1 on each change.
    pub version: i64,
}

fn non_empty(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

pub(crate) fn flow_json(flow: pb::Flow) -> Flow {
    Flow {
        recorded_at: rfc3339(flow.recorded_at.as_ref()),
        updated_at: rfc3339(flow.updated_at.as_ref()),
        id: flow.id,
        organisation_id: flow.organisation_id,
        organisation_name: flow.organisation_name,
        nace: flow.nace,
        site_id: non_empty(flow.site_id),
        insee_code: non_empty(flow.insee_code),
        latitude: flow.latitude,
        longitude: flow.longitude,
        direction: flow.direction,
        resource_class: flow.resource_class,
        label: flow.label,
        description: flow.description,
        ewc_code: non_empty(flow.ewc_code),
        category: non_empty(flow.category),
        quantity: flow.quantity,
        unit: flow.unit,
        period: flow.period,
        yearly_quantity: flow.yearly_quantity,
        regularity: non_empty(flow.regularity),
        confidentiality: flow.confidentiality,
        quality: flow.quality,
        current_outlet: flow.current_outlet,
        yearly_cost_eur: non_empty(flow.yearly_cost_eur),
        provenance: flow.provenance,
        recorded_by_user_id: flow.recorded_by_user_id,
        updated_by_user_id: flow.updated_by_user_id,
        version: flow.version,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct FlowFilters {
    /// Words that must all be found in the flow (label, description, category, EWC code,
    /// quality, current outlet, organisation name); accents, case and plurals do not matter.
    pub q: Option<String>,
    /// Only this organisation's flows.
    pub organisation_id: Option<String>,
    /// `in` or `out`.
    pub direction: Option<String>,
    pub resource_class: Option<String>,
    /// 1 to 100, default 20.
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FlowPage {
    pub flows: Vec<Flow>,
    /// Empty on the last page.
    pub next_page_token: String,
}

/// One version of a flow.
#[derive(Serialize, ToSchema)]
pub struct FlowRevision {
    pub version: i64,
    /// `recorded`, `changed` or `removed`.
    pub change: String,
    pub by_user_id: String,
    pub at: String,
    /// The flow as it read after the change (as it last read, for a removal).
    pub flow: Option<Flow>,
}

#[derive(Serialize, ToSchema)]
pub struct FlowHistory {
    /// Oldest first.
    pub revisions: Vec<FlowRevision>,
}

/// Records a flow: a member for their own organisation, a facilitator for any organisation of
/// the territory (an advisor's diagnostic).
#[utoipa::path(post, path = "/api/v1/flows", request_body = FlowBody, security(("member" = [])),
    responses((status = 201, body = Flow), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    member: Member,
    State(state): State<GatewayState>,
    ApiJson(body): ApiJson<FlowBody>,
) -> Result<(StatusCode, Json<Flow>), ApiError> {
    let flow = state
        .flows
        .record(&member.caller, fields_message(body))
        .await?;
    Ok((StatusCode::CREATED, Json(flow_json(flow))))
}

/// The flows the caller may see, newest first: a member's own organisation's and other
/// organisations' public ones; every flow of the territory for a facilitator.
#[utoipa::path(get, path = "/api/v1/flows", params(FlowFilters), security(("member" = [])),
    responses((status = 200, body = FlowPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    member: Member,
    State(state): State<GatewayState>,
    ApiQuery(filters): ApiQuery<FlowFilters>,
) -> Result<Json<FlowPage>, ApiError> {
    let message = pb::ListFlowsRequest {
        organisation_id: filters.organisation_id.unwrap_or_default(),
        direction: filters.direction.unwrap_or_default(),
        resource_class: filters.resource_class.unwrap_or_default(),
        page_size: filters.page_size.unwrap_or(0),
        page_token: filters.page_token.unwrap_or_default(),
        text: filters.q.unwrap_or_default(),
    };
    let page = state.flows.list(&member.caller, message).await?;
    Ok(Json(FlowPage {
        flows: page.flows.into_iter().map(flow_json).collect(),
        next_page_token: page.next_page_token,
    }))
}

#[utoipa::path(get, path = "/api/v1/flows/{id}", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = Flow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Flow>, ApiError> {
    let flow = state.flows.get(&member.caller, &id).await?;
    Ok(Json(flow_json(flow)))
}

/// Rewrites every field of a flow (its organisation stays); a new version in its history.
#[utoipa::path(put, path = "/api/v1/flows/{id}", params(("id" = uuid::Uuid, Path)), request_body = FlowBody, security(("member" = [])),
    responses((status = 200, body = Flow), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FlowBody>,
) -> Result<Json<Flow>, ApiError> {
    let flow = state
        .flows
        .update(&member.caller, &id, fields_message(body))
        .await?;
    Ok(Json(flow_json(flow)))
}

/// Removes a flow; its history keeps it.
#[utoipa::path(delete, path = "/api/v1/flows/{id}", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.flows.remove(&member.caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a flow, who made it and when — for the territory's facilitators and the
/// flow's organisation.
#[utoipa::path(get, path = "/api/v1/flows/{id}/history", params(("id" = uuid::Uuid, Path)), security(("member" = [])),
    responses((status = 200, body = FlowHistory), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn history(
    member: Member,
    State(state): State<GatewayState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FlowHistory>, ApiError> {
    let revisions = state.flows.history(&member.caller, &id).await?;
    Ok(Json(FlowHistory {
        revisions: revisions
            .into_iter()
            .map(|revision| FlowRevision {
                at: rfc3339(revision.at.as_ref()),
                version: revision.version,
                change: revision.change,
                by_user_id: revision.by_user_id,
                flow: revision.flow.map(flow_json),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
// Query parameters: without this, utoipa takes them for path parameters behind our own
// extractors (`ApiQuery`).
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every row and write nothing.
    pub dry_run: Option<bool>,
}

/// The CSV or XLSX file to import, in a form field named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A rejected row: its line (1 is the header line), its column as headed in the file, and why.
#[derive(Serialize, ToSchema)]
pub struct ImportRejection {
    pub line: u32,
    pub column: String,
    /// In the caller's language (`Accept-Language`).
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows that would be written (dry run) or were written; 0 when any row is rejected.
    pub accepted: u32,
    pub rejected: Vec<ImportRejection>,
    /// Whether the rows were written: never on a dry run, nor when any row is rejected.
    pub written: bool,
}

const FILE_FIELD: &str = "file";

async fn read_file(mut form: Multipart) -> Result<Vec<u8>, ApiError> {
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| crate::upload::unreadable_form(&e))?
    {
        if field.name() != Some(FILE_FIELD) {
            continue;
        }
        let mut file = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| crate::upload::unreadable_form(&e))?
        {
            if file.len() + chunk.len() > IMPORT_MAX_BYTES {
                return Err(ApiError::with_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    Text::new(
                        "file: at most 3 MB per import; split the file",
                        "file : au plus 3 Mo par import ; découpez le fichier",
                    ),
                ));
            }
            file.extend_from_slice(&chunk);
        }
        return Ok(file);
    }
    Err(ApiError::invalid(
        FILE_FIELD,
        Text::new(
            "file: the form has no field named file",
            "file : le formulaire n'a pas de champ nommé file",
        ),
    ))
}

/// Imports flows from a CSV file (UTF-8, `;` or `,`) or an XLSX workbook (first sheet), French headers as in
/// `GET /api/v1/flows/import/template.csv`, or the API's field names): every row or none. A
/// facilitator names each row's organisation by id or SIRET; a member imports its own.
#[utoipa::path(post, path = "/api/v1/flows/import", params(ImportParams),
    request_body(content = ImportUpload, content_type = "multipart/form-data"), security(("member" = [])),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn import(
    member: Member,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let form = form.map_err(|_| {
        ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new(
                "send the CSV file as multipart/form-data, in a field named file",
                "envoyez le fichier CSV en multipart/form-data, dans un champ nommé file",
            ),
        )
    })?;
    let file = read_file(form).await?;
    let english = crate::api::preferred_language(&headers) == "en";
    let report = state
        .flows
        .import(&member.caller, file, params.dry_run.unwrap_or(false))
        .await?;
    Ok(Json(ImportReport {
        accepted: report.accepted,
        written: report.written,
        rejected: report
            .rejected
            .into_iter()
            .map(|r| ImportRejection {
                line: r.line,
                column: r.column,
                message: if english { r.message_en } else { r.message_fr },
            })
            .collect(),
    }))
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn download(name: &str, content_type: &'static str, content: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        content,
    )
}

/// The flows the caller sees (a facilitator: the territory's) as CSV, `;`-separated, with the
/// import's columns and the computed ones (yearly quantity, NAF, commune…).
#[utoipa::path(get, path = "/api/v1/flows/export.csv", security(("member" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody)))]
pub async fn export_csv(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<impl IntoResponse, ApiError> {
    let csv = state.flows.export(&member.caller, false, "csv").await?;
    Ok(download("synergies-flux.csv", CSV, csv))
}

/// The same export as an XLSX workbook (one sheet, every cell text).
#[utoipa::path(get, path = "/api/v1/flows/export.xlsx", security(("member" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 401, body = ErrorBody)))]
pub async fn export_xlsx(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<impl IntoResponse, ApiError> {
    let workbook = state.flows.export(&member.caller, false, "xlsx").await?;
    Ok(download("synergies-flux.xlsx", XLSX, workbook))
}

/// The import template: the French header line and an example row.
#[utoipa::path(get, path = "/api/v1/flows/import/template.csv", security(("member" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody)))]
pub async fn import_template(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<impl IntoResponse, ApiError> {
    let csv = state.flows.export(&member.caller, true, "csv").await?;
    Ok(download("modele-import-flux.csv", CSV, csv))
}

/// The import template as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/flows/import/template.xlsx", security(("member" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 401, body = ErrorBody)))]
pub async fn import_template_xlsx(
    member: Member,
    State(state): State<GatewayState>,
) -> Result<impl IntoResponse, ApiError> {
    let workbook = state.flows.export(&member.caller, true, "xlsx").await?;
    Ok(download("modele-import-flux.xlsx", XLSX, workbook))
}
