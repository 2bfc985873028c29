"""A stand-in for ``huggingface_hub.HfApi`` for the tests of ``training.push`` and ``training.deploy``."""

from __future__ import annotations

from pathlib import Path

from scripts.fake_hub import FakeHub


class FakeHfApi:
    """Stands in for ``huggingface_hub.HfApi`` in ``training.push``: records every call, and
    turns each commit into repo content on a ``FakeHub`` (when given one)."""

    instances: list[FakeHfApi] = []

    def __init__(self, token=None, fake_hub: FakeHub | None = None, existing: list[str] | None = None):
        self.token = token
        self.fake_hub = fake_hub
        self.existing = existing or []
        self.calls: list[tuple[str, tuple, dict]] = []
        FakeHfApi.instances.append(self)

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))

    def create_branch(self, *args, **kwargs):
        self.calls.append(("create_branch", args, kwargs))

    def list_repo_files(self, *args, **kwargs):
        self.calls.append(("list_repo_files", args, kwargs))
        return [".gitattributes", *self.existing]

    def create_commit(self, repo_id, operations, **kwargs):
        operations = list(operations)
        self.calls.append(("create_commit", (repo_id, operations), kwargs))
        files = {}
        for op in operations:
            if hasattr(op, "path_or_fileobj"):
                source = op.path_or_fileobj
                files[op.path_in_repo] = source if isinstance(source, bytes) else Path(source).read_bytes()
        oid = self.fake_hub.commit(repo_id, files, branch=kwargs.get("revision", "main")) if self.fake_hub else "0" * 40

        class CommitInfo:
            pass

        info = CommitInfo()
        info.oid, info.commit_url = oid, f"https://huggingface.co/{repo_id}/commit/{oid}"
        return info

    def call(self, name: str) -> tuple[tuple, dict]:
        matches = [(args, kwargs) for n, args, kwargs in self.calls if n == name]
        assert len(matches) == 1, f"{name} called {len(matches)} times"
        return matches[0]
