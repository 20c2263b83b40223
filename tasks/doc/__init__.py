"""Document writing (CollabDoc-v0)."""

from .task import DocTask

__all__ = ["DocTask"]
