"""办件: applications for service items, carried from submission to completion."""
