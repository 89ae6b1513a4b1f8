"""The ``workflow`` admin commands: thin translations of arguments into service calls."""
