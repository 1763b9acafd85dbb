//! Onboarding templates: admins edit them; every change of steps is a new version.

use super::{repo, rules};
use crate::server::auth::{Caller, Permission};
use crate::server::ServiceError;
use crate::types::{
    TemplateDetail, TemplateId, TemplateInput, TemplateSummary, TemplateVersionInfo,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

fn from_db(err: sqlx::Error) -> ServiceError {
    if let sqlx::Error::Database(db) = &err {
        if db.constraint() == Some("onboarding_template_name_key") {
            return ServiceError::field("name", "is already used by another template");
        }
    }
    ServiceError::Database(err)
}

/// Templates to choose from (all staff) or to edit (admins, archived ones included).
pub async fn list_templates(
    db: &PgPool,
    caller: &Caller,
    include_archived: bool,
) -> Result<Vec<TemplateSummary>, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let archived = include_archived && caller.can(Permission::ManageOnboarding);
    Ok(repo::templates(db, archived).await?)
}

pub async fn template_detail(
    db: &PgPool,
    caller: &Caller,
    id: TemplateId,
) -> Result<TemplateDetail, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let summary = repo::template(db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let steps = repo::template_steps(db, id, summary.current_version).await?;
    let rows: Vec<(i32, DateTime<Utc>, Option<String>, i64)> = sqlx::query_as(
        "SELECT v.version, v.created_at, u.display_name,
                (SELECT count(*) FROM onboarding o WHERE o.template_id = v.template_id
                  AND o.template_version = v.version AND o.status = 'running')
         FROM onboarding_template_version v LEFT JOIN app_user u ON u.id = v.created_by
         WHERE v.template_id = $1 ORDER BY v.version DESC",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(TemplateDetail {
        summary,
        steps,
        versions: rows
            .into_iter()
            .map(
                |(version, created_at, created_by, running)| TemplateVersionInfo {
                    version,
                    created_at,
                    created_by,
                    running,
                },
            )
            .collect(),
    })
}

async fn clear_default_unless(tx: &mut PgConnection, id: TemplateId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE onboarding_template SET is_default = false WHERE is_default AND id <> $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn create_template(
    db: &PgPool,
    caller: &Caller,
    input: &TemplateInput,
) -> Result<TemplateSummary, ServiceError> {
    if !matches!(caller, Caller::System) {
        caller.staff(Permission::ManageOnboarding)?;
    }
    let valid = rules::validate_template(input)?;
    let id = TemplateId::new();
    let mut tx = db.begin().await?;
    if valid.is_default {
        clear_default_unless(&mut tx, id).await?;
    }
    sqlx::query(
        "INSERT INTO onboarding_template (id, name, description, is_default, current_version)
         VALUES ($1, $2, $3, $4, 1)",
    )
    .bind(id)
    .bind(&valid.name)
    .bind(&valid.description)
    .bind(valid.is_default)
    .execute(&mut *tx)
    .await
    .map_err(from_db)?;
    repo::insert_version(&mut tx, id, 1, caller.user_id(), &valid.steps).await?;
    tx.commit().await?;
    tracing::info!(template_id = %id, "onboarding template created");
    repo::template(db, id).await?.ok_or(ServiceError::NotFound)
}

/// Saves a template. Changed steps become a new version; onboardings already running keep
/// the version they started with. Name, description and default change in place.
pub async fn update_template(
    db: &PgPool,
    caller: &Caller,
    id: TemplateId,
    input: &TemplateInput,
) -> Result<TemplateSummary, ServiceError> {
    caller.staff(Permission::ManageOnboarding)?;
    let valid = rules::validate_template(input)?;
    let mut tx = db.begin().await?;
    let current: Option<(i32, bool)> = sqlx::query_as(
        "SELECT current_version, is_archived FROM onboarding_template WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (version, archived) = current.ok_or(ServiceError::NotFound)?;
    if archived {
        return Err(ServiceError::Conflict(
            "This template is archived. Restore it before editing.".into(),
        ));
    }
    if valid.is_default {
        clear_default_unless(&mut tx, id).await?;
    }
    let steps = repo::template_steps(&mut *tx, id, version).await?;
    let version = if steps == valid.steps {
        version
    } else {
        repo::insert_version(&mut tx, id, version + 1, caller.user_id(), &valid.steps).await?;
        version + 1
    };
    sqlx::query(
        "UPDATE onboarding_template SET name = $2, description = $3, is_default = $4,
             current_version = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(&valid.name)
    .bind(&valid.description)
    .bind(valid.is_default)
    .bind(version)
    .execute(&mut *tx)
    .await
    .map_err(from_db)?;
    tx.commit().await?;
    tracing::info!(template_id = %id, version, "onboarding template saved");
    repo::template(db, id).await?.ok_or(ServiceError::NotFound)
}

/// Archived templates start no new onboardings; running ones carry on.
pub async fn archive_template(
    db: &PgPool,
    caller: &Caller,
    id: TemplateId,
    archived: bool,
) -> Result<TemplateSummary, ServiceError> {
    caller.staff(Permission::ManageOnboarding)?;
    let done = sqlx::query(
        "UPDATE onboarding_template SET is_archived = $2,
             is_default = CASE WHEN $2 THEN false ELSE is_default END WHERE id = $1",
    )
    .bind(id)
    .bind(archived)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    repo::template(db, id).await?.ok_or(ServiceError::NotFound)
}
