"""The docs stay true: README.md and docs/*.md checked against the code they describe.

Generic on purpose (it checks whatever pages are added later):

- every `smartprov <command> --flag` (and `smartprov-cli <command>` in compose lines) in code
  against the CLI's argparse parser;
- every DAG id and task id, where the text says it is one (`dag.task`, "task `x`", "the
  `x` DAG", `airflow dags|tasks … <dag>`, `/api/v2/dags/<dag>`), against the DagBag;
- every SMARTPROV_* / AIRFLOW_* environment variable against the code, compose, Makefile,
  docker/ and the env examples, and every AIRFLOW__SECTION__KEY against Airflow's own
  configuration;
- every repository path in code spans and links against the tree (a `file::name` reference
  also needs `def name` in the file).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# Files an operator creates from the docs' instructions (not in the repository by design).
OPERATOR_FILES = {
    ".env",
    "site.env",
    "secrets",
    "config/alerts.yml",
    "regency-credentials.csv",
    "backup",
}


@dataclass(frozen=True)
class Mention:
    doc: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


# -- reading the pages -----------------------------------------------------------------------
_FENCE = re.compile(r"^(```|~~~)")
_SPAN = re.compile(r"`([^`\n]+)`")


def code_pieces(path: Path) -> list[tuple[int, str, bool]]:
    """(line number, text, fenced?) of every code span and fenced line (continuations joined)."""
    out: list[tuple[int, str, bool]] = []
    fenced = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if fenced:
            if pending:
                start, text = pending
                text += " " + line.strip()
            else:
                start, text = number, line
            if text.rstrip().endswith("\\"):
                pending = (start, text.rstrip()[:-1])
                continue
            pending = None
            out.append((start, text, True))
        else:
            out.extend((number, m.group(1), False) for m in _SPAN.finditer(line))
    return out


def prose_lines(path: Path) -> list[tuple[int, str]]:
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


# -- the CLI -------------------------------------------------------------------------------
@cache
def cli_commands() -> dict[str, set[str]]:
    from smartprov.cli import build_parser

    parser = build_parser()
    commands: dict[str, set[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                commands[name] = _options(sub)
    return commands


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """A command's flags, its own subcommands' included (`smartprov portal-user add --email`)."""
    found: set[str] = set()
    for action in parser._actions:
        found |= set(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


_CLI_CALL = re.compile(r"(?:^|[\s`(;&|$])smartprov(?:-cli)?\s+(?P<rest>[^|;&>)#\n]*)")


def cli_mentions(pages=None) -> list[tuple[Mention, str, list[str]]]:
    found = []
    for path in pages or doc_files():
        for number, text, fenced in code_pieces(path):
            if fenced:
                text = re.sub(r"(^|\s)#.*$", "", text)  # a shell comment is prose
            for m in _CLI_CALL.finditer(text):
                words = m["rest"].split()
                # options of the `docker compose run` wrapper never come first; a command does
                if not words or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
                    continue
                flags = [w.split("=", 1)[0] for w in words[1:] if re.fullmatch(r"--[a-z][a-z-]*(=.*)?", w)]
                found.append((Mention(rel(path), number, text.strip()), words[0], flags))
    return found


def test_docs_mention_the_cli():
    """The scanner finds CLI calls at all (an empty result would pass everything)."""
    assert {"run", "forget", "reprocess"} <= {command for _, command, _ in cli_mentions()}


def cli_problems(pages=None) -> list[str]:
    commands = cli_commands()
    wrong = []
    for mention, command, flags in cli_mentions(pages):
        if command not in commands:
            wrong.append(f"{mention}  -> no command `{command}` (commands: {', '.join(sorted(commands))})")
            continue
        for flag in flags:
            if flag not in commands[command]:
                wrong.append(f"{mention}  -> `smartprov {command}` has no {flag}")
    return wrong


def test_every_smartprov_command_and_flag_exists():
    wrong = cli_problems()
    assert not wrong, "\n".join(wrong)


# -- DAGs and tasks --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def known_dags(dag_alert_env) -> dict[str, set[str]]:
    """DAG id -> task ids, from the DagBag (the DAG files need the alert settings to import)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return {dag_id: set(dag.task_ids) for dag_id, dag in bag.dags.items()}


