"""Two simple detectors beside ``bursts``, over the same events (bench only).

Both count each actor's events (per workspace) in windows of 15 or 60
minutes or both (chosen by the tuning), aligned to UTC, every window from the actor's first to its last
(empty ones included), and flag a window from what came *before* it only
(causal). A flagged window is an alarm; an actor's overlapping or touching
alarms (of either length) make one. Vectorised with Polars and NumPy: no
Python loop over events (the streaming method loops over actors and days).

* **Seasonal z-score** (:func:`seasonal_z`): a robust z-score per actor and hour
  of week. A window's *slot* is its place in the week (its hour of the week; for
  15 minutes, that quarter of the hour of the week: pooling an hour's four
  quarters would make an agent's run at :00 an outlier against its empty :15,
  :30 and :45); its baseline is the median and the MAD of the actor's counts in
  the same slot in the :data:`Z_WEEKS` weeks before its own. ``z = (n - median) / max(1.4826 MAD, 1)``; the
  floor of one event keeps a slot that was always empty (MAD 0) from making
  every event infinite. Flagged: ``z >= Z_THRESHOLD``. A window with no earlier
  week (an actor's first week) is not judged.
* **SPOT** (:func:`spot`): the streaming peaks-over-threshold method of Siffer
  et al., "Anomaly Detection in Streams with Extreme Value Theory", KDD 2017,
  per actor on its window counts. Calibrated on the actor's first
  :data:`SPOT_CALIBRATION_DAYS` days (2 or 7, chosen by the tuning); then, once a day, the initial threshold
  ``t`` is the :data:`SPOT_LEVEL` quantile of the counts so far (flagged windows
  left out, as the paper does), a generalised Pareto distribution is fitted to
  the excesses over ``t`` (probability-weighted moments, Hosking and Wallis
  1987, gamma kept within [-1, 0.5] where they hold; an exponential tail with
  fewer than 3 excesses) and the day's windows
  above ``z_q = t + sigma/gamma ((q n / N_t)^-gamma - 1)`` are flagged (``q``:
  :data:`SPOT_Q`, the risk). The paper refits at every peak; refitting once a
  day keeps it vectorised over the day's windows.

Their thresholds (and window lengths) were picked on the tuning seeds only (``python -m bench bursts
--tune-baselines``, bench/out/bursts-baselines-tuning.json): the highest F1 pooled
over the tuning runs (every kind but ``new_actor``, which neither can see) among the
settings with at most 1 false alarm per 100 actor-weeks on the tuning runs with
nothing injected, or, as no setting of either came that low, the highest F1.
"""

from __future__ import annotations

import numpy as np
import polars as pl

MIN_US = 60_000_000
HOUR_US = 60 * MIN_US
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
ACTOR = ["workspace_id", "actor_id"]
#: the window lengths (minutes) the tuning chose among
WINDOW_CHOICES = ((15,), (60,), (15, 60))

#: weeks of history behind a slot's median and MAD
Z_WEEKS = 8
#: picked on the tuning seeds (see the module)
Z_THRESHOLD = 12.0
Z_WINDOWS = (15, 60)
Z_CANDIDATES = (4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0)
SPOT_LEVEL = 0.98
#: picked on the tuning seeds (see the module)
SPOT_Q = 1e-4
SPOT_WINDOWS = (15,)
SPOT_CALIBRATION_DAYS = 2
SPOT_CANDIDATES = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8)
SPOT_CALIBRATION_CHOICES = (2, 7)
ALARM_COLUMNS = {"workspace_id": pl.String, "actor_id": pl.String, "start": pl.Int64, "end": pl.Int64}


