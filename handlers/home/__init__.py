"""The App Home tab: published on app_home_opened and whenever a person's state changes."""
