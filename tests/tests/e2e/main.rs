//! The end-to-end suites: the whole platform, in the all-in-one and the split-process layouts,
//! driven through its public interfaces. One test binary for all of them, so the workspace
//! links one executable of this size rather than one per suite; each suite is a module
//! (`cargo nextest run -p synergies-tests -E 'test(/^flows::/)'` runs one).

mod api_contract;
mod bounces;
mod consumer_upgrade;
mod data_files;
mod database_roles;
mod delivery_reports;
mod demo;
mod digests;
mod email_change;
mod exchanges;
mod faults;
mod flow_search;
mod flows;
mod grpc_balancing;
mod inbox;
mod inbox_stream;
mod item_mails;
mod joining_a_territory;
mod listing_photos;
mod listings_lifecycle;
mod matching_replicas;
mod offer_reaches_requester;
mod reminders;
mod rgpd;
mod saved_searches;
mod search_calls;
mod search_replicas;
mod sessions;
mod signing_keys;
mod synergies;
mod tenant_branding;
mod tenant_isolation;
mod tenant_logo;
mod territories;
mod tls;
mod traces;
mod web_accessibility;
mod web_branding;
mod web_flows;
mod web_journeys;
mod web_listing_photos;
mod web_members_map;
mod web_recurring_exchanges;
mod web_search_places;
mod web_second_pass;
