"""Load heavy libraries when first used, so that
``import activity_analytics`` and ``activity-analytics --help`` do not pay for
Polars, matplotlib, HTTP or notebook machinery they do not use.

A module that uses a heavy library names it with :func:`lazy_module`, which
keeps static tools (type checkers, go-to-definition) on the real module::

    if TYPE_CHECKING:
        import polars as pl
    else:
        pl = lazy_module("polars")
"""

from __future__ import annotations

import importlib
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


class _LazyModule:
    """Stands for a module not imported yet: the first attribute looked up
    imports it (:func:`importlib.import_module`), and every lookup, assignment
    or deletion of an attribute goes to the real module from then on. It is
    never put in :data:`sys.modules`, so ``"polars" in sys.modules`` still
    says whether Polars was loaded."""

    __slots__ = ("__name", "__module")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_LazyModule__name", name)
        object.__setattr__(self, "_LazyModule__module", None)

    def __load(self) -> ModuleType:
        module = self.__module
        if module is None:
            module = importlib.import_module(self.__name)
            object.__setattr__(self, "_LazyModule__module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.__load(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self.__load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self.__load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self.__load())

    def __repr__(self) -> str:
        state = "loaded" if self.__module is not None else "not loaded yet"
        return f"<lazy module {self.__name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it on first attribute
    use; importing the package module that holds it costs nothing.

    >>> wave = lazy_module("wave")
    >>> wave
    <lazy module 'wave' (not loaded yet)>
    >>> wave.Error.__module__
    'wave'
    >>> wave
    <lazy module 'wave' (loaded)>
    """
    return _LazyModule(name)
