//! Each service's own PostgreSQL role (`database.roles`): the owner that migrates creates it and
//! grants it the rows of the service's schema, nothing else — no DDL, no other schema — so that
//! one service's credentials cannot read another's data (identity's signing keys above all).

use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnectOptions;
use sqlx::{PgConnection, PgPool};

use super::RuntimeRole;

/// `options` with the role's name and password instead of the URL's.
pub(super) fn as_role(options: PgConnectOptions, role: &RuntimeRole) -> PgConnectOptions {
    let options = options.username(&role.name);
    match &role.password {
        Some(password) => options.password(password.expose()),
        None => options,
    }
}

/// Returns once every migration of `platform` and `service` is applied in the pool's schema,
/// retrying with backoff meanwhile: the role cannot apply them itself, the owner does
/// (`synergies migrate`, an init container that may still be running).
pub(super) async fn wait_for_migrations(
    pool: &PgPool,
    schema: &str,
    role: &str,
    platform: &Migrator,
    service: &Migrator,
) {
    // Owned before any await: the future holds no borrow of the migrators.
    let expected: Vec<i64> = [platform, service]
        .iter()
        .flat_map(|migrator| migrator.iter())
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| migration.version)
        .collect();
    let what = format!("PostgreSQL schema {schema} is not ready for role {role}, retrying");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Err(error) = migrations_applied(pool, &expected).await else {
            return;
        };
        let delay = crate::retry::backoff(attempt, std::time::Duration::from_secs(10));
        tracing::warn!(
            attempt,
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            %error,
            "{what}"
        );
        tokio::time::sleep(delay).await;
    }
}

/// Ok once every version of `expected` is recorded as applied in the schema the pool's
/// `search_path` names; otherwise says which are missing.
async fn migrations_applied(pool: &PgPool, expected: &[i64]) -> Result<(), String> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(|error| {
                format!("{error}; the owner applies migrations: run `synergies migrate`")
            })?;
    let missing: Vec<String> = expected
        .iter()
        .filter(|version| !applied.contains(version))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "migrations {} are not applied yet; the owner applies them: run `synergies migrate`",
            missing.join(", ")
        ))
    }
}

/// Creates `role` when it does not exist (else sets its password), and grants it the rows of
/// `schema`: reading and writing every table, using its sequences, reading (only) the
/// migration history. Idempotent: run after every migration, it covers new tables too.
pub(super) async fn grant_schema(
    pool: &PgPool,
    schema: &str,
    role: &RuntimeRole,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    // One role change at a time on the whole server: two migrations creating one role race,
    // and concurrent GRANTs on one object fail with "tuple concurrently updated".
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('synergies.service-roles'))")
        .execute(&mut *tx)
        .await?;
    let existing: Option<(bool, bool)> =
        sqlx::query_as("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = $1")
            .bind(&role.name)
            .fetch_optional(&mut *tx)
            .await?;
    match existing {
        // Handing the owner's or a superuser's name as a service role would let that service
        // do everything, and give the owner the service's password.
        Some((superuser, owner)) if superuser || owner => {
            return Err(sqlx::Error::Configuration(
                format!(
                    "the service role {:?} is {}: each service needs a role of its own",
                    role.name,
                    if owner {
                        "the role that migrates"
                    } else {
                        "a superuser"
                    }
                )
                .into(),
            ));
        }
        Some(_) => {}
        None => execute(&mut tx, "CREATE ROLE %I LOGIN", vec![role.name.clone()]).await?,
    }
    match &role.password {
        Some(password) => {
            execute(
                &mut tx,
                "ALTER ROLE %I LOGIN PASSWORD %L",
                vec![role.name.clone(), password.expose().to_owned()],
            )
            .await?;
        }
        None => execute(&mut tx, "ALTER ROLE %I LOGIN", vec![role.name.clone()]).await?,
    }
    for statement in [
        "GRANT USAGE ON SCHEMA %I TO %I",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I",
        // The role checks the history before serving; only the owner writes it.
        "REVOKE INSERT, UPDATE, DELETE ON %I._sqlx_migrations FROM %I",
    ] {
        execute(
            &mut tx,
            statement,
            vec![schema.to_owned(), role.name.clone()],
        )
        .await?;
    }
    tx.commit().await
}

/// Runs `template` with its `%I` (identifiers) and `%L` (literals) filled in by the server's
/// own `format`, which quotes them: names and passwords never meet string concatenation here.
async fn execute(
    connection: &mut PgConnection,
    template: &str,
    arguments: Vec<String>,
) -> Result<(), sqlx::Error> {
    let statement: String = sqlx::query_scalar("SELECT format($1, VARIADIC $2::text[])")
        .bind(template)
        .bind(arguments)
        .fetch_one(&mut *connection)
        .await?;
    // Not kept in the connection's statement cache: it may carry a password.
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .persistent(false)
        .execute(&mut *connection)
        .await?;
    Ok(())
}
