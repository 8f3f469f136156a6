"""Fine-tuning: data preparation, QLoRA training, evaluation, adapter export, the registry.

``data`` and ``sources`` turn articles into prepared splits (``newsum data``); ``train``
runs QLoRA from one ``TrainConfig`` (``config``); ``evaluate`` scores lead-3, the base
model and the adapter through the workers' own generation path; ``export`` writes the
adapter directory with its manifest and model card; ``commands`` holds ``newsum train``,
``newsum eval`` and the ``newsum adapters`` registry commands.
"""
