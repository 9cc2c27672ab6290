#!/usr/bin/env python3
"""Conformance of bastion-emulator against the official Azure SDK for Python.

The emulator stands in for ARM in every other test, so it must satisfy the reference
client unchanged: azure-mgmt-network's begin_get_active_sessions (LRO + paging) and
disconnect_active_sessions, its error mapping for 404 and 401, and its retry policy for
429/503. Run with the venv python that has azure-mgmt-network (installed from
../shared/wheels); the emulator binary comes from $BASTION_EMULATOR or argv[1].
Exits non-zero on any failure, including a missing SDK.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

try:
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.network.models import SessionIds
except ImportError as error:  # a missing SDK is a failure, never a skip
    print(f"conformance: FAILED: the Azure SDK for Python is not importable ({error}); "
          "install azure-mgmt-network from ../shared/wheels into this interpreter", file=sys.stderr)
    sys.exit(2)

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TOKEN = "conformance-token"


def session(index, user):
    """A session in the scenario file's format."""
    return {
        "userName": user,
        "targetHostName": f"vm-{index:03}",
        "protocol": "RDP" if index % 2 else "SSH",
        "resourceType": "VM",
        "startedMinutesAgo": 10 + index,
    }


SCENARIO = {
    "settings": {"polls": 1, "retryAfter": 1, "pageSize": 10, "token": TOKEN},
    "subscriptions": [{
        "subscriptionId": SUBSCRIPTION,
        "resourceGroups": [{
            "name": "rg-conformance",
            "hosts": [
                {"name": "bh-empty", "sessions": []},
                {"name": "bh-one", "sessions": [session(0, "alice@contoso.com")]},
                {"name": "bh-many", "sessions": [session(i, f"user{i}@contoso.com") for i in range(25)]},
            ],
        }],
    }],
}


