"""newsum's database layer: its own tables, the CMS's article table, and the queries."""
