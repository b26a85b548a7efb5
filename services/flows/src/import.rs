//! Importing a campaign's flows from CSV, all rows or none, and exporting the flows a caller
//! sees. A dry run checks every row and writes nothing; a real run writes every row in one
//! transaction, or — when any row is rejected — nothing, and reports each rejected row with
//! its line, its column (as headed in the file) and the reason in both languages.

use chrono::Utc;
use synergies_platform::context::CallerContext;
use synergies_platform::error::FieldError;
use synergies_proto::flows::v1 as pb;

use crate::convert::revision_event;
use crate::domain::{Change, Flow, FlowFields, Provenance, Revision, Viewer};
use crate::error::FlowsError;
use crate::grpc::{FlowsApi, viewer, writer};
use crate::organisations::Organisation;
use crate::store::FlowQuery;
use crate::{csv, xlsx};

/// Rows an import may carry: a campaign's worth, checked and written in seconds.
const MAX_ROWS: usize = 5000;

fn rejection(
    line: u32,
    column: &str,
    en: impl Into<String>,
    fr: impl Into<String>,
) -> pb::ImportRejection {
    pb::ImportRejection {
        line,
        column: column.to_owned(),
        message_en: en.into(),
        message_fr: fr.into(),
    }
}

fn field_rejection(line: u32, headers: &[String], error: &FieldError) -> pb::ImportRejection {
    rejection(
        line,
        csv::header_of(headers, error.field),
        error.rule.en.clone(),
        error.rule.fr.clone(),
    )
}

impl FlowsApi {
    pub(crate) async fn import(
        &self,
        caller: &CallerContext,
        file: &[u8],
        dry_run: bool,
    ) -> Result<pb::ImportFlowsResponse, FlowsError> {
        let viewer = viewer(caller)?;
        let by = writer(caller, viewer)?;
        let refused = |rejection| pb::ImportFlowsResponse {
            accepted: 0,
            rejected: vec![rejection],
            written: false,
        };
        let records = if xlsx::is_workbook(file) {
            match xlsx::read(file) {
                Ok(records) => records,
                Err((en, fr)) => return Ok(refused(rejection(1, "", en, fr))),
            }
        } else if let Ok(text) = std::str::from_utf8(file) {
            csv::read(text)
        } else {
            return Ok(refused(rejection(
                1,
                "",
                "the file is neither UTF-8 CSV nor an XLSX workbook: save it as CSV UTF-8 or XLSX",
                "le fichier n'est ni un CSV UTF-8 ni un classeur XLSX : enregistrez-le au format CSV UTF-8 ou XLSX",
            )));
        };
        let mut records = records.into_iter();
        let Some((_, headers)) = records.next() else {
            return Ok(refused(rejection(
                1,
                "",
                "the file is empty: it needs a header line, then one line per flow",
                "le fichier est vide : il faut une ligne d'en-têtes, puis une ligne par flux",
            )));
        };
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        let mut rejected = Vec::new();
        for header in &headers {
            if csv::field_of(header).is_none() && !csv::is_computed(header) {
                rejected.push(rejection(
                    1,
                    header,
                    "unknown column (see the import template)",
                    "colonne inconnue (voir le modèle d'import)",
                ));
            }
        }
        let records: Vec<_> = records.collect();
        if records.len() > MAX_ROWS {
            rejected.push(rejection(
                1,
                "",
                format!("at most {MAX_ROWS} rows per file"),
                format!("au plus {MAX_ROWS} lignes par fichier"),
            ));
        }
        if !rejected.is_empty() {
            return Ok(pb::ImportFlowsResponse {
                accepted: 0,
                rejected,
                written: false,
            });
        }

        let organisations = match viewer {
            Viewer::Member { .. } => vec![self.organisations.own(caller).await?],
            Viewer::Facilitator => self.organisations.all_of_tenant(caller).await?,
        };
        let now = Utc::now();
        let mut revisions = Vec::new();
        for (line, values) in records {
            if values.len() > headers.len() {
                rejected.push(rejection(
                    line,
                    "",
                    format!("{} values for {} columns", values.len(), headers.len()),
                    format!("{} valeurs pour {} colonnes", values.len(), headers.len()),
                ));
                continue;
            }
            let mut fields = FlowFields::default();
            let mut organisation_ref = String::new();
            for (header, value) in headers.iter().zip(values) {
                if let Some(field) = csv::field_of(header) {
                    csv::set(
                        &mut fields,
                        &mut organisation_ref,
                        field,
                        value.trim().to_owned(),
                    );
                }
            }
            // Spreadsheets keep an EWC code typed as a number without its leading zero
            // (03 01 05 becomes 30105): six digits it was.
            if fields.ewc_code.len() == 5 && fields.ewc_code.chars().all(|c| c.is_ascii_digit()) {
                fields.ewc_code.insert(0, '0');
            }
            let organisation =
                match organisation_of(caller, viewer, &organisations, &organisation_ref) {
                    Ok(organisation) => organisation,
                    Err((en, fr)) => {
                        rejected.push(rejection(
                            line,
                            csv::header_of(&headers, "organisation_id"),
                            en,
                            fr,
                        ));
                        continue;
                    }
                };
            let content = match fields.validate() {
                Ok(content) => content,
                Err(error) => {
                    rejected.push(field_rejection(line, &headers, &error));
                    continue;
                }
            };
            let site = match organisation.site(&fields.site_id) {
                Ok(site) => site,
                Err(error) => {
                    rejected.push(field_rejection(line, &headers, &error));
                    continue;
                }
            };
            let provenance = if caller.organisation_id == Some(organisation.id) {
                Provenance::Declared
            } else {
                Provenance::Recorded
            };
            let flow = Flow::record(
                &caller.tenant,
                organisation.id,
                content,
                organisation.facts.clone(),
                site,
                by,
                provenance,
                now,
            );
            let revision = Revision {
                version: 1,
                change: Change::Recorded,
                by,
                at: now,
                flow,
            };
            let event = revision_event(&revision);
            revisions.push((revision, event));
        }
        if !rejected.is_empty() {
            return Ok(pb::ImportFlowsResponse {
                accepted: 0,
                rejected,
                written: false,
            });
        }
        let accepted = revisions.len() as u32;
        if dry_run || revisions.is_empty() {
            return Ok(pb::ImportFlowsResponse {
                accepted,
                rejected,
                written: false,
            });
        }
        self.store.record_all(&revisions).await?;
        self.relay.wake();
        tracing::info!(flows = accepted, "flows imported");
        Ok(pb::ImportFlowsResponse {
            accepted,
            rejected,
            written: true,
        })
    }
}

