"""The pages of the web app."""
