"""Rehearse the Hugging Face Space without Docker: build and run the app as its image would.

    python scripts/space_rehearsal.py                     # the bundled zoo, a fresh virtualenv
    python scripts/space_rehearsal.py --zoo /tmp/zoo --python "$(which python)"   # cheap: no install

No image registry (and no Docker engine) is reachable here, so this does by hand what the
Space's build and run do, reading the Dockerfile rather than retyping it:

1. the zoo is published, as ``training.push`` lays it out, to a local stand-in for the Hub
   (``scripts.fake_hub.FakeHub``: the few endpoints ``huggingface_hub`` downloads from), and
   pinned to the commit it got, ``hf://rehearsal/simplernn-zoo@COMMIT``;
2. ``python -m training.deploy --dry-run --write-to`` for that zoo lists the Space's files and
   variables, and writes exactly those files (the Space's own README among them) into a fresh
   folder (the image's WORKDIR);
3. install: a fresh virtualenv with ``requirements.txt`` only (``--python`` skips this and uses
   an existing interpreter);
4. build: with a fresh HOME (so a fresh Hugging Face cache), the Dockerfile's ``RUN`` that fetches
   ``$ZOO_SOURCE`` runs with the ``ENV`` and ``ARG`` values in force at that point of the
   Dockerfile, the Space variables as build arguments, and the stand-in Hub as the endpoint;
5. run: the Dockerfile's ``CMD`` with its final ``ENV`` (``HF_HUB_OFFLINE=1``, no ``ZOO_ADMIN``,
   its address and port) and the Space variables, in an otherwise empty environment. The
   stand-in Hub keeps running and counts requests: the run must make none.

Steps 4 and 5 run as uid 1000, as Spaces run containers, when this script runs as root
(``setpriv``, from util-linux: this rehearsal is Linux-only, as the image is). The fresh
virtualenv is made from a Python of the base image's version that uid 1000 can run. In the
cheap form, an interpreter uid 1000 cannot run (pyenv's, under /root) runs as the current
user, and the check "runs as a non-root user" is reported as skipped.

Then it checks the health endpoint; visits the page in headless Chromium, which classifies the
default example and a typed review, every number checked against ``python -m zoo classify
--json`` run in the same rehearsed environment; and checks that public mode shows no source
box, no reload button and no server path. It prints its timings (install, build, server start
to healthy, first paint, first complete answer); the last line is a JSON summary. Exit status
0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.harness import CHROMIUM, CHROMIUM_ARGS, agrees, free_port, shown_results  # noqa: E402
from zoo.deployment import ADMIN_ENV, operator_mode  # noqa: E402

SPACE_ID = "rehearsal/simplernn-zoo-demo"
ZOO_REPO = "rehearsal/simplernn-zoo"
#: The uid Spaces run containers as.
SPACE_UID = 1000
REVIEW = "A wonderful, moving film with brilliant actors; the ending is a little slow but I loved it. zqrehearsalq"
SCREENS = Path("/tmp/screens")


# ------------------------------------------------------------------ the Dockerfile, read


@dataclass
class Dockerfile:
    """What the rehearsal takes from a Dockerfile (one stage)."""

    base: str = ""
    args: dict[str, str] = field(default_factory=dict)
    #: ``ENV`` in force at the end (the run-time environment), in order.
    env: dict[str, str] = field(default_factory=dict)
    #: Each ``RUN``: its shell command, and the ``ENV`` and ``ARG`` values in force at that point.
    runs: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    expose: list[int] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = "root"
    workdir: str = "/"
    healthcheck: str = ""
    users_added: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not current):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _expand(value: str, variables: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced as Docker does in ENV, EXPOSE, WORKDIR and USER."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m.group(1) or m.group(2), ""), value)


def read_dockerfile(path: Path, build_args: dict[str, str] | None = None) -> Dockerfile:
    """Parse ``path``; ``build_args`` are the ``--build-arg`` values (a Space passes its variables)."""
    build_args = build_args or {}
    parsed = Dockerfile()
    for instruction, rest in _instructions(path.read_text()):
        scope = {**parsed.args, **parsed.env}
        if instruction == "FROM":
            parsed.base = rest.split()[0]
        elif instruction == "ARG":
            name, _, default = rest.partition("=")
            parsed.args[name.strip()] = build_args.get(name.strip(), default.strip().strip('"'))
        elif instruction == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                parsed.env[key] = _expand(value, scope)
                scope[key] = parsed.env[key]
        elif instruction == "RUN":
            parsed.runs.append((rest, dict(scope)))
        elif instruction == "EXPOSE":
            parsed.expose += [int(_expand(port, scope).split("/")[0]) for port in rest.split()]
        elif instruction == "CMD":
            parsed.cmd = json.loads(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]
        elif instruction == "USER":
            parsed.user = _expand(rest, scope)
        elif instruction == "WORKDIR":
            parsed.workdir = _expand(rest, scope)
        elif instruction == "HEALTHCHECK":
            parsed.healthcheck = rest
        if instruction == "RUN" and "useradd" in rest:
            parsed.users_added.append(rest)
    return parsed


def healthcheck_command(healthcheck: str) -> str:
    """The shell command of ``HEALTHCHECK [OPTIONS] CMD command``."""
    options, _, command = healthcheck.partition("CMD ")
    return command.strip()


def front_matter(readme: Path) -> dict:
    """A README's YAML front matter (the Space README's is the Space's configuration)."""
    import yaml

    text = readme.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1]) if text.startswith("---\n") else {}


