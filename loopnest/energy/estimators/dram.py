"""Off-chip DRAM: energy per bit by type x access width (read = write = update).

Per-bit energies (interface + array, per access of `width` bits):
* LPDDR4 8 pJ/b, LPDDR 40 pJ/b (Malladi et al., "Towards energy-proportional
  datacenter memory with mobile DRAM", ISCA 2012), DDR3 70 pJ/b, GDDR5 14 pJ/b,
  HBM2 3.9 pJ/b, HMC 4.2 pJ/b (the values of Accelergy's CACTI plug-in, used by
  the Timeloop exercises; GDDR5/HBM2 as in O'Connor et al., "Fine-grained DRAM",
  MICRO 2017 and Chatterjee et al., MICRO 2017);
* HBM3 4.05 and HBM4 3.2 pJ/b (hwcomponents-cacti table);
* DDR4 and GDDR6 have no value in those plug-ins. DDR4: 15 pJ/b and GDDR6:
  7.5 pJ/b are approximate published ballpark figures (vendor material puts
  GDDR6 at roughly half of GDDR5's per-bit energy, and DDR4 at 1.2 V between
  DDR3 and LPDDR4). Treat them as approximate; override with `pj_per_bit`.
* LPDDR5 ~ 5 pJ/b (approximate, same caveat).
Area and leakage are 0 (off-chip), as in the plug-ins.
"""
from __future__ import annotations

from loopnest.energy.plugin import Estimator, EstimatorInputError, number

PJ_PER_BIT = {
    "LPDDR4": 8.0, "LPDDR": 40.0, "DDR3": 70.0, "GDDR5": 14.0, "HBM2": 3.9, "HMC": 4.2,
    "HBM3": 4.05, "HBM4": 3.2, "DDR4": 15.0, "GDDR6": 7.5, "LPDDR5": 5.0,
}
ALIASES = {"LPDDR2": "LPDDR", "LPDDR3": "LPDDR", "HBM": "HBM2", "HBM2E": "HBM2"}


class DRAMEstimator(Estimator):
    name = "loopnest-dram"
    accuracy = 80.0
    classes = ("DRAM", "dram", "offchip_dram")
    actions = ("read", "write", "update", "idle", "leak")

    def per_bit(self, attributes) -> float:
        if "pj_per_bit" in attributes:
            return number(attributes, "pj_per_bit")
        t = str(attributes.get("type", "LPDDR4")).strip().upper()
        t = ALIASES.get(t, t)
        if t not in PJ_PER_BIT:
            raise EstimatorInputError(
                f"unknown DRAM type '{attributes.get('type')}' (known: "
                f"{', '.join(sorted(PJ_PER_BIT))})", "type", fatal=True)
        return PJ_PER_BIT[t]

    def check(self, class_name, attributes) -> None:
        self.per_bit(attributes)
        number(attributes, "width", "datawidth", positive=True)

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action in ("idle", "leak"):
            return 0.0
        return self.per_bit(attributes) * number(attributes, "width", "datawidth", positive=True)
