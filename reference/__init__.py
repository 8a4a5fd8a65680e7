"""The instructor's reference solutions, one module per assignment (percent-cell format, see docs/reference-format.md)."""
