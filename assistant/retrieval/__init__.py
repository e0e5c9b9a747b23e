"""The vector store and search over it."""
