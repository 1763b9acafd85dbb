//! The knowledge base: public pages anyone may read (`/kb`, `/kb/:slug`, server-rendered
//! with proper titles so search engines index them), the console's list and editor
//! (`/console/kb`), and the suggestions beside the ticket form.

use crate::api::knowledge::*;
use crate::pages::console::encode;
use crate::types::{
    ArticleEditor, ArticleHit, ArticleId, ArticleStatus, ArticleSummary, ArticleVisibility,
    KnowledgeBaseHome, SnippetPart,
};
use crate::ui::{field_error, ErrorNotice, FormError, SelectField, TextField};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn not_found_status(e: &crate::error::AppError) {
    #[cfg(feature = "ssr")]
    if *e == crate::error::AppError::NotFound {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let _ = e;
}

/// A snippet with its matched words marked; always text, never HTML.
fn snippet(parts: Vec<SnippetPart>) -> impl IntoView {
    parts
        .into_iter()
        .map(|p| {
            if p.mark {
                view! { <mark>{p.text}</mark> }.into_any()
            } else {
                p.text.into_any()
            }
        })
        .collect_view()
}

#[component]
fn KbFrame(children: Children) -> impl IntoView {
    view! {
        <div class="kb-shell">
            <header class="kb-header">
                <a class="brand" href="/kb">"Steward help centre"</a>
                <nav aria-label="Help centre" class="user-menu">
                    <a href="/portal">"Client portal"</a>
                    <crate::ui::ThemeToggle/>
                </nav>
            </header>
            <main id="main" class="kb-main">{children()}</main>
        </div>
    }
}

fn search_form(q: String) -> impl IntoView {
    view! {
        <form class="kb-search" method="get" action="/kb" role="search">
            <label for="kb-q" class="visually-hidden">"Search the help centre"</label>
            <input id="kb-q" name="q" type="search" value=q maxlength="200"
                placeholder="Search articles, e.g. printer offline"/>
            <button class="button" type="submit">"Search"</button>
        </form>
    }
}

fn hit_list(hits: Vec<ArticleHit>, from_ticket: Option<String>) -> impl IntoView {
    view! {
        <ol class="kb-results" id="kb-results">
            {hits.into_iter().map(|h| {
                let href = match &from_ticket {
                    Some(subject) => format!("/kb/{}?from=ticket&subject={}", h.slug, encode(subject)),
                    None => format!("/kb/{}", h.slug),
                };
                view! {
                    <li>
                        <a href=href>{h.title}</a>
                        {h.category_name.map(|c| view! { " " <span class="muted">{c}</span> })}
                        <p class="snippet">{snippet(h.snippet)}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

fn article_list(articles: Vec<ArticleSummary>) -> impl IntoView {
    view! {
        <ul class="stack" id="kb-articles">
            {articles.into_iter().map(|a| view! {
                <li><a href=format!("/kb/{}", a.slug)>{a.title}</a>
                    {a.category_name.map(|c| view! { " " <span class="muted">{c}</span> })}</li>
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn KnowledgeBasePage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("q").unwrap_or_default(),
                q.get("category").and_then(|c| c.parse().ok()),
            )
        })
    };
    let home = Resource::new(params, |(q, category)| load_knowledge_base(q, category));
    view! {
        <Title text="Help centre"/>
        <Meta name="description" content="Guides, answers and documentation from our support team."/>
        <KbFrame>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match home.await {
                        Ok(h) => view! { <KbHome h/> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </KbFrame>
    }
}

#[component]
fn KbHome(h: KnowledgeBaseHome) -> impl IntoView {
    let KnowledgeBaseHome {
        categories,
        articles,
        hits,
        query,
    } = h;
    let searching = !query.is_empty();
    view! {
        <h1>"How can we help?"</h1>
        {search_form(query.clone())}
        <div class="kb-layout">
            <nav class="kb-categories" aria-label="Categories">
                <h2>"Categories"</h2>
                <ul class="stack">
                    <li><a href="/kb">"All articles"</a></li>
                    {categories.into_iter().filter(|c| c.article_count > 0).map(|c| view! {
                        <li><a href=format!("/kb?category={}", c.id)>{c.name}</a>" "
                            <span class="muted">{c.article_count}</span></li>
                    }).collect_view()}
                </ul>
            </nav>
            <section class="kb-list" aria-labelledby="kb-list-h">
                {if searching {
                    let n = hits.len();
                    view! {
                        <h2 id="kb-list-h">{format!("Results for “{query}”")}</h2>
                        {if n == 0 {
                            view! { <p class="empty" id="kb-no-results">"No articles match. Try other words, or raise a ticket from the portal."</p> }.into_any()
                        } else {
                            hit_list(hits, None).into_any()
                        }}
                    }.into_any()
                } else {
                    view! {
                        <h2 id="kb-list-h">"Articles"</h2>
                        {if articles.is_empty() {
                            view! { <p class="empty">"No articles yet."</p> }.into_any()
                        } else {
                            article_list(articles).into_any()
                        }}
                    }.into_any()
                }}
            </section>
        </div>
    }
}

#[component]
pub fn ArticlePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let slug = params.with(|p| p.get("slug").unwrap_or_default());
        let subject = query.with(|q| {
            (q.get("from").as_deref() == Some("ticket"))
                .then(|| q.get("subject").unwrap_or_default())
        });
        (slug, subject)
    };
    let article = Resource::new(key, |(slug, subject)| read_article(slug, subject));
    view! {
        <KbFrame>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let subject = key().1;
                    match article.await {
                        Ok(a) => view! { <ArticleView a subject/> }.into_any(),
                        Err(e) => {
                            not_found_status(&e);
                            view! { <Title text="Not found"/><ErrorNotice error=e/> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </KbFrame>
    }
}

#[component]
fn ArticleView(a: crate::types::Article, subject: Option<String>) -> impl IntoView {
    let s = a.summary.clone();
    let vote = ServerAction::<VoteOnArticle>::new();
    let voted = vote.value();
    let abandon = ServerAction::<AbandonTicketForArticle>::new();
    let abandoned = abandon.value();
    let reader = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| reader.set(crate::ui::reader_token()));
    let counts = move || match voted.get() {
        Some(Ok((yes, no))) => (yes, no),
        _ => (s.helpful_yes, s.helpful_no),
    };
    let slug = s.slug.clone();
    let back = subject
        .as_ref()
        .map(|subj| format!("/portal/tickets/new?subject={}", encode(subj)));
    view! {
        <Title text=s.title.clone()/>
        <Meta name="description" content=format!("{} — help centre article", s.title)/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/kb">"Help centre"</a>
            {s.category_id.zip(s.category_name.clone()).map(|(id, name)| view! {
                " / " <a href=format!("/kb?category={id}")>{name}</a>
            })}
        </nav>
        <article class="kb-article">
            <header class="page-header">
                <h1 id="article-title">{s.title.clone()}</h1>
                {a.can_edit.then(|| view! { <a class="button secondary" href=format!("/console/kb/{}", s.id)>"Edit"</a> })}
            </header>
            <p class="muted">
                {s.published_at.map(|p| format!("Published {}", date(p))).unwrap_or_else(|| s.status.label().to_string())}
                {format!(" · updated {}", date(s.updated_at))}
                {(s.visibility != ArticleVisibility::Public).then(|| view! { " · " <span class="badge">{s.visibility.label()}</span> })}
            </p>
            {back.clone().map(|back| {
                let slug = slug.clone();
                let subject = subject.clone().unwrap_or_default();
                view! {
                    <aside class="card section deflection" id="deflection" aria-label="Your ticket">
                        <p>{format!("You were raising a ticket about “{subject}”. Did this article answer it?")}</p>
                        <FormError value=abandoned/>
                        <div class="form-actions">
                            <ActionForm action=abandon>
                                <input type="hidden" name="slug" value=slug/>
                                <input type="hidden" name="subject" value=subject/>
                                <button class="button" type="submit" id="no-ticket-needed">"Yes, I no longer need a ticket"</button>
                            </ActionForm>
                            <a class="button secondary" href=back id="back-to-ticket">"No, back to my ticket"</a>
                        </div>
                    </aside>
                }
            })}
            <div class="kb-body" id="article-body" inner_html=a.body_html></div>
            {(!s.tags.is_empty()).then(|| view! {
                <p class="tags">{s.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span>" " }).collect_view()}</p>
            })}
            <section class="kb-helpful" aria-labelledby="helpful-h">
                <h2 id="helpful-h">"Was this helpful?"</h2>
                <FormError value=voted/>
                <ActionForm action=vote>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="reader" prop:value=move || reader.get()/>
                    <div class="form-actions">
                        <button class="button secondary" type="submit" name="helpful" value="true" id="helpful-yes">"Yes"</button>
                        <button class="button secondary" type="submit" name="helpful" value="false" id="helpful-no">"No"</button>
                        <span class="muted" id="helpful-counts">{move || { let (y, n) = counts(); format!("{y} found this helpful, {n} did not") }}</span>
                    </div>
                </ActionForm>
                {move || matches!(voted.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status">"Thank you for your feedback."</p> })}
            </section>
        </article>
        {(!a.related.is_empty()).then(|| view! {
            <section class="section" aria-labelledby="related-h">
                <h2 id="related-h">"Related articles"</h2>
                <ul class="stack" id="related-articles">
                    {a.related.into_iter().map(|r| view! { <li><a href=format!("/kb/{}", r.slug)>{r.title}</a></li> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

// ---------------------------------------------------------------- the ticket form

/// Articles matching the ticket subject being typed, offered before the ticket is sent.
/// Opening one from here lets the client say it answered them (deflection).
#[component]
pub fn ArticleSuggestions(subject: ReadSignal<String>, client: bool) -> impl IntoView {
    let found = Resource::new(
        move || subject.get(),
        |s| async move {
            if s.trim().chars().count() < 3 {
                Ok(vec![])
            } else {
                suggest_articles(s).await
            }
        },
    );
    view! {
        <div id="kb-suggestions" class="kb-suggestions" aria-live="polite">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(hits) if !hits.is_empty() => {
                            let from = client.then(|| subject.get_untracked());
                            Some(view! {
                                <p><strong>"These articles may answer your question:"</strong></p>
                                {hit_list(hits, from)}
                            })
                        }
                        _ => None,
                    }
                })}
            </Transition>
        </div>
    }
}

// ---------------------------------------------------------------- console

fn visibility_badge(v: ArticleVisibility) -> impl IntoView {
    view! { <span class=format!("badge kb-{}", v.as_str())>{v.label()}</span> }
}

fn status_badge(s: ArticleStatus) -> impl IntoView {
    view! { <span class=format!("badge kb-{}", s.as_str())>{s.label()}</span> }
}

#[component]
pub fn KnowledgeBaseConsolePage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            (
                q.get("q").unwrap_or_default(),
                q.get("status").unwrap_or_default(),
            )
        })
    };
    let save_category = ServerAction::<SaveArticleCategory>::new();
    let delete_category = ServerAction::<DeleteArticleCategory>::new();
    let list = Resource::new(filter, |(q, status)| list_articles(q, status));
    let category_value = save_category.value();
    let writer = use_context::<crate::types::Me>()
        .and_then(|m| m.role())
        .is_some_and(|r| {
            matches!(
                r,
                crate::types::Role::Admin
                    | crate::types::Role::SupportManager
                    | crate::types::Role::SupportAgent
            )
        });
    // Only editors load the categories' editor data: for anyone else the call would be
    // refused, and a refusal during server rendering would set the whole page's status.
    let categories = Resource::new(
        move || {
            (
                writer,
                save_category.version().get(),
                delete_category.version().get(),
            )
        },
        |(writer, _, _)| async move {
            if writer {
                load_article_editor(None).await
            } else {
                Ok(ArticleEditor {
                    article: None,
                    categories: vec![],
                    history: vec![],
                })
            }
        },
    );
    view! {
        <Title text="Knowledge base"/>
        <div class="page-header">
            <h1>"Knowledge base"</h1>
            <div class="actions">
                <a class="button secondary" href="/kb">"Open the help centre"</a>
                {writer.then(|| view! { <a class="button" href="/console/kb/new" id="new-article">"New article"</a> })}
            </div>
        </div>
        <form class="filters" method="get" action="/console/kb" role="search">
            <div class="field"><label for="kb-filter-q">"Search"</label>
                <input id="kb-filter-q" name="q" type="search" prop:value=move || filter().0/></div>
            <div class="field"><label for="kb-filter-status">"Status"</label>
                <select id="kb-filter-status" name="status">
                    <option value="">"Any"</option>
                    {ArticleStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || filter().1 == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select></div>
            <button class="button secondary" type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! { <p class="empty">"No articles."</p> }.into_any(),
                    Ok(items) => view! {
                        <div class="table-wrap">
                            <table class="data" id="kb-table">
                                <thead><tr>
                                    <th scope="col">"Title"</th><th scope="col">"Category"</th>
                                    <th scope="col">"Visibility"</th><th scope="col">"Status"</th>
                                    <th scope="col">"Views"</th><th scope="col">"Helpful"</th>
                                    <th scope="col">"Tickets avoided"</th><th scope="col">"Updated"</th>
                                </tr></thead>
                                <tbody>{items.into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/console/kb/{}", a.id)>{a.title}</a></td>
                                        <td>{a.category_name.unwrap_or_else(|| "—".into())}</td>
                                        <td>{visibility_badge(a.visibility)}</td>
                                        <td>{status_badge(a.status)}</td>
                                        <td>{a.view_count}</td>
                                        <td>{format!("{} / {}", a.helpful_yes, a.helpful_no)}</td>
                                        <td>{a.tickets_abandoned}</td>
                                        <td>{date(a.updated_at)}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
        {writer.then(|| view! {
            <section class="card section" aria-labelledby="categories-h">
                <h2 id="categories-h">"Categories"</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match categories.await {
                            Ok(ArticleEditor { categories, .. }) => view! {
                                <ul class="stack" id="kb-categories">
                                    {categories.into_iter().map(|c| view! {
                                        <li class="inline-form">
                                            <ActionForm action=save_category>
                                                <input type="hidden" name="id" value=c.id.to_string()/>
                                                <label class="visually-hidden" for=format!("cat-{}", c.id)>"Name"</label>
                                                <input id=format!("cat-{}", c.id) name="name" value=c.name.clone() maxlength="100"/>
                                                <button class="button secondary" type="submit">"Rename"</button>
                                            </ActionForm>
                                            <span class="muted">{format!("{} articles", c.article_count)}</span>
                                            <ActionForm action=delete_category>
                                                <input type="hidden" name="id" value=c.id.to_string()/>
                                                <button class="button danger" type="submit"
                                                    on:click=crate::ui::confirm_submit("Delete this category? Its articles stay, uncategorised.")>"Delete"</button>
                                            </ActionForm>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        }
                    })}
                </Transition>
                <ActionForm action=save_category>
                    <FormError value=category_value/>
                    <div class="inline-form">
                        <TextField label="New category" name="name" maxlength=100 error=field_error(category_value, "name")/>
                        <button class="button secondary" type="submit" id="add-category">"Add category"</button>
                    </div>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
pub fn ArticleEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<ArticleId>().ok()));
    let status = ServerAction::<SetArticleStatus>::new();
    let editor = Resource::new(
        move || (id(), status.version().get()),
        |(id, _)| load_article_editor(id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(e) => view! { <ArticleEditorView e status/> }.into_any(),
                    Err(e) => {
                        not_found_status(&e);
                        view! { <Title text="Not found"/><ErrorNotice error=e/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ArticleEditorView(e: ArticleEditor, status: ServerAction<SetArticleStatus>) -> impl IntoView {
    let save = ServerAction::<SaveArticle>::new();
    let value = save.value();
    let err = move |f: &'static str| field_error(value, f);
    let ArticleEditor {
        article,
        categories,
        history,
    } = e;
    let title = article.as_ref().map(|a| a.summary.title.clone());
    let mut category_options = vec![(String::new(), "No category".to_string())];
    category_options.extend(categories.into_iter().map(|c| (c.id.to_string(), c.name)));
    let visibility_options: Vec<(String, String)> = ArticleVisibility::ALL
        .iter()
        .map(|v| (v.as_str().to_string(), v.label().to_string()))
        .collect();
    let a = article.clone();
    let field =
        move |f: fn(&crate::types::Article) -> String| a.as_ref().map(f).unwrap_or_default();
    let current = article
        .as_ref()
        .map(|a| (a.summary.id, a.summary.status, a.summary.slug.clone()));
    view! {
        <Title text=title.clone().map(|t| format!("Edit {t}")).unwrap_or_else(|| "New article".into())/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/console/kb">"Knowledge base"</a></nav>
        <div class="page-header">
            <h1>{title.unwrap_or_else(|| "New article".into())}</h1>
            {current.clone().map(|(id, s, slug)| view! {
                <div class="actions">
                    {status_badge(s)}
                    {(s == ArticleStatus::Published).then(|| view! { <a class="button secondary" href=format!("/kb/{slug}") id="view-article">"View"</a> })}
                    {[(ArticleStatus::Published, "Publish"), (ArticleStatus::Draft, "Unpublish"), (ArticleStatus::Archived, "Archive")]
                        .into_iter().filter(move |(to, _)| *to != s).map(|(to, label)| view! {
                            <ActionForm action=status>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="status" value=to.as_str()/>
                                <button class="button secondary" type="submit" id=format!("set-{}", to.as_str())>{label}</button>
                            </ActionForm>
                        }).collect_view()}
                </div>
            })}
        </div>
        <ActionForm action=save>
            <FormError value/>
            {current.map(|(id, _, _)| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <div class="form wide">
                <TextField label="Title" name="form[title]" value=field(|a| a.summary.title.clone()) required=true error=err("title")/>
                <div class="field-row">
                    <TextField label="Address" name="form[slug]" value=field(|a| a.summary.slug.clone()) maxlength=120
                        hint="The end of the article's web address. Empty: made from the title." error=err("slug")/>
                    <SelectField label="Category" name="form[category_id]" options=category_options
                        selected=field(|a| a.summary.category_id.map(|c| c.to_string()).unwrap_or_default()) error=err("category_id")/>
                </div>
                <div class="field-row">
                    <SelectField label="Who may read it" name="form[visibility]" options=visibility_options
                        selected=field(|a| a.summary.visibility.as_str().to_string()) error=err("visibility")/>
                    <TextField label="Tags" name="form[tags]" value=field(|a| a.summary.tags.join(", ")) maxlength=500
                        hint="Separated by commas." error=err("tags")/>
                </div>
                <div class="field" class:has-error=move || err("body").get().is_some()>
                    <label for="form-body">"Body (Markdown)"</label>
                    <textarea id="form-body" name="form[body]" rows="18" class="markdown" aria-describedby="form-body-error"
                        aria-invalid=move || err("body").get().is_some().to_string()>{field(|a| a.body_markdown.clone())}</textarea>
                    <p class="hint">"Headings with #, lists with -, links as [text](https://…). HTML is reduced to safe tags."</p>
                    <p class="field-error" id="form-body-error" aria-live="polite">{move || err("body").get()}</p>
                </div>
                <div class="form-actions">
                    <button class="button" type="submit" name="publish" value="publish" id="save-publish">"Save and publish"</button>
                    <button class="button secondary" type="submit" name="publish" value="draft" id="save-draft">"Save as draft"</button>
                    <a href="/console/kb">"Cancel"</a>
                </div>
            </div>
        </ActionForm>
        {article.map(|a| view! {
            <section class="card section" aria-labelledby="preview-h">
                <h2 id="preview-h">{format!("Saved version {} as readers see it", a.version)}</h2>
                <div class="kb-body" id="article-preview" inner_html=a.body_html></div>
            </section>
        })}
        {(!history.is_empty()).then(|| view! {
            <section class="card section" aria-labelledby="history-h">
                <h2 id="history-h">"History"</h2>
                <ol class="stack" id="article-history">
                    {history.into_iter().map(|r| view! {
                        <li>{format!("Version {} · {} · {} · {}", r.version, r.status.label(), r.visibility.label(), r.title)}" "
                            <span class="muted">{format!("{} by {}", r.edited_at.format("%Y-%m-%d %H:%M UTC"), r.edited_by.unwrap_or_else(|| "—".into()))}</span></li>
                    }).collect_view()}
                </ol>
            </section>
        })}
    }
}
