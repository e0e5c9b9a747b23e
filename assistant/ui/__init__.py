"""Gradio screens, mounted in the FastAPI app."""
