"""Ambiguous conversational QA (CollabQA-v0)."""

from .task import QATask

__all__ = ["QATask"]
