__all__ = []
__version__ = "1.0.0"  # moved with pyproject.toml by the release
