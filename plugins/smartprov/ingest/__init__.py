"""Ingest: landing zones (folder, object store), safe workbook reading, typed values,
parsed submissions, quarantine. Reading never writes the warehouse."""
