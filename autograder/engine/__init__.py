"""The instructor's grading engine: `python -m autograder ...` (see cli).

A submission's path: collect -> plan and run (batch, worker, runner, in the
sandbox) -> record (the gradebook, autograded/, the log). See
docs/architecture.md.
"""