def counts(events: pl.DataFrame, minutes: int) -> pl.DataFrame:
    """Each actor's events per window of ``minutes`` (``w``: the window's index since the epoch),
    every window from its first to its last, zeros included: workspace_id, actor_id, w, n."""
    width = minutes * MIN_US
    seen = (events.filter(pl.col("actor_id").is_not_null())
            .group_by(*ACTOR, w=pl.col("t_us") // width).agg(n=pl.len().cast(pl.Int64)))
    grid = (seen.group_by(ACTOR).agg(lo=pl.col("w").min(), hi=pl.col("w").max())
            .with_columns(w=pl.int_ranges("lo", pl.col("hi") + 1)).explode("w").drop("lo", "hi"))
    return grid.join(seen, on=[*ACTOR, "w"], how="left").with_columns(pl.col("n").fill_null(0)).sort(*ACTOR, "w")


def seasonal_z(events: pl.DataFrame, minutes: int) -> pl.DataFrame:
    """Every non-empty window with an earlier week of its slot: workspace_id, actor_id, start,
    end (µs), n, median, mad, z."""
    width = minutes * MIN_US
    c = counts(events, minutes).with_columns(slot=pl.col("w") % (WEEK_US // width),
                                             week=pl.col("w") * width // WEEK_US)
    target = c.filter(pl.col("n") > 0)
    history = c.select(*ACTOR, "slot", week_h="week", n_h="n")
    joined = target.join(history, on=[*ACTOR, "slot"]).filter(
        (pl.col("week_h") < pl.col("week")) & (pl.col("week_h") >= pl.col("week") - Z_WEEKS))
    stats = joined.group_by(*ACTOR, "w", "n").agg(
        median=pl.col("n_h").median(), mad=(pl.col("n_h") - pl.col("n_h").median()).abs().median())
    scale = pl.max_horizontal(1.4826 * pl.col("mad"), (pl.col("median") + 1).sqrt())
    return stats.select(*ACTOR, start=pl.col("w") * width, end=(pl.col("w") + 1) * width, n="n",
                        median="median", mad="mad", z=(pl.col("n") - pl.col("median")) / scale)


def _gpd(excesses: np.ndarray) -> tuple[float, float]:
    """(gamma, sigma) of a generalised Pareto distribution fitted to ``excesses`` (> 0) by
    probability-weighted moments (Hosking and Wallis 1987); gamma 0 (exponential) with fewer
    than 3 or where the moments allow no fit."""
    n = len(excesses)
    if n == 0:
        return 0.0, 1.0
    mean = float(excesses.mean())
    if n < 3:
        return 0.0, max(mean, 1e-9)
    y = np.sort(excesses)
    a1 = float(np.sum((n - 1 - np.arange(n)) / (n - 1) * y) / n)
    d = mean - 2 * a1
    if d <= 0:
        return 0.0, max(mean, 1e-9)
    k = mean / d - 2          # Hosking's shape; the paper's gamma is -k
    sigma = 2 * mean * a1 / d
    if sigma <= 0:
        return 0.0, max(mean, 1e-9)
    return min(max(-k, -1.0), 0.5), sigma   # where the moments' estimates hold


def spot_threshold(history: np.ndarray, q: float) -> float:
    """SPOT's ``z_q`` from the counts so far."""
    t = float(np.quantile(history, SPOT_LEVEL))
    excesses = history[history > t] - t
    gamma, sigma = _gpd(excesses)
    ratio = q * len(history) / max(len(excesses), 1)
    if abs(gamma) < 1e-6:
        return t - sigma * float(np.log(ratio))
    return t + sigma / gamma * (ratio ** -gamma - 1)


def spot_flags(x: np.ndarray, per_day: int, q: float, calibration_days: int = SPOT_CALIBRATION_DAYS) -> np.ndarray:
    """Which of one actor's window counts ``x`` (in time order, ``per_day`` a day) SPOT flags."""
    flags = np.zeros(len(x), dtype=bool)
    for d0 in range(calibration_days * per_day, len(x), per_day):
        history = x[:d0][~flags[:d0]]
        flags[d0:d0 + per_day] = x[d0:d0 + per_day] > spot_threshold(history, q)
    return flags


def spot(events: pl.DataFrame, minutes: int, q: float = SPOT_Q,
         calibration_days: int = SPOT_CALIBRATION_DAYS) -> pl.DataFrame:
    """The windows SPOT flags: workspace_id, actor_id, start, end (µs)."""
    width = minutes * MIN_US
    per_day = DAY_US // width
    c = counts(events, minutes)
    out = []
    for (ws, actor), frame in c.group_by(ACTOR, maintain_order=True):
        flagged = frame["w"].to_numpy()[spot_flags(frame["n"].to_numpy(), per_day, q, calibration_days)]
        if len(flagged):
            out.append(pl.DataFrame({"workspace_id": ws, "actor_id": actor, "start": flagged * width,
                                     "end": (flagged + 1) * width}, schema=ALARM_COLUMNS))
    return pl.concat(out) if out else pl.DataFrame(schema=ALARM_COLUMNS)


def episodes(windows: pl.DataFrame) -> pl.DataFrame:
    """Flagged windows (workspace_id, actor_id, start, end) merged per actor where they overlap or
    touch: one alarm each."""
    if windows.is_empty():
        return pl.DataFrame(schema=ALARM_COLUMNS)
    w = windows.select(*ALARM_COLUMNS).sort(*ACTOR, "start")
    reach = pl.col("end").cum_max().shift(1).over(ACTOR)
    return (w.with_columns(episode=(pl.col("start") > reach).fill_null(True).cum_sum().over(ACTOR))
            .group_by(*ACTOR, "episode").agg(start=pl.col("start").min(), end=pl.col("end").max())
            .select(*ALARM_COLUMNS).sort(*ACTOR, "start"))


def seasonal_z_alarms(events: pl.DataFrame, threshold: float = Z_THRESHOLD,
                      windows: tuple[int, ...] = Z_WINDOWS) -> pl.DataFrame:
    """The seasonal z-score's alarms."""
    return z_alarms([seasonal_z(events, m) for m in windows], threshold)


def z_alarms(scored: list[pl.DataFrame], threshold: float) -> pl.DataFrame:
    """Alarms from :func:`seasonal_z` of each window length."""
    return episodes(pl.concat([s.filter(pl.col("z") >= threshold).select(*ALARM_COLUMNS) for s in scored]))


def spot_alarms(events: pl.DataFrame, q: float = SPOT_Q, windows: tuple[int, ...] = SPOT_WINDOWS,
                calibration_days: int = SPOT_CALIBRATION_DAYS) -> pl.DataFrame:
    """SPOT's alarms."""
    return episodes(pl.concat([spot(events, m, q, calibration_days) for m in windows]))


BASELINES = {"seasonal_z": seasonal_z_alarms, "spot": spot_alarms}
