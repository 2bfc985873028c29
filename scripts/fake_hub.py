"""A local stand-in for the Hugging Face Hub: the few endpoints ``huggingface_hub``'s
``snapshot_download`` calls, served from memory on 127.0.0.1.

The tests open Hub zoos from it, and ``scripts/space_rehearsal.py`` builds the Space against
it (the Hub cannot be reached from the machines this project is tested on).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from training import push

#: The repo the tests publish to unless they name another.
OWNER_REPO = "zoo-keeper/simplernn-zoo"


class FakeHub:
    """The Hub endpoints ``snapshot_download`` calls, served from memory on 127.0.0.1.

    ``repos`` maps a repo id to its branches (name -> commit) and commits (commit -> files);
    every request is recorded in ``requests`` as ``(method, path)``.
    """

    def __init__(self) -> None:
        self.repos: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        hub_state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hub_state._answer(self, body=True)

            def do_HEAD(self):
                hub_state._answer(self, body=False)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # serve_forever checks for shutdown() every poll_interval (0.5 s by default): a test closes
        # a FakeHub in its teardown, and would wait that long.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def commit(self, repo_id: str, files: dict[str, bytes], *, branch: str = "main",
               private: bool = False, gated: bool = False) -> str:
        """Make ``files`` the content of ``branch``; returns the new commit hash."""
        repo = self.repos.setdefault(repo_id, {"branches": {}, "commits": {}, "private": private, "gated": gated})
        digest = hashlib.sha1(repr(sorted((p, hashlib.sha1(c).hexdigest()) for p, c in files.items())).encode())
        digest.update(str(len(repo["commits"])).encode())
        commit = digest.hexdigest()
        repo["commits"][commit] = dict(files)
        repo["branches"][branch] = commit
        return commit

    def downloads(self) -> list[str]:
        """The repo paths whose content was fetched (GET on /resolve/)."""
        return [path.split("/resolve/", 1)[1].split("/", 1)[1] for method, path in self.requests
                if method == "GET" and "/resolve/" in path]

    def _answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        self.requests.append((handler.command, path))
        api = re.fullmatch(r"/api/models/([^/]+/[^/]+)/(revision|tree)/(.+?)/?", path)
        resolve = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        repo_id = (api or resolve).group(1) if (api or resolve) else None
        repo = self.repos.get(repo_id)
        if repo is None:
            return self._error(handler, 404, "RepoNotFound")
        if (repo["private"] or repo["gated"]) and "authorization" not in {k.lower() for k in handler.headers}:
            return self._error(handler, 401, "GatedRepo" if repo["gated"] else "RepoNotFound")
        revision = (api or resolve).group(3 if api else 2)
        commit = repo["branches"].get(revision, revision if revision in repo["commits"] else None)
        if commit is None:
            return self._error(handler, 404, "RevisionNotFound")
        files = repo["commits"][commit]
        if api and api.group(2) == "revision":
            data = {"id": repo_id, "sha": commit, "private": repo["private"],
                    "siblings": [{"rfilename": p} for p in sorted(files)]}
            return self._send(handler, 200, json.dumps(data).encode(), body, {"Content-Type": "application/json"})
        if api:
            tree = [{"type": "file", "path": p, "size": len(c), "oid": git_blob_id(c)} for p, c in sorted(files.items())]
            return self._send(handler, 200, json.dumps(tree).encode(), body, {"Content-Type": "application/json"})
        filename = resolve.group(3)
        if filename not in files:
            return self._error(handler, 404, "EntryNotFound", {"X-Repo-Commit": commit})
        content = files[filename]
        self._send(handler, 200, content, body, {"X-Repo-Commit": commit, "ETag": f'"{git_blob_id(content)}"'})

    @staticmethod
    def _error(handler, status: int, code: str, headers: dict | None = None) -> None:
        FakeHub._send(handler, status, json.dumps({"error": code}).encode(), True,
                      {"X-Error-Code": code, "Content-Type": "application/json", **(headers or {})})

    @staticmethod
    def _send(handler, status: int, data: bytes, body: bool, headers: dict) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if body and handler.command != "HEAD":
            handler.wfile.write(data)


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def publish(fake_hub: FakeHub, zoo_dir: Path, repo_id: str = OWNER_REPO, **kwargs) -> str:
    """Put a zoo folder on the fake Hub exactly as ``training.push`` would lay it out; returns the commit."""
    uploads = push.plan_upload(push.checked_zoo(zoo_dir), repo_id)
    files = {u.path_in_repo: u.content if isinstance(u.content, bytes) else u.content.read_bytes() for u in uploads}
    return fake_hub.commit(repo_id, files, **kwargs)
