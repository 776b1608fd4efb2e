"""Readers: one per file format, each turning a model file into the IR (catalog.graph)."""
