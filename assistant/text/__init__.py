"""Knowledge of Chinese text that ingest and retrieval share: character normalisation, place names,
statute article numbering. The floor under both, so retrieval never imports from ingest."""
