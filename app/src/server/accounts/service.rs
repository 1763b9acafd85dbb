//! Domain verbs on accounts.

use super::{repo, rules};
use crate::server::auth::{Caller, Permission};
use crate::server::{contacts, onboarding, AppState, ServiceError};
use crate::types::{
    Account, AccountDetail, AccountFilter, AccountId, AccountInput, AccountType, Choice,
    ConsoleSummary, OnboardingStart, Page,
};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 100;

/// What the caller may see: `None` means every account (staff), `Some` a client's subtree.
async fn reach(db: &PgPool, caller: &Caller) -> Result<Option<Vec<AccountId>>, ServiceError> {
    match caller {
        Caller::Client(c) => Ok(Some(repo::subtree(db, c.account_id).await?)),
        Caller::System => Ok(None),
        _ => {
            caller.staff(Permission::ReadAccounts)?;
            Ok(None)
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    db: &PgPool,
    caller: &Caller,
    filter: &AccountFilter,
) -> Result<Page<Account>, ServiceError> {
    let scope = reach(db, caller).await?;
    let per_page = filter
        .per_page
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let page = filter.page.unwrap_or(1).max(1);
    let (items, total) = repo::list_page(db, filter, scope.as_deref(), page, per_page).await?;
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// Keyset listing for the REST API; returns the page and the cursor of its last row.
pub async fn list_after(
    db: &PgPool,
    caller: &Caller,
    filter: &AccountFilter,
    after: Option<(DateTime<Utc>, AccountId)>,
    limit: u32,
) -> Result<Vec<Account>, ServiceError> {
    let scope = reach(db, caller).await?;
    Ok(repo::list_after(
        db,
        filter,
        scope.as_deref(),
        after,
        limit.clamp(1, MAX_PER_PAGE),
    )
    .await?)
}

/// One account, if the caller may see it. Out of reach looks the same as missing.
#[tracing::instrument(skip_all, fields(account_id = %id))]
pub async fn get(db: &PgPool, caller: &Caller, id: AccountId) -> Result<Account, ServiceError> {
    if let Some(scope) = reach(db, caller).await? {
        if !scope.contains(&id) {
            return Err(ServiceError::NotFound);
        }
    }
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

/// The account's 360° page: the record, its locations and contacts, and what the caller may do.
pub async fn detail(
    db: &PgPool,
    caller: &Caller,
    id: AccountId,
) -> Result<AccountDetail, ServiceError> {
    let account = get(db, caller, id).await?;
    let locations = repo::locations(db, id).await?;
    let contacts = contacts::repo::for_account(db, id).await?;
    let tickets = crate::server::tickets::for_account(db, caller, id).await?;
    Ok(AccountDetail {
        account,
        locations,
        contacts,
        tickets,
        can_edit: caller.can(Permission::WriteAccounts),
        can_delete: caller.can(Permission::DeleteAccounts),
        can_edit_accounting_id: caller.can(Permission::SetAccountingId),
        can_invite: caller.can(Permission::InviteClients),
    })
}

async fn check_links(
    db: &PgPool,
    id: Option<AccountId>,
    valid: &rules::ValidAccount,
) -> Result<(), ServiceError> {
    let mut checks = crate::server::error::Checks::default();
    if let Some(parent) = valid.parent_id {
        if !repo::exists(db, parent).await? {
            checks.add("parent_id", "does not exist");
        } else if let Some(id) = id {
            if repo::is_in_subtree(db, id, parent).await? {
                checks.add(
                    "parent_id",
                    "cannot be the account itself or one of its locations",
                );
            }
        }
    }
    if let Some(owner) = valid.owner_id {
        if !repo::is_staff_user(db, owner).await? {
            checks.add("owner_id", "must be a staff user");
        }
    }
    checks.finish()
}

/// A new account that is already a customer, or an account that becomes one, starts the
/// default onboarding in the same transaction (exactly once: see `onboarding`).
async fn became_customer(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    caller: &Caller,
    id: AccountId,
) -> Result<(), ServiceError> {
    onboarding::start_in(
        tx,
        &state.settings,
        id,
        None,
        OnboardingStart::BecameCustomer,
        caller.user_id(),
    )
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: &AccountInput,
) -> Result<Account, ServiceError> {
    let db = &state.db;
    if !matches!(caller, Caller::System) {
        caller.staff(Permission::WriteAccounts)?;
    }
    let valid = rules::validate(input)?;
    if valid.accounting_id.is_some() && !caller.can(Permission::SetAccountingId) {
        return Err(ServiceError::field(
            "accounting_id",
            "can only be set by an admin",
        ));
    }
    check_links(db, None, &valid).await?;
    let id = AccountId::new();
    let mut tx = db.begin().await?;
    repo::insert(&mut *tx, id, &valid)
        .await
        .map_err(ServiceError::from_db)?;
    if valid.account_type == AccountType::Customer {
        became_customer(&mut tx, state, caller, id).await?;
    }
    tx.commit().await?;
    tracing::info!(account_id = %id, "account created");
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

#[tracing::instrument(skip_all, fields(account_id = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
    input: &AccountInput,
) -> Result<Account, ServiceError> {
    let db = &state.db;
    caller.staff(Permission::WriteAccounts)?;
    let current = repo::find(db, id).await?.ok_or(ServiceError::NotFound)?;
    let valid = rules::validate(input)?;
    if valid.accounting_id != current.accounting_id && !caller.can(Permission::SetAccountingId) {
        return Err(ServiceError::field(
            "accounting_id",
            "can only be changed by an admin",
        ));
    }
    check_links(db, Some(id), &valid).await?;
    let mut tx = db.begin().await?;
    // The type as it is now, locked: two saves racing cannot both see "prospect".
    let was: Option<String> =
        sqlx::query_scalar("SELECT account_type FROM account WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(was) = was else {
        return Err(ServiceError::NotFound);
    };
    repo::update(&mut *tx, id, &valid)
        .await
        .map_err(ServiceError::from_db)?;
    if valid.account_type == AccountType::Customer && was != AccountType::Customer.as_str() {
        became_customer(&mut tx, state, caller, id).await?;
    }
    tx.commit().await?;
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

#[tracing::instrument(skip_all, fields(account_id = %id))]
pub async fn delete(db: &PgPool, caller: &Caller, id: AccountId) -> Result<(), ServiceError> {
    caller.staff(Permission::DeleteAccounts)?;
    if !repo::delete(db, id).await.map_err(ServiceError::from_db)? {
        return Err(ServiceError::NotFound);
    }
    tracing::info!("account deleted");
    Ok(())
}

/// Staff users who can own accounts, for the owner picker.
pub async fn owner_choices(db: &PgPool, caller: &Caller) -> Result<Vec<Choice>, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT id, display_name FROM app_user WHERE kind = 'staff' AND is_active ORDER BY display_name",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, label)| Choice {
            id: id.to_string(),
            label,
        })
        .collect())
}

/// Accounts matching a name, for parent and account pickers.
pub async fn search_choices(
    db: &PgPool,
    caller: &Caller,
    q: &str,
) -> Result<Vec<Choice>, ServiceError> {
    let filter = AccountFilter {
        q: Some(q.to_string()),
        per_page: Some(20),
        ..Default::default()
    };
    let page = list(db, caller, &filter).await?;
    Ok(page
        .items
        .into_iter()
        .map(|a| Choice {
            id: a.id.to_string(),
            label: a.name,
        })
        .collect())
}

pub async fn summary(db: &PgPool, caller: &Caller) -> Result<ConsoleSummary, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let (accounts, customers, prospects, locations): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE account_type = 'customer'),
                count(*) FILTER (WHERE account_type = 'prospect'),
                count(*) FILTER (WHERE parent_id IS NOT NULL)
         FROM account",
    )
    .fetch_one(db)
    .await?;
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
        .fetch_one(db)
        .await?;
    Ok(ConsoleSummary {
        accounts,
        customers,
        prospects,
        contacts,
        locations,
    })
}
