"""Hyperparameter search for a game (`run.py --tune`), with Optuna: `tuning.search.tune`."""
