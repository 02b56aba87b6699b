"""One module per assignment: its PyTorch references and known mistakes."""
