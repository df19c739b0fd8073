from tests.server.hashing import fast_hashing

__all__ = ["fast_hashing"]