_DAG_CONTEXTS = [
    re.compile(r"/dags/(?P<dag>[a-z][\w]*)"),
    re.compile(r"airflow (?:dags|tasks) [a-z-]+(?: -[\w-]+(?: \S+)?)* (?P<dag>[a-z][\w]*_[\w]+)"),
    re.compile(r"\b[Dd][Aa][Gg]s? `(?P<dag>[a-z][\w]*)`"),
    re.compile(r"`(?P<dag>[a-z][\w]*)` (?:DAG|dag)\b"),
    re.compile(r"dag_id=[\"'](?P<dag>[a-z][\w]*)"),
]
_DAG_TASK = re.compile(r"\b(?P<dag>smartprov_[a-z]+)\.(?P<task>[a-z][a-z_]*)\b")
_TASK_CONTEXTS = [
    re.compile(r"\b[Tt]asks? `(?P<tasks>[^`]+)`"),
    re.compile(r"`(?P<tasks>[^`]+)` tasks?\b"),
    re.compile(r"tasks clear .*?-t '(?P<tasks>[^']+)'"),
    re.compile(r"tasks \(`(?P<tasks>[^`]+)`"),
]
_IDENT = re.compile(r"[a-z][a-z0-9_]*")


def logical_lines(path: Path) -> list[tuple[int, str]]:
    """(first line number, text) of every line, a shell command continued with `\\` joined."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        start, text = (pending[0], pending[1] + " " + line.strip()) if pending else (number, line)
        if text.rstrip().endswith("\\"):
            pending = (start, text.rstrip()[:-1])
            continue
        pending = None
        out.append((start, text))
    if pending:
        out.append(pending)
    return out


def dag_and_task_mentions(
    pages=None,
) -> tuple[list[tuple[Mention, str]], list[tuple[Mention, str | None, str]]]:
    dags, tasks = [], []
    for path in pages or doc_files():
        for number, line in logical_lines(path):
            mention = Mention(rel(path), number, line.strip())
            for pattern in _DAG_CONTEXTS:
                dags.extend((mention, m["dag"]) for m in pattern.finditer(line))
            for m in _DAG_TASK.finditer(line):
                if not re.match(r"(py|md|yml|yaml|json|sql|csv)\b", m["task"]):
                    dags.append((mention, m["dag"]))
                    tasks.append((mention, m["dag"], m["task"]))
            for pattern in _TASK_CONTEXTS:
                for m in pattern.finditer(line):
                    names = [n for n in re.split(r"[\s→,|()]+", m["tasks"]) if n]
                    if names and all(_IDENT.fullmatch(n) for n in names):
                        tasks.extend((mention, None, n) for n in names)
    return dags, tasks


def test_docs_mention_dags_and_tasks():
    dags, tasks = dag_and_task_mentions()
    assert "smartprov_nightly" in {d for _, d in dags}
    assert "validate_and_load" in {t for _, _, t in tasks}


def dag_problems(known: dict[str, set[str]], pages=None) -> list[str]:
    every_task = set().union(*known.values())
    dags, tasks = dag_and_task_mentions(pages)
    wrong = [f"{m}  -> no DAG `{d}` (DAGs: {', '.join(sorted(known))})" for m, d in dags if d not in known]
    for mention, dag, task in tasks:
        pool = known.get(dag, set()) if dag else every_task
        if task not in pool:
            wrong.append(f"{mention}  -> no task `{task}`" + (f" in {dag}" if dag else ""))
    return wrong


_DAG_LIKE = re.compile(r"`(?P<name>smartprov_[a-z]+)`")


def dag_like_problems(known: dict[str, set[str]], pages=None) -> list[str]:
    """A bare `smartprov_xxx` in backticks is a DAG id or another name the code defines
    (a Connection, a role, an asset); a name that is neither is a claim about nothing."""
    corpus = env_corpus()
    wrong = []
    for path in pages or doc_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in _DAG_LIKE.finditer(line):
                name = m["name"]
                if name not in known and not re.search(rf"\b{name}\b", corpus):
                    wrong.append(
                        f"{Mention(rel(path), number, line.strip())}  -> `{name}`: no such DAG (or name)"
                    )
    return wrong


def test_every_dag_and_task_id_exists(known_dags):
    wrong = dag_problems(known_dags) + dag_like_problems(known_dags)
    assert not wrong, "\n".join(wrong)


# -- environment variables ---------------------------------------------------------------------
_ENV = re.compile(r"(?<![A-Za-z0-9_$])(?P<name>(?:SMARTPROV|AIRFLOW)_[A-Z0-9_]*[A-Z0-9_])")


@cache
def env_corpus() -> str:
    """Where a variable can be defined or read: the package, DAGs, compose, Makefile, docker/,
    the env examples, the dbt profile and CI."""
    paths = [
        *(ROOT / "plugins").rglob("*.py"),
        *(ROOT / "dags").rglob("*.py"),
        *(p for p in (ROOT / "docker").rglob("*") if p.is_file()),
        ROOT / "docker-compose.yml",
        ROOT / "Makefile",
        ROOT / ".env.example",
        ROOT / "site.env.example",
        ROOT / "dbt" / "profiles.yml",
        ROOT / ".ci" / "run",
    ]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths if p.is_file())


def env_mentions(pages=None) -> list[tuple[Mention, str]]:
    found = []
    for path in pages or doc_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in _ENV.finditer(line):
                found.append((Mention(rel(path), number, line.strip()), m["name"]))
    return found


# Sections of providers this environment does not install, with where they are used.
# (none now: the Celery provider is a requirement since the compose profile `celery`)
SECTIONS_NOT_INSTALLED: dict[str, str] = {}


def airflow_option_exists(name: str) -> bool:
    """AIRFLOW__SECTION__KEY (or its `_CMD` / `_SECRET` variant) is an option of Airflow or of
    an installed provider."""
    import importlib.util

    from airflow.configuration import conf

    described = conf.configuration_description
    for body in dict.fromkeys(
        [name.removeprefix("AIRFLOW__"), re.sub(r"_(CMD|SECRET)$", "", name.removeprefix("AIRFLOW__"))]
    ):
        section, _, key = (part.lower() for part in body.partition("__"))
        if key and key in (described.get(section) or {}).get("options", {}):
            return True
        if (
            section in SECTIONS_NOT_INSTALLED
            and importlib.util.find_spec(f"airflow.providers.{section}") is None
        ):
            return True
    return False


def defined_in(name: str, corpus: str) -> bool:
    """Written out somewhere, or a member of a family the code builds: f"PREFIX_{key}" with
    "KEY" a literal in the code, or a "PREFIX_" constant completed by a user's name."""
    if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9])", corpus):
        return True
    for cut in (i for i, ch in enumerate(name) if ch == "_" and i > len("SMARTPROV")):
        prefix, rest = name[: cut + 1], name[cut + 1 :]
        if (
            rest
            and re.search(rf"f[\"']{re.escape(prefix)}\{{", corpus)
            and re.search(rf"[\"']{rest}[\"']", corpus)
        ):
            return True
        if rest and re.search(rf"[\"']{re.escape(prefix)}[\"']", corpus):
            return True
    return False


