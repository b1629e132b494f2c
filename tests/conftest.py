"""Test set-up: Qt runs offscreen (no display needed), no test reaches the network or the
user's torch cache, every test starts on one torch thread, and no test may leak threads."""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

# Before any Qt import: pytest-qt aborts without a display otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep settings written by the GUI out of the user's real configuration.
os.environ.setdefault("LOUPE_TEST_MODE", "1")
# Offline, in this process and in the CLI subprocesses: core.models.registry then never probes
# download.pytorch.org, so results do not depend on whether the machine is online.
os.environ["LOUPE_OFFLINE"] = "1"
# torch's download cache (hub/checkpoints) in a fresh folder: a weights file the user happens
# to have in ~/.cache/torch must not change what a test sees, and no test may write there.
_TORCH_HOME = tempfile.mkdtemp(prefix="loupe-test-torch-")
os.environ["TORCH_HOME"] = _TORCH_HOME
atexit.register(shutil.rmtree, _TORCH_HOME, True)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

pytest_plugins = ["tests.trust_fixtures"]  # split_run: one trained train/val/test run

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _refuse_remote(sock: socket.socket, address) -> None:
    """Loopback and local sockets are fine (Qt, multiprocessing); anything else is a test bug."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: resolving it would already be network traffic
        local = False
    if not local:
        raise OSError(f"tests are offline: connection to {address!r} refused by tests/conftest.py")


def _offline_connect(sock, address):
    _refuse_remote(sock, address)
    return _real_connect(sock, address)


def _offline_connect_ex(sock, address):
    _refuse_remote(sock, address)
    return _real_connect_ex(sock, address)


socket.socket.connect = _offline_connect
socket.socket.connect_ex = _offline_connect_ex


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Every test starts on one torch thread: a test that lets the CPU tuner pick a count
    must not leave it to the tests after it (speed and float results depend on it)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    yield


@pytest.fixture(autouse=True)
def _forget_online_state():
    """core.models.registry caches whether the machine is online: a test that changed
    LOUPE_OFFLINE must not decide it for the tests after it."""
    yield
    registry = sys.modules.get("core.models.registry")
    if registry is not None:
        registry._online.cache_clear()


@pytest.fixture(autouse=True)
def _private_user_cache(tmp_path_factory, monkeypatch):
    """Each test gets an empty user cache folder: nothing remembered from the user's own
    runs or from another test (the CPU tuner's choice, for one) changes what it sees."""
    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))


@pytest.fixture(autouse=True)
def _no_standby_training_process(monkeypatch):
    """A window keeps its next training process ready, torch loaded (core.train.standby): in
    the suite every window would load torch once more in the background, on 2 cores. The
    standby's own tests switch it back on."""
    from core.train import standby

    monkeypatch.setattr(standby, "START_AHEAD", False)


_collector = None


@pytest.fixture(autouse=True)
def _gui_thread_collection():
    """As in the app (gui.collector.GuiThreadCollector): once a QApplication exists, cyclic
    garbage (a widget of an earlier test) is freed on the GUI thread, never by a thread that
    happens to allocate (which crashed the suite in Qt's timer dispatch)."""
    global _collector
    yield
    qt = sys.modules.get("PySide6.QtWidgets")
    if _collector is None and qt is not None and qt.QApplication.instance() is not None:
        from gui.collector import GuiThreadCollector

        _collector = GuiThreadCollector()


WIND_DOWN_MS = 3000


@pytest.fixture(autouse=True)
def _no_leaked_qthreads(request):
    """Fail a test that leaves a QThread running: at exit that is a crash. Every QThread in
    Loupe is a gui.jobs job thread, and gui.jobs knows which still run (walking all widgets
    for threads instead once crashed on a widget being destroyed). A cancelled job winds
    down after its test's last line (gui.jobs keeps its thread until then, as the window
    does): one that ends within WIND_DOWN_MS is waited for, not a leak."""
    yield
    jobs = sys.modules.get("gui.jobs")
    if jobs is None:
        return
    running = jobs.running_threads()
    for t in running:
        t.wait(WIND_DOWN_MS)
    left = [t for t in running if not t.isFinished()]
    if left:
        names = ", ".join(t.objectName() for t in left)
        for t in left:
            t.wait(5000)  # let it end before the next test: its own failure is enough
        pytest.fail(f"test left {len(left)} QThread(s) running: {names}")
