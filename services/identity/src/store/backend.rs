//! The identity store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both
//! dialects accept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::auth::Role;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::{
    DEFAULT_MUTUALISATION_RADIUS_KM, Organisation, OrganisationStatus, Tenant, TenantSettings,
    TerritoryCommune, TerritoryMap, User,
};
use crate::error::IdentityError;
use crate::store::{
    CREDENTIALS, Contact, Credentials, Decision, DecisionEvent, ErasureEvent, IdentityStore,
    Invitation, ORGANISATION_COLUMNS, RefreshToken, Rotation, SignUp, TokenPurpose, USER_COLUMNS,
    UserToken, is_unique_violation, parse_roles, registered, roles_column,
};

pub struct SqlStore {
    pub(in crate::store) pool: sqlx::Pool<super::Db>,
}

#[async_trait]
impl IdentityStore for SqlStore {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO tenants (slug, display_name, created_at) VALUES ($1, $2, $3)")
            .bind(&tenant.slug)
            .bind(&tenant.display_name)
            .bind(tenant.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    IdentityError::TenantExists(tenant.slug.clone())
                } else {
                    e.into()
                }
            })?;
        Self::write_settings(&mut tx, &tenant.slug, &tenant.settings).await?;
        let bounds = tenant.map.bounds;
        sqlx::query(
            "UPDATE tenants SET centre_latitude = $2, centre_longitude = $3, bounds_south = $4,
                    bounds_west = $5, bounds_north = $6, bounds_east = $7 WHERE slug = $1",
        )
        .bind(&tenant.slug)
        .bind(tenant.map.centre.map(|c| c.0))
        .bind(tenant.map.centre.map(|c| c.1))
        .bind(bounds.map(|b| b[0]))
        .bind(bounds.map(|b| b[1]))
        .bind(bounds.map(|b| b[2]))
        .bind(bounds.map(|b| b[3]))
        .execute(&mut *tx)
        .await?;
        for commune in &tenant.communes {
            sqlx::query("INSERT INTO tenant_communes (tenant, insee_code, name, postal_codes) VALUES ($1, $2, $3, $4)")
                .bind(&tenant.slug)
                .bind(&commune.insee_code)
                .bind(&commune.name)
                .bind(commune.postal_codes.join(","))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn tenant(&self, slug: &str) -> Result<Option<Tenant>, IdentityError> {
        let row = sqlx::query(
            "SELECT slug, display_name, created_at, brand_name, logo_url, primary_colour, secondary_colour,
                    listings_need_approval, exchange_modes, default_language, mutualisation_radius_km, time_zone, centre_latitude,
                    centre_longitude, bounds_south, bounds_west, bounds_north, bounds_east,
                    (SELECT digest FROM tenant_logos WHERE tenant_logos.tenant = tenants.slug) AS logo_digest
               FROM tenants WHERE slug = $1",
        )
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let communes = sqlx::query("SELECT insee_code, name, postal_codes FROM tenant_communes WHERE tenant = $1 ORDER BY name")
            .bind(slug)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| -> Result<TerritoryCommune, sqlx::Error> {
                let postal_codes: String = row.try_get("postal_codes")?;
                Ok(TerritoryCommune {
                    insee_code: row.try_get("insee_code")?,
                    name: row.try_get("name")?,
                    postal_codes: postal_codes.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
                })
            })
            .collect::<Result<_, _>>()?;
        let modes: String = row.try_get("exchange_modes")?;
        let settings = TenantSettings {
            brand_name: row.try_get("brand_name")?,
            logo_url: row.try_get("logo_url")?,
            primary_colour: row.try_get("primary_colour")?,
            secondary_colour: row.try_get("secondary_colour")?,
            listings_need_approval: row.try_get("listings_need_approval")?,
            exchange_modes: modes
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            default_language: row.try_get("default_language")?,
            mutualisation_radius_km: u32::try_from(
                row.try_get::<i32, _>("mutualisation_radius_km")?,
            )
            .unwrap_or(DEFAULT_MUTUALISATION_RADIUS_KM),
            time_zone: row.try_get("time_zone")?,
            logo_digest: row
                .try_get::<Option<String>, _>("logo_digest")?
                .unwrap_or_default(),
        };
        let corner = |name: &str| row.try_get::<Option<f64>, _>(name);
        let map = TerritoryMap {
            centre: corner("centre_latitude")?.zip(corner("centre_longitude")?),
            bounds: match (
                corner("bounds_south")?,
                corner("bounds_west")?,
                corner("bounds_north")?,
                corner("bounds_east")?,
            ) {
                (Some(s), Some(w), Some(n), Some(e)) => Some([s, w, n, e]),
                _ => None,
            },
        };
        Ok(Some(Tenant {
            map,
            slug: row.try_get("slug")?,
            display_name: row.try_get("display_name")?,
            created_at: row.try_get("created_at")?,
            communes,
            settings,
        }))
    }

    async fn set_tenant_logo(
        &self,
        slug: &str,
        logo: &crate::logo::TenantLogo,
    ) -> Result<bool, IdentityError> {
        let exists: Option<String> = sqlx::query_scalar("SELECT slug FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO tenant_logos (tenant, digest, content_type, width, height, image, updated_at)
                  VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant) DO UPDATE SET digest = excluded.digest,
                  content_type = excluded.content_type, width = excluded.width,
                  height = excluded.height, image = excluded.image, updated_at = excluded.updated_at",
        )
        .bind(slug)
        .bind(&logo.digest)
        .bind(&logo.content_type)
        .bind(i32::try_from(logo.width).unwrap_or(i32::MAX))
        .bind(i32::try_from(logo.height).unwrap_or(i32::MAX))
        .bind(&logo.image)
        .bind(logo.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    async fn remove_tenant_logo(&self, slug: &str) -> Result<(), IdentityError> {
        sqlx::query("DELETE FROM tenant_logos WHERE tenant = $1")
            .bind(slug)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn tenant_logo(
        &self,
        slug: &str,
    ) -> Result<Option<crate::logo::TenantLogo>, IdentityError> {
        let row = sqlx::query(
            "SELECT digest, content_type, width, height, image, updated_at
               FROM tenant_logos WHERE tenant = $1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let side = |name: &str| -> Result<u32, sqlx::Error> {
            Ok(u32::try_from(row.try_get::<i32, _>(name)?).unwrap_or(0))
        };
        Ok(Some(crate::logo::TenantLogo {
            digest: row.try_get("digest")?,
            content_type: row.try_get("content_type")?,
            width: side("width")?,
            height: side("height")?,
            image: row.try_get("image")?,
            updated_at: row.try_get("updated_at")?,
        }))
    }

    async fn update_tenant_settings(
        &self,
        slug: &str,
        settings: &TenantSettings,
    ) -> Result<bool, IdentityError> {
        let mut connection = self.pool.acquire().await?;
        Self::write_settings(&mut connection, slug, settings).await
    }

    async fn create_organisation(&self, organisation: &Organisation) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        Self::insert_organisation(&mut tx, organisation).await?;
        tx.enqueue(&registered(organisation)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn organisation(
        &self,
        tenant: &str,
        id: Uuid,
    ) -> Result<Option<Organisation>, IdentityError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORGANISATION_COLUMNS} FROM organisations WHERE tenant = $1 AND id = $2"
        )))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row.as_ref().map(Self::organisation_from).transpose()? {
            Some(organisation) => Ok(Some(self.with_sites(organisation).await?)),
            None => Ok(None),
        }
    }

    async fn organisation_by_siret(
        &self,
        tenant: &str,
        siret: &str,
    ) -> Result<Option<Organisation>, IdentityError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORGANISATION_COLUMNS} FROM organisations WHERE tenant = $1 AND siret = $2"
        )))
        .bind(tenant)
        .bind(siret)
        .fetch_optional(&self.pool)
        .await?;
        match row.as_ref().map(Self::organisation_from).transpose()? {
            Some(organisation) => Ok(Some(self.with_sites(organisation).await?)),
            None => Ok(None),
        }
    }

    async fn organisations(
        &self,
        tenant: &str,
        status: Option<OrganisationStatus>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Organisation>, IdentityError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORGANISATION_COLUMNS} FROM organisations
              WHERE tenant = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR id < $3)
              ORDER BY id DESC LIMIT $4"
        )))
        .bind(tenant)
        .bind(status.map(OrganisationStatus::as_str))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut organisations = Vec::with_capacity(rows.len());
        for row in &rows {
            organisations.push(self.with_sites(Self::organisation_from(row)?).await?);
        }
        Ok(organisations)
    }

    async fn sign_up(&self, sign_up: &SignUp<'_>) -> Result<(), IdentityError> {
        let SignUp {
            organisation,
            joins_diagnosed,
            user,
            password_hash,
            roles,
            language,
            verification,
            event,
        } = *sign_up;
        let mut tx = self.pool.begin().await?;
        if joins_diagnosed {
            // One conditional UPDATE: of two people joining at once, one wins.
            let joined = sqlx::query(
                "UPDATE organisations SET status = $3, naf = $4 WHERE tenant = $1 AND id = $2 AND status = $5",
            )
            .bind(&organisation.tenant)
            .bind(organisation.id)
            .bind(organisation.status.as_str())
            .bind(&organisation.naf)
            .bind(OrganisationStatus::Diagnosed.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if joined == 0 {
                return Err(IdentityError::IdentifierTaken);
            }
            Self::insert_sites(&mut tx, organisation).await?;
        } else {
            Self::insert_organisation(&mut tx, organisation).await?;
        }
        Self::insert_user(&mut tx, user, password_hash, roles, None, language).await?;
        Self::insert_token(&mut tx, verification).await?;
        tx.enqueue(event).await?;
        tx.enqueue(&registered(organisation)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn verify_email(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let Some(user_id) =
            Self::spend_token(&mut tx, token_hash, TokenPurpose::VerifyEmail, now).await?
        else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE users SET email_verified_at = $2 WHERE id = $1 AND email_verified_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_user_token(
        &self,
        token: &UserToken,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        Self::insert_token(&mut tx, token).await?;
        tx.enqueue(event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let Some(user_id) =
            Self::spend_token(&mut tx, token_hash, TokenPurpose::ResetPassword, now).await?
        else {
            return Ok(false);
        };
        sqlx::query("UPDATE users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, $3) WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Self::end_sessions(&mut tx, user_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn invite(
        &self,
        invitation: &Invitation,
        event: &OutboxEvent,
    ) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO invitations (token_hash, tenant, organisation_id, email, roles, invited_by, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&invitation.token_hash)
        .bind(&invitation.tenant)
        .bind(invitation.organisation_id)
        .bind(&invitation.email)
        .bind(roles_column(&invitation.roles))
        .bind(invitation.invited_by)
        .bind(invitation.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.enqueue(event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        display_name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let invitation = sqlx::query(
            "UPDATE invitations SET used_at = $2
              WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
              RETURNING tenant, organisation_id, email, roles",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(invitation) = invitation else {
            return Ok(None);
        };
        let roles: String = invitation.try_get("roles")?;
        let user = User {
            id: Uuid::now_v7(),
            tenant: invitation.try_get("tenant")?,
            organisation_id: invitation.try_get("organisation_id")?,
            email: invitation.try_get("email")?,
            display_name: display_name.to_owned(),
            created_at: now,
        };
        Self::insert_user(
            &mut tx,
            &user,
            password_hash,
            &parse_roles(&roles),
            Some(now),
            "fr",
        )
        .await?;
        tx.commit().await?;
        Ok(Some(user))
    }

    async fn count_organisations(
        &self,
        tenant: &str,
        status: OrganisationStatus,
    ) -> Result<u64, IdentityError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organisations WHERE tenant = $1 AND status = $2",
        )
        .bind(tenant)
        .bind(status.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn people(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Credentials>, IdentityError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CREDENTIALS} WHERE u.tenant = $1 AND ($2 IS NULL OR u.organisation_id = $2)
               AND ($3 IS NULL OR u.id > $3) ORDER BY u.id LIMIT $4"
        )))
        .bind(tenant)
        .bind(organisation)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Self::credentials_from)
            .collect::<Result<_, _>>()?)
    }

    async fn set_roles(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
        user_id: Uuid,
        roles: &[Role],
    ) -> Result<bool, IdentityError> {
        let updated = sqlx::query(
            "UPDATE users SET roles = $4 WHERE tenant = $1 AND ($2 IS NULL OR organisation_id = $2) AND id = $3",
        )
        .bind(tenant)
        .bind(organisation)
        .bind(user_id)
        .bind(roles_column(roles))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn erase_user(
        &self,
        user_id: Uuid,
        event_for: &ErasureEvent<'_>,
    ) -> Result<(), IdentityError> {
        let mut tx = self.pool.begin().await?;
        // A write first: on SQLite a transaction that read before writing fails at once
        // (SQLITE_BUSY_SNAPSHOT) when another connection committed in between, while one that
        // starts by writing waits its turn.
        sqlx::query("DELETE FROM user_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(email) = email else {
            return Err(IdentityError::UserNotFound);
        };
        let now = synergies_platform::time::now();
        sqlx::query(
            "UPDATE users SET email = $2, display_name = '', password_hash = NULL, roles = '', email_verified_at = NULL
              WHERE id = $1",
        )
        .bind(user_id)
        .bind(format!("erased-{user_id}@erased.invalid"))
        .execute(&mut *tx)
        .await?;
        Self::end_sessions(&mut tx, user_id, now).await?;
        sqlx::query("DELETE FROM invitations WHERE email = $1")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.enqueue(&event_for(&email)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, user_id: Uuid, password_hash: &str) -> Result<(), IdentityError> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn decide(
        &self,
        tenant: &str,
        id: Uuid,
        decision: &Decision,
        event_for: &DecisionEvent<'_>,
    ) -> Result<Option<Organisation>, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query("UPDATE organisations SET status = $3, status_reason = $4 WHERE tenant = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .bind(decision.status.as_str())
            .bind(&decision.reason)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO organisation_decisions (id, organisation_id, tenant, status, reason, decided_by, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(tenant)
        .bind(decision.status.as_str())
        .bind(&decision.reason)
        .bind(&decision.decided_by)
        .bind(decision.decided_at)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORGANISATION_COLUMNS} FROM organisations WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let organisation = Self::organisation_from(&row)?;
        let contacts = sqlx::query("SELECT email, display_name, language FROM users WHERE organisation_id = $1 ORDER BY email")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| -> Result<Contact, sqlx::Error> {
                Ok(Contact { email: row.try_get("email")?, display_name: row.try_get("display_name")?, language: row.try_get("language")? })
            })
            .collect::<Result<Vec<_>, _>>()?;
        tx.enqueue(&event_for(&organisation, &contacts)).await?;
        tx.commit().await?;
        self.organisation(tenant, id).await
    }

    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        roles: &[Role],
    ) -> Result<(), IdentityError> {
        // Accounts the operator creates are vouched for: their address counts as verified.
        let mut connection = self.pool.acquire().await?;
        Self::insert_user(
            &mut connection,
            user,
            password_hash,
            roles,
            Some(user.created_at),
            "fr",
        )
        .await
    }

    async fn user(&self, tenant: &str, id: Uuid) -> Result<Option<User>, IdentityError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant = $1 AND id = $2"
        )))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Self::user_from).transpose()?)
    }

    async fn credentials(
        &self,
        tenant: &str,
        email: &str,
    ) -> Result<Option<Credentials>, IdentityError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CREDENTIALS} WHERE u.tenant = $1 AND u.email = $2"
        )))
        .bind(tenant)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Self::credentials_from).transpose()?)
    }

    async fn credentials_by_id(&self, user_id: Uuid) -> Result<Option<Credentials>, IdentityError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CREDENTIALS} WHERE u.id = $1"
        )))
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Self::credentials_from).transpose()?)
    }

    async fn signing_keys(&self) -> Result<Vec<(String, Vec<u8>)>, IdentityError> {
        let keys = sqlx::query_as(
            "SELECT kid, pkcs8 FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(keys)
    }

    async fn add_signing_key(&self, kid: &str, stored: &[u8]) -> Result<(), IdentityError> {
        sqlx::query("INSERT INTO signing_keys (kid, pkcs8, created_at) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING")
            .bind(kid)
            .bind(stored)
            .bind(synergies_platform::time::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn reseal_signing_key(&self, kid: &str, stored: &[u8]) -> Result<(), IdentityError> {
        sqlx::query("UPDATE signing_keys SET pkcs8 = $2 WHERE kid = $1")
            .bind(kid)
            .bind(stored)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_refresh_token(&self, token: &RefreshToken) -> Result<(), IdentityError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.token_hash)
        .bind(token.family)
        .bind(token.user_id)
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        next_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, IdentityError> {
        let mut tx = self.pool.begin().await?;
        // Spending is one conditional UPDATE, so two concurrent refreshes cannot both win.
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2
              WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
              RETURNING family, user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = spent {
            let family: Uuid = row.try_get("family")?;
            let user_id: Uuid = row.try_get("user_id")?;
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(next_hash)
            .bind(family)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Rotated { user_id });
        }
        let existing = sqlx::query(
            "SELECT family, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(existing) = existing else {
            return Ok(Rotation::Unknown);
        };
        let used: Option<DateTime<Utc>> = existing.try_get("used_at")?;
        let revoked: Option<DateTime<Utc>> = existing.try_get("revoked_at")?;
        if used.is_none() && revoked.is_none() {
            return Ok(Rotation::Expired);
        }
        let family: Uuid = existing.try_get("family")?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        )
        .bind(family)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Reused)
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<(), IdentityError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2
              WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(synergies_platform::time::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
