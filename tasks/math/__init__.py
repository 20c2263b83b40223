"""Word problems (CollabMath-v0)."""

from .task import MathTask

__all__ = ["MathTask"]