def test_docs_mention_environment_variables():
    names = {n for _, n in env_mentions()}
    assert {"SMARTPROV_WAREHOUSE_URL", "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"} <= names


def env_problems(pages=None) -> list[str]:
    corpus = env_corpus()
    wrong = []
    for mention, name in env_mentions(pages):
        if name.startswith("AIRFLOW__"):
            ok = airflow_option_exists(name)
            where = "Airflow's configuration"
        elif name.endswith("_"):  # a family, e.g. SMARTPROV_ALERTS_ or AIRFLOW_CONN_
            ok = re.search(re.escape(name), corpus) is not None
            where = "the code"
        else:
            ok = defined_in(name, corpus)
            where = "the code, compose, Makefile, docker/ or the env examples"
        if not ok:
            wrong.append(f"{mention}  -> {name} is not in {where}")
    return wrong


def test_every_environment_variable_exists():
    wrong = env_problems()
    assert not wrong, "\n".join(wrong)


# -- paths ---------------------------------------------------------------------------------------
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@cache
def top_level() -> set[str]:
    return {p.name for p in ROOT.iterdir()} - {".git"}


@cache
def ignored(path: str) -> bool:
    done = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, capture_output=True, check=False
    )
    return done.returncode == 0


def candidate_path(token: str) -> str | None:
    """The repository path a code span names, or None when it names none: a top-level entry,
    or a path under one (`plugins/smartprov/cli.py`, `docs/`, `tests/test_x.py::test_y`)."""
    token = token.strip().strip("'\"").rstrip(".,;:")
    if not token or " " in token or "://" in token or token.startswith(("/", "~", "$", "-", "<")):
        return None
    if any(ch in token for ch in "<>…{}=@"):
        return None  # a pattern or placeholder, not a file
    file_part = token.split("::", 1)[0]
    head = file_part.split("/", 1)[0]
    operator_heads = {p.split("/")[0] for p in OPERATOR_FILES}
    if head not in top_level() and head not in operator_heads:
        return None
    if "/" not in file_part and "::" not in token and file_part not in top_level():
        return None
    return token


