"""CachedChat: a SQLite response cache that makes runs reproducible and re-runs free."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from collab_env.errors import ConfigError
from collab_env.llm.base import ChatModel, ChatResult, Usage, per_call_params
from collab_env.types import ChatMessage

_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, result TEXT NOT NULL)"


class CachedChat:
    """Wraps a chat model with a cache keyed by (model, messages, sampling parameters, sample index).

    ``sample_index`` (a keyword of every call, default 0) tells apart samples drawn at
    temperature > 0 for the same prompt, so sample k of a run is the same text in every re-run.
    The cache is a SQLite file in WAL mode, one connection per thread, safe for concurrent use
    from threads and processes; the first result stored for a key wins.

    Args:
        model: The model to call on a miss.
        path: The cache file (created with its folders).

    Attributes:
        hits: Calls answered from the cache.
        misses: Calls passed to the model.
    """

    def __init__(self, model: ChatModel, path: str | Path) -> None:
        self.model, self.path = model, Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name, self.concurrency, self.usage = model.name, model.concurrency, Usage()
        self.hits = self.misses = 0
        self._lock, self._local = threading.Lock(), threading.local()
        try:
            self._db().execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"{self.path} is not a response cache (a corrupt or foreign file: {exc}); "
                "delete it or pass another path"
            ) from exc

    def complete(self, messages: Sequence[ChatMessage], sample_index: int = 0, **params: Any) -> ChatResult:
        """The cached completion, or the model's (then stored)."""
        key = self.key(messages, sample_index, params)
        result = self._lookup(key)
        if result is None:
            with self._lock:
                self.misses += 1
            result = self._store(key, self.model.complete(messages, **params))
        self.usage.add(result)
        return result

    def _lookup(self, key: str) -> ChatResult | None:
        row = self._db().execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        with self._lock:
            self.hits += 1
        return ChatResult(**{**json.loads(row[0]), "cached": True})

    def _store(self, key: str, fresh: ChatResult) -> ChatResult:
        """Store ``fresh`` unless another caller stored the key first; return what is stored."""
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO responses VALUES (?, ?, ?)",
                (key, self.name, json.dumps(asdict(fresh))),
            )
        stored = db.execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()[0]
        return ChatResult(**json.loads(stored))

    async def acomplete(
        self, messages: Sequence[ChatMessage], sample_index: int = 0, **params: Any
    ) -> ChatResult:
        """:meth:`complete`, awaited: a hit is read in place, a miss awaits the model's ``acomplete``."""
        key = self.key(messages, sample_index, params)
        result = self._lookup(key)
        if result is None:
            with self._lock:
                self.misses += 1
            result = self._store(key, await self.model.acomplete(messages, **params))
        self.usage.add(result)
        return result

    def complete_batch(
        self,
        batch: Sequence[Sequence[ChatMessage]],
        per_call: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> list[ChatResult]:
        """One cached completion per conversation, in order; the misses go to the model as one batch."""
        calls = per_call_params(len(batch), per_call, params)
        keys = [
            self.key(m, p.get("sample_index", 0), _sampling(p)) for m, p in zip(batch, calls, strict=True)
        ]
        results: list[ChatResult | None] = [self._lookup(k) for k in keys]
        misses = [i for i, r in enumerate(results) if r is None]
        if misses:
            with self._lock:
                self.misses += len(misses)
            fresh = self.model.complete_batch(
                [batch[i] for i in misses], per_call=[_sampling(calls[i]) for i in misses]
            )
            for i, result in zip(misses, fresh, strict=True):
                results[i] = self._store(keys[i], result)
        for result in results:
            self.usage.add(result)
        return results

    def key(self, messages: Sequence[ChatMessage], sample_index: int, params: dict[str, Any]) -> str:
        """The cache key of a call."""
        payload = [self.name, [dict(m) for m in messages], sorted(params.items()), sample_index]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def stats(self) -> dict[str, int]:
        """Hit and miss counts."""
        with self._lock:
            return {"hits": self.hits, "misses": self.misses}

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db


def _sampling(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that go to the model (``sample_index`` only keys the cache)."""
    return {k: v for k, v in params.items() if k != "sample_index"}
