"""What a setting is, written once: the metadata of a config field (its name in the window,
its command-line flag, help text, range, choices and "auto" value) and the checks derived
from it. core.train.config attaches a `Setting` to each field; argparse (core.cli.train_flags),
the window's tooltips and spin-box ranges, and core.train.validation.config_problems all read it.

Plain Python, no torch: the window imports this at start-up."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_KEY = "loupe_setting"  # the dataclass field metadata key


@dataclass(frozen=True)
class Setting:
    """One user-facing config value. `label` is the control's text in the window; `help` is
    its tooltip and its --help line. `auto` is the one value that means "Loupe decides" (or
    "off", as `auto_word` says), allowed outside [minimum, maximum]."""

    label: str
    help: str
    flag: str = ""  # "" = derived from the field name ("batch_size" -> "--batch-size")
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    auto: Any = None
    auto_word: str = "auto"
    unit: str = ""  # for messages: "epochs", "px", "MB"
    in_window: bool = True  # the window has a control for it (all have a flag)


def setting(default: Any, label: str, help: str, **kwargs: Any) -> Any:
    """A dataclass field whose metadata is a Setting; `default` is its default value."""
    return field(default=default, metadata={_KEY: Setting(label, help, **kwargs)})


@dataclass(frozen=True)
class SettingField:
    """A Setting with where it lives: `key` is the field name, "augment.<name>" for the
    fields of a nested config; `kind` is bool, int, float or str."""

    key: str
    setting: Setting
    kind: type
    default: Any

    @property
    def flag(self) -> str:
        return self.setting.flag or "--" + self.key.rsplit(".", 1)[-1].replace("_", "-")

    @property
    def name(self) -> str:
        """How messages name it, for both audiences: "Epochs (--epochs)"."""
        return f"{self.setting.label} ({self.flag})"


def setting_fields(config_class: type, prefix: str = "") -> list[SettingField]:
    """Every field of `config_class` that carries a Setting, nested configs flattened."""
    found: list[SettingField] = []
    for f in dataclasses.fields(config_class):
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(
            f.default_factory
        ):
            found += setting_fields(f.default_factory, f"{prefix}{f.name}.")  # type: ignore[arg-type]
            continue
        meta = f.metadata.get(_KEY)
        if meta is None:
            continue
        kind = type(f.default) if f.default is not None else str
        found.append(SettingField(prefix + f.name, meta, kind, f.default))
    return found


def flat_values(config: Any) -> dict[str, Any]:
    """A config as {key: value}, nested configs as "augment.<name>" keys."""
    values = dataclasses.asdict(config)
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def replace_values(config: Any, values: dict[str, Any]) -> Any:
    """`config` with flat `values` applied ("augment.<name>" keys reach the nested config)."""
    nested: dict[str, dict[str, Any]] = {}
    plain: dict[str, Any] = {}
    for key, value in values.items():
        if "." in key:
            outer, inner = key.split(".", 1)
            nested.setdefault(outer, {})[inner] = value
        else:
            plain[key] = value
    for outer, inner_values in nested.items():
        plain[outer] = dataclasses.replace(getattr(config, outer), **inner_values)
    return dataclasses.replace(config, **plain)


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:g}"


def allowed_text(item: SettingField) -> str:
    """The allowed values in words: "from 1 to 10,000 epochs, or auto"."""
    s = item.setting
    if item.kind is bool:
        text = "on or off"
    elif s.choices:
        text = "one of " + ", ".join(s.choices)
    elif s.minimum is not None and s.maximum is not None:
        whole = "a whole number " if item.kind is int else ""
        unit = f" {s.unit}" if s.unit else ""
        text = f"{whole}from {_number(s.minimum)} to {_number(s.maximum)}{unit}"
    else:
        text = "a name"
    if s.auto is not None and s.auto not in s.choices and not _in_range(s, s.auto):
        text += f", or {s.auto_word}"
    return text


def _in_range(s: Setting, value: float) -> bool:
    if isinstance(value, str):
        return False
    low = -math.inf if s.minimum is None else s.minimum
    high = math.inf if s.maximum is None else s.maximum
    return low <= value <= high


def value_problem(item: SettingField, value: Any) -> str:
    """Why `value` does not fit the setting, as one sentence naming the control and the flag
    and saying what would fit ("" when it fits)."""
    s = item.setting
    if s.auto is not None and _fits_type(item.kind, value) and value == s.auto:
        return ""
    if item.kind is str and value is None and item.default is None:
        return ""  # optional text: None means "not used"
    fits = _fits_type(item.kind, value)
    if fits and item.kind in (int, float):
        fits = math.isfinite(value) and _in_range(s, value)
    if fits and s.choices:
        fits = value in s.choices
    if fits:
        return ""
    return f"{item.name} must be {allowed_text(item)}; it is {value!r}."


def _fits_type(kind: type, value: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False  # True is an int to Python, not a number of epochs to a user
    if kind is int:
        return isinstance(value, int)
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, str)


def parse_text(item: SettingField, text: str) -> Any:
    """A command-line word as the setting's value: "auto"/"off" for the auto value, "1e3" for
    1000 in a whole-number field. Raises ValueError with a sentence when it is not a value of
    that kind; the range is checked later, by config_problems, in the window's words too."""
    word = text.strip()
    s = item.setting
    if s.auto is not None and word.lower() == s.auto_word:
        return s.auto
    try:
        if item.kind is int:
            number = float(word)
            if not number.is_integer():
                raise ValueError(word)
            value = int(word) if word.lstrip("+-").isdigit() else int(number)
        elif item.kind is float:
            value = float(word)
        else:
            return word
    except (ValueError, OverflowError):
        raise ValueError(f"{item.name} must be {allowed_text(item)}; got {text!r}.") from None
    if s.auto is not None and value == s.auto and not _in_range(s, value):
        # The number that stands for auto inside the config ("--epochs 0") is out of range
        # to a user: auto comes only from its word.
        raise ValueError(f"{item.name} must be {allowed_text(item)}; got {text!r}.")
    return value


def find_setting(config_class: type, key: str) -> SettingField:
    """The SettingField of `key` ("epochs", "augment.hflip"); KeyError when there is none."""
    for item in setting_fields(config_class):
        if item.key == key:
            return item
    raise KeyError(key)


def iter_problems(config: Any) -> Iterator[str]:
    """The range, type and choice problems of every setting of `config`."""
    values = flat_values(config)
    for item in setting_fields(type(config)):
        problem = value_problem(item, values.get(item.key))
        if problem:
            yield problem
