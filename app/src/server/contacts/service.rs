//! Domain verbs on contacts, and the client's own profile.

use super::{repo, rules};
use crate::server::accounts;
use crate::server::auth::{Caller, Permission};
use crate::server::ServiceError;
use crate::types::{Company, Contact, ContactFilter, ContactId, ContactInput, Page, ProfileFields};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

async fn reach(
    db: &PgPool,
    caller: &Caller,
) -> Result<Option<Vec<crate::types::AccountId>>, ServiceError> {
    match caller {
        Caller::Client(c) => Ok(Some(accounts::repo::subtree(db, c.account_id).await?)),
        Caller::System => Ok(None),
        _ => {
            caller.staff(Permission::ReadContacts)?;
            Ok(None)
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    db: &PgPool,
    caller: &Caller,
    filter: &ContactFilter,
) -> Result<Page<Contact>, ServiceError> {
    let scope = reach(db, caller).await?;
    let per_page = filter
        .per_page
        .unwrap_or(accounts::DEFAULT_PER_PAGE)
        .clamp(1, accounts::MAX_PER_PAGE);
    let page = filter.page.unwrap_or(1).max(1);
    let (items, total) = repo::list_page(db, filter, scope.as_deref(), page, per_page).await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

pub async fn list_after(
    db: &PgPool,
    caller: &Caller,
    filter: &ContactFilter,
    after: Option<(DateTime<Utc>, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, ServiceError> {
    let scope = reach(db, caller).await?;
    Ok(repo::list_after(
        db,
        filter,
        scope.as_deref(),
        after,
        limit.clamp(1, accounts::MAX_PER_PAGE),
    )
    .await?)
}

#[tracing::instrument(skip_all, fields(contact_id = %id))]
pub async fn get(db: &PgPool, caller: &Caller, id: ContactId) -> Result<Contact, ServiceError> {
    let scope = reach(db, caller).await?;
    let contact = repo::find(db, id).await?.ok_or(ServiceError::NotFound)?;
    if let Some(scope) = scope {
        if !scope.contains(&contact.account_id) {
            return Err(ServiceError::NotFound);
        }
    }
    Ok(contact)
}

async fn check_account(db: &PgPool, valid: &rules::ValidContact) -> Result<(), ServiceError> {
    if !accounts::repo::exists(db, valid.account_id).await? {
        return Err(ServiceError::field("account_id", "does not exist"));
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &PgPool,
    caller: &Caller,
    input: &ContactInput,
) -> Result<Contact, ServiceError> {
    if !matches!(caller, Caller::System) {
        caller.staff(Permission::WriteContacts)?;
    }
    let valid = rules::validate(input)?;
    check_account(db, &valid).await?;
    let id = ContactId::new();
    let mut tx = db.begin().await?;
    repo::insert(&mut tx, id, &valid)
        .await
        .map_err(ServiceError::from_db)?;
    tx.commit().await?;
    tracing::info!(contact_id = %id, "contact created");
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

async fn save(db: &PgPool, id: ContactId, input: &ContactInput) -> Result<Contact, ServiceError> {
    let valid = rules::validate(input)?;
    check_account(db, &valid).await?;
    let mut tx = db.begin().await?;
    if !repo::update(&mut tx, id, &valid)
        .await
        .map_err(ServiceError::from_db)?
    {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await?;
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

#[tracing::instrument(skip_all, fields(contact_id = %id))]
pub async fn update(
    db: &PgPool,
    caller: &Caller,
    id: ContactId,
    input: &ContactInput,
) -> Result<Contact, ServiceError> {
    caller.staff(Permission::WriteContacts)?;
    save(db, id, input).await
}

#[tracing::instrument(skip_all, fields(contact_id = %id))]
pub async fn delete(db: &PgPool, caller: &Caller, id: ContactId) -> Result<(), ServiceError> {
    caller.staff(Permission::DeleteContacts)?;
    if !repo::delete(db, id).await.map_err(ServiceError::from_db)? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// The signed-in client's own contact record.
pub async fn my_profile(db: &PgPool, caller: &Caller) -> Result<Contact, ServiceError> {
    let client = caller.client()?;
    repo::find(db, client.contact_id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A client edits their own name, title, phones and LinkedIn; not their account or addresses.
pub async fn update_my_profile(
    db: &PgPool,
    caller: &Caller,
    fields: &ProfileFields,
) -> Result<Contact, ServiceError> {
    let client = caller.client()?;
    let current = repo::find(db, client.contact_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let contact = save(db, client.contact_id, &fields.apply_to(&current)).await?;
    sqlx::query("UPDATE app_user SET display_name = $2 WHERE id = $1")
        .bind(client.user_id)
        .bind(contact.full_name())
        .execute(db)
        .await?;
    Ok(contact)
}

/// The client's company as the portal shows it.
pub async fn my_company(db: &PgPool, caller: &Caller) -> Result<Company, ServiceError> {
    let client = caller.client()?;
    let account = accounts::get(db, caller, client.account_id).await?;
    let locations = accounts::repo::locations(db, client.account_id).await?;
    let me = my_profile(db, caller).await?;
    Ok(Company {
        account,
        locations,
        me,
    })
}
