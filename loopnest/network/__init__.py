"""Whole networks: bundled workloads, the `network.yaml` manifest, per-layer stats, ONNX import.

    resolve_network("resnet50" | "path/network.yaml" | "folder/") -> Network
    network_stats(network) -> [LayerStats(name, count, macs, footprints, ...)]

`onnx_import` (needs the optional `onnx` package) turns an ONNX model into problem
files and a manifest.
"""
from loopnest.network.manifest import MANIFEST_NAME, read_manifest, render_manifest
from loopnest.network.stats import footprints, layer_stats, load_workload, network_stats, total_macs
from loopnest.network.types import Layer, LayerStats, Network
from loopnest.network.workloads import bundled_names, bundled_root, read_folder, resolve_network

__all__ = [
    "Layer", "LayerStats", "Network", "MANIFEST_NAME", "bundled_names", "bundled_root",
    "footprints", "layer_stats", "load_workload", "network_stats", "read_folder", "read_manifest",
    "render_manifest", "resolve_network", "total_macs",
]
