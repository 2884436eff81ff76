"""`python -m greenroom` runs the command line."""

from greenroom.cli import main

main()