/// The organisation a row names — by id or SIRET; empty: the caller's own.
fn organisation_of<'o>(
    caller: &CallerContext,
    viewer: Viewer,
    organisations: &'o [Organisation],
    reference: &str,
) -> Result<&'o Organisation, (String, String)> {
    let reference = reference.replace(' ', "");
    let found = if reference.is_empty() {
        organisations
            .iter()
            .find(|o| Some(o.id) == caller.organisation_id)
    } else {
        organisations.iter().find(|o| {
            o.id.to_string() == reference || (!o.siret.is_empty() && o.siret == reference)
        })
    };
    match (found, viewer) {
        (Some(organisation), _) => Ok(organisation),
        (None, Viewer::Member { .. }) if !reference.is_empty() => Err((
            "members import their own organisation's flows only".into(),
            "les membres importent les flux de leur seule organisation".into(),
        )),
        (None, _) if reference.is_empty() => Err((
            "is required: the organisation's id or SIRET".into(),
            "est obligatoire : l'identifiant ou le SIRET de l'organisation".into(),
        )),
        (None, _) => Err((
            format!("no organisation of the territory has the id or SIRET {reference}"),
            format!("aucune organisation du territoire n'a l'identifiant ou le SIRET {reference}"),
        )),
    }
}

impl FlowsApi {
    /// Every flow the caller sees, as the export's lines (header first).
    pub(crate) async fn export(
        &self,
        caller: &CallerContext,
    ) -> Result<Vec<Vec<String>>, FlowsError> {
        const PAGE: u32 = 500;
        let viewer = viewer(caller)?;
        let mut flows = Vec::new();
        let mut after = None;
        loop {
            let query = FlowQuery {
                own_or_public: viewer.own_or_public(),
                after,
                limit: PAGE,
                ..Default::default()
            };
            let page = self.store.list(&caller.tenant, &query).await?;
            let full = page.len() == PAGE as usize;
            after = page.last().map(|flow| flow.id);
            flows.extend(page);
            if !full {
                break;
            }
        }
        Ok(csv::rows(&flows))
    }
}