def shell_command(run: str) -> str:
    """A ``RUN`` line as ``/bin/sh -c`` gets it: BuildKit's ``--mount=...`` options removed."""
    return re.sub(r"^(\s*--[\w-]+=\S+\s+)+", "", run)


# ------------------------------------------------------------------ the rehearsed environment


#: Whether build and run steps switch to uid 1000 (set once the interpreter is known).
SPACE_USER = False


def as_space_user(command: list[str], *, switch: bool | None = None) -> list[str]:
    """``command`` run as uid 1000 when this script runs as root (as a Space runs its container)."""
    if not (SPACE_USER if switch is None else switch):
        return command
    return ["setpriv", f"--reuid={SPACE_UID}", f"--regid={SPACE_UID}", "--clear-groups", "--", *command]


def runs_as_space_user(python: str) -> bool:
    """Whether uid 1000 can run ``python`` (an interpreter under /root, mode 0700, it cannot)."""
    probe = [python, "-c", "import sys; print(sys.version)"]
    try:
        as_root = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        as_user = subprocess.run(as_space_user(probe, switch=True), capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return as_user.returncode == 0 and as_user.stdout == as_root.stdout


def base_python(base_image: str) -> str:
    """An interpreter of the base image's Python version (``python:3.11-slim``: 3.11) that the
    Space's user can run, to make the virtualenv from."""
    version = re.match(r"python:(\d+\.\d+)", base_image)
    if not version:
        raise RuntimeError(f"the Dockerfile's base image {base_image!r} names no Python version")
    wanted = version.group(1)
    candidates = [sys.executable, shutil.which(f"python{wanted}"), f"/usr/bin/python{wanted}"]
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=60).stdout.strip()
        except OSError:
            continue
        if found == wanted and (os.geteuid() != 0 or runs_as_space_user(candidate)):
            return candidate
    raise RuntimeError(f"no Python {wanted} with venv that uid {SPACE_UID} can run (tried {candidates})")


def chown_tree(path: Path) -> None:
    """The tree belongs to the Space's user (when we can give it away): its HOME."""
    if os.geteuid() != 0:
        return
    for folder, dirs, files in os.walk(path):
        os.chown(folder, SPACE_UID, SPACE_UID)
        for name in files:
            os.chown(os.path.join(folder, name), SPACE_UID, SPACE_UID, follow_symlinks=False)


