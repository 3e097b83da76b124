"""Block Kit, built by small pure functions: (text fallback, blocks) in, no Slack calls."""
