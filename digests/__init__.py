"""Presentation of matches: the mentor email digest and the mentee web view."""
