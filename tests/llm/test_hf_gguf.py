"""``hf:model.gguf``: a GGUF file is a checkpoint of the hf backend, loaded with ``gguf_file=``."""

from __future__ import annotations

import pytest

from collab_env.errors import ConfigError
from collab_env.llm import hf_chat
from collab_env.llm.backends import check_model


def test_a_gguf_file_passes_the_check_and_the_preflight(tmp_path):
    model = tmp_path / "qwen-q4.gguf"
    model.write_bytes(b"GGUF")
    check_model(f"hf:{model}")
    hf_chat.probe({"path": str(model)}, "user")
    with pytest.raises(ConfigError, match="no checkpoint directory"):
        check_model(f"hf:{tmp_path / 'missing.gguf'}")


def test_a_gguf_file_is_loaded_from_its_folder_with_gguf_file(tmp_path, monkeypatch):
    transformers = pytest.importorskip(
        "transformers", reason="transformers is not installed ('collab-env[train]')"
    )
    model = tmp_path / "qwen-q4.gguf"
    model.write_bytes(b"GGUF")
    calls = []

    class Loaded(Exception):
        pass

    def from_pretrained(path, **kwargs):
        calls.append({"path": path, **kwargs})
        raise Loaded

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", from_pretrained)
    with pytest.raises(Loaded):
        hf_chat.HFChat(str(model))
    assert calls[0]["path"] == str(tmp_path)
    assert calls[0]["gguf_file"] == "qwen-q4.gguf"
    assert hf_chat._where(tmp_path) == (str(tmp_path), {})  # a folder as before
