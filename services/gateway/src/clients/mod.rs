//! One client per backend service: the calls the gateway makes, with their retries and
//! conversions, for `api/` and `web/` alike. (Flows and matching first; the other services
//! follow.)

pub mod flows;
pub mod matching;