def path_mentions(pages=None) -> list[tuple[Mention, str, Path]]:
    found = []
    for path in pages or doc_files():
        for number, text, fenced in code_pieces(path):
            if fenced:
                continue
            target = candidate_path(text)
            if target:
                found.append((Mention(rel(path), number, text), target, ROOT))
        for number, line in prose_lines(path):
            for m in _LINK.finditer(line):
                target = m["target"].split("#", 1)[0]
                if target and "://" not in target and not target.startswith("mailto:"):
                    found.append((Mention(rel(path), number, m["target"]), target, path.parent))
    return found


def test_docs_mention_paths():
    targets = {t for _, t, _ in path_mentions()}
    assert "docker-compose.yml" in targets and any(t.startswith("plugins/smartprov/") for t in targets)


_COPY_PROSE = re.compile(r"\b[Cc]opy\s+`(?P<source>[^`\s]+)`\s+to\s+`(?P<copy>[^`\s]+)`")
_COPY_SHELL = re.compile(r"(?:^|[;&|]\s*)cp\s+(?P<source>[\w./-]+)\s+(?P<copy>[\w./-]+)\s*(?:$|[;&|#])")


def copies_made(path: Path) -> dict[str, str]:
    """Files the page tells the operator to make by copying a repository file ("copy `a` to
    `b`" in prose, `cp a b` in a code block): copy -> source. Such a copy is the site's own,
    so the page may name it; its source must exist."""
    prose = "\n".join(line for _, line in prose_lines(path))
    found = {m["copy"]: m["source"] for m in _COPY_PROSE.finditer(prose)}
    for _, text, fenced in code_pieces(path):
        if fenced:
            found.update((m["copy"], m["source"]) for m in _COPY_SHELL.finditer(text.strip()))
    return found


def path_problems(pages=None) -> list[str]:
    wrong = []
    copies = {rel(page): copies_made(page) for page in pages or doc_files()}
    for page, made in copies.items():
        for copy, source in made.items():
            if not (ROOT / source).is_file() and not ignored(source):
                wrong.append(f"{page}: {copy} is a copy of {source}, which does not exist")
    for mention, target, base in path_mentions(pages):
        file_part, _, name = target.partition("::")
        resolved = (base / file_part).resolve()
        if not resolved.is_relative_to(ROOT):
            wrong.append(f"{mention}  -> {target} is outside the repository")
            continue
        relative = resolved.relative_to(ROOT).as_posix() + ("/" if file_part.endswith("/") else "")
        top = relative.rstrip("/")
        if top in OPERATOR_FILES or any(top.startswith(f + "/") for f in OPERATOR_FILES) or ignored(top):
            continue
        if top in copies[mention.doc]:  # the page says how the operator makes it
            continue
        if "*" in relative:
            if not list(ROOT.glob(relative)):
                wrong.append(f"{mention}  -> nothing matches {relative}")
            continue
        full = ROOT / top
        if not full.exists():
            wrong.append(f"{mention}  -> {top} does not exist")
        elif name and not re.search(
            rf"^\s*(async )?def {re.escape(name.split('[')[0])}\(", full.read_text(), re.M
        ):
            wrong.append(f"{mention}  -> {top} has no {name}")
    return wrong


