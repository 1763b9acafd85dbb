//! Pure rules: rendering Markdown safely, slugs, tags, queries, validation.

use crate::error::FieldError;
use crate::server::ServiceError;
use crate::types::{ArticleInput, ArticleVisibility, CategoryId, SnippetPart};
use pulldown_cmark::{html, Event, Options, Parser, TagEnd};

pub const MAX_BODY: usize = 100_000;
pub const MAX_TAGS: usize = 10;
/// Marks around matched words in snippets; characters from Unicode's private use area,
/// which no article is expected to contain.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// An article body: sanitised HTML to show, plain text to search and cut snippets from.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedBody {
    pub html: String,
    pub text: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Markdown to HTML through pulldown-cmark, then ammonia's allow-list: scripts, event
/// handlers, `javascript:` links and styles are removed; links get `rel="noopener
/// noreferrer nofollow"`.
pub fn render(markdown: &str) -> RenderedBody {
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options()));
    let html = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string();
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => text.push(' '),
            // Raw HTML is not text a reader sees.
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    RenderedBody { html, text }
}

/// `"Printer won't print: what now?"` → `"printer-won-t-print-what-now"`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "article".into()
    } else {
        slug
    }
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Comma-separated tags: trimmed, lower-cased, unique, in order.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.split(',').map(|t| t.trim().to_lowercase()) {
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if tag.chars().count() > 40 {
            return Err(FieldError::new(
                "tags",
                "each tag must be at most 40 characters",
            ));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new("tags", "at most 10 tags"));
    }
    Ok(tags)
}

/// What the ticket form's subject becomes as a query: every word, as a prefix, any of
/// them (the subject is still being typed). None when nothing searchable is left.
pub fn prefix_query(subject: &str) -> Option<String> {
    let words: Vec<String> = subject
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .take(8)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" | "))
}

/// Splits a headline cut by PostgreSQL (`MARK_START`/`MARK_END` around matches) into
/// parts the page shows as text, never as HTML.
pub fn snippet_parts(headline: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut rest = headline;
    while let Some(start) = rest.find(MARK_START) {
        if start > 0 {
            parts.push(SnippetPart {
                text: rest[..start].to_string(),
                mark: false,
            });
        }
        let after = &rest[start + MARK_START.len_utf8()..];
        let end = after.find(MARK_END).unwrap_or(after.len());
        if end > 0 {
            parts.push(SnippetPart {
                text: after[..end].to_string(),
                mark: true,
            });
        }
        rest = after.get(end + MARK_END.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(SnippetPart {
            text: rest.to_string(),
            mark: false,
        });
    }
    parts
}

/// An editor's input, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidArticle {
    pub title: String,
    /// None: made from the title.
    pub slug: Option<String>,
    pub category_id: Option<CategoryId>,
    pub tags: Vec<String>,
    pub visibility: ArticleVisibility,
    pub body: String,
}

pub fn validate(input: &ArticleInput) -> Result<ValidArticle, ServiceError> {
    let mut errors = Vec::new();
    let title = input.title.trim().to_string();
    if title.is_empty() {
        errors.push(FieldError::new("title", "is required"));
    } else if title.chars().count() > 200 {
        errors.push(FieldError::new("title", "must be at most 200 characters"));
    }
    let slug = input.slug.trim().to_lowercase();
    let slug = if slug.is_empty() {
        None
    } else if is_slug(&slug) {
        Some(slug)
    } else {
        errors.push(FieldError::new(
            "slug",
            "may hold only lower-case letters, digits and single hyphens",
        ));
        None
    };
    let category_id = match input.category_id.trim() {
        "" => None,
        raw => match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError::new("category_id", "is not a category"));
                None
            }
        },
    };
    let tags = parse_tags(&input.tags).unwrap_or_else(|e| {
        errors.push(e);
        vec![]
    });
    let visibility = ArticleVisibility::parse(input.visibility.trim()).unwrap_or_else(|| {
        errors.push(FieldError::new("visibility", "choose who may read it"));
        ArticleVisibility::Staff
    });
    let body = input.body.replace("\r\n", "\n");
    if body.trim().is_empty() {
        errors.push(FieldError::new("body", "is required"));
    } else if body.len() > MAX_BODY {
        errors.push(FieldError::new(
            "body",
            "must be at most 100,000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    Ok(ValidArticle {
        title,
        slug,
        category_id,
        tags,
        visibility,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_with_script_tags_is_neutralised() {
        let body = render(
            "# Reset\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) \
             <img src=x onerror=alert(2)> **bold**",
        );
        assert!(!body.html.contains("<script"), "{}", body.html);
        assert!(!body.html.contains("javascript:"), "{}", body.html);
        assert!(!body.html.contains("onerror"), "{}", body.html);
        assert!(body.html.contains("<strong>bold</strong>"));
        assert!(body.html.contains("<h1>Reset</h1>"));
        assert!(
            !body.text.contains("alert('x')"),
            "raw HTML is not searchable text"
        );
        assert!(body.text.starts_with("Reset "));
    }

    #[test]
    fn links_open_safely() {
        let body = render("[guide](https://example.com/guide)");
        assert!(
            body.html.contains("rel=\"noopener noreferrer nofollow\""),
            "{}",
            body.html
        );
    }

    #[test]
    fn slugs_come_from_titles() {
        assert_eq!(
            slugify("Printer won't print: what now?"),
            "printer-won-t-print-what-now"
        );
        assert_eq!(slugify("  ---  "), "article");
        assert_eq!(slugify("Café till — setup"), "caf-till-setup");
        assert!(is_slug(&slugify(&"long title ".repeat(30))));
        assert!(!is_slug("Bad Slug"));
        assert!(!is_slug("double--hyphen"));
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_unique() {
        assert_eq!(
            parse_tags(" Printer, printer ,, Wi-Fi").unwrap(),
            vec!["printer", "wi-fi"]
        );
        assert!(parse_tags(
            &"t,"
                .repeat(5)
                .chars()
                .chain("a,b,c,d,e,f,g,h,i,j,k".chars())
                .collect::<String>()
        )
        .is_err());
    }

    #[test]
    fn the_subject_being_typed_becomes_a_prefix_query() {
        assert_eq!(
            prefix_query("Label print").as_deref(),
            Some("label:* | print:*")
        );
        assert_eq!(prefix_query("a ! :*"), None);
        assert_eq!(
            prefix_query("it's & broken").as_deref(),
            Some("it:* | broken:*")
        );
    }

    #[test]
    fn snippets_split_into_marked_parts() {
        let s = format!("the {MARK_START}printer{MARK_END} jams{MARK_START}x");
        assert_eq!(
            snippet_parts(&s),
            vec![
                SnippetPart {
                    text: "the ".into(),
                    mark: false
                },
                SnippetPart {
                    text: "printer".into(),
                    mark: true
                },
                SnippetPart {
                    text: " jams".into(),
                    mark: false
                },
                SnippetPart {
                    text: "x".into(),
                    mark: true
                },
            ]
        );
    }

    #[test]
    fn an_article_needs_a_title_a_body_and_a_visibility() {
        let e = validate(&ArticleInput::default()).unwrap_err();
        let ServiceError::Validation(fields) = e else {
            panic!("validation")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, vec!["title", "visibility", "body"]);
    }
}
