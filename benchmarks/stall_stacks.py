"""What was the GUI thread doing during its longest stalls? (`gui_responsiveness.py --stacks`)

A thread samples the GUI thread's Python stack every ~2 ms (sys._current_frames). After the
run, the samples that fall inside each gap over the threshold are counted per function
(inclusive: a function counts once per sample wherever it is on the stack), so the report
reads like a profiler's "total time" column restricted to the stalls. Qt's own C++ work
shows as the Python function that called into it (a paintEvent, a setData).
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time

INTERVAL_S = 0.002
DEPTH = 40


def _where(frame) -> str:
    code = frame.f_code
    return f"{os.path.basename(code.co_filename)}:{code.co_name}"


class StackSampler:
    """Samples one thread's stack (the GUI thread: the one that creates the sampler), and
    with `others` the innermost frames of every other Python thread (who else ran Python:
    a worker thread holding the GIL shows there)."""

    def __init__(self, others: bool = False) -> None:
        self.thread_id = threading.get_ident()
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self.others = others
        self.other_samples: list[tuple[float, tuple[str, ...]]] = []  # one "a < b < c" a thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-stacks", daemon=True)

    def start(self) -> None:
        sys.setswitchinterval(0.001)  # the sampler gets the GIL between the GUI's bytecodes
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(INTERVAL_S):
            frames = sys._current_frames()
            frame = frames.get(self.thread_id)
            if self.others:
                now = time.monotonic()
                inner = tuple(
                    " < ".join(_where(f) for f in _outward(other, 3))
                    for ident, other in frames.items()
                    if ident not in (me, self.thread_id)
                )
                self.other_samples.append((now, inner))
            stack = []
            while frame is not None and len(stack) < DEPTH:
                stack.append(_where(frame))
                frame = frame.f_back
            self.samples.append((time.monotonic(), tuple(stack)))

    def report(self, ticks: list[float], start: float, end: float, over_ms: float, top: int = 14):
        """Print, for the gaps over `over_ms` between start and end, the functions most often
        on the GUI thread's stack, and the innermost frames most often on top."""
        inside = [t for t in ticks if start <= t <= end]
        gaps = [
            (a, b) for a, b in zip(inside, inside[1:], strict=False) if (b - a) * 1000 > over_ms
        ]
        if not gaps:
            print(f"      no gaps over {over_ms:.0f} ms")
            return
        total: collections.Counter[str] = collections.Counter()
        leaf: collections.Counter[str] = collections.Counter()
        count = 0
        for a, b in gaps:
            for at, stack in self.samples:
                if a < at < b and stack:
                    count += 1
                    leaf[stack[0]] += 1
                    total.update(set(stack))
        longest = max(b - a for a, b in gaps) * 1000
        print(
            f"      {len(gaps)} gaps over {over_ms:.0f} ms (longest {longest:.0f} ms), "
            f"{count} samples"
        )
        if not count:
            return
        print("      on the stack:")
        for name, n in total.most_common(top):
            print(f"        {100 * n / count:5.1f}%  {name}")
        print("      innermost:")
        for name, n in leaf.most_common(top // 2):
            print(f"        {100 * n / count:5.1f}%  {name}")
        if self.others:
            other: collections.Counter[str] = collections.Counter()
            seen = 0
            for a, b in gaps:
                for at, stacks in self.other_samples:
                    if a < at < b:
                        seen += 1
                        other.update(set(stacks))
            print("      other threads, innermost 3 frames (share of the samples):")
            for name, n in other.most_common(top // 2):
                print(f"        {100 * n / max(seen, 1):5.1f}%  {name}")


def _outward(frame, depth: int):
    while frame is not None and depth > 0:
        yield frame
        frame = frame.f_back
        depth -= 1
