"""One vector where there were two, a small ranking vector beside it, and narrow
heap rows, so that a word found in most entries stays cheap to search (PostgreSQL
only; SQLite searches the folded columns).

- The ``russian`` configuration stems ASCII words with the English stemmer, as the
  ``english`` one does, and Cyrillic words with the Russian one: one vector holds
  both languages' stems, and the old ``english || russian`` vector stored every
  English lexeme twice (twice the parsing on every write, twice the size).
- ``rank_vector`` holds the title's stems alone. Ranking reads it instead of the
  whole vector: a few dozen bytes stored in the row (STORAGE MAIN), it needs no
  de-TOASTing, which was most of the cost of ranking thousands of matches. A title
  match ranks first; matches in the body alone come latest first.
- ``toast_tuple_target = 128`` moves the body and the full vector out of the row, so
  the rows a common word matches fit in a few pages and counting them per kind reads
  those pages only.

Re-adding the generated column rewrites the table (derived data: nothing is lost;
the old version keeps reading ``search_vector`` by name).

``portal_search_matches(query, element_pattern)`` returns the matching rows through
the GIN index. The planner prices ``@@`` as cheap per row and not the de-TOASTing of
every stored vector a sequential scan does, so for a common word on narrow rows it
scans the table (84 ms against a few by the index in bench/search.py). The function
turns sequential scans off for its own statement only, and the search stays one
round trip (no transaction and SET LOCAL around it).
"""

from django.db import migrations

VECTOR = """
    setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')
"""
RANK_VECTOR = "setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')"
OLD_VECTOR = """
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B') ||
    setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')
"""
GIN = "CREATE INDEX portal_searchentry_vector_gin ON portal_searchentry USING GIN (search_vector)"

MATCHES = """
CREATE OR REPLACE FUNCTION portal_search_matches(query tsquery, element_pattern text)
RETURNS TABLE (id bigint, kind varchar, updated_at timestamptz, rank_vector tsvector)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
AS $$
    SELECT e.id, e.kind, e.updated_at, e.rank_vector FROM portal_searchentry e
    WHERE e.search_vector @@ query
      AND (element_pattern IS NULL OR e.elements LIKE element_pattern)
$$"""

FORWARD = [
    "ALTER TABLE portal_searchentry SET (toast_tuple_target = 128)",
    "ALTER TABLE portal_searchentry DROP COLUMN search_vector",
    f"""ALTER TABLE portal_searchentry
        ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED,
        ADD COLUMN rank_vector tsvector GENERATED ALWAYS AS ({RANK_VECTOR}) STORED,
        ALTER COLUMN rank_vector SET STORAGE MAIN""",
    GIN,
    MATCHES,
]
BACKWARD = [
    "DROP FUNCTION IF EXISTS portal_search_matches(tsquery, text)",
    "ALTER TABLE portal_searchentry RESET (toast_tuple_target)",
    "ALTER TABLE portal_searchentry DROP COLUMN rank_vector, DROP COLUMN search_vector",
    f"""ALTER TABLE portal_searchentry
        ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({OLD_VECTOR}) STORED""",
    GIN,
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_merge_api_tokens_and_search_digest")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
