"""Session fixtures for a trained adapter (filled in by the trainer's tests)."""
