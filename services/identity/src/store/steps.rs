//! Row decoding and the steps several operations of the identity store share (inserting an
//! organisation with its sites, a user, a token…), for the database that the module including
//! it names as `Db`, like `backend.rs`.

use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::auth::Role;
use uuid::Uuid;

use crate::domain::{
    Organisation, OrganisationKind, OrganisationStatus, Site, TenantSettings, User,
};
use crate::error::IdentityError;
use crate::store::{
    Credentials, ORGANISATION_COLUMNS, TokenPurpose, UserToken, is_unique_violation, parse_roles,
    roles_column,
};

use super::backend::SqlStore;

impl SqlStore {
    pub(super) fn credentials_from(
        row: &<super::Db as sqlx::Database>::Row,
    ) -> Result<Credentials, sqlx::Error> {
        let roles: String = row.try_get("roles")?;
        let status: String = row.try_get("organisation_status")?;
        Ok(Credentials {
            user: Self::user_from(row)?,
            password_hash: row.try_get("password_hash")?,
            roles: parse_roles(&roles),
            organisation_status: OrganisationStatus::parse(&status)
                .unwrap_or(OrganisationStatus::Suspended),
            email_verified: row
                .try_get::<Option<DateTime<Utc>>, _>("email_verified_at")?
                .is_some(),
            language: row.try_get("language")?,
        })
    }

    pub(super) fn user_from(row: &<super::Db as sqlx::Database>::Row) -> Result<User, sqlx::Error> {
        Ok(User {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            organisation_id: row.try_get("organisation_id")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            created_at: row.try_get::<DateTime<Utc>, _>("created_at")?,
        })
    }

    pub(super) fn organisation_from(
        row: &<super::Db as sqlx::Database>::Row,
    ) -> Result<Organisation, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        let status: String = row.try_get("status")?;
        Ok(Organisation {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            name: row.try_get("name")?,
            kind: OrganisationKind::parse(&kind).unwrap_or(OrganisationKind::Company),
            created_at: row.try_get("created_at")?,
            siret: row.try_get("siret")?,
            rna: row.try_get("rna")?,
            naf: row.try_get("naf")?,
            status: OrganisationStatus::parse(&status).unwrap_or(OrganisationStatus::Suspended),
            status_reason: row.try_get("status_reason")?,
            sites: Vec::new(),
        })
    }

    pub(super) async fn insert_organisation(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        organisation: &Organisation,
    ) -> Result<(), IdentityError> {
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO organisations ({ORGANISATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")))
            .bind(organisation.id)
            .bind(&organisation.tenant)
            .bind(&organisation.name)
            .bind(organisation.kind.as_str())
            .bind(organisation.created_at)
            .bind(&organisation.siret)
            .bind(&organisation.rna)
            .bind(&organisation.naf)
            .bind(organisation.status.as_str())
            .bind(&organisation.status_reason)
            .execute(&mut *connection)
            .await
            .map_err(|e| if is_unique_violation(&e) { IdentityError::IdentifierTaken } else { e.into() })?;
        Self::insert_sites(connection, organisation).await
    }

    /// Stores the organisation's sites that are not stored yet.
    pub(super) async fn insert_sites(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        organisation: &Organisation,
    ) -> Result<(), IdentityError> {
        for site in &organisation.sites {
            sqlx::query(
                "INSERT INTO sites (id, organisation_id, tenant, address, insee_code, latitude, longitude)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(site.id)
            .bind(organisation.id)
            .bind(&organisation.tenant)
            .bind(&site.address)
            .bind(&site.insee_code)
            .bind(site.latitude)
            .bind(site.longitude)
            .execute(&mut *connection)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn insert_user(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        user: &User,
        password_hash: &str,
        roles: &[Role],
        email_verified_at: Option<DateTime<Utc>>,
        language: &str,
    ) -> Result<(), IdentityError> {
        sqlx::query(
            "INSERT INTO users (id, tenant, organisation_id, email, display_name, password_hash, created_at, roles, email_verified_at, language)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(user.id)
        .bind(&user.tenant)
        .bind(user.organisation_id)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(password_hash)
        .bind(user.created_at)
        .bind(roles_column(roles))
        .bind(email_verified_at)
        .bind(language)
        .execute(&mut *connection)
        .await
        .map_err(|e| if is_unique_violation(&e) { IdentityError::EmailTaken } else { e.into() })?;
        Ok(())
    }

    pub(super) async fn insert_token(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        token: &UserToken,
    ) -> Result<(), IdentityError> {
        sqlx::query("INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&token.token_hash)
            .bind(token.user_id)
            .bind(token.purpose.as_str())
            .bind(token.expires_at)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    /// Marks a token used, in one conditional UPDATE so that it can be used only once.
    pub(super) async fn spend_token(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, IdentityError> {
        Ok(sqlx::query_scalar(
            "UPDATE user_tokens SET used_at = $3
              WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?)
    }

    pub(super) async fn write_settings(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        slug: &str,
        settings: &TenantSettings,
    ) -> Result<bool, IdentityError> {
        let updated = sqlx::query(
            "UPDATE tenants SET brand_name = $2, logo_url = $3, primary_colour = $4, secondary_colour = $5,
                    listings_need_approval = $6, exchange_modes = $7, default_language = $8,
                    mutualisation_radius_km = $9, time_zone = $10
              WHERE slug = $1",
        )
        .bind(slug)
        .bind(&settings.brand_name)
        .bind(&settings.logo_url)
        .bind(&settings.primary_colour)
        .bind(&settings.secondary_colour)
        .bind(settings.listings_need_approval)
        .bind(settings.exchange_modes.join(","))
        .bind(&settings.default_language)
        .bind(i32::try_from(settings.mutualisation_radius_km).unwrap_or(i32::MAX))
        .bind(&settings.time_zone)
        .execute(&mut *connection)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Revokes every refresh token of the user: all their sessions end.
    pub(super) async fn end_sessions(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }

    pub(super) async fn with_sites(
        &self,
        mut organisation: Organisation,
    ) -> Result<Organisation, IdentityError> {
        let rows = sqlx::query("SELECT id, address, insee_code, latitude, longitude FROM sites WHERE organisation_id = $1 ORDER BY id")
            .bind(organisation.id)
            .fetch_all(&self.pool)
            .await?;
        organisation.sites = rows
            .iter()
            .map(|row| -> Result<Site, sqlx::Error> {
                Ok(Site {
                    id: row.try_get("id")?,
                    address: row.try_get("address")?,
                    insee_code: row.try_get("insee_code")?,
                    latitude: row.try_get("latitude")?,
                    longitude: row.try_get("longitude")?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(organisation)
    }
}
