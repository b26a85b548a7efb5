//! One client per backend service: the calls the gateway makes, with their retries and
//! conversions, for `api/` and `web/` alike.

pub mod matching;
