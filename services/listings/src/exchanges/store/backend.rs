//! The exchanges store, written once for the database that the module including it names as
//! `Db` (`postgres.rs`, `sqlite.rs`): one body, compiled for each backend, with the SQL both
//! dialects accept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use synergies_platform::outbox::{OutboxEvent, Transactional};
use uuid::Uuid;

use crate::domain::ExchangeMode;
use crate::exchanges::error::ExchangesError;
use crate::exchanges::impact::{Impact, MonthTotals, TerritorySummary};
use crate::exchanges::store::{
    CONVERSATION, Completion, Confirmed, Decide, EXCHANGE_COLUMNS, ExchangeStore, MESSAGE_COLUMNS,
    RESERVATION_COLUMNS, corrupt, unit,
};
use crate::exchanges::{Confirmation, Conversation, Exchange, Message, Reservation, Side};

pub struct SqlStore {
    pub(in crate::exchanges::store) pool: sqlx::Pool<super::Db>,
}

impl SqlStore {
    fn conversation_from(
        row: &<super::Db as sqlx::Database>::Row,
    ) -> Result<Conversation, sqlx::Error> {
        Ok(Conversation {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            listing_id: row.try_get("listing_id")?,
            listing_title: row.try_get("listing_title")?,
            listing_organisation_id: row.try_get("listing_organisation_id")?,
            asking_organisation_id: row.try_get("asking_organisation_id")?,
            started_by_user_id: row.try_get("started_by_user_id")?,
            created_at: row.try_get("created_at")?,
            activity_id: row.try_get("activity_id")?,
        })
    }

