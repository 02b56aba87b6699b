import pytest

from helpers import load_solutions


@pytest.fixture(scope="session")
def output_size_solutions():
    """The reference solutions of assignment 01-output-size."""
    return load_solutions("01-output-size", "output-size.ipynb")
