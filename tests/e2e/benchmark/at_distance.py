# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's figures at internet distance: the emulator adds a latency to every answer, and for one figure
answers 429 above a rate limit. Each figure is a span of the emulator's request log, from the first API request of a
run to the end of its last, against what the same requests would take one after another (or at the limit)."""

from __future__ import annotations

import json
import math
from typing import Any

LATENCY = 0.05  # a round trip across a country
RATE_LIMIT = 100  # requests a second


def span(entries: list[dict[str, Any]]) -> float:
    """From the arrival of the first request to the end of the last answer."""
    return max(entry["finished"] for entry in entries) - min(entry["started"] for entry in entries)


def fleet(prefix: str, size: int) -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix}-{index:05d}", "kind": "live", "state": "enabled", "metadata": {"store": f"s{index % 50}"}}
        for index in range(size)
    ]


def measure_at_distance(bench, creates: int, listed: int) -> None:
    """Rows 7: ``creates`` keys created through the role, ``listed`` keys left as they are, and ``creates`` keys created
    under the rate limit, each at ``LATENCY``."""
    emulator = bench.emulator
    to_create = fleet("far", creates)
    bench.write_vars("vars-far-create.json", {**bench.common_vars, "fleet": to_create})
    to_list = fleet("far-listed", listed)
    bench.write_vars("vars-far-listed.json", {**bench.common_vars, "fleet": to_list})
    try:
        emulator.reset()
        emulator.set_network(latency=LATENCY)
        run = bench.playbook("role.yml", "vars-far-create.json")
        bench.expect(run.count("PUT") == creates, f"creating {creates} keys at a distance sent {run.count('PUT')} PUTs")
        sequential = len(run.requests) * LATENCY
        ratio = span(run.requests) / sequential
        bench.row(
            f"7. create {creates} keys via role, {LATENCY * 1000:.0f} ms latency: request span vs one at a time",
            f"{span(run.requests):.2f} s vs {sequential:.1f} s = {ratio:.3f}",
            "<= 0.2",
            ratio <= 0.2,
        )

        emulator.reset()
        emulator.seed_keys(
            [
                {"name": key["name"], "kind": key["kind"], "status": key["state"], "metadata": key["metadata"]}
                for key in to_list
            ]
        )
        emulator.set_network(latency=LATENCY)
        run = bench.playbook("module.yml", "vars-far-listed.json")
        pages = [entry for entry in run.requests if entry["method"] == "GET" and entry["path"] == "/api_keys"]
        # The first page holds 100 keys, each after it 99 new ones (and the last key of the page before).
        bench.expect(
            len(pages) == 1 + math.ceil(max(listed - 100, 0) / 99) and run.count("PUT") + run.count("PATCH") == 0,
            "the no-op at a distance read the wrong pages",
        )
        sequential = (len(pages) + 1) * LATENCY  # the login and the pages
        ratio = span(run.requests) / sequential
        bench.row(
            f"7. no-op {listed} keys, {LATENCY * 1000:.0f} ms latency: login + listing span vs one at a time",
            f"{span(run.requests):.2f} s vs {sequential:.2f} s = {ratio:.3f}",
            "<= 0.25",
            ratio <= 0.25,
        )

        emulator.reset()
        emulator.set_network(latency=LATENCY, rate_limit=RATE_LIMIT)
        run = bench.playbook("module.yml", "vars-far-create.json")
        created = [entry for entry in run.requests if entry["method"] == "PUT" and entry["status"] == 200]
        bench.expect(len(created) == creates, f"creating {creates} keys under a rate limit created {len(created)}")
        limited = sum(entry["status"] == 429 for entry in run.requests)
        ideal = (
            sum(entry["status"] != 429 for entry in run.requests) / RATE_LIMIT
        )  # the requests the run needed, at the limit
        ratio = span(run.requests) / ideal
        bench.row(
            f"7. create {creates} keys under {RATE_LIMIT} req/s, {LATENCY * 1000:.0f} ms latency: span vs needed requests / limit",
            f"{span(run.requests):.2f} s vs {ideal:.2f} s = {ratio:.2f}",
            "<= 1.3",
            ratio <= 1.3,
        )
        share = limited / len(run.requests)
        bench.row(
            f"7. ... requests answered 429 (of {len(run.requests)})", f"{limited} = {share:.1%}", "<= 10%", share <= 0.1
        )
    finally:
        emulator.reset()
        (bench.work / "vars-far-listed.json").write_text(
            json.dumps({}), encoding="utf-8"
        )  # 10,000 keys' worth of disk back
