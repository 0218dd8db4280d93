"""doc 1.0"""
__version__ = "1.0"
