"""Load a package's public names when first used (PEP 562), so that
``import activity_analytics`` and ``activity-analytics --help`` do not pay for
Polars, matplotlib, HTTP or notebook machinery they do not use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._errors import MissingExtraError


def need(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module``, which the optional ``extra`` installs; without it, a
    :class:`MissingExtraError` saying what to install for ``what``.

    >>> need("json", "none", "a test").__name__
    'json'
    >>> need("no_such_module_here", "notebooks", "the report")
    Traceback (most recent call last):
    ...
    activity_analytics._errors.MissingExtraError: the report needs the notebooks extra: pip install 'activity-analytics[notebooks]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(f"{what} needs the {extra} extra: "
                                f"pip install 'activity-analytics[{extra}]'") from exc


def exports(package: str, where: dict[str, str], namespace: dict[str, Any]) -> tuple[
        Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps each
    public name to the module (relative to ``package``) that defines it; the
    name is imported from there on first use and kept in ``namespace``."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = importlib.import_module(module, package)
        value = target if module == f".{name}" else getattr(target, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
