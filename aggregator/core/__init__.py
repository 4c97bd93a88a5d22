"""The core every package builds on: models, errors, config schema, fetching, workers, identity.

It imports nothing else from the project (a test guards it).
"""