def read_only_tree(path: Path, writable: bool = False) -> None:
    """The image's ``COPY . .`` then ``chmod -R a-w,a+rX``: the app stays its copier's, and nobody
    may write to it (``writable=True`` gives the owner write back, to delete the rehearsal)."""
    for folder, dirs, files in os.walk(path):
        for name in [*files, *dirs]:
            target = os.path.join(folder, name)
            if not os.path.islink(target):
                mode = os.stat(target).st_mode
                os.chmod(target, (mode | 0o200) if writable else (mode & ~0o222) | 0o444 | (0o111 if mode & 0o111 else 0))
    os.chmod(path, 0o755 if writable else 0o555)


def dry_run(zoo_source: str, into: Path) -> tuple[list[str], dict[str, str]]:
    """The Space's files and variables, as ``python -m training.deploy --dry-run`` prints them; the
    files themselves written into ``into``, as they would be uploaded."""
    result = subprocess.run(
        [sys.executable, "-m", "training.deploy", "--space", SPACE_ID, "--zoo", zoo_source, "--dry-run",
         "--write-to", str(into)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=True,
    )
    files, _, variables = result.stdout.partition("\n\n")
    return files.split(), dict(line.split("=", 1) for line in variables.split())


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def wait_healthy(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not become healthy:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


# ------------------------------------------------------------------ the visit


_PAGE_TEXT = "() => document.body.innerText"


async def visit(url: str, variants: list[str], timeout_ms: float, screens: Path | None) -> dict:
    """First paint, first complete answer, a typed review; what the page shows at each step."""
    from playwright.async_api import async_playwright

    seen: dict = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-quic"])
        try:
            page = await (await browser.new_context(viewport={"width": 1400, "height": 1800})).new_page()
            started = time.perf_counter()
            await page.goto(url, timeout=timeout_ms)
            review = page.get_by_label("Your review")
            await review.wait_for(timeout=timeout_ms)
            seen["first_paint_s"] = time.perf_counter() - started
            seen["default_results"] = await _complete(page, variants, "", timeout_ms)
            seen["first_answer_s"] = time.perf_counter() - started
            seen["default_text"] = await review.input_value()

            await review.fill(REVIEW)
            await page.get_by_role("button", name="Classify").click()
            seen["typed_results"] = await _complete(page, variants, REVIEW.split()[-1], timeout_ms)

            seen["source_boxes"] = await page.get_by_label("Zoo source").count()
            seen["reload_buttons"] = await page.get_by_role("button", name="Reload the zoo").count()
            texts = [await page.evaluate(_PAGE_TEXT)]
            # Every tab's text, the Zoo tab's provenance included.
            for tab in await page.get_by_role("tab").all():
                await tab.click()
                await page.wait_for_timeout(700)
                texts.append(await page.evaluate(_PAGE_TEXT))
            seen["page_text"] = "\n".join(texts)
            if screens:
                screens.mkdir(parents=True, exist_ok=True)
                await page.get_by_role("tab").first.click()
                await page.wait_for_timeout(1500)
                await page.screenshot(path=screens / "space-rehearsal-1400.png", full_page=True)
                await page.set_viewport_size({"width": 420, "height": 1800})
                await page.wait_for_timeout(1500)
                await page.screenshot(path=screens / "space-rehearsal-420.png", full_page=True)
        finally:
            await browser.close()
    return seen


async def _complete(page, variants: list[str], word: str, timeout_ms: float) -> dict[str, str]:
    """Wait until the page shows ``word`` and an answer from every variant, nothing stale or running."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        done = await page.evaluate(
            """(word) => {
                const main = document.querySelector('[data-testid="stMain"]');
                return !!main && main.innerText.includes(word)
                    && !document.querySelector('[data-stale="true"]')
                    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
            }""", word)
        shown = await shown_results(page, variants) if done else {}
        if done and set(shown) == set(variants):
            return shown
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page did not show every variant's answer (shown: {sorted(shown)})")
        await asyncio.sleep(0.2)


# ------------------------------------------------------------------ the rehearsal


def rehearse(args: argparse.Namespace) -> dict:
    """Steps 1-5 and the checks (the module's docstring); the report, its ``checks`` among it."""
    rehearsal = Rehearsal(Path(args.zoo))
    try:
        rehearsal.publish()
        rehearsal.install(args.python)
        rehearsal.build()
        url, runtime = rehearsal.serve(args.timeout)
        visited = asyncio.run(visit(url, _variants(rehearsal.python, rehearsal.app, runtime), args.timeout * 1000,
                                    None if args.no_screens else SCREENS))
        rehearsal.check_visit(visited, runtime)
    finally:
        rehearsal.close(keep=args.keep)
    report = rehearsal.report
    report["passed"] = all(passed is not False for passed in report["checks"].values())
    return report


class Rehearsal:
    """One rehearsal: its folders (the image's WORKDIR ``app`` and ``home``), the stand-in Hub,
    the server, and what each step found (``report``, its ``checks`` among it)."""

    def __init__(self, zoo: Path):
        from scripts.fake_hub import FakeHub

        self.zoo = zoo
        self.report: dict = {"zoo": str(zoo), "checks": {}}
        self.checks = self.report["checks"]
        self.work = Path(tempfile.mkdtemp(prefix="space-rehearsal-"))
        self.work.chmod(0o755)
        self.app, self.home = self.work / "app", self.work / "home"
        self.hub = FakeHub()
        self.server: subprocess.Popen | None = None

    def publish(self) -> None:
        """Steps 1 and 2: the zoo on the stand-in Hub, and the Space's files in ``app``, read-only."""
        from scripts.fake_hub import publish

        self.commit = publish(self.hub, self.zoo, ZOO_REPO)
        files, self.variables = dry_run(f"hf://{ZOO_REPO}@{self.commit}", self.app)
        self.report["files"] = len(files)
        self.checks["no .keras file in the Space"] = not any(name.endswith(".keras") for name in files)
        self.home.mkdir()
        read_only_tree(self.app)
        chown_tree(self.home)
        self.dockerfile = read_dockerfile(self.app / "Dockerfile", build_args=self.variables)

    def install(self, python: str | None) -> None:
        """Step 3: the requirements alone, in a fresh virtualenv (the image's pip install), unless
        ``python`` is given; then whether the steps after it run as the Space's user."""
        global SPACE_USER
        started = time.perf_counter()
        if python:
            self.python = Path(python)
            self.report["install_s"] = None
        else:
            base = base_python(self.dockerfile.base)
            print(f"install: a fresh virtualenv of {base}, then pip install -r requirements.txt "
                  "(minutes without a pip cache)…", flush=True)
            subprocess.run([base, "-m", "venv", str(self.work / "venv")], check=True, timeout=600)
            self.python = self.work / "venv" / "bin" / "python"
            subprocess.run([str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            "-r", str(self.app / "requirements.txt")], check=True, timeout=840)
            self.report["install_s"] = round(time.perf_counter() - started, 1)
        print(f"install: {self.report['install_s'] if self.report['install_s'] is not None else 'skipped (--python)'} s",
              flush=True)
        SPACE_USER = os.geteuid() == 0 and runs_as_space_user(str(self.python))
        self.report["user"] = (f"uid {SPACE_UID}" if SPACE_USER
                               else f"uid {os.geteuid()} ({self.python} is not usable by uid {SPACE_UID})")
        # None: skipped (the cheap form's interpreter may live where uid 1000 cannot read, e.g. /root).
        self.checks["runs as a non-root user"] = True if SPACE_USER or os.geteuid() != 0 else (None if python else False)

    def in_image(self, env: dict[str, str]) -> dict[str, str]:
        """The image's environment ``env`` here: its HOME and WORKDIR are the fresh folders."""
        base_env = {"PATH": f"{self.python.parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        workdir, home = self.dockerfile.workdir, self.dockerfile.env.get("HOME", "~")
        mapped = {key: value.replace(workdir, str(self.app)).replace(home, str(self.home)) for key, value in env.items()}
        return {**base_env, **mapped, "HOME": str(self.home)}

    def build(self) -> None:
        """Step 4: the Dockerfile's RUN that fetches the zoo, as the Space's user, from the stand-in Hub."""
        (fetch, scope), = [(run, scope) for run, scope in self.dockerfile.runs if "ZOO_SOURCE" in run]
        print(f"build: {shell_command(fetch)}  (ZOO_SOURCE={scope.get('ZOO_SOURCE')})…", flush=True)
        started = time.perf_counter()
        build = subprocess.run(as_space_user(["/bin/sh", "-c", shell_command(fetch)]), cwd=self.app,
                               env=self.in_image(scope) | {"HF_ENDPOINT": self.hub.url}, capture_output=True,
                               text=True, timeout=840)
        self.report["build_fetch_s"] = round(time.perf_counter() - started, 1)
        self.checks["build step fetched and verified the zoo"] = build.returncode == 0
        if build.returncode:
            raise RuntimeError(f"the build step failed ({build.returncode}):\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
        snapshots = self.home / ".cache" / "huggingface" / "hub" / f"models--{ZOO_REPO.replace('/', '--')}" / "snapshots"
        self.checks["zoo in the standard Hugging Face cache under HOME"] = (snapshots / self.commit / "zoo.json").is_file()
        print(f"build (fetch and verify the zoo): {self.report['build_fetch_s']} s", flush=True)
        self.requests_after_build = len(self.hub.requests)

    def serve(self, timeout: float) -> tuple[str, dict[str, str]]:
        """Step 5: CMD with the final ENV and the Space variables, nothing else from this machine,
        until healthy. Returns its URL and its environment."""
        runtime = self.in_image(self.dockerfile.env) | self.variables | {"HF_ENDPOINT": self.hub.url}
        port = int(runtime["STREAMLIT_SERVER_PORT"])
        self.checks["the port is the one the Dockerfile exposes"] = self.dockerfile.expose == [port]
        self.checks["the port is the front matter's app_port"] = front_matter(self.app / "README.md").get("app_port") == port
        if not port_is_free(port):
            port = free_port()
            print(f"note: port {runtime['STREAMLIT_SERVER_PORT']} is busy on this machine; using {port}")
            runtime["STREAMLIT_SERVER_PORT"] = str(port)
        if SPACE_USER:
            touched = subprocess.run(as_space_user(["/bin/sh", "-c", "touch streamlit_app.py new-file"]), cwd=self.app,
                                     capture_output=True, timeout=60)
            self.checks["the app's files are read-only to the Space's user"] = touched.returncode != 0
        self.checks["run-time environment is offline and public"] = (
            runtime.get("HF_HUB_OFFLINE") == "1" and not operator_mode(runtime.get(ADMIN_ENV)))
        log = self.work / "server.log"
        with open(log, "wb") as log_file:
            started = time.perf_counter()
            self.server = subprocess.Popen(as_space_user(self.dockerfile.cmd), cwd=self.app, env=runtime,
                                           stdout=log_file, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, self.server, timeout, log)
        self.report["server_healthy_s"] = round(time.perf_counter() - started, 2)
        self.checks["health endpoint answers ok"] = True
        print(f"server start to healthy: {self.report['server_healthy_s']} s", flush=True)
        health = subprocess.run(as_space_user(["/bin/sh", "-c", healthcheck_command(self.dockerfile.healthcheck)]),
                                cwd=self.app, env=runtime, capture_output=True, timeout=60)
        self.checks["the Dockerfile's HEALTHCHECK passes"] = health.returncode == 0
        return url, runtime

    def check_visit(self, visited: dict, runtime: dict[str, str]) -> None:
        """What the browser saw (``visit``), against ``python -m zoo classify`` in the same environment."""
        self.report["first_paint_s"] = round(visited["first_paint_s"], 2)
        self.report["first_answer_s"] = round(visited["first_answer_s"], 2)
        print(f"first paint: {self.report['first_paint_s']} s; first complete answer: {self.report['first_answer_s']} s",
              flush=True)
        expected = cli_predictions(self.python, self.app, runtime, [" ".join(visited["default_text"].split()), REVIEW])
        numbers = [(shown, expected[i][variant]) for i, key in enumerate(("default_results", "typed_results"))
                   for variant, shown in visited[key].items()]
        self.report["numbers_checked"] = len(numbers)
        self.report["numbers_equal"] = sum(agrees(shown, value) for shown, value in numbers)
        self.checks["every number equals python -m zoo classify --json"] = self.report["numbers_equal"] == len(numbers) > 0
        self.checks["no source box"] = visited["source_boxes"] == 0
        self.checks["no reload button"] = visited["reload_buttons"] == 0
        leaked = [str(p) for p in (self.work, self.app, self.home, REPO) if str(p) in visited["page_text"]]
        self.checks["no server path on the page"] = not leaked
        self.report["hub_requests_at_run_time"] = len(self.hub.requests) - self.requests_after_build
        self.checks["nothing downloaded at run time"] = self.report["hub_requests_at_run_time"] == 0

    def close(self, keep: bool) -> None:
        """Stop the server and the stand-in Hub; delete the rehearsal's folder unless ``keep``."""
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.hub.close()
        if self.app.exists():
            read_only_tree(self.app, writable=True)
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"kept: {self.work}")


def _variants(python: Path, app: Path, env: dict[str, str]) -> list[str]:
    result = subprocess.run(as_space_user([str(python), "-m", "zoo", "list", "--json"]), cwd=app, env=env,
                            capture_output=True, text=True, timeout=600)
    return [row["id"] for row in json.loads(result.stdout)]


def cli_predictions(python: Path, app: Path, env: dict[str, str], texts: list[str]) -> list[dict[str, float]]:
    """``python -m zoo classify --json`` in the rehearsed image: the numbers the page must show."""
    result = subprocess.run(as_space_user([str(python), "-m", "zoo", "classify", "--json", "--input", "-"]),
                            cwd=app, env=env, input="\n".join(texts) + "\n", capture_output=True, text=True,
                            timeout=840)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"zoo classify failed ({result.returncode}): {result.stderr[-2000:]}")
    return [json.loads(line)["predictions"] for line in result.stdout.splitlines()]


def main(argv: list[str] | None = None) -> int:
    from zoo.store import BUNDLED_ZOO

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--zoo", type=Path, default=BUNDLED_ZOO,
                        help="zoo folder to publish to the stand-in Hub and serve (default: %(default)s)")
    parser.add_argument("--python", metavar="PATH",
                        help="use this interpreter (its packages) instead of a fresh virtualenv: the cheap form")
    parser.add_argument("--timeout", type=float, default=300, help="seconds any one wait may take (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the rehearsal folder (app, HOME, venv, server log)")
    parser.add_argument("--no-screens", action="store_true", help=f"no screenshots into {SCREENS}")
    args = parser.parse_args(argv)
    if sys.platform != "linux":
        parser.error("the rehearsal runs the Linux image's steps; run it on Linux")
    from training.push import PushRefused

    try:
        report = rehearse(args)
    except (PushRefused, RuntimeError, TimeoutError, subprocess.SubprocessError, OSError) as error:
        print(f"FAIL the rehearsal stopped: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    for check, passed in report["checks"].items():
        print(f"{ {True: 'ok  ', False: 'FAIL', None: 'skip'}[passed]} {check}")
    print(json.dumps(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
