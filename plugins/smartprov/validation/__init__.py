"""Validation: the GX suites (row rules) and the cross-sheet and cross-submission rules."""
