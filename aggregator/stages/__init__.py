"""The pipeline stages: collect, match and digest, each reading and writing through the store."""
