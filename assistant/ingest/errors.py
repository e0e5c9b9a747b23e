"""Why a file could not be ingested. Every message is one line that names the file and the problem."""

from assistant.errors import AssistantError


class IngestError(AssistantError):
    """A file (or a record in it) could not be turned into text, structure or chunks."""


class UnsupportedFormat(IngestError):
    """The file's type is not one ingestion reads."""


class LoadError(IngestError):
    """The file has a supported type but its content is empty, too large, damaged or malformed."""
