//! Chorus: an employee advocacy and recognition server.
//!
//! Where things live: [`config`] (settings), [`state`] (shared state), [`error`] (the API's one
//! error type), [`http`] (router, extractors, middleware), [`auth`] (sign-in and sessions),
//! [`people`] (organisations, users, teams, invitations, import), [`mail`] (templates, outbox),
//! [`jobs`] (the scheduler), [`db`] and [`entities`] (storage), [`seed`] (demo data).

#![forbid(unsafe_code)]

pub mod advocacy;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod people;
pub mod recognition;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod tenancy;

#[cfg(test)]
mod props;

pub use app::{Server, build_state, serve, spawn};
pub use config::Config;
pub use state::AppState;
