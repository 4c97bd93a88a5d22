"""Pure scoring of postings against mentee profiles (no I/O)."""
