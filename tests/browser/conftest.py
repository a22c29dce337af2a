"""Chromium fixtures: one browser per test module (launching costs seconds), pages per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_host import HostPages, PhoneHost

from peers.browser import Browser, chromium_or_skip

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "ui"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = chromium_or_skip()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (kept by CI as test artefacts, not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def host() -> Iterator[PhoneHost]:
    h = PhoneHost()
    h.start_service()
    try:
        yield h
    finally:
        h.close()


@pytest.fixture(scope="module")
def site() -> Iterator[HostPages]:
    pages = HostPages()
    try:
        yield pages
    finally:
        pages.close()
