//! What an organisation must show to join a territory: identifiers that check out for its
//! kind, a real activity code, and a site inside the territory.

use synergies_platform::error::FieldError;
use synergies_platform::validate::required_text;
use uuid::Uuid;

use crate::domain::{Organisation, OrganisationKind, OrganisationStatus, Site, Tenant};
use crate::error::{IdentityError, Refusals};
use crate::identifiers::{validate_naf, validate_rna, validate_siret};

/// Identifiers as submitted (empty: not given).
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    pub siret: String,
    pub rna: String,
    pub naf: String,
}

/// Checked identifiers, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedIdentifiers {
    pub siret: Option<String>,
    pub rna: Option<String>,
    pub naf: Option<String>,
}

/// Companies and public bodies have a SIRET; associations an RNA number or a SIRET. A company
/// states its activity (NAF code); others may. The first refusal; see [`check_identifiers_all`].
pub fn check_identifiers(
    kind: OrganisationKind,
    given: &Identifiers,
) -> Result<CheckedIdentifiers, FieldError> {
    check_identifiers_all(kind, given).map_err(|mut all| all.remove(0))
}

/// Like [`check_identifiers`], with every refusal (never an empty list).
pub fn check_identifiers_all(
    kind: OrganisationKind,
    given: &Identifiers,
) -> Result<CheckedIdentifiers, Vec<FieldError>> {
    let mut refused = Vec::new();
    let mut given_and_valid =
        |value: &str, validate: &dyn Fn(&str) -> Result<String, FieldError>| {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            validate(value).map_err(|e| refused.push(e)).ok()
        };
    let siret = given_and_valid(&given.siret, &|v| {
        validate_siret(v).map(|s| s.as_str().to_owned())
    });
    let rna = given_and_valid(&given.rna, &|v| {
        validate_rna(v).map(|r| r.as_str().to_owned())
    });
    let naf = given_and_valid(&given.naf, &|v| {
        validate_naf(v).map(|n| n.as_str().to_owned())
    });
    let typed = |value: &str| !value.trim().is_empty();
    let (has_siret, has_rna, has_naf) = (typed(&given.siret), typed(&given.rna), typed(&given.naf));
    let needs_siret = matches!(
        kind,
        OrganisationKind::Company | OrganisationKind::PublicBody
    );
    if needs_siret && !has_siret {
        refused.push(FieldError::new(
            "siret",
            "is required: the 14-digit SIRET of the establishment",
            "est obligatoire : le SIRET à 14 chiffres de l'établissement",
        ));
    }
    if needs_siret && has_rna {
        refused.push(FieldError::new(
            "rna",
            "is for associations only",
            "est réservé aux associations",
        ));
    }
    if kind == OrganisationKind::Association && !has_siret && !has_rna {
        refused.push(FieldError::new(
            "rna",
            "is required: the association's RNA number (W + 9 digits) or its SIRET",
            "est obligatoire : le numéro RNA de l'association (W + 9 chiffres) ou son SIRET",
        ));
    }
    if kind == OrganisationKind::Company && !has_naf {
        refused.push(FieldError::new(
            "naf",
            "is required: the NAF/APE activity code, such as 18.12Z",
            "est obligatoire : le code d'activité NAF/APE, par exemple 18.12Z",
        ));
    }
    // One refusal per field: the first says what to fix.
    let mut seen = Vec::new();
    refused.retain(|e| {
        let first = !seen.contains(&e.field);
        seen.push(e.field);
        first
    });
    if refused.is_empty() {
        Ok(CheckedIdentifiers { siret, rna, naf })
    } else {
        Err(refused)
    }
}

/// A site as submitted.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub address: String,
    pub insee_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// The site must lie in one of the tenant's communes: the platform is for its professionals.
pub fn check_site(tenant: &Tenant, site: &SiteInput) -> Result<Site, IdentityError> {
    let mut refusals = Refusals::default();
    let address = refusals.check(required_text("site.address", &site.address, 300));
    let insee_code = site.insee_code.trim().to_owned();
    if !tenant.communes.iter().any(|c| c.insee_code == insee_code) {
        refusals.check::<()>(Err(IdentityError::OutsideTerritory {
            territory: tenant.display_name.clone(),
            insee_code: insee_code.clone(),
        }));
    }
    let valid_position = match (site.latitude, site.longitude) {
        (Some(latitude), Some(longitude)) => {
            (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude)
        }
        (None, None) => true,
        _ => false,
    };
    if !valid_position {
        refusals.check::<()>(Err(FieldError::new(
            "site.latitude",
            "give both latitude (within ±90) and longitude (within ±180), or neither",
            "indiquez la latitude (entre -90 et 90) et la longitude (entre -180 et 180), ou aucune des deux",
        )));
    }
    refusals.finish()?;
    let address = address.unwrap_or_default();
    Ok(Site {
        id: Uuid::now_v7(),
        address,
        insee_code,
        latitude: site.latitude,
        longitude: site.longitude,
    })
}

