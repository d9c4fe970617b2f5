"""Architecture node types, for `isinstance` and `get_nodes_of_type` (TimeloopFE's
`v4.arch`)."""
from loopnest.timeloopfe.v4.nodes import (Architecture, ArchNode, Attributes, Branch, Component,
                                          Compute, Container, Hierarchical, Leaf, Network,
                                          Nothing, Parallel, Pipelined, Spatial, Storage)

StorageAttributes = Attributes

__all__ = ["Architecture", "ArchNode", "Attributes", "Branch", "Component", "Compute",
           "Container", "Hierarchical", "Leaf", "Network", "Nothing", "Parallel", "Pipelined",
           "Spatial", "Storage", "StorageAttributes"]
