"""What a notebook imports: `check`, its PyTorch references and known mistakes.

Also what the browser gets (without PyTorch, see autograder.offline) and what
the grader shares with the sandbox: the forbidden list (guard) and the
message format (wire).
"""