/// A new organisation of `tenant`, with `status`.
pub fn organisation(
    tenant: &Tenant,
    name: &str,
    kind: OrganisationKind,
    identifiers: &Identifiers,
    sites: Vec<Site>,
    status: OrganisationStatus,
) -> Result<Organisation, IdentityError> {
    let mut refusals = Refusals::default();
    let name = refusals.check(required_text("name", name, 200));
    let checked =
        refusals.check(check_identifiers_all(kind, identifiers).map_err(IdentityError::Fields));
    refusals.finish()?;
    let (Some(name), Some(checked)) = (name, checked) else {
        unreachable!("refusals.finish() returned every refusal");
    };
    Ok(Organisation {
        id: Uuid::now_v7(),
        tenant: tenant.slug.clone(),
        name,
        kind,
        created_at: synergies_platform::time::now(),
        siret: checked.siret,
        rna: checked.rna,
        naf: checked.naf,
        status,
        status_reason: String::new(),
        sites,
    })
}

/// A firm a facilitator met during a diagnostic: its SIRET (checked: it is how the firm finds
/// this record again when it signs up), its activity (NAF: the flows recorded for it are read by
/// activity) and the site visited, inside the territory. It stays `diagnosed` until its people
/// sign up.
pub fn diagnosed_organisation(
    tenant: &Tenant,
    name: &str,
    kind: OrganisationKind,
    identifiers: &Identifiers,
    site: &SiteInput,
) -> Result<Organisation, IdentityError> {
    let mut diagnosed = organisation(
        tenant,
        name,
        kind,
        identifiers,
        Vec::new(),
        OrganisationStatus::Diagnosed,
    )?;
    if diagnosed.siret.is_none() {
        return Err(FieldError::new(
            "siret",
            "is required: the 14-digit SIRET of the establishment visited",
            "est obligatoire : le SIRET à 14 chiffres de l'établissement visité",
        )
        .into());
    }
    if diagnosed.naf.is_none() {
        return Err(FieldError::new(
            "naf",
            "is required: the NAF/APE activity code, such as 18.12Z",
            "est obligatoire : le code d'activité NAF/APE, par exemple 18.12Z",
        )
        .into());
    }
    diagnosed.sites.push(check_site(tenant, site)?);
    Ok(diagnosed)
}

