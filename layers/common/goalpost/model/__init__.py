"""The tracker's nouns (NamedTuples: cheap to import on the hot paths), ids and formats, money."""
