"""newsum: batch summarisation of news articles with a QLoRA fine-tuned causal LM."""

__version__ = "0.1.0"
