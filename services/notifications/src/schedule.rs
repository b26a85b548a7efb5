//! When digests are due: 08:00 in the territory's time zone, every day for daily digests and
//! every Monday for weekly ones, through the IANA time-zone database (`chrono-tz`), so that
//! summer time and other territories' rules are the database's, not ours. And the clock the
//! scheduler reads, which tests start at a chosen instant.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::preferences::Frequency;

/// The hour digests go, local time.
pub const DIGEST_HOUR: u32 = 8;

/// The scheduler's clock: the real one, or one started at a chosen instant (tests) that then
/// runs at the real pace.
#[derive(Debug, Clone)]
pub struct Clock {
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    pub fn real() -> Self {
        Self { start: None }
    }

    /// A clock reading `at` now.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            start: Some((at, Instant::now())),
        }
    }

    /// From the configuration: empty is the real clock.
    pub fn from_config(start: &str) -> anyhow::Result<Self> {
        if start.trim().is_empty() {
            return Ok(Self::real());
        }
        let at = DateTime::parse_from_rfc3339(start.trim())
            .map_err(|error| anyhow::anyhow!("clock_start {start:?}: {error}"))?;
        tracing::warn!(%at, "the notifications scheduler runs on a clock started by the configuration");
        Ok(Self::starting_at(at.with_timezone(&Utc)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.start {
            None => synergies_platform::time::now(),
            Some((at, started)) => {
                at + chrono::TimeDelta::from_std(started.elapsed()).unwrap_or_default()
            }
        }
    }
}

/// Each territory's time zone.
#[derive(Debug, Clone)]
pub struct TimeZones {
    default: Tz,
    tenants: HashMap<String, Tz>,
}

impl TimeZones {
    /// `default` (e.g. `Europe/Paris`) and `slug=Zone,…` exceptions.
    pub fn parse(default: &str, tenants: &str) -> anyhow::Result<Self> {
        let zone = |name: &str| {
            name.trim()
                .parse::<Tz>()
                .map_err(|_| anyhow::anyhow!("unknown time zone {name:?}"))
        };
        let mut zones = HashMap::new();
        for pair in tenants.split(',').filter(|p| !p.trim().is_empty()) {
            let (slug, name) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("tenant_time_zones: {pair:?} is not slug=Zone"))?;
            zones.insert(slug.trim().to_owned(), zone(name)?);
        }
        Ok(Self {
            default: zone(default)?,
            tenants: zones,
        })
    }

    pub fn of(&self, tenant: &str) -> Tz {
        self.tenants.get(tenant).copied().unwrap_or(self.default)
    }
}

/// 08:00 on `date` in `zone`, as an instant. A day whose 08:00 does not exist (a jump forward
/// over it) uses the first instant after the jump; an 08:00 that happens twice, the first.
fn digest_instant(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0).unwrap_or_default());
    for _ in 0..4 {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += chrono::TimeDelta::minutes(30);
    }
    Utc.from_utc_datetime(&local)
}

/// The end of the latest period of `frequency` that has ended at `now`: the latest 08:00
/// (daily) or Monday 08:00 (weekly) in `zone` not after `now`. `None` for the other rhythms.
pub fn latest_period_end(
    now: DateTime<Utc>,
    zone: Tz,
    frequency: Frequency,
) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&zone).date_naive();
    let days_back = match frequency {
        Frequency::Daily => 0,
        Frequency::Weekly => u64::from(today.weekday().num_days_from_monday()),
        Frequency::Immediate | Frequency::Never => return None,
    };
    let step = match frequency {
        Frequency::Weekly => 7,
        _ => 1,
    };
    let mut date = today.checked_sub_days(Days::new(days_back))?;
    loop {
        let at = digest_instant(zone, date);
        if at <= now {
            return Some(at);
        }
        date = date.checked_sub_days(Days::new(step))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn daily_digests_go_at_eight_in_the_territory_summer_and_winter() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // Winter (UTC+1): 07:30 UTC is 08:30 in Paris, the day's digest is due.
        assert_eq!(
            latest_period_end(utc("2030-01-08T07:30:00Z"), paris, Frequency::Daily),
            Some(utc("2030-01-08T07:00:00Z"))
        );
        // 06:59 UTC is 07:59 in Paris: yesterday's is the latest.
        assert_eq!(
            latest_period_end(utc("2030-01-08T06:59:00Z"), paris, Frequency::Daily),
            Some(utc("2030-01-07T07:00:00Z"))
        );
        // Summer (UTC+2).
        assert_eq!(
            latest_period_end(utc("2030-07-08T06:00:00Z"), paris, Frequency::Daily),
            Some(utc("2030-07-08T06:00:00Z"))
        );
        let reunion: Tz = "Indian/Reunion".parse().unwrap();
        assert_eq!(
            latest_period_end(utc("2030-07-08T06:00:00Z"), reunion, Frequency::Daily),
            Some(utc("2030-07-08T04:00:00Z"))
        );
    }

    #[test]
    fn weekly_digests_go_on_monday_morning() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 2030-01-09 is a Wednesday: the Monday before.
        assert_eq!(
            latest_period_end(utc("2030-01-09T12:00:00Z"), paris, Frequency::Weekly),
            Some(utc("2030-01-07T07:00:00Z"))
        );
        // Monday 07:59 in Paris: the Monday of the week before.
        assert_eq!(
            latest_period_end(utc("2030-01-07T06:59:00Z"), paris, Frequency::Weekly),
            Some(utc("2029-12-31T07:00:00Z"))
        );
        assert_eq!(
            latest_period_end(utc("2030-01-07T06:59:00Z"), paris, Frequency::Never),
            None
        );
    }

    #[test]
    fn zones_come_from_the_configuration_and_unknown_ones_are_refused() {
        let zones = TimeZones::parse("Europe/Paris", "reunion=Indian/Reunion").unwrap();
        assert_eq!(zones.of("dijon"), chrono_tz::Europe::Paris);
        assert_eq!(zones.of("reunion"), chrono_tz::Indian::Reunion);
        assert!(TimeZones::parse("Mars/Olympus", "").is_err());
        assert!(TimeZones::parse("Europe/Paris", "dijon").is_err());
    }

    #[test]
    fn a_started_clock_runs_from_its_start() {
        let clock = Clock::starting_at(utc("2030-01-07T07:00:00Z"));
        let now = clock.now();
        assert!(now >= utc("2030-01-07T07:00:00Z") && now < utc("2030-01-07T07:01:00Z"));
    }
}
