"""Fine-tuning: data, prompt-aware tokenisation, QLoRA training, evaluation, export."""
