//! One client per backend service: the calls the gateway makes, with their retries and
//! conversions, for `api/` and `web/` alike. (Flows first; the other services follow.)

pub mod flows;
