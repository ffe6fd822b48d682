"""The public status page, incident pages, feeds and short links (docs/public.md)."""
