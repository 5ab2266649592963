"""The bookkeeping of solution_degeneracy.py: from each condition's networks to one degeneracy
number per level with its seed spread, and from those to the paper's directional findings.

    degeneracy_levels(ood_error, matrices)  one condition -> {"behaviour": {"value", "se"}, ...}
    level_rows(conditions, records, ...)    every (task, factor, level) with its numbers
    findings(rows, levels, paper)           lowest vs highest level of each factor: a direction,
                                            a verdict, the paper's direction beside it

The seed spread of a degeneracy number is its jackknife standard error over networks: the
number recomputed with each network left out in turn (theta_i, i = 1..K),
    se = sqrt((K - 1) / K * sum_i (theta_i - mean_i theta_i)^2).
A pairwise mean and a standard deviation are both smooth functions of the networks, for which
the jackknife is the textbook error estimate; it needs no random numbers.

A direction is a verdict only when it exceeds the spread: the highest level minus the lowest,
|delta| > 2 sqrt(se_low^2 + se_high^2) (about two standard errors of the difference); below
that it is "not resolved at K seeds".
"""

import numpy as np

from rnn_numpy import degeneracy
from rnn_numpy.experiment import resolved

LEVEL_NAMES = ("behaviour", "dynamics", "shape", "weights", "weight_changes")
EXTRA = ("shape", "weight_changes")  # beside the paper's three levels: the shape metric next to DSA, and the
#                                      weight distance between what training added (W - W(0)); not counted
ALIGNED = {"shape": "dynamics", "weight_changes": "weights"}  # the paper's level each extra measure stands beside


# --- one condition ------------------------------------------------------------------------------

def jackknife(values_without):
    """The jackknife standard error from the K leave-one-out values theta_i (K,)."""
    theta = np.asarray(values_without, dtype=float)
    K = len(theta)
    return float(np.sqrt((K - 1) / K * np.square(theta - theta.mean()).sum()))


def without(D, i):
    """D (K, K) with network i's row and column removed."""
    keep = np.arange(len(D)) != i
    return D[np.ix_(keep, keep)]


def degeneracy_levels(ood_error, matrices):
    """One condition's degeneracy at each level, with its jackknife standard error.
    ood_error (K,): each network's OOD MSE; matrices: {"dynamics", "shape", "weights"} (K, K)."""
    e = np.asarray(ood_error, dtype=float)
    K = len(e)
    out = {"behaviour": {"value": degeneracy.behaviour_degeneracy(e),
                         "se": jackknife([degeneracy.behaviour_degeneracy(np.delete(e, i)) for i in range(K)]),
                         "mean_ood_error": float(e.mean())}}
    for name, D in matrices.items():
        out[name] = pairwise_level(D)
    return out


def pairwise_level(D):
    """The mean distance between two different networks of D (K, K), with its jackknife
    standard error: {"value", "se"}."""
    D = np.asarray(D, dtype=float)
    return {"value": degeneracy.mean_offdiagonal(D),
            "se": jackknife([degeneracy.mean_offdiagonal(without(D, i)) for i in range(len(D))])}


# --- the sweep ----------------------------------------------------------------------------------

def level_of(condition, factor):
    return condition[factor]


def level_rows(conditions, records, levels, reference):
    """One row per task, factor and level: the condition that has that factor at that level and
    every other factor at the reference, with its numbers (None where too few networks reached
    the target to measure)."""
    by_levels = {}
    for condition, record in zip(conditions, records):
        key = (condition["task"],) + tuple(condition[f] for f in levels)
        by_levels[key] = (condition, record)
    rows = []
    tasks = list(dict.fromkeys(c["task"] for c in conditions))
    for task in tasks:
        for factor, values in levels.items():
            for value in values:
                key = (task,) + tuple(value if f == factor else reference[f] for f in levels)
                if key not in by_levels:
                    continue
                condition, record = by_levels[key]
                row = {"task": task, "factor": factor, "level": value, "condition": condition["name"],
                       "networks": condition["networks"], "reached": record["reached"]}
                for name in LEVEL_NAMES:
                    row[name] = record.get(name)
                row["weights_untrained"] = record.get("weights_untrained")
                moved = record.get("weights_moved")
                row["weights_moved"] = None if not moved else {"mean": float(np.mean(moved)),
                                                               "min": float(np.min(moved)), "max": float(np.max(moved))}
                rows.append(row)
    return rows


def direction(low, high, K):
    """'up', 'down' or 'not resolved at K seeds' from two {"value", "se"} (None: not measured)."""
    if low is None or high is None:
        return "not measured"
    delta = high["value"] - low["value"]
    if resolved(delta, np.hypot(low["se"], high["se"])):  # the two levels' jackknife SEs
        return "up" if delta > 0 else "down"
    return f"not resolved at {K} seeds"


def verdict(measured, paper):
    """reproduced / not reproduced / not resolved, against the paper's direction ('mixed': the
    paper states none, so ours is reported only)."""
    if paper == "mixed":
        return "reported (paper: mixed)"
    if measured in ("up", "down"):
        return "reproduced" if measured == paper else "not reproduced"
    return measured


