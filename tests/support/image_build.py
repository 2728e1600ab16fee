"""An image's filesystem built from its own Dockerfile, without a container engine.

The Dockerfile is read, not restated: its stages, ``COPY`` (through ``.dockerignore``),
``WORKDIR``, ``ENV``, ``RUN`` (the ``uv sync …`` line included), ``ENTRYPOINT`` and
``CMD``. Each stage is built at one directory, the image root, so that absolute paths a
``RUN`` writes (a virtualenv's script headers) stay right when a later stage copies them,
then set aside under ``<root>.<stage>``. Paths in ``ENV`` and ``WORKDIR`` are read
relative to the image root.

What a container engine does and this cannot: the base image's own files are the host's
(the same Python version is checked), and ``RUN`` commands that manage OS accounts
(``groupadd``, ``useradd``) are skipped: the processes run as the test's user.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ACCOUNT_COMMANDS = ("groupadd", "useradd")
# What a process takes from the machine it runs on, not from the image: the network's
# certificate authorities and proxies, and the package indexes a builder is pointed at.
NETWORK_ENV = (
    "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "UV_INDEX_URL", "UV_DEFAULT_INDEX", "NPM_CONFIG_REGISTRY",
)  # fmt: skip


def network_env() -> dict[str, str]:
    return {name: os.environ[name] for name in NETWORK_ENV if name in os.environ}


def builder_caches() -> dict[str, str]:
    home = Path.home()
    cache = os.environ.get("XDG_CACHE_HOME") or str(home / ".cache")
    return {
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or f"{cache}/uv",
        "NPM_CONFIG_CACHE": os.environ.get("NPM_CONFIG_CACHE") or str(home / ".npm"),
    }


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction]


@dataclass
class Image:
    """A built image: its root on disk and what a container of it starts with."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)  # as the Dockerfile says (unmapped)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)

    def path(self, inside: str) -> Path:
        """Where an absolute path of the image is on disk."""
        return self.root / inside.lstrip("/")

    def host_value(self, value: str) -> str:
        """An environment value with the image's absolute paths mapped onto its root
        (``/opt/venv/bin:$PATH`` → ``<root>/opt/venv/bin:<the machine's system PATH>``)."""
        parts = []
        for part in value.split(":"):
            if part == "$PATH":
                parts.append(system_path())
            elif part.startswith("/"):
                parts.append(str(self.path(part)))
            else:
                parts.append(part)
        return ":".join(parts)

    def host_env(self) -> dict[str, str]:
        env = {"PATH": system_path(), **network_env()}
        env.update({name: self.host_value(value) for name, value in self.env.items()})
        return env


def system_path() -> str:
    """The machine's PATH without any virtualenv (the tests run inside one)."""
    venv_bins = {str(Path(sys.prefix) / "bin")}
    return ":".join(p for p in os.environ.get("PATH", "").split(":") if p not in venv_bins)


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for keyword, args in _instructions(text):
        if keyword == "FROM":
            words = args.split()
            base = next(word for word in words if not word.startswith("--"))
            named = len(words) >= 3 and words[-2].upper() == "AS"
            name = words[-1] if named else str(len(stages))  # Docker's name: its index
            stages.append(Stage(name, base, []))
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return stages


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))  # fmt: skip
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            found.append((keyword.upper(), args.strip()))
    return found


