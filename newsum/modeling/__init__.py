"""Model code shared by trainer and worker: prompt, manifest, loading, generation."""
