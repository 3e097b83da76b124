"""The Slack adapter: turns the domain's intents into Web API calls. Only this package
and `handlers/` import slack_sdk / slack_bolt."""
