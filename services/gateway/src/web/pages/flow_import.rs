//! Importing flows from a CSV or XLSX file in the browser: a dry run first, whose report names every
//! rejected row by line, column and reason; then, when nothing is rejected, the real run of the
//! same file (kept in the confirmation form, since a browser cannot re-send a chosen file
//! without JavaScript). Also the export and the import template, as CSV or XLSX downloads.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use synergies_platform::i18n::Language;

use super::check_csrf;
use crate::clients::flows::IMPORT_MAX_BYTES;
use crate::error::ApiError;
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// The body limit of the import form: the file, or the same file in base64 on confirmation.
pub const BODY_LIMIT: usize = IMPORT_MAX_BYTES * 2 + 64 * 1024;

/// One rejected row as the report shows it.
pub struct Rejection {
    pub line: u32,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "flow_import.html")]
struct ImportPage {
    page: Page,
    /// An error about the form itself (no file, too large…), shown next to the file field.
    file_error: Option<String>,
    /// After a run: the report.
    checked: bool,
    dry_run: bool,
    accepted: u32,
    written: bool,
    rejected: Vec<Rejection>,
    /// The file checked, to import it for real.
    pending: String,
}

fn empty(page: Page) -> ImportPage {
    ImportPage {
        page,
        file_error: None,
        checked: false,
        dry_run: true,
        accepted: 0,
        written: false,
        rejected: Vec::new(),
        pending: String::new(),
    }
}

pub async fn form(page: Page) -> Response {
    if let Err(to_sign_in) = page.caller() {
        return to_sign_in;
    }
    render(&empty(page))
}

/// What the import form sent.
#[derive(Default)]
struct Sent {
    csrf_token: String,
    real: bool,
    file: Vec<u8>,
    pending: String,
}

async fn read(page: &Page, mut form: Multipart) -> Result<Sent, String> {
    let unreadable = || page.t("import.error.unreadable").to_owned();
    let mut sent = Sent::default();
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        match name.as_str() {
            "csrf_token" => sent.csrf_token = String::from_utf8_lossy(&bytes).into_owned(),
            "mode" => sent.real = bytes.as_ref() == b"real",
            "file" => sent.file = bytes.to_vec(),
            "pending" => sent.pending = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    if sent.file.is_empty() && !sent.pending.is_empty() {
        sent.file = base64::engine::general_purpose::STANDARD
            .decode(sent.pending.trim())
            .map_err(|_| unreadable())?;
    }
    Ok(sent)
}

pub async fn run(
    page: Page,
    State(state): State<GatewayState>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let sent = match form {
        Ok(form) => read(&page, form).await,
        Err(_) => Err(page.t("import.error.unreadable").to_owned()),
    };
    let sent = match sent {
        Ok(sent) => sent,
        Err(message) => {
            return render(&ImportPage {
                file_error: Some(message),
                ..empty(page)
            });
        }
    };
    if let Err(refused) = check_csrf(&state, &page, &headers, &sent.csrf_token) {
        return refused;
    }
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    if sent.file.is_empty() {
        return render(&ImportPage {
            file_error: Some(page.t("import.error.no_file").to_owned()),
            ..empty(page)
        });
    }
    if sent.file.len() > IMPORT_MAX_BYTES {
        return render(&ImportPage {
            file_error: Some(page.t("import.error.too_large").to_owned()),
            ..empty(page)
        });
    }
    let dry_run = !sent.real;
    let pending = if dry_run {
        base64::engine::general_purpose::STANDARD.encode(&sent.file)
    } else {
        String::new()
    };
    match state.flows.import(&caller, sent.file, dry_run).await {
        Ok(report) => {
            let rejected = report
                .rejected
                .into_iter()
                .map(|r| Rejection {
                    line: r.line,
                    column: r.column,
                    message: match page.lang {
                        Language::Fr => r.message_fr,
                        Language::En => r.message_en,
                    },
                })
                .collect();
            render(&ImportPage {
                checked: true,
                dry_run,
                accepted: report.accepted,
                written: report.written,
                rejected,
                pending,
                ..empty(page)
            })
        }
        Err(status) => {
            let error = ApiError::from(status);
            render(&ImportPage {
                file_error: Some(error.message.get(page.lang).to_owned()),
                ..empty(page)
            })
        }
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn file_download(name: &str, content_type: &str, content: Vec<u8>) -> Response {
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
        .into_response()
}

async fn download(page: &Page, state: &GatewayState, template: bool, format: &str) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    let (stem, content_type) = match (template, format) {
        (true, "xlsx") => ("modele-import-flux", XLSX),
        (true, _) => ("modele-import-flux", "text/csv; charset=utf-8"),
        (false, "xlsx") => ("synergies-flux", XLSX),
        (false, _) => ("synergies-flux", "text/csv; charset=utf-8"),
    };
    match state.flows.export(&caller, template, format).await {
        Ok(content) => file_download(&format!("{stem}.{format}"), content_type, content),
        Err(status) => page.error(&ApiError::from(status)),
    }
}

/// The flows the visitor sees, as CSV.
pub async fn export(page: Page, State(state): State<GatewayState>) -> Response {
    download(&page, &state, false, "csv").await
}

/// The flows the visitor sees, as an XLSX workbook.
pub async fn export_xlsx(page: Page, State(state): State<GatewayState>) -> Response {
    download(&page, &state, false, "xlsx").await
}

/// The import template: the French header line and an example row.
pub async fn template(page: Page, State(state): State<GatewayState>) -> Response {
    download(&page, &state, true, "csv").await
}

/// The import template as an XLSX workbook.
pub async fn template_xlsx(page: Page, State(state): State<GatewayState>) -> Response {
    download(&page, &state, true, "xlsx").await
}
