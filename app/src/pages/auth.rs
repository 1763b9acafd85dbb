//! Sign-in, password reset and invitation pages (no sign-in needed).

use super::go_to;
use crate::api::auth::{current_user, token_is_valid, Login, RequestPasswordReset, SetPassword};
use crate::ui::{field_error, FormError, TextField, ThemeToggle};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// `/`: send the visitor where they belong.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let path = match me.await {
                    Ok(Some(me)) => me.home(),
                    _ => "/login",
                };
                view! { <Redirect path=path/> }
            })}
        </Suspense>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let login = ServerAction::<Login>::new();
    let value = login.value();
    Effect::new(move || {
        if let Some(Ok(me)) = value.get() {
            go_to(me.home());
        }
    });
    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if let Ok(Some(me)) = me.await {
                    return view! { <Redirect path=me.home()/> }.into_any();
                }
                view! {
                    <main class="auth-page" id="main">
                        <div class="auth-tools"><ThemeToggle/></div>
                        <div class="auth-card">
                            <h1>"Sign in to Steward"</h1>
                            <ActionForm action=login>
                                <div class="form">
                                    <FormError value/>
                                    <TextField label="Email" name="email" kind="email" required=true
                                        autocomplete="username" error=field_error(value, "email") maxlength=254/>
                                    <TextField label="Password" name="password" kind="password" required=true
                                        autocomplete="current-password" error=field_error(value, "password")/>
                                    <div class="form-actions">
                                        <button class="button" type="submit" id="sign-in"
                                            disabled=move || login.pending().get()>"Sign in"</button>
                                        <a href="/forgot-password">"Forgot your password?"</a>
                                    </div>
                                </div>
                            </ActionForm>
                        </div>
                    </main>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let value = action.value();
    view! {
        <Title text="Reset your password"/>
        <main class="auth-page" id="main">
                        <div class="auth-tools"><ThemeToggle/></div>
            <div class="auth-card">
                <h1>"Reset your password"</h1>
                <Show
                    when=move || matches!(value.get(), Some(Ok(())))
                    fallback=move || view! {
                        <ActionForm action>
                            <div class="form">
                                <p class="hint">"We will email you a link to choose a new password."</p>
                                <FormError value/>
                                <TextField label="Email" name="email" kind="email" required=true
                                    autocomplete="username" error=field_error(value, "email") maxlength=254/>
                                <div class="form-actions">
                                    <button class="button" type="submit">"Send the link"</button>
                                    <a href="/login">"Back to sign in"</a>
                                </div>
                            </div>
                        </ActionForm>
                    }
                >
                    <p class="form-success" role="status">
                        "If an account uses that address, a link is on its way. It works once and expires in two hours."
                    </p>
                    <a href="/login">"Back to sign in"</a>
                </Show>
            </div>
        </main>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! { <SetPasswordForm invitation=false/> }
}

#[component]
pub fn InvitationPage() -> impl IntoView {
    view! { <SetPasswordForm invitation=true/> }
}

/// Choosing a password from an emailed link: a reset or an invitation.
#[component]
fn SetPasswordForm(invitation: bool) -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let valid = Resource::new(token, move |t| token_is_valid(t, invitation));
    let action = ServerAction::<SetPassword>::new();
    let value = action.value();
    Effect::new(move || {
        if let Some(Ok(me)) = value.get() {
            go_to(me.home());
        }
    });
    let (title, heading) = if invitation {
        ("Accept your invitation", "Welcome to Steward")
    } else {
        ("Choose a new password", "Choose a new password")
    };
    view! {
        <Title text=title/>
        <main class="auth-page" id="main">
                        <div class="auth-tools"><ThemeToggle/></div>
            <div class="auth-card">
                <h1>{heading}</h1>
                <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                    {move || Suspend::new(async move {
                        if !matches!(valid.await, Ok(true)) {
                            return view! {
                                <p class="form-error" role="alert">
                                    "This link has expired or was already used."
                                </p>
                                <a href="/forgot-password">"Ask for a new link"</a>
                            }.into_any();
                        }
                        view! {
                            <ActionForm action>
                                <div class="form">
                                    <p class="hint">"Use at least 10 characters."</p>
                                    <FormError value/>
                                    <input type="hidden" name="token" value=token()/>
                                    <input type="hidden" name="invitation" value=invitation.to_string()/>
                                    <TextField label="New password" name="password" kind="password" required=true
                                        autocomplete="new-password" error=field_error(value, "password")/>
                                    <TextField label="Repeat the password" name="confirm" kind="password" required=true
                                        autocomplete="new-password" error=field_error(value, "confirm")/>
                                    <div class="form-actions">
                                        <button class="button" type="submit" id="set-password">
                                            {if invitation { "Set password and sign in" } else { "Save and sign in" }}
                                        </button>
                                    </div>
                                </div>
                            </ActionForm>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}
