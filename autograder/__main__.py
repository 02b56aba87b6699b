"""`python -m autograder ...`: see autograder/engine/cli.py."""

from .engine.cli import main

raise SystemExit(main())
