"""Auditing summaries outside the pipeline: the batch check and the calibration.

``newsum faithfulness check`` runs the configured checker over a file of summaries (an
archive, a vendor's output, a labelled benchmark) and writes one verdict per line;
``newsum faithfulness calibrate`` chooses the entailment threshold from labelled
summaries or from the editors' decisions and records it where every worker reads it.
"""
