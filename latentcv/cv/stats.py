"""Statistics of each CV component over the training frames, as ``latentcv cluster`` measures them
and an exported CV's metadata.json records them: they give metadynamics its default hill width and
grid."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ComponentStats:
    """Distribution of one CV component over the training frames, for METAD and BiasVariable
    defaults (CV units)."""

    name: str
    meaning: str
    mean: float
    std: float
    minimum: float
    maximum: float
    per_label_mean: dict[str, float] = field(default_factory=dict)
    per_label_std: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_metadata(cls, entry: dict) -> ComponentStats:
        """The statistics of one entry of metadata.json's ``components``."""
        return cls(entry["name"], entry["meaning"], entry["mean"], entry["std"], entry["min"], entry["max"],
                   dict(entry.get("per_label_mean", {})), dict(entry.get("per_label_std", {})))

    def suggested_sigma(self) -> float:
        """A Gaussian width for metadynamics: half the fluctuation inside a basin (half the smallest
        per-label standard deviation) when labels exist, else a tenth of the overall one."""
        inside = [v for v in self.per_label_std.values() if v > 0]
        return max(0.5 * min(inside) if inside else self.std / 10.0, 1e-6)
