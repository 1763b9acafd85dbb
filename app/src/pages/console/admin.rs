use crate::api::admin::{
    list_api_keys, list_users, CreateApiKey, InviteStaff, RevokeApiKey, UpdateUser,
};
use crate::types::{ApiKeySummary, Role, UserSummary};
use crate::ui::{field_error, ErrorNotice, FormError, SelectField, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect()
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let invite = ServerAction::<InviteStaff>::new();
    let update = ServerAction::<UpdateUser>::new();
    let value = invite.value();
    let users = Resource::new(
        move || (invite.version().get(), update.version().get()),
        |_| list_users(),
    );
    view! {
        <Title text="Users"/>
        <div class="page-header"><h1>"Users and roles"</h1></div>
        <section class="card section" aria-labelledby="invite-h">
            <h2 id="invite-h">"Invite a staff member"</h2>
            <ActionForm action=invite>
                <div class="form">
                    <FormError value/>
                    {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status">"Invitation sent."</p> })}
                    <div class="field-row">
                        <TextField label="Email" name="email" kind="email" required=true maxlength=254 error=field_error(value, "email")/>
                        <TextField label="Name" name="display_name" required=true error=field_error(value, "display_name")/>
                    </div>
                    <SelectField label="Role" name="role" options=role_options() selected="support_agent" error=field_error(value, "role")/>
                    <div class="form-actions"><button class="button" type="submit" id="invite-staff">"Send invitation"</button></div>
                </div>
            </ActionForm>
        </section>
        <FormError value=update.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data" id="users-table">
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Kind"</th>
                                    <th scope="col">"Role and access"</th><th scope="col">"Last sign-in"</th>
                                </tr></thead>
                                <tbody>{list.into_iter().map(|u| view! { <UserRow u update/> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserRow(u: UserSummary, update: ServerAction<UpdateUser>) -> impl IntoView {
    let kind = if u.role.is_some() { "Staff" } else { "Client" };
    let status = if !u.has_password { " (invited)" } else { "" };
    let role_select_id = format!("role-{}", u.id);
    let active_id = format!("active-{}", u.id);
    let active_for = active_id.clone();
    view! {
        <tr>
            <td>{u.display_name.clone()}{status}</td>
            <td>{u.email.clone()}</td>
            <td>{kind}</td>
            <td>
                <ActionForm action=update>
                    <div class="row">
                        <input type="hidden" name="id" value=u.id.to_string()/>
                        {match u.role {
                            Some(role) => view! {
                                <label class="visually-hidden" for=role_select_id.clone()>"Role"</label>
                                <select name="role" id=role_select_id>
                                    {role_options().into_iter().map(|(v, l)| {
                                        let sel = v == role.as_str();
                                        view! { <option value=v selected=sel>{l}</option> }
                                    }).collect_view()}
                                </select>
                            }.into_any(),
                            None => view! { <input type="hidden" name="role" value=""/> }.into_any(),
                        }}
                        <label for=active_for>
                            <input type="checkbox" id=active_id name="active" value="on" checked=u.is_active/>
                            " Active"
                        </label>
                        <button class="button secondary" type="submit">"Save"</button>
                    </div>
                </ActionForm>
            </td>
            <td>{u.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
        </tr>
    }
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let value = create.value();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    view! {
        <Title text="API keys"/>
        <div class="page-header"><h1>"API keys"</h1></div>
        <p class="hint">"Keys call the REST API at /api/v1 with the permissions of their role. "
            <a href="/api/v1/openapi.json">"OpenAPI document"</a></p>
        <section class="card section" aria-labelledby="new-key-h">
            <h2 id="new-key-h">"Create a key"</h2>
            <ActionForm action=create>
                <div class="form">
                    <FormError value/>
                    <div class="field-row">
                        <TextField label="Name" name="name" required=true maxlength=100 hint="What uses it, e.g. ERP sync" error=field_error(value, "name")/>
                        <SelectField label="Role" name="role" options=role_options() selected="sales_rep" error=field_error(value, "role")/>
                    </div>
                    <div class="form-actions"><button class="button" type="submit">"Create key"</button></div>
                </div>
            </ActionForm>
            {move || value.get().and_then(|r| r.ok()).map(|k| view! {
                <div class="form-success" role="status">
                    <p>"Copy this key now; it will not be shown again."</p>
                    <code class="secret" id="new-api-key">{k.secret}</code>
                </div>
            })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data">
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Role"</th>
                                    <th scope="col">"Last used"</th><th scope="col">"State"</th>
                                </tr></thead>
                                <tbody>{list.into_iter().map(|k| key_row(k, revoke)).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn key_row(k: ApiKeySummary, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <tr>
            <td>{k.name}</td>
            <td><code>{k.prefix}</code></td>
            <td>{k.role.label()}</td>
            <td>{k.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
            <td>{if k.revoked {
                "Revoked".into_any()
            } else {
                view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="id" value=k.id.to_string()/>
                        <button class="button danger" type="submit">"Revoke"</button>
                    </ActionForm>
                }.into_any()
            }}</td>
        </tr>
    }
}
