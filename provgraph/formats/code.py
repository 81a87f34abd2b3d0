"""Code entities from what other tools report of a git commit (MLflow's git tags,
OpenLineage's ``sourceCodeLocation`` job facet)."""

from __future__ import annotations

from typing import Any


def code_entity(commit: str, remote: str | None, **attributes: Any) -> dict[str, Any] | None:
    """The ``Code`` entity of a git ``commit`` that another tool reported (MLflow's git tags,
    OpenLineage's ``sourceCodeLocation``), named as :mod:`provgraph.record` names a recorded
    run's commit, ``code:<repository>@<commit[:12]>``, so every way of recording one commit
    meets on one node; the repository is the last part of ``remote``. None without a commit.

    >>> code_entity("0123456789abcdef", "https://github.com/acme/sft.git", branch="main")
    {'id': 'code:sft@0123456789ab', 'kind': 'entity', 'type': 'Code', 'attributes': \
{'commit': '0123456789abcdef', 'repository': 'sft', 'remote': 'https://github.com/acme/sft.git', \
'branch': 'main'}}
    """
    commit = str(commit or "").strip()
    if not commit:
        return None
    name = str(remote or "").rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    repository = name.removesuffix(".git")[:200] or "git"  # ids stay within their limit
    values = {"commit": commit, "repository": repository, "remote": remote or None,
              **attributes}
    return {"id": f"code:{repository}@{commit[:12]}", "kind": "entity", "type": "Code",
            "attributes": {k: v for k, v in values.items() if v not in (None, "")}}
