"""torch.optim's optimizers without importing torch._dynamo, the compiler Loupe never uses.

Importing torch._dynamo takes about a second (2 CPU cores), as long as importing torch itself,
and torch.optim imports it in two places that matter only under torch.compile:
- `Optimizer.add_param_group`, `zero_grad`, `state_dict` and `load_state_dict` are wrapped in
  `torch._disable_dynamo`, which imports torch._dynamo on the first call to build the
  "not compiled" version of the method, and caches that version on the method as
  `__dynamo_disable`. Outside a compiled function the method itself is that version: caching
  it there before the first call keeps torch._dynamo unimported.
- Each optimizer's `step` is wrapped in `_use_grad_for_differentiable`, which imports torch._dynamo
  on every call to place graph breaks, and otherwise runs the step without gradients
  (`differentiable` is never set here). `eager(cls)` is the optimizer class whose step does just
  that.

Both steps are checked against the shape of torch's wrappers; where a torch version wraps them
otherwise, the optimizers are torch's own and torch._dynamo is imported as before (slower, not
wrong). tests/core/train/test_eager_optimizers.py notices when that happens.
"""

from __future__ import annotations

import functools
import sys

import torch

_WRAPPED_METHODS = ("add_param_group", "zero_grad", "state_dict", "load_state_dict")


def _is_torch_wrapper(method, wrapper_name: str, module_suffix: str) -> bool:
    code = getattr(method, "__code__", None)
    return (
        code is not None
        and code.co_name == wrapper_name
        and code.co_filename.replace("\\", "/").endswith(module_suffix)
        and hasattr(method, "__wrapped__")
    )


@functools.cache
def _skip_disable_dynamo() -> bool:
    """Give each `torch._disable_dynamo`-wrapped Optimizer method itself as its cached
    'disabled' version. Does nothing once torch._dynamo is imported (nothing to save then)."""
    if "torch._dynamo" in sys.modules:
        return False
    methods = [getattr(torch.optim.Optimizer, name, None) for name in _WRAPPED_METHODS]
    if not all(_is_torch_wrapper(m, "inner", "torch/_compile.py") for m in methods):
        return False
    for method in methods:
        undecorated = method.__wrapped__
        if getattr(undecorated, "__dynamo_disable", None) is None:
            undecorated.__dynamo_disable = undecorated
    return True


@functools.cache
def eager(cls: type[torch.optim.Optimizer]) -> type[torch.optim.Optimizer]:
    """`cls` (a subclass of it) whose methods do not import torch._dynamo; `cls` itself where
    this torch's optimizers are not built as expected."""
    step = getattr(cls, "step", None)
    if not (_skip_disable_dynamo() and _is_torch_wrapper(step, "_use_grad", "optim/optimizer.py")):
        return cls
    undecorated_step = step.__wrapped__

    def eager_step(self, closure=None):
        if self.defaults.get("differentiable"):
            return step(self, closure)
        with torch.no_grad():  # what torch's wrapper does when `differentiable` is off
            return undecorated_step(self, closure)

    functools.update_wrapper(eager_step, undecorated_step)
    return type(cls.__name__, (cls,), {"step": eager_step, "__module__": __name__})
