"""tcp checker."""
