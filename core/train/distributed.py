"""Data-parallel training under torchrun, with PyTorch's own engine (torch.distributed and
DistributedDataParallel). `python -m torch.distributed.run --nproc-per-node N main.py train
...` starts N processes; each finds its place in torchrun's environment (RANK, WORLD_SIZE,
LOCAL_RANK) and the loop (core.train.loop) calls the small hooks of `Ranks` at the few points
where a process of a group differs from a process alone. Alone, every hook is the
single-process behaviour itself.

- Process group: gloo on the CPU; NCCL for GPU tensors (each process on cuda:LOCAL_RANK) with
  gloo beside it for the small CPU-side agreements, so that they never wait for the GPU.
- The run folder: only rank 0 takes the run lock and writes (run.json, config.json, metrics,
  checkpoints, the model, the test report) and reports events; the others read the folder
  (a resumed checkpoint) and stay silent, but for their own failure.
- Agreement: every step starts with one tiny all_reduce of (stop, pause, report due), so a
  stop or pause asked of any process (Ctrl+C reaches every process under torchrun; the
  window's controls reach rank 0) takes effect on all of them at the same step, and no
  process waits alone in a collective. A pause is held in short polls, so that it may last
  longer than the collective timeout.
- Failures: a process that dies makes the others' next collective fail (gloo notices at once;
  otherwise after LOUPE_DIST_TIMEOUT_S, default 300 s); torchrun then ends the survivors with
  SIGTERM. Either way the run ends "failed" with one sentence, and last.ckpt (written
  atomically after each epoch) stays resumable."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import signal
import threading
from collections.abc import Iterator

import torch
import torch.distributed as dist

from core.control import RunControl
from core.device import resolve_device
from core.errors import ConfigError, LoupeError
from core.events import RunFinished, TrainEvent
from core.files.run_folder import RunFolder
from core.files.run_lock import RunLock
from core.train import defaults, shards
from core.train.config import TrainConfig, to_dict
from core.train.cpu_tuner import BF16, FP32, CpuSetting

TIMEOUT_ENV = "LOUPE_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 300
PAUSE_POLL_SECONDS = 0.5  # a paused run's processes agree this often whether it goes on
# Tests only: "RANK:STEP" makes that process exit hard (no cleanup) at its STEP-th step, as a
# crashed or killed GPU process would.
TEST_HOOK_EXIT_ENV = "LOUPE_TEST_HOOK_EXIT_RANK_AT_STEP"


class RunTerminated(LoupeError):
    """SIGTERM under torchrun: another process of the run failed, or the job was cancelled."""


class ReadOnlyRunFolder(RunFolder):
    """The run folder as the processes other than rank 0 see it: they read it (a resumed
    run's checkpoint and history) and keep their records in memory; they never write."""

    writable = False

    def __post_init__(self) -> None:
        pass  # rank 0 creates the folder

    def write_json(self, name: str, obj: object) -> None:
        pass

    def add_epoch(self, row: dict) -> None:
        self.metrics.append(row)

    def update_summary(self, **values: object) -> None:
        self.summary.update(values)


class Ranks:
    """This process's place in a torchrun group (rank 0 of 1 when alone)."""

    def __init__(self, rank: int = 0, world: int = 1, local_rank: int = 0, local_world: int = 1):
        self.rank, self.world = rank, world
        self.local_rank, self.local_world = local_rank, local_world
        self.control: SharedControl | None = None
        self._started = False
        self._previous_sigterm = None

    @classmethod
    def from_env(cls) -> Ranks:
        world = shards.world_size()
        if world <= 1:
            return cls()
        return cls(shards.process_rank(), world, shards.local_rank(), shards.local_world_size())

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def writer(self) -> bool:
        return self.rank == 0

    def describe(self) -> str:
        return f"process {self.rank} of {self.world}"

    # -- start and end -------------------------------------------------------------------
    def start(self, device_setting: str) -> None:
        """Join the group (blocks until every process has come, at most the timeout)."""
        if not self.distributed or dist.is_initialized():
            return
        device = resolve_device(device_setting)
        timeout = datetime.timedelta(seconds=_timeout_seconds())
        backend = "gloo"
        if device.type == "cuda":
            if torch.cuda.device_count() <= self.local_rank:
                raise LoupeError(
                    f"torchrun started {self.local_world} processes on this machine but it has "
                    f"{torch.cuda.device_count()} GPU(s): use --nproc-per-node "
                    f"{torch.cuda.device_count()} or fewer."
                )
            torch.cuda.set_device(self.local_rank)
            backend = "cpu:gloo,cuda:nccl"  # agreements on the CPU, gradients on the GPUs
        try:
            dist.init_process_group(backend, timeout=timeout)
        except Exception as exc:
            raise LoupeError(
                f"Training {self.describe()} could not join the others within "
                f"{timeout.seconds} s ({_first_line(exc)})."
            ) from exc
        self._started = True
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, _signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the run is ending already
        raise RunTerminated(
            f"Training {self.describe()} was told to end ({shards.PEER_FAILED} failed or the "
            "job was cancelled); the last checkpoint is kept: continue with --resume."
        )

    def close(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._previous_sigterm is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, self._previous_sigterm)
        with contextlib.suppress(Exception):  # a group whose peer died may not close cleanly
            dist.destroy_process_group()

    # -- what setup asks -----------------------------------------------------------------
    def local_device(self, device: torch.device) -> torch.device:
        """Under torchrun each process trains on its own GPU: cuda:LOCAL_RANK."""
        if self.distributed and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def fixed_cpu_setting(self, cfg: TrainConfig) -> list[CpuSetting] | None:
        """On the CPU the processes share the machine's cores: each gets cores // processes
        threads (or the threads asked for), and bf16 only when asked for. No timing:
        processes measuring one another's load would each choose differently."""
        if not self.distributed:
            return None
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        threads = cfg.cpu_threads or max(1, (cpus or os.cpu_count() or 1) // self.local_world)
        return [CpuSetting(threads, BF16 if cfg.mixed_precision == "on" else FP32)]

    def steps_per_epoch(self, images: int, batch: int) -> int:
        if not self.distributed:
            return defaults.steps_per_epoch(images, batch)
        return shards.steps_per_epoch(images, batch, self.world)

    def check(self, batch: int, train_images: int, data_dir: str) -> None:
        shards.check_world(batch, train_images, self.world, data_dir)

    def batch_words(self) -> str:
        return f" (global: {self.world} processes share it)" if self.distributed else ""

    def run_record(self, cfg: TrainConfig) -> dict:
        """config.json: the settings, and the number of processes that train with them when
        more than one (a single process's config.json stays exactly a TrainConfig)."""
        record = to_dict(cfg)
        # Folders as typed are relative to the shell they were typed in; the window, a resume
        # and `doctor --run` read them from anywhere (the weights file stays as given: a
        # resume compares it, and never reads it again).
        for key in ("data_dir", "out_dir"):
            record[key] = _absolute(record[key])
        if isinstance(record.get("unlabelled"), dict):
            record["unlabelled"]["folder"] = _absolute(record["unlabelled"]["folder"])
        return {**record, "world_size": self.world} if self.distributed else record

    # -- the run folder and the events ---------------------------------------------------
    def open_folder(self, out_dir: str) -> tuple[RunLock | None, RunFolder]:
        """Rank 0 locks and writes the run folder; the others only read it."""
        if self.writer:
            lock = RunLock.acquire(out_dir)
            return lock, RunFolder(lock.folder)
        return None, ReadOnlyRunFolder(os.path.abspath(out_dir))

    def own_events(self, events: Iterator[TrainEvent]) -> Iterator[TrainEvent]:
        """Rank 0 reports the run; the others report only how it ended for them."""
        try:
            for event in events:
                if isinstance(event, RunFinished):
                    self.ending()
                    yield event
                elif self.writer:
                    yield event
        finally:
            events.close()

    def failure(self, exc: LoupeError) -> str:
        """The sentence this process ends with. A refusal that every process reaches alike (a
        ConfigError: the settings, a batch too small to share) is raised again in the others:
        process 0 says it, and the command line does not repeat it (core.cli.commands)."""
        if not self.writer and isinstance(exc, ConfigError):
            raise exc
        return str(exc)

    def ending(self) -> None:
        """The run is recording its outcome (run.json) or has it: torchrun's SIGTERM to the
        survivors of a failed process must not cut this process's own ending short (it left
        run.json saying "running" when it came during the write)."""
        if self._started and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def lost_contact(self, exc: BaseException) -> str | None:
        """The sentence for an error of the process group (a peer died or stopped answering);
        None for any other error."""
        if not self.distributed or not _is_group_error(exc):
            return None
        return (
            f"Training {self.describe()} lost contact with the others ({_first_line(exc)}): "
            f"{shards.PEER_FAILED} failed or was killed; the last checkpoint is kept: "
            "continue with --resume."
        )

    # -- the agreements ------------------------------------------------------------------
    def shared_control(self, control: RunControl) -> RunControl:
        if not self.distributed:
            return control
        self.control = SharedControl(control, self)
        return self.control

    def all_reduce(self, values: list[float], op: str = "sum") -> list[float]:
        """Sum (or max) of small numbers over all processes, on the CPU (gloo)."""
        t = torch.tensor([float(v) for v in values], dtype=torch.float64)
        if self.distributed:
            dist.all_reduce(t, dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
        return t.tolist()

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every process's rows (CPU, float64, same width), concatenated in rank order."""
        if not self.distributed:
            return rows
        counts = [torch.zeros(1, dtype=torch.int64) for _ in range(self.world)]
        dist.all_gather(counts, torch.tensor([rows.shape[0]], dtype=torch.int64))
        most = max(int(c) for c in counts)
        padded = torch.zeros(most, rows.shape[1], dtype=torch.float64)
        padded[: rows.shape[0]] = rows
        parts = [torch.empty_like(padded) for _ in range(self.world)]
        dist.all_gather(parts, padded)
        return torch.cat([p[: int(c)] for p, c in zip(parts, counts, strict=True)])


class SharedControl(RunControl):
    """The loop's RunControl in a group: wraps this process's own control and makes every
    decision a shared one, taken at each step's checkpoint()."""

    def __init__(self, own: RunControl, ranks: Ranks) -> None:
        super().__init__()
        self.own = own
        self.ranks = ranks
        self.report_wanted = False  # this process's wish, shared at the next checkpoint
        self.report_agreed = False  # some process wished it at this step's checkpoint
        self._stopped = False
        self._steps = 0
        self._exit_at = _test_hook_exit_step(ranks.rank)

    def request_stop(self) -> None:
        self.own.request_stop()

    def pause(self) -> None:
        self.own.pause()

    def resume(self) -> None:
        self.own.resume()

    @property
    def stop_requested(self) -> bool:
        """The stop all processes agreed on (at the last checkpoint)."""
        return self._stopped

    @property
    def paused(self) -> bool:
        return self.own.paused

    @property
    def paused_seconds(self) -> float:
        return self.own.paused_seconds

    def checkpoint(self, wait_limit: float | None = None) -> bool:
        self._steps += 1
        if self._steps == self._exit_at:
            os._exit(3)  # the test hook: a process that dies without a word
        agreed_report = False
        while True:
            # A paused process holds here (one poll at most), the others in the all_reduce.
            stop = self.own.checkpoint(wait_limit=PAUSE_POLL_SECONDS)
            flags = self.ranks.all_reduce([stop, self.own.paused, self.report_wanted], "max")
            self.report_wanted = False
            agreed_report = agreed_report or bool(flags[2])
            if flags[0] or not flags[1]:
                break
        self.report_agreed = agreed_report
        self._stopped = bool(flags[0])
        return self._stopped


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(os.path.expanduser(path)) if path else path


def _timeout_seconds() -> float:
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        return max(10.0, float(text)) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _test_hook_exit_step(rank: int) -> int:
    text = os.environ.get(TEST_HOOK_EXIT_ENV, "")
    with contextlib.suppress(ValueError):
        hook_rank, step = (int(part) for part in text.split(":"))
        if hook_rank == rank:
            return step
    return -1


def _is_group_error(exc: BaseException) -> bool:
    if isinstance(exc, getattr(dist, "DistError", ())):
        return True
    text = str(exc).lower()
    markers = ("gloo", "nccl", "connection closed", "connection reset", "broken pipe", "timed out")
    return isinstance(exc, RuntimeError) and any(m in text for m in markers)


def _first_line(exc: BaseException) -> str:
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)  # gloo's "[.../pair.cc:561] " source mark
    return line if len(line) <= 160 else line[:157] + "..."
