//! Chorus integration tests: each test runs a real server against its own database, on SQLite
//! and (when `CHORUS_TEST_POSTGRES_URL` is set) on PostgreSQL.

mod access;
mod advocacy;
mod auth;
mod badges;
mod cli;
mod errors;
mod hardening;
mod leaderboard;
mod limits;
mod mail;
mod matrix;
mod mydata;
mod ops;
mod people;
mod recognition;
mod redirects;
mod regressions;
mod scheduler;
mod service;
mod sessions;
mod tenancy;
