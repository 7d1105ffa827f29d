//! Column, key and index builders shared by the migrations. They only shorten how a schema
//! is written; each migration still spells out its own tables, so history stays fixed.

use sea_orm_migration::prelude::*;

pub fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .uuid()
        .not_null()
        .primary_key()
        .take()
}
pub fn uuid(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().not_null().take()
}
pub fn uuid_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().null().take()
}
pub fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().take()
}
pub fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().take()
}
pub fn ts(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .not_null()
        .take()
}
pub fn ts_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .timestamp_with_time_zone()
        .null()
        .take()
}
/// A non-null 64-bit counter starting at 0.
pub fn big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .default(0)
        .take()
}
pub fn big_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().take()
}
/// A non-null 32-bit counter starting at 0.
pub fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .integer()
        .not_null()
        .default(0)
        .take()
}
pub fn json(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).json().not_null().take()
}
pub fn flag(name: &str, default: bool) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .boolean()
        .not_null()
        .default(default)
        .take()
}

/// `table.column` references `to.id`.
pub fn fk(
    table: &str,
    column: &str,
    to: &str,
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(action)
        .take()
}

/// `table.org_id` references its organisation; rows go with it.
pub fn org(table: &str) -> ForeignKeyCreateStatement {
    fk(table, "org_id", "organisations", ForeignKeyAction::Cascade)
}

pub fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.take()
}

/// A tenant table with a uuid `id`, `org_id` (referencing its organisation) and the given
/// columns.
pub fn tenant_table(name: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).col(id("id")).col(uuid("org_id"));
    for mut c in columns {
        t.col(&mut c);
    }
    t.foreign_key(&mut org(name));
    t.take()
}
