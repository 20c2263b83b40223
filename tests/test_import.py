"""``import collab_env`` stays light: heavy dependencies load on first use, not at import."""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules that take tenths of a second (or a GPU runtime) to import; each is loaded by the part
#: of the library that needs it, the first time it is used.
HEAVY = ("bpe_openai", "openai", "torch", "transformers", "sympy", "math_verify")


def test_import_collab_env_loads_no_heavy_module():
    code = "import json, sys, collab_env; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.partition(".")[0] for name in json.loads(out.stdout)}
    assert loaded.isdisjoint(HEAVY), f"import collab_env loads {sorted(loaded & set(HEAVY))}"


def test_token_counts_load_the_tables_on_first_use():
    code = (
        "import sys, collab_env.tokens as t; before = 'bpe_openai' in sys.modules; "
        "n = t.count_tokens('Hello world, this is a test.'); print(before, 'bpe_openai' in sys.modules, n)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "8"]
