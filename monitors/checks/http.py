"""http checker."""
