"""`python -m aggregator` is the `leads` command."""

from aggregator.cli import main

main()
