//! sea-orm entities for the tables in `migrations/`. Tenant-owned entities implement
//! [`crate::tenancy::OrgScoped`], which is the only way handlers start queries on them.

pub mod audit_log;
pub mod invitation;
pub mod job_run;
pub mod one_time_token;
pub mod organisation;
pub mod outbox;
pub mod refresh_token;
pub mod team;
pub mod team_manager;
pub mod user;
pub mod user_role;
