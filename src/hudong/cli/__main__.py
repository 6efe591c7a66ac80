"""`python -m hudong.cli`: the same as the `hudong` command."""

from hudong.cli import main

main()
