//! sea-orm entities for the tables in `migrations/`. Tenant-owned entities implement
//! [`crate::tenancy::OrgScoped`], which is the only way handlers start queries on them.

pub mod advocate;
pub mod audit_log;
pub mod campaign;
pub mod click;
pub mod click_visitor;
pub mod consent_event;
pub mod emv_setting;
pub mod engagement_report;
pub mod integration;
pub mod invitation;
pub mod job_run;
pub mod network_profile;
pub mod one_time_token;
pub mod organisation;
pub mod outbox;
pub mod post;
pub mod post_suggestion;
pub mod reach_daily;
pub mod refresh_token;
pub mod share;
pub mod team;
pub mod team_manager;
pub mod user;
pub mod user_role;
pub mod visitor_salt;
pub mod webhook_receipt;
