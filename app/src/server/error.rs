//! The domain's error: what went wrong in business terms. Mapped once to the wire at each edge.

use crate::error::{AppError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts")]
    TooManyRequests,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, message: &str) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, message)])
    }

    /// Turns known constraint violations into errors a person can act on,
    /// by constraint name rather than by message text.
    pub fn from_db(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.constraint() {
                Some("contact_email_email_key") => {
                    return Self::field("emails", "is already used by another contact")
                }
                Some("account_accounting_id_key") => {
                    return Self::field("accounting_id", "is already used by another account")
                }
                Some("app_user_email_key") => {
                    return Self::field("email", "is already used by another user")
                }
                Some("app_user_contact_id_key") => {
                    return Self::Conflict("This contact already has portal access.".into())
                }
                Some("account_parent_id_fkey") => {
                    return Self::Conflict(
                        "This account has locations. Move or delete them first.".into(),
                    )
                }
                Some("contact_account_id_fkey") => {
                    return Self::Conflict(
                        "This account still has contacts. Move or delete them first.".into(),
                    )
                }
                _ => {}
            }
        }
        ServiceError::Database(err)
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated => AppError::Unauthorized,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Validation(v) => AppError::Validation(v),
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::TooManyRequests => AppError::TooManyRequests,
            ServiceError::Database(e) => {
                tracing::error!(error = %e, "database error");
                AppError::Internal
            }
            ServiceError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                AppError::Internal
            }
        }
    }
}

/// Collects field errors; `finish` fails if any were recorded.
#[derive(Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn add(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// Trims, requires a value and bounds its length.
    pub fn required(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "is required");
        } else if v.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        v.to_string()
    }

    /// Trims an optional value (empty becomes none) and bounds its length.
    pub fn optional(&mut self, field: &str, value: &Option<String>, max: usize) -> Option<String> {
        let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        Some(v.to_string())
    }

    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(self.0))
        }
    }
}
