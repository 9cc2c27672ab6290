#!/usr/bin/env python3
"""Baseline: list the active sessions of every Bastion host in a subscription with the
official Azure SDK for Python (azure-mgmt-network), the way its documentation shows it.

What it does, and nothing more clever:
  * ``client.bastion_hosts.list()`` to find the hosts (ARM list API, the SDK follows nextLink);
  * for each host, one after the other, ``client.begin_get_active_sessions(rg, name)``,
    ``.result()`` on the poller (the SDK's ARMPolling honours the 202's Retry-After, because
    ``polling_interval`` is left at its default), then iterating the returned pages.

Only two concessions to the benchmark setting, neither of which changes the request flow:
  * a static token credential, because the emulator accepts a fixed bearer token;
  * ``enforce_https=False`` on each call, because the loopback emulator speaks plain HTTP.

No threads, no asyncio: this is the sample code an admin would adapt. The benchmark harness
(benches/run-benchmarks.ps1) runs it against bastion-emulator on 127.0.0.1 only.

Usage:
  python_sdk_list.py --endpoint http://127.0.0.1:PORT --subscription SUB --token TOKEN [--max-hosts N]

Prints one JSON line: {"hosts": N, "sessions": M, "seconds": S, "cpuSeconds": C, "importSeconds": I}.
``seconds`` covers client construction, discovery and every host (not interpreter start-up
and ``import``, which ``importSeconds`` reports separately).
"""

import argparse
import json
import sys
import time

_t_import = time.perf_counter()
from azure.core.credentials import AccessToken  # noqa: E402
from azure.mgmt.network import NetworkManagementClient  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _t_import


class StaticTokenCredential:
    """A TokenCredential that always returns the one token it was given."""

    def __init__(self, token):
        self._token = token

    def get_token(self, *scopes, **kwargs):  # noqa: ARG002 - the protocol's signature
        return AccessToken(self._token, int(time.time()) + 3600)


def resource_group_of(resource_id):
    parts = resource_id.split("/")
    for i, part in enumerate(parts):
        if part.lower() == "resourcegroups" and i + 1 < len(parts):
            return parts[i + 1]
    raise ValueError("no resource group in " + resource_id)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--max-hosts", type=int, default=0,
                        help="stop after this many hosts (0: all); for extrapolated runs")
    args = parser.parse_args()

    start = time.perf_counter()
    cpu_start = time.process_time()
    client = NetworkManagementClient(
        credential=StaticTokenCredential(args.token),
        subscription_id=args.subscription,
        base_url=args.endpoint,
    )

    hosts = 0
    sessions = 0
    for bastion in client.bastion_hosts.list(enforce_https=False):
        if args.max_hosts and hosts >= args.max_hosts:
            break
        poller = client.begin_get_active_sessions(
            resource_group_of(bastion.id), bastion.name, enforce_https=False
        )
        for _session in poller.result():
            sessions += 1
        hosts += 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start

    print(json.dumps({"hosts": hosts, "sessions": sessions, "seconds": round(elapsed, 3),
                      "cpuSeconds": round(cpu, 3), "importSeconds": round(IMPORT_SECONDS, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
