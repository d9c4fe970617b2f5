"""Off-chip DRAM: energy per bit by type x access width (read = write = update).

Where each pJ/bit comes from (area and leakage are 0, as in the plug-ins):

* LPDDR4 8, LPDDR 40, DDR3 70, GDDR5 14, HBM2 3.9, HMC 4.2: the values of
  Accelergy's CACTI plug-in (accelergy-cacti-plug-in, class CactiDRAM), used
  by the Timeloop exercise ERTs. Its own attributions: LPDDR = Malladi et
  al., "Towards energy-proportional datacenter memory with mobile DRAM",
  ISCA 2012 (doi:10.1109/ISCA.2012.6237004); DDR3 = Chatterjee et al., MICRO
  2017; HMC = doi:10.1145/3093336.3037702; GDDR5 and HBM2 carry none there.
  They match the figures usually quoted from O'Connor et al., "Fine-Grained
  DRAM: Energy-Efficient DRAM for Extreme Bandwidth Systems", MICRO-50, 2017
  (doi:10.1145/3123939.3124545), but we could read only that paper's
  abstract, which states no pJ/bit, so that attribution is unverified here.
  hwcomponents-cacti 1.0.40 prices HBM2 at 6.25 instead (sources disagree).
* HBM3 4.05, HBM4 3.2: hwcomponents-cacti 1.0.40's table (its sources: a
  eureka.patsnap.com article and Wikipedia's HBM page).
* GDDR6 7.5, GDDR6X 7.25, HBM2E 6.0: "average device power (pJ/bit)" in
  Micron's "Ultra-Bandwidth Solutions" memory comparison table (GDDR6,
  GDDR6X, HBM2E), as reproduced at
  http://www.kylolab.com/ultra-bandwidth-solutions.html (read 2025). DRAM
  device power only (no controller PHY).
* DDR4 24.7: derived, no published pJ/bit found. Access energy from datasheet
  currents by Micron's IDD method (TN-41-01 for DDR3, TN-40-07 for DDR4):
  one row activation plus one read burst per device, VDD x
  (IDD0 tRC - IDD3N tRAS - IDD2N tRP) + VDD (IDD4R - IDD3N) tBURST,
  divided by the device's burst bits. With the Micron MT40A1G8 DDR4-2400 x8
  and MT41J512M8 DDR3-1600 x8 currents and timings as given in gem5
  (src/python/gem5/components/memory/dram_interfaces/ddr4.py, ddr3.py) this
  is 12.46 pJ/bit for DDR4 and 35.30 pJ/bit for DDR3 (I/O, termination and
  background excluded); DDR4 = the DDR3 figure above x 12.46/35.30, so it
  is on the same footing as the other rows. See `idd_access_pj_per_bit`.
* LPDDR5 5.6: derived, no published pJ/bit found. Samsung's July 2018
  announcement of its 8 Gb LPDDR5 claims "power consumption reductions of
  up to 30 percent" against LPDDR4X (as reported at
  http://billsinsider.com/2018/07/18/486401-samsung-develops-industry-s-first-8gb-lpddr5-dram-chip/);
  applied to the LPDDR4 figure (an upper bound for LPDDR4X): 8 x 0.7.
Treat the derived rows as estimates; give `pj_per_bit` to override any type.
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy.plugin import Estimator, EstimatorInputError, number


def idd_access_pj_per_bit(idd0: float, idd2n: float, idd3n: float, idd4r: float, vdd: float,
                          t_ras: float, t_rp: float, t_burst: float, burst_bits: int) -> float:
    """Core energy (pJ/bit) of one activate + precharge + read burst of one device.

    Currents in mA, times in ns, VDD in V (mA x V x ns = pJ); Micron's IDD
    method: activation = IDD0 over tRC minus the active/precharge standby
    background, read = (IDD4R - IDD3N) over the burst."""
    t_rc = t_ras + t_rp
    activate = vdd * (idd0 * t_rc - idd3n * t_ras - idd2n * t_rp)
    read = vdd * (idd4r - idd3n) * t_burst
    return (activate + read) / burst_bits


# Micron MT40A1G8 (DDR4-2400, x8) and MT41J512M8 (DDR3-1600, x8), via gem5.
DDR4_CORE = idd_access_pj_per_bit(48, 34, 43, 135, 1.2, 32, 14.16, 3.332, 64)
DDR3_CORE = idd_access_pj_per_bit(55, 32, 38, 157, 1.5, 35, 13.75, 5.0, 64)

PJ_PER_BIT = {
    "LPDDR4": 8.0, "LPDDR": 40.0, "DDR3": 70.0, "GDDR5": 14.0, "HBM2": 3.9, "HMC": 4.2,
    "HBM3": 4.05, "HBM4": 3.2, "GDDR6": 7.5, "GDDR6X": 7.25, "HBM2E": 6.0,
    "DDR4": round(70.0 * DDR4_CORE / DDR3_CORE, 1), "LPDDR5": 8.0 * 0.7,
}
ALIASES = {"LPDDR2": "LPDDR", "LPDDR3": "LPDDR", "HBM": "HBM2"}


class DRAMEstimator(Estimator):
    name = "loopnest-dram"
    accuracy = 80.0
    classes = ("DRAM", "dram", "offchip_dram")
    actions = ("read", "write", "update", "idle", "leak")

    def per_bit(self, attributes: Mapping[str, Any]) -> float:
        """pJ per bit for the component's `type` (or its explicit `pj_per_bit`)."""
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
