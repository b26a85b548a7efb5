//! The SQL of the matching store, written once for both backends (PostgreSQL and SQLite read
//! the same statements).

/// The columns an [`crate::domain::IndexedItem`] is read from, with the organisation's name
/// and activity learned from other events.
pub const ITEM_COLUMNS: &str = "i.item_id, i.tenant, i.kind, i.organisation_id, i.owner_user_id, i.direction,
    i.resource_class, i.category, i.ewc_code, i.label, i.description, i.quantity, i.unit, i.latitude,
    i.longitude, i.available_until, i.exchange_mode, i.confidentiality,
    CASE WHEN i.nace <> '' THEN i.nace ELSE COALESCE(o.nace, '') END AS nace,
    COALESCE(o.name, '') AS organisation_name, i.state";

pub const ITEM_FROM: &str =
    "FROM items i LEFT JOIN organisations o ON o.organisation_id = i.organisation_id";

pub const ITEM_VERSION: &str = "SELECT state, changed_at_micros FROM items WHERE item_id = $1";

/// An item as stored (if it is) with the time of its last change, and what is known of the
/// organisation `$2` (if anything): all a change of the item needs to read, in one statement.
pub const ITEM_AND_ORGANISATION: &str = "SELECT i.item_id, i.tenant, i.kind,
    i.organisation_id, i.owner_user_id, i.direction, i.resource_class, i.category, i.ewc_code,
    i.label, i.description, i.quantity, i.unit, i.latitude, i.longitude, i.available_until,
    i.exchange_mode, i.confidentiality, i.state, i.changed_at_micros,
    CASE WHEN i.nace <> '' THEN i.nace ELSE COALESCE(io.nace, '') END AS nace,
    COALESCE(io.name, '') AS organisation_name,
    o.name AS known_name, o.nace AS known_nace
     FROM (SELECT 1 AS one) wanted
     LEFT JOIN items i ON i.item_id = $1
     LEFT JOIN organisations io ON io.organisation_id = i.organisation_id
     LEFT JOIN organisations o ON o.organisation_id = $2";

pub const UPSERT_ITEM: &str = "INSERT INTO items (item_id, tenant, kind, organisation_id, owner_user_id, direction,
        resource_class, category, ewc_code, label, description, quantity, unit, latitude, longitude,
        available_until, exchange_mode, confidentiality, nace, state, changed_at_micros, revision)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
     ON CONFLICT (item_id) DO UPDATE SET owner_user_id = excluded.owner_user_id,
        direction = excluded.direction, resource_class = excluded.resource_class,
        category = excluded.category, ewc_code = excluded.ewc_code, label = excluded.label,
        description = excluded.description, quantity = excluded.quantity, unit = excluded.unit,
        latitude = excluded.latitude, longitude = excluded.longitude,
        available_until = excluded.available_until, exchange_mode = excluded.exchange_mode,
        confidentiality = excluded.confidentiality, nace = excluded.nace, state = excluded.state,
        changed_at_micros = excluded.changed_at_micros, revision = excluded.revision";

pub const SET_ITEM_STATE: &str =
    "UPDATE items SET state = $2, changed_at_micros = $3, revision = $4 WHERE item_id = $1";

/// Takes the tenant's next revision (migrations 1006 and 1007); the counter row stays locked
/// until the transaction ends, which serialises the tenant's changes.
pub const TAKE_REVISION: &str = "INSERT INTO tenant_revisions (tenant, revision) VALUES ($1, 1)
     ON CONFLICT (tenant) DO UPDATE SET revision = tenant_revisions.revision + 1
     RETURNING revision";

/// The tenant's last revision taken, read under the tenant's lock.
pub const CURRENT_REVISION: &str = "SELECT revision FROM tenant_revisions WHERE tenant = $1";

/// The tenant's open items, to load a replica's copy of them.
pub const OPEN_ITEMS_OF_TENANT: &str =
    "FROM items i LEFT JOIN organisations o ON o.organisation_id = i.organisation_id
     WHERE i.tenant = $1 AND i.state = 'open'";

/// The tenants that have open items: those a starting replica loads its copies of.
pub const TENANTS_WITH_OPEN_ITEMS: &str = "SELECT DISTINCT tenant FROM items WHERE state = 'open'";

/// The tenant's items changed since a revision, in order, to bring a replica's copy up to date.
pub const ITEMS_CHANGED_SINCE: &str =
    "FROM items i LEFT JOIN organisations o ON o.organisation_id = i.organisation_id
     WHERE i.tenant = $1 AND i.revision > $2 ORDER BY i.revision";

