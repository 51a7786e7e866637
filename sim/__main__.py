"""`python -m sim` runs the kafkasim command line."""

from sim.cli import main

raise SystemExit(main())
