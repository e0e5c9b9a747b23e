"""The relational store under cases, pre-check, audit and feedback: models, migrations and the engine."""
