"""Function writing (CollabCode-v0)."""

from .task import CodeTask

__all__ = ["CodeTask"]
