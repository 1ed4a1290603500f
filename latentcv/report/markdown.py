"""``report.md``: the CV components and Q6 side by side, one table per system size, and a key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from latentcv.report.separation import Separation
from latentcv.report.values import TrajectoryValues

Q6_NAME = "Q6"


def _number(x: float) -> str:
    return f"{x:.4g}"


def _fisher(x: float) -> str:
    return "∞" if x == float("inf") else f"{x:.3g}"


def _summary(s: Separation) -> str:
    return f"accuracy {s.threshold.accuracy:.3f}, overlap {s.overlap:.3f}, Fisher ratio {_fisher(s.fisher)}"


def _row(name: str, s: Separation, crystal_label: str) -> str:
    side = ">" if s.threshold.crystal_above else "<"
    return (f"| {name} | {_number(s.crystal_mean)} ± {s.crystal_std:.2g} | {_number(s.melt_mean)} ± {s.melt_std:.2g} "
            f"| {crystal_label} if {side} {_number(s.threshold.value)} | {s.threshold.accuracy:.3f} | {s.overlap:.3f} "
            f"| {_fisher(s.fisher)} |")


def size_section(
    molecules: int,
    scores: Mapping[str, Separation],
    figure: str,
    training_molecules: int | None,
    crystal_label: str,
    melt_label: str,
) -> str:
    """The Markdown section of one system size: a table row per quantity and its histogram figure.

    Parameters
    ----------
    molecules : int
        The system size.
    scores : mapping
        Quantity name -> Separation; the CV components first, Q6 last.
    figure : str
        File name of the size's histogram PNG, relative to report.md.
    training_molecules : int or None
        The model's training size, when known.
    """
    if training_molecules is None:
        kind = ""
    elif molecules == training_molecules:
        kind = " (the training size)"
    else:
        kind = f" (another size than training's {training_molecules})"
    first = next(iter(scores.values()))
    components = {name: s for name, s in scores.items() if name != Q6_NAME}
    best = max(components, key=lambda name: (components[name].threshold.accuracy, -components[name].overlap,
                                             components[name].fisher))
    lines = [
        f"## {molecules} molecules{kind}",
        "",
        f"{first.crystal_frames} {crystal_label} and {first.melt_frames} {melt_label} frames. Best CV component: "
        f"`{best}` ({_summary(components[best])}); Q6: {_summary(scores[Q6_NAME])}.",
        "",
        f"| quantity | {crystal_label} mean ± std | {melt_label} mean ± std | best threshold | accuracy | overlap "
        "| Fisher ratio |",
        "|---|---|---|---|---|---|---|",
        *(_row(f"{name} (baseline)" if name == Q6_NAME else name, s, crystal_label) for name, s in scores.items()),
        "",
        f"![histograms of {molecules} molecules]({figure})",
        "",
    ]
    return "\n".join(lines)


def write_markdown(
    cv_description: str,
    runs: Sequence[TrajectoryValues],
    sections: Sequence[str],
    q6_description: str,
    crystal_label: str,
    melt_label: str,
) -> str:
    """The whole report.md text.

    Parameters
    ----------
    cv_description : str
        One sentence on the CV evaluated (folder, how it was exported, training size).
    runs : sequence of TrajectoryValues
        The trajectories, listed with their label, size and frame count.
    sections : sequence of str
        One :func:`size_section` per system size.
    q6_description : str
        Which Q6 variant and cutoff(s) were used.
    """
    trajectories = ["| trajectory | label | molecules | frames |", "|---|---|---|---|"]
    trajectories += [f"| `{r.path}` | {r.label} | {r.molecules} | {len(r.frames)} |" for r in runs]
    return "\n".join([
        "# CV quality report",
        "",
        "How well each component of the learnt CV tells held-out "
        f"{crystal_label} frames from {melt_label} frames, before any biasing, side by side with the "
        "hand-made baseline Steinhardt Q6 computed on the same frames.",
        "",
        f"- CV: {cv_description}",
        f"- Q6: {q6_description}",
        "",
        *trajectories,
        "",
        *sections,
        "## What the numbers mean",
        "",
        "- **mean ± std**: per phase, population standard deviation, in the quantity's units.",
        f"- **best threshold / accuracy**: the single threshold that best sorts the frames into {crystal_label} "
        "and melt (either way round), and its balanced accuracy: the mean of the fractions of "
        f"{crystal_label} and of {melt_label} frames on their side (0.5 = chance, 1 = perfect).",
        "- **overlap**: shared area of the two normalised histograms on a common 50-bin grid (0 = disjoint, "
        "1 = identical); a biasing CV wants 0, so that the two basins are distinct in it.",
        "- **Fisher ratio**: (μ_c − μ_m)² / (σ_c² + σ_m²), the squared gap between the phase means over the "
        "summed variances; above about 10 the phases are far apart compared with their spread (∞: no spread).",
        "- The best CV component is the one with the highest accuracy, then the lowest overlap, then the highest "
        "Fisher ratio. When accuracy is 1 and overlap 0 for several quantities (they saturate on a few frames), "
        "the Fisher ratio ranks them: the larger, the wider the margin between the phases.",
        "- Components meant to separate the phases (`progress`, `distance`, `crystal_count`) should score "
        "high; `off_axis` measures the distance from the melt-crystal axis and is not meant to.",
        "",
        "Files: `values.csv` (every frame's values), `report.json` (these numbers), `hist_<molecules>.png`, "
        "`report_config.json` (the command's arguments).",
        "",
    ])


def _value(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def partial_order_section(result: dict, figure: str | None) -> str:
    """The Markdown of the partial-order section (:func:`latentcv.report.partial_order.analyse`'s
    ``result``): slabs, bulk phases by temperature, nuclei, and the targets met or missed."""
    quantities = result["quantities"]
    lines = ["## Partial order: mixed configurations and temperatures", "",
             "Fractions per molecule: `crystal_count`/N and the solid-like count/N (molecules whose neighbour-"
             f"averaged q6 exceeds {result['threshold']:.3f}, the threshold that best sorts the bulk crystal and melt "
             "molecules of this report); global Q6 on the scale of the bulk frames' means (melt "
             f"{result['q6_scale']['melt']:.3f} = 0, crystal {result['q6_scale']['crystal']:.3f} = 1); `progress` "
             "as it is.", ""]
    if "slabs" in result:
        s = result["slabs"]
        lines += ["### Slabs of known crystal fraction f", "",
                  f"{len(s['fractions'])} slabs ({', '.join(str(m) for m in sorted(set(s['molecules'])))} molecules"
                  + (f", {', '.join(f'{t:g}' for t in sorted({t for t in s['temperatures'] if t}))} K" if any(
                      s["temperatures"]) else "") + "): the mean over each slab's frames against f.", "",
                  "| quantity | " + " | ".join(f"f = {f:.2f}" for f in s["fractions"]) + " | Spearman | R² of a line "
                  "| at f = 0 | at f = 1 |",
                  "|---|" + "---|" * (len(s["fractions"]) + 4)]
        for q in quantities:
            fit = s["linearity"][q]
            ends = f"{_value(fit['at_0'])} | {_value(fit['at_1'])}"
            lines.append(f"| {q} | " + " | ".join(f"{m:.3f}" for m in s["means"][q])
                         + f" | {fit['spearman']:.3f} | {fit['r2']:.4f} | {ends} |")
        lines.append("")
    lines += ["### Bulk phases by temperature", "",
              "| phase | molecules | T (K) | frames | " + " | ".join(quantities) + " |",
              "|---|---|---|---|" + "---|" * len(quantities)]
    for row in result["bulk"]:
        t = "–" if row["temperature"] is None else f"{row['temperature']:g}"
        lines.append(f"| {row['label']} | {row['molecules']} | {t} | {row['frames']} | "
                     + " | ".join(f"{row['values'][q]['mean']:.3f} ± {row['values'][q]['std']:.3f}" for q in quantities)
                     + " |")
    lines.append("")
    if "nuclei" in result:
        n = result["nuclei"]
        lines += [f"### Nuclei in a melt of {n['molecules']} molecules", "",
                  "Each count's mean over a nucleus's frames minus its mean over the melt's frames (± the spread over "
                  "the nucleus's frames), against the nucleus size n; σ: the standard deviation of the count over the "
                  "melt's frames.", ""]
        sizes = next(iter(n["detection"].values()))["sizes"]
        lines += ["| count | melt mean ± σ | " + " | ".join(f"n = {k}" for k in sizes) + " | smallest n above 3σ |",
                  "|---|---|" + "---|" * (len(sizes) + 1)]
        for q, d in n["detection"].items():
            lines.append(f"| {q} | {d['melt_mean']:.1f} ± {d['melt_std']:.1f} | "
                         + " | ".join(f"{e:.1f} ± {s:.1f}" for e, s in zip(d["excess"], d["excess_std"]))
                         + f" | {d['smallest'] if d['smallest'] is not None else 'none'} |")
        lines.append("")
    if figure is not None:
        lines += [f"![partial order]({figure})", ""]
    lines += ["### Targets", "", "| target | value | met |", "|---|---|---|"]
    for t in result["targets"]:
        value = t["value"] if isinstance(t["value"], int) or t["value"] is None else f"{t['value']:.4g}"
        lines.append(f"| {t['target']} | {value} | {'yes' if t['met'] else '**no**'} |")
    lines.append("")
    return "\n".join(lines)
