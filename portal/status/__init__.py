"""The public and internal status pages, their data, cache and JSON API."""
