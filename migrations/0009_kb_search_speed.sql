-- Knowledge-base search that stays fast when a word matches thousands of articles.
-- Title and tags get a small vector of their own: its matches are ranked cheaply and always
-- considered. Body matches are taken newest first from the published-date index, a bounded
-- number of them; only these candidates are ranked with the full vector (see knowledge::repo).
ALTER TABLE kb_article
    ADD COLUMN search_head tsvector GENERATED ALWAYS AS (kb_document(title, tags, '')) STORED;
CREATE INDEX kb_article_search_head_idx ON kb_article USING gin (search_head);
CREATE INDEX kb_article_published_idx ON kb_article (published_at DESC NULLS LAST)
    WHERE status = 'published';
-- Category counts for readers come from this index alone (an index-only scan).
CREATE INDEX kb_article_category_visibility_idx ON kb_article (category_id, visibility)
    WHERE status = 'published';
