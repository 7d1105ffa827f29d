//! Organisations, people, teams, access tokens, audit log, mail outbox and scheduled job runs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Organisations {
    Table,
    Id,
    Name,
    Slug,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Teams {
    Table,
    Id,
    OrgId,
    Name,
    ParentId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    OrgId,
    Email,
    DisplayName,
    PasswordHash,
    Status,
    TeamId,
    ExternalId,
    IdentityProvider,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserRoles {
    Table,
    OrgId,
    UserId,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum TeamManagers {
    Table,
    OrgId,
    TeamId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    OrgId,
    Email,
    Roles,
    TeamId,
    TokenHash,
    InvitedBy,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OneTimeTokens {
    Table,
    Id,
    OrgId,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    OrgId,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    OrgId,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    OrgId,
    Kind,
    ToAddress,
    Subject,
    HtmlBody,
    TextBody,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LockedBy,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum JobRuns {
    Table,
    Id,
    Job,
    ScheduledFor,
    Instance,
    StartedAt,
    FinishedAt,
    Outcome,
    Error,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().primary_key().take()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().take()
}

fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().take()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().take()
}

fn text_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().take()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

fn org_fk(table: impl IntoIden + Clone + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new("org_id"))
        .to(Organisations::Table, Organisations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Organisations::Table)
                .col(id(Organisations::Id))
                .col(text(Organisations::Name))
                .col(text(Organisations::Slug).unique_key())
                .col(ts(Organisations::CreatedAt))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(id(Teams::Id))
                .col(uuid(Teams::OrgId))
                .col(text(Teams::Name))
                .col(uuid_null(Teams::ParentId))
                .col(ts(Teams::CreatedAt))
                .foreign_key(&mut org_fk(Teams::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(Teams::Table, Teams::ParentId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_teams_org_name")
                .table(Teams::Table)
                .col(Teams::OrgId)
                .col(Teams::Name)
                .unique()
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(uuid(Users::OrgId))
                .col(text(Users::Email).unique_key())
                .col(text(Users::DisplayName))
                .col(text_null(Users::PasswordHash))
                .col(text(Users::Status))
                .col(uuid_null(Users::TeamId))
                .col(text_null(Users::ExternalId))
                .col(text_null(Users::IdentityProvider))
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .col(ts_null(Users::LastLoginAt))
                .foreign_key(&mut org_fk(Users::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_users_org")
                .table(Users::Table)
                .col(Users::OrgId)
                .col(Users::DisplayName)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRoles::Table)
                .col(uuid(UserRoles::OrgId))
                .col(uuid(UserRoles::UserId))
                .col(text(UserRoles::Role))
                .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
                .foreign_key(&mut org_fk(UserRoles::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(UserRoles::Table, UserRoles::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TeamManagers::Table)
                .col(uuid(TeamManagers::OrgId))
                .col(uuid(TeamManagers::TeamId))
                .col(uuid(TeamManagers::UserId))
                .primary_key(
                    Index::create()
                        .col(TeamManagers::TeamId)
                        .col(TeamManagers::UserId),
                )
                .foreign_key(&mut org_fk(TeamManagers::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(TeamManagers::Table, TeamManagers::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TeamManagers::Table, TeamManagers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_team_managers_user")
                .table(TeamManagers::Table)
                .col(TeamManagers::UserId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(id(Invitations::Id))
                .col(uuid(Invitations::OrgId))
                .col(text(Invitations::Email))
                .col(text(Invitations::Roles))
                .col(uuid_null(Invitations::TeamId))
                .col(text(Invitations::TokenHash).unique_key())
                .col(uuid_null(Invitations::InvitedBy))
                .col(ts(Invitations::ExpiresAt))
                .col(ts_null(Invitations::AcceptedAt))
                .col(ts_null(Invitations::RevokedAt))
                .col(ts(Invitations::CreatedAt))
                .foreign_key(&mut org_fk(Invitations::Table))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeTokens::Table)
                .col(id(OneTimeTokens::Id))
                .col(uuid(OneTimeTokens::OrgId))
                .col(uuid(OneTimeTokens::UserId))
                .col(text(OneTimeTokens::Purpose))
                .col(text(OneTimeTokens::TokenHash).unique_key())
                .col(ts(OneTimeTokens::ExpiresAt))
                .col(ts_null(OneTimeTokens::UsedAt))
                .col(ts(OneTimeTokens::CreatedAt))
                .foreign_key(&mut org_fk(OneTimeTokens::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(OneTimeTokens::Table, OneTimeTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(id(RefreshTokens::Id))
                .col(uuid(RefreshTokens::OrgId))
                .col(uuid(RefreshTokens::UserId))
                .col(uuid(RefreshTokens::FamilyId))
                .col(text(RefreshTokens::TokenHash).unique_key())
                .col(ts(RefreshTokens::ExpiresAt))
                .col(ts_null(RefreshTokens::UsedAt))
                .col(ts_null(RefreshTokens::RevokedAt))
                .col(ts(RefreshTokens::CreatedAt))
                .foreign_key(&mut org_fk(RefreshTokens::Table))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_family")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::FamilyId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(id(AuditLog::Id))
                .col(uuid(AuditLog::OrgId))
                .col(uuid_null(AuditLog::ActorId))
                .col(text(AuditLog::Action))
                .col(text(AuditLog::TargetType))
                .col(text_null(AuditLog::TargetId))
                .col(ColumnDef::new(AuditLog::Before).json().null())
                .col(ColumnDef::new(AuditLog::After).json().null())
                .col(ts(AuditLog::CreatedAt))
                .foreign_key(&mut org_fk(AuditLog::Table))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_log_org_time")
                .table(AuditLog::Table)
                .col(AuditLog::OrgId)
                .col(AuditLog::CreatedAt)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(id(Outbox::Id))
                .col(uuid(Outbox::OrgId))
                .col(text(Outbox::Kind))
                .col(text(Outbox::ToAddress))
                .col(text(Outbox::Subject))
                .col(text(Outbox::HtmlBody))
                .col(text(Outbox::TextBody))
                .col(text(Outbox::Status))
                .col(
                    ColumnDef::new(Outbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts(Outbox::NextAttemptAt))
                .col(ts_null(Outbox::LockedUntil))
                .col(text_null(Outbox::LockedBy))
                .col(text_null(Outbox::LastError))
                .col(ts(Outbox::CreatedAt))
                .col(ts_null(Outbox::SentAt))
                .foreign_key(&mut org_fk(Outbox::Table))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobRuns::Table)
                .col(id(JobRuns::Id))
                .col(text(JobRuns::Job))
                .col(ts(JobRuns::ScheduledFor))
                .col(text(JobRuns::Instance))
                .col(ts(JobRuns::StartedAt))
                .col(ts_null(JobRuns::FinishedAt))
                .col(text(JobRuns::Outcome))
                .col(text_null(JobRuns::Error))
                .take(),
        )
        .await?;
        // The unique (job, tick) pair is the scheduler's lease: exactly one process can insert it.
        m.create_index(
            Index::create()
                .name("ux_job_runs_tick")
                .table(JobRuns::Table)
                .col(JobRuns::Job)
                .col(JobRuns::ScheduledFor)
                .unique()
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobRuns::Table.into_iden(),
            Outbox::Table.into_iden(),
            AuditLog::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            OneTimeTokens::Table.into_iden(),
            Invitations::Table.into_iden(),
            TeamManagers::Table.into_iden(),
            UserRoles::Table.into_iden(),
            Users::Table.into_iden(),
            Teams::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
