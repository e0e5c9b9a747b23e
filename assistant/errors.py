"""The root of every error the product reports to a person as a plain one-line message."""


class AssistantError(Exception):
    """A failure whose message is fit to show as it is: it says what was wrong and what to do."""
