"""Session fixtures for the tiny foundation model (filled in by the trainer's tests)."""
