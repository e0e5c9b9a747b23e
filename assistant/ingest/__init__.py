"""Load, clean, parse, chunk and embed documents into the store."""
