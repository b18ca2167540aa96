"""Sessions: ``nox`` runs the whole test suite (tests, lint, typing, docs).

``nox -s demo`` runs the demo; ``nox -s bench`` the embedded agent's benchmark;
``nox -s bench_clients`` the clients' benchmark (CPU per call against the raw
HTTP libraries and py-consul).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typing", "docs"]
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str, extras: str = "all") -> None:
    """Install the package (with ``extras``) and the named dependency groups."""
    requirements: list[str] = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install(f".[{extras}]", *requirements)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, against the installed package, warnings as errors."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    install(session, "lint", extras="all")
    paths = ("consul", "tests", "bench", "docs/coverage.py", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package and docs/coverage.py; mypy and pyright on tests/typing."""
    install(session, "typing")
    session.run("mypy")
    session.run("mypy", "--strict", "docs/coverage.py")
    session.run("mypy", "--strict", "tests/typing")
    session.run("pyright", "-p", "tests/typing")


@nox.session
def docs(session: nox.Session) -> None:
    """Check that the coverage page is up to date; build the documentation, warnings as errors."""
    install(session, "docs")
    session.run("python", "docs/coverage.py", "--check")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def demo(session: nox.Session) -> None:
    """The demo: every main feature through all five clients."""
    install(session)
    session.run("python", "-m", "consul.demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The embedded agent's benchmark (ratios against baselines of the same run)."""
    install(session)
    session.run("python", "bench/agent.py", *session.posargs)


@nox.session
def bench_clients(session: nox.Session) -> None:
    """The clients' benchmark: CPU per call against their HTTP libraries and py-consul 1.8.

    py-consul's import name is also ``consul``: it gets a virtualenv of its own
    beside this session's, made on the first run.
    """
    install(session)
    py_consul = Path(session.virtualenv.location).parent / "bench-py-consul"
    session.run("python", "bench/clients.py", "--py-consul", str(py_consul), *session.posargs)
