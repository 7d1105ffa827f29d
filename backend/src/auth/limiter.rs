//! Sign-in rate limits, per account and per client address, in process memory.
//!
//! With several servers each keeps its own counters, so the effective limit is multiplied by the
//! number of servers behind the balancer; the per-client limit still bounds a single attacker.

use std::{net::IpAddr, num::NonZeroU32};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::error::AppError;

pub struct AuthLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
}

impl AuthLimiter {
    pub fn new(per_account_per_minute: u32, per_client_per_minute: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            per_client: RateLimiter::keyed(quota(per_client_per_minute)),
        }
    }

    /// Counts one attempt for both keys; the first exhausted limit answers 429.
    pub fn check(&self, account: &str, client: IpAddr) -> Result<(), AppError> {
        let clock = DefaultClock::default();
        if let Err(wait) = self.per_client.check_key(&client) {
            return Err(AppError::RateLimited {
                retry_after_secs: wait.wait_time_from(clock.now()).as_secs() + 1,
            });
        }
        if let Err(wait) = self.per_account.check_key(&account.to_owned()) {
            return Err(AppError::RateLimited {
                retry_after_secs: wait.wait_time_from(clock.now()).as_secs() + 1,
            });
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully replenished (called by housekeeping).
    pub fn prune(&self) {
        self.per_account.retain_recent();
        self.per_client.retain_recent();
    }
}
