class DeployError(Exception):
    """What went wrong and what to do about it; never holds a secret."""
