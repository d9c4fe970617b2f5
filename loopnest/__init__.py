"""loopnest: a pure-Python Timeloop + Accelergy replacement.

Data flow: spec (YAML/Jinja2 -> plain located dicts) -> ir (frozen dataclasses)
-> model (analytical evaluation) -> report (Timeloop-layout files); energy and
mapper sit beside the model.
"""

__version__ = "0.1.0"