    /// Messages of `tenant` whose `column` (a conversation or an author) is `value`,
    /// newest first, older than `after`.
    async fn messages_where(
        &self,
        column: &'static str,
        tenant: &str,
        value: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, ExchangesError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages
              WHERE tenant = $1 AND {column} = $2 AND ($3 IS NULL OR id < $3)
              ORDER BY id DESC LIMIT $4"
        )))
        .bind(tenant)
        .bind(value)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Self::message_from(row, ""))
            .collect::<Result<_, _>>()
            .map_err(ExchangesError::from)
    }

    /// A message whose columns carry `prefix` (`m_` in joins, empty otherwise).
    fn message_from(
        row: &<super::Db as sqlx::Database>::Row,
        prefix: &str,
    ) -> Result<Message, sqlx::Error> {
        let column = |name: &str| format!("{prefix}{name}");
        Ok(Message {
            id: row.try_get(column("id").as_str())?,
            tenant: row.try_get(column("tenant").as_str())?,
            conversation_id: row.try_get(column("conversation_id").as_str())?,
            author_user_id: row.try_get(column("author_user_id").as_str())?,
            author_organisation_id: row.try_get(column("author_organisation_id").as_str())?,
            text: row.try_get(column("body").as_str())?,
            created_at: row.try_get(column("created_at").as_str())?,
            erased: row.try_get(column("erased").as_str())?,
        })
    }

    fn confirmation_from(
        row: &<super::Db as sqlx::Database>::Row,
        side: &str,
    ) -> Result<Option<Confirmation>, sqlx::Error> {
        let thousandths: Option<i64> = row.try_get(format!("{side}_thousandths").as_str())?;
        let Some(thousandths) = thousandths else {
            return Ok(None);
        };
        let unit_text: String = row.try_get(format!("{side}_unit").as_str())?;
        Ok(Some(Confirmation {
            thousandths,
            unit: unit("unit", &unit_text)?,
            by_user_id: row.try_get(format!("{side}_user_id").as_str())?,
            at: row.try_get(format!("{side}_at").as_str())?,
            kg_per_unit_grams: row.try_get(format!("{side}_kg_per_unit_grams").as_str())?,
        }))
    }

    fn reservation_from(
        row: &<super::Db as sqlx::Database>::Row,
    ) -> Result<Reservation, sqlx::Error> {
        Ok(Reservation {
            tenant: row.try_get("tenant")?,
            listing_id: row.try_get("listing_id")?,
            conversation_id: row.try_get("conversation_id")?,
            counterpart_organisation_id: row.try_get("counterpart_organisation_id")?,
            reserved_at: row.try_get("reserved_at")?,
            owner: Self::confirmation_from(row, "owner")?,
            counterpart: Self::confirmation_from(row, "counterpart")?,
        })
    }

    fn exchange_from(row: &<super::Db as sqlx::Database>::Row) -> Result<Exchange, sqlx::Error> {
        let mode: String = row.try_get("exchange_mode")?;
        let unit_text: String = row.try_get("quantity_unit")?;
        Ok(Exchange {
            id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            listing_id: row.try_get("listing_id")?,
            conversation_id: row.try_get("conversation_id")?,
            giver_organisation_id: row.try_get("giver_organisation_id")?,
            receiver_organisation_id: row.try_get("receiver_organisation_id")?,
            exchange_mode: ExchangeMode::parse(&mode)
                .ok_or_else(|| corrupt("exchange_mode", &mode))?,
            category: row.try_get("category")?,
            thousandths: row.try_get("quantity_thousandths")?,
            unit: unit("quantity_unit", &unit_text)?,
            completed_at: row.try_get("completed_at")?,
            impact: Impact {
                kg_diverted_grams: row.try_get("kg_diverted_grams")?,
                co2e_grams: row.try_get("co2e_grams")?,
                value_cents: row.try_get("value_cents")?,
                value_estimated: row.try_get("value_estimated")?,
            },
        })
    }

    async fn set_status(
        tx: &mut <super::Db as sqlx::Database>::Connection,
        tenant: &str,
        listing: Uuid,
        from: &str,
        to: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE listings SET status = $1, updated_at = $2 WHERE tenant = $3 AND id = $4 AND status = $5",
        )
        .bind(to)
        .bind(at)
        .bind(tenant)
        .bind(listing)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The reservation of `listing`, if it has one.
    async fn read_reservation(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        tenant: &str,
        listing: Uuid,
    ) -> Result<Option<Reservation>, sqlx::Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RESERVATION_COLUMNS} FROM listing_reservations WHERE tenant = $1 AND listing_id = $2"
        )))
        .bind(tenant)
        .bind(listing)
        .fetch_optional(&mut *connection)
        .await?;
        row.as_ref().map(Self::reservation_from).transpose()
    }

    /// Ends `listing`'s reservation row (cancelled, completed, or left by a withdrawal).
    async fn drop_reservation(
        connection: &mut <super::Db as sqlx::Database>::Connection,
        tenant: &str,
        listing: Uuid,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM listing_reservations WHERE tenant = $1 AND listing_id = $2")
            .bind(tenant)
            .bind(listing)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ExchangeStore for SqlStore {
    async fn open_conversation(
        &self,
        c: &Conversation,
    ) -> Result<(Conversation, bool), ExchangesError> {
        let inserted = sqlx::query(
            "INSERT INTO conversations (id, tenant, listing_id, listing_organisation_id, asking_organisation_id,
                started_by_user_id, created_at, activity_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant, listing_id, asking_organisation_id) DO NOTHING",
        )
        .bind(c.id)
        .bind(&c.tenant)
        .bind(c.listing_id)
        .bind(c.listing_organisation_id)
        .bind(c.asking_organisation_id)
        .bind(c.started_by_user_id)
        .bind(c.created_at)
        .bind(c.activity_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONVERSATION} WHERE c.tenant = $1 AND c.listing_id = $2 AND c.asking_organisation_id = $3"
        )))
        .bind(&c.tenant)
        .bind(c.listing_id)
        .bind(c.asking_organisation_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((Self::conversation_from(&row)?, inserted == 1))
    }

    async fn conversation(
        &self,
        tenant: &str,
        id: Uuid,
    ) -> Result<Option<Conversation>, ExchangesError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONVERSATION} WHERE c.tenant = $1 AND c.id = $2"
        )))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Self::conversation_from).transpose()?)
    }

    async fn conversations(
        &self,
        tenant: &str,
        organisation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Conversation, Option<Message>)>, ExchangesError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.*, m.id AS m_id, m.tenant AS m_tenant, m.conversation_id AS m_conversation_id,
                    m.author_user_id AS m_author_user_id, m.author_organisation_id AS m_author_organisation_id,
                    m.body AS m_body, m.created_at AS m_created_at, m.erased AS m_erased
               FROM ({CONVERSATION}
                      WHERE c.tenant = $1 AND (c.listing_organisation_id = $2 OR c.asking_organisation_id = $2)
                        AND ($3 IS NULL OR c.activity_id < $3)) s
               LEFT JOIN conversation_messages m ON m.id = s.activity_id
              ORDER BY s.activity_id DESC LIMIT $4"
        )))
        .bind(tenant)
        .bind(organisation)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<_, sqlx::Error> {
                let last: Option<Uuid> = row.try_get("m_id")?;
                let message = match last {
                    Some(_) => Some(Self::message_from(row, "m_")?),
                    None => None,
                };
                Ok((Self::conversation_from(row)?, message))
            })
            .collect::<Result<_, _>>()
            .map_err(ExchangesError::from)
    }

    async fn post(&self, m: &Message, event: &OutboxEvent) -> Result<(), ExchangesError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO conversation_messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(m.id)
        .bind(&m.tenant)
        .bind(m.conversation_id)
        .bind(m.author_user_id)
        .bind(m.author_organisation_id)
        .bind(&m.text)
        .bind(m.created_at)
        .bind(m.erased)
        .execute(&mut *tx)
        .await?;
        // Two posts at once: the later id wins, whichever commits last.
        sqlx::query(
            "UPDATE conversations SET activity_id = $1 WHERE tenant = $2 AND id = $3 AND activity_id < $1",
        )
        .bind(m.id)
        .bind(&m.tenant)
        .bind(m.conversation_id)
        .execute(&mut *tx)
        .await?;
        tx.enqueue(event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn messages(
        &self,
        tenant: &str,
        conversation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, ExchangesError> {
        self.messages_where("conversation_id", tenant, conversation, after, limit)
            .await
    }

    async fn messages_by_author(
        &self,
        tenant: &str,
        author: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, ExchangesError> {
        self.messages_where("author_user_id", tenant, author, after, limit)
            .await
    }

    async fn erase_messages_of(
        &self,
        consumer: &str,
        event_id: Uuid,
        author: Uuid,
    ) -> Result<Option<u64>, ExchangesError> {
        let mut tx = self.pool.begin().await?;
        if !tx.first_delivery(consumer, event_id).await? {
            return Ok(None);
        }
        let erased = sqlx::query(
            "UPDATE conversation_messages SET body = '', erased = TRUE WHERE author_user_id = $1 AND NOT erased",
        )
        .bind(author)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Some(erased))
    }

    async fn reserve(
        &self,
        r: &Reservation,
        at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<bool, ExchangesError> {
        let mut tx = self.pool.begin().await?;
        if !Self::set_status(
            &mut tx,
            &r.tenant,
            r.listing_id,
            "published",
            "reserved",
            at,
        )
        .await?
        {
            return Ok(false);
        }
        // A reservation left by a listing withdrawn or hidden while reserved.
        Self::drop_reservation(&mut tx, &r.tenant, r.listing_id).await?;
        sqlx::query(
            "INSERT INTO listing_reservations (tenant, listing_id, conversation_id, counterpart_organisation_id, reserved_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.tenant)
        .bind(r.listing_id)
        .bind(r.conversation_id)
        .bind(r.counterpart_organisation_id)
        .bind(r.reserved_at)
        .execute(&mut *tx)
        .await?;
        for event in events {
            tx.enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn cancel(
        &self,
        tenant: &str,
        listing: Uuid,
        at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<bool, ExchangesError> {
        let mut tx = self.pool.begin().await?;
        if !Self::set_status(&mut tx, tenant, listing, "reserved", "published", at).await? {
            return Ok(false);
        }
        Self::drop_reservation(&mut tx, tenant, listing).await?;
        for event in events {
            tx.enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn reservation(
        &self,
        tenant: &str,
        listing: Uuid,
    ) -> Result<Option<Reservation>, ExchangesError> {
        let mut connection = self.pool.acquire().await?;
        Ok(Self::read_reservation(&mut connection, tenant, listing).await?)
    }

    async fn confirm(
        &self,
        tenant: &str,
        listing: Uuid,
        side: Side,
        confirmation: &Confirmation,
        decide: &Decide<'_>,
    ) -> Result<Option<Confirmed>, ExchangesError> {
        let prefix = match side {
            Side::Owner => "owner",
            Side::Counterpart => "counterpart",
        };
        let mut tx = self.pool.begin().await?;
        // The update takes the reservation's row lock: two confirmations take turns, and
        // the second reads the first's figure below.
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE listing_reservations SET {prefix}_thousandths = $1, {prefix}_unit = $2,
                    {prefix}_user_id = $3, {prefix}_at = $4, {prefix}_kg_per_unit_grams = $7
              WHERE tenant = $5 AND listing_id = $6"
        )))
        .bind(confirmation.thousandths)
        .bind(confirmation.unit.as_str())
        .bind(confirmation.by_user_id)
        .bind(confirmation.at)
        .bind(tenant)
        .bind(listing)
        .bind(confirmation.kg_per_unit_grams)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(None);
        }
        // The update above found the row, and the transaction holds its lock.
        let reservation = Self::read_reservation(&mut tx, tenant, listing)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let Some(Completion {
            exchange,
            events,
            listing_status,
        }) = decide(&reservation)
        else {
            tx.commit().await?;
            return Ok(Some(Confirmed::Open(reservation)));
        };
        if !Self::set_status(
            &mut tx,
            tenant,
            listing,
            "reserved",
            listing_status.as_str(),
            exchange.completed_at,
        )
        .await?
        {
            return Ok(None);
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO exchanges ({EXCHANGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        )))
        .bind(exchange.id)
        .bind(&exchange.tenant)
        .bind(exchange.listing_id)
        .bind(exchange.conversation_id)
        .bind(exchange.giver_organisation_id)
        .bind(exchange.receiver_organisation_id)
        .bind(exchange.exchange_mode.as_str())
        .bind(&exchange.category)
        .bind(exchange.thousandths)
        .bind(exchange.unit.as_str())
        .bind(exchange.completed_at)
        .bind(exchange.impact.kg_diverted_grams)
        .bind(exchange.impact.co2e_grams)
        .bind(exchange.impact.value_cents)
        .bind(exchange.month())
        .bind(exchange.impact.value_estimated)
        .execute(&mut *tx)
        .await?;
        Self::drop_reservation(&mut tx, tenant, listing).await?;
        for event in &events {
            tx.enqueue(event).await?;
        }
        tx.commit().await?;
        Ok(Some(Confirmed::Completed(exchange)))
    }

    async fn exchange_of_listing(
        &self,
        tenant: &str,
        listing: Uuid,
    ) -> Result<Option<Exchange>, ExchangesError> {
        Ok(self
            .exchanges_of_listing(tenant, listing, None, None, 1)
            .await?
            .pop())
    }

    async fn exchanges_of_listing(
        &self,
        tenant: &str,
        listing: Uuid,
        side: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Exchange>, ExchangesError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCHANGE_COLUMNS} FROM exchanges
              WHERE tenant = $1 AND listing_id = $2 AND ($3 IS NULL OR id < $3)
                AND ($5 IS NULL OR giver_organisation_id = $5 OR receiver_organisation_id = $5)
              ORDER BY id DESC LIMIT $4"
        )))
        .bind(tenant)
        .bind(listing)
        .bind(after)
        .bind(i64::from(limit))
        .bind(side)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(Self::exchange_from)
            .collect::<Result<_, _>>()
            .map_err(ExchangesError::from)
    }

    async fn impact_by_month(
        &self,
        tenant: &str,
        organisation: Option<Uuid>,
    ) -> Result<Vec<MonthTotals>, ExchangesError> {
        // Sums of BIGINT are NUMERIC in PostgreSQL: cast back, alike on both engines.
        let rows = sqlx::query(
            "SELECT month, COUNT(*) AS exchanges,
                    CAST(COALESCE(SUM(kg_diverted_grams), 0) AS BIGINT) AS kg,
                    CAST(COALESCE(SUM(co2e_grams), 0) AS BIGINT) AS co2e,
                    CAST(COALESCE(SUM(value_cents), 0) AS BIGINT) AS value
               FROM exchanges
              WHERE tenant = $1 AND ($2 IS NULL OR giver_organisation_id = $2 OR receiver_organisation_id = $2)
              GROUP BY month ORDER BY month",
        )
        .bind(tenant)
        .bind(organisation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<MonthTotals, sqlx::Error> {
                Ok(MonthTotals {
                    month: row.try_get("month")?,
                    exchanges: row.try_get("exchanges")?,
                    kg_diverted_grams: row.try_get("kg")?,
                    co2e_grams: row.try_get("co2e")?,
                    value_cents: row.try_get("value")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(ExchangesError::from)
    }

    async fn territory_summary(&self, tenant: &str) -> Result<TerritorySummary, ExchangesError> {
        let online: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM listings WHERE tenant = $1 AND status IN ('published', 'reserved')",
        )
        .bind(tenant)
        .fetch_one(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS exchanges,
                    CAST(COALESCE(SUM(kg_diverted_grams), 0) AS BIGINT) AS kg,
                    CAST(COALESCE(SUM(co2e_grams), 0) AS BIGINT) AS co2e
               FROM exchanges WHERE tenant = $1",
        )
        .bind(tenant)
        .fetch_one(&self.pool)
        .await?;
        Ok(TerritorySummary {
            listings_online: online,
            exchanges_completed: row.try_get("exchanges")?,
            kg_diverted_grams: row.try_get("kg")?,
            co2e_grams: row.try_get("co2e")?,
        })
    }

    async fn exchanges(
        &self,
        tenant: &str,
        organisation: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Exchange>, ExchangesError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCHANGE_COLUMNS} FROM exchanges
              WHERE tenant = $1 AND (giver_organisation_id = $2 OR receiver_organisation_id = $2)
                AND ($3 IS NULL OR id < $3)
              ORDER BY id DESC LIMIT $4"
        )))
        .bind(tenant)
        .bind(organisation)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(Self::exchange_from)
            .collect::<Result<_, _>>()
            .map_err(ExchangesError::from)
    }
}