def test_every_repository_path_exists():
    wrong = path_problems()
    assert not wrong, "\n".join(wrong)


def test_the_checks_catch_what_the_issue_found(tmp_path, known_dags):
    """Claims like those of issue 17 fail the checks (guards the checkers themselves)."""
    page = tmp_path / "bad.md"
    page.write_text(
        "Failure alert: `[smartprov] GAGAL: smartprov_nightly.load (run …)`\n"
        "Run `smartprov forget --region 32.01 --everything`, then `smartprov frobnicate`.\n"
        "Set `SMARTPROV_NO_SUCH_SETTING` and `AIRFLOW__CORE__NO_SUCH_OPTION`.\n"
        "See `plugins/smartprov/object_landing.py` and `tests/test_docs.py::test_nothing_like_this`.\n",
        encoding="utf-8",
    )
    pages = [page]
    cli = "\n".join(cli_problems(pages))
    assert "--everything" in cli and "frobnicate" in cli
    env = "\n".join(env_problems(pages))
    assert "SMARTPROV_NO_SUCH_SETTING" in env and "AIRFLOW__CORE__NO_SUCH_OPTION" in env
    assert "no task `load` in smartprov_nightly" in "\n".join(dag_problems(known_dags, pages))
    weekly = tmp_path / "weekly.md"
    weekly.write_text(
        "Unpause `smartprov_weekly` and clear task `load_all`.\n"
        "```bash\nairflow tasks clear smartprov_nightly \\\n  -s 2026-03-01 -t 'build_marts|finish' -d -y\n```\n",
        encoding="utf-8",
    )
    found = "\n".join(dag_problems(known_dags, [weekly]) + dag_like_problems(known_dags, [weekly]))
    assert "`smartprov_weekly`: no such DAG" in found and "no task `load_all`" in found
    assert "no task `finish`" in found and "no task `build_marts`" not in found  # a continued command
    paths = "\n".join(path_problems(pages))
    assert "plugins/smartprov/object_landing.py does not exist" in paths
    assert "has no test_nothing_like_this" in paths
    # A file the operator makes is named only where the page says how, from a file that exists.
    copied = tmp_path / "copied.md"
    copied.write_text(
        "Copy `config/publish.example.yml` to `config/publish.yml`; then `config/publish.yml` lists\n"
        "the marts. Copy `config/nothing.example.yml` to `config/nothing.yml`.\n"
        "```bash\ncp config/other.example.yml config/other.yml\n```\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("Edit `config/publish.yml`.\n", encoding="utf-8")
    found = path_problems([copied, elsewhere])
    assert not [line for line in found if "config/publish" in line and rel(copied) in line], found
    assert f"{rel(elsewhere)}:1: config/publish.yml  -> config/publish.yml does not exist" in found
    assert (
        f"{rel(copied)}: config/nothing.yml is a copy of config/nothing.example.yml, which does not exist"
        in found
    )
    assert (
        f"{rel(copied)}: config/other.yml is a copy of config/other.example.yml, which does not exist"
        in found
    )
    good = tmp_path / "good.md"
    good.write_text(
        "`smartprov forget --region 32.01 --reason x`, `SMARTPROV_WAREHOUSE_URL`,"
        " `AIRFLOW__CORE__FERNET_KEY_CMD`, task `build_marts`, `plugins/smartprov/run/reprocess.py`.\n",
        encoding="utf-8",
    )
    assert not (
        cli_problems([good]) + env_problems([good]) + dag_problems(known_dags, [good]) + path_problems([good])
    )


# -- the runbook and the production guide --------------------------------------------------------
RUNBOOK = ROOT / "docs" / "operations.md"
PRODUCTION = ROOT / "docs" / "production.md"
_SETTING_PREFIXES = (
    "SMARTPROV_",
    "AIRFLOW_",
    "LANDING_",
    "MINIO_",
    "WAREHOUSE_",
    "REPORTS_",
    "PIP_",
    "MAILPIT_",
    "MARQUEZ_",
    "OPENLINEAGE_",
    "POSTGRES_",
    "SECRETS_",
    "PG",
)
_UPPER_NAME = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")


def _names_the_deployment_knows() -> str:
    files = [ROOT / "docker-compose.yml", ROOT / ".env.example", ROOT / "site.env.example", ROOT / "Makefile"]
    files.append(ROOT / "tests" / "pg.py")  # SMARTPROV_TEST_PG_DSN: the checks' own server
    for folder in ("plugins", "docker", "dags"):
        files += [
            p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in (".py", ".sh", ".yml", "")
        ]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


@pytest.mark.parametrize("page", [RUNBOOK, PRODUCTION], ids=lambda p: p.name)
def test_every_setting_name_in_the_deployment_docs_exists(page):
    """A name an operator is told to set (`SMARTPROV_LOADER_PASSWORD`, `LANDING_SECRET_KEY`, …)
    is one the code, compose or the scripts read: production.md once said
    WAREHOUSE_LOADER_PASSWORD, which nothing reads."""
    known = _names_the_deployment_knows()
    names = {
        name
        for _, code, _ in code_pieces(page)
        for name in _UPPER_NAME.findall(code)
        if name.startswith(_SETTING_PREFIXES)
    }
    assert {"SMARTPROV_LOADER_PASSWORD", "LANDING_SECRET_KEY"} & names, "the scan found nothing"
    # a name made of a prefix the code reads and a site's own part (SMARTPROV_ANALYST_PASSWORD_SITI)
    unknown = sorted(
        name
        for name in names
        if not re.search(rf"\b{name}\b", known)
        and not any(f'"{name[: i + 1]}"' in known for i, c in enumerate(name) if c == "_")
    )
    assert not unknown, f"{page.name} names settings nothing reads: {unknown}"


def test_the_runbook_starts_with_doctor_and_describes_each_check():
    from smartprov.run import doctor

    text = RUNBOOK.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert "doctor" in headings[0], f"the runbook's first section is {headings[0]!r}"
    section = text.split("\n## ", 2)[1]
    described = {row.split("|")[1].strip() for row in section.splitlines() if row.startswith("| ")}
    # the names the checks print (read from their findings where that needs no service)
    names = {
        doctor.check_public_base_url({doctor.PUBLIC_BASE_URL_ENV: "https://x.example"}).check,
        doctor.check_timezone("Asia/Jakarta").check,
        doctor.check_publish(ROOT / "no-such-publish.yml").check,
        doctor.check_deadlines(ROOT / "config" / "deadlines.yml").check,
        doctor.check_landing(str(ROOT)).check,
        doctor.check_folders({"SMARTPROV_VAR_DIR": ROOT / "var"}).check,
        doctor.check_shared_store().check,
        doctor.check_warehouse("duckdb:///" + str(ROOT / "var" / "doc-check.duckdb")).check,
        doctor.check_loader_rights("duckdb:///" + str(ROOT / "var" / "doc-check.duckdb")).check,
        "mail relay",
    }
    assert len(names) == len(doctor.CHECKS)
    assert names <= described, f"runbook table lacks {sorted(names - described)}"


def test_the_restore_runs_pg_setup_again():
    """After pg_restore the loader has no rights on the new database until pg-setup runs."""
    text = RUNBOOK.read_text(encoding="utf-8")
    restore = " ".join(text[text.index("**Restore**") : text.index("**The restore drill**")].split())
    assert restore.index("pg_restore") < restore.index("--force-recreate warehouse-init")
    assert "doctor" in restore and "permission denied for database" in restore
    assert "smartprov pg-setup" in restore  # and without Docker


def test_deadlines_are_documented_where_they_are():
    import yaml

    dbt_vars = set(yaml.safe_load((ROOT / "dbt" / "dbt_project.yml").read_text())["vars"])
    for page in (RUNBOOK, PRODUCTION):
        text = page.read_text(encoding="utf-8")
        assert "deadlines` in `config/alerts.yml" not in text, (
            f"{page.name}: deadlines moved to config/deadlines.yml"
        )
        for var in re.findall(r"`(\w+)` dbt var", text):
            assert var in dbt_vars, f"{page.name}: no dbt var {var}"
    assert "config/deadlines.yml" in RUNBOOK.read_text(encoding="utf-8")
    assert not (ROOT / "dbt" / "seeds" / "ref_submission_deadlines.csv").exists(), (
        "the seed is generated, untracked"
    )