/// What is known of an organisation changed: its items read differently (name, activity).
pub const REVISE_ORGANISATION_ITEMS: &str =
    "UPDATE items SET revision = $3 WHERE tenant = $1 AND organisation_id = $2";

/// A closing event for an item never indexed (its publication failed, say): a tombstone, so
/// that the publication, if it comes at last, does not open it.
pub const ITEM_TOMBSTONE: &str = "INSERT INTO items (item_id, tenant, kind, organisation_id, owner_user_id, direction,
        resource_class, category, ewc_code, label, description, quantity, unit, latitude, longitude,
        available_until, exchange_mode, confidentiality, nace, state, changed_at_micros, revision)
     VALUES ($1, $2, $3, $4, NULL, 'out', 'material', '', '', '', '', NULL, '', NULL, NULL, '', '', 'facilitator', '', 'closed', $5, $6)
     ON CONFLICT (item_id) DO NOTHING";

pub const LEARN_ORGANISATION: &str =
    "INSERT INTO organisations (organisation_id, tenant, name, nace) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organisation_id) DO UPDATE SET name = excluded.name,
        nace = CASE WHEN excluded.nace <> '' THEN excluded.nace ELSE organisations.nace END
     WHERE organisations.name <> excluded.name
        OR (excluded.nace <> '' AND organisations.nace <> excluded.nace)";

pub const SYNERGY_ID_BY_KEY: &str =
    "SELECT id FROM synergies WHERE tenant = $1 AND synergy_key = $2";

pub const INSERT_SYNERGY: &str =
    "INSERT INTO synergies (id, tenant, kind, synergy_key, direction, resource_class, pool,
        score, factors, explanation_fr, explanation_en, status, status_reason, advisor_user_id,
        realised_quantity, realised_unit, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'proposed', '', NULL, NULL, '', $12, $12)
     ON CONFLICT (tenant, synergy_key) DO NOTHING";

pub const RESCORE_SYNERGY: &str =
    "UPDATE synergies SET score = $2, factors = $3, explanation_fr = $4, explanation_en = $5,
        resource_class = $6, pool = $7, updated_at = $8
     WHERE id = $1";

pub const INSERT_PARTY: &str =
    "INSERT INTO synergy_parties (synergy_id, item_id, item_kind, role, organisation_id, label)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (synergy_id, item_id) DO UPDATE SET label = excluded.label";

/// Both parties of a substitution, output then input, in one statement.
pub const INSERT_PAIR: &str =
    "INSERT INTO synergy_parties (synergy_id, item_id, item_kind, role, organisation_id, label)
     VALUES ($1, $2, $3, 'output', $4, $5), ($1, $6, $7, 'input', $8, $9)
     ON CONFLICT (synergy_id, item_id) DO UPDATE SET label = excluded.label";

pub const DELETE_PARTY: &str = "DELETE FROM synergy_parties WHERE synergy_id = $1 AND item_id = $2";

/// Drops a proposal that no longer holds (an item left the index, or the pair no longer fits),
/// unless someone worked on it: a facilitator's note or an organisation's feedback is part of
/// the pipeline's history and keeps it, still proposed, like a status a facilitator moved.
/// This is what bounds the proposals kept: those of an item that left the index (withdrawn,
/// expired, exchanged, removed) go with it, instead of piling up for every pair ever made.
pub const DELETE_PLAIN_SYNERGY: &str = "DELETE FROM synergies WHERE id = $1
        AND NOT EXISTS (SELECT 1 FROM synergy_notes n WHERE n.synergy_id = $1)
        AND NOT EXISTS (SELECT 1 FROM synergy_feedback f WHERE f.synergy_id = $1)";

/// The substitutions still only proposed that involve an item. Written to start from the
/// item's parties whatever the planner believes: as a join, PostgreSQL with statistics older
/// than the tenant's proposals (a fresh or busy table) walked every proposed substitution of
/// the tenant and probed each for the item — a cost growing with the territory, per event.
pub const PROPOSED_SUBSTITUTIONS_OF_ITEM: &str = "SELECT id, synergy_key FROM (
        SELECT p.synergy_id AS id,
               (SELECT s.synergy_key FROM synergies s
                 WHERE s.id = p.synergy_id AND s.kind = 'substitution' AND s.status = 'proposed')
               AS synergy_key
          FROM synergy_parties p WHERE p.item_id = $1) mine
      WHERE synergy_key IS NOT NULL";