def findings(rows, levels, paper_direction):
    """For every task, factor and level of degeneracy: the lowest and highest level's numbers,
    the measured direction, the paper's, and the verdict."""
    table = []
    for task in dict.fromkeys(r["task"] for r in rows):
        for factor, values in levels.items():
            mine = {r["level"]: r for r in rows if r["task"] == task and r["factor"] == factor}
            if values[0] not in mine or values[-1] not in mine:
                continue
            low, high = mine[values[0]], mine[values[-1]]
            K = min(low["reached"], high["reached"])
            for name in LEVEL_NAMES:
                measured = direction(low[name], high[name], K)
                paper = paper_direction[factor].get(name) or paper_direction[factor][ALIGNED[name]]
                row = {"task": task, "factor": factor, "measure": name,
                       "values": [mine[v][name]["value"] if mine.get(v) and mine[v][name] else None for v in values],
                       "se": [mine[v][name]["se"] if mine.get(v) and mine[v][name] else None for v in values],
                       "measured": measured, "paper": paper, "verdict": verdict(measured, paper)}
                if name == "weights":  # the same networks before training, and how far W_hh moved, for comparison
                    row["untrained"] = [(mine[v].get("weights_untrained") or {}).get("value") if mine.get(v) else None
                                        for v in values]
                    row["moved"] = [(mine[v].get("weights_moved") or {}).get("mean") if mine.get(v) else None
                                    for v in values]
                table.append(row)
    return table


def summary(table):
    """Counts of verdicts per factor and measure over the tasks (the shape baseline apart)."""
    counts = {}
    for row in table:
        key = f"{row['factor']}/{row['measure']}"
        counts.setdefault(key, {})
        counts[key][row["verdict"]] = counts[key].get(row["verdict"], 0) + 1
    tested = [r for r in table if r["measure"] not in EXTRA and r["paper"] != "mixed"]
    return {"verdicts": counts, "tested": len(tested),
            "reproduced": sum(r["verdict"] == "reproduced" for r in tested),
            "not_reproduced": sum(r["verdict"] == "not reproduced" for r in tested),
            "not_resolved": sum(r["verdict"].startswith("not resolved") for r in tested)}


def per_seed(conditions, records):
    """One entry per trained network: its condition, seed, stopping step, final loss, OOD error."""
    out = []
    for condition, record in zip(conditions, records):
        for k, stopped in enumerate(record["stopped_at"]):
            entry = {"condition": condition["name"], "seed": condition["seed"] + k, "stopped_at": stopped,
                     "final_loss": record["final_loss"][k]}
            if "ood_error" in record:
                entry["ood_error"] = record["ood_error"][k]
            out.append(entry)
    return out


# --- the report ---------------------------------------------------------------------------------

def cell(value, se):
    return "-" if value is None else f"{value:.3g}+-{se:.2g}"


def print_report(results):
    """The findings table, one line per task, factor and measure."""
    print(f"\nsolution degeneracy: {len(results['conditions'])} conditions, "
          f"{results['config']['networks']} seeds each ({results['wallclock_s']:.0f} s)")
    reached = [(c["condition"]["name"], c["result"]["reached"], c["condition"]["networks"])
               for c in results["conditions"]]
    short = [f"{name} {r}/{n}" for name, r, n in reached if r < n]
    print("  every network reached the target loss" if not short else
          "  reached the target loss (the others are left out): " + ", ".join(short))
    levels = results["levels"]
    print(f"\n  {'task':24s}{'factor':16s}{'measure':11s}{'low':>18s}{'middle':>18s}{'high':>18s}"
          f"  {'measured':24s}{'paper':8s}verdict")
    for row in results["findings"]:
        cells = "".join(f"{cell(v, s):>18s}" for v, s in zip(row["values"], row["se"]))
        print(f"  {row['task']:24s}{row['factor']:16s}{row['measure']:11s}{cells}  {row['measured']:24s}"
              f"{row['paper']:8s}{row['verdict']}")
    m = results["metrics"]
    untrained = [v for r in results["findings"] if r["measure"] == "weights" for v in r["untrained"] if v is not None]
    trained = [v for r in results["findings"] if r["measure"] == "weights" for v in r["values"] if v is not None]
    if untrained:
        print(f"\n  weight distance before training (the same networks): {min(untrained):.3f}-{max(untrained):.3f}; "
              f"after: {min(trained):.3f}-{max(trained):.3f}")
    moved = [r["weights_moved"]["mean"] for r in results["rows"] if r.get("weights_moved")]
    if moved:
        print(f"  |W_hh - W_hh(0)| / |W_hh(0)|, mean per condition: {min(moved):.2f}-{max(moved):.2f}")
    print(f"\n  levels: " + "; ".join(f"{f} {', '.join(f'{v:g}' for v in vs)}" for f, vs in levels.items()))
    print(f"  paper's directions tested: {m['tested']}; reproduced {m['reproduced']}, not reproduced "
          f"{m['not_reproduced']}, not resolved {m['not_resolved']}")
    print(f"  paper: {results['paper']['findings']}")
