#!/usr/bin/python3
"""Plots bench/esp_microbench's CSV: the cycles ESP encapsulation and
decapsulation add over the raw ipsec-mb AEAD, per transform and packet size,
with the goals (40% at 64 B, 15% at 1420 B) drawn in.
Usage: plot_esp.py RESULTS.csv OUT.png"""
import csv
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = list(csv.DictReader(open(sys.argv[1])))
transforms = list(dict.fromkeys(r["transform"] for r in rows))
sizes = list(dict.fromkeys(int(r["bytes"]) for r in rows))
fig, axes = plt.subplots(1, len(transforms), figsize=(4.2 * len(transforms), 4), sharey=True)
for ax, t in zip(axes, transforms):
    sel = [r for r in rows if r["transform"] == t]
    x = range(len(sel))
    enc = [100 * (float(r["encap_cycles"]) / float(r["raw_enc_cycles"]) - 1) for r in sel]
    dec = [100 * (float(r["decap_cycles"]) / float(r["raw_dec_cycles"]) - 1) for r in sel]
    ax.bar([i - 0.2 for i in x], enc, 0.4, label="encap")
    ax.bar([i + 0.2 for i in x], dec, 0.4, label="decap")
    for i, r in enumerate(sel):
        goal = 40 if int(r["bytes"]) <= 64 else 15 if int(r["bytes"]) >= 1420 else None
        if goal is not None:
            ax.hlines(goal, i - 0.45, i + 0.45, colors="red", linestyles="dashed")
    ax.set_xticks(list(x))
    ax.set_xticklabels([f'{r["bytes"]} B' for r in sel])
    ax.set_title(t)
    ax.grid(axis="y", alpha=0.3)
axes[0].set_ylabel("cycles added over raw ipsec-mb AEAD (%)")
axes[0].legend()
fig.suptitle("ESP encap/decap overhead vs raw AEAD, same core, same run (red: goal)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
