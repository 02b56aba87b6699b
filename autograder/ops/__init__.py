"""What the released notebooks import from `autograder.ops` by name.

The ops themselves live in `autograder.checking.ops`; these modules keep the
imports of notebooks that students already have (06-backward's
`from autograder.ops.backward import random_grad_out`) working.
"""
