"""Unit tests of uiserver.store."""
