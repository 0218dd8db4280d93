from langgraph_sdk.auth import Auth
from langgraph_sdk.client import get_client, get_sync_client
from langgraph_sdk.encryption import Encryption
from langgraph_sdk.encryption.types import DecryptResult, EncryptionContext

__version__ = "0.4.3"

__all__ = [
    "Auth",
    "DecryptResult",
    "Encryption",
    "EncryptionContext",
    "get_client",
    "get_sync_client",
]
