"""The smallest hudong plugin: one import format, metric, analysis, connector, CLI command and web page."""