/// The mutualisation groups of one direction whose key is like `$3`
/// (`mutualisation:<direction>:%:<pool>:%`, `\` escaping), with their members.
pub const GROUPS_OF_POOL: &str = "SELECT s.id, s.synergy_key, s.status, p.item_id FROM synergies s
       LEFT JOIN synergy_parties p ON p.synergy_id = s.id
      WHERE s.tenant = $1 AND s.kind = 'mutualisation' AND s.direction = $2
        AND s.synergy_key LIKE $3 ESCAPE '\\'";

pub const SYNERGY_COLUMNS: &str =
    "id, tenant, kind, synergy_key, direction, resource_class, pool, score, factors,
    explanation_fr, explanation_en, status, status_reason, advisor_user_id, realised_quantity,
    realised_unit, created_at, updated_at, realised_at, realised_kg_grams, realised_co2e_grams,
    realised_value_cents";

pub const SYNERGY_PARTIES: &str =
    "SELECT p.item_id, p.item_kind, p.role, p.organisation_id, p.label,
        COALESCE(o.name, '') AS organisation_name, COALESCE(i.state, 'closed') AS state,
        COALESCE(i.confidentiality, 'facilitator') AS confidentiality
       FROM synergy_parties p
       LEFT JOIN items i ON i.item_id = p.item_id
       LEFT JOIN organisations o ON o.organisation_id = p.organisation_id
      WHERE p.synergy_id = $1
      ORDER BY p.role DESC, p.item_id";

pub const SYNERGY_DISMISSALS: &str =
    "SELECT organisation_id FROM synergy_feedback WHERE synergy_id = $1 AND NOT relevant";

pub const SYNERGY_NOTES: &str =
    "SELECT text, by_user_id, at FROM synergy_notes WHERE synergy_id = $1 ORDER BY at, id";

pub const SYNERGY_IDS_OF_ITEM: &str =
    "SELECT s.id FROM synergies s JOIN synergy_parties p ON p.synergy_id = s.id
      WHERE s.tenant = $1 AND p.item_id = $2 AND s.kind = 'substitution'
      ORDER BY s.score DESC, s.id LIMIT 200";

pub const SYNERGY_IDS: &str = "SELECT id FROM synergies
      WHERE tenant = $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR status = $3)
      ORDER BY score DESC, id LIMIT 1000";

pub const SYNERGY_IDS_OF_ORGANISATION: &str = "SELECT DISTINCT s.id, s.score FROM synergies s
       JOIN synergy_parties p ON p.synergy_id = s.id
      WHERE s.tenant = $1 AND p.organisation_id = $4
        AND ($2 = '' OR s.kind = $2) AND ($3 = '' OR s.status = $3)
      ORDER BY s.score DESC, s.id LIMIT 1000";

pub const UPDATE_PIPELINE: &str =
    "UPDATE synergies SET status = $2, status_reason = $3, advisor_user_id = $4,
        realised_quantity = $5, realised_unit = $6, updated_at = $7, realised_at = $8,
        realised_kg_grams = $9, realised_co2e_grams = $10, realised_value_cents = $11
     WHERE id = $1";

/// The tenant's realised synergies and what they added. Synergies realised before their impact
/// was recorded count from their last change.
pub const REALISED_SYNERGIES: &str = "SELECT COALESCE(realised_at, updated_at) AS realised_at,
        realised_kg_grams, realised_co2e_grams, realised_value_cents
       FROM synergies
      WHERE tenant = $1 AND status = 'realised'
      ORDER BY realised_at, id";

pub const REALISED_SYNERGIES_OF_ORGANISATION: &str = "SELECT COALESCE(s.realised_at, s.updated_at) AS realised_at,
        s.realised_kg_grams, s.realised_co2e_grams, s.realised_value_cents
       FROM synergies s
      WHERE s.tenant = $1 AND s.status = 'realised'
        AND EXISTS (SELECT 1 FROM synergy_parties p WHERE p.synergy_id = s.id AND p.organisation_id = $2)
      ORDER BY realised_at, s.id";

pub const INSERT_NOTE: &str =
    "INSERT INTO synergy_notes (id, synergy_id, text, by_user_id, at) VALUES ($1, $2, $3, $4, $5)";

pub const GIVE_FEEDBACK: &str = "INSERT INTO synergy_feedback (synergy_id, organisation_id, relevant, given_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (synergy_id, organisation_id) DO UPDATE SET relevant = excluded.relevant, given_at = excluded.given_at";
