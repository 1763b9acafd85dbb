//! The welcome email: an editable Markdown template with `{{variables}}`, sent with a plain
//! text and an HTML part when an onboarding starts, through the durable mail outbox (which
//! records attempts and retries), and listed on the account.

use super::{repo, rules};
use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::{email, users, ServiceError, Settings};
use crate::types::{OnboardingId, WelcomeTemplate};
use sqlx::{PgConnection, PgPool};

pub const VARIABLES: [&str; 6] = [
    "contact_name",
    "contact_first_name",
    "account_name",
    "account_manager",
    "portal_link",
    "company",
];

/// The sender's display name ("Acme Services" in `Acme Services <help@acme.test>`).
pub fn company(settings: &Settings) -> String {
    settings
        .mail_from
        .parse::<lettre::message::Mailbox>()
        .ok()
        .and_then(|m| m.name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Steward".into())
}

pub async fn template(db: &PgPool, caller: &Caller) -> Result<WelcomeTemplate, ServiceError> {
    caller.staff(Permission::ManageOnboarding)?;
    let (subject, body_markdown): (String, String) =
        sqlx::query_as("SELECT subject, body_markdown FROM email_template WHERE key = 'welcome'")
            .fetch_one(db)
            .await?;
    Ok(WelcomeTemplate {
        subject,
        body_markdown,
        variables: VARIABLES.iter().map(|v| format!("{{{{{v}}}}}")).collect(),
    })
}

fn check(subject: &str, body: &str) -> Result<(String, String), ServiceError> {
    let mut checks = Checks::default();
    let subject = checks.required("subject", subject, 200);
    let body = checks.required("body_markdown", body, 20_000);
    for (field, text) in [("subject", &subject), ("body_markdown", &body)] {
        let unknown = rules::unknown_variables(text, &VARIABLES);
        if !unknown.is_empty() {
            checks.add(
                field,
                &format!("uses unknown variables: {}", unknown.join(", ")),
            );
        }
    }
    checks.finish()?;
    Ok((subject, body))
}

pub async fn save_template(
    db: &PgPool,
    caller: &Caller,
    subject: &str,
    body: &str,
) -> Result<WelcomeTemplate, ServiceError> {
    let staff = caller.staff(Permission::ManageOnboarding)?;
    let (subject, body) = check(subject, body)?;
    sqlx::query(
        "UPDATE email_template SET subject = $1, body_markdown = $2, updated_by = $3, updated_at = now()
         WHERE key = 'welcome'",
    )
    .bind(&subject)
    .bind(&body)
    .bind(staff.user_id)
    .execute(db)
    .await?;
    template(db, caller).await
}

/// The template filled with sample values and rendered, for the editor's preview.
pub fn preview(
    caller: &Caller,
    settings: &Settings,
    subject: &str,
    body: &str,
) -> Result<(String, String), ServiceError> {
    caller.staff(Permission::ManageOnboarding)?;
    let company = company(settings);
    let vars = [
        ("contact_name", "Ada Lovelace"),
        ("contact_first_name", "Ada"),
        ("account_name", "Analytical Engines Ltd"),
        ("account_manager", "Your account manager"),
        ("portal_link", "https://example.invalid/invitation"),
        ("company", company.as_str()),
    ];
    Ok((
        rules::fill(subject, &vars),
        crate::server::knowledge::rules::render(&rules::fill(body, &vars)).html,
    ))
}

/// Sends the welcome email for a new onboarding, in its transaction: the welcomed contact gets
/// a portal user (the account's client admin if it has none yet) and a single-use link to
/// choose a password. Returns false when the account has no contact with an address.
pub async fn send(
    tx: &mut PgConnection,
    settings: &Settings,
    onboarding: OnboardingId,
) -> Result<bool, ServiceError> {
    let party = repo::party(tx, onboarding).await?;
    let (Some(contact_id), Some(address), Some(name)) = (
        party.contact_id,
        party.contact_email.as_deref(),
        party.contact_name.as_deref(),
    ) else {
        tracing::warn!(%onboarding, "no contact with an address: no welcome email");
        return Ok(false);
    };
    // In a savepoint: an address that already belongs to another user must not undo the
    // change that started the onboarding (an account saved as a customer); staff see on the
    // account that no welcome went out and can send it once the address is fixed.
    let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
    let (user_id, has_password) =
        match users::service::ensure_client_user(&mut savepoint, contact_id, address, name).await {
            Ok(user) => {
                savepoint.commit().await?;
                user
            }
            Err(e @ (ServiceError::Validation(_) | ServiceError::Conflict(_))) => {
                savepoint.rollback().await?;
                tracing::warn!(%onboarding, error = %e, "welcome email not sent");
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
    sqlx::query(
        "UPDATE app_user SET is_client_admin = true WHERE id = $1 AND NOT EXISTS (
             SELECT 1 FROM app_user u JOIN contact c ON c.id = u.contact_id
             WHERE u.is_client_admin AND u.is_active AND c.account_id = $2)",
    )
    .bind(user_id)
    .bind(party.account_id)
    .execute(&mut *tx)
    .await?;
    let link = users::service::portal_link(tx, settings, user_id, has_password).await?;
    let (subject, body): (String, String) =
        sqlx::query_as("SELECT subject, body_markdown FROM email_template WHERE key = 'welcome'")
            .fetch_one(&mut *tx)
            .await?;
    let company = company(settings);
    let manager = party
        .owner_name
        .clone()
        .unwrap_or_else(|| format!("the {company} team"));
    let vars = [
        ("contact_name", name),
        (
            "contact_first_name",
            party.contact_first_name.as_deref().unwrap_or(name),
        ),
        ("account_name", party.account_name.as_str()),
        ("account_manager", manager.as_str()),
        ("portal_link", link.as_str()),
        ("company", company.as_str()),
    ];
    let subject = rules::fill(&subject, &vars);
    let text = rules::fill(&body, &vars);
    let html = crate::server::knowledge::rules::render(&text).html;
    email::enqueue_mail(
        &mut *tx,
        &email::Mail {
            to: address,
            subject: &subject,
            body_text: &text,
            body_html: Some(&html),
            account_id: Some(party.account_id),
            kind: "welcome",
            ..Default::default()
        },
    )
    .await?;
    Ok(true)
}
