"""Writing the figures (shared by the visualize_<slug>.py scripts)."""

import os

import matplotlib.pyplot as plt


def save(fig, path, dpi=100):
    """Write the figure as PNG under a temporary name, then rename it, so a reader never sees
    half a file; close the figure. Returns the path."""
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
    return path
