"""The HTTP service: ``assistant.api.app.create_app`` builds it, ``assistant serve`` runs it."""