/// A firm that signs up with the SIRET of an organisation diagnosed before joins it: the
/// organisation keeps its id, name, identifiers and sites (flows recorded during the diagnostic
/// refer to them) and waits for a facilitator's approval like any new one. The site given at
/// sign-up is added when it is another place; a missing NAF code is taken from the sign-up.
pub fn join_diagnosed(mut existing: Organisation, signing_up: Organisation) -> Organisation {
    let same_place = |a: &Site, b: &Site| {
        a.insee_code == b.insee_code
            && a.address.trim().to_lowercase() == b.address.trim().to_lowercase()
    };
    for site in signing_up.sites {
        if !existing.sites.iter().any(|known| same_place(known, &site)) {
            existing.sites.push(site);
        }
    }
    existing.naf = existing.naf.or(signing_up.naf);
    existing.status = OrganisationStatus::Pending;
    existing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TerritoryCommune;

    fn dijon() -> Tenant {
        Tenant {
            settings: crate::domain::TenantSettings::default(),
            map: crate::domain::TerritoryMap::default(),
            slug: "dijon".into(),
            display_name: "Dijon métropole".into(),
            created_at: synergies_platform::time::now(),
            communes: crate::territory::DIJON_METROPOLE
                .communes()
                .into_iter()
                .map(TerritoryCommune::from)
                .collect(),
        }
    }

    fn ids(siret: &str, rna: &str, naf: &str) -> Identifiers {
        Identifiers {
            siret: siret.into(),
            rna: rna.into(),
            naf: naf.into(),
        }
    }

    #[test]
    fn each_kind_needs_its_identifiers() {
        let company = check_identifiers(
            OrganisationKind::Company,
            &ids("732 829 320 00074", "", "1812Z"),
        )
        .unwrap();
        assert_eq!(company.siret.as_deref(), Some("73282932000074"));
        assert_eq!(company.naf.as_deref(), Some("18.12Z"));
        assert_eq!(
            check_identifiers(OrganisationKind::Company, &ids("", "", "18.12Z"))
                .unwrap_err()
                .field,
            "siret"
        );
        assert_eq!(
            check_identifiers(OrganisationKind::Company, &ids("73282932000074", "", ""))
                .unwrap_err()
                .field,
            "naf"
        );
        assert_eq!(
            check_identifiers(
                OrganisationKind::Company,
                &ids("73282932000075", "", "18.12Z")
            )
            .unwrap_err()
            .field,
            "siret"
        );
        assert!(
            check_identifiers(OrganisationKind::Association, &ids("", "W212345678", "")).is_ok()
        );
        assert_eq!(
            check_identifiers(OrganisationKind::Association, &ids("", "", ""))
                .unwrap_err()
                .field,
            "rna"
        );
        assert_eq!(
            check_identifiers(
                OrganisationKind::PublicBody,
                &ids("73282932000074", "W212345678", "")
            )
            .unwrap_err()
            .field,
            "rna"
        );
    }

    fn visited_site() -> SiteInput {
        SiteInput {
            address: "12 rue des Ateliers".into(),
            insee_code: "21231".into(),
            latitude: None,
            longitude: None,
        }
    }

    #[test]
    fn a_diagnosed_firm_needs_its_siret_its_activity_and_a_site_of_the_territory() {
        let kind = OrganisationKind::Company;
        let diagnosed = diagnosed_organisation(
            &dijon(),
            "Cartonnerie de Bourgogne",
            kind,
            &ids("73282932000074", "", "17.21A"),
            &visited_site(),
        )
        .unwrap();
        assert_eq!(diagnosed.status, OrganisationStatus::Diagnosed);
        assert_eq!(diagnosed.sites.len(), 1);
        assert_eq!(
            diagnosed.sites[0].latitude, None,
            "coordinates are optional"
        );
        let field = |kind, identifiers: Identifiers| match diagnosed_organisation(
            &dijon(),
            "Cartonnerie de Bourgogne",
            kind,
            &identifiers,
            &visited_site(),
        ) {
            Err(IdentityError::Invalid(error)) => error.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(OrganisationKind::Association, ids("", "W212345678", "")),
            "siret"
        );
        assert_eq!(
            field(OrganisationKind::PublicBody, ids("73282932000074", "", "")),
            "naf"
        );
        let outside = SiteInput {
            insee_code: "21054".into(),
            ..visited_site()
        };
        assert!(matches!(
            diagnosed_organisation(
                &dijon(),
                "Cartonnerie de Bourgogne",
                kind,
                &ids("73282932000074", "", "17.21A"),
                &outside
            ),
            Err(IdentityError::OutsideTerritory { .. })
        ));
    }

    #[test]
    fn a_firm_joining_its_diagnosed_record_keeps_it_and_adds_only_a_new_place() {
        let diagnosed = diagnosed_organisation(
            &dijon(),
            "Cartonnerie de Bourgogne",
            OrganisationKind::Company,
            &ids("73282932000074", "", "17.21A"),
            &visited_site(),
        )
        .unwrap();
        let signing_up = |address: &str| {
            let site = check_site(
                &dijon(),
                &SiteInput {
                    address: address.into(),
                    ..visited_site()
                },
            )
            .unwrap();
            organisation(
                &dijon(),
                "Cartonnerie Bourgogne SAS",
                OrganisationKind::Company,
                &ids("73282932000074", "", "17.22Z"),
                vec![site],
                OrganisationStatus::Pending,
            )
            .unwrap()
        };
        let joined = join_diagnosed(diagnosed.clone(), signing_up(" 12 Rue des Ateliers "));
        assert_eq!(joined.id, diagnosed.id);
        assert_eq!(joined.name, diagnosed.name);
        assert_eq!(joined.naf.as_deref(), Some("17.21A"));
        assert_eq!(joined.status, OrganisationStatus::Pending);
        assert_eq!(
            joined.sites, diagnosed.sites,
            "the same place is not added twice"
        );
        let elsewhere = join_diagnosed(diagnosed.clone(), signing_up("3 avenue du Lac"));
        assert_eq!(elsewhere.sites.len(), 2);
        assert_eq!(elsewhere.sites[0], diagnosed.sites[0]);
    }

    #[test]
    fn a_site_outside_the_territory_is_refused_clearly() {
        let inside = SiteInput {
            address: "1 rue de la Liberté".into(),
            insee_code: "21231".into(),
            latitude: Some(47.32),
            longitude: Some(5.04),
        };
        assert_eq!(check_site(&dijon(), &inside).unwrap().insee_code, "21231");
        let beaune = SiteInput {
            insee_code: "21054".into(),
            ..inside.clone()
        };
        let refused = check_site(&dijon(), &beaune).unwrap_err();
        assert!(
            matches!(&refused, IdentityError::OutsideTerritory { insee_code, .. } if insee_code == "21054")
        );
        assert!(
            refused
                .to_string()
                .contains("reserved to professionals of Dijon métropole")
        );
        let nowhere = SiteInput {
            latitude: Some(123.0),
            ..inside
        };
        assert!(check_site(&dijon(), &nowhere).is_err());
    }
}
