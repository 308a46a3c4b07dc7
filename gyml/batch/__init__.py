"""Batch analysis of many inputs on a Dask cluster (`gyml batch`)."""