class DockerIgnore:
    """``.dockerignore``: the last pattern that matches a path, or one of its folders,
    decides; ``!`` patterns take a path back."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for pattern in map(str.strip, text.splitlines()):
            if pattern and not pattern.startswith("#"):
                negated = pattern.startswith("!")
                self.rules.append((negated, _glob_regex(pattern.lstrip("!").strip("/"))))

    def ignored(self, relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for negated, pattern in self.rules:
            if any(pattern.fullmatch(prefix) for prefix in prefixes):
                verdict = not negated
        return verdict


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


class ImageBuilder:
    """Builds one Dockerfile's target from a build context (a repository checkout)."""

    def __init__(self, context: Path, dockerfile: Path, root: Path) -> None:
        self.context = context
        self.stages = {stage.name: stage for stage in parse_dockerfile(dockerfile.read_text())}
        ignore_file = context / ".dockerignore"
        self.ignore = DockerIgnore(ignore_file.read_text() if ignore_file.exists() else "")
        self.root = root
        self.built: dict[str, Image] = {}
        self.log = root.parent / f"{root.name}.log"

    def build(self, target: str | None = None) -> Image:
        name = target or list(self.stages)[-1]
        image = self._build_stage(name)
        shutil.move(self._set_aside(name), self.root)  # the target back at the image root
        return image

    def _set_aside(self, name: str) -> Path:
        return self.root.parent / f"{self.root.name}.{name}"

    def _build_stage(self, name: str) -> Image:
        if name in self.built:
            return self.built[name]
        stage = self.stages[name]
        needs = [stage.base] if stage.base in self.stages else []
        needs += [
            source
            for instruction in stage.instructions
            if instruction.keyword == "COPY"
            for source in re.findall(r"--from=(\S+)", instruction.args)
            if not self._registry_image(source)
        ]
        for each in needs:
            self._build_stage(each)
        if stage.base in self.stages:
            shutil.copytree(self._set_aside(stage.base), self.root, symlinks=True)
            base = self.built[stage.base]
            image = Image(self.root, dict(base.env), base.workdir, base.entrypoint, base.cmd)
        else:
            self.root.mkdir(parents=True)
            image = Image(self.root)
        for instruction in stage.instructions:
            self._apply(image, instruction)
        self.built[name] = image
        shutil.move(self.root, self._set_aside(name))
        return image

    def _apply(self, image: Image, instruction: Instruction) -> None:
        keyword, args = instruction.keyword, instruction.args
        if keyword == "WORKDIR":
            image.workdir = os.path.join(image.workdir, args)
            image.path(image.workdir).mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                image.env[key] = value
        elif keyword == "ENTRYPOINT":
            image.entrypoint = json.loads(args)
            image.cmd = []  # Docker resets CMD when ENTRYPOINT is set
        elif keyword == "CMD":
            image.cmd = json.loads(args)
        elif keyword == "COPY":
            self._copy(image, args)
        elif keyword == "RUN":
            self._run(image, args)
        # EXPOSE, HEALTHCHECK, USER, LABEL, ARG: nothing on disk

    def _copy(self, image: Image, args: str) -> None:
        words = shlex.split(args)
        stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        *sources, destination = [word for word in words if not word.startswith("--")]
        target = image.path(os.path.join(image.workdir, destination))
        into_folder = destination.endswith("/") or len(sources) > 1
        for source in sources:
            if stage is not None and self._registry_image(stage):
                # a file of a registry image (uv's binary): the machine's own must do
                tool = Path(destination).name if not into_folder else Path(source).name
                if shutil.which(tool, path=system_path()) is None:
                    raise FileNotFoundError(f"COPY --from={stage} {source}: no {tool} here")
                continue
            if stage is not None:
                origin = self._set_aside(stage) / source.lstrip("/")
                self._place(origin, target, into_folder, filtered=False)
            else:
                self._place(self.context / source, target, into_folder, filtered=True)

    def _registry_image(self, name: str) -> bool:
        """A stage that only names an image of a registry (nothing built here)."""
        stage = self.stages.get(name)
        return stage is None or (stage.base not in self.stages and not stage.instructions)

    def _place(self, origin: Path, target: Path, into_folder: bool, *, filtered: bool) -> None:
        destination = target / origin.name if into_folder else target
        if origin.is_dir():
            for path in sorted(origin.rglob("*")):
                relative = path.relative_to(origin)
                if filtered and self.ignore.ignored(str(path.relative_to(self.context))):
                    continue
                if path.is_file() or path.is_symlink():
                    (destination / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, destination / relative, follow_symlinks=False)
        else:
            if filtered and self.ignore.ignored(str(origin.relative_to(self.context))):
                raise FileNotFoundError(f"COPY {origin}: excluded by .dockerignore")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)

    def _run(self, image: Image, args: str) -> None:
        command = re.sub(r"^(--\S+\s+)+", "", args)
        if command.split()[0] in ACCOUNT_COMMANDS:
            return
        env = image.host_env()
        env.update(network_env())
        env.update(builder_caches())
        home = env.get("HOME")
        if home:  # the account's home, which the skipped useradd would have made
            Path(home).mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            log.write(f"$ RUN {command}\n")
            log.flush()
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                cwd=image.path(image.workdir),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"RUN {command} failed ({done.returncode}); see {self.log}")