class StaticToken:
    """A credential that hands the SDK a fixed bearer token."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)


class Emulator:
    """bastion-emulator as a child process; it exits when its stdin closes."""

    def __init__(self, binary, scenario_path, *flags):
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--scenario", scenario_path, *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"emulator printed {line!r} instead of its address: {self.process.stderr.read()}")
        self.url = line.split(" ", 2)[2]

    def admin(self, path, body=None):
        request = urllib.request.Request(self.url + path, method="POST" if body is not None else "GET",
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def count(self, operation, status):
        return self.admin("/_emulator/stats")["byOperation"].get(operation, {}).get(str(status), 0)

    def truth(self, host):
        for h in self.admin("/_emulator/sessions")["hosts"]:
            if h["name"] == host:
                return sorted(s["sessionId"] for s in h["sessions"])
        raise KeyError(host)

    def stop(self):
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
        finally:
            self.process.stdout.close()
            self.process.stderr.close()


class PythonSdkConformance(unittest.TestCase):
    emulator = None

    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("BASTION_EMULATOR") or (sys.argv[1] if len(sys.argv) > 1 else "")
        if not binary or not os.path.exists(binary):
            raise RuntimeError(f"bastion-emulator binary not found ({binary!r}); set BASTION_EMULATOR")
        cls.scenario = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(SCENARIO, cls.scenario)
        cls.scenario.close()
        cls.binary = binary
        cls.emulator = Emulator(binary, cls.scenario.name)

    @classmethod
    def tearDownClass(cls):
        if cls.emulator:
            cls.emulator.stop()
        os.unlink(cls.scenario.name)

    def setUp(self):
        self.emulator.admin("/_emulator/reset", {})

    def client(self, token=TOKEN, emulator=None):
        emulator = emulator or self.emulator
        return NetworkManagementClient(StaticToken(token), SUBSCRIPTION, base_url=emulator.url,
                                       retry_backoff_factor=0.1)

    def list_sessions(self, host, emulator=None, **kwargs):
        poller = self.client(emulator=emulator, **kwargs).begin_get_active_sessions(
            "rg-conformance", host, enforce_https=False, polling_interval=0)
        return [s.session_id for s in poller.result()]

    def test_lists_every_page_of_hosts_with_zero_one_and_several_pages(self):
        for host, expected_pages in (("bh-empty", 0), ("bh-one", 0), ("bh-many", 2)):
            with self.subTest(host=host):
                self.emulator.admin("/_emulator/reset", {})
                ids = self.list_sessions(host)
                self.assertEqual(sorted(ids), self.emulator.truth(host))
                self.assertEqual(len(ids), len(set(ids)), "no session twice")
                self.assertEqual(self.emulator.count("getActiveSessions", 202), 1)
                self.assertEqual(self.emulator.count("pollOperation", 200), 1)
                self.assertEqual(self.emulator.count("nextPage", 200), expected_pages)
        self.assertEqual(len(self.list_sessions("bh-many")), 25)

    def test_retries_through_injected_429_and_503(self):
        self.emulator.admin("/_emulator/faults", [
            {"operation": "getActiveSessions", "fault": "429", "count": 1},
            {"operation": "pollOperation", "fault": "503", "count": 1},
            {"operation": "nextPage", "fault": "429", "count": 1},
        ])
        ids = self.list_sessions("bh-many")
        self.assertEqual(sorted(ids), self.emulator.truth("bh-many"))
        self.assertEqual(self.emulator.count("getActiveSessions", 429), 1)
        self.assertEqual(self.emulator.count("pollOperation", 503), 1)
        self.assertEqual(self.emulator.count("nextPage", 429), 1)
        self.assertEqual(self.emulator.admin("/_emulator/stats")["faultsInjected"], 3)

    def test_disconnect_reports_each_id_and_removes_the_sessions(self):
        before = self.emulator.truth("bh-many")
        targets = before[:3] + ["no-such-session"]
        states = list(self.client().disconnect_active_sessions(
            "rg-conformance", "bh-many", SessionIds(session_ids=targets), enforce_https=False))
        by_id = {s.session_id: s.state for s in states}
        self.assertEqual(set(by_id), set(targets))
        self.assertEqual([by_id[i] for i in before[:3]], ["Disconnected"] * 3)
        self.assertEqual(by_id["no-such-session"], "NotFound")
        self.assertEqual(self.emulator.truth("bh-many"), before[3:])
        self.assertEqual(sorted(self.list_sessions("bh-many")), before[3:])

    def test_follows_azure_async_operation_then_gets_location(self):
        other = Emulator(self.binary, self.scenario.name, "--async-operation", "--polls", "2")
        try:
            ids = self.list_sessions("bh-many", emulator=other)
            self.assertEqual(sorted(ids), other.truth("bh-many"))
            self.assertEqual(len(ids), 25)
            self.assertEqual(other.count("getActiveSessions", 202), 1)
            self.assertGreaterEqual(other.count("asyncOperationStatus", 200), 2,
                                    "the SDK polls the status resource while it says InProgress")
            self.assertEqual(other.count("pollOperation", 200), 1,
                             "after Succeeded the SDK GETs Location for the result")
        finally:
            other.stop()

    def test_disconnect_results_are_paged_and_retried_through_429(self):
        before = self.emulator.truth("bh-many")
        targets = before[:12] + ["ghost-1"]
        self.emulator.admin("/_emulator/faults",
                            {"operation": "disconnectActiveSessions", "fault": "429", "count": 1})
        states = list(self.client().disconnect_active_sessions(
            "rg-conformance", "bh-many", SessionIds(session_ids=targets), enforce_https=False))
        self.assertEqual([s.session_id for s in states], targets, "13 results over two pages")
        self.assertEqual([s.state for s in states], ["Disconnected"] * 12 + ["NotFound"])
        self.assertEqual(self.emulator.count("disconnectActiveSessions", 429), 1)
        self.assertEqual(self.emulator.count("disconnectActiveSessions", 200), 1)
        self.assertEqual(self.emulator.count("disconnectNextPage", 200), 1)
        self.assertEqual(self.emulator.truth("bh-many"), before[12:])

    def test_missing_host_raises_resource_not_found(self):
        with self.assertRaises(ResourceNotFoundError) as raised:
            self.list_sessions("bh-missing")
        self.assertIn("ResourceNotFound", str(raised.exception))

    def test_wrong_token_raises_client_authentication_error(self):
        with self.assertRaises(ClientAuthenticationError):
            self.list_sessions("bh-one", token="wrong-token")
        self.assertEqual(self.emulator.count("getActiveSessions", 401), 1)


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    failed = len({test.id() for test, _ in result.failures + result.errors})
    print(f"conformance: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or result.testsRun == 0 else 0)
