-- The REST API pages contacts by (created_at, id); without this index a filtered page
-- sorted every matching contact (seen at 50,000 contacts in docs/BENCHMARKS.md).
CREATE INDEX contact_created_idx ON contact (created_at, id);
